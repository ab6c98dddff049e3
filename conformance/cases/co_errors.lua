-- Errors in coroutines, wrap, close, yield across pcall.
local co = coroutine.create(function() error("oops", 0) end)
local ok, e = coroutine.resume(co)
assert(not ok and e == "oops" and coroutine.status(co) == "dead")
co = coroutine.create(function() error({code = 7}) end)
ok, e = coroutine.resume(co)
assert(not ok and type(e) == "table" and e.code == 7)
-- wrap propagates errors
local w = coroutine.wrap(function() error("wrapped", 0) end)
ok, e = pcall(w)
assert(not ok and e == "wrapped")
w = coroutine.wrap(function() return 1 end)
w()
ok, e = pcall(w)
assert(not ok and e == "cannot resume dead coroutine")
-- yield across pcall is allowed in 5.4
co = coroutine.create(function()
  local okp, v = pcall(function() return coroutine.yield(1) + 1 end)
  return okp, v
end)
local _, first = coroutine.resume(co)
assert(first == 1)
local _, okp, v = coroutine.resume(co, 41)
assert(okp == true and v == 42)
-- yield outside a coroutine
ok, e = pcall(coroutine.yield, 1)
assert(not ok and e == "attempt to yield from outside a coroutine")
-- resume a running coroutine
co = coroutine.create(function() return coroutine.resume(coroutine.running()) end)
local _, okr, er = coroutine.resume(co)
assert(okr == false and er == "cannot resume non-suspended coroutine")
-- coroutine.close
co = coroutine.create(function() coroutine.yield() end)
coroutine.resume(co)
assert(coroutine.close(co) == true and coroutine.status(co) == "dead")
co = coroutine.create(function() error("x", 0) end)
coroutine.resume(co)
local okc, ec = coroutine.close(co)
assert(okc == false and ec == "x")
-- bad arguments
ok, e = pcall(coroutine.resume, 1)
assert(not ok and e:find("bad argument #1 to", 1, true))
