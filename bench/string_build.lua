-- String building: concatenation in a loop, table.concat, string.rep, string.sub.
local n = tonumber(arg and arg[1]) or 500000

local parts = {}
for i = 1, n do parts[i] = "item" .. i end
local joined = table.concat(parts, ",")

local s = ""
local total = 0
for i = 1, n // 10 do
  s = s .. "x" .. (i % 10)
  if #s > 1000 then total = total + #s; s = string.sub(s, 500) end
end
local rep = string.rep("ab", 1000)
for i = 1, n // 100 do total = total + #(rep .. i) end
print("checksum " .. #joined .. " " .. total .. " " .. #s)
