-- string.dump and load of binary chunks (Lua 5.4 rules: upvalues start nil
-- except the first, which gets load's env; mode letters; stripping). Runs
-- under lua5.4 too; the parts about the chunk format itself only where the
-- dump is luahome's own.
local function has(s, sub)
  return type(s) == "string" and string.find(s, sub, 1, true) ~= nil
end
local function cannotload(sub, f, msg)
  assert(f == nil and has(msg, sub), msg)
end

-- a round trip keeps code, constants and nested functions
local function adder(x)
  return function(y)
    return function(z) return x + y + z, "const", 2.5, 1 << 40 end
  end
end
local d = string.dump(adder)
assert(type(d) == "string" and string.sub(d, 1, 4) == "\27Lua")
local a2 = load(d)
assert(type(a2) == "function" and a2 ~= adder)
local s, c, fl, big = a2(2)(3)(10)
assert(s == 15 and c == "const" and fl == 2.5 and big == 1 << 40)

-- recursion through a local (an upvalue of the inner function)
local fib = load(string.dump(function(n)
  local function r(k) if k < 2 then return k end return r(k - 1) + r(k - 2) end
  return r(n)
end))
assert(fib(20) == 6765)

-- varargs, loops, tables
local va = load(string.dump(function(...)
  local t = {...}
  local sum = 0
  for i, v in ipairs(t) do sum = sum + i * v end
  for k = 1, select("#", ...) do sum = sum + k end
  return sum, #t
end))
local sum, n = va(1, 2, 3)
assert(sum == 14 + 6 and n == 3)

-- a main chunk: its only upvalue is _ENV, bound to load's env
local chunk = load("x = 1; return x, ...")
local bin = string.dump(chunk)
local g = assert(load(bin, nil, "b"))
local r1, r2 = g("arg")
assert(r1 == 1 and r2 == "arg" and x == 1)
x = nil
local env = {}
local g2 = assert(load(bin, "=env", "bt", env))
assert(g2() == 1 and env.x == 1 and x == nil)
-- any value is a valid env
assert(load(string.dump(load("return _ENV")), nil, nil, 123)() == 123)

-- upvalues start nil, except the first, which gets env (or the globals):
-- whatever variable it was (Lua's manual on load)
local u1, u2 = 10, 20
local function uses()
  return u1, u2
end
local h = load(string.dump(uses))
local h1, h2 = h()
assert(h1 == _G and h2 == nil)
local h1b = load(string.dump(uses), nil, "b", "E")()
assert(h1b == "E")
-- env given as nil: the first upvalue is nil too
local hn1, hn2 = load(string.dump(uses), nil, "b", nil)()
assert(hn1 == nil and hn2 == nil)
-- a function with upvalues keeps working on its own fresh cells
local count = 0
local counter = load(string.dump(function() count = (count or 0) + 1; return count end), nil, "b", 0)
assert(counter() == 1 and counter() == 2 and count == 0)
-- a function without upvalues ignores env
assert(load(string.dump(function() return 7 end), nil, "b", {})() == 7)

-- modes
cannotload("attempt to load a binary chunk (mode is 't')", load(bin, "x", "t"))
cannotload("attempt to load a text chunk (mode is 'b')", load("return 1", "x", "b"))
assert(load(bin, "x", "bt") and load(bin, "x", "b"))
-- a reader function delivering the binary piece by piece
local i = 0
local pieces = assert(load(function()
  i = i + 1
  return string.sub(bin, i, i)
end, "pieces", "b"))
assert(pieces() == 1)
x = nil

-- stripping keeps behaviour
local st = load(string.dump(adder, true))
assert(st(1)(1)(1) == 3)
assert(#string.dump(adder, true) <= #string.dump(adder))
assert(debug.getinfo(st, "S").source == "=?")

-- errors: natives, non-functions, damaged chunks
assert(not pcall(string.dump, print))
local ok, m = pcall(string.dump, print)
assert(has(m, "unable to dump given function"), m)
ok, m = pcall(string.dump)
assert(not ok and has(m, "bad argument #1 to '") and has(m, "(function expected, got no value)"), m)
ok, m = pcall(string.dump, {})
assert(not ok and has(m, "(function expected, got table)"), m)
cannotload("binary string: bad binary format", load(string.sub(d, 1, #d - 1)))
cannotload("named: bad binary format", load(string.sub(d, 1, 10), "=named"))
cannotload("bad binary format", load("\27Lua"))
cannotload("bad binary format", load("\27"))
-- errors inside a reloaded function keep their position
local boom = load(string.dump(function() error("boom") end))
ok, m = pcall(boom)
assert(not ok and has(m, "string_dump.lua:") and has(m, "boom"), m)

-- luahome's own format: its marker, and refusal of reference Lua bytecode
if string.sub(d, 32, 50) == "\0" .. string.rep("\127", 10) .. "luahome\1" then
  -- Lua 5.4's header (as calls.lua checks it), then the project's guard.
  assert(string.sub(d, 1, 15) == "\27Lua\84\0\25\147\r\n\26\n\4\8\8")
  assert(string.unpack("<i8", d, 16) == 0x5678 and string.unpack("<d", d, 24) == 370.5)
  cannotload("binary string: bad binary format (precompiled by another Lua (version byte 0x54)",
    load(string.sub(d, 1, 31) .. "\1\0\0\0\0\0\0\0\0"))  -- a lua5.4 chunk's start
  cannotload("bad binary format (truncated chunk)", load(string.sub(d, 1, 30)))
  cannotload("unexpected bytes after the function", load(d .. "x"))
end
