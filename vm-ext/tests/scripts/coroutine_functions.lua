-- coroutine library. Runs under lua5.4 too.
local function has(s, sub)
  for i = 1, #s - #sub + 1 do
    if string.sub(s, i, i + #sub - 1) == sub then return true end
  end
  return false
end
local function checkerr(sub, f, ...)
  local ok, m = pcall(f, ...)
  assert(not ok, "expected an error: " .. sub)
  assert(type(m) == "string" and has(m, sub), m)
end

local log = {}
local co = coroutine.create(function(a, b)
  log[#log + 1] = coroutine.status(coroutine.running())
  log[#log + 1] = coroutine.isyieldable()
  local c = coroutine.yield(a + b)
  local d, e = coroutine.yield(c * 2)
  return d + e, "end"
end)
assert(coroutine.status(co) == "suspended")
local ok, v = coroutine.resume(co, 1, 2)
assert(ok and v == 3 and log[1] == "running" and log[2] == true)
ok, v = coroutine.resume(co, 10); assert(ok and v == 20)
local ok3, s, tag = coroutine.resume(co, 3, 4)
assert(ok3 and s == 7 and tag == "end")
assert(coroutine.status(co) == "dead")
local okd, md = coroutine.resume(co)
assert(not okd and md == "cannot resume dead coroutine")

local main, ismain = coroutine.running()
assert(type(main) == "thread" and ismain == true)
assert(coroutine.isyieldable() == false)
local okm, mm = coroutine.resume(main)
assert(not okm and mm == "cannot resume non-suspended coroutine")
checkerr("attempt to yield from outside a coroutine", coroutine.yield)

-- errors inside coroutines
local bad = coroutine.create(function() error("in co") end)
local okb, mb = coroutine.resume(bad)
assert(not okb and has(mb, "in co") and coroutine.status(bad) == "dead")
local tbl = {}
local bad2 = coroutine.create(function() error(tbl) end)
local okt, mt = coroutine.resume(bad2); assert(not okt and mt == tbl)

-- wrap
local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
assert(gen() == 1 and gen() == 2 and gen() == 3)
gen()
checkerr("cannot resume dead coroutine", gen)
local wbad = coroutine.wrap(function() error("oops") end)
checkerr("oops", wbad)
local wobj = coroutine.wrap(function() error(tbl) end)
local okw, ew = pcall(wobj); assert(not okw and ew == tbl)

-- statuses seen from inside
local outer
local seen
outer = coroutine.create(function()
  local inner = coroutine.create(function() seen = coroutine.status(outer) end)
  coroutine.resume(inner)
end)
coroutine.resume(outer)
assert(seen == "normal")

-- close
local c2 = coroutine.create(function() coroutine.yield() end)
coroutine.resume(c2)
assert(coroutine.close(c2) == true and coroutine.status(c2) == "dead")
assert(coroutine.close(coroutine.create(print)) == true)
checkerr("cannot close a running coroutine", function() coroutine.close(coroutine.running()) end)

-- argument errors
checkerr("bad argument #1 to 'resume' (thread expected, got number)", function() coroutine.resume(1) end)
checkerr("bad argument #1 to 'create' (function expected, got number)", function() coroutine.create(1) end)
checkerr("bad argument #1 to 'status' (thread expected, got nil)", function() coroutine.status(nil) end)

-- yields through pcall inside a coroutine
local p = coroutine.wrap(function()
  local okp, r = pcall(function() return coroutine.yield("from pcall") + 1 end)
  return okp, r
end)
assert(p() == "from pcall")
local okp, r = p(41); assert(okp and r == 42)
