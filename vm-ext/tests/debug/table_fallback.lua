-- Functions called by the table library's versions for tables with
-- metamethods see a C function below them, as in PUC Lua: no Lua level,
-- no name from a calling instruction, no position for error level 2.
local function where(_, k)
  local info = debug.getinfo(2, "nSl")
  print(k, info.what, info.short_src, info.currentline, info.name)
  print(debug.traceback("in __index", 1))
  return k
end
local p = setmetatable({}, {__index = where, __len = function() return 1 end})
print(table.concat(p))
-- the same for a number with a type metatable
debug.setmetatable(0, {__index = where, __len = function() return 1 end})
print(table.unpack(7))
debug.setmetatable(0, nil)
local q = setmetatable({}, {__index = function(_, k) error("level 2", 2) end, __len = function() return 1 end})
print(pcall(function() local x = table.unpack(q) end))
local r = setmetatable({}, {__index = function(_, k) error("level 3", 3) end, __len = function() return 1 end})
print(pcall(function() local x = table.unpack(r) end))
-- a comparator called by sort
local data = {3, 1, 2}
local proxy = setmetatable({}, {__index = data, __newindex = data, __len = function() return #data end})
table.sort(proxy, function(a, b)
  local info = debug.getinfo(2, "nS")
  print(info.what, info.name, debug.getinfo(1, "n").name)
  if a == 2 and b == 3 then print(debug.traceback("in comparator")) end
  return a < b
end)
print(data[1], data[2], data[3])
-- hooks see the metamethods, not the library's Lua code
local s = setmetatable({}, {__index = function(_, k) return k end, __len = function() return 2 end})
local events = {}
debug.sethook(function(ev, line)
  events[#events + 1] = ev .. ":" .. tostring(line)
end, "crl")
local joined = table.concat(s, ",")
debug.sethook()
print(joined, table.concat(events, " "))
local n = 0
debug.sethook(function() n = n + 1 end, "", 1)
joined = table.concat(s, ",")
debug.sethook()
print(joined, n)
