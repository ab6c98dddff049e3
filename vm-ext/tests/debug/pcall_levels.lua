local function inner() print(debug.traceback("in pcall")) ; return debug.getinfo(1, "n").name, debug.getinfo(2, "nS").what end
print(pcall(inner))
local function lvl2() error("two", 2) end
local function mid() lvl2() end
print(pcall(mid))
print(pcall(lvl2))
local function three() error("three", 3) end
local function m2() three() end
local function m1() m2() end
print(pcall(m1))
local ok, tb = xpcall(function() local t = nil; return t.x end, debug.traceback)
print(tb)
print(select(2, pcall(pcall, error, "e")))
-- __close handlers of an error caught by pcall run from pcall (level 2)
local function closer(label)
  return setmetatable({}, {__close = function()
    local i = debug.getinfo(2, "nS")
    print(label, i.name, i.what)
  end})
end
print(pcall(function()
  local x <close> = closer("on error")
  error("boom")
end))
do
  local y <close> = closer("block exit")
end
