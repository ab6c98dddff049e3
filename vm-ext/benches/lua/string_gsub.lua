-- Benchmark: gsub (string, table and function replacements), find, match, gmatch.
local words = {}
for i = 1, 200 do
  words[#words + 1] = "word" .. i
end
local text = string.rep("the quick brown fox jumps over the lazy dog ", 20)
local total = 0
for i = 1, 3000 do
  local r, n = string.gsub(text, "%w+", "<%0>")
  total = total + n + string.len(r)
  r, n = string.gsub(text, "(%w+) (%w+)", "%2 %1")
  total = total + n
  r, n = string.gsub(text, "o", {o = "0"})
  total = total + n
  r, n = string.gsub(text, "%a+", function(w) return string.upper(w) end)
  total = total + n
  for w in string.gmatch(text, "%a+") do
    total = total + 1
  end
  local s, e = string.find(text, "lazy dog", 1, true)
  total = total + s + e
  local a, b = string.match(text, "(q%a+) (%a+)")
  total = total + string.len(a) + string.len(b)
end
return total
