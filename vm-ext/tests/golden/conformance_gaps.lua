-- Conformance gaps of the luahome core closed for issue 11; the expected
-- output (conformance_gaps.out) is what Debian's lua5.4 prints for this file
-- (regenerate: cd vm-ext/tests/golden && lua5.4 conformance_gaps.lua > conformance_gaps.out).

local function show(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  print(table.concat(t, " | "))
end

-- 1. Tables: a key beyond a constructor's array part is an invalid key to
-- 'next'; keys assigned nil never break growth.
show(pcall(next, {10, 20}, 3))
show(next({10, 20}, 2))
do
  local t = {}
  t.a = 1 t.b = 2 t.c = 3
  t.a = nil
  t.d = 4
  show(t.a, t.b, t.c, t.d)
end
