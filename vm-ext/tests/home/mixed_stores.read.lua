local m = _home.mixed
assert(m.i == 1 and math.type(m.i) == "integer")
assert(m.f == 2.5 and m.s == "text" and m.b == true and m.gone == nil)
assert(m.after == 42 and m.inner.n == 3)
-- The two closures still share `n` (21 after the write run's call).
assert(m.inner.get() == 21)
assert(m.counter() == 22 and m.inner.get() == 22)
m.i = "changed"
assert(m.i == "changed")
