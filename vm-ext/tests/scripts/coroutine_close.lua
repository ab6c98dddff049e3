-- coroutine.close (Lua 5.4): a coroutine that died with an error gives
-- false plus that error once (the close resets it), then true; wrap closes
-- a failing coroutine itself. Runs under lua5.4 too.
local co = coroutine.create(function() error("oops", 0) end)
local ok, e = coroutine.resume(co)
assert(not ok and e == "oops" and coroutine.status(co) == "dead")
local okc, ec = coroutine.close(co)
assert(okc == false and ec == "oops", tostring(ec))
assert(coroutine.close(co) == true and coroutine.status(co) == "dead")

-- error values that are not strings are returned as they are
local err = {code = 7}
co = coroutine.create(function() error(err) end)
assert(select(2, coroutine.resume(co)) == err)
okc, ec = coroutine.close(co)
assert(okc == false and ec == err)

-- errors after yields, and positions kept
co = coroutine.create(function() coroutine.yield(1); error("late") end)
assert(select(2, coroutine.resume(co)) == 1)
ok, e = coroutine.resume(co)
assert(not ok and string.find(e, "coroutine_close.lua:%d+: late"))
okc, ec = coroutine.close(co)
assert(okc == false and ec == e)

-- each coroutine keeps its own error
local a = coroutine.create(function() error("a", 0) end)
local b = coroutine.create(function() error("b", 0) end)
coroutine.resume(a); coroutine.resume(b)
assert(select(2, coroutine.close(b)) == "b" and select(2, coroutine.close(a)) == "a")

-- a coroutine that finished normally, one never started, one suspended
co = coroutine.create(function() return 1 end)
coroutine.resume(co)
assert(coroutine.close(co) == true)
assert(coroutine.close(coroutine.create(print)) == true)
co = coroutine.create(function() coroutine.yield() end)
coroutine.resume(co)
assert(coroutine.close(co) == true and coroutine.status(co) == "dead")
ok, e = coroutine.resume(co)
assert(not ok and e == "cannot resume dead coroutine")

-- wrap closes a coroutine that fails, so close finds no error
local inner
local w = coroutine.wrap(function() inner = coroutine.running(); error("in wrap", 0) end)
ok, e = pcall(w)
assert(not ok and e == "in wrap")
assert(coroutine.status(inner) == "dead" and coroutine.close(inner) == true)

-- closing the running coroutine is an error
ok, e = pcall(coroutine.close, coroutine.running())
assert(not ok and string.find(e, "cannot close a running coroutine", 1, true))
co = coroutine.create(function()
  return pcall(coroutine.close, coroutine.running())
end)
local _, okr, er = coroutine.resume(co)
assert(okr == false and string.find(er, "cannot close a running coroutine", 1, true))

-- many failed coroutines (their records are dropped as they are collected)
for i = 1, 2000 do
  local c = coroutine.create(error)
  coroutine.resume(c, i)
end
local last = coroutine.create(error)
coroutine.resume(last, "last")
okc, ec = coroutine.close(last)
assert(okc == false and ec == "last")
