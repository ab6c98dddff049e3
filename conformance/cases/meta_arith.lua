-- Arithmetic and bitwise metamethods.
local V = {}
V.__index = V
local function vec(x, y) return setmetatable({x = x, y = y}, V) end
V.__add = function(a, b) return vec(a.x + b.x, a.y + b.y) end
V.__sub = function(a, b) return vec(a.x - b.x, a.y - b.y) end
V.__mul = function(a, b)
  if type(a) == "number" then return vec(a * b.x, a * b.y) end
  if type(b) == "number" then return vec(a.x * b, a.y * b) end
  return a.x * b.x + a.y * b.y
end
V.__unm = function(a) return vec(-a.x, -a.y) end
V.__div = function(a, b) return "div" end
V.__mod = function(a, b) return "mod" end
V.__pow = function(a, b) return "pow" end
V.__idiv = function(a, b) return "idiv" end
V.__band = function(a, b) return "band" end
V.__bor = function(a, b) return "bor" end
V.__bxor = function(a, b) return "bxor" end
V.__shl = function(a, b) return "shl" end
V.__shr = function(a, b) return "shr" end
V.__bnot = function(a) return "bnot" end
local a, b = vec(1, 2), vec(3, 4)
local c = a + b
assert(c.x == 4 and c.y == 6)
assert((b - a).x == 2)
assert(a * b == 11)
assert((2 * a).y == 4 and (a * 3).x == 3)
assert((-a).x == -1)
assert(a / b == "div" and a % 1 == "mod" and 2 ^ a == "pow" and a // a == "idiv")
assert(a & 1 == "band" and 1 | a == "bor" and a ~ a == "bxor")
assert(a << 1 == "shl" and a >> 1 == "shr" and ~a == "bnot")
-- errors without a metamethod
local ok, e = pcall(function() return {} + 1 end)
assert(not ok and e:find("attempt to perform arithmetic on a table value", 1, true))
ok, e = pcall(function() return 1.5 | 1 end)
assert(not ok and e:find("number has no integer representation", 1, true))
-- strings are coerced for arithmetic, not for bitwise-with-floats
assert("10" + 1 == 11 and "3" * "4" == 12 and "0x10" + 0 == 16)
assert(math.type("10" + 1) == "integer" and math.type("1.5" + 1) == "float")
