-- math library: integer/float rules, errors, random. Runs under lua5.4 too.
local function has(s, sub)
  for i = 1, #s - #sub + 1 do
    if string.sub(s, i, i + #sub - 1) == sub then return true end
  end
  return false
end
local function checkerr(sub, f, ...)
  local ok, m = pcall(f, ...)
  assert(not ok, "expected an error: " .. sub)
  assert(type(m) == "string" and has(m, sub), m)
end
local function eqT(a, b) return a == b and math.type(a) == math.type(b) end

assert(eqT(math.floor(3.7), 3) and eqT(math.floor(-3.5), -4) and eqT(math.floor(5), 5))
assert(eqT(math.ceil(3.2), 4) and eqT(math.ceil(-3.5), -3))
assert(eqT(math.floor(2^70), 2^70) and eqT(math.floor("3.7"), 3))
assert(math.floor(-0.0) == 0)
checkerr("bad argument #1 to 'floor' (number expected, got string)", function() math.floor("x") end)
checkerr("bad argument #1 to 'floor' (number expected, got no value)", function() math.floor() end)

assert(eqT(math.fmod(7, 3), 1) and eqT(math.fmod(-7, 3), -1) and eqT(math.fmod(7, -3), 1))
assert(eqT(math.fmod(math.mininteger, -1), 0) and eqT(math.fmod(7.5, 2), 1.5))
assert(math.fmod(1, 0.0) ~= math.fmod(1, 0.0))
checkerr("bad argument #2 to 'fmod' (zero)", function() math.fmod(1, 0) end)

local ip, fp = math.modf(3.5); assert(eqT(ip, 3) and eqT(fp, 0.5))
ip, fp = math.modf(-2.5); assert(ip == -2 and eqT(fp, -0.5))
ip, fp = math.modf(1/0); assert(ip == 1/0 and eqT(fp, 0.0))
ip, fp = math.modf(3); assert(eqT(ip, 3) and eqT(fp, 0.0))

assert(eqT(math.tointeger(3.0), 3) and math.tointeger(3.5) == nil)
assert(math.tointeger({}) == nil and math.tointeger(2^63) == nil)
assert(math.type(1) == "integer" and math.type(1.0) == "float" and math.type("1") == nil)
checkerr("bad argument #1 to 'type' (value expected)", function() math.type() end)

assert(eqT(math.max(1, 2.5, 2), 2.5) and eqT(math.min(3, 1.0, 2), 1.0) and eqT(math.max(7), 7))
assert(eqT(math.max(1, 1.0), 1) and eqT(math.min(math.maxinteger, 2^63), math.maxinteger))
checkerr("bad argument #1 to 'max' (value expected)", function() math.max() end)
checkerr("attempt to compare", function() math.min(1, "x") end)
assert(math.max("a", "b") == "b")

assert(math.ult(1, -1) and not math.ult(-1, 1))
assert(eqT(math.abs(math.mininteger), math.mininteger) and eqT(math.abs(-2.5), 2.5) and eqT(math.abs(-3), 3))
assert(eqT(math.sqrt(16), 4.0) and eqT(math.exp(0), 1.0))
assert(math.log(8, 2) == 3.0 and math.log(100, 10) == 2.0 and math.log(1) == 0.0)
assert(math.abs(math.log(27, 3) - 3) < 1e-12)
assert(math.abs(math.atan(1, 1) - math.pi / 4) < 1e-15 and math.atan(1) == math.atan(1, 1))
assert(math.abs(math.sin(math.pi / 2) - 1) < 1e-15 and math.cos(0) == 1.0)
assert(math.huge > 1e308 and -math.huge < -1e308)
assert(math.maxinteger + 1 == math.mininteger)
assert(eqT(math.tointeger("8"), 8) or math.tointeger("8") == nil)

-- random: xoshiro256** seeded as Lua 5.4 does
math.randomseed(42)
assert(math.random(0) == -1276290044721465627)
local s1, s2 = math.randomseed(42)
assert(s1 == 42 and s2 == 0)
for _ = 1, 1000 do
  local r = math.random()
  assert(r >= 0 and r < 1 and math.type(r) == "float")
  local k = math.random(3)
  assert(k >= 1 and k <= 3 and math.type(k) == "integer")
  local m = math.random(-5, 5)
  assert(m >= -5 and m <= 5)
end
assert(math.random(5, 5) == 5)
assert(math.type(math.random(math.mininteger, math.maxinteger)) == "integer")
checkerr("bad argument #1 to 'random' (interval is empty)", function() math.random(0) ; math.random(-1) end)
checkerr("bad argument #1 to 'random' (interval is empty)", function() math.random(2, 1) end)
checkerr("wrong number of arguments", function() math.random(1, 2, 3) end)
math.randomseed()
