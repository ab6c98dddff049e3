-- call/return/line events of Lua and C functions, in order, with the names
-- the hook sees at level 2
local events = {}
local function hook(ev, line)
  local info = debug.getinfo(2, "nS")
  events[#events+1] = ev .. ":" .. tostring(line) .. ":" .. tostring(info.name) .. ":" .. info.what
end
local function add(a, b)
  local c = a + b
  return c
end
local function loop()
  local s = 0
  for i = 1, 2 do
    s = add(s, math.abs(i))
  end
  return s
end
debug.sethook(hook, "crl")
loop()
debug.sethook()
for _, e in ipairs(events) do print(e) end
print(debug.gethook())
debug.sethook(hook, "l", 3)
print(select(2, debug.gethook()), select(3, debug.gethook()))
debug.sethook()
local n = 0
debug.sethook(function(ev) n = n + 1 end, "", 1)
for i = 1, 10 do end
debug.sethook()
print(n > 10, n < 40)
-- a tail call
local tails = {}
local function leaf() return 1 end
local function tail() return leaf() end
debug.sethook(function(ev) local i = debug.getinfo(2, "n") tails[#tails+1] = ev .. "/" .. tostring(i.name) end, "cr")
tail()
debug.sethook()
for _, e in ipairs(tails) do print(e) end
-- hooks are off inside the hook; the hook sees "hook" as its name
local inside = {}
debug.sethook(function()
  inside[#inside+1] = debug.getinfo(1, "n").namewhat
  local x = 1 + 1   -- would recurse if hooks were on
end, "l")
local y = 1
debug.sethook()
print(#inside, inside[1])
-- setlocal
local function sl() local a = 1; debug.setlocal(1, 1, 42); return a end
print(sl())
local function caller() local zz = 5; local function inner() print(debug.setlocal(2, 1, 9)) end; inner(); return zz end
print(caller())
-- traceback messages
local function lv() return debug.traceback("x", 1), debug.traceback("y", 2) end
print(lv())
print(debug.traceback(nil))
print(debug.traceback(12))
print(type(debug.traceback({})))
print((pcall(debug.getlocal, 50, 1)))
