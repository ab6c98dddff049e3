-- debug library: what the runtime can know. Runs under lua5.4 too.
local function has(s, sub)
  for i = 1, #s - #sub + 1 do
    if string.sub(s, i, i + #sub - 1) == sub then return true end
  end
  return false
end

local tb = debug.traceback("msg")
assert(string.sub(tb, 1, 21) == "msg\nstack traceback:\n")
assert(string.sub(debug.traceback(), 1, 16) == "stack traceback:")
local obj = {}
assert(debug.traceback(obj) == obj)

local info = debug.getinfo(print)
assert(info.what == "C" and info.short_src == "[C]" and info.source == "=[C]" and info.func == print)
local function f(a, b, ...) return a end
info = debug.getinfo(f)
assert(info.what == "Lua" and info.nparams == 2 and info.isvararg == true and info.func == f)
assert(info.linedefined == 17 and info.short_src == "debug_functions.lua")
assert(info.source == "@debug_functions.lua")
local g = function(x) return x end
info = debug.getinfo(g, "u")
assert(info.nparams == 1 and info.isvararg == false)
info = debug.getinfo(1, "Sl")
assert(info.currentline == 25 and info.short_src == "debug_functions.lua" and info.what == "main")

local protected = setmetatable({}, {__metatable = "locked", tag = 1})
assert(getmetatable(protected) == "locked" and debug.getmetatable(protected).tag == 1)
assert(debug.setmetatable(protected, nil) == protected and getmetatable(protected) == nil)
debug.setmetatable(10, {__index = {twice = function(n) return n * 2 end}})
assert(getmetatable(10).__index.twice(4) == 8)
debug.setmetatable(10, nil)
assert(getmetatable(10) == nil)

local function counter()
  local n = 0
  return function() n = n + 1; return n end
end
local c = counter()
c()
local name, value = debug.getupvalue(c, 1)
assert(name == "n" or name == "(no name)")
assert(value == 1)
assert(debug.setupvalue(c, 1, 41) == name and c() == 42)
assert(debug.getupvalue(c, 2) == nil)
assert(math.type(debug.upvalueid(c, 1)) == "integer" or type(debug.upvalueid(c, 1)) == "userdata")
assert(type(debug.getregistry()) == "table")
