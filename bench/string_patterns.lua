-- Lua patterns: gsub (with string, table and function replacements), gmatch,
-- find, match on generated text.
local n = tonumber(arg and arg[1]) or 16000

local lines = {}
for i = 1, n do
  lines[i] = "user" .. i .. "@host" .. (i % 17) .. ".example.org visited /page/" .. (i * 7 % 1000)
    .. " at 12:" .. (i % 60) .. " status=" .. (200 + i % 5)
end
local text = table.concat(lines, "\n")

local total = 0
for _ = 1, 5 do
  for user, host in string.gmatch(text, "(%w+)@(%w+)%.example") do
    total = total + #user + #host
  end
  for num in string.gmatch(text, "%d+") do total = total + #num end
  local replaced, count = string.gsub(text, "status=(%d+)", "code:%1")
  total = total + count + #replaced
  local upper = string.gsub(text, "%a+", function(w) if #w > 6 then return string.upper(w) end end)
  total = total + #upper
  local mapped = string.gsub(text, "host(%d+)", { ["3"] = "three", ["5"] = "five" })
  total = total + #mapped
  local pos, hits = 1, 0
  while true do
    local s, e = string.find(text, "page/%d%d%d", pos)
    if not s then break end
    hits = hits + 1
    pos = e + 1
  end
  total = total + hits
  for i = 1, n, 3 do
    local h, m = string.match(lines[i], "at (%d+):(%d+)")
    total = total + tonumber(h) + tonumber(m)
    if string.find(lines[i], ".example.org", 1, true) then total = total + 1 end
  end
end
print("checksum " .. total)
