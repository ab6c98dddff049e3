-- string.sub, upper, lower and char, and tonumber: the luahome core
-- answers calls for one result with plain arguments itself (making the
-- string). Every index combination, coercions, bases, errors, a replaced
-- function and hooks must give what the library's own call gives.

local function via(f, ...) -- the library's own call, through pcall
  local r = table.pack(pcall(f, ...))
  assert(r[1], r[2])
  return r[2]
end

local s = 'hello, world'
local idx = { -20, -13, -12, -5, -1, 0, 1, 2, 5, 11, 12, 13, 20, math.mininteger, math.maxinteger }
for _, i in ipairs(idx) do
  assert(s:sub(i) == via(string.sub, s, i), 'sub ' .. i)
  assert(string.sub(s, i, nil) == via(string.sub, s, i), 'sub nil ' .. i)
  for _, j in ipairs(idx) do
    local got = string.sub(s, i, j)
    assert(got == via(string.sub, s, i, j), 'sub ' .. i .. ',' .. j)
    assert(s:sub(i, j) == got, 'method ' .. i .. ',' .. j)
  end
end
assert((''):sub(1, 1) == '' and ('x'):sub(2) == '')
assert(string.sub(12345, 2, 3) == '23') -- a number as the string
assert(string.sub(s, 2.0, 4.0) == 'ell' and string.sub(s, '2', '4') == 'ell')
local long = string.rep('abc', 100)
assert(long:sub(4, 300) == string.rep('abc', 99) and #long:sub(-50) == 50)
local ok, err = pcall(string.sub, s, 1.5)
assert(not ok and err:find('number has no integer representation', 1, true), err)
ok, err = pcall(function() return s:sub() end)
assert(not ok and err:find("bad argument #1 to 'sub'", 1, true), err)
ok, err = pcall(function() return string.sub({}, 1) end)
assert(not ok and err:find("bad argument #1 to 'sub'", 1, true), err)

-- upper and lower
for _, t in ipairs({ '', 'abc', 'ABC', 'MiXeD 123 !?', '\0\255é', string.rep('x', 50) }) do
  assert(t:upper() == via(string.upper, t) and t:lower() == via(string.lower, t), t)
  assert(string.upper(t) == t:upper() and #t:lower() == #t)
end
assert(string.upper(12) == '12' and string.lower(1.5) == '1.5')
ok, err = pcall(function() return string.upper(nil) end)
assert(not ok and err:find("bad argument #1 to 'upper'", 1, true), err)

-- string.char
assert(string.char() == '' and string.char(72, 105) == 'Hi' and string.char(0, 255) == '\0\255')
assert(string.char(72, 105) == via(string.char, 72, 105))
local many = {}
for i = 1, 40 do many[i] = 64 + i % 26 end
assert(string.char(table.unpack(many)) == via(string.char, table.unpack(many)) and #string.char(table.unpack(many)) == 40)
assert(string.char(65.0) == 'A' and string.char('66') == 'B')
ok, err = pcall(function() return string.char(65, 256) end)
assert(not ok and err:find("bad argument #2 to 'char' (value out of range)", 1, true), err)
ok, err = pcall(function() return string.char(-1) end)
assert(not ok and err:find("bad argument #1 to 'char' (value out of range)", 1, true), err)

-- the made strings are strings like any other
local t = {}
t[s:sub(1, 5)] = 1
assert(t.hello == 1 and s:sub(1, 5) == 'hello' and s:sub(1, 5) .. '!' == 'hello!')

-- tonumber
local inputs = { 10, -2.5, '12', ' 12 ', '0x1F', '1e3', '-0x10', '3.', '.5', 'inf', 'nan',
  'abc', '', '1 2', '0x', '9223372036854775807', '9223372036854775808', true, {}, nil }
for i = 1, #inputs + 1 do
  local v = inputs[i]
  local a, b = tonumber(v), via(tonumber, v)
  assert(a == b or (a ~= a and b ~= b), 'tonumber ' .. tostring(v))
  assert(math.type(a) == math.type(b), 'type ' .. tostring(v))
end
assert(tonumber('ff', 16) == 255 and tonumber('zz', 36) == 1295 and tonumber('8', 8) == nil)
assert(tonumber('10', nil) == 10)
ok, err = pcall(function() return tonumber() end)
assert(not ok and err:find("bad argument #1 to 'tonumber'", 1, true), err)
ok, err = pcall(tonumber, '10', 99)
assert(not ok and err:find('base out of range', 1, true), err)
local x, y = tonumber('5')
assert(x == 5 and y == nil and select('#', tonumber('5')) == 1)

-- replaced functions are called as themselves
local saved = string.sub
string.sub = function() return 'mine' end
assert(string.sub(s, 1, 2) == 'mine' and s:sub(1, 2) == 'mine')
string.sub = saved
assert(s:sub(1, 2) == 'he')

-- hooks see the calls
local calls = 0
debug.sethook(function()
  local info = debug.getinfo(2, 'f')
  if info and (info.func == string.sub or info.func == tonumber) then calls = calls + 1 end
end, 'c')
for _ = 1, 3 do local _ = s:sub(1, 2) .. tonumber('1') end
debug.sethook()
assert(calls == 6, calls)

print('ok')
