-- string.len/sub/upper/lower/reverse/rep/byte/char/dump (Lua 5.4 semantics)

local function errmsg(f, ...)
  local ok, msg = pcall(f, ...)
  assert(not ok, "expected an error")
  return msg
end

local function has(msg, part)
  return string.find(msg, part, 1, true) ~= nil
end

-- Reference Lua names a function called through pcall 'string.len', and
-- 'len' when called from Lua code; accept both.
local function checkarg(n, fname, detail, f, ...)
  local msg = errmsg(f, ...)
  assert(has(msg, "bad argument #" .. n .. " to '") and has(msg, fname .. "' (" .. detail .. ")"), msg)
end

-- len
assert(string.len("") == 0)
assert(string.len("abc") == 3)
assert(string.len("a\0b") == 3)
assert(string.len(123) == 3)
assert(string.len(1.5) == 3)
checkarg(1, "len", "string expected, got no value", string.len)
checkarg(1, "len", "string expected, got table", string.len, {})

-- sub
local s = "123456789"
assert(string.sub(s, 2, 4) == "234")
assert(string.sub(s, 7) == "789")
assert(string.sub(s, 7, 6) == "")
assert(string.sub(s, 0, 0) == "")
assert(string.sub(s, -10, 10) == s)
assert(string.sub(s, -1) == "9")
assert(string.sub(s, -4) == "6789")
assert(string.sub(s, -6, -4) == "456")
assert(string.sub(s, math.mininteger, -4) == "123456")
assert(string.sub(s, math.mininteger, math.maxinteger) == s)
assert(string.sub(s, math.maxinteger, math.mininteger) == "")
assert(string.sub(s, 3.0, "5") == "345")
assert(string.sub("", 1, 1) == "")
checkarg(2, "sub", "number has no integer representation", string.sub, s, 1.5)
checkarg(2, "sub", "number expected, got string", string.sub, s, "x")
checkarg(2, "sub", "number expected, got no value", string.sub, s)

-- upper/lower/reverse
assert(string.upper("abc\0xyZ") == "ABC\0XYZ")
assert(string.lower("ABC\0xyZ\200") == "abc\0xyz\200")
assert(string.upper("\225") == "\225")
assert(string.reverse("") == "")
assert(string.reverse("abc\0d") == "d\0cba")

-- rep
assert(string.rep("ab", 3) == "ababab")
assert(string.rep("ab", 3, ",") == "ab,ab,ab")
assert(string.rep("ab", 0) == "")
assert(string.rep("ab", -5) == "")
assert(string.rep("", 10) == "")
assert(string.rep("", 1e6) == "")
assert(string.rep("x", 1, "sep") == "x")
assert(string.rep("", 3, "-") == "--")
assert(string.rep(1, 3) == "111")
assert(has(errmsg(string.rep, "x", 2^62), "resulting string too large"))
assert(has(errmsg(string.rep, "xx", math.maxinteger, "y"), "resulting string too large"))
checkarg(2, "rep", "number expected, got no value", string.rep, "x")

-- byte
assert(string.byte("a") == 97)
assert(string.byte("") == nil)
assert(string.byte("hi", -1) == 105)
local a, b, c = string.byte("abc", 1, -1)
assert(a == 97 and b == 98 and c == 99)
assert(select("#", string.byte("abc", 2, 10)) == 2)
assert(select("#", string.byte("abc", 3, 2)) == 0)
assert(select("#", string.byte("abc", 0)) == 0)
assert(string.byte("abc", -10, 1) == 97)
assert(string.byte("\0") == 0)
assert(string.byte("\255") == 255)

-- char
assert(string.char() == "")
assert(string.char(72, 105) == "Hi")
assert(string.char(0, 255) == "\0\255")
assert(string.char("65") == "A")
checkarg(1, "char", "value out of range", string.char, 256)
checkarg(2, "char", "value out of range", string.char, 65, -1)
checkarg(2, "char", "number expected, got string", string.char, 65, "x")

-- dump: functions are not dumpable here
assert(has(errmsg(string.dump, print), "unable to dump given function"))
checkarg(1, "dump", "function expected, got number", string.dump, 1)

-- the library is a table of functions
for _, name in ipairs({"byte", "char", "dump", "find", "format", "gmatch", "gsub", "len",
                       "lower", "match", "rep", "reverse", "sub", "upper", "pack",
                       "packsize", "unpack"}) do
  assert(type(string[name]) == "function", name)
end
