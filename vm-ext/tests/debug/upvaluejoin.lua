-- debug.upvaluejoin on closures of the core, upvalues of library functions
-- that are C closures in PUC Lua, and upvalueid's light userdata.
local a, b = 1, 2
local function f1() return a + b end
local function f2() return b * 10 end
local function f3() return b end
print(f1(), debug.upvalueid(f1, 2) == debug.upvalueid(f2, 1))
print(type(debug.upvalueid(f1, 1)), debug.upvalueid(f1, 1) == debug.upvalueid(f1, 1))
-- f1's first upvalue becomes f2's first (b); f3 still shares b with f2.
debug.upvaluejoin(f1, 1, f2, 1)
print(f1(), debug.upvalueid(f1, 1) == debug.upvalueid(f2, 1))
b = 5
print(f1(), f2(), f3(), a)
-- Joining changes one closure only, and works inside a running program.
local fs = {}
for i = 1, 3 do fs[i] = function() return i end end
debug.upvaluejoin(fs[1], 1, fs[3], 1)
print(fs[1](), fs[2](), fs[3]())
local caller = function() return fs[1]() + fs[2]() end
print(caller(), pcall(fs[1]))
-- A joined closure still is its function value: at its own level and from outside.
local dbg = debug
local function g() return dbg.getinfo(1, "f").func end
local h = function() return dbg end
debug.upvaluejoin(g, 1, h, 1)
print(g() == g, dbg.getinfo(g, "f").func == g, rawequal(g(), g))
-- Indices as for any integer argument: floats with an integer value, numerals.
debug.upvaluejoin(fs[2], 1.0, fs[3], "1")
print(fs[2]())
-- Bad arguments.
print(pcall(debug.upvaluejoin, f1, 3, f2, 1))
print(pcall(debug.upvaluejoin, f1, 1, f2, 0))
print(pcall(debug.upvaluejoin, print, 1, f2, 1))
print(pcall(debug.upvaluejoin, f1, 1, print, 1))
print(pcall(debug.upvaluejoin, {}, 1, f2, 1))
print(pcall(debug.upvaluejoin, f1, "x", f2, 1))
-- Library functions with upvalues: named "", values shown.
local it = string.gmatch("hello world", "%a+")
print(debug.getupvalue(it, 1))
print(debug.getupvalue(it, 2))
print(select('#', debug.getupvalue(it, 3)), type(select(2, debug.getupvalue(it, 3))))
print(debug.getupvalue(it, 4))
print(it(), debug.setupvalue(it, 1, "other"), it())
print(debug.upvalueid(it, 1) ~= nil, debug.upvalueid(it, 1) == debug.upvalueid(it, 2))
local w = coroutine.wrap(function() end)
print(select('#', debug.getupvalue(w, 1)), type(select(2, debug.getupvalue(w, 1))))
print(debug.getupvalue(print, 1))
print(debug.upvalueid(print, 1))
-- A light userdata is not a full userdata.
print(pcall(debug.setuservalue, debug.upvalueid(f1, 1), {}))
