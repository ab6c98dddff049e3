-- Core language features the piccolo core handles, asserted in Lua.
local t = {}
for i = 1, 10 do t[#t + 1] = i * i end
assert(#t == 10 and t[10] == 100)

local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
assert(fib(20) == 6765)

local s = 0
for _, v in ipairs(t) do s = s + v end
assert(s == 385)

local keys = 0
for k, v in pairs({a = 1, b = 2, c = 3}) do keys = keys + v end
assert(keys == 6)

assert(math.type(1) == "integer" and math.type(1.0) == "float")
assert(7 // 2 == 3 and 7 % 3 == 1 and 2 ^ 10 == 1024.0)
assert(string.upper("abc") == "ABC")
assert(type(print) == "function")
assert(_G._G == _G and _VERSION == "Lua 5.4")

local co = coroutine.create(function(a) local b = coroutine.yield(a + 1); return b * 2 end)
local ok, v = coroutine.resume(co, 1)
assert(ok and v == 2)
ok, v = coroutine.resume(co, 21)
assert(ok and v == 42)
