local log = {}
local function closer(name) return setmetatable({}, {__close = function(_, e) log[#log+1] = name .. ":" .. tostring(e) end}) end
local co = coroutine.create(function()
  local a <close> = closer("a")
  do
    local b <close> = closer("b")
    coroutine.yield(1)
  end
  coroutine.yield(2)
end)
print(coroutine.resume(co))
print(coroutine.close(co), coroutine.status(co))
print(table.concat(log, " "))
-- a handler that errors
local co2 = coroutine.create(function()
  local a <close> = setmetatable({}, {__close = function() error("in close", 0) end})
  local b <close> = closer("b2")
  coroutine.yield()
end)
coroutine.resume(co2)
print(coroutine.close(co2))
print(table.concat(log, " "))
-- cannot close while closing
do
  local co
  co = coroutine.create(function()
    local x <close> = setmetatable({}, {__close = function() coroutine.close(co) end})
    coroutine.yield(20)
  end)
  local st, msg = coroutine.resume(co)
  print(st, msg)
  st, msg = coroutine.close(co)
  print(st, msg)
end
-- pcall inside does not catch the close
local co3 = coroutine.create(function()
  local ok = pcall(function() local c <close> = closer("c3") coroutine.yield() end)
  log[#log+1] = "after pcall " .. tostring(ok)
end)
coroutine.resume(co3)
print(coroutine.close(co3), coroutine.status(co3))
print(table.concat(log, " "))
print(coroutine.close(coroutine.create(print)))
local X
local co = coroutine.create(function ()
    local x <close> = setmetatable({}, {__close = function (self, err) print("h") X = false end})
    X = true
    coroutine.yield()
  end)
coroutine.resume(co)
coroutine.close(co)
print(X)
