-- Lua 5.4's checktab: a non-table stands in for a table when its metatable
-- has __index (read), __newindex (write) and __len (length) as each function
-- needs; otherwise "table expected". Errors raised by the metamethod paths
-- carry the caller's chunk:line. The plain part runs under lua5.4 too; the
-- _home part needs luahome (a proxy is the userdata Lua code can make).
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

-- a file handle has __index but no __newindex/__len: refused everywhere
-- checktab asks for more than reading
checkerr("bad argument #1 to 'insert' (table expected, got FILE*)", function() table.insert(io.stdout, 1) end)
checkerr("bad argument #1 to 'remove' (table expected, got FILE*)", function() table.remove(io.stdout) end)
checkerr("bad argument #1 to 'concat' (table expected, got FILE*)", function() table.concat(io.stdout) end)
checkerr("bad argument #1 to 'sort' (table expected, got FILE*)", function() table.sort(io.stdout) end)
checkerr("bad argument #5 to 'move' (table expected, got FILE*)", function() table.move({}, 1, 1, 1, io.stdout) end)
checkerr("bad argument #1 to 'move' (table expected, got FILE*)", function() table.move(io.stdout, 1, 1, 1) end)
checkerr("bad argument #1 to 'insert' (table expected, got number)", function() table.insert(5, 1) end)
checkerr("bad argument #1 to 'sort' (table expected, got string)", function() table.sort("abc") end)
checkerr("bad argument #1 to 'remove' (table expected, got no value)", function() table.remove() end)
-- move checks its integer arguments before the tables, as Lua does
checkerr("bad argument #2 to 'move' (number expected, got no value)", function() table.move(io.stdout) end)

-- errors raised on the metamethod path have the caller's position
local virt = setmetatable({}, {__index = function(_, k) return k end,
  __len = function() return 3 end, __newindex = rawset})
local ok, m = pcall(function() table.insert(virt, 9, "x") end)
assert(not ok and has(m, "table_checktab.lua:") and has(m, "position out of bounds"), m)
ok, m = pcall(function() table.concat(virt, ",", 1, 2, 3) end)
assert(ok, m)
ok, m = pcall(function() table.concat(setmetatable({}, {__index = function() return {} end}), ",", 1, 2) end)
assert(not ok and has(m, "table_checktab.lua:") and has(m, "invalid value (table) at index 1"), m)

if _home == nil then return end

-- _home proxies (userdata with __index, __newindex and __len)
_home.list = {30, 10, 20}
local l = _home.list
assert(type(l) == "userdata")
table.insert(l, 40)
table.insert(l, 1, 5)
assert(#l == 5 and table.concat(l, ",") == "5,30,10,20,40")
assert(table.concat(l, "-", 2, 3) == "30-10")
assert(table.remove(l) == 40 and table.remove(l, 1) == 5 and #l == 3)
local a, b, c, d = table.unpack(l)
assert(a == 30 and b == 10 and c == 20 and d == nil)
assert(select("#", table.unpack(l, 2, 5)) == 4)
table.sort(l)
assert(table.concat(l, ",") == "10,20,30")
table.sort(l, function(x, y) return x > y end)
assert(table.concat(l, ",") == "30,20,10")
-- overlapping move inside one proxy goes backwards, as for tables
table.move(l, 1, 3, 2)
assert(table.concat(l, ",") == "30,30,20,10")
local copy = table.move(l, 1, 4, 1, {})
assert(type(copy) == "table" and table.concat(copy, ",") == "30,30,20,10")
assert(table.move({1, 2}, 1, 2, 3, l) == l and table.concat(l, ",") == "30,30,1,2")
checkerr("position out of bounds", function() table.insert(l, 9, 1) end)
checkerr("wrong number of arguments to 'insert'", function() table.insert(l) end)
checkerr("position out of bounds", function() table.remove(l, 9) end)
checkerr("invalid value (nil) at index 5 in table for 'concat'", function() table.concat(l, ",", 1, 5) end)
checkerr("invalid order function for sorting", function()
  local big = {}
  for i = 1, 50 do big[i] = i end
  _home.big = big
  table.sort(_home.big, function() return true end)
end)
-- the error from the proxy path has this file's position, not the fallback's
ok, m = pcall(function() table.remove(l, 9) end)
assert(not ok and has(m, "table_checktab.lua:"), m)
-- values stored through the proxy are refused the same way as assignments
checkerr("", function() table.insert(l, coroutine.create(print)) end)
assert(#l == 4)
_home.list, _home.big = nil, nil
