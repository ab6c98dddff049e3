-- __mode "k", "v" and "kv": collectable keys/values otherwise unreachable
-- are gone after a full collection; strings, numbers, booleans stay.
local function count(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n
end

local function sorted_keys(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = tostring(type(k) == "table" and "table" or k) end
  table.sort(ks)
  return table.concat(ks, ",")
end

-- weak keys
local wk = setmetatable({}, {__mode = "k"})
local kept = {}
for i = 1, 20 do
  local o = {id = i}
  wk[o] = i
  if i % 4 == 0 then kept[#kept + 1] = o end
end
wk.name = "str"; wk[1] = {}; wk[true] = {}; wk[2.5] = "x"
print("k before", count(wk), type(wk), getmetatable(wk).__mode)
collectgarbage()
print("k after", count(wk))
for _, o in ipairs(kept) do assert(wk[o] == o.id) end
print("k non-collectable keys", wk.name, type(wk[1]), type(wk[true]), wk[2.5])

-- weak values
local wv = setmetatable({}, {__mode = "v"})
local hold = {}
for i = 1, 20 do
  local o = {id = i}
  wv["o" .. i] = o
  if i <= 5 then hold[i] = o end
end
wv.s = "string values stay"; wv.n = 42; wv.b = false; wv[{}] = 1
print("v before", count(wv))
collectgarbage()
print("v after", count(wv), wv.s, wv.n, wv.b)
print("v live", sorted_keys(wv))

-- weak keys and values
local kv = setmetatable({}, {__mode = "kv"})
local a, b = {}, {}
kv[a] = {}        -- value collectable: goes
kv[{}] = b        -- key collectable: goes
kv[a] = nil
kv[a] = b         -- both alive: stays
kv.x = {}         -- value goes
kv.y = "y"        -- stays
kv[10] = 10       -- stays
print("kv before", count(kv))
collectgarbage("collect")
print("kv after", count(kv), kv[a] == b, kv.y, kv[10], kv.x)

-- functions and coroutines are collectable too
local fns = setmetatable({}, {__mode = "v"})
local keepf = function() return 1 end
fns[1] = keepf
fns[2] = function() return 2 end
fns[3] = coroutine.create(function() end)
fns[4] = print           -- a library function stays reachable from _G
collectgarbage()
print("functions", fns[1] == keepf, fns[2], fns[3], fns[4] == print)

-- a mode in a shared metatable; the same table reused
local mt = {__mode = "k"}
local t1, t2 = setmetatable({}, mt), setmetatable({}, mt)
t1[{}] = 1; t2[{}] = 2; t1.a = 1
collectgarbage()
print("shared mt", count(t1), count(t2), t1.a)

-- setmetatable returns the table; type and identity unchanged
local t = {}
print(setmetatable(t, {__mode = "v"}) == t, type(t), rawequal(t, t))
