-- pcall of a Lua function runs in place in the luahome core: results,
-- errors, __close handlers, levels, nesting depth, coroutines.
local function f(x) if x == 3 then error("e" .. x) end return x, x * 2 end
for i = 1, 4 do print(pcall(f, i)) end
print(select('#', pcall(f, 1)))
local ok, e = pcall(function()
  local t <close> = setmetatable({}, {__close = function(_, err) print("closing", type(err), err.code) end})
  error({code = 7})
end)
print(ok, type(e), e.code)
print(pcall(pcall, error, "x"))
print(pcall(function() return pcall(f, 3) end))
local function deep(n) if n == 0 then error("bottom") end local ok, e = pcall(deep, n - 1) error(e, 0) end
print(pcall(deep, 300))
print(pcall(deep, 50))
print(pcall(function() error("lvl2", 2) end))
local co = coroutine.wrap(function() print(pcall(function() coroutine.yield(1) error("after") end)) return "end" end)
print(co()) print(co())
local function so() return so() + 1 end
print((select(2, pcall(so))):match("stack overflow") ~= nil)
local function rec() pcall(rec) end
print(pcall(rec))
print(pcall(f))
local a, b, c = pcall(f, 1) print(a, b, c)
print((pcall(f, 3)))
