-- table.insert (append and front), table.remove, table.sort (default and with a
-- comparator), table.concat.
local n = tonumber(arg and arg[1]) or 400000

-- A small LCG (the ZX81's): products stay far below 2^31, since fengari's
-- integers are 32-bit.
local seed = 42
local function rand()
  seed = (seed * 75 + 74) % 65537
  return seed
end

local t = {}
for _ = 1, n do table.insert(t, rand()) end
local front = {}
for i = 1, n // 50 do table.insert(front, 1, i) end
local removed = 0
for _ = 1, n // 100 do removed = removed + table.remove(front, 1) end

local a = {}
for i = 1, n do a[i] = t[i] end
table.sort(a)
local b = {}
for i = 1, n do b[i] = t[i] end
table.sort(b, function(x, y) return x > y end)
local words = {}
for i = 1, n // 4 do words[i] = "w" .. (rand() % 5000) end
table.sort(words)

local sum = 0
for i = 1, n, 97 do sum = (sum + a[i] * 3 + b[i]) % 1000000007 end
local joined = table.concat(a, " ", 1, math.min(n, 2000))
local wj = table.concat(words, "")
print("checksum " .. sum .. " " .. removed .. " " .. #front .. " " .. #joined .. " " .. #wj .. " " .. words[1] .. " " .. words[#words])
