-- luahome only: reads from `_home` through proxies (indexing, length, pairs).
local n = tonumber(arg and arg[1]) or 100

local data = {}
for i = 1, 2000 do data[i] = i * 3 end
_home.bench_read = { data = data, name = "read", nested = { a = { b = { c = 7 } } } }
local root = _home.bench_read
local sum = 0
for _ = 1, n do
  local d = root.data
  for i = 1, #d do sum = sum + d[i] end
  sum = sum + root.nested.a.b.c
  sum = sum % 1000000007
end
local keys = 0
for _, v in pairs(root.data) do keys = keys + v % 7 end
_home.bench_read = nil
print("checksum " .. sum .. " " .. keys)
