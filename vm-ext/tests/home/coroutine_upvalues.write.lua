-- A closure made inside a coroutine over one of its locals: stored while the
-- coroutine runs (the upvalue is open on that thread), saved while it is
-- suspended.
local co = coroutine.create(function()
  local secret = 41
  _home.peek = function() secret = secret + 1; return secret end
  coroutine.yield()
  return secret
end)
assert(coroutine.resume(co))
assert(_home.peek() == 42)
