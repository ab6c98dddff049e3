-- string.find, string.match, string.gmatch and string.gsub with patterns of single-character items
-- only (a byte, `.`, `%x`, a set, each with or without a quantifier, and
-- `^`/`$` anchors): the luahome core matches these by a matcher of its own,
-- with the patterns' byte sets kept between calls (captures too, up to
-- 8). Every result must be what the general matcher gives: the same
-- pattern with 8 position captures `()` added (more captures than the
-- byte-set matcher takes send it to the general matcher) is the reference.

-- Eight position captures: the reference's first eight results.
local PAD = ('()'):rep(8)

-- `p` with PAD and one more `()` after its anchor: the same matches, nine
-- more results.
local function with_position(p)
  if p:sub(1, 1) == '^' then return '^' .. PAD .. '()' .. p:sub(2) end
  return PAD .. '()' .. p
end

-- The ninth of a call's results (the reference's own capture).
local function ninth(...) return (select(9, ...)) end

local checks = 0
local function check(s, p, init)
  local a, b = string.find(s, p, init)
  local ra, rb, pos = string.find(s, with_position(p), init)
  local shown = #s > 40 and s:sub(1, 40) .. '...(' .. #s .. ' bytes)' or s
  local what = ('find %q %q %s'):format(shown, p, tostring(init))
  assert(a == ra and b == rb, what .. ': ' .. tostring(a) .. ',' .. tostring(b)
    .. ' ~= ' .. tostring(ra) .. ',' .. tostring(rb))
  if a then assert(pos == a, what) end
  local m = string.match(s, p, init)
  if a then
    assert(m == s:sub(a, b), what .. ' (match)')
  else
    assert(m == nil, what .. ' (match)')
  end
  -- gmatch: the whole pattern in a capture after PAD (`$` kept outside) is
  -- the reference; a `^` is a plain byte to gmatch either way.
  local body, tail = p, ''
  local pct = #(p:match('(%%*)%$$') or '')
  if p:sub(-1) == '$' and pct % 2 == 0 then body, tail = p:sub(1, -2), '$' end
  -- (`()` would be a position capture: an empty body has no reference.)
  if body ~= '' then
    local got, want = {}, {}
    for w in s:gmatch(p, init) do got[#got + 1] = w end
    for _, _, _, _, _, _, _, _, w in s:gmatch(PAD .. '(' .. body .. ')' .. tail, init) do
      want[#want + 1] = w
    end
    assert(table.concat(got, '|') == table.concat(want, '|') and #got == #want,
      what .. ' (gmatch): ' .. table.concat(got, '|') .. ' ~= ' .. table.concat(want, '|'))
  end
  -- gsub: `%0` against the body in a capture after PAD (`%9`), the anchor
  -- outside; functions and tables see the whole match (the reference's
  -- ninth capture); a limit on replacements.
  local anchor = body:sub(1, 1) == '^'
  local gbody = anchor and body:sub(2) or body
  if gbody ~= '' and init == 1 then
    local ref = (anchor and '^' or '') .. PAD .. '(' .. gbody .. ')' .. tail
    local r1, n1 = s:gsub(p, '<%0>')
    local r2, n2 = s:gsub(ref, '<%9>')
    assert(r1 == r2 and n1 == n2, what .. ' (gsub): ' .. r1 .. ' ~= ' .. r2)
    local seen1, seen2 = {}, {}
    s:gsub(p, function(w) seen1[#seen1 + 1] = w end)
    s:gsub(ref, function(...) seen2[#seen2 + 1] = ninth(...) end)
    assert(table.concat(seen1, '|') == table.concat(seen2, '|') and #seen1 == #seen2, what .. ' (gsub function)')
    local map = setmetatable({}, { __index = function(_, w) return '[' .. w .. ']' end })
    assert(s:gsub(p, map) == s:gsub(ref, function(...) return map[ninth(...)] end),
      what .. ' (gsub table)')
    assert(s:gsub(p, '%0%0', 2) == s:gsub(ref, '%9%9', 2), what .. ' (gsub limit)')
  end
  checks = checks + 1
end

-- Fixed cases: a JSON decoder's patterns, anchors, the quantifiers.
local fixed = {
  { '  {"a": 1}', '^[ \n\r\t]*', 1 }, { 'ab"cd\\e', '["\\]', 1 }, { 'ab"cd\\e', '["\\]', 4 },
  { 'x -12,', '^-?%d+', 3 }, { 'x -12,', '^-?%d+', 2 }, { 'init.lua', '%.lua$', 1 },
  { 'init.luac', '%.lua$', 1 }, { '1.5e10', '^[+-]?%d+%.?%d*[eE]?[+-]?%d*$', 1 },
  { 'aaab', 'a-b', 1 }, { 'aaa', 'a-$', 1 }, { 'aab', 'a*ab', 1 }, { '', '', 1 },
  { 'abc', '', 4 }, { 'abc', '$', 1 }, { 'a$b', 'a$b', 1 }, { 'x^y', 'x^', 1 },
  { 'a]b', '[]]', 1 }, { 'a-b', '[a%-]+', 1 }, { 'hello world', 'o w', 1 }, { '  x', '%S', 1 },
  { 'key = value', '^%s*[%w_]+%s*=', 1 }, { 'abc', '^b', 2 }, { 'abc', 'c', -1 }, { 'abc', 'a', -10 },
  { 'abc', '.', 4 }, { 'abc', '.?', 4 }, { 'abc', 'x*', 10 }, { 'a\0b', '%z', 1 }, { 'a\0b', '[%z]', 1 },
  { 'Hello', '%u%l+', 1 }, { 'tab\there', '%c', 1 }, { '0x1F', '^0[xX]%x+$', 1 },
}
for _, c in ipairs(fixed) do check(c[1], c[2], c[3]) end
assert(string.find('  {"a": 1}', '^[ \n\r\t]*') == 1)
assert(select(2, string.find('  {"a": 1}', '^[ \n\r\t]*')) == 2)
assert(string.match('x -12,', '^-?%d+', 3) == '-12')
assert(string.find('init.luac', '%.lua$') == nil)
assert(string.match('key = value', '[%w_]+$') == 'value')
local words = {}
for w in ('one two  three'):gmatch('%a+') do words[#words + 1] = w end
assert(table.concat(words, ',') == 'one,two,three')
words = {}
for w in ('a,,b'):gmatch('[^,]*') do words[#words + 1] = '<' .. w .. '>' end
assert(table.concat(words) == '<a><><b>', table.concat(words))
words = {}
for w in ('^a^b'):gmatch('^%a') do words[#words + 1] = w end
assert(table.concat(words, ',') == '^a,^b')

-- Generated patterns over a small alphabet, every start position.
local items = { 'a', 'b', '.', '%a', '%d', '[ab]', '[^a]', '%s', '1', '[%d-]', '%-', '%%', '%$', 'a-' }
local quants = { '', '', '*', '+', '-', '?' }
local bytes = { 'a', 'b', '1', ' ', '-', '%', '$' }
local seed = 12345
local function rand(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % n + 1
end
for _ = 1, 600 do
  local parts = {}
  if rand(3) == 1 then parts[#parts + 1] = '^' end
  for _ = 1, rand(5) - 1 do
    parts[#parts + 1] = items[rand(#items)] .. quants[rand(#quants)]
  end
  if rand(4) == 1 then parts[#parts + 1] = '$' end
  local p = table.concat(parts)
  local chars = {}
  for i = 1, rand(14) - 1 do chars[i] = bytes[rand(#bytes)] end
  local s = table.concat(chars)
  for init = -2, #s + 2 do check(s, p, init) end
end

-- The same pattern as other string objects, patterns over 32 bytes, and
-- more patterns in turn than the cache keeps.
local built = ('%d'):rep(1) .. '+'
for _ = 1, 3 do
  check('ab123cd', built, 1)
  check('ab123cd', '%d' .. '+', 1)
  check(('a'):rep(40) .. 'b', ('a'):rep(33) .. 'b', 1)
  check(('a'):rep(40) .. 'c', ('a'):rep(33) .. 'b', 1)
  for _, p in ipairs({ '%d+', '%a+', '^%s*', '[%.]', 'b$', '%w-c', 'x?y' }) do
    check('  x.y 12 abc', p, 1)
  end
end

-- Long subjects: long scans and runs (past 64 KiB), with and without a match.
local long = (' '):rep(70000)
check(long .. 'x', 'x', 1)
check(long .. 'x', '[x]', 1)
check(long .. 'x', '^%s*x', 1)
check(long .. 'x', '^%s*', 1)
check(long .. 'x', ' +', 1)
check('x' .. long, '%s*', 2)
check(long .. 'x', '%s+x$', 1)
check(long, '[x]', 1)
check(long, '^%s*$', 1)
check(long .. 'x', '[x]', 69990)

-- Malformed patterns give the library's errors.
for _, p in ipairs({ '[a', '%', 'a%', '[%' }) do
  local ok, err = pcall(string.find, 'abc', p)
  assert(not ok and err:find('malformed pattern', 1, true), p)
  ok, err = pcall(string.match, 'abc', p)
  assert(not ok and err:find('malformed pattern', 1, true), p)
end
-- A pathological pattern still finishes (PUC Lua matches it; the luahome
-- core's matcher may refuse it as too complex).
local ok, r = pcall(string.find, ('a'):rep(30), 'a-a-a-a-a-a-a-b')
assert(ok and r == nil or not ok and tostring(r):find('too complex', 1, true))

assert(checks > 5000, checks)
print('str_find_simple ok')
