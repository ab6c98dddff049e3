-- Numeric and string literals (Lua 5.4 manual, 3.1).
assert(0x10 == 16 and 0xff == 255 and 0XA == 10)
assert(1e2 == 100.0 and .5 == 0.5 and 3. == 3.0 and 0x.8p1 == 1.0)
assert(math.type(1) == "integer" and math.type(1.0) == "float")
assert(math.type(1e2) == "float" and math.type(0x10) == "integer")
assert(0xA.8p0 == 10.5 and 0x1p4 == 16.0)
-- hexadecimal integers wrap around
assert(0xffffffffffffffff == -1)
assert(0x7fffffffffffffff == math.maxinteger)
-- decimal integer overflow becomes a float
assert(math.type(9223372036854775808) == "float")
-- escapes
assert("\65\066\x43" == "ABC")
assert("\u{48}\u{49}" == "HI")
assert("\u{7FF}" == "\xDF\xBF")
assert("a\z
        b" == "ab")
assert("tab\there" == "tab" .. string.char(9) .. "here")
assert('\'' == "'" and "\"" == '"' and "\\" == string.char(92))
assert("\0" ~= "" and #"\0" == 1 and #"a\0b" == 3)
assert("line1\
line2" == "line1\nline2")
-- long strings skip the first newline
local s = [[
x]]
assert(s == "x")
assert([==[a]]b]==] == "a]]b")
