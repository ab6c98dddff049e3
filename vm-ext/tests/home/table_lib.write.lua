-- The table library works on _home proxies, and what it writes persists.
_home.list = {"c", "a", "d"}
local l = _home.list
table.insert(l, "b")                     -- c a d b
table.insert(l, 1, "e")                  -- e c a d b
assert(table.remove(l, 2) == "c")        -- e a d b
table.sort(l)                            -- a b d e
assert(table.concat(l, "") == "abde")
table.move(l, 2, 4, 3)                   -- a b b d e
table.move({"x", "y"}, 1, 2, 6, l)       -- a b b d e x y
assert(table.remove(l) == "y")           -- a b b d e x
local first, second = table.unpack(l, 1, 2)
assert(first == "a" and second == "b")
_home.nums = {5, 3, 9, 1}
table.sort(_home.nums, function(a, b) return a > b end)
