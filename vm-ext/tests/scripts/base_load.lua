-- load, loadfile, dofile. Runs under lua5.4 too.
local function has(s, sub)
  for i = 1, #s - #sub + 1 do
    if string.sub(s, i, i + #sub - 1) == sub then return true end
  end
  return false
end

-- string chunks
local f = load("return 1 + 2"); assert(f() == 3)
assert(load("local a, b = ...; return b, a")(1, 2) == 2)
local g, msg = load("x =", "=mychunk")
assert(g == nil and has(msg, "mychunk:1:"))
g, msg = load("x =", "@file.lua")
assert(g == nil and has(msg, "file.lua:1:"))
g, msg = load("x =")
assert(g == nil and has(msg, '[string "x ="]:1:'))
g, msg = load("x = 1\ny =")
assert(g == nil and has(msg, '[string "x = 1..."]:2:'))

-- errors raised inside loaded chunks carry the chunk name
local ok, e = pcall(load("error('inside')", "=named"))
assert(not ok and e == "named:1: inside")

-- reader functions
local parts = {"return ", "'a'", " .. ", "'b'"}
local i = 0
local h = load(function() i = i + 1; return parts[i] end)
assert(h() == "ab")
local n1, m1 = load(function() return {} end)
assert(n1 == nil and has(m1, "reader function must return a string"))
local n2, m2 = load(function() error("reader failed") end)
assert(n2 == nil and has(m2, "reader failed"))
assert(load(function() return nil end)() == nil)

-- modes
local b1, bm = load("\27Lua", "bin", "t")
assert(b1 == nil and bm == "attempt to load a binary chunk (mode is 't')")
local t1, tm = load("return 1", "txt", "b")
assert(t1 == nil and tm == "attempt to load a text chunk (mode is 'b')")
assert(load("return 1", "txt", "bt")() == 1)

-- env
local env = {y = 5}
assert(load("return y", "c", "t", env)() == 5)
load("z = 7", "c", "t", env)()
assert(env.z == 7 and z == nil)
local okn = pcall(load("return y", "c", "t", nil))
assert(not okn)

-- files that do not exist
local lf, lm = loadfile("/nonexistent/dir/file.lua")
assert(lf == nil and has(lm, "cannot open /nonexistent/dir/file.lua"))
local okd, dm = pcall(dofile, "/nonexistent/dir/file.lua")
assert(not okd and has(dm, "cannot open /nonexistent/dir/file.lua"))
