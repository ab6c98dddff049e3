-- __eq, __lt, __le, __concat, __len.
local mt = {}
local function new(v) return setmetatable({v = v}, mt) end
mt.__eq = function(a, b) return a.v == b.v end
mt.__lt = function(a, b) return a.v < b.v end
mt.__le = function(a, b) return a.v <= b.v end
mt.__concat = function(a, b)
  local av = type(a) == "table" and a.v or a
  local bv = type(b) == "table" and b.v or b
  return av .. "&" .. bv
end
mt.__len = function(a) return 42 end
local x, y, z = new(1), new(2), new(1)
assert(x == z and x ~= y and not (x == y))
assert(x < y and not (y < x) and x <= z and y > x and y >= x)
assert(x .. "s" == "1&s" and "s" .. y == "s&2" and x .. y == "1&2")
assert(#x == 42)
-- __eq is not called for primitive equality or different types
assert(x ~= 1)
-- the result of __eq/__lt is converted to a boolean
mt.__lt = function() return 1 end
assert((x < y) == true)
-- comparison errors
local ok, e = pcall(function() return {} < {} end)
assert(not ok and e:find("attempt to compare two table values", 1, true))
ok, e = pcall(function() return 1 < "2" end)
assert(not ok and e:find("attempt to compare number with string", 1, true))
ok, e = pcall(function() return {} .. "" end)
assert(not ok and e:find("attempt to concatenate a table value", 1, true))
-- numbers concatenate with Lua's formatting
assert(1 .. "" == "1" and 1.0 .. "" == "1.0" and -0.0 .. "" == "-0.0")
assert(2^63 .. "" == "9.2233720368548e+18")
