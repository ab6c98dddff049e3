-- table.insert, table.remove, table.concat, table.unpack, table.pack, table.move.
local t = {}
table.insert(t, "a"); table.insert(t, "c"); table.insert(t, 2, "b")
assert(#t == 3 and t[1] == "a" and t[2] == "b" and t[3] == "c")
assert(table.remove(t) == "c" and #t == 2)
assert(table.remove(t, 1) == "a" and t[1] == "b" and #t == 1)
assert(table.remove({}) == nil)
local ok, e = pcall(function() table.insert({1, 2}, 5, 0) end)
assert(not ok and e:find("bad argument #2 to 'insert' (position out of bounds)", 1, true))
ok, e = pcall(function() table.insert({}, 1, 2, 3) end)
assert(not ok and e:find("wrong number of arguments to 'insert'", 1, true))
assert(table.concat({1, 2, 3}) == "123" and table.concat({1, 2, 3}, ", ") == "1, 2, 3")
assert(table.concat({"a", "b", "c"}, "-", 2, 3) == "b-c" and table.concat({}, "x") == "")
assert(table.concat({1, 2.5, "x"}, " ") == "1 2.5 x")
ok, e = pcall(function() return table.concat({1, {}, 3}) end)
assert(not ok and e:find("in table for 'concat'", 1, true))
local a, b, c = table.unpack({1, 2, 3})
assert(a == 1 and b == 2 and c == 3)
a, b = table.unpack({1, 2, 3}, 2, 3)
assert(a == 2 and b == 3)
local p = table.pack()
assert(p.n == 0)
local m = table.move({1, 2, 3}, 1, 3, 2)
assert(m[1] == 1 and m[2] == 1 and m[3] == 2 and m[4] == 3)
local dst = table.move({1, 2, 3}, 1, 3, 1, {})
assert(#dst == 3 and dst[3] == 3)
-- table functions respect metamethods (5.3+)
local log = {}
local proxy = setmetatable({}, {
  __index = function(_, k) return k * 10 end,
  __len = function() return 3 end,
})
assert(table.concat(proxy, ",") == "10,20,30")
assert(select("#", table.unpack(proxy)) == 3)
