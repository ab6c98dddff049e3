-- Coroutine ping-pong: resume/yield passing values both ways.
local n = tonumber(arg and arg[1]) or 4000000

local co = coroutine.create(function(x)
  while true do
    x = coroutine.yield(x * 2 % 1000003)
  end
end)

local sum = 0
for i = 1, n do
  local _, v = coroutine.resume(co, i)
  sum = (sum + v) % 1000000007
end

local gen = coroutine.wrap(function()
  for i = 1, n // 2 do coroutine.yield(i) end
  return 0
end)
local s2 = 0
for _ = 1, n // 2 do s2 = (s2 + gen()) % 1000003 end
print("checksum " .. sum .. " " .. s2)
