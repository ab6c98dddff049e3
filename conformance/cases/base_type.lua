-- `type(v)`: the luahome core answers a call for one result itself, with
-- names interned once. Every kind of value, the names as strings (equal,
-- usable as keys, the same as the library's), extra arguments, other
-- result counts, errors, a replaced `type` and hooks.

local co = coroutine.create(function() end)
local cases = {
  { nil, 'nil' }, { false, 'boolean' }, { true, 'boolean' }, { 0, 'number' },
  { 1.5, 'number' }, { math.mininteger, 'number' }, { 0 / 0, 'number' },
  { '', 'string' }, { 'x', 'string' }, { {}, 'table' }, { setmetatable({}, { __name = 'N' }), 'table' },
  { print, 'function' }, { function() end, 'function' }, { co, 'thread' },
  { io.stdout, 'userdata' },
}
for i, c in ipairs(cases) do
  local v, want = c[1], c[2]
  local got = type(v)
  assert(got == want, i .. ': ' .. tostring(got))
  local ok, via = pcall(type, v) -- the library's own call
  assert(ok and via == got and #via == #want, i)
  local t = {}
  t[got] = i
  assert(t[want] == i)
  assert(('%s'):format(got) == want and got .. '' == want)
end

-- comparisons the way scripts write them
local n = 0
for _, v in ipairs({ {}, 'a', 1, {}, false }) do
  if type(v) == 'table' then n = n + 1 end
  if type(v) ~= 'string' and type(v) ~= 'number' then n = n + 10 end
end
assert(n == 2 + 30, n)

-- extra arguments, result counts, in constructors and tail calls
assert(type(1, 'x', {}) == 'number')
local a, b = type({})
assert(a == 'table' and b == nil)
local list = { type(1), type('s') }
assert(#list == 2 and list[1] == 'number' and list[2] == 'string')
list = { type(nil) }
assert(#list == 1 and list[1] == 'nil')
local function tail(v) return type(v) end
assert(tail(tail) == 'function' and select('#', tail(nil)) == 1)
type(0) -- no result wanted

-- errors
local ok, err = pcall(function() return type() end)
assert(not ok and err:find("bad argument #1 to 'type' (value expected)", 1, true), err)

-- a replaced `type` is called as itself, and the library's comes back
local saved = type
type = function(v) return 'mine' end
assert(type(1) == 'mine')
type = saved
assert(type(1) == 'number')
local t = { type = function() return 'field' end }
assert(t.type(1) == 'field')

-- hooks see the calls
local calls = 0
debug.sethook(function()
  local info = debug.getinfo(2, 'f')
  if info and info.func == type then calls = calls + 1 end
end, 'c')
for _ = 1, 4 do local _ = type(1) end
debug.sethook()
assert(calls == 4, calls)

print('ok')
