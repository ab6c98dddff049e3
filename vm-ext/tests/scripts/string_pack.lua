-- string.pack / string.unpack / string.packsize (Lua 5.4 formats, alignment,
-- endianness, errors). Expected bytes were produced by reference Lua 5.4.

local function check(expected, got)
  if expected ~= got then
    error(string.format("expected %q, got %q", expected, got), 2)
  end
end

local function errmsg(f, ...)
  local ok, msg = pcall(f, ...)
  assert(not ok, "expected an error")
  return msg
end

local function has(msg, part)
  return string.find(msg, part, 1, true) ~= nil
end

local function R(...)
  return {n = select("#", ...), ...}
end

local function eq(got, ...)
  local n = select("#", ...)
  local want = {...}
  if got.n ~= n then
    error("expected " .. n .. " results, got " .. got.n, 2)
  end
  for i = 1, n do
    if got[i] ~= want[i] then
      error("value " .. i .. ": expected " .. tostring(want[i]) .. ", got " .. tostring(got[i]), 2)
    end
  end
end

-- pack: exact bytes
check("\1", string.pack("b", 1))
check("ÿ", string.pack("b", -1))
check("ÿ", string.pack("B", 255))
check("þÿ", string.pack("h", -2))
check("\1\2", string.pack(">h", 258))
check("\2\1", string.pack("<H", 258))
check("\1\0\0\0", string.pack("i", 1))
check("ÿÿÿ", string.pack("i3", -1))
check("\1\2\3", string.pack(">i3", 0x10203))
check("ÿÿ", string.pack("I2", 65535))
check("ÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿ", string.pack("i16", -1))
check("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", string.pack(">i16", 1))
check("ÿÿÿÿÿÿÿ\127\0\0\0\0\0\0\0\0", string.pack("<I16", math.maxinteger))
check("\0\0\0\0\0\0\0€", string.pack("j", math.mininteger))
check("ÿÿÿÿÿÿÿÿ", string.pack("J", -1))
check("\7\0\0\0\0\0\0\0", string.pack("l", 7))
check("\7\0\0\0\0\0\0\0", string.pack("L", 7))
check("\7\0\0\0\0\0\0\0", string.pack("T", 7))
check("\0\0À?", string.pack("f", 1.5))
check("À\0\0\0", string.pack(">f", -2))
check("š™™™™™¹?", string.pack("d", 0.1))
check("\127ð\0\0\0\0\0\0", string.pack(">d", 1/0))
check("\0\0\0\0\0\0\8@", string.pack("n", 3))
check("\0\0\0\0\0\0\
@", string.pack("<n", 3.25))
check("\2\0\0\0\0\0\0\0hi", string.pack("s", "hi"))
check("\2hi", string.pack("s1", "hi"))
check("\0\2hi", string.pack(">s2", "hi"))
check("\0\0\0\0", string.pack("s4", ""))
check("abc\0", string.pack("z", "abc"))
check("ab\0\0\0", string.pack("c5", "ab"))
check("", string.pack("c0", ""))
check("abc", string.pack("c3", "abc"))
check("\0", string.pack("x"))
check("\1\0\2\0", string.pack("bxh", 1, 2))
check("\1\0\2\0", string.pack("!bh", 1, 2))
check("\1\0\2\0\0\0\0\0\0\0", string.pack("!2 b i8", 1, 2))
check("\1\0\0\0\0\0\0\0\0\0\0@", string.pack("!4 b d", 1, 2))
check("\1\0\0\0\0\0\0\0\0\0\0\0\0\0\0@", string.pack("!8 b d", 1, 2))
check("\1\2", string.pack("b Xi4 b", 1, 2))
check("\1\0", string.pack("!bXh", 1))
check("\1\2\3", string.pack("  <b >b =b", 1, 2, 3))
check("\1\2\0\3\0\0\0\4\0\0\0\0\0\0\0", string.pack("i1i2i4i8", 1, 2, 3, 4))
check("\1\2\3\4\5", string.pack(">I5", 0x0102030405))
check("\12", string.pack("b", "12"))
check("\3\0\0\0", string.pack("i", 3.0))
assert(string.packsize("b") == 1)
assert(string.packsize("h") == 2)
assert(string.packsize("i") == 4)
assert(string.packsize("i7") == 7)
assert(string.packsize("j") == 8)
assert(string.packsize("f") == 4)
assert(string.packsize("d") == 8)
assert(string.packsize("n") == 8)
assert(string.packsize("c10") == 10)
assert(string.packsize("!bd") == 16)
assert(string.packsize("!4 b d") == 12)
assert(string.packsize("bxxh") == 5)
assert(string.packsize("!8 b Xd") == 8)
assert(string.packsize("<>!=  ") == 0)
assert(string.packsize("") == 0)
assert(string.packsize("T") == 8)
assert(string.packsize("!16 b d") == 16)
assert(string.packsize("!2 b i16") == 18)

