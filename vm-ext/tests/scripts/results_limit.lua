-- Library functions returning many values refuse what Lua's 1,000,000-slot
-- stack refuses (coroutine.lua's "bug (stack overflow)" case), and still
-- return large counts below it. Runs under lua5.4 too.
local lim = 1000000
for _, j in ipairs({lim - 5, lim - 1, lim, lim + 1, lim + 5}) do
  local co = coroutine.create(function() return table.unpack({}, 1, j) end)
  local ok, msg = coroutine.resume(co)
  assert(not ok and string.find(msg, "too many results to unpack", 1, true), msg)
end
local ok, msg = pcall(table.unpack, {}, 1, lim)
assert(not ok and string.find(msg, "too many results to unpack", 1, true), msg)
assert(select("#", table.unpack({}, 1, 50000)) == 50000)
assert(select("#", table.unpack({}, -2, 100)) == 103)

local big = string.rep("x", lim)
ok, msg = pcall(string.byte, big, 1, -1)
assert(not ok and string.find(msg, "string slice too long", 1, true), msg)
ok, msg = pcall(string.byte, big, 3, lim - 1)
assert(not ok and string.find(msg, "string slice too long", 1, true), msg)
assert(select("#", string.byte(big, 1, 50000)) == 50000)
