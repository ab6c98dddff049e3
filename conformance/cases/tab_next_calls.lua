-- next(t [, k]) called directly (not by a generic for): the luahome core
-- steps it itself for up to two results. Emptiness checks, manual
-- traversals, the end, invalid keys, weak tables, fields assigned during
-- a traversal, a replaced next and hooks.

assert(next({}) == nil and select('#', next({})) == 1)
local k, v = next({})
assert(k == nil and v == nil)
local t = { a = 1, b = 2, c = 3, 10, 20 }
assert(next(t) ~= nil)

-- a manual traversal sees every key once
local seen, count, sum = {}, 0, 0
local key, val = next(t)
while key ~= nil do
  assert(not seen[key], 'twice: ' .. tostring(key))
  seen[key] = true
  count = count + 1
  sum = sum + val
  t[key] = val * 2 -- assigning existing fields is allowed
  key, val = next(t, key)
end
assert(count == 5 and sum == 36, count .. ' ' .. sum)
assert(t.a == 2 and t[2] == 40)

-- one result, and the key after the last
local only = next({ x = 1 })
assert(only == 'x' and next({ x = 1 }, 'x') == nil)
local lastk, lastv = next({ 5 }, 1)
assert(lastk == nil and lastv == nil)

-- the library's call gives the same
local a1, a2 = next(t, 'a')
local ok, b1, b2 = pcall(next, t, 'a')
assert(ok and a1 == b1 and a2 == b2)

-- errors
local okk, err = pcall(function() return next(t, 'missing') end)
assert(not okk and string.find(err, "invalid key to 'next'", 1, true), err)
okk, err = pcall(function() return next(5) end)
assert(not okk and string.find(err, "bad argument #1 to 'next'", 1, true), err)
okk, err = pcall(function() return next() end)
assert(not okk and string.find(err, "bad argument #1 to 'next'", 1, true), err)

-- weak tables
local w = setmetatable({}, { __mode = 'k' })
local keep = {}
w[keep] = 'kept'
local wk, wv = next(w)
assert(wk == keep and wv == 'kept' and next(w, wk) == nil)

-- a replaced next is called as itself
local saved = next
next = function() return 'mine' end
assert(next({}) == 'mine')
next = saved
assert(next({}) == nil)

-- hooks see the calls
local calls = 0
debug.sethook(function()
  local info = debug.getinfo(2, 'f')
  if info and info.func == next then calls = calls + 1 end
end, 'c')
for _ = 1, 3 do local _ = next(t) end
debug.sethook()
assert(calls == 3, calls)

print('ok')
