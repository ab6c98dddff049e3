-- Generic `for` over `ipairs` (the luahome core steps loops over a table
-- without a metatable itself): holes, changes during the loop, one to
-- three loop variables, tables with __index, weak tables, strings, and the
-- iterator called by hand.

local function collect(t, n)
  local out = {}
  if n == 1 then
    for i in ipairs(t) do out[#out + 1] = tostring(i) end
  elseif n == 2 then
    for i, v in ipairs(t) do out[#out + 1] = i .. '=' .. tostring(v) end
  else
    for i, v, x in ipairs(t) do out[#out + 1] = i .. '=' .. tostring(v) .. ':' .. tostring(x) end
  end
  return table.concat(out, ' ')
end

assert(collect({10, 20, 30}, 1) == '1 2 3')
assert(collect({10, 20, 30}, 2) == '1=10 2=20 3=30')
assert(collect({10, 20}, 3) == '1=10:nil 2=20:nil')
assert(collect({}, 2) == '')
assert(collect({1, 2, nil, 4}, 2) == '1=1 2=2')
assert(collect({[1] = 'a', [2] = 'b', [4] = 'd', x = 'y'}, 2) == '1=a 2=b')
assert(collect({false, false, 'x'}, 2) == '1=false 2=false 3=x')

-- the table changing while the loop runs
local t = {1, 2, 3}
local seen = {}
for i, v in ipairs(t) do
  seen[#seen + 1] = v
  if i == 1 then t[4] = 4 end
  if i == 2 then t[3] = 'three' end
end
assert(table.concat(seen, ',') == '1,2,three,4')
t = {1, 2, 3, 4}
seen = {}
for i, v in ipairs(t) do
  seen[#seen + 1] = v
  t[i + 1] = nil
end
assert(table.concat(seen, ',') == '1')

-- __index fills the holes (and a metatable without __index changes nothing)
local proxy = setmetatable({}, {__index = function(_, i) if i <= 3 then return i * 100 end end})
assert(collect(proxy, 2) == '1=100 2=200 3=300')
local partial = setmetatable({1, 2}, {__index = {nil, nil, 3, 4}})
assert(collect(partial, 2) == '1=1 2=2 3=3 4=4')
assert(collect(setmetatable({5, 6}, {}), 2) == '1=5 2=6')

-- weak tables
local weak = setmetatable({}, {__mode = 'v'})
local keep = {{}, {}, {}}
for i = 1, 3 do weak[i] = keep[i] end
local n = 0
for i, v in ipairs(weak) do n = n + 1; assert(v == keep[i]) end
assert(n == 3)

-- characters of a string through __index
local s = setmetatable({}, {__index = function(_, i) local c = string.sub('abc', i, i) return c ~= '' and c or nil end})
assert(collect(s, 2) == '1=a 2=b 3=c')

-- the iterator itself
local f, st, init = ipairs({7, 8})
assert(init == 0 and select('#', f(st, 0)) == 2 and f(st, 1) == 2 and f(st, 2) == nil)
assert(select('#', f(st, 2)) == 1)

-- nested loops over the same table, and break
local grid, pairs_seen = {1, 2, 3}, 0
for _, a in ipairs(grid) do
  for _, b in ipairs(grid) do
    if b > a then break end
    pairs_seen = pairs_seen + 1
  end
end
assert(pairs_seen == 6)

print('ok')
