-- Resumes of coroutines suspended in a yield: each case first yields once
-- (so later resumes find the coroutine waiting in a yield, the state a
-- resume made in place starts from), then does something other than
-- yield after a resume. Runs under lua5.4 too.
local function has(s, sub)
  return type(s) == "string" and string.find(s, sub, 1, true) ~= nil
end

-- Plain ping-pong, values both ways, several and none.
local co = coroutine.create(function(a)
  local sum = 0
  while true do
    local x, y, z = coroutine.yield(a, sum)
    if x == nil then return "done", sum end
    sum = sum + x + (y or 0) + (z or 0)
    a = select("#", x, y, z)
  end
end)
assert(select("#", coroutine.resume(co, "first")) == 3)
for i = 1, 100 do
  local ok, n, s = coroutine.resume(co, i, i, i)
  assert(ok and n == 3 and s == 3 * i * (i + 1) // 2, s)
end
local ok, tag, total = coroutine.resume(co)
assert(ok and tag == "done" and total == 3 * 5050)
assert(coroutine.status(co) == "dead")
ok, tag = coroutine.resume(co)
assert(not ok and tag == "cannot resume dead coroutine")

-- After a resume the coroutine sees itself running and its resumer normal.
local main = coroutine.running()
local seen = {}
local watcher
watcher = coroutine.create(function()
  coroutine.yield()
  for _ = 1, 3 do
    seen[#seen + 1] = coroutine.status(watcher)
    seen[#seen + 1] = coroutine.status(main)
    local me, ismain = coroutine.running()
    seen[#seen + 1] = me == watcher and not ismain
    seen[#seen + 1] = coroutine.isyieldable()
    coroutine.yield()
  end
end)
coroutine.resume(watcher)
for _ = 1, 3 do assert(coroutine.resume(watcher)) end
for i = 1, 12, 4 do
  assert(seen[i] == "running" and seen[i + 1] == "normal", seen[i])
  assert(seen[i + 2] == true and seen[i + 3] == true)
end
assert(coroutine.status(watcher) == "suspended")

-- A library call between yields, and one that fails.
local calls = coroutine.create(function()
  local acc = {}
  while true do
    local v = coroutine.yield(table.concat(acc, ","))
    acc[#acc + 1] = tostring(v)
    acc[#acc + 1] = string.format("%d", #acc)
    if v == "boom" then string.rep() end
  end
end)
coroutine.resume(calls)
local _, s1 = coroutine.resume(calls, 7)
assert(s1 == "7,1")
local _, s2 = coroutine.resume(calls, true)
assert(s2 == "7,1,true,3")
local okb, eb = coroutine.resume(calls, "boom")
assert(not okb and has(eb, "bad argument #1 to 'rep'"), eb)
assert(coroutine.status(calls) == "dead")
local okc, ec = coroutine.close(calls)
assert(okc == false and ec == eb)

-- A runtime error after a resume names the line; `close` returns it.
local failing = coroutine.create(function(t)
  coroutine.yield()
  return t.x.y
end)
coroutine.resume(failing, {})
local okf, ef = coroutine.resume(failing)
assert(not okf and has(ef, "coroutine_switch.lua:") and has(ef, "field 'x'"), ef)
local okcl, ecl = coroutine.close(failing)
assert(okcl == false and ecl == ef)
-- An error value that is not a string goes through unchanged.
local obj = {}
local thrower = coroutine.create(function() coroutine.yield() error(obj) end)
coroutine.resume(thrower)
local okt, et = coroutine.resume(thrower)
assert(not okt and et == obj)

-- Errors caught inside the coroutine by pcall, yields inside pcall.
local guarded = coroutine.create(function()
  local log = {}
  for i = 1, 4 do
    local okp, ep = pcall(function()
      local v = coroutine.yield(i)
      if v % 2 == 0 then error("even " .. v, 0) end
      return v
    end)
    log[#log + 1] = okp and ("ok " .. ep) or ep
  end
  return table.concat(log, ";")
end)
local okg, vg = coroutine.resume(guarded)
assert(okg and vg == 1)
for i = 1, 3 do
  okg, vg = coroutine.resume(guarded, i * 10 + i % 2)
  assert(okg and vg == i + 1, vg)
end
okg, vg = coroutine.resume(guarded, 40)
assert(okg and vg == "ok 11;even 20;ok 31;even 40", vg)

-- Upvalues shared between the resumer and the coroutine, open on both
-- sides, written by both.
do
  local shared = 0
  local pinger = coroutine.wrap(function()
    while true do
      shared = shared + 1
      coroutine.yield(shared)
    end
  end)
  pinger()
  for i = 1, 50 do
    shared = shared * 2
    local got = pinger()
    assert(got == shared)
  end
  local expect = 1
  for _ = 1, 50 do expect = expect * 2 + 1 end
  assert(shared == expect)
end

-- wrap as a `for` iterator; its end; its error, with the caller's position.
local function range(n)
  return coroutine.wrap(function()
    for i = 1, n do coroutine.yield(i, i * i) end
  end)
end
local sq = 0
for i, s in range(30) do sq = sq + s - i end
assert(sq == 30 * 31 * 61 // 6 - 465)
local gen = coroutine.wrap(function()
  coroutine.yield(1)
  coroutine.yield(2)
  error("gen failed")
end)
assert(gen() == 1 and gen() == 2)
local okw, ew = pcall(gen)
assert(not okw and has(ew, "gen failed"), ew)
local okd, ed = pcall(gen)
assert(not okd and has(ed, "cannot resume dead coroutine"), ed)

-- A coroutine that resumes another between its own yields.
local inner = coroutine.wrap(function()
  local n = 0
  while true do n = n + 1; coroutine.yield(n) end
end)
local outer = coroutine.wrap(function()
  coroutine.yield(0)
  while true do
    local a = inner()
    local b = inner()
    coroutine.yield(a * 100 + b)
  end
end)
assert(outer() == 0)
assert(outer() == 102 and outer() == 304 and outer() == 506)

-- to-be-closed variables of a coroutine suspended after such a resume.
local closed = {}
local holder = coroutine.create(function()
  local r <close> = setmetatable({}, {__close = function(_, e)
    closed[#closed + 1] = e == nil and "clean" or "error"
  end})
  while true do coroutine.yield(#closed) end
end)
coroutine.resume(holder)
assert(select(2, coroutine.resume(holder)) == 0)
assert(coroutine.close(holder) == true)
assert(closed[1] == "clean" and coroutine.status(holder) == "dead")

-- debug.traceback of a coroutine suspended by a yield after such a resume.
local deep = coroutine.create(function()
  local function level2() coroutine.yield("in level2") end
  local function level1() level2(); level2() end
  coroutine.yield("start")
  level1()
end)
coroutine.resume(deep)
local okl, where = coroutine.resume(deep)
assert(okl and where == "in level2")
local tb = debug.traceback(deep)
assert(has(tb, "level2") and has(tb, "level1"), tb)
assert(debug.getinfo(deep, 1, "n").name == "level2")

-- A hook set inside a coroutine after such a resume still sees its lines.
local lines = 0
local hooked = coroutine.create(function()
  coroutine.yield()
  debug.sethook(function() lines = lines + 1 end, "l")
  coroutine.yield()
  local x = 1
  x = x + 1
  coroutine.yield(x)
  debug.sethook()
end)
coroutine.resume(hooked)
coroutine.resume(hooked)
local before = lines
local okh, xh = coroutine.resume(hooked)
assert(okh and xh == 2 and lines > before, lines)
assert(coroutine.resume(hooked))

-- Yielding across a library call is still refused after such a resume.
local across = coroutine.create(function()
  coroutine.yield()
  table.sort({3, 2, 1}, function(a, b) coroutine.yield() return a < b end)
end)
coroutine.resume(across)
local oka, ea = coroutine.resume(across)
assert(not oka and has(ea, "attempt to yield across a C-call boundary"), ea)

-- A long run between yields (spans many slices of fuel).
local long = coroutine.wrap(function()
  while true do
    local s = 0
    for i = 1, 20000 do s = s + i % 7 end
    coroutine.yield(s)
  end
end)
for _ = 1, 5 do
  local expect = 0
  for i = 1, 20000 do expect = expect + i % 7 end
  assert(long() == expect)
end

print("coroutine_switch ok")
