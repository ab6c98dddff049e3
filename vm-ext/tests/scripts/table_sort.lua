-- table.sort: default order, comparators, __lt, invalid order functions.
-- Runs under lua5.4 too.
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
local function sorted(t, lt)
  lt = lt or function(x, y) return x < y end
  for i = 2, #t do
    if lt(t[i], t[i - 1]) then return false end
  end
  return true
end

local t = {5, 3, 1, 4, 2}
table.sort(t); assert(table.concat(t, ",") == "1,2,3,4,5")
table.sort(t, function(x, y) return x > y end); assert(table.concat(t, ",") == "5,4,3,2,1")
local s = {"banana", "apple", "cherry", "Apple"}
table.sort(s); assert(table.concat(s, " ") == "Apple apple banana cherry")
local mixed = {3, 1.5, 2, -1, 2.25}
table.sort(mixed); assert(table.concat(mixed, " ") == "-1 1.5 2 2.25 3")
table.sort({}); table.sort({1})

-- larger inputs, with and without a comparator
local N = 2000
local r = {}
for i = 1, N do r[i] = (i * 7919) % 1009 end
table.sort(r); assert(sorted(r))
table.sort(r, function(x, y) return x > y end)
assert(sorted(r, function(x, y) return x > y end))
local same = {}
for i = 1, 500 do same[i] = 7 end
table.sort(same); assert(sorted(same))
local eq = {}
for i = 1, 300 do eq[i] = false end
table.sort(eq, function() return false end)

-- __lt metamethods are used by the default order
local lt = {__lt = function(x, y) return x.v < y.v end}
local objs = {}
for i = 1, 20 do objs[i] = setmetatable({v = (i * 7) % 20}, lt) end
table.sort(objs)
for i = 2, 20 do assert(objs[i - 1].v < objs[i].v) end

-- errors
checkerr("invalid order function for sorting", function()
  local x = {}
  for i = 1, 100 do x[i] = i end
  table.sort(x, function() return true end)
end)
checkerr("attempt to compare", function() table.sort({1, "x", 2}) end)
checkerr("attempt to compare", function() table.sort({{}, {}}) end)
checkerr("bad argument #1 to 'sort' (table expected, got nil)", function() table.sort(nil) end)
checkerr("bad argument #2 to 'sort' (function expected, got table)", function() table.sort({1, 2}, {}) end)
checkerr("oops", function() table.sort({3, 2, 1}, function() error("oops") end) end)


-- A Lua comparator at every length around the one from which table.sort
-- runs its Lua version (8 items), and one that errors, yields or rewrites
-- the table, on either side of it.
for n = 1, 40 do
  local a = {}
  for i = 1, n do a[i] = {k = (i * 37) % 11, i = i} end
  table.sort(a, function(x, y) return x.k < y.k end)
  assert(#a == n)
  local seen = {}
  for i = 1, n do
    assert(i == 1 or a[i - 1].k <= a[i].k)
    assert(not seen[a[i].i]); seen[a[i].i] = true
  end
end
for _, n in ipairs({5, 50}) do
  local x = {}
  for i = 1, n do x[i] = n - i end
  checkerr("boom", function()
    table.sort(x, function(a, b) if a == 3 or b == 3 then error("boom") end return a < b end)
  end)
  local co = coroutine.wrap(function()
    table.sort(x, function(a, b) coroutine.yield() return a < b end)
  end)
  checkerr("attempt to yield across a C-call boundary", co)
  -- The comparator's own errors carry its position.
  local ok, m = pcall(table.sort, x, function(a, b) error("cmp failed") end)
  assert(not ok and has(m, "table_sort.lua:") and has(m, "cmp failed"), m)
  -- A comparator that rewrites the table: no crash, the same kind of values.
  pcall(table.sort, x, function(a, b) x[1] = 0 return a < b end)
  for i = 1, n do assert(math.type(x[i]) == "integer") end
  assert(#x == n)
end
