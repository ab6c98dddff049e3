-- The stack of a coroutine dead by an error stays visible to debug.traceback
-- and debug.getinfo (as in PUC Lua) until coroutine.close.
function f(i)
  if i == 0 then error(i)
  else coroutine.yield(); f(i-1)
  end
end
local co = coroutine.create(function (x) f(x) end)
local a, b = coroutine.resume(co, 2)
while coroutine.status(co) == "suspended" do a, b = coroutine.resume(co) end
print(a, b)
print(debug.traceback(co))
print(debug.traceback(co, "msg", 1))
print(debug.getinfo(co, 0, "Sl").currentline, debug.getinfo(co, 1, "l").currentline)
print(coroutine.close(co))
print(debug.traceback(co))
local co2 = coroutine.wrap(function() local x = nil; return x.y end)
print(pcall(co2))
