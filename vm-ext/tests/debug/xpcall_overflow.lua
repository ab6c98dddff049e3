-- A stack overflow inside a message handler that handles a stack overflow
-- is "error in error handling" (PUC Lua runs the handler on top of the
-- overflowed stack); afterwards overflows are ordinary again.
-- (Frames with 190 locals overflow quickly.)
local names = {}
for i = 1, 190 do names[i] = "v" .. i end
local loop = load("local loop; loop = function(x) local " .. table.concat(names, ", ") ..
  " = 1; return 1 + loop(x) end; return loop")()
local res, msg = xpcall(loop, function(m)
  print(string.find(m, "stack overflow") ~= nil)
  print(pcall(loop))
  return 15
end)
print(res, msg)
print(xpcall(loop, loop))
local ok, m = pcall(loop)
print(ok, string.find(m, "stack overflow") ~= nil)
