-- calling something that is not a function, named by the calling instruction
print(pcall(function() local a = setmetatable({}, {__add = 34}); return a + 1 end))
print(pcall(function() local a = setmetatable({}, {__lt = {}}); return a < a end))
print(pcall(function() for k in 3 do end end))
print(pcall(function() local t = setmetatable({}, {__index = 5}); return t.x end))
print(pcall(function() local f = 3; f() end))
print(pcall(function() undefinedfn() end))
print(pcall(function() local t = {}; t.m() end))
print(pcall(function() local t = {}; t:m() end))
