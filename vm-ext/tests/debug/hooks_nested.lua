local ev = {}
local function add(a, b) return a + b end
local mt = {__index = function(t, k) return k end}
local obj = setmetatable({}, mt)
debug.sethook(function(e, l) local i = debug.getinfo(2, "nS") ev[#ev+1] = e .. "/" .. tostring(i.name) .. "/" .. i.namewhat .. "/" .. i.what end, "cr")
pcall(add, 1, 2)
local x = obj.key
for i in ipairs({5}) do end
debug.sethook()
for _, e in ipairs(ev) do print(e) end
