-- string.format with the common conversions.
local n = tonumber(arg and arg[1]) or 300000

local total = 0
local last
for i = 1, n do
  local s = string.format("%d %5d %-6s|%x %X %o %5.2f %.3f %.6g %s %q %c", i, i % 1000, "ab" .. (i % 7),
    i, i * 3, i % 512, i / 7, i * 0.125, i / 3, "str", "q\"" .. (i % 10), 65 + i % 26)
  total = total + #s
  last = s
end
print("checksum " .. total .. " " .. last)
