-- Writes of existing fields (`t.x = v` where `t.x` is set): the luahome
-- core writes them into the bucket its field cache remembers, checked
-- first. Every way the table's buckets can move or change in between must
-- still leave each write in the right place: the map part grown by keys of
-- other types (no string key written), rehashed after removals, the field
-- removed and added again, the table rebuilt by `setmetatable` with
-- `__mode`, and writes through a second table with the same keys.

local function check(t, want, what)
  local n = 0
  for k, v in pairs(t) do
    if type(k) == 'string' then
      n = n + 1
      assert(want[k] == v, what .. ': ' .. k .. ' is ' .. tostring(v) .. ', not ' .. tostring(want[k]))
    end
  end
  for k in pairs(want) do
    assert(rawget(t, k) ~= nil or want[k] == nil, what .. ': ' .. k .. ' lost')
  end
  return n
end

-- grown by integer keys outside the array part, floats, booleans and tables
local t = { x = 1, y = 2 }
local keys = {}
for round = 1, 200 do
  t.x = t.x + 1 -- an existing field, written where the cache says
  t.y = t.y * 1
  if round % 4 == 0 then t[round * 1000] = round
  elseif round % 4 == 1 then t[round + 0.5] = round
  elseif round % 4 == 2 then local k = {} keys[#keys + 1] = k t[k] = round
  else t[round % 2 == 0] = round end
end
assert(t.x == 201 and t.y == 2)
assert(check(t, { x = 201, y = 2 }, 'other keys') == 2)
local found = 0
for k, v in pairs(t) do
  if type(k) == 'number' or type(k) == 'table' or type(k) == 'boolean' then found = found + 1 end
end
assert(found == 50 + 50 + 50 + 1, found) -- one boolean key: false

-- many fields, written in turn while new ones are added
local o = {}
local want = {}
for i = 1, 300 do
  local name = 'f' .. i
  o[name] = i
  want[name] = i
  for j = 1, i, 7 do
    local old = 'f' .. j
    o[old] = o[old] + 1
    want[old] = want[old] + 1
  end
end
assert(check(o, want, 'many fields') == 300)

-- removed and added again, with growth in between
local r = { a = 1, b = 2, c = 3 }
for round = 1, 100 do
  r.a = round
  r.b = nil
  r[round + 10000] = true
  r.b = round * 2
  r.c = r.c + r.b
  r[round + 10000] = nil
end
assert(r.a == 100 and r.b == 200)
assert(r.c == 3 + 2 * (100 * 101 / 2))
assert(check(r, { a = 100, b = 200, c = r.c }, 'removed and added') == 3)

-- two tables with the same keys: each write goes to its own table
local p, q = { x = 0, y = 0 }, { x = 0, y = 0 }
for i = 1, 100 do
  p.x = p.x + i
  q.x = q.x - i
  p[i * 3 + 1000] = i -- p grows, q does not
  q.y = q.y + 1
  p.y = q.y * 2
end
assert(p.x == 5050 and q.x == -5050 and q.y == 100 and p.y == 200)

-- rebuilt by a weak mode, then written through the field path
local w = setmetatable({ x = 1, y = 2 }, { __mode = 'k' })
w.x = 10
setmetatable(w, nil)
w.x = w.x + 1
w.z = 3
w.y = w.y + w.z
assert(w.x == 11 and w.y == 5 and w.z == 3)

-- written from a coroutine (its own cache) between writes here
local s = { n = 0 }
local co = coroutine.wrap(function()
  while true do
    s.n = s.n + 100
    for i = 1, 20 do s[-i] = i end -- the coroutine grows the map
    for i = 1, 20 do s[-i] = nil end
    coroutine.yield()
  end
end)
for _ = 1, 10 do
  s.n = s.n + 1
  co()
  s.n = s.n + 1
end
assert(s.n == 1020, s.n)

print('ok')
