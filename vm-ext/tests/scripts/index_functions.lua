-- __index functions (run in a frame of the reading entry when they are
-- Lua functions of the core): results, errors, nesting, yields, closures.
-- Runs under lua5.4 too.
local calls = 0
local p = setmetatable({}, {__index = function(t, k) calls = calls + 1 return k .. "!" end})
assert(p.x == "x!" and p[1] == "1!" and p["y z"] == "y z!" and calls == 3)
local key = "dyn"
assert(p[key] == "dyn!" and calls == 4)
-- an error in __index: its message, with its position
local q = setmetatable({}, {__index = function(t, k) error("no field " .. k) end})
local ok, e = pcall(function() return q.foo end)
assert(not ok and string.find(e, "index_functions.lua:%d+: no field foo"), e)
-- nested __index functions, and a chain through a table
local base = setmetatable({}, {__index = function(t, k) return "base:" .. k end})
local mid = setmetatable({}, {__index = base})
local top = setmetatable({}, {__index = function(t, k) return mid[k] end})
assert(top.z == "base:z")
-- no results, several results, a vararg handler
local r = setmetatable({}, {__index = function() end})
assert(r.x == nil)
local m = setmetatable({}, {__index = function() return 1, 2, 3 end})
local a, b = m.x, 5
assert(a == 1 and b == 5)
local va = setmetatable({}, {__index = function(...) return select("#", ...) end})
assert(va.k == 2)
-- a handler making a closure over its locals (its frame has open upvalues)
local s = setmetatable({}, {__index = function(t, k)
  local v = k
  local f = function() return v end
  return f()
end})
assert(s.hello == "hello")
-- ... and returning one: its upvalue is closed when the handler returns
local mk = setmetatable({}, {__index = function(t, k)
  local v = k .. "?"
  return function() return v end
end})
local f1 = mk.a
local f2 = mk.b
assert(f1() == "a?" and f2() == "b?")
-- reads through __index inside expressions, conditions and calls
local n = setmetatable({}, {__index = function(t, k) return #k end})
assert(n.abc + n.de == 5)
if n.x == 1 then calls = calls + 1 end
assert(calls == 5)
assert(tostring(n.four) == "4")
-- yielding inside __index
local co = coroutine.wrap(function()
  local y = setmetatable({}, {__index = function(t, k) coroutine.yield("in") return "out" end})
  return y.k
end)
assert(co() == "in" and co() == "out")
-- recursion through __index
local deep = setmetatable({}, {__index = function(t, k)
  if k == 0 then return 0 end
  return t[k - 1] + 1
end})
assert(deep[150] == 150)
-- a handler that is a library function, and one that is a callable table
local lib = setmetatable({}, {__index = string.upper})
local ok2 = pcall(function() return lib.x end)
assert(not ok2)
local callable = setmetatable({}, {__call = function(self, t, k) return "called " .. k end})
local viaCall = setmetatable({}, {__index = callable})
assert(viaCall.w == nil)
-- an error deep in a handler leaves the state usable
for i = 1, 3 do
  local bad = setmetatable({}, {__index = function(t, k) return nil + k end})
  assert(not pcall(function() return bad.x end))
end
assert(p.again == "again!")
