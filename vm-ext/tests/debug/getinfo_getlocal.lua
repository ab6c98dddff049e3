local function f(x)
  local y = x + 1
  print(debug.traceback("msg"))
  local info = debug.getinfo(1, "nSl")
  print(info.name, info.namewhat, info.currentline, info.linedefined, info.lastlinedefined, info.what, info.short_src, info.source)
  local i2 = debug.getinfo(2, "nSl")
  print(i2.name, i2.namewhat, i2.currentline, i2.what)
  print(debug.getlocal(1, 1), debug.getlocal(1, 2))
  print(debug.getlocal(2, 1))
  return y
end
local t = {}
function t.m(self) return f(1) end
function g() return (t:m()) end
g()
print(select(2, pcall(debug.getinfo, 1, "n")).name)
print(debug.getinfo(1, "n").namewhat)
print((select(2, pcall(debug.getinfo, 1, "xyz")):gsub("debug%.getinfo", "getinfo")))
local co = coroutine.create(function(a) local b = a * 2; coroutine.yield(b) end)
coroutine.resume(co, 4)
print(debug.traceback(co))
print(debug.traceback(co, "hi", 1))
print(debug.getlocal(co, 1, 1))
print(debug.getinfo(print).what, debug.getinfo(f, "u").nparams)
local function v(...) return debug.getlocal(1, -1), debug.getlocal(1, -2) end
print(v(10, 20))
print(debug.getlocal(v, 1), debug.getlocal(f, 1))
