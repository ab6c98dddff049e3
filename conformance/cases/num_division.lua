-- Floor division and modulo, for integers and floats, positive and negative.
assert(7 // 2 == 3 and -7 // 2 == -4 and 7 // -2 == -4 and -7 // -2 == 3)
assert(7 % 3 == 1 and -7 % 3 == 2 and 7 % -3 == -2 and -7 % -3 == -1)
assert(math.type(7 // 2) == "integer" and math.type(7 // 2.0) == "float")
assert(7.5 // 2 == 3.0 and -7.5 // 2 == -4.0)
assert(5.5 % 2 == 1.5 and -5.5 % 2 == 0.5 and 5.5 % -2 == -0.5)
assert(1 // 0.0 == math.huge and -1 // 0.0 == -math.huge)
local m = 0.0 % 0.0
assert(m ~= m)
assert(math.mininteger // -1 == math.mininteger)
assert(math.mininteger % -1 == 0)
assert(3 % math.huge == 3 and -3 % math.huge == math.huge)
-- the identity a == (a // b) * b + a % b
for _, a in ipairs({7, -7, 13, -13, 0}) do
  for _, b in ipairs({2, -2, 5, -5}) do
    assert(a == (a // b) * b + a % b)
  end
end
local ok, e = pcall(function(x) return 1 // x end, 0)
assert(not ok and e:find("attempt to divide by zero", 1, true))
ok, e = pcall(function(x) return 1 % x end, 0)
assert(not ok and e:find("attempt to perform 'n%%0'"))
-- math.fmod truncates
assert(math.fmod(-7, 3) == -1 and math.fmod(7, -3) == 1)
assert(math.type(math.fmod(7, 3)) == "integer")
