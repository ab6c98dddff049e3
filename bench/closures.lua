-- Closures and upvalues: creating closures in loops, shared and nested upvalues.
local n = tonumber(arg and arg[1]) or 1200000

local function make_counter(start)
  local count = start
  return function(step)
    count = count + step
    return count
  end
end

local function make_pair()
  local shared = 0
  local function inc() shared = shared + 1; return shared end
  local function get() return shared end
  return inc, get
end

local function adder(x)
  return function(y)
    return function(z) return x + y + z end
  end
end

local sum = 0
local counters = {}
for i = 1, 100 do counters[i] = make_counter(i) end
for i = 1, n do
  local c = counters[i % 100 + 1]
  sum = (sum + c(i % 7)) % 1000000007
  local inc, get = make_pair()
  inc(); inc()
  sum = sum + get()
  sum = (sum + adder(i)(2)(3)) % 1000000007
end
local acc = 0
local fs = {}
for i = 1, 1000 do fs[i] = function() acc = acc + i; return acc end end
for _ = 1, n // 1000 do
  for i = 1, 1000 do fs[i]() end
end
print("checksum " .. sum .. " " .. acc)
