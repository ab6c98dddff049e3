-- Lua 5.4 core semantics the piccolo 0.3.3 core gets wrong (issue 11's
-- table and more); passes under reference Lua 5.4 and on the luahome core.

-- multiple assignment evaluates all right-hand sides first
local a, b = 1, 2
a, b = b, a
assert(a == 2 and b == 1)
local t = {1, 2}
local i = 1
i, t[i] = i + 1, 20
assert(i == 2 and t[1] == 20 and t[2] == 2)

-- arithmetic metamethods
local V = {}
V.__index = V
V.__add = function(p, q) return setmetatable({x = p.x + q.x}, V) end
V.__sub = function(p, q) return setmetatable({x = p.x - q.x}, V) end
V.__mul = function(p, k) return setmetatable({x = p.x * k}, V) end
V.__unm = function(p) return setmetatable({x = -p.x}, V) end
V.__eq = function(p, q) return p.x == q.x end
V.__lt = function(p, q) return p.x < q.x end
V.__le = function(p, q) return p.x <= q.x end
V.__len = function(p) return p.x end
V.__concat = function(p, q)
  local function s(v) return type(v) == "table" and "V" .. v.x or tostring(v) end
  return s(p) .. s(q)
end
V.__call = function(self, y) return self.x + y end
V.__idiv = function() return "idiv" end
V.__band = function() return "band" end
V.__shl = function() return "shl" end
V.__bnot = function() return "bnot" end
local function vec(x) return setmetatable({x = x}, V) end
local p, q = vec(1), vec(2)
assert((p + q).x == 3 and (q - p).x == 1 and (p * 5).x == 5 and (-p).x == -1)
assert(vec(3) == vec(3) and vec(3) ~= vec(4) and p < q and p <= q and not (q < p))
assert(q > p and q >= p)
assert(#vec(7) == 7 and p .. q == "V1V2" and p .. "!" == "V1!" and 1 .. p == "1V1")
assert("a" .. "b" .. p .. "c" == "abV1c")
assert(p(10) == 11 and p // 1 == "idiv" and p & 1 == "band" and 1 << p == "shl" and ~p == "bnot")

-- the string metatable
assert(("x"):rep(3) == "xxx" and ("%d"):format(3) == "3" and ("abc"):upper() == "ABC")
local s = "hello"
assert(s:len() == 5 and #s == 5 and s:sub(2, 3) == "el")

-- <const> and <close>
local k <const> = 5
assert(k == 5)
local log = {}
do
  local h <close> = setmetatable({}, {__close = function(_, e) log[#log + 1] = "closed:" .. tostring(e) end})
  log[#log + 1] = "body"
end
assert(log[1] == "body" and log[2] == "closed:nil")
log = {}
local ok, err = pcall(function()
  local x <close> = setmetatable({}, {__close = function(_, e) log[#log + 1] = "x:" .. e end})
  local y <close> = setmetatable({}, {__close = function(_, e) log[#log + 1] = "y:" .. e end})
  error("boom", 0)
end)
assert(not ok and err == "boom" and log[1] == "y:boom" and log[2] == "x:boom")
-- an error in __close replaces the error being propagated
ok, err = pcall(function()
  local x <close> = setmetatable({}, {__close = function() error("in close", 0) end})
  error("first", 0)
end)
assert(not ok and err == "in close")
-- return values survive the closing
local function ret()
  local x <close> = setmetatable({}, {__close = function() log.ret = true end})
  return 1, 2, 3
end
local r1, r2, r3 = ret()
assert(r1 == 1 and r2 == 2 and r3 == 3 and log.ret)
-- break out of a loop closes, and so does a generic for's closing value
local closed = 0
for j = 1, 3 do
  local c <close> = setmetatable({}, {__close = function() closed = closed + 1 end})
  if j == 2 then break end
end
assert(closed == 2)
local function iter()
  return function(_, n) if n < 3 then return n + 1 end end, nil, 0,
    setmetatable({}, {__close = function() closed = closed + 10 end})
end
for n in iter() do if n == 2 then break end end
assert(closed == 12)
ok, err = pcall(function() local bad <close> = {} end)
assert(not ok and err:find("variable 'bad' got a non%-closable value"))

-- integer and float arithmetic as the manual says
assert(-7 // 2 == -4 and -7 % 2 == 1 and 7 % -2 == -1 and 7 // -2 == -4)
assert(3.0 .. "" == "3.0" and tostring(-7 // 2.0) == "-4.0" and 2^10 == 1024.0)
assert(math.type(2^10) == "float" and math.type(10 // 3) == "integer" and math.type(1 / 1) == "float")
assert(math.mininteger // -1 == math.mininteger and math.mininteger % -1 == 0)
assert(math.maxinteger + 1 == math.mininteger and math.mininteger - 1 == math.maxinteger)
assert(5.5 % -2 == -0.5 and -5.5 % 2 == 0.5 and 5 % -math.huge == -math.huge)
assert("10" + 1 == 11 and math.type("10" + 1) == "integer" and "3.5" * 2 == 7.0 and "0x10" + 0 == 16)
assert(10 // 0.0 == math.huge and -10 % math.huge == math.huge)
ok, err = pcall(function() return 1 // 0 end)
assert(not ok and err:find("attempt to divide by zero"))
ok, err = pcall(function() return 1 % 0 end)
assert(not ok and err:find("attempt to perform 'n%%0'"))
ok, err = pcall(function() return 1.5 | 0 end)
assert(not ok and err:find("number has no integer representation"))
assert(3.0 | 0 == 3 and not pcall(function() return "7" & 3 end) and 1 << 63 == math.mininteger and 1 << 64 == 0 and -1 >> 1 == math.maxinteger)
assert(1 == 1.0 and math.maxinteger < 2^63 and math.maxinteger + 0.0 == 2^63 and not (math.maxinteger == 2^63))
assert(math.mininteger <= -2^63 and -2^63 <= math.mininteger and 2^53 + 1 == 2^53 and (1 << 53) + 1 > 2^53)
assert("a" < "b" and "Z" < "a" and "" < "a" and "abc" <= "abc")

-- numeric for loops: overflow-safe integer loops, float loops
local count = 0
for _ = math.maxinteger - 2, math.maxinteger do count = count + 1 end
assert(count == 3)
count = 0
for _ = math.mininteger, math.mininteger + 2 do count = count + 1 end
assert(count == 3)
count = 0
for _ = 1, 0 do count = count + 1 end
assert(count == 0)
local fl = {}
for x = 1, 2, 0.5 do fl[#fl + 1] = x end
assert(#fl == 3 and fl[3] == 2.0 and math.type(fl[1]) == "float")
for x = 3, 1, -1 do fl[#fl + 1] = x end
assert(fl[4] == 3 and fl[6] == 1)
-- (step 1 over integers is prepared inline: its edges)
local seen = {}
for i = 5, 5 do seen[#seen + 1] = i end
for i = -3, -1 do seen[#seen + 1] = i end
assert(#seen == 4 and seen[1] == 5 and seen[2] == -3 and seen[4] == -1)
assert(math.type(seen[1]) == "integer")
seen = {}
for i = math.mininteger, math.maxinteger do
  seen[#seen + 1] = i
  if #seen == 2 then break end
end
assert(seen[1] == math.mininteger and seen[2] == math.mininteger + 1)
seen = {}
for i = 1, 2.5 do seen[#seen + 1] = i end
assert(#seen == 2 and math.type(seen[2]) == "integer")
seen = {}
for i = 1, 2, 1.0 do seen[#seen + 1] = i end
assert(#seen == 2 and math.type(seen[1]) == "float")
seen = {}
for i = 10, 1, -4 do seen[#seen + 1] = i end
for i = 1, 7, 3 do seen[#seen + 1] = i end
assert(table.concat(seen, ",") == "10,6,2,1,4,7")
seen = {}
for i = math.maxinteger, math.mininteger, -math.maxinteger do seen[#seen + 1] = i end
assert(#seen == 3 and seen[3] == -math.maxinteger)
for i = 2, 1 do error("runs zero times") end
for i = 1, 2, -1 do error("runs zero times") end
for i = math.maxinteger, math.maxinteger - 1 do error("runs zero times") end
ok, err = pcall(function() for _ = 1, 10, 0 do end end)
assert(not ok and err:find("'for' step is zero"))
ok, err = pcall(function() for _ = 1, {} do end end)
assert(not ok and err:find("bad 'for' limit %(number expected, got table%)"))

-- closures capture a fresh variable per iteration
local fns = {}
for j = 1, 3 do fns[j] = function() return j end end
assert(fns[1]() == 1 and fns[3]() == 3)
local ws = {}
local w = 0
while w < 3 do
  w = w + 1
  local captured = w
  ws[w] = function() captured = captured * 10; return captured end
end
assert(ws[1]() == 10 and ws[2]() == 20 and ws[1]() == 100)

-- varargs
local function va(...)
  local n = select('#', ...)
  local packed = table.pack(...)
  return n, packed.n, ...
end
local n1, n2, v1, v2, v3 = va(1, nil, 3)
assert(n1 == 3 and n2 == 3 and v1 == 1 and v2 == nil and v3 == 3)
assert(select('#', va()) == 2)
local function tail(n) if n == 0 then return "done" end return tail(n - 1) end
assert(tail(100000) == "done")

-- goto
local gi = 0
::again::
gi = gi + 1
if gi < 5 then goto again end
assert(gi == 5)

-- __index / __newindex chains, rawget/rawset
local base = {greet = function() return "hi" end}
local mid = setmetatable({}, {__index = base})
local obj = setmetatable({}, {__index = mid})
assert(obj.greet() == "hi" and rawget(obj, "greet") == nil)
local store = {}
local proxy = setmetatable({}, {
  __index = function(_, key) return "computed " .. key end,
  __newindex = function(_, key, v) store[key] = v end,
})
proxy.a = 1
assert(store.a == 1 and rawget(proxy, "a") == nil and proxy.zz == "computed zz")
local chained = setmetatable({}, {__newindex = store})
chained.b = 2
assert(store.b == 2)

-- errors carry positions and variable names
ok, err = pcall(function() local cfg; return cfg.x end)
assert(not ok and err:find("attempt to index a nil value %(local 'cfg'%)"))
ok, err = pcall(function() return undefined_global_fn() end)
assert(not ok and err:find("attempt to call a nil value %(global 'undefined_global_fn'%)"))
ok, err = pcall(function() local r = {}; return r.field.sub end)
assert(not ok and err:find("attempt to index a nil value %(field 'field'%)"))
local up
ok, err = pcall(function() return up.x end)
assert(not ok and err:find("attempt to index a nil value %(upvalue 'up'%)"))
ok, err = pcall(function() local o = {}; o:nomethod() end)
assert(not ok and err:find("attempt to call a nil value %(method 'nomethod'%)"))
ok, err = pcall(function() local r = {}; return r.x + 1 end)
assert(not ok and err:find("attempt to perform arithmetic on a nil value %(field 'x'%)"))
ok, err = pcall(function() return {} < 1 end)
assert(not ok and err:find("attempt to compare table with number"))
ok, err = pcall(function() return "x" .. {} end)
assert(not ok and err:find("attempt to concatenate a table value"))
ok, err = pcall(function() return #nil end)
assert(not ok and err:find("attempt to get length of a nil value"))
ok, err = pcall(error, "direct")
assert(not ok and err == "direct")
ok, err = pcall(function() error("msg") end)
assert(not ok and err:find("^lua54_core.lua:%d+: msg$"), err)

-- deep recursion is a catchable error
local function deep() return 1 + deep() end
ok, err = pcall(deep)
assert(not ok and err:find("stack overflow"))
local loop = setmetatable({}, {})
getmetatable(loop).__index = function(tt, key) return tt[key] end
ok, err = pcall(function() return loop.x end)
assert(not ok and err:find("stack overflow"))

-- coroutines yield through several Lua frames
local function inner(x) return coroutine.yield(x) * 2 end
local function middle(x) return inner(x + 1) + 1 end
local co = coroutine.wrap(function(x) return middle(x) end)
assert(co(1) == 2 and co(10) == 21)
local gens = {}
for g = 1, 500 do
  gens[g] = coroutine.wrap(function() for v = 1, 3 do coroutine.yield(g * 10 + v) end end)
  gens[g]()
end
assert(gens[500]() == 5002 and gens[1]() == 12)
ok, err = pcall(coroutine.wrap(function() local z = nil; return z.f end))
assert(not ok and err:find("local 'z'"))
