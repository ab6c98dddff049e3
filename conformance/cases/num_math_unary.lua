-- math functions of one number (sqrt, sin, cos, tan, asin, acos, exp, rad,
-- deg, abs, floor, ceil): the luahome core answers a call for one result
-- with a number argument itself. Results, types, extra arguments, other
-- result counts, coercions, errors and hooks must be those of the library.

local function same(a, b)
  if a ~= a then return b ~= b end -- NaN
  return a == b and math.type(a) == math.type(b)
    and (a ~= 0 or 1 / a == 1 / b) -- the sign of zero
end

local inputs = { 0, -0.0, 1, -1, 2, 2.25, 0.5, -3.5, 3.7, 1e308, -1e308, 1 / 0, -1 / 0, 0 / 0,
  math.maxinteger, math.mininteger, 2 ^ 53, -2 ^ 63, 2 ^ 63, 123456789 }
local names = { 'sqrt', 'sin', 'cos', 'tan', 'asin', 'acos', 'exp', 'rad', 'deg', 'abs', 'floor', 'ceil' }

-- each function through a local (a register), a field (math.f) and pcall,
-- which goes through the library's own call
for _, name in ipairs(names) do
  local f = math[name]
  for _, x in ipairs(inputs) do
    local direct = f(x)
    local field = math[name](x)
    local ok, called = pcall(f, x)
    assert(ok and same(direct, called), name .. '(' .. tostring(x) .. ') = ' .. tostring(direct) .. ' vs ' .. tostring(called))
    assert(same(field, called), name .. ' field')
  end
end

-- the integer/float results of floor, ceil and abs
assert(math.type(math.floor(3.7)) == 'integer' and math.floor(3.7) == 3)
assert(math.type(math.floor(-0.0)) == 'integer')
assert(math.type(math.floor(2 ^ 63)) == 'float') -- does not fit an integer
assert(math.type(math.ceil(-3.5)) == 'integer' and math.ceil(-3.5) == -3)
assert(math.abs(math.mininteger) == math.mininteger)
assert(math.type(math.abs(-2.5)) == 'float' and math.abs(-2.5) == 2.5)
assert(math.type(math.sqrt(4)) == 'float' and math.sqrt(4) == 2.0)

-- extra arguments are ignored; other result counts
assert(math.sqrt(16, 'x', {}) == 4.0)
local a, b = math.sqrt(9)
assert(a == 3.0 and b == nil)
local t = { math.floor(2.5), math.floor(3.5) }
assert(#t == 2 and t[1] == 2 and t[2] == 3)
t = { math.ceil(0.5) } -- all results of the last call in a constructor
assert(#t == 1 and t[1] == 1)
local function tail(x) return math.abs(x) end
assert(tail(-7) == 7 and select('#', tail(-7)) == 1)
math.sqrt(2) -- no result wanted

-- strings are converted by the library
assert(math.sqrt('16') == 4.0 and math.floor('3.7') == 3 and math.abs('-2') == 2)
assert(math.type(math.floor('3')) == 'integer')

-- errors name the function and argument, with the caller's position
local ok, err = pcall(function() return math.sqrt({}) end)
assert(not ok and err:find('bad argument #1 to \'sqrt\'', 1, true), err)
assert(err:find('^[^:]*num_math_unary.lua:%d+:') or err:find('^%[string'), err)
ok, err = pcall(function() local f = math.floor return f() end)
assert(not ok and err:find('number expected, got no value', 1, true), err)
ok, err = pcall(function() return math.abs(nil) end)
assert(not ok and err:find('got nil', 1, true), err)

-- a replaced math function is called as itself
local saved = math.sqrt
math.sqrt = function(x) return 'mine ' .. x end
assert(math.sqrt(4) == 'mine 4')
math.sqrt = saved
assert(math.sqrt(4) == 2.0)

-- hooks see the calls
local calls = 0
debug.sethook(function(ev)
  local info = debug.getinfo(2, 'f')
  if info and info.func == math.sqrt then calls = calls + 1 end
end, 'c')
local s = 0
for i = 1, 5 do s = s + math.sqrt(i * i) end
debug.sethook()
assert(s == 15.0 and calls == 5, calls)

print('ok')
