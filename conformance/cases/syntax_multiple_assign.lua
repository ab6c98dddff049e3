-- Multiple assignment: all expressions are evaluated before assigning.
local a, b = 1, 2
a, b = b, a
assert(a == 2 and b == 1)
local x, y, z = 1, 2, 3
x, y, z = z, x, y
assert(x == 3 and y == 1 and z == 2)
local t = {1, 2}
t[1], t[2] = t[2], t[1]
assert(t[1] == 2 and t[2] == 1)
-- extra values are dropped, missing ones are nil
local p, q, r = 1, 2
assert(p == 1 and q == 2 and r == nil)
local u = 1, 2, 3
assert(u == 1)
-- a function call expands only in the last position
local function three() return 1, 2, 3 end
local m1, m2, m3, m4 = three(), 10
assert(m1 == 1 and m2 == 10 and m3 == nil and m4 == nil)
m1, m2, m3, m4 = 0, three()
assert(m1 == 0 and m2 == 1 and m3 == 2 and m4 == 3)
-- parentheses truncate to one value
m1, m2 = (three())
assert(m1 == 1 and m2 == nil)
