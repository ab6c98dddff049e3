-- math.max, math.min, string.byte and string.len: the luahome core answers
-- calls for one result with numbers (or a string and an index inside it)
-- itself. Results, types, the order of equal values, NaN, extra and
-- missing arguments, coercions and errors must be the library's.

local function same(a, b)
  if a ~= a then return b ~= b end
  return a == b and math.type(a) == math.type(b) and (a ~= 0 or 1 / a == 1 / b)
end

local nan = 0 / 0
local pairs_ = {
  { 1, 2 }, { 2, 1 }, { 1, 1.0 }, { 1.0, 1 }, { -1, -1.5 }, { 2 ^ 53, 2 ^ 53 + 1 },
  { math.maxinteger, 2 ^ 63 }, { 2 ^ 63, math.maxinteger }, { math.mininteger, -2 ^ 63 },
  { 0, -0.0 }, { -0.0, 0 }, { 0.0, -0.0 }, { nan, 1 }, { 1, nan }, { 1 / 0, -1 / 0 },
  { 3, 3 }, { -7, 7.25 },
}
for i, p in ipairs(pairs_) do
  local a, b = p[1], p[2]
  local mx, mn = math.max(a, b), math.min(a, b)
  local okx, lx = pcall(math.max, a, b) -- the library's own call
  local okn, ln = pcall(math.min, a, b)
  assert(okx and same(mx, lx), 'max ' .. i .. ': ' .. tostring(mx) .. ' vs ' .. tostring(lx))
  assert(okn and same(mn, ln), 'min ' .. i .. ': ' .. tostring(mn) .. ' vs ' .. tostring(ln))
  local max, min = math.max, math.min -- through locals
  assert(same(max(a, b), mx) and same(min(a, b), mn), 'local ' .. i)
end
-- which of two equal values comes back
assert(math.type(math.max(1, 1.0)) == 'integer' and math.type(math.max(1.0, 1)) == 'float')
assert(math.type(math.min(1, 1.0)) == 'integer' and math.type(math.min(1.0, 1)) == 'float')
-- one argument, and strings, go to the library
local ok, err
assert(math.max(5) == 5 and math.min(5.5) == 5.5)
assert(math.max(1, 9, 3) == 9 and math.min(4, 2, 8) == 2)
assert(math.type(math.max(2, 2.0, 1)) == 'integer' and math.type(math.min(1.0, 3, 1)) == 'float')
assert(math.max(1, 2, 0 / 0, 3) == 3 and math.min(5, 4.5, 6, -1, 7) == -1)
ok, err = pcall(function() return math.max(1, 2, 'x') end)
assert(not ok and err:find('compare', 1, true), err)
assert(math.max('a', 'b') == 'b' and math.min('a', 'b') == 'a')
ok, err = pcall(math.max, 1, nil)
assert(not ok and err:find('compare', 1, true), err)
ok, err = pcall(function() return math.min(1, {}) end)
assert(not ok and err:find('compare', 1, true), err)
ok, err = pcall(function() return math.max() end)
assert(not ok and err:find("bad argument #1 to 'max'", 1, true), err)
local a, b = math.max(1, 2)
assert(a == 2 and b == nil)

-- string.byte
local s = 'hello'
for i = -7, 7 do
  local direct = { string.byte(s, i) }
  local via = { pcall(string.byte, s, i) }
  table.remove(via, 1)
  assert(#direct == #via and direct[1] == via[1], 'byte ' .. i)
  local one = string.byte(s, i) -- one result
  assert(one == direct[1], 'byte one ' .. i)
  assert(s:byte(i) == one, 'method ' .. i)
end
assert(string.byte(s) == 104 and s:byte() == 104 and string.byte(s, nil) == 104)
assert(string.byte('') == nil and select('#', string.byte('')) == 0)
assert(string.byte(s, 2.0) == 101 and string.byte(s, '3') == 108)
assert(string.byte(123, 1) == 49)
assert(select('#', string.byte(s, 1, 3)) == 3 and string.byte(s, 1, 3) == 104)
ok, err = pcall(string.byte, s, 1.5)
assert(not ok and err:find('number has no integer representation', 1, true), err)
ok, err = pcall(function() return string.byte({}, 1) end)
assert(not ok and err:find("bad argument #1 to 'byte'", 1, true), err)
local t = { string.byte(s, 1), string.byte(s, 2) }
assert(t[1] == 104 and t[2] == 101)

-- string.len
assert(string.len('abc') == 3 and string.len('') == 0 and ('xy'):len() == 2)
assert(string.len(123) == 3 and string.len(1.5) == 3)
ok, err = pcall(function() return string.len(nil) end)
assert(not ok and err:find("bad argument #1 to 'len'", 1, true), err)

-- replaced functions are called as themselves
local saved = math.max
math.max = function() return 'mine' end
assert(math.max(1, 2) == 'mine')
math.max = saved
assert(math.max(1, 2) == 2)

-- hooks see the calls
local calls = 0
debug.sethook(function()
  local info = debug.getinfo(2, 'f')
  if info and (info.func == math.max or info.func == string.byte) then calls = calls + 1 end
end, 'c')
for _ = 1, 3 do local _ = math.max(1, 2) + s:byte(1) end
debug.sethook()
assert(calls == 6, calls)

print('ok')
