-- coroutine.create/resume/yield/status/isyieldable/running.
local co = coroutine.create(function(a, b)
  assert(coroutine.isyieldable())
  local c = coroutine.yield(a + b)
  local d, e = coroutine.yield(c * 2)
  return d + e
end)
assert(coroutine.status(co) == "suspended")
local ok, v = coroutine.resume(co, 1, 2)
assert(ok and v == 3)
ok, v = coroutine.resume(co, 10)
assert(ok and v == 20)
ok, v = coroutine.resume(co, 3, 4)
assert(ok and v == 7 and coroutine.status(co) == "dead")
ok, v = coroutine.resume(co)
assert(not ok and v == "cannot resume dead coroutine")
-- running / main
local main, ismain = coroutine.running()
assert(type(main) == "thread" and ismain == true)
assert(not coroutine.isyieldable())
local inner
co = coroutine.create(function()
  inner = coroutine.running()
  assert(coroutine.status(inner) == "running")
  return select(2, coroutine.running())
end)
ok, v = coroutine.resume(co)
assert(ok and v == false and inner == co)
-- yield passes many values
co = coroutine.create(function(...) coroutine.yield(...) end)
local r = table.pack(coroutine.resume(co, 1, nil, 3))
assert(r.n == 4 and r[1] == true and r[4] == 3)
-- normal status
local outer
outer = coroutine.create(function()
  local c2 = coroutine.create(function() return coroutine.status(outer) end)
  return select(2, coroutine.resume(c2))
end)
ok, v = coroutine.resume(outer)
assert(ok and v == "normal")
-- generators
local function range(n)
  return coroutine.wrap(function() for i = 1, n do coroutine.yield(i) end end)
end
local sum = 0
for i in range(10) do sum = sum + i end
assert(sum == 55)
