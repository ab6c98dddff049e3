-- A library function that xpcall calls directly and that fails is a level
-- of the stack its message handler sees, as in PUC Lua.
print(xpcall(string.rep, debug.traceback))
print(xpcall(error, debug.traceback, "boom"))
local function f() return string.rep() end
print(xpcall(f, debug.traceback))
-- a library function that called Lua code that failed
print(xpcall(table.sort, debug.traceback, {3, 2, 1}, function(a, b) error("cmp") end))
-- the levels the handler sees, by debug.getinfo
print(xpcall(string.rep, function(m) return debug.getinfo(2, "n").name end))
print(xpcall(string.rep, function(m)
  local t = {}
  for l = 1, 4 do
    local i = debug.getinfo(l, "Sn")
    t[#t + 1] = i and (i.what .. ":" .. tostring(i.name)) or "-"
  end
  return table.concat(t, " ")
end))
-- the handler's own error, and an xpcall after them: nothing left over
print(xpcall(string.rep, function(m) error("again") end))
print(xpcall(string.rep, debug.traceback))
print(xpcall(function() return 1 end, debug.traceback))
