local function lvl2() error("deep", 2) end
local function caller() lvl2() end
print(pcall(caller))
local function lvl3() error("deeper", 3) end
local function mid() lvl3() end
local function top() mid() end
print(pcall(top))
print(pcall(error, "x", 1))
print(pcall(error, "x", 2))
-- across entries: error level 2 from a function called by pcall
local function inner() error("across", 2) end
local function outer() local ok, e = pcall(inner); return e end
print(outer())
-- metamethod names
local mt = {__index = function(t, k) return debug.getinfo(1, "n") end,
            __add = function(a, b) return debug.getinfo(1, "n") end}
local obj = setmetatable({}, mt)
local i1 = obj.foo
print(i1.name, i1.namewhat)
local i2 = obj + 1
print(i2.name, i2.namewhat)
for k in function() local i = debug.getinfo(1, "n"); print(i.name, i.namewhat) end do end
-- sort comparator traceback
local ok, tb = pcall(table.sort, {3,2,1}, function(a, b) return debug.traceback() end)
print(select(2, xpcall(function() local x = nil; return x.y end, debug.traceback)))
print(string.format("%s", debug.traceback("m", 2)))
local function deep(n) if n == 0 then return debug.traceback() end return (deep(n-1)) end
print(deep(30))
print(debug.getinfo(1, "t").istailcall)
local function tc() return debug.getinfo(1, "t").istailcall end
local function tcc() return tc() end
print(tcc())
