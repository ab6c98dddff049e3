-- Lua patterns: find, match, gmatch, gsub (Lua 5.4 semantics and errors).

local function errmsg(f, ...)
  local ok, msg = pcall(f, ...)
  assert(not ok, "expected an error")
  return msg
end

local function has(msg, part)
  return string.find(msg, part, 1, true) ~= nil
end

-- All results of a call, with their count.
local function R(...)
  return {n = select("#", ...), ...}
end

-- Compares a call's results (from R) with the expected values, count included.
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

-- find: positions, init, plain
eq(R(string.find("hello world", "o w")), 5, 7)
eq(R(string.find("hello", "l")), 3, 3)
eq(R(string.find("hello", "l", 4)), 4, 4)
eq(R(string.find("hello", "l", -2)), 4, 4)
eq(R(string.find("hello", "xyz")), nil)
eq(R(string.find("hello", "")), 1, 0)
eq(R(string.find("hello", "", 10)), nil)
eq(R(string.find("hello", "", 6)), 6, 5)
eq(R(string.find("hello", "", -100)), 1, 0)
eq(R(string.find("a.b", ".", 1, true)), 2, 2)
eq(R(string.find("a+b", "+", 1, true)), 2, 2)
eq(R(string.find("a(b", "(", 1, true)), 2, 2)
eq(R(string.find("abc", "b", nil, nil)), 2, 2)
eq(R(string.find("", "")), 1, 0)
eq(R(string.find("abc", "^b")), nil)
eq(R(string.find("abc", "^a")), 1, 1)
eq(R(string.find("abc", "c$")), 3, 3)
eq(R(string.find("a$c", "$c")), 2, 3)
eq(R(string.find("a^c", "a^")), 1, 2)
eq(R(string.find("key = value", "(%w+)%s*=%s*(%w+)")), 1, 11, "key", "value")
local s1, e1, k, v = string.find("key = value", "(%w+)%s*=%s*(%w+)")
assert(k == "key" and v == "value")
eq(R(string.find("a\0b", "%z")), 2, 2)
eq(R(string.find("a\0b", "\0")), 2, 2)
eq(R(string.find("a\0b", "[\0]")), 2, 2)
eq(R(string.find(123456, 34)), 3, 4)

-- match: captures, position captures, anchors
eq(R(string.match("hello world", "%w+")), "hello")
eq(R(string.match("hello world", "(%w+) (%w+)")), "hello", "world")
eq(R(string.match("  trim  ", "^%s*(.-)%s*$")), "trim")
eq(R(string.match("hello", "()ll()")), 3, 5)
eq(R(string.match("hello", "h()")), 2)
eq(R(string.match("abc", "((a)(b))")), "ab", "a", "b")
eq(R(string.match("2024-01-15", "(%d+)-(%d+)-(%d+)")), "2024", "01", "15")
eq(R(string.match("hello", ".-")), "")
eq(R(string.match("hello", "l*")), "")
eq(R(string.match("hello", "l+")), "ll")
eq(R(string.match("aaab", "a-b")), "aaab")
eq(R(string.match("color", "colou?r")), "color")
eq(R(string.match("colour", "colou?r")), "colour")
eq(R(string.match("x = 10", "x = (%d+)", 1)), "10")
eq(R(string.match("abc", "b", -1)), nil)
eq(R(string.match("abcabc", "(abc)%1")), "abc")
eq(R(string.match("abab", "(a)(b)%2")), nil)
eq(R(string.match("xyyx", "(x)(y)%2%1")), "x", "y")
eq(R(string.match("f(a(b)c)d", "%b()")), "(a(b)c)")
eq(R(string.match("f(a(bc)d", "%b()")), "(bc)")
eq(R(string.match("[[x]]", "%b[]")), "[[x]]")
eq(R(string.match("THE (quick) fox", "%f[%a]%a+")), "THE")
eq(R(string.match("THE (quick) fox", "%f[%l]%a+")), "quick")
eq(R(string.match("hello", "%f[%z]")), "")
eq(R(string.match("end", "%f[%z]()")), 4)
eq(R(string.match("a]b", "[]]")), "]")
eq(R(string.match("a-b", "[a%-]+")), "a-")
eq(R(string.match("a-b", "[%a-]+")), "a-b")
eq(R(string.match("^x", "[%^x]+")), "^x")
eq(R(string.match("abc123", "[^%d]+")), "abc")
eq(R(string.match("abc123", "[a-b]+")), "ab")
eq(R(string.match("z-", "[a-]+")), "-")
eq(R(string.match("-a", "[a-]+")), "-a")
eq(R(string.match("\200\201", "[\200-\210]+")), "\200\201")
assert(has(errmsg(string.match, "x", "[]"), "malformed pattern (missing ']')"))

