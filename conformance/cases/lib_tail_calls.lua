-- Library functions called in tail position (`return setmetatable(o, C)`):
-- the luahome core answers those of one result without the library's call,
-- and such a call must return exactly what the library's own call returns
-- (one result, or none for table.insert and an empty string.byte), raise
-- the library's errors, and leave field reads of the tables involved
-- correct, weak tables included.

local function count(...) return select('#', ...), ... end

-- Each check runs three times: the core answers a library function here
-- only once it has seen a call of it.
for round = 1, 3 do
  -- One result each, nil included.
  local C = {}
  C.__index = C
  local function new(x) return setmetatable({ x = x }, C) end
  local o = new(3)
  assert(getmetatable(o) == C and o.x == 3)
  local function gm(v) return getmetatable(v) end
  local function rg(t, k) return rawget(t, k) end
  local function tn(s) return tonumber(s) end
  local function ty(v) return type(v) end
  local function mx(a, b) return math.max(a, b) end
  local function fl(x) return math.floor(x) end
  local function sub(s, i, j) return s:sub(i, j) end
  local function up(s) return s:upper() end
  local function ts(v) return tostring(v) end
  for _, case in ipairs({
    { gm, { {} }, nil }, { gm, { o }, C },
    { rg, { {}, 'q' }, nil }, { rg, { { q = 1 }, 'q' }, 1 },
    { tn, { 'zz' }, nil }, { tn, { '0x10' }, 16 },
    { ty, { 1 }, 'number' }, { ty, { nil }, 'nil' },
    { mx, { 3, 9 }, 9 }, { fl, { 3.5 }, 3 },
    { sub, { 'hello', 2, 3 }, 'el' }, { sub, { 'hello', 9, 10 }, '' },
    { up, { 'abc' }, 'ABC' }, { ts, { 12 }, '12' },
  }) do
    local n, v = count(case[1](table.unpack(case[2], 1, 3)))
    assert(n == 1, 'one result')
    assert(v == case[3], tostring(v))
  end
  assert(math.type(fl(3.5)) == 'integer')

  -- No result: table.insert, and string.byte past the end.
  local function ins(t, v) return table.insert(t, v) end
  local t = {}
  assert(count(ins(t, 5)) == 0 and t[1] == 5 and #t == 1)
  local function rem(t) return table.remove(t) end
  local n, v = count(rem(t))
  assert(n == 1 and v == 5 and #t == 0)
  local function byte(s, i) return s:byte(i) end
  assert(count(byte('abc', 10)) == 0)
  assert(select(2, count(byte('abc', 2))) == 98)

  -- Errors are the library's.
  local ok, err = pcall(function() return math.floor('x') end)
  assert(not ok and err:find("bad argument #1 to 'floor'", 1, true), err)
  ok, err = pcall(function() return setmetatable(1, {}) end)
  assert(not ok and err:find("bad argument #1 to 'setmetatable'", 1, true), err)
  local locked = setmetatable({}, { __metatable = 'locked' })
  ok, err = pcall(function() return setmetatable(locked, {}) end)
  assert(not ok and err:find('cannot change a protected metatable', 1, true), err)

  -- Deep tail recursion ending in a library call, and a replaced function.
  local function deep(k) if k == 0 then return type(k) end return deep(k - 1) end
  assert(deep(10000) == 'number')
  local saved = math.max
  math.max = function() return 'mine' end
  assert(mx(1, 2) == 'mine')
  math.max = saved
  assert(mx(1, 2) == 2)

  -- Field reads stay right around setmetatable, weak tables included.
  local w = { a = 1, b = 2 }
  assert(w.a + w.b == 3)
  setmetatable(w, { __mode = 'k' })
  assert(w.a == 1 and w.b == 2)
  w.a = 10
  assert(w.a == 10 and rawget(w, 'a') == 10)
  local sum = 0
  for _, x in pairs(w) do sum = sum + x end
  assert(sum == 12)
  local function plain(t) return setmetatable(t, nil) end
  plain(w)
  assert(w.a == 10)
  w.b = 5
  sum = 0
  for _, x in pairs(w) do sum = sum + x end
  assert(sum == 15 and rawget(w, 'b') == 5)
  local v2 = setmetatable({}, { __mode = 'v' })
  v2.y = 1
  assert(v2.y == 1)
  local function weakv(t) return setmetatable(t, { __mode = 'v' }) end
  setmetatable(v2, nil)
  v2.y = 3
  assert(v2.y == 3 and rawget(v2, 'y') == 3)
  weakv(v2)
  assert(v2.y == 3)
  v2.y = 4
  assert(v2.y == 4 and rawget(v2, 'y') == 4)
  -- A table made weak by a call answered in the loop, written and read
  -- (the field cache held its fields from before).
  local w2 = { x = 1, y = 2 }
  assert(w2.x + w2.y == 3)
  setmetatable(w2, { __mode = 'k' })
  w2.x = 2
  assert(w2.x == 2 and rawget(w2, 'x') == 2)
  sum = 0
  for _, x in pairs(w2) do sum = sum + x end
  assert(sum == 4)
  setmetatable(w2, nil)
  w2.y = 5
  assert(w2.y == 5 and w2.x == 2)
  -- An __index class set after a field was read.
  local obj = { m = 1 }
  assert(obj.m == 1)
  obj.m = nil
  assert(obj.m == nil)
  local function class(t, k) return setmetatable(t, { __index = k }) end
  class(obj, { m = 7 })
  assert(obj.m == 7)
end

-- Call hooks see the tail-called library function.
local function floor_of(x) return math.floor(x) end
for _ = 1, 3 do assert(floor_of(1.5) == 1) end
local calls = 0
debug.sethook(function()
  local info = debug.getinfo(2, 'f')
  if info and info.func == math.floor then calls = calls + 1 end
end, 'c')
local r = 0
for _ = 1, 3 do r = r + floor_of(2.5) end
debug.sethook()
assert(r == 6 and calls == 3, calls)

print('lib_tail_calls ok')
