-- __call, __tostring, __name, __pairs, __close via pcall, __mode accepted.
local callable = setmetatable({}, {__call = function(self, a, b) return self, a + b end})
local s, r = callable(2, 3)
assert(s == callable and r == 5)
local t = setmetatable({}, {__tostring = function() return "T!" end})
assert(tostring(t) == "T!")
local named = setmetatable({}, {__name = "MyType"})
assert(tostring(named):match("^MyType: ") ~= nil)
local bad = setmetatable({}, {__tostring = function() return {} end})
local ok, e = pcall(tostring, bad)
assert(not ok and e == "'__tostring' must return a string")
-- __pairs
local p = setmetatable({}, {__pairs = function(t)
  local i = 0
  return function() i = i + 1; if i <= 3 then return i, i * 10 end end, t, nil
end})
local sum = 0
for k, v in pairs(p) do sum = sum + v end
assert(sum == 60)
-- calling a non-callable value
ok, e = pcall(function() local x = {}; x() end)
assert(not ok and e:find("attempt to call a table value", 1, true))
-- weak tables are accepted
local weak = setmetatable({}, {__mode = "k"})
weak[{}] = 1
assert(getmetatable(weak).__mode == "k")
