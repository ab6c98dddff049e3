-- goto and labels.
local n = 0
::top::
n = n + 1
if n < 5 then goto top end
assert(n == 5)
-- continue idiom
local odd = {}
for i = 1, 6 do
  if i % 2 == 0 then goto continue end
  odd[#odd + 1] = i
  ::continue::
end
assert(#odd == 3 and odd[3] == 5)
-- breaking out of nested loops
local found
for i = 1, 5 do
  for j = 1, 5 do
    if i * j == 12 then found = i .. "x" .. j; goto done end
  end
end
::done::
assert(found == "3x4")
-- closures in a goto loop capture a fresh local each time
local fs = {}
do
  local i = 1
  ::again::
  local x = i
  fs[#fs + 1] = function() return x end
  i = i + 1
  if i <= 3 then goto again end
end
assert(fs[1]() == 1 and fs[3]() == 3)
-- compile errors
local _, e = load("goto l1; local a; ::l1:: print(a)", "=g")
assert(e == "g:1: <goto l1> at line 1 jumps into the scope of local 'a'")
_, e = load("::a:: ::a::", "=g")
assert(e == "g:1: label 'a' already defined on line 1")
_, e = load("do ::x:: end goto x", "=g")
assert(e:find("^g:1: no visible label 'x' for <goto>"))
-- a label at the end of a block is visible even after locals
assert(load("do local a goto e; local b ::e:: end"))
