-- math.random: the luahome core answers calls with integer arguments (or
-- none) itself. The same seed must give the same sequence through the
-- fast path and through the library's own call (pcall), for every form;
-- failing calls must not advance the generator more than the library does.

local forms = {
  {}, { 0 }, { 10 }, { 1 }, { 3, 7 }, { -5, 5 }, { 0, 0 }, { math.mininteger, math.maxinteger },
  { 6, 6 }, { 2, 1000000 },
}

local function direct(form)
  local n = #form
  if n == 0 then return math.random() end
  if n == 1 then return math.random(form[1]) end
  return math.random(form[1], form[2])
end

local function via(form)
  local ok, v = pcall(math.random, table.unpack(form))
  assert(ok, v)
  return v
end

for _, form in ipairs(forms) do
  math.randomseed(42, 7)
  local a = {}
  for i = 1, 20 do a[i] = direct(form) end
  math.randomseed(42, 7)
  for i = 1, 20 do
    local b = via(form)
    assert(a[i] == b and math.type(a[i]) == math.type(b), #form .. ' args, call ' .. i)
  end
end

-- ranges
math.randomseed(1)
for _ = 1, 200 do
  local f = math.random()
  assert(f >= 0 and f < 1 and math.type(f) == 'float')
  local i = math.random(3, 7)
  assert(i >= 3 and i <= 7 and math.type(i) == 'integer')
  local j = math.random(10)
  assert(j >= 1 and j <= 10)
end

-- failing calls advance the generator as the library's do
local function after_error(f)
  math.randomseed(5)
  pcall(f)
  return math.random(1000000)
end
local e1 = after_error(function() return math.random(3, 1) end)
local e2 = after_error(function() local ok = pcall(math.random, 3, 1) return ok end)
assert(e1 == e2)
local ok, err = pcall(function() return math.random(3, 1) end)
assert(not ok and string.find(err, 'interval is empty', 1, true), err)
ok, err = pcall(function() return math.random(1.5) end)
assert(not ok and string.find(err, 'number has no integer representation', 1, true), err)
ok, err = pcall(function() return math.random(1, 2, 3) end)
assert(not ok and string.find(err, 'wrong number of arguments', 1, true), err)
assert(math.random(2.0) >= 1 and math.random('3') <= 3) -- converted by the library

print('ok')
