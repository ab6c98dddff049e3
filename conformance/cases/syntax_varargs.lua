-- Varargs, select, table.pack.
local function f(...) return select("#", ...) end
assert(f() == 0 and f(nil) == 1 and f(nil, nil) == 2 and f(1, 2, 3) == 3)
local function g(...) local a, b = ... ; return a, b end
local a, b = g(1)
assert(a == 1 and b == nil)
assert(select(2, "a", "b", "c") == "b")
assert(select(-1, "a", "b", "c") == "c")
local ok, e = pcall(select, 0, 1)
assert(not ok and e == "bad argument #1 to 'select' (index out of range)")
local t = table.pack(1, nil, 3)
assert(t.n == 3 and t[1] == 1 and t[2] == nil and t[3] == 3)
local function count(...) return select("#", ...) end
assert(count(table.unpack({1, 2, 3})) == 3)
assert(count(table.unpack({1, 2, 3}, 2)) == 2)
assert(count(table.unpack({}, 1, 3)) == 3)
-- ... in a table constructor
local function pk(...) return {...} end
assert(#pk(1, 2, 3) == 3)
-- vararg functions keep named parameters
local function h(x, ...) return x, select("#", ...) end
local hx, hn = h(7, 8, 9)
assert(hx == 7 and hn == 2)
