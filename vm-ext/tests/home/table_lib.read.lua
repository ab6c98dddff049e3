local l = _home.list
assert(type(l) == "userdata")
assert(#l == 6, #l)
assert(table.concat(l, ",") == "a,b,b,d,e,x", table.concat(l, ","))
local a, b, c, d, e, x, none = table.unpack(l)
assert(a == "a" and b == "b" and c == "b" and d == "d" and e == "e" and x == "x" and none == nil)
assert(table.concat(_home.nums, " ") == "9 5 3 1")
-- and keeps working after the reload
table.insert(_home.nums, 1, 10)
assert(table.remove(_home.nums) == 1)
table.sort(_home.nums)
assert(table.concat(_home.nums, " ") == "3 5 9 10")
