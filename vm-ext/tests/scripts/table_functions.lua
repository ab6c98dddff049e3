-- table library: insert/remove/concat/unpack/pack/move and their errors,
-- including tables with __index/__newindex/__len. Runs under lua5.4 too.
local function has(s, sub)
  for i = 1, #s - #sub + 1 do
    if string.sub(s, i, i + #sub - 1) == sub then return true end
  end
  return false
end
local function checkerr(sub, f, ...)
  local ok, m = pcall(f, ...)
  assert(not ok, "expected an error: " .. sub)
  assert(type(m) == "string" and has(m, sub), m)
end

-- insert / remove
local t = {1, 2, 3}
table.insert(t, 4); table.insert(t, 1, 0)
assert(table.concat(t, ",") == "0,1,2,3,4")
table.insert(t, #t + 1, 5)
assert(t[6] == 5)
checkerr("bad argument #1 to 'insert' (table expected, got nil)", function() table.insert(nil, 1) end)
checkerr("wrong number of arguments to 'insert'", function() table.insert({}, 1, 2, 3) end)
checkerr("wrong number of arguments to 'insert'", function() table.insert({}) end)
checkerr("position out of bounds", function() table.insert({}, 5, 2) end)
checkerr("position out of bounds", function() table.insert({}, 0, 2) end)
checkerr("bad argument #2 to 'insert' (number expected, got string)", function() table.insert({}, "x", 2) end)
assert(table.remove(t) == 5 and table.remove(t, 1) == 0)
assert(table.concat(t, ",") == "1,2,3,4")
assert(table.remove({}) == nil)
local z = {[0] = "zero"}; assert(table.remove(z, 0) == "zero" and z[0] == nil)
local e = {}; assert(table.remove(e, #e + 1) == nil)
checkerr("position out of bounds", function() table.remove({1, 2, 3}, 7) end)

-- concat
assert(table.concat({}) == "" and table.concat({}, "x") == "")
assert(table.concat({1, 2.5, 3.0, "s"}, ", ") == "1, 2.5, 3.0, s")
assert(table.concat({1, 2, 3}, "-", 2, 3) == "2-3")
assert(table.concat({1, 2, 3}, "-", 3, 2) == "")
checkerr("at index 1 in table for 'concat'", function() table.concat({{}}) end)
checkerr("at index 2 in table for 'concat'", function() table.concat({1}, "", 1, 2) end)

-- unpack / pack
local a, b, c = table.unpack({1, 2, 3}); assert(a == 1 and b == 2 and c == 3)
assert(select('#', table.unpack({1, 2, 3}, 2)) == 2)
assert(select('#', table.unpack({1, 2, 3}, 2, 5)) == 4)
assert(select('#', table.unpack({}, 3, 1)) == 0)
local big = (1 << 31) - 1
checkerr("too many results to unpack", function() table.unpack({}, 0, big) end)
checkerr("too many results to unpack", function() table.unpack({}, math.mininteger, math.maxinteger) end)
checkerr("too many results to unpack", function() table.unpack({}, 1, 1e7) end)
local u1, u2 = table.unpack({[big] = 20}, big, big); assert(u1 == 20 and u2 == nil)
local p = table.pack(1, nil, 3)
assert(p.n == 3 and p[1] == 1 and p[2] == nil and p[3] == 3)
assert(table.pack().n == 0)

-- move
local m = table.move({1, 2, 3, 4, 5}, 2, 4, 1)
assert(table.concat(m, ",") == "2,3,4,4,5")
m = table.move({1, 2, 3, 4, 5}, 1, 3, 3)
assert(table.concat(m, ",") == "1,2,1,2,3")
local dest = {}
assert(table.move({1, 2, 3}, 1, 3, 2, dest) == dest and dest[1] == nil and dest[4] == 3)
assert(table.move({}, 1, 0, 1) ~= nil)
checkerr("too many elements to move", function() table.move({}, 0, math.maxinteger, 1) end)
checkerr("too many elements to move", function() table.move({}, -1, math.maxinteger - 1, 1) end)
checkerr("destination wrap around", function() table.move({}, 1, math.maxinteger, 2) end)
checkerr("destination wrap around", function() table.move({}, 1, 2, math.maxinteger) end)
local mv = table.move({[math.maxinteger - 2] = 1, [math.maxinteger - 1] = 2, [math.maxinteger] = 3},
  math.maxinteger - 2, math.maxinteger, -10, {})
assert(mv[-10] == 1 and mv[-9] == 2 and mv[-8] == 3)

-- metamethods are honoured
local virt = setmetatable({}, {__index = function(_, k) return k * 10 end,
  __len = function() return 4 end})
assert(table.concat(virt, ",") == "10,20,30,40")
local v1, v2, v3, v4, v5 = table.unpack(virt)
assert(v1 == 10 and v4 == 40 and v5 == nil)
assert(table.concat(table.move(virt, 1, 3, 1, {}), ",") == "10,20,30")
local log = {}
local watched = setmetatable({}, {__newindex = function(tt, k, v)
  log[#log + 1] = k; rawset(tt, k, v)
end})
table.insert(watched, "x"); table.insert(watched, 1, "y")
assert(watched[1] == "y" and watched[2] == "x" and #log == 2)
local lenless = setmetatable({}, {__len = function() return "abc" end})
checkerr("object length is not an integer", function() table.insert(lenless, 1) end)
local huge = setmetatable({}, {__len = function() return math.maxinteger end})
checkerr("array too big", function() table.sort(huge) end)
-- the comparator is checked only when there is something to sort
assert(pcall(table.sort, {}, 5) and pcall(table.sort, {1}, 5))
checkerr("bad argument #2 to 'sort' (function expected, got number)", function() table.sort({2, 1}, 5) end)

-- concat over the array part and past it: items below 1, in the hash part,
-- holes, the largest index, a weak table
local function concat_err(t, sep, i, j)
  local ok, m = pcall(table.concat, t, sep, i, j)
  assert(not ok)
  return m
end
assert(table.concat({"a", "b", "c"}, nil, 2, 3) == "bc")
local mixed = {[0] = "z", "a", "b"}
mixed[5] = "e"; mixed[3] = "c"; mixed[4] = "d"
assert(table.concat(mixed, "", 0, 5) == "zabcde")
assert(table.concat({[-1] = "m", [0] = "n"}, "/", -1, 0) == "m/n")
assert(string.find(concat_err({"a", nil, "c"}, ",", 1, 3),
  "invalid value (nil) at index 2 in table for 'concat'", 1, true))
-- (explicit bounds: piccolo's VM hands a stale register for a missing
-- argument here)
assert(string.find(concat_err({"a", {}, "c"}, ",", 1, 3),
  "invalid value (table) at index 2 in table for 'concat'", 1, true))
assert(string.find(concat_err({"a", "b"}, ",", 1, 4), "at index 3 in table", 1, true))
-- the basic type, not __name (luaL_typename)
assert(string.find(concat_err({"a", setmetatable({}, {__name = "Thing"})}, ",", 1, 2),
  "invalid value (table) at index 2 in table for 'concat'", 1, true))
assert(string.find(concat_err({}, ",", math.maxinteger, math.maxinteger),
  "at index " .. math.maxinteger .. " in table", 1, true))
assert(table.concat({[math.maxinteger] = "x"}, ",", math.maxinteger, math.maxinteger) == "x")
assert(table.concat(setmetatable({"p", "q", "r"}, {__mode = "k"}), "+") == "p+q+r")
local digits = {}
for i = 1, 1000 do digits[i] = i % 10 end
local joined = table.concat(digits)
assert(#joined == 1000 and string.sub(joined, 1, 12) == "123456789012")

-- unpack of plain tables (called in place) and of tables with metamethods
assert(select("#", table.unpack({1, 2, 3})) == 3)
local u1, u2, u3 = table.unpack({1, 2, 3}, 2)
assert(u1 == 2 and u2 == 3 and u3 == nil)
assert(select("#", table.unpack({}, 1, 3)) == 3)
assert(select("#", table.unpack({1, 2}, 3, 2)) == 0)
local computed = setmetatable({}, {
  __index = function(_, k) return k * 10 end,
  __len = function() return 3 end,
})
local c1, c2, c3 = table.unpack(computed)
assert(c1 == 10 and c2 == 20 and c3 == 30)
local okb, eb = pcall(table.unpack, {}, 1, 1e8)
assert(not okb and string.find(eb, "too many results to unpack", 1, true), eb)
okb, eb = pcall(table.unpack, {}, "x", 2)
assert(not okb and string.find(eb, "bad argument #2 to", 1, true) and string.find(eb, "number expected", 1, true), eb)
local function unpacked() local t = {4, 5, 6}; return table.unpack(t, 1, 3) end
local all = {unpacked()}
assert(#all == 3 and all[3] == 6)
