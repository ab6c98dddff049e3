print(1, 2.0, "three", nil, true)
print()
print(setmetatable({}, {__tostring = function() return "custom" end}), 10 // 3, 10 / 4)
for i = 1, 3 do print(i) end
