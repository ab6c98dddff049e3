-- table.insert/remove at a position and table.sort, with the items in the
-- array part, in the hash part, across both, in weak tables and in tables
-- with a metatable: the items after the position move in one go only when
-- the array part holds them all. Runs under lua5.4 too.
local function seq(t, n)
  local parts = {}
  for i = 1, n do parts[i] = tostring(t[i]) end
  return table.concat(parts, ",")
end
local function check_shifts(t, label)
  -- t holds 1..6 (wherever)
  table.insert(t, 3, "a")
  assert(seq(t, 7) == "1,2,a,3,4,5,6", label .. " insert " .. seq(t, 7))
  table.insert(t, 1, "b")
  assert(seq(t, 8) == "b,1,2,a,3,4,5,6", label .. " insert front " .. seq(t, 8))
  table.insert(t, 8, "c")
  assert(seq(t, 9) == "b,1,2,a,3,4,5,c,6", label .. " insert before last " .. seq(t, 9))
  assert(table.remove(t, 1) == "b")
  assert(seq(t, 9) == "1,2,a,3,4,5,c,6,nil", label .. " remove front " .. seq(t, 9))
  assert(table.remove(t, 3) == "a" and #t == 7)
  assert(table.remove(t, 7) == 6 and t[7] == nil)
  assert(seq(t, 7) == "1,2,3,4,5,c,nil", label .. " remove " .. seq(t, 7))
  table.sort(t, function(x, y) return tostring(x) > tostring(y) end)
  assert(seq(t, 7) == "c,5,4,3,2,1,nil", label .. " sort " .. seq(t, 7))
end
check_shifts({1, 2, 3, 4, 5, 6}, "array")
local h = {}
for i = 6, 1, -1 do h[i] = i end -- written from the top: the hash part
check_shifts(h, "hash")
local m = {1, 2, 3}
m[5] = 5; m[6] = 6; m[4] = 4
check_shifts(m, "mixed")
check_shifts(setmetatable({1, 2, 3, 4, 5, 6}, {__mode = "k"}), "weak")
check_shifts(setmetatable({1, 2, 3, 4, 5, 6}, {}), "metatable")
-- a long front insert/remove sequence against a model moved by hand
local big, model, mn = {}, {}, 0
for i = 1, 200 do
  table.insert(big, 1, i)
  for j = mn, 1, -1 do model[j + 1] = model[j] end
  model[1] = i; mn = mn + 1
  if i % 3 == 0 then
    local r = model[2]
    for j = 2, mn - 1 do model[j] = model[j + 1] end
    model[mn] = nil; mn = mn - 1
    assert(table.remove(big, 2) == r)
  end
end
for i = 1, #model do assert(big[i] == model[i]) end
assert(#big == #model and big[#big + 1] == nil)
local s = {5, 3, 1, 4, 2}
table.sort(s)
assert(seq(s, 6) == "1,2,3,4,5,nil")
