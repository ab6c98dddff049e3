local gen = coroutine.wrap(function()
  coroutine.yield(1)
  local x = nil
  return x + 1
end)
gen()
local function drive() return gen() end
drive()
