-- table.unpack(t) of a table without a metatable and up to 64 items: the
-- luahome core writes the items in place. Every length, for every number
-- of results wanted, in tail position and as the last argument, must give
-- what the library's own call gives; tables with a metatable, bounds and
-- errors go to the library.

local function ref(t, ...) -- the library's own call, through pcall
  return table.pack(pcall(table.unpack, t, ...))
end

local function same(r, ...)
  local n = select('#', ...)
  assert(r[1] and r.n - 1 == n, ('count %d ~= %d'):format(n, r.n - 1))
  for k = 1, n do
    assert(select(k, ...) == r[k + 1], 'item ' .. k)
  end
end

local function count(...) return select('#', ...) end
local function tail(t) return table.unpack(t) end

-- Each check runs three times: the core answers a library function here
-- only once it has seen a call of it.
for round = 1, 3 do
  for len = 0, 70 do
    local t = {}
    for k = 1, len do t[k] = k * 10 end
    local r = ref(t)
    same(r, table.unpack(t))
    same(r, tail(t))
    assert(count(table.unpack(t)) == len)
    local a, b, c, d, e = table.unpack(t)
    assert(a == t[1] and b == t[2] and c == t[3] and d == t[4] and e == t[5])
    local x = table.unpack(t)
    assert(x == t[1])
    table.unpack(t) -- no result wanted
    local packed = { table.unpack(t) }
    assert(#packed == len and packed[len] == t[len])
    local s = { 0, table.unpack(t) }
    assert(#s == len + 1)
  end
  -- holes and a hash part: the border the library's `#` finds
  local h = { 1, 2, nil, 4 }
  same(ref(h), table.unpack(h))
  local g = { 1, 2, 3 }
  g[5] = 5
  g.x = 'x'
  same(ref(g), table.unpack(g))
  local f = {}
  f[1], f[2], f[4] = 'a', 'b', 'd'
  same(ref(f), table.unpack(f))
  -- false and nested tables as items
  local v = { false, {}, 'z', 1.5 }
  same(ref(v), table.unpack(v))
  -- bounds given: the library's
  local w = { 1, 2, 3, 4, 5 }
  same(ref(w, 2, 4), table.unpack(w, 2, 4))
  same(ref(w, 4), table.unpack(w, 4))
  same(ref(w, -1, 1), table.unpack(w, -1, 1))
  -- a metatable: __index and __len are honoured (the library's call)
  local m = setmetatable({}, {
    __len = function() return 3 end,
    __index = function(_, k) return k * 2 end,
  })
  same(ref(m), table.unpack(m))
  local a, b, c = table.unpack(m)
  assert(a == 2 and b == 4 and c == 6)
  local plain_mt = setmetatable({ 7, 8 }, {})
  same(ref(plain_mt), table.unpack(plain_mt))
end

-- Errors are the library's.
for _ = 1, 3 do
  local ok, err = pcall(function() local a = table.unpack(nil) return a end)
  assert(not ok and err:find('attempt to get length of a nil value', 1, true), err)
  ok, err = pcall(function() local a = table.unpack({}, 1, 1e8) return a end)
  assert(not ok and err:find('too many results to unpack', 1, true), err)
end

-- A replaced table.unpack is called.
local saved = table.unpack
table.unpack = function() return 'mine' end
for _ = 1, 3 do assert(table.unpack({ 1, 2 }) == 'mine') end
table.unpack = saved
for _ = 1, 3 do assert(select('#', table.unpack({ 1, 2 })) == 2) end

-- Call hooks see the library function.
local calls = 0
debug.sethook(function()
  local info = debug.getinfo(2, 'f')
  if info and info.func == table.unpack then calls = calls + 1 end
end, 'c')
local sum = 0
for _ = 1, 3 do sum = sum + select(2, table.unpack({ 1, 2 })) end
debug.sethook()
assert(sum == 6 and calls == 3, calls)

print('tab_unpack_here ok')
