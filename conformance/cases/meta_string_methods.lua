-- Method calls on strings (s:upper()) follow every change of the strings'
-- metatable and of its __index table at once (the luahome core reads them
-- through its field cache).
local s = "abc"
local out = {}
for i = 1, 3 do out[#out + 1] = s:upper() end
getmetatable("").__index = {upper = function() return "mine" end}
out[#out + 1] = s:upper()
rawset(getmetatable(""), "__index", {upper = function() return "raw" end})
out[#out + 1] = s:upper()
local idx = getmetatable("").__index
rawset(idx, "upper", function() return "raw2" end)
out[#out + 1] = s:upper()
idx.upper = nil
out[#out + 1] = select(2, pcall(function() return s:upper() end))
debug.setmetatable("", nil)
out[#out + 1] = select(2, pcall(function() return s:upper() end))
debug.setmetatable("", {__index = string})
out[#out + 1] = s:upper()
debug.setmetatable("", {__index = function(s, k) return function() return "fn-" .. k end end})
out[#out + 1] = s:upper()
debug.setmetatable("", {__index = setmetatable({}, {__index = string})})
out[#out + 1] = s:upper()
for i = 1, 3 do
  debug.setmetatable("", {__index = {upper = function() return "loop" .. i end}})
  out[#out + 1] = s:upper()
end
debug.setmetatable("", {__index = string})
local got = table.concat(out, " "):gsub("[%w_./]+%.lua:", "f:")
assert(got == "ABC ABC ABC mine raw raw2 f:15: attempt to call a nil value (method 'upper')"
  .. " f:17: attempt to index a string value (upvalue 's') ABC fn-upper ABC loop1 loop2 loop3", got)
print('ok')
