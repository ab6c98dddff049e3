-- Local attributes <const> and <close> (Lua 5.4).
local k <const> = 10
assert(k == 10)
local ok = load("local c <const> = 1; c = 2", "=c")
assert(ok == nil)
local _, msg = load("local c <const> = 1; c = 2", "=c")
assert(msg == "c:1: attempt to assign to const variable 'c'")
assert(select(2, load("local x <foo> = 1", "=a")) == "a:1: unknown attribute 'foo'")
local log = {}
local function closer(name)
  return setmetatable({}, {__close = function(_, err) log[#log + 1] = name .. ":" .. tostring(err) end})
end
do
  local a <close> = closer("a")
  local b <close> = closer("b")
  local n <close> = nil   -- nil and false are allowed and ignored
end
assert(log[1] == "b:nil" and log[2] == "a:nil")
-- closed on error too, receiving the error object
log = {}
local okc, e = pcall(function()
  local c <close> = closer("c")
  error("E", 0)
end)
assert(not okc and e == "E" and log[1] == "c:E")
-- a value without __close is an error
local okv, ev = pcall(load("local x <close> = {}", "=v"))
assert(not okv and ev == "v:1: variable 'x' got a non-closable value")
