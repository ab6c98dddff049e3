-- io and loadfile on real (or in-memory) files: what the official files.lua
-- found, each checked against Debian's lua5.4. A sandboxed host (no file
-- system) returns at once. Runs under lua5.4 too.
local ok, name = pcall(os.tmpname)
if not ok then return end
local other = os.tmpname()

local function write(s, mode)
  local f = assert(io.open(name, mode or "wb"))
  assert(f:write(s))
  assert(f:close())
end

-- read("n"): a numeral longer than 200 characters fails after consuming 200
write("1234" .. string.rep("0", 300) .. "\n5")
local f = assert(io.open(name))
assert(f:read("n") == nil)
assert(f:read("L") == string.rep("0", 104) .. "\n")
assert(f:read("n") == 5)
f:close()
write(string.rep("1", 200) .. " 7")
f = assert(io.open(name))
assert(f:read("n") == 1.1111111111111111e199 and f:read("n") == 7)
f:close()

-- lines: at most 250 formats (argument 252 is one too many)
write("abc\n")
local fmts = {}
for i = 1, 250 do fmts[i] = 0 end
assert(select("#", io.lines(name, table.unpack(fmts))()) == 250)
fmts[251] = 0
local okl, msg = pcall(io.lines, name, table.unpack(fmts))
assert(not okl and string.find(msg, "bad argument #252 to", 1, true)
       and string.find(msg, "(too many arguments)", 1, true), msg)
f = assert(io.open(name))
okl, msg = pcall(f.lines, f, table.unpack(fmts))
assert(not okl and string.find(msg, "too many arguments", 1, true), msg)
f:close()

-- io.lines() on the default input returns only its iterator and leaves the
-- input open after the loop; io.lines(name) closes its own file
write("a\nb\n")
io.input(name)
assert(select("#", io.lines(nil, "L")) == 1)
local s = ""
for l in io.lines(nil, "L") do s = s .. l end
assert(s == "a\nb\n" and io.type(io.input()) == "file")
assert(io.close(io.input()))
io.input(io.stdin)
assert(select("#", io.lines(name)) == 4)

-- loadfile skips a UTF-8 byte order mark, then a first '#' line
local function loads(src, expected)
  write(src)
  local fn = assert(loadfile(name))
  assert(fn() == expected)
end
loads("\xEF\xBB\xBF# some comment\nreturn 234", 234)
loads("\xEF\xBB\xBFreturn 239", 239)
loads("\xEF\xBB\xBF", nil)
loads("# a comment\nreturn require'debug'.getinfo(1).currentline", 2)
-- ... and a binary chunk may follow that line
local okd, dumped = pcall(string.dump, function () return 20 end)
if okd then
  loads("#comment for a binary file\0\n" .. dumped, 20)
end

-- writes are buffered as C's: fully by default, "no", "line"
f = assert(io.open(name, "w"))
local r = assert(io.open(name, "r"))
assert(f:setvbuf("full", 2000))
f:write("x")
assert(r:read("a") == "")      -- still in the buffer
assert(f:seek("cur") == 1)     -- a seek writes it
r:seek("set")
assert(r:read("a") == "x")
f:write("y")
assert(f:flush() == true)       -- true, as luaL_fileresult gives
assert(io.flush() == true)
r:seek("set")
assert(r:read("a") == "xy")
assert(f:setvbuf("no"))
f:write("z")
r:seek("set")
assert(r:read("a") == "xyz")   -- no buffer: written at once
assert(f:setvbuf("line"))
f:write("1")
r:seek("set")
assert(r:read("a") == "xyz")   -- no newline yet
f:write("2\n3")
r:seek("set")
assert(r:read("a") == "xyz12\n3")
f:write("4")
assert(f:close())              -- close writes the rest
r:seek("set")
assert(r:read("a") == "xyz12\n34")
r:close()

-- a file read and written through one handle sees its own writes
f = assert(io.open(name, "w+"))
f:write("hello")
assert(f:seek("set") == 0 and f:read("a") == "hello")
f:write("!")
assert(f:seek("set", 4) == 4 and f:read("a") == "o!")
f:close()

-- writing to a file opened for reading fails at once, even when buffered
f = assert(io.open(name))
local a, b, c = f:write("no")
assert(a == nil and type(b) == "string" and math.type(c) == "integer")
f:close()

-- io.flush on a closed default output is an error
io.output(other)
io.close()
local okf, mf = pcall(io.flush)
assert(not okf and string.find(mf, "default output file is closed", 1, true), mf)
io.output(io.stdout)

-- io.tmpfile works like any file
local t = io.tmpfile()
assert(t:write("tmp") == t and t:seek("set") == 0 and t:read("a") == "tmp")
t:close()

assert(os.remove(name))
assert(os.remove(other))
