-- Number constants as operands of arithmetic and order comparisons:
-- `2 * x`, `x > 4.0` (the compiler's constant-left and float-immediate
-- forms) keep Lua's operand order for metamethods, its float/integer
-- results and its error messages.
local seen = {}
local mt = {}
for _, ev in ipairs({ "add", "mul" }) do
  mt["__" .. ev] = function(a, b)
    local function d(v) return type(v) == "table" and "T" or math.type(v) .. ":" .. tostring(v) end
    return ev .. "(" .. d(a) .. "," .. d(b) .. ")"
  end
end
for _, ev in ipairs({ "lt", "le" }) do
  mt["__" .. ev] = function(a, b)
    local function d(v) return type(v) == "table" and "T" or math.type(v) .. ":" .. tostring(v) end
    seen[#seen + 1] = ev .. "(" .. d(a) .. "," .. d(b) .. ")"
    return ev == "lt"
  end
end
local t = setmetatable({}, mt)
assert(2 + t == "add(integer:2,T)")
assert(t + 2 == "add(T,integer:2)")
assert(2.5 * t == "mul(float:2.5,T)")
assert(t * 2.5 == "mul(T,float:2.5)")
assert(1e300 * t == "mul(float:1e+300,T)")

assert((t < 4.0) == true and (t <= 4.0) == false)
assert((t > 4.0) == true and (t >= 4.0) == false)
assert((4.0 < t) == true and (4.0 >= t) == false)
assert(table.concat(seen, " ") ==
  "lt(T,float:4.0) le(T,float:4.0) lt(float:4.0,T) le(float:4.0,T) lt(float:4.0,T) le(T,float:4.0)")

-- Values: integers stay integers, mixed operands become floats.
local x = 3
assert(math.type(2 * x) == "integer" and 2 * x == 6)
assert(math.type(2.0 * x) == "float" and 2.0 * x == 6.0)
assert(math.type(2 + x) == "integer" and math.type(0.5 + x) == "float" and 0.5 + x == 3.5)
assert(math.type(-1 * math.mininteger) == "integer" and -1 * math.mininteger == math.mininteger)
assert(x > 2.0 and not (x < 2.0) and x >= 3.0 and not (x <= 2.5) and 3.0 <= x)
assert(not (x > 3.0) and x >= -3.0 and -3.0 < x)
local big = math.maxinteger
assert(big > 4.0 and math.mininteger < -4.0 and not (big < 4.0))
local nan = 0 / 0
assert(not (nan < 1.0) and not (nan >= 1.0) and not (1.0 <= nan) and not (nan > -1.0))
assert(1.5 * "2" == 3.0 and 3 * "4" == 12 and math.type(3 * "4") == "integer")

-- Errors name the variable operand.
local function msg(f) local ok, e = pcall(f) assert(not ok) return e end
local z
assert(msg(function() return 2 * z end):find("attempt to perform arithmetic on a nil value %(upvalue 'z'%)"))
assert(msg(function() local w; return 2.0 + w end):find("attempt to perform arithmetic on a nil value %(local 'w'%)"))
assert(msg(function() return z > 1.0 end):find("attempt to compare number with nil"))
assert(msg(function() return 1.0 > z end):find("attempt to compare nil with number"))
assert(msg(function() return {} <= 2.0 end):find("attempt to compare table with number"))
print("ok")