-- classes and complements
eq(R(string.match("ab12 \t\n;!", "%a+")), "ab")
eq(R(string.match("ab12", "%d+")), "12")
eq(R(string.match("ab12", "%D+")), "ab")
eq(R(string.match("Ab", "%u%l")), "Ab")
eq(R(string.match("  x", "%S")), "x")
eq(R(string.match(";!x", "%p+")), ";!")
eq(R(string.match("\1\2x", "%c+")), "\1\2")
eq(R(string.match("fF9g", "%x+")), "fF9")
eq(R(string.match("a_b", "%w+")), "a")
eq(R(string.match(" \t\n\v\f\r", "%s+")), " \t\n\v\f\r")
eq(R(string.match("a b", "%g+")), "a")
eq(R(string.match("a.b", "%.(.)")), "b")
eq(R(string.match("\0", "%c")), "\0")
eq(R(string.match("\127", "%c")), "\127")
eq(R(string.match("\200", "%a")), nil)

-- gmatch
local words = {}
for w in string.gmatch("one two  three", "%a+") do words[#words + 1] = w end
assert(#words == 3 and words[1] == "one" and words[3] == "three")
local pairs_ = {}
for k2, v2 in string.gmatch("a=1, b=2", "(%w+)=(%w+)") do pairs_[k2] = v2 end
assert(pairs_.a == "1" and pairs_.b == "2")
local count = 0
for _ in string.gmatch("abc", "") do count = count + 1 end
assert(count == 4)
local pos = {}
for p in string.gmatch("abc", "()") do pos[#pos + 1] = p end
assert(#pos == 4 and pos[1] == 1 and pos[4] == 4)
local fromInit = {}
for w in string.gmatch("one two three", "%a+", 5) do fromInit[#fromInit + 1] = w end
assert(#fromInit == 2 and fromInit[1] == "two")
local fromNeg = {}
for w in string.gmatch("one two three", "%a+", -5) do fromNeg[#fromNeg + 1] = w end
assert(#fromNeg == 1 and fromNeg[1] == "three")
local none = 0
for _ in string.gmatch("abc", "x", 10) do none = none + 1 end
assert(none == 0)
local anch = {}
for w in string.gmatch("^a^b", "^.") do anch[#anch + 1] = w end
assert(#anch == 2 and anch[1] == "^a" and anch[2] == "^b")
local it = string.gmatch("ab", ".")
assert(it() == "a" and it() == "b" and it() == nil and it() == nil)

-- gsub with a string replacement
eq(R(string.gsub("hello world", "o", "0")), "hell0 w0rld", 2)
eq(R(string.gsub("hello world", "(%w+)", "<%1>")), "<hello> <world>", 2)
eq(R(string.gsub("hello world", "%w+", "%0 %0", 1)), "hello hello world", 1)
eq(R(string.gsub("abc", "%w", "%%")), "%%%", 3)
eq(R(string.gsub("abc", "", "-")), "-a-b-c-", 4)
eq(R(string.gsub("abc", "b*", "-")), "-a-c-", 3)
eq(R(string.gsub("hello", "(l)(l)", "%2%1")), "hello", 1)
eq(R(string.gsub("hello", "l+", "%1")), "hello", 1)
eq(R(string.gsub("abc", "()b", "%1")), "a2c", 1)
eq(R(string.gsub("hello", "^h", "H")), "Hello", 1)
eq(R(string.gsub("hhh", "^h", "H")), "Hhh", 1)
eq(R(string.gsub("hello", "", "x", 0)), "hello", 0)
eq(R(string.gsub("hello", "l", "L", -1)), "hello", 0)
eq(R(string.gsub("hello", "l", "L", 1.0)), "heLlo", 1)
eq(R(string.gsub("abc", ".", 1)), "111", 3)
eq(R(string.gsub("abc", ".", 1.5)), "1.51.51.5", 3)
eq(R(string.gsub("a.b", "%.", "%%")), "a%b", 1)
eq(R(string.gsub("", "", "x")), "x", 1)
eq(R(string.gsub("x y", "%s", "\0")), "x\0y", 1)

-- gsub with a table
local vars = {name = "Lua", ver = 5.4, n = 3}
eq(R(string.gsub("$name $ver $n $nope", "%$(%w+)", vars)), "Lua 5.4 3 $nope", 4)
eq(R(string.gsub("abc", "%w", {a = "1"})), "1bc", 3)
assert(has(errmsg(string.gsub, "abc", "%w", {b = true}), "invalid replacement value (a boolean)"))
eq(R(string.gsub("abc", "%w", {a = false})), "abc", 3)

-- gsub with a function
eq(R(string.gsub("hello world", "%w+", function(w) return string.upper(w) end)), "HELLO WORLD", 2)
eq(R(string.gsub("a=1,b=2", "(%w)=(%w)", function(k3, v3) return v3 .. k3 end)), "1a,2b", 2)
eq(R(string.gsub("abc", "%w", function() end)), "abc", 3)
eq(R(string.gsub("abc", "%w", function(c) if c == "b" then return false end return 7 end)), "7b7", 3)
eq(R(string.gsub("abc", "()", function(p) return p end)), "1a2b3c4", 4)
eq(R(string.gsub("abc", "^.", function(c) return c .. c end)), "aabc", 1)
local calls = 0
eq(R(string.gsub("aaa", "a", function() calls = calls + 1 return "b" end, 2)), "bba", 2)
assert(calls == 2)
-- a replacement function may itself call gsub
eq(R(string.gsub("ab", "%w", function(c) return (string.gsub(c, ".", "%0%0")) end)), "aabb", 2)
assert(errmsg(string.gsub, "abc", "%w", function() error("stop", 0) end) == "stop")

-- errors
assert(has(errmsg(string.find, "a", "%"), "malformed pattern (ends with '%')"))
assert(has(errmsg(string.find, "a", "[a"), "malformed pattern (missing ']')"))
assert(has(errmsg(string.find, "a", "[a%"), "malformed pattern (missing ']')"))
assert(has(errmsg(string.find, "a", "[^"), "malformed pattern (missing ']')"))
assert(has(errmsg(string.find, "a", "%1"), "invalid capture index %1"))
assert(has(errmsg(string.find, "aa", "(a)%2"), "invalid capture index %2"))
assert(has(errmsg(string.find, "a", "(a%1)"), "invalid capture index %1"))
assert(has(errmsg(string.match, "a", "a)"), "invalid pattern capture"))
assert(has(errmsg(string.match, "a", "(a"), "unfinished capture"))
assert(has(errmsg(string.find, "a", "%ba"), "malformed pattern (missing arguments to '%b')"))
assert(has(errmsg(string.find, "a", "%f"), "missing '[' after '%f' in pattern"))
assert(has(errmsg(string.find, "a", "%fa"), "missing '[' after '%f' in pattern"))
assert(has(errmsg(string.gsub, "abc", "(b)", "%2"), "invalid capture index %2"))
assert(has(errmsg(string.gsub, "abc", "b", "%x"), "invalid use of '%' in replacement string"))
assert(has(errmsg(string.gsub, "abc", "b", "x%"), "invalid use of '%' in replacement string"))
assert(has(errmsg(string.gsub, "abc", "b", {b = {}}), "invalid replacement value (a table)"))
assert(has(errmsg(string.gsub, "abc", "b", function() return print end), "invalid replacement value (a function)"))
assert(has(errmsg(string.gsub, "abc", "b"), "string/function/table expected, got no value"))
assert(has(errmsg(string.gsub, "abc", "b", true), "string/function/table expected, got boolean"))
assert(has(errmsg(string.find, "abc"), "string expected, got no value"))
local many = string.rep("()", 33)
assert(has(errmsg(string.find, "a", many), "too many captures"))
eq(R(select("#", string.find("a", string.rep("()", 32)))), 34)
local deep = string.rep("a?", 300)
assert(has(errmsg(string.find, string.rep("a", 300), deep), "pattern too complex"))

-- long subjects stay linear and bounded
local big = string.rep("ab", 50000)
assert(string.gsub(big, "a", "c") == string.rep("cb", 50000))
eq(R(select(2, string.gsub(big, "b", ""))), 50000)
eq(R(string.find(big .. "x", "x")), 100001, 100001)
eq(R(string.find(big .. "x", "%a*x")), 1, 100001)
eq(R(string.match(string.rep("a", 1000), ".-$")), string.rep("a", 1000))

-- gsub looks tables up with __index
local upper = setmetatable({}, {__index = function(_, k) return string.upper(k) end})
eq(R(string.gsub("a alo b hi", "%w%w+", upper)), "a ALO b HI", 2)
local chained = setmetatable({}, {__index = {x = "X"}})
eq(R(string.gsub("xyx", "%w", chained)), "XyX", 3)

-- a gsub that changes nothing returns the subject itself
local long = string.rep("a", 100)
assert(string.format("%p", long) == string.format("%p", (string.gsub(long, "b", "c"))))
assert(string.format("%p", long) == string.format("%p", (string.gsub(long, ".", {x = "y"}))))

-- gmatch's iterator is a C closure over subject, pattern and its state
-- (PUC Lua's three upvalues); a replaced state is an error, not a crash
do
  local it = string.gmatch("a b", "%a")
  assert(it() == "a")
  if debug.setupvalue(it, 3, "x") then
    local ok, err = pcall(it)
    assert(not ok and string.find(err, "state was replaced", 1, true), err)
  end
  -- iterators are independent of each other
  local i1, i2 = string.gmatch("1 2 3", "%d"), string.gmatch("1 2 3", "%d")
  eq(R(i1(), i1(), i2(), i1()), "1", "2", "1", "3")
  eq(R(i1()))
end

-- gsub called in place (string, number and plain-table replacements) and
-- through the executor (functions, tables with __index), long subjects
local gr, gn = string.gsub("abc", "%w", "%0%0")
assert(gr == "aabbcc" and gn == 3)
gr, gn = string.gsub("abc", "b", 5)
assert(gr == "a5c" and gn == 1)
gr = string.gsub("x y", "%w", {x = false, y = "Y"})
assert(gr == "x Y")
gr = string.gsub("ab", "%w", setmetatable({}, {__index = function(_, k) return k .. k end}))
assert(gr == "aabb")
gr, gn = string.gsub("aaa", "a", "b", 2)
assert(gr == "bba" and gn == 2)
local gok, gerr = pcall(string.gsub, "a", "(", "%1")
assert(not gok and string.find(gerr, "unfinished capture", 1, true), gerr)
gok, gerr = pcall(string.gsub, "a", "a", {a = {}})
assert(not gok and string.find(gerr, "invalid replacement value (a table)", 1, true), gerr)
gr, gn = string.gsub(string.rep("ab", 50000), "a", "x")
assert(gn == 50000 and #gr == 100000 and string.sub(gr, 1, 4) == "xbxb")

-- Captures in patterns of single-character items (matched by their byte
-- sets, as the patterns without captures): positions, nesting, anchors,
-- every function, and replacements that name them
do
  eq(R(string.find("  trim me  ", "^%s*(.-)%s*$")), 1, 11, "trim me")
  eq(R(string.match("key = value", "^(%w+)%s*=%s*(%w+)$")), "key", "value")
  eq(R(string.match("hello", "()ll()")), 3, 5)
  eq(R(string.find("xab", "((a)(b()))")), 2, 3, "ab", "a", "b", 4)
  eq(R(string.match("ab", "(a)$")), nil)
  eq(R(string.match("ba", "(a)$")), "a")
  eq(R(string.gsub("hello world", "(o)()", "%2%1")), "hell6o w9orld", 2)
  eq(R(string.gsub("a=1, b=2", "(%w+)=(%w+)", "%2=%1")), "1=a, 2=b", 2)
  eq(R(string.gsub("abc", "(b)", "[%0|%1]")), "a[b|b]c", 1)
  eq(R(string.gsub("abc", "((a)(b))", {ab = "X"})), "Xc", 1)
  eq(R(string.gsub("abc", "()b", {[2] = "two"})), "atwoc", 1)
  eq(R(string.gsub("abc def", "(%w+)", function(w, x) return x == nil and string.upper(w) end)),
    "ABC DEF", 2)
  local kv = {}
  for k, v in string.gmatch("a=1, b=2, c=3", "(%w+)=(%w+)") do kv[#kv + 1] = k .. v end
  eq(R(table.concat(kv, ";")), "a1;b2;c3")
  local ps = {}
  for p in string.gmatch("abc", "()") do ps[#ps + 1] = p end
  eq(R(table.concat(ps, ";")), "1;2;3;4")
  -- a capture's index past the pattern's captures, and malformed ones
  local ok, err = pcall(string.gsub, "abc", "(a)", "%2")
  assert(not ok and string.find(err, "invalid capture index %2", 1, true), err)
  ok, err = pcall(string.find, "abc", "(a")
  assert(not ok and string.find(err, "unfinished capture", 1, true), err)
  ok, err = pcall(string.match, "abc", "a)")
  assert(not ok and string.find(err, "invalid pattern capture", 1, true), err)
  -- a pattern that starts with `x*` or `x+` and fails in a run of `x`
  -- goes on past the run (no match starts inside it)
  eq(R(string.gsub("aaa@b aa x@", "%w+@", "<%0>")), "<aaa@>b aa <x@>", 2)
  eq(R(string.gsub("ab1 ab2 abc", "%a*%d", "#")), "# # abc", 2)
  eq(R(string.gsub("xxy xy xx", "x*y", "-")), "- - xx", 2)
  eq(R(string.gsub("hello world", "(%a+)o", "[%1]")), "[hell] [w]rld", 2)
  eq(R(string.gsub("aaaa", "a*$", "E")), "E", 1)
  local ws = {}
  for w in string.gmatch("one two@x three@y", "(%w+)@(%w)") do ws[#ws + 1] = w end
  eq(R(table.concat(ws, ",")), "two,three")
  -- a run longer than a simple search takes goes to the full matcher
  local long = string.rep("a", 70000)
  eq(R(string.match(long .. "b", "(a+)b") == long), true)
end
