-- A deep Lua stack is memory the collector counts (collectgarbage("count"),
-- memoryLimit), as PUC Lua's allocator counts its stack.
local function deep(n)
  if n == 0 then return collectgarbage("count") end
  local a, b, c, d, e, f, g, h, i, j, k, l, m, o, p, q = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
  return deep(n - 1) + 0
end
collectgarbage()
local before = collectgarbage("count")
local during = deep(40000)
-- 40,000 frames of about 20 16-byte slots each: over 12 MB (PUC Lua: 18 MB).
assert(during - before > 4096, string.format("stack not counted: %.0f KB -> %.0f KB", before, during))
