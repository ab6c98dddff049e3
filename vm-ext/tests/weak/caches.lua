-- Typical uses: memoizing by object, per-object private data, interning,
-- and entries that disappear without an explicit collectgarbage().
local function count(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n
end

-- memoize a function of an object (weak keys)
local computed = 0
local memo = setmetatable({}, {__mode = "k"})
local function area(rect)
  local a = memo[rect]
  if not a then
    computed = computed + 1
    a = rect.w * rect.h
    memo[rect] = a
  end
  return a
end
local r1, r2 = {w = 2, h = 3}, {w = 4, h = 5}
print(area(r1), area(r2), area(r1), computed)
for i = 1, 100 do area({w = i, h = 1}) end
print("memo", computed, count(memo) >= 2)
collectgarbage()
print("memo after collect", count(memo), memo[r1], memo[r2])

-- a cache of results by string (weak values): strings keys stay, tables go
local cache = setmetatable({}, {__mode = "v"})
local function load(name)
  local v = cache[name]
  if v == nil then v = {name = name}; cache[name] = v end
  return v
end
local held = load("a")
load("b"); load("c")
print("cache", count(cache), load("a") == held)
collectgarbage()
print("cache after collect", count(cache), cache.a == held, cache.b)

-- private data keyed by object, objects as keys of several tables
local private = setmetatable({}, {__mode = "k"})
local Account = {}
Account.__index = Account
function Account.new(b) local o = setmetatable({}, Account); private[o] = {balance = b}; return o end
function Account:balance() return private[self].balance end
local acc = Account.new(10)
for i = 1, 50 do Account.new(i) end
print("private", acc:balance(), count(private) >= 1)
collectgarbage()
print("private after collect", count(private), acc:balance())

-- a weak table reachable only from itself is garbage too
local ring = setmetatable({}, {__mode = "v"})
ring.self = ring
local probe = setmetatable({}, {__mode = "k"})
probe[ring] = true
ring = nil
collectgarbage()
print("self-referencing weak table", count(probe))

-- without collectgarbage(): normal collection clears entries eventually
local w = setmetatable({}, {__mode = "k"})
w[{}] = 1
local steps = 0
repeat
  local garbage = {}
  for i = 1, 100 do garbage[i] = {i} end
  steps = steps + 1
until next(w) == nil or steps > 100000
print("cleared by normal collection", next(w) == nil)

-- a value read through a field is not kept alive by the reading
local w2 = setmetatable({}, {__mode = "k"})
do
  local cfg = {obj = {}}
  w2[cfg.obj] = true
  local seen = cfg.obj.missing
  cfg.obj = cfg.obj
end
collectgarbage()
print("read fields do not keep keys", next(w2))

-- collectgarbage options keep their results
print(collectgarbage("collect"), collectgarbage(), type(collectgarbage("count")))
