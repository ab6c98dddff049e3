-- Numeric for and while loops over integer arithmetic and table indexing.
local n = tonumber(arg and arg[1]) or 40000

local acc = 0
for i = 1, n do
  for j = 1, 1000 do
    acc = (acc + i * j + (i ~ j)) % 1000003
  end
end
local t = {}
for i = 1, 1000 do t[i] = i end
local k, s = 0, 0
while k < n * 100 do
  k = k + 1
  s = (s + t[k % 1000 + 1]) % 1000003
end
print("checksum " .. acc .. " " .. s)
