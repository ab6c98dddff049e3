-- Bitwise operators on 64-bit integers.
assert(5 & 3 == 1 and 5 | 3 == 7 and 5 ~ 3 == 6 and ~0 == -1)
assert(1 << 4 == 16 and 256 >> 4 == 16 and -1 >> 1 == math.maxinteger)
assert(1 << 63 == math.mininteger and 1 << 64 == 0 and 1 >> 64 == 0)
assert(1 << -1 == 0 and 2 >> -1 == 4)
assert(0xFF ~ 0x0F == 0xF0)
-- floats with integral values and numeric strings convert
assert(2.0 | 1 == 3)
-- strings are not coerced by bitwise operators (no string metamethods for them)
assert(not pcall(function(s) return s | 0 end, "3"))
-- precedence: shifts bind tighter than &, which binds tighter than ~ and |
assert(1 | 2 ~ 3 & 4 << 1 == 1 | (2 ~ (3 & (4 << 1))))
assert(1 + 1 << 1 == 4)
local ok, e = pcall(function(x) return x | 0 end, 1.5)
assert(not ok and e:find("has no integer representation", 1, true))
ok, e = pcall(function(x) return x & 1 end, {})
assert(not ok and e:find("attempt to perform bitwise operation on a table value", 1, true))
-- math.ult
assert(math.ult(1, -1) and not math.ult(-1, 1))
