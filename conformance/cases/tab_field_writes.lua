-- Field reads see every way a table can be written in between: rawset,
-- equal strings that are distinct objects, coroutines, comparators and
-- replacement functions run by library functions, metamethods, load.
local t = { x = 1, y = 2 }
assert(t.x == 1)
rawset(t, "x", 10)
assert(t.x == 10)

-- A long key built at run time is a distinct string object.
local long = "a_key_that_is_longer_than_forty_bytes_so_not_interned"
local built = ("a_key_that_is_longer_than_forty_bytes") .. "_so_not_interned"
t[long] = 1
assert(t[built] == 1 and t.a_key_that_is_longer_than_forty_bytes_so_not_interned == 1)
t[built] = 2
assert(t[long] == 2 and t.a_key_that_is_longer_than_forty_bytes_so_not_interned == 2)
t.a_key_that_is_longer_than_forty_bytes_so_not_interned = 3
assert(t[built] == 3 and t[long] == 3)
t[built] = nil
assert(t[long] == nil)

-- A coroutine writes between two reads.
local co = coroutine.wrap(function()
  t.x = 20
  coroutine.yield()
  t.y = nil
end)
assert(t.x == 10)
co()
assert(t.x == 20 and t.y == 2)
co()
assert(t.y == nil)

-- Lua run in place by library functions.
local items = { { k = 3 }, { k = 1 }, { k = 2 } }
local seen = { n = 0 }
table.sort(items, function(a, b) seen.n = seen.n + 1; t.x = seen.n; return a.k < b.k end)
assert(seen.n > 0 and t.x == seen.n)
local cnt = { count = 0 }
assert(cnt.count == 0)
local s = string.gsub("abc", "%w", function(c) cnt.count = cnt.count + 1; cnt[c] = true end)
assert(s == "abc" and cnt.count == 3 and cnt.a and cnt.b and cnt.c)

-- Metamethods that write.
local log = {}
local p = setmetatable({}, { __newindex = function(tab, k, v) rawset(tab, k, v * 2) end,
  __index = function(_, k) log.last = k return nil end })
assert(p.v == nil and log.last == "v")
p.v = 4
assert(p.v == 8 and log.last == "v")
local obj = setmetatable({}, { __index = { m = 1 } })
assert(obj.m == 1)
getmetatable(obj).__index.m = 2
assert(obj.m == 2)
setmetatable(obj, { __index = { m = 3 } })
assert(obj.m == 3)
obj.m = 4
assert(obj.m == 4)
obj.m = nil
assert(obj.m == 3)

-- Globals written by loaded chunks and through _G.
gv = 1
load("gv = 2")()
assert(gv == 2)
_G.gv = 3
assert(gv == 3)
rawset(_G, "gv", 4)
assert(gv == 4)
local function setg() gv = 5 end
setg()
assert(gv == 5)
gv = nil

-- pcall'd function writes, error after write.
local e = { f = 1 }
pcall(function() e.f = 2; error("x") end)
assert(e.f == 2)
print("ok")
