-- The utf8 library.
assert(utf8.char(72, 228, 8364, 128512) == "H\xC3\xA4\xE2\x82\xAC\xF0\x9F\x98\x80")
assert(utf8.char() == "")
assert(utf8.charpattern == "[\0-\x7F\xC2-\xFD][\x80-\xBF]*")
local s = "häll€"
assert(utf8.len(s) == 5 and #s == 8)
assert(utf8.len(s, 4) == 3 and utf8.len("") == 0 and utf8.len(s, 3) == nil)
local bad, pos = utf8.len("ab\xFFcd")
assert(bad == nil and pos == 3)
assert(utf8.codepoint(s, 2) == 228)
local a, b = utf8.codepoint(s, 1, 3)
assert(a == 104 and b == 228)
assert(utf8.offset(s, 3) == 4 and utf8.offset(s, -1) == 6 and utf8.offset(s, 6) == 9)
assert(utf8.offset(s, 0, 3) == 2)
local cps = {}
for p, c in utf8.codes(s) do cps[#cps + 1] = p .. ":" .. c end
assert(table.concat(cps, " ") == "1:104 2:228 4:108 5:108 6:8364")
local ok, e = pcall(function() for _ in utf8.codes("a\xFF") do end end)
assert(not ok and e:find("invalid UTF-8 code", 1, true))
ok, e = pcall(function() return utf8.codepoint("\xFF") end)
assert(not ok and e:find("invalid UTF-8 code", 1, true))
-- patterns with charpattern
local chars = {}
for c in s:gmatch(utf8.charpattern) do chars[#chars + 1] = c end
assert(#chars == 5 and chars[5] == "€")
-- lax mode accepts code points up to 2^31
assert(#utf8.char(0x7FFFFFFF) == 6)
assert(utf8.len("\xF4\x90\x80\x80") == nil and utf8.len("\xF4\x90\x80\x80", 1, -1, true) == 1)
