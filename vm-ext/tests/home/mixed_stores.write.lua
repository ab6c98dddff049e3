-- Plain values go through `__newindex`'s native path on the luahome core,
-- tables and functions through the full callback (a closure's open
-- upvalues live in the registers a native runs beside); here interleaved,
-- inside a function whose locals are still open upvalues.
local function fill()
  local n = 10
  _home.mixed = {}
  local m = _home.mixed
  m.i, m.f, m.s, m.b = 1, 2.5, "text", true
  m.gone = "x"
  m.gone = nil
  m.counter = function() n = n + 1; return n end
  m.inner = { n = 3, get = function() return n end }
  m.after = 42
  n = 20
  assert(not pcall(function() m[{}] = 1 end))
  assert(not pcall(function() m[0/0] = 1 end))
  assert(m.i == 1 and m.gone == nil and m.after == 42)
  return m.counter() + m.inner.get()
end
assert(fill() == 42)
