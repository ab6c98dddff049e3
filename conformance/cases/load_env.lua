-- load, custom environments, _ENV, dofile-free chunks.
local f = load("return 1 + 1")
assert(f() == 2)
f = load("local a, b = ...; return a * b")
assert(f(6, 7) == 42)
-- load returns nil plus a message on syntax errors
local g, e = load("return +", "=bad")
assert(g == nil and e == "bad:1: unexpected symbol near '+'")
-- chunk names
g, e = load("error('x')", "@file.lua")
local ok, m = pcall(g)
assert(m == "file.lua:1: x")
g = load("error('x')", "literal code")
ok, m = pcall(g)
assert(m == '[string "literal code"]:1: x')
-- a function as the chunk source
local parts = {"return ", "10", " + ", "5"}
local i = 0
f = load(function() i = i + 1; return parts[i] end)
assert(f() == 15)
-- custom environment
local env = {x = 5}
f = load("x = x + 1; return x", "=env", "t", env)
assert(f() == 6 and env.x == 6 and rawget(_G, "x") == nil)
-- _ENV as a local
do
  local _ENV = {assert = assert, y = 3}
  z = y * 2
  assert(_ENV.z == 6)
end
assert(rawget(_G, "z") == nil)
-- functions see the _ENV of their chunk
local function withenv()
  local _ENV = {v = "inner"}
  return function() return v end
end
assert(withenv()() == "inner")
-- mode "b" rejects text chunks
g, e = load("return 1", "=m", "b")
assert(g == nil and e == "attempt to load a text chunk (mode is 'b')")
-- _G
assert(_G._G == _G and _G.print == print)
-- string.dump round trip
local dumped = string.dump(function(a) return a * 3 end)
assert(load(dumped, "d", "b")(5) == 15)
-- select('#') of loaded chunk results
assert(select("#", load("return")()) == 0)
