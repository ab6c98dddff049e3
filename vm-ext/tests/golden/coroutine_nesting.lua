-- Coroutines resuming coroutines stop at a C-stack-like limit with an
-- error (PUC Lua: "C stack overflow"), never a host crash or a hang.
local depth = 0
local function nest()
  depth = depth + 1
  local co = coroutine.create(nest)
  local ok, err = coroutine.resume(co)
  if not ok then error(err, 0) end
end
local ok, err = pcall(nest)
print(ok, err, depth > 150 and depth < 250)

local wrapped = 0
local function deep()
  wrapped = wrapped + 1
  coroutine.wrap(deep)()
end
ok, err = pcall(deep)
print(ok, string.find(err, "C stack overflow") ~= nil, wrapped > 150 and wrapped < 250)

-- A chain of coroutine.close, each closing the previous one from a
-- __close handler, ends with the error instead of recursing without end.
local closed = 0
local coro = false
for i = 1, 1000 do
  local previous = coro
  coro = coroutine.create(function()
    local cc <close> = setmetatable({}, {__close = function()
      closed = closed + 1
      if previous then assert(coroutine.close(previous)) end
    end})
    coroutine.yield()
  end)
  assert(coroutine.resume(coro))
end
local st, msg = coroutine.close(coro)
print(st, string.find(msg, "C stack overflow") ~= nil, closed > 150 and closed < 250)
