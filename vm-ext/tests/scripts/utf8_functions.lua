-- utf8 library. Runs under lua5.4 too.
local function has(s, sub)
  for i = 1, #s - #sub + 1 do
    if string.sub(s, i, i + #sub - 1) == sub then return true end
  end
  return false
end
local function checkerr(sub, f, ...)
  local ok, m = pcall(f, ...)
  assert(not ok, "expected an error: " .. sub)
  assert(type(m) == "string" and has(m, sub), m)
end

local s = "h\xC3\xA4\xE2\x82\xAC\xF0\x9F\x98\x80"  -- "hä€😀"
assert(utf8.char(104, 228, 8364, 128512) == s)
assert(utf8.char() == "" and utf8.char(0x7FFFFFFF) == "\xFD\xBF\xBF\xBF\xBF\xBF")
assert(utf8.charpattern == "[\0-\x7F\xC2-\xFD][\x80-\xBF]*")
local ps, cs = {}, {}
for p, c in utf8.codes(s) do ps[#ps + 1] = p; cs[#cs + 1] = c end
assert(table.concat(ps, ",") == "1,2,4,7" and table.concat(cs, ",") == "104,228,8364,128512")
local a, b, c, d = utf8.codepoint(s, 1, -1)
assert(a == 104 and b == 228 and c == 8364 and d == 128512)
assert(utf8.codepoint(s) == 104 and utf8.codepoint(s, 4) == 8364)
assert(select('#', utf8.codepoint(s, 3, 2)) == 0)
assert(utf8.len(s) == 4 and utf8.len(s, 2) == 3 and utf8.len("") == 0)
local n, pos = utf8.len("ab\xFFcd"); assert(n == nil and pos == 3)
assert(utf8.len("\xED\xA0\x80") == nil and utf8.len("\xED\xA0\x80", 1, -1, true) == 1)
assert(utf8.len(utf8.char(0x7FFFFFFF)) == nil and utf8.len(utf8.char(0x7FFFFFFF), 1, -1, true) == 1)
assert(utf8.offset(s, 3) == 4 and utf8.offset(s, -1) == 7 and utf8.offset(s, 0, 3) == 2)
assert(utf8.offset(s, 5) == 11 and utf8.offset(s, 6) == nil and utf8.offset("alo", -4) == nil)
checkerr("initial position is a continuation byte", function() utf8.offset(s, 1, 3) end)
checkerr("bad argument #3 to 'offset' (position out of bounds)", function() utf8.offset("abc", 1, 5) end)
checkerr("invalid UTF-8 code", function() utf8.codepoint("\xFF") end)
checkerr("bad argument #1 to 'char' (value out of range)", function() utf8.char(-1) end)
checkerr("bad argument #2 to 'codepoint' (out of bounds)", function() utf8.codepoint("abc", 0) end)
checkerr("bad argument #3 to 'codepoint' (out of bounds)", function() utf8.codepoint("abc", 1, 4) end)
checkerr("bad argument #2 to 'len' (initial position out of bounds)", function() utf8.len("abc", 5) end)
checkerr("bad argument #3 to 'len' (final position out of bounds)", function() utf8.len("abc", 1, 4) end)
checkerr("invalid UTF-8 code", function() for _ in utf8.codes("a\xFFb") do end end)
local lax = {}
for _, c in utf8.codes("\xED\xA0\x80", true) do lax[#lax + 1] = c end
assert(lax[1] == 0xD800)
