-- Strings share a metatable whose __index is the string library.
local mt = getmetatable("")
assert(type(mt) == "table" and mt.__index == string)
assert(("abc"):upper() == "ABC")
local s = "hello"
assert(s:len() == 5 and s:sub(2, 3) == "el" and s:rep(2, "-") == "hello-hello")
assert(("%d-%s"):format(3, "x") == "3-x")
assert(#s == 5)
-- numbers do not have methods
local ok = pcall(function() local n = 5; return n:foo() end)
assert(not ok)
-- indexing a string with a missing method gives nil
assert(("x").nope == nil)
