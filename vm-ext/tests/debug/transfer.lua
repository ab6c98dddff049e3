-- ftransfer/ntransfer: what a call or return hook can read with getlocal
local on = false
local seen = {}
local function hook(event)
  if not on then return end
  local ar = debug.getinfo(2, "ruS")
  local t = {}
  for i = ar.ftransfer, ar.ftransfer + ar.ntransfer - 1 do
    local _, v = debug.getlocal(2, i)
    t[#t + 1] = tostring(v)
  end
  seen[#seen + 1] = event .. " " .. ar.what .. " " .. table.concat(t, ",")
end
debug.sethook(hook, "cr")
on = true; math.max(3, 7); on = false
on = true; select(2, 10, 20, 30, 40); on = false
local function foo(a, ...) return ... end
local function foo1() on = not on; return foo(20, 10, 0) end
foo1(); on = false
local function two(x, y) local z = x + y; return z, x end
on = true; two(1, 2); on = false
debug.sethook()
for _, s in ipairs(seen) do print(s) end
-- locals at a return hook
local X
local function body(a, b, ...)
  do local x, y, z end
  local c, d = 10, 20
  return
end
debug.sethook(function()
  local info = debug.getinfo(2, "n")
  if info.name == "body" then
    X = {}
    for i = 1, 10 do
      local n, v = debug.getlocal(2, i)
      if not n or n:sub(1, 1) == "(" then break end
      X[#X + 1] = n .. "=" .. tostring(v)
    end
  end
end, "r")
body(100, 200)
debug.sethook()
print(table.concat(X, " "))
