-- Ephemerons, weak values and finalizers working together (Lua 5.4 §2.5.4).
local function count(t) local n = 0 for _ in pairs(t) do n = n + 1 end return n end

-- Waits for an incremental cycle to end (as gc.lua's GC1 does): no
-- collectgarbage call, only allocation.
local function incremental_cycle()
  local done = false
  setmetatable({}, {__gc = function () done = true end})
  local u
  repeat u = {} until done
end

local mt = {__mode = 'k'}

-- A chain: each value refers to the previous key.
local a = setmetatable({}, mt)
local x
for _ = 1, 100 do local n = {}; a[n] = {k = {x}}; x = n end
collectgarbage()
local i, n = 0, x
while n do n = a[n].k[1]; i = i + 1 end
print("chain kept while its head lives", i)
x = nil
collectgarbage()
print("chain gone with its head", count(a))

-- The same, with only incremental collection.
for _ = 1, 100 do local n = {}; a[n] = {x}; x = n end
x = nil
incremental_cycle()
incremental_cycle()
print("chain gone, incremental", count(a))

-- Values referring to their own keys.
for _ = 1, 50 do local k = {}; a[k] = {k, {k}} end
collectgarbage()
print("self references gone", count(a))

-- A value kept alive only by its live key keeps what it refers to.
local key = {}
a[key] = {inner = {deep = "yes"}}
collectgarbage()
print("value of a live key", a[key].inner.deep)

-- Two tables whose values refer to each other's keys.
local b = setmetatable({}, mt)
do
  local k1, k2 = {}, {}
  a[k1] = {k2}
  b[k2] = {k1}
end
collectgarbage()
print("cross-table cycle gone", count(a) - 1, count(b))

-- Weak values are cleared before a finalizer runs; weak keys stay until
-- the object is really collected ('bug' in 5.1, gc.lua).
local holder = {}
local t = {x = 10}
local C = setmetatable({key = t}, {__mode = 'v'})
local C1 = setmetatable({[t] = 1}, {__mode = 'k'})
holder.x = t
local seen
setmetatable(holder, {__gc = function ()
  seen = {C.key == nil, type(next(C1)) == 'table', collectgarbage() == false}
end})
holder, t = nil, nil
collectgarbage()
collectgarbage()
print("in __gc: weak value cleared, weak key kept, collector not reentrant",
      seen[1], seen[2], seen[3])
print("after: both gone", next(C) == nil and next(C1) == nil)

-- A traversal goes on from a string key whose value was collected.
local wv = setmetatable({}, {__mode = 'v'})
for j = 1, 10 do wv["k" .. j] = {} end
local visited = 0
for _, v in pairs(wv) do
  visited = visited + 1
  v = nil
  collectgarbage()
end
print("traversal survives collected values", visited, next(wv))

-- A string key whose value was collected does not keep the string.
collectgarbage()
local before = collectgarbage("count")
local big = setmetatable({}, {__mode = 'v'})
big[string.rep("b", 2^20)] = {}
print("big key counted", collectgarbage("count") > before + 2^9)
collectgarbage()
collectgarbage()  -- (the key string was marked by the cycle that cleared its entry)
print("big key freed", collectgarbage("count") < before + 2^9, next(big))
