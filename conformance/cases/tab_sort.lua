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
-- integers across the sign and at the extremes (the native path's keys)
local ints = {3, math.mininteger, -1, 0, math.maxinteger, -(1 << 53), 7, -7, 1 << 62, -(1 << 62)}
table.sort(ints)
assert(table.concat(ints, " ") == table.concat({math.mininteger, -(1 << 62), -(1 << 53), -7, -1,
  0, 3, 7, 1 << 62, math.maxinteger}, " "))
for i = 1, #ints do assert(math.type(ints[i]) == "integer") end
local pseudo = {}
local x = 12345
for i = 1, 2000 do
  x = (x * 1103515245 + 12345) % (1 << 31)
  pseudo[i] = (x - (1 << 30)) * 4099
end
table.sort(pseudo)
for i = 2, #pseudo do assert(pseudo[i - 1] <= pseudo[i]) end
-- integers and floats that are equal or close keep their own types
local nums = {2^53, (1 << 53) + 1, 1, 1.0, -0.0, 0, 0.5, math.huge, -math.huge, 1 << 53}
table.sort(nums)
assert(nums[1] == -math.huge and nums[#nums] == math.huge)
for i = 2, #nums do assert(not (nums[i] < nums[i - 1])) end
local kinds = {}
for i = 1, #nums do kinds[#kinds + 1] = math.type(nums[i]) end
table.sort(kinds)
assert(table.concat(kinds, " ") == "float float float float float float integer integer integer integer")
assert(nums[#nums - 1] == (1 << 53) + 1 and math.type(nums[#nums - 1]) == "integer")
-- strings by bytes: prefixes first, embedded zeros, bytes above 127
local strs = {"b", "a\0b", "a", "", "\255", "ab", "a\0", "B"}
table.sort(strs)
assert(table.concat(strs, "|") == table.concat({"", "B", "a", "a\0", "a\0b", "ab", "b", "\255"}, "|"))
-- floats only (the native path's keys): signs, zeros, subnormals, infinities
local fl = {0.5, -0.0, 1e308, -math.huge, 4.9e-324, -4.9e-324, 0.0, -2.5, math.huge, -1e-300, 2.5, -0.5}
table.sort(fl)
assert(table.concat(fl, " ", 1, 5) == table.concat({-math.huge, -2.5, -0.5, -1e-300, -4.9e-324}, " "))
assert(fl[6] == 0 and fl[7] == 0 and math.type(fl[6]) == "float" and math.type(fl[7]) == "float")
assert(table.concat(fl, " ", 8) == table.concat({4.9e-324, 0.5, 2.5, 1e308, math.huge}, " "))
local fpseudo = {}
x = 777
for i = 1, 2000 do
  x = (x * 1103515245 + 12345) % (1 << 31)
  fpseudo[i] = (x - (1 << 30)) / 3.0 * 2.0^((x % 600) - 300)
end
table.sort(fpseudo)
for i = 2, #fpseudo do assert(fpseudo[i - 1] <= fpseudo[i] and math.type(fpseudo[i]) == "float") end
-- mixed integers and floats (sorted apart and merged by exact comparison):
-- order, types and values kept, including integers beyond 2^53 next to
-- floats that round to them
local function key(v)
  return math.type(v) == "integer" and string.format("i%d", v) or string.format("f%a", v)
end
local function counts(t)
  local c = {}
  for i = 1, #t do c[key(t[i])] = (c[key(t[i])] or 0) + 1 end
  return c
end
local mix = {}
x = 4242
for i = 1, 3000 do
  x = (x * 1103515245 + 12345) % (1 << 31)
  local r = x % 8
  if r == 0 then mix[i] = (1 << 53) + (x % 5) - 2
  elseif r == 1 then mix[i] = 2.0^53 + ((x % 3) - 1) * 2
  elseif r == 2 then mix[i] = (x - (1 << 30)) * (1 << 31)
  elseif r == 3 then mix[i] = ((x - (1 << 30)) * (1 << 31)) + 0.0
  elseif r == 4 then mix[i] = (x % 7) - 3
  elseif r == 5 then mix[i] = ((x % 7) - 3) / 2
  elseif r == 6 then mix[i] = math.maxinteger - (x % 3)
  else mix[i] = (x % 2 == 0) and 2.0^63 or -2.0^63 end
end
local before = counts(mix)
table.sort(mix)
for i = 2, #mix do assert(not (mix[i] < mix[i - 1]), i) end
local after = counts(mix)
for k, n in pairs(before) do assert(after[k] == n, k) end
for k, n in pairs(after) do assert(before[k] == n, k) end
