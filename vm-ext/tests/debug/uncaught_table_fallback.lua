-- An error table.concat raises itself, reading a number through its type
-- metatable: the caller's position, and a traceback that starts at the
-- library function, as in PUC Lua.
debug.setmetatable(0, {__index = function(n, k) return {} end, __len = function() return 2 end})
local function show(t)
  return table.concat(t, ",") .. "!"
end
show(5)
