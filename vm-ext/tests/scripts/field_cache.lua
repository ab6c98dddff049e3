-- The interpreter caches `table[string]` reads; every way a field can
-- change behind one interpreter's back must show on its next read.
local t = {x = 1}
local function read() return t.x end

-- A coroutine (its own interpreter) writes the field between two reads.
local co = coroutine.wrap(function()
  while true do
    t.x = t.x + 10
    coroutine.yield()
  end
end)
for i = 1, 5 do
  local before = t.x
  co()
  assert(t.x == before + 10, "coroutine write not seen at round " .. i)
end
assert(read() == 51)

-- A library function writes it (rawset, table.move into string keys is
-- not possible; rawset and a sort comparator running Lua in place).
rawset(t, "x", 7)
assert(t.x == 7)
local hits = 0
table.sort({3, 1, 2}, function(a, b)
  t.x = t.x + 1
  hits = hits + 1
  return a < b
end)
assert(t.x == 7 + hits and hits > 0)

-- gsub calling Lua in place.
t.y = 0
local s = string.gsub("abc", "%w", function(c) t.y = t.y + 1 return c end)
assert(s == "abc" and t.y == 3)

-- A missing field cached as nil, then created elsewhere.
assert(t.z == nil)
coroutine.wrap(function() t.z = "set" end)()
assert(t.z == "set")

-- Metatable fields (__index) changed by another coroutine.
local proto = {}
local obj = setmetatable({}, {__index = proto})
assert(obj.m == nil)
coroutine.wrap(function() proto.m = 42 end)()
assert(obj.m == 42)
coroutine.wrap(function() getmetatable(obj).__index = {m = 43} end)()
assert(obj.m == 43)

-- Globals written by load()ed code and by another coroutine.
g_field = 1
load("g_field = 2")()
assert(g_field == 2)
coroutine.wrap(function() _ENV.g_field = 3 end)()
assert(g_field == 3)

-- A table that becomes weak keeps its string fields readable.
local w = {name = "w"}
assert(w.name == "w")
setmetatable(w, {__mode = "k"})
assert(w.name == "w")
coroutine.wrap(function() w.name = "w2" end)()
assert(w.name == "w2")
print("field cache ok")
