_home.list = { 10, 20, 30, x = "a", y = "b" }
local seen = {}
for k, v in pairs(_home.list) do seen[#seen + 1] = k end
assert(#seen == 5)
-- clearing fields while iterating is allowed
for k in pairs(_home.list) do
  if type(k) == "string" then _home.list[k] = nil end
end
assert(_home.list.x == nil and #_home.list == 3)
assert(not pcall(function() _home.bad = { [{}] = 1 } end))
