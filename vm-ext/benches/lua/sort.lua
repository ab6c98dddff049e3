-- table.sort of 100k numbers, without and with a Lua comparator.
-- Run with `lua5.4 vm-ext/benches/lua/sort.lua`; `bench_table` runs the same
-- script in luahome. Prints "name seconds" lines.
local N = 100000
local function fill()
  local t, x = {}, 42
  for i = 1, N do
    x = (x * 1103515245 + 12345) % 2147483648
    t[i] = x
  end
  return t
end

local t = fill()
local start = os.clock()
table.sort(t)
print("sort_default", os.clock() - start)

t = fill()
start = os.clock()
table.sort(t, function(a, b) return a > b end)
print("sort_comparator", os.clock() - start)

for i = 2, N do assert(t[i - 1] >= t[i]) end
