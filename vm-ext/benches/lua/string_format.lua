-- Benchmark: string.format with integer, string, float and hex conversions.
local total = 0
for i = 1, 200000 do
  local s = string.format("%d %s %5.2f %x %g", i, "abc", i / 3, i, i * 0.5)
  total = total + string.len(s)
end
for i = 1, 50000 do
  local s = string.format("%q %-10s|%08.3e", "line\n" .. i, "x", i * 1.25)
  total = total + string.len(s)
end
return total
