-- table.sort with and without a comparator.
local t = {5, 2, 8, 1, 9, 3}
table.sort(t)
assert(table.concat(t, " ") == "1 2 3 5 8 9")
table.sort(t, function(a, b) return a > b end)
assert(table.concat(t, " ") == "9 8 5 3 2 1")
local s = {"banana", "apple", "Cherry"}
table.sort(s)
assert(s[1] == "Cherry" and s[2] == "apple" and s[3] == "banana")
local recs = {{n = "b", v = 2}, {n = "a", v = 1}, {n = "c", v = 3}}
table.sort(recs, function(x, y) return x.v < y.v end)
assert(recs[1].n == "a" and recs[3].n == "c")
-- mixed integers and floats
local mixed = {3, 1.5, 2, -1}
table.sort(mixed)
assert(mixed[1] == -1 and mixed[2] == 1.5 and mixed[4] == 3)
-- larger input
local big = {}
for i = 1, 500 do big[i] = (i * 7919) % 1000 end
table.sort(big)
for i = 2, 500 do assert(big[i - 1] <= big[i]) end
-- errors
local ok, e = pcall(table.sort, {1, "x"})
assert(not ok and e:find("attempt to compare", 1, true))
ok, e = pcall(table.sort, {1, 2}, 3)
assert(not ok and e:find("bad argument #2 to", 1, true))
