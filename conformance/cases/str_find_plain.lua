-- string.find with plain text (the `plain` flag, or a pattern without
-- specials): the luahome core answers a call for one result or none with a
-- subject shorter than 64 bytes itself. Every init, flag and pattern
-- combination must give what the library's own call gives, two results
-- where two are wanted, and the library's errors.

-- The library's own call through pcall, and the call for one result and
-- for two, each through pcall too (a pattern may be malformed).
local function check(s, p, ...)
  local n = select('#', ...)
  local args = { ... }
  local ref = table.pack(pcall(string.find, s, p, ...))
  local one, two
  if n == 0 then
    one = table.pack(pcall(function() local i = s:find(p) return i end))
    two = table.pack(pcall(function() local a, b = s:find(p) return a, b end))
  elseif n == 1 then
    one = table.pack(pcall(function() local i = s:find(p, args[1]) return i end))
    two = table.pack(pcall(function() local a, b = s:find(p, args[1]) return a, b end))
  else
    one = table.pack(pcall(function() local i = s:find(p, args[1], args[2]) return i end))
    two = table.pack(pcall(function() local a, b = s:find(p, args[1], args[2]) return a, b end))
    -- as a statement and in a condition
    if ref[1] then
      s:find(p, args[1], args[2])
      if s:find(p, args[1], args[2]) then assert(ref[2] ~= nil) else assert(ref[2] == nil) end
    end
  end
  local what = ('find %q %q %s %s'):format(s, p, tostring(args[1]), tostring(args[2]))
  assert(one[1] == ref[1] and two[1] == ref[1], what)
  if ref[1] then
    assert(one[2] == ref[2], what .. ': ' .. tostring(one[2]) .. ' ~= ' .. tostring(ref[2]))
    assert(two[2] == ref[2] and two[3] == ref[3], what .. ' (two results)')
  end
end

local subjects = {
  '', 'a', 'hello, world', 'aaaaaaaaab', ('x'):rep(40) .. 'needle',
  ('y'):rep(63), ('y'):rep(64) .. 'z', ('ab'):rep(40) .. '.%',
  'a.b*c', 'nul\0byte\0',
}
local patterns = { '', 'a', 'o', 'world', 'needle', 'b', 'yz', 'z', '.', '%', 'a.b', '*c', '\0', 'zzz', 'ab.%' }
local inits = { -100, -5, -1, 0, 1, 2, 5, 12, 13, 14, 63, 64, 65, 200 }
local flags = { false, true, 0, 'x' }

-- Each check runs three times: the core answers a library function here
-- only once it has seen a call of it.
for round = 1, 3 do
  for _, s in ipairs(subjects) do
    for _, p in ipairs(patterns) do
      check(s, p)
      for _, init in ipairs(inits) do
        check(s, p, init)
        check(s, p, init, nil)
        for _, flag in ipairs(flags) do
          check(s, p, init, flag)
        end
      end
      check(s, p, nil, true)
    end
  end
end

-- Numbers as subject or pattern, and a float init: the library's coercions.
for _ = 1, 3 do
  assert(string.find(12345, 34, 1, true) == 3)
  assert(string.find('12345', 4, 1, true) == 4)
  assert(('hello'):find('l', 2.0, true) == 3)
  assert(('hello'):find('l', '4', true) == 4)
end

-- Errors are the library's.
for _ = 1, 3 do
  -- (A method call numbers the arguments after the subject from 1.)
  local ok, err = pcall(function() local i = ('x'):find(nil) return i end)
  assert(not ok and err:find("bad argument #1 to 'find'", 1, true), err)
  ok, err = pcall(function() local i = ('x'):find('x', {}) return i end)
  assert(not ok and err:find("bad argument #2 to 'find'", 1, true), err)
  ok, err = pcall(function() local i = string.find('x', 'x', {}, true) return i end)
  assert(not ok and err:find("bad argument #3 to 'find'", 1, true), err)
  ok, err = pcall(function() local i = ('x'):find('x', 1.5) return i end)
  assert(not ok and err:find('number has no integer representation', 1, true), err)
  ok, err = pcall(function() local i = string.find({}, 'x') return i end)
  assert(not ok and err:find("bad argument #1 to 'find'", 1, true), err)
end

-- A replaced string.find is called.
local saved = string.find
string.find = function() return 'mine' end
for _ = 1, 3 do assert(('abc'):find('b', 1, true) == 'mine') end
string.find = saved
for _ = 1, 3 do assert(('abc'):find('b', 1, true) == 2) end

-- Call hooks see the library function.
local calls = 0
debug.sethook(function()
  local info = debug.getinfo(2, 'f')
  if info and info.func == string.find then calls = calls + 1 end
end, 'c')
local n = 0
for _ = 1, 3 do n = n + ('abc'):find('c', 1, true) end
debug.sethook()
assert(n == 9 and calls == 3, calls)

print('str_find_plain ok')
