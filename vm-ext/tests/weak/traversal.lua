-- next/pairs/ipairs, #, raw functions and the table library on weak tables.
local function count(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n
end

-- a weak-value sequence of tables: #, ipairs, table functions
local objs = {}
for i = 1, 8 do objs[i] = {i} end
local seq = setmetatable({}, {__mode = "v"})
for i = 1, 8 do seq[#seq + 1] = objs[i] end
print("#", #seq, rawlen(seq))
local sum = 0
for i, o in ipairs(seq) do sum = sum + o[1] + i end
print("ipairs sum", sum)
table.insert(seq, 1, objs[8])
print("insert", #seq, seq[1][1], seq[9][1])
print("remove", table.remove(seq, 1)[1], #seq)
table.sort(seq, function(x, y) return x[1] > y[1] end)
print("sort", seq[1][1], seq[8][1])
local u = {table.unpack(seq, 2, 4)}
print("unpack", #u, u[1][1], u[3][1])
table.move(seq, 1, 2, 1, objs)
print("move", objs[1][1], objs[2][1])

-- drop the tail's last references: the sequence shrinks from the end
for i = 1, 8 do objs[i] = nil end
u = nil
local keep = {seq[1], seq[2], seq[3]}   -- values 8, 7, 6 (sorted descending)
collectgarbage()
print("after collect", #seq, seq[4], keep[1][1], seq[3][1])

-- strings and numbers in a weak table: the table functions work as usual
local words = setmetatable({}, {__mode = "kv"})
for w in ("delta alpha charlie bravo"):gmatch("%a+") do table.insert(words, w) end
table.sort(words)
print("concat", table.concat(words, " "), #words)
collectgarbage()
print("strings stay", table.concat(words, ","), select("#", table.unpack(words)))

-- rawget/rawset/rawlen go to the weak entries
local r = setmetatable({}, {__mode = "k"})
local key = {}
rawset(r, key, "v1")
rawset(r, "s", 1)
print("raw", rawget(r, key), r[key], rawget(r, "s"), rawlen(r))
rawset(r, key, nil)
print("raw cleared", rawget(r, key), count(r))
print(pcall(rawset, r, nil, 1))
print(pcall(rawset, r, 0/0, 1))
r[1.0] = "one"; r[2^53] = "big"
print("float key", r[1], rawget(r, 1.0), r[math.tointeger(2^53)], r[0.5])

-- next after collection; clearing fields while traversing
local w = setmetatable({}, {__mode = "k"})
local live = {}
for i = 1, 30 do
  local k = {}
  w[k] = i
  if i % 3 == 0 then live[#live + 1] = k end
end
collectgarbage()
local seen, total = 0, 0
local k, v = next(w)
while k do
  seen = seen + 1; total = total + v
  k, v = next(w, k)
end
print("next after collect", seen, total)
for k2 in pairs(w) do w[k2] = nil end
print("cleared while traversing", count(w), next(w))

-- __index and __newindex still apply to missing keys only
local calls = 0
local mi = setmetatable({}, {__mode = "k", __index = function(_, k) return "dflt " .. k end,
  __newindex = function(t, k, v) calls = calls + 1; rawset(t, k, v) end})
mi.a = 1; mi.a = 2; mi.b = nil
print("meta", mi.a, mi.zz, calls)

-- back to a strong table, and changing the mode
local s = setmetatable({}, {__mode = "v"})
local held = {}
s[1] = held; s[2] = {}; s.x = "x"
setmetatable(s, nil)
collectgarbage()
print("strong again", s[1] == held, type(s[2]), s.x, #s, count(s))
setmetatable(s, {__mode = "k"})      -- values strong, keys weak
s[{}] = 1
collectgarbage()
print("k now", count(s), type(s[2]))
setmetatable(s, {__mode = "v"})
collectgarbage()
print("v now", count(s), s[2], s.x)
