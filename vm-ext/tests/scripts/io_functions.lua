-- io library: io.write to stdout and files when the host has a file
-- system (the sandboxed runtime reports that it has none). Runs under lua5.4 too.
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

assert(io.write() == io.stdout)
assert(io.type(io.stdout) == "file" and io.type(42) == nil and io.type(io.stdin) == "file")
assert(io.output() == io.stdout and io.input() == io.stdin)
local c1, c2 = io.close(io.stdout); assert(c1 == nil and c2 == "cannot close standard file")
assert(io.stdout:setvbuf("no") == true)
checkerr("bad argument #2 to 'open' (invalid mode)", function() io.open("x", "rw") end)
checkerr("bad argument #1 to 'read' (invalid format)", function() io.read("x") end)
local n, m, code = io.open("/nonexistent/dir/file")
assert(n == nil and has(m, "/nonexistent/dir/file: ") and math.type(code) == "integer")
checkerr("/nonexistent/dir/file", function() io.lines("/nonexistent/dir/file") end)

local ok, name = pcall(os.tmpname)
if not ok then
  -- A sandboxed host: no file system.
  assert(has(name, "unable to generate a unique filename"))
  return
end

local f = assert(io.open(name, "w"))
assert(io.type(f) == "file" and string.sub(tostring(f), 1, 6) == "file (")
assert(f:write("line1\n", "line2\n", 42, " 3.5 0x10 hello\n", "last") == f)
assert(f:close() == true)
assert(io.type(f) == "closed file" and tostring(f) == "file (closed)")
checkerr("attempt to use a closed file", function() f:write("x") end)

f = assert(io.open(name))
assert(f:read() == "line1" and f:read("L") == "line2\n")
local a, b, c = f:read("n", "n", "n")
assert(a == 42 and math.type(a) == "integer" and b == 3.5 and c == 16)
assert(f:read(3) == " he" and f:read(0) == "" and f:read("a") == "llo\nlast")
assert(f:read("a") == "" and f:read("l") == nil and f:read(0) == nil)
assert(f:seek("set", 2) == 2 and f:read(3) == "ne1" and f:seek("cur") == 5)
assert(f:seek("end") == 34)
f:close()

local lines = {}
for l in io.lines(name) do lines[#lines + 1] = l end
assert(#lines == 4 and lines[3] == "42 3.5 0x10 hello" and lines[4] == "last")
for x, y in io.lines(name, 1, 2) do assert(x == "l" and y == "in"); break end
local total = 0
for l in assert(io.open(name)):lines("L") do total = total + #l end
assert(total == 34)

f = assert(io.open(name, "a+"))
f:write("\nappended")
assert(f:seek("set") == 0 and #f:read("a") == 43)
f:close()

io.output(name)
io.write("via default output")
io.close()
io.output(io.stdout)
io.input(name)
assert(io.read("a") == "via default output")
io.close(io.input())
io.input(io.stdin)

local t = io.tmpfile()
t:write("tmp"); t:seek("set"); assert(t:read("a") == "tmp"); t:close()

assert(os.remove(name) == true)
local r1, r2 = os.remove(name)
assert(r1 == nil and has(r2, "No such file or directory"))
assert(io.open(name) == nil)
