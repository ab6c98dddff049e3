-- tonumber and string<->number coercions.
assert(tonumber("10") == 10 and math.type(tonumber("10")) == "integer")
assert(tonumber("10.0") == 10.0 and math.type(tonumber("10.0")) == "float")
assert(tonumber("  0x10  ") == 16 and tonumber("1e1") == 10.0 and tonumber(".5") == 0.5)
assert(tonumber("") == nil and tonumber("abc") == nil and tonumber("1 2") == nil)
assert(tonumber("0x") == nil and tonumber("1e") == nil)
assert(tonumber(nil) == nil and tonumber({}) == nil and tonumber(true) == nil)
assert(tonumber("-0x10") == -16 and tonumber("0x1p4") == 16.0)
-- bases
assert(tonumber("ff", 16) == 255 and tonumber("777", 8) == 511 and tonumber("zz", 36) == 1295)
assert(tonumber("1010", 2) == 10 and tonumber("8", 8) == nil and tonumber(" 11 ", 2) == 3)
local ok, e = pcall(function() return tonumber("1", 1) end)
assert(not ok and e:find("bad argument #2 to 'tonumber' (base out of range)", 1, true))
-- decimal strings beyond the integer range become floats
assert(math.type(tonumber("9223372036854775808")) == "float")
assert(tonumber("9223372036854775807") == math.maxinteger)
-- string arithmetic follows the string's syntax
assert("10" + 0 == 10 and math.type("10" + 0) == "integer" and "10" * 1.0 == 10.0)
assert(10 .. 20 == "1020")
-- math.tointeger with strings (5.4.3+ returns fail for non-numbers)
assert(math.tointeger(2^31) == 2147483648)
-- string.format %d with float integral values
assert(string.format("%d", 2^31) == "2147483648")
-- integer to float conversions in for loops
local n = 0
for i = 1, 3, 0.5 do n = n + 1 end
assert(n == 5)
-- tostring(-nan) and friends are platform text; only check type
assert(type(tostring(0/0)) == "string")
