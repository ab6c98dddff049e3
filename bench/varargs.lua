-- Varargs: select('#'), select(i, ...), table.pack/unpack, forwarding.
local n = tonumber(arg and arg[1]) or 500000

local function count(...) return select("#", ...) end
local function sum_all(...)
  local s = 0
  for i = 1, select("#", ...) do s = s + (select(i, ...)) end
  return s
end
local function forward(...) return sum_all(...) end
local function packed(...)
  local t = table.pack(...)
  local s = t.n
  for i = 1, t.n do s = s + t[i] end
  return s
end
local function tail(first, ...) return ... end

local total = 0
for i = 1, n do
  total = total + count(i, nil, i) + sum_all(i, 1, 2, 3, 4)
  total = total + forward(1, 2, 3, i % 10) + packed(i, i, 5)
  total = total + sum_all(table.unpack({ 1, 2, 3, 4, 5, 6 }))
  total = (total + sum_all(tail(i, 7, 8, 9))) % 1000000007
end
print("checksum " .. total)
