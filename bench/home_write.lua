-- luahome only: writes to `_home` (the persistent table): scalars, strings,
-- nested tables through live proxies, overwrites and deletes.
local n = tonumber(arg and arg[1]) or 100000

_home.bench = {}
local h = _home.bench
for i = 1, n do
  h["k" .. (i % 5000)] = i
end
h.list = {}
local list = h.list
for i = 1, n // 10 do list[i] = "v" .. i end
for i = 1, n // 10, 2 do list[i] = nil end
local sum = 0
for i = 1, math.min(n, 5000) do sum = sum + h["k" .. (i % 5000)] end
_home.bench = nil
print("checksum " .. sum)
