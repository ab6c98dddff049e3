-- debug.getupvalue / setupvalue / upvalueid on closures of the core:
-- names, values, shared upvalues, invalid indices (fail, not an error).
local a, b = 1, 2
local function f() return a + b end
local function g() return b end
print(debug.getupvalue(f, 1), debug.getupvalue(f, 2), debug.getupvalue(f, 3))
print(debug.setupvalue(f, 1, 10), f())
print(debug.upvalueid(f, 1) ~= nil, debug.upvalueid(f, 2) ~= nil)
print(debug.upvalueid(f, 3), debug.upvalueid(f, 0), debug.upvalueid(f, -1))
print(debug.upvalueid(f, 2) == debug.upvalueid(g, 1), debug.upvalueid(f, 1) == debug.upvalueid(g, 1))
print(debug.upvalueid(print, 1))
print(pcall(debug.upvalueid, 42, 1))
print(pcall(debug.upvalueid, f))
