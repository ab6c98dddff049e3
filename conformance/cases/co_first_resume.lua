-- A coroutine's first resume (the luahome core starts a coroutine whose
-- function is one of its closures in place): arguments, results, status,
-- errors at the start, tracebacks, close, natives as the body, nesting.

-- arguments and results of the first resume, then of the next ones
local co = coroutine.create(function(a, b, ...)
  assert(coroutine.status(coroutine.running()) == 'running')
  local x, y = coroutine.yield(a + b, select('#', ...))
  return x * y, 'done'
end)
assert(coroutine.status(co) == 'suspended')
local ok, s, n = coroutine.resume(co, 1, 2, nil, nil)
assert(ok and s == 3 and n == 2 and coroutine.status(co) == 'suspended')
local ok2, p, d = coroutine.resume(co, 6, 7)
assert(ok2 and p == 42 and d == 'done' and coroutine.status(co) == 'dead')
assert(select(2, coroutine.resume(co)) == 'cannot resume dead coroutine')

-- a body that returns at once, with many results or none
local gen = coroutine.wrap(function(...) return ... end)
assert(select('#', gen(1, nil, 3, nil)) == 4)
assert(select('#', coroutine.wrap(function() end)()) == 0)

-- an error before the first yield
local bad = coroutine.create(function(t) return t.x.y end)
local okb, msg = coroutine.resume(bad, {})
assert(not okb and msg:find("attempt to index a nil value %(field 'x'%)") and coroutine.status(bad) == 'dead')
local w = coroutine.wrap(function() error({code = 7}) end)
local okw, e = pcall(w)
assert(not okw and type(e) == 'table' and e.code == 7)
local tb = debug.traceback(bad)
assert(tb:find('stack traceback'), tb)

-- a library function as the body (the executor starts those)
local pw = coroutine.wrap(select)
assert(pw('#', 1, 2) == 2)
local cy = coroutine.wrap(coroutine.yield)
assert(cy(5) == 5)

-- inside: running, isyieldable, traceback of the suspended coroutine
local inner
local co2 = coroutine.create(function()
  inner = coroutine.running()
  assert(coroutine.isyieldable())
  coroutine.yield()
end)
assert(coroutine.resume(co2) and inner == co2)
assert(debug.traceback(co2):find('in function <'))
assert(coroutine.close(co2) and coroutine.status(co2) == 'dead')

-- close runs a pending to-be-closed variable of a coroutine suspended after its first resume
local closed = false
local co3 = coroutine.create(function()
  local _ <close> = setmetatable({}, {__close = function() closed = true end})
  coroutine.yield(1)
end)
assert(select(2, coroutine.resume(co3)) == 1 and not closed)
assert(coroutine.close(co3) and closed)

-- started from inside another coroutine, and resuming its resumer fails
local outer = coroutine.wrap(function()
  local sub = coroutine.wrap(function(x) coroutine.yield(x * 2) return x * 3 end)
  local a = sub(5)
  local b = sub()
  coroutine.yield(a + b)
end)
assert(outer() == 25)
local self_co
self_co = coroutine.create(function()
  local okr, m = coroutine.resume(self_co)
  coroutine.yield(okr, m)
end)
local _, okr, m = coroutine.resume(self_co)
assert(okr == false and m == 'cannot resume non-suspended coroutine')

-- many started and dropped while suspended
local sum = 0
for i = 1, 2000 do
  local g = coroutine.wrap(function(k) coroutine.yield(k) end)
  sum = sum + g(i)
end
assert(sum == 2001000)

print('ok')
