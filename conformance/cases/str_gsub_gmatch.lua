-- string.gsub and string.gmatch.
local r, n = string.gsub("hello world", "o", "0")
assert(r == "hell0 w0rld" and n == 2)
r, n = string.gsub("hello", "l", "L", 1)
assert(r == "heLlo" and n == 1)
assert(string.gsub("abc", "%w", "%0%0") == "aabbcc")
assert(string.gsub("hello world", "(%w+) (%w+)", "%2 %1") == "world hello")
assert(string.gsub("a%b", "%%", "%%%%") == "a%%b")
-- table and function replacements; false/nil keeps the match
local t = {name = "lua", version = "5.4"}
assert(string.gsub("$name $version $none", "%$(%w+)", t) == "lua 5.4 $none")
assert(string.gsub("1 2 3", "%d", function(d) return d * 2 end) == "2 4 6")
assert(string.gsub("abc", ".", function(c) if c == "b" then return false end return "x" end) == "xbx")
-- empty matches
r, n = string.gsub("abc", "", "-")
assert(r == "-a-b-c-" and n == 4)
r, n = string.gsub("hello world", "%w*", "X")
assert(r == "X X" and n == 2)
-- anchored gsub
assert(string.gsub("aaa", "^a", "b") == "baa")
-- invalid replacement
local ok, e = pcall(string.gsub, "abc", "b", "%2")
assert(not ok and e:find("invalid capture index %2", 1, true))
ok, e = pcall(string.gsub, "abc", "b", "%x")
assert(not ok and e == "invalid use of '%' in replacement string")
-- gmatch
local words = {}
for w in string.gmatch("one two  three", "%a+") do words[#words + 1] = w end
assert(#words == 3 and words[3] == "three")
local pairs_ = {}
for k, v in string.gmatch("a=1, b=2", "(%w+)=(%w+)") do pairs_[k] = tonumber(v) end
assert(pairs_.a == 1 and pairs_.b == 2)
local count = 0
for _ in string.gmatch("abc", "") do count = count + 1 end
assert(count == 4)
-- gmatch with an init position (5.4)
local first = string.gmatch("abc abc", "abc", 2)()
assert(first == "abc")
local it = string.gmatch("x1y2", "%a(%d)")
assert(it() == "1" and it() == "2" and it() == nil)
