-- Functions that return nothing (the luahome core returns from them
-- without its general return path): every count of wanted results, stale
-- values in the caller's registers, open results, captured locals.
local function none() end
local function none_if(x) if x then return end return 1 end

local a, b, c = 1, 2, 3
a, b, c = none()
assert(a == nil and b == nil and c == nil)
local x, y = 'x', 'y'
x, y = none_if(true)
assert(x == nil and y == nil)
assert((none()) == nil)
assert(select('#', none()) == 0)
local t = {none()}
assert(next(t) == nil)
local p = table.pack(1, none(), 2)
assert(p.n == 3 and p[2] == nil)
local q = table.pack(1, none())
assert(q.n == 1)
local function pass(...) return select('#', ...), ... end
assert(pass(none()) == 0)

-- a procedure that changes an upvalue
local count = 0
local function inc() count = count + 1 end
for _ = 1, 1000 do inc() end
assert(count == 1000)

-- a procedure whose local is captured (its upvalue is closed on return)
local fs = {}
local function keep(i)
  local v = i * 2
  fs[#fs + 1] = function() return v end
end
for i = 1, 3 do keep(i) end
assert(fs[1]() == 2 and fs[2]() == 4 and fs[3]() == 6)

-- nested, and as a method
local obj = {n = 0}
function obj:bump() self.n = self.n + 1 end
local function twice(o) o:bump() o:bump() end
for _ = 1, 10 do twice(obj) end
assert(obj.n == 20)

print('ok')
