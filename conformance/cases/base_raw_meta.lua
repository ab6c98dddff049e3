-- getmetatable, setmetatable, rawget, rawlen, rawequal and tostring: the
-- luahome core answers calls for one result itself when the library would
-- raise no error. Results, protected metatables, weak modes and finalizers
-- set through the fast path, errors, a replaced function and hooks.

local function via(f, ...)
  local r = table.pack(pcall(f, ...))
  assert(r[1], r[2])
  return r[2]
end

-- setmetatable returns its table; getmetatable sees it
local mt = { __index = { hello = 'world' } }
local obj = setmetatable({}, mt)
assert(getmetatable(obj) == mt and obj.hello == 'world')
assert(setmetatable(obj, nil) == obj and getmetatable(obj) == nil and obj.hello == nil)
assert(via(setmetatable, obj, mt) == obj and via(getmetatable, obj) == mt)

-- protected metatables
local prot = setmetatable({}, { __metatable = 'locked' })
assert(getmetatable(prot) == 'locked' and via(getmetatable, prot) == 'locked')
local ok, err = pcall(setmetatable, prot, {})
assert(not ok and err:find('cannot change a protected metatable', 1, true), err)
ok, err = pcall(function() return setmetatable(prot, nil) end)
assert(not ok and err:find('cannot change a protected metatable', 1, true), err)
assert(getmetatable('abc').__index == string and getmetatable(1) == nil and getmetatable(nil) == nil)

-- argument errors
ok, err = pcall(function() return setmetatable(1, {}) end)
assert(not ok and err:find("bad argument #1 to 'setmetatable'", 1, true), err)
ok, err = pcall(function() return setmetatable({}, 1) end)
assert(not ok and err:find("bad argument #2 to 'setmetatable'", 1, true), err)
ok, err = pcall(function() return setmetatable({}) end)
assert(not ok and err:find("bad argument #2 to 'setmetatable'", 1, true), err)
ok, err = pcall(function() return getmetatable() end)
assert(not ok and err:find("bad argument #1 to 'getmetatable'", 1, true), err)

-- a weak mode and a finalizer set through the fast path work
local weak = setmetatable({}, { __mode = 'k' })
weak[{}] = true
local kept = {}
weak[kept] = true
collectgarbage()
collectgarbage()
local n = 0
for _ in pairs(weak) do n = n + 1 end
assert(n == 1 and weak[kept], n)
local finalized = false
do
  local _ = setmetatable({}, { __gc = function() finalized = true end })
end
collectgarbage()
collectgarbage()
assert(finalized)

-- rawget, rawlen, rawequal
local proxy = setmetatable({ a = 1, 10, 20 }, {
  __index = function() return 'meta' end,
  __len = function() return 99 end,
  __eq = function() return true end,
})
assert(proxy.b == 'meta' and rawget(proxy, 'b') == nil and rawget(proxy, 'a') == 1)
assert(rawget(proxy, 1) == 10 and rawget(proxy, 3) == nil)
assert(#proxy == 99 and rawlen(proxy) == 2 and rawlen('abcd') == 4)
local other = setmetatable({}, getmetatable(proxy))
assert(proxy == other and not rawequal(proxy, other) and rawequal(proxy, proxy))
assert(rawequal(1, 1.0) and not rawequal('1', 1) and rawequal(nil, nil))
assert(rawget(proxy, 'a', 'extra') == 1)
ok, err = pcall(function() return rawget(proxy) end)
assert(not ok and err:find("bad argument #2 to 'rawget'", 1, true), err)
ok, err = pcall(function() return rawlen(5) end)
assert(not ok and err:find('table or string', 1, true), err)
ok, err = pcall(function() return rawequal(1) end)
assert(not ok and err:find("bad argument #2 to 'rawequal'", 1, true), err)

-- tostring of every kind of value against the library's own call
local f = function() end
local values = { nil, true, false, 0, -7, 1.5, -0.0, 1e100, 2 ^ 63, math.mininteger, 0 / 0,
  'str', {}, f, print, coroutine.create(f), io.stdout }
for i = 1, #values + 1 do
  local v = values[i]
  assert(tostring(v) == via(tostring, v), 'tostring ' .. i)
end
local named = setmetatable({}, { __name = 'MyType' })
assert(tostring(named):find('^MyType: ') and tostring(named) == via(tostring, named))
local shown = setmetatable({}, { __tostring = function() return 'shown' end })
assert(tostring(shown) == 'shown')
local num = setmetatable({}, { __tostring = function() return 1.5 end })
assert(tostring(num) == '1.5' and math.type(tostring(num)) == nil) -- a number is converted
local bad = setmetatable({}, { __tostring = function() return {} end })
ok, err = pcall(function() return tostring(bad) end)
assert(not ok and err:find("'__tostring' must return a string", 1, true), err)
ok, err = pcall(function() return tostring() end)
assert(not ok and err:find("bad argument #1 to 'tostring'", 1, true), err)

-- a replaced function is called as itself
local saved = rawget
rawget = function() return 'mine' end
assert(rawget({}, 1) == 'mine')
rawget = saved

-- hooks see the calls
local calls = 0
debug.sethook(function()
  local info = debug.getinfo(2, 'f')
  if info and (info.func == setmetatable or info.func == tostring) then calls = calls + 1 end
end, 'c')
for i = 1, 3 do local _ = tostring(setmetatable({}, mt)) end
debug.sethook()
assert(calls == 6, calls)

print('ok')