-- unpack: values and the next position
eq(R(string.unpack("b", "\255")), -1, 2)
eq(R(string.unpack("B", "\255")), 255, 2)
eq(R(string.unpack(">h", "\1\2")), 258, 3)
eq(R(string.unpack("<i3", "\255\255\255")), -1, 4)
eq(R(string.unpack("<I3", "\255\255\255")), 16777215, 4)
eq(R(string.unpack("<i16", string.pack("<i16", -3))), -3, 17)
eq(R(string.unpack(">J", string.pack(">J", math.mininteger))), math.mininteger, 9)
eq(R(string.unpack("d", string.pack("d", 0.1))), 0.1, 9)
eq(R(string.unpack(">f", string.pack(">f", 1.5))), 1.5, 5)
eq(R(string.unpack("n", string.pack("n", -1/0))), -1/0, 9)
eq(R(string.unpack("s1", "\3abcd")), "abc", 5)
eq(R(string.unpack("z", "abc\0def")), "abc", 5)
eq(R(string.unpack("zz", "a\0b\0")), "a", "b", 5)
eq(R(string.unpack("c2", "abc")), "ab", 3)
eq(R(string.unpack("c0", "abc")), "", 1)
eq(R(string.unpack("b", "abc", 2)), 98, 3)
eq(R(string.unpack("b", "abc", -1)), 99, 4)
eq(R(string.unpack("", "abc", 4)), 4)
eq(R(string.unpack("!4 b i4", string.pack("!4 b i4", 1, 2))), 1, 2, 9)
eq(R(string.unpack("b Xi4 b", string.pack("b Xi4 b", 1, 2))), 1, 2, 3)
eq(R(string.unpack("!4 b Xi4 b", string.pack("!4 b Xi4 b", 1, 2))), 1, 2, 6)
eq(R(string.unpack("i1 x i1", "\1\0\2")), 1, 2, 4)
eq(R(string.unpack("<i9", "\255\255\255\255\255\255\255\127\0")), math.maxinteger, 10)
local packed = string.pack("i4 s2 z d", 100, "str", "zs", 2.5)
eq(R(string.unpack("i4 s2 z d", packed)), 100, "str", "zs", 2.5, #packed + 1)

-- errors
local function chk(part, f, ...)
  local msg = errmsg(f, ...)
  assert(has(msg, part), msg)
end
chk("integral size (17) out of limits [1,16]", string.pack, "i17", 1)
chk("integral size (0) out of limits [1,16]", string.pack, "i0", 1)
chk("integral size (17) out of limits [1,16]", string.packsize, "!17")
chk("missing size for format option 'c'", string.pack, "c", "")
chk("invalid format option 'y'", string.pack, "y", 1)
chk("invalid next option for option 'X'", string.pack, "X")
chk("invalid next option for option 'X'", string.pack, "Xc1")
chk("invalid next option for option 'X'", string.packsize, "bXz")
chk("format asks for alignment not power of 2", string.pack, "!4 i3 Xi3", 1)
chk("integer overflow", string.pack, "b", 128)
chk("integer overflow", string.pack, "i2", -32769)
chk("unsigned overflow", string.pack, "B", 256)
chk("unsigned overflow", string.pack, "B", -1)
chk("string longer than given size", string.pack, "c2", "abc")
chk("string length does not fit in given size", string.pack, "s1", string.rep("x", 256))
chk("string contains zeros", string.pack, "z", "a\0b")
chk("number expected, got string", string.pack, "i", "x")
chk("number has no integer representation", string.pack, "i", 1.5)
chk("number expected, got nil", string.pack, "i")
chk("variable-length format", string.packsize, "s")
chk("variable-length format", string.packsize, "z")
chk("format result too large", string.packsize, "c1000000000c1000000000c1000000000")
chk("invalid format option '7'", string.packsize, "c2147483647")
chk("data string too short", string.unpack, "i4", "abc")
chk("data string too short", string.unpack, "s1", "\5abc")
chk("data string too short", string.unpack, "c4", "abc")
chk("unfinished string for format 'z'", string.unpack, "z", "abc")
chk("initial position out of string", string.unpack, "b", "abc", 5)
chk("9-byte integer does not fit into Lua Integer", string.unpack, "<i9", "\0\0\0\0\0\0\0\0\1")
chk("16-byte integer does not fit into Lua Integer", string.unpack, "<I16", string.rep("\255", 16))
