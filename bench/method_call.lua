-- Method calls: objects with metatables (__index), self, accessors.
local n = tonumber(arg and arg[1]) or 3000000

local Counter = {}
Counter.__index = Counter

function Counter.new(step)
  return setmetatable({ value = 0, step = step }, Counter)
end

function Counter:inc()
  self.value = self.value + self.step
  return self
end

function Counter:get()
  return self.value
end

local Derived = setmetatable({}, { __index = Counter })
Derived.__index = Derived

function Derived.new(step)
  local o = Counter.new(step)
  return setmetatable(o, Derived)
end

function Derived:double()
  self.value = self.value * 2 % 1000003
  return self
end

local a, b = Counter.new(1), Derived.new(3)
local sum = 0
for i = 1, n do
  a:inc()
  b:inc()
  if i % 16 == 0 then b:double() end
  sum = (sum + a:get() + b:get()) % 1000003
end
print("checksum " .. sum .. " " .. a:get() .. " " .. b:get())
