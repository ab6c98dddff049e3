-- Base library: select, tonumber, raw*, metatables, next/pairs/ipairs,
-- assert, type, pcall/xpcall, collectgarbage. Runs under lua5.4 too.
local function has(s, sub)
  for i = 1, #s - #sub + 1 do
    if string.sub(s, i, i + #sub - 1) == sub then return true end
  end
  return false
end
local function checkerr(sub, f, ...)
  local ok, m = pcall(f, ...)
  assert(not ok, "expected an error: " .. sub)
  assert(type(m) == "string" and has(m, sub), m)
end

-- select
assert(select('#') == 0 and select('#', nil, nil) == 2)
assert(select(2, 'a', 'b', 'c') == 'b')
assert(select(-1, 'a', 'b', 'c') == 'c')
local x, y = select(-2, 'a', 'b', 'c'); assert(x == 'b' and y == 'c')
assert(select(5, 'a') == nil)
checkerr("bad argument #1 to 'select' (index out of range)", function() select(0, 1) end)
checkerr("bad argument #1 to 'select' (index out of range)", function() select(-3, 1) end)
checkerr("bad argument #1 to 'select' (number expected, got string)", function() select('x') end)
-- select's forms the interpreter answers in place ('#', i >= 1), with every
-- kind of result count the caller may want
local function sel(...)
  local n = select('#', ...)
  local a, b, c = select(2, ...)
  local all = table.pack(select(2, ...))
  local one = n > 0 and (select(n, ...)) or nil
  local none = { select(n + 1, ...) }
  local big = { select(math.maxinteger, ...) }
  local h1, h2 = select('#', ...)
  return n, a, b, c, all.n, one, #none, #big, h1, h2
end
do
  local n, a, b, c, nall, one, nnone, nbig, h1, h2 = sel(10, nil, 30, 40)
  assert(n == 4 and a == nil and b == 30 and c == 40 and nall == 3 and one == 40)
  assert(nnone == 0 and nbig == 0 and h1 == 4 and h2 == nil)
  n, a, b, c, nall, one, nnone, nbig, h1, h2 = sel()
  assert(n == 0 and a == nil and b == nil and c == nil and nall == 0 and one == nil)
  assert(nnone == 0 and h1 == 0)
  local t = table.pack(select(1, 'x', 'y', nil))
  assert(t.n == 3 and t[1] == 'x' and t[2] == 'y' and t[3] == nil)
  assert(select('#', select(2, 1, 2, 3)) == 2)
  local function count_tail(...) return select('#', ...) end
  assert(count_tail(select(3, 1, 2, 3, 4, 5)) == 3)
  -- a select that is not the library's is called as itself
  local select = function(...) return 'mine', ... end
  assert(select('#', 1) == 'mine')
end

-- tonumber
assert(tonumber("10") == 10 and math.type(tonumber("10")) == "integer")
assert(tonumber("  0x10  ") == 16 and tonumber("-0x10") == -16)
assert(tonumber("1e1") == 10.0 and math.type(tonumber("1e1")) == "float")
assert(tonumber("0x1p4") == 16.0 and tonumber("0x.8") == 0.5)
assert(tonumber(".5") == 0.5 and tonumber("5.") == 5.0)
assert(tonumber("9223372036854775807") == math.maxinteger)
assert(math.type(tonumber("9223372036854775808")) == "float")
assert(tonumber("0xffffffffffffffff") == -1)
for _, bad in ipairs({"", " ", "0x", "1e", "inf", "nan", "1 2", "- 1", "0x1p", "abc"}) do
  assert(tonumber(bad) == nil, bad)
end
assert(tonumber("ff", 16) == 255 and tonumber("  -z ", 36) == -35)
assert(tonumber("7fffffffffffffff", 16) == math.maxinteger)
assert(tonumber("ffffffffffffffffff", 16) == -1)
assert(tonumber("0x10", 10) == nil and tonumber("2", 2) == nil and tonumber("", 10) == nil)
assert(tonumber(nil) == nil and tonumber({}) == nil and tonumber(4.5) == 4.5)
checkerr("bad argument #1 to 'tonumber' (value expected)", function() tonumber() end)
checkerr("bad argument #2 to 'tonumber' (base out of range)", function() tonumber("1", 99) end)
checkerr("bad argument #1 to 'tonumber' (string expected, got number)", function() tonumber(10, 16) end)

-- raw functions
assert(rawequal(1, 1.0) and rawequal("a", "a") and not rawequal({}, {}))
checkerr("bad argument #2 to 'rawequal' (value expected)", function() rawequal(1) end)
assert(rawlen({1, 2, 3}) == 3 and rawlen("abcd") == 4)
checkerr("bad argument #1 to 'rawlen' (table or string expected, got number)", function() rawlen(1) end)
local logged = {}
local proxy = setmetatable({}, {__index = function() return "meta" end,
  __newindex = function(t, k) logged[#logged + 1] = k end})
assert(proxy.x == "meta" and rawget(proxy, "x") == nil)
assert(rawset(proxy, "y", 1) == proxy and rawget(proxy, "y") == 1 and #logged == 0)
checkerr("bad argument #1 to 'rawget' (table expected, got nil)", function() rawget(nil, 1) end)
checkerr("index is nil", function() rawset({}, nil, 1) end)
checkerr("index is NaN", function() rawset({}, 0/0, 1) end)

-- metatables
local mt = {}
local t = setmetatable({}, mt)
assert(getmetatable(t) == mt)
mt.__metatable = "locked"
assert(getmetatable(t) == "locked")
checkerr("cannot change a protected metatable", function() setmetatable(t, {}) end)
checkerr("bad argument #1 to 'setmetatable' (table expected, got number)", function() setmetatable(1, {}) end)
checkerr("bad argument #2 to 'setmetatable' (nil or table expected", function() setmetatable({}, 1) end)
assert(getmetatable("abc").__index == string)
assert(getmetatable(1) == nil and getmetatable(print) == nil)
checkerr("bad argument #1 to 'getmetatable' (value expected)", function() getmetatable() end)

-- next, pairs, ipairs
assert(next({}) == nil)
local k, v = next({10}); assert(k == 1 and v == 10)
checkerr("bad argument #1 to 'next' (table expected, got nil)", function() next(nil) end)
local sum = 0
for _, n in pairs({a = 1, b = 2, 3}) do sum = sum + n end
assert(sum == 6)
local custom = setmetatable({}, {__pairs = function(self)
  return function(_, key) if key == nil then return 1, "one" end end, self, nil
end})
local seen = {}
for a, b in pairs(custom) do seen[#seen + 1] = b end
assert(#seen == 1 and seen[1] == "one")
checkerr("bad argument #1 to 'pairs' (value expected)", function() pairs() end)
local items = {}
for i, n in ipairs({1, 2, nil, 4}) do items[#items + 1] = n end
assert(#items == 2)
local virtual = setmetatable({}, {__index = function(_, i) if i <= 3 then return i * 10 end end})
local total = 0
for i, n in ipairs(virtual) do total = total + n end
assert(total == 60)
checkerr("bad argument #1 to 'ipairs' (value expected)", function() ipairs() end)

-- assert, type
local a1, a2, a3 = assert(1, 2, 3); assert(a1 == 1 and a2 == 2 and a3 == 3)
checkerr("assertion failed!", function() assert(false) end)
checkerr("custom", function() assert(nil, "custom") end)
local errobj = {}
local ok, e = pcall(assert, false, errobj); assert(not ok and e == errobj)
checkerr("bad argument #1 to 'assert' (value expected)", function() assert() end)
assert(type(nil) == "nil" and type(print) == "function" and type(type) == "function")
checkerr("bad argument #1 to 'type' (value expected)", function() type() end)

-- pcall / xpcall
assert(select('#', pcall(function() return 1, 2 end)) == 3)
local okc, msg = pcall(nil); assert(not okc and msg == "attempt to call a nil value")
local r1, r2 = xpcall(function(p, q) return p + q end, print, 1, 2); assert(r1 and r2 == 3)
local x1, x2 = xpcall(error, function(m) return "handled: " .. m end, "boom")
assert(not x1 and x2 == "handled: boom")
local y1, y2 = xpcall(error, function() error("again") end, "boom")
assert(not y1 and y2 == "error in error handling")
checkerr("bad argument #2 to 'xpcall' (function expected, got no value)", function() xpcall(print) end)

-- collectgarbage
assert(math.type(collectgarbage("count")) == "float")
assert(collectgarbage() == 0 and collectgarbage("collect") == 0)
assert(type(collectgarbage("isrunning")) == "boolean")
local prev = collectgarbage("incremental")
assert(prev == "incremental" or prev == "generational")
assert(collectgarbage("generational") == "incremental")
assert(collectgarbage("incremental") == "generational")
checkerr("bad argument #1 to 'collectgarbage' (invalid option 'bogus')", function() collectgarbage("bogus") end)

-- misc
assert(_VERSION == "Lua 5.4" and _G._G == _G and loadstring == nil)
warn("@off"); warn("not shown")
checkerr("bad argument #1 to 'warn' (string expected, got no value)", function() warn() end)

-- assert (called in place when it passes): results, messages as `error` at
-- level 1 gives them (a string gets the caller's position), other values
-- unchanged; ipairs' iterator is one function
assert(select("#", assert(1, 2, 3)) == 3)
local av, am = assert("x", "m")
assert(av == "x" and am == "m")
local aok, aerr = pcall(function() assert(false, "boom") end)
assert(not aok and string.find(aerr, "^base_functions%.lua:%d+: boom$"), aerr)
local aobj = {}
aok, aerr = pcall(function() assert(nil, aobj) end)
assert(not aok and aerr == aobj)
aok, aerr = pcall(function() assert(false, 12) end)
assert(not aok and aerr == 12)
aok, aerr = pcall(assert, false, "from C")
assert(not aok and aerr == "from C", aerr)
aok, aerr = pcall(function() assert(false) end)
assert(not aok and string.find(aerr, "assertion failed!", 1, true), aerr)
local isum = 0
for i, v in ipairs({10, 20, 30}) do isum = isum + i * v end
assert(isum == 140)
assert(ipairs({}) == ipairs({1}))
