-- error, pcall, xpcall and error values.
local ok, e = pcall(error, "msg", 0)
assert(not ok and e == "msg")
ok, e = pcall(error)
assert(not ok and e == nil)
ok, e = pcall(error, {1})
assert(not ok and e[1] == 1)
ok, e = pcall(error, 42)
assert(not ok and e == 42)
-- pcall returns all results on success
local a, b, c = pcall(function() return 1, 2 end)
assert(a == true and b == 1 and c == 2)
-- error levels add position information
local f = load("error('here')", "=chunk")
ok, e = pcall(f)
assert(e == "chunk:1: here")
f = load("local function g() error('up', 2) end\ng()", "=lvl")
ok, e = pcall(f)
assert(e == "lvl:2: up")
-- xpcall with a handler, and extra arguments
ok, e = xpcall(function(x) error(x .. "!", 0) end, function(m) return "handled: " .. m end, "boom")
assert(not ok and e == "handled: boom!")
local r1, r2 = xpcall(function(x, y) return x + y end, print, 2, 3)
assert(r1 == true and r2 == 5)
-- errors in the handler
ok, e = xpcall(error, function() error("again") end)
assert(not ok)
-- nested pcall
ok, e = pcall(pcall, error, "x")
assert(ok == true and e == false)
-- tostring of error objects is the caller's job
ok, e = pcall(error, setmetatable({}, {__tostring = function() return "E" end}))
assert(tostring(e) == "E")
-- pcall of a non-function
ok, e = pcall(42)
assert(not ok and e == "attempt to call a number value")
