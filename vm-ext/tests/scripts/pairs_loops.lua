-- Generic `for` over `next` (what `pairs` returns), which the luahome core
-- steps without calling `next`: every key once, the loop variables a call
-- would set, fields cleared during the traversal, weak tables, an invalid
-- key's error, a replaced global `next`, and the multiple results of other
-- library functions (`next`, `ipairs`' iterator) called directly. Runs under
-- lua5.4 too.
local function keys_of(t)
  local seen, n = {}, 0
  for k, v in pairs(t) do
    assert(t[k] == v, "value of " .. tostring(k))
    assert(not seen[k], "key twice: " .. tostring(k))
    seen[k] = true
    n = n + 1
  end
  return seen, n
end

-- Array part, hash part, both.
local t = {10, 20, 30, x = 1, y = 2, [2.5] = "f", [true] = "b"}
local seen, n = keys_of(t)
assert(n == 7 and seen[1] and seen[3] and seen.x and seen[2.5] and seen[true])
local _, empty = keys_of({})
assert(empty == 0)

-- One loop variable, and more than two (the rest nil).
local count = 0
for k in pairs(t) do
  assert(t[k] ~= nil)
  count = count + 1
end
assert(count == 7)
for k, v, extra, more in next, {a = 1} do
  assert(k == "a" and v == 1 and extra == nil and more == nil)
end

-- Clearing fields during the traversal (allowed) keeps it going over the rest.
local big = {}
for i = 1, 50 do big["k" .. i] = i; big[i] = i end
local visited = 0
for k in pairs(big) do
  big[k] = nil
  visited = visited + 1
end
assert(visited == 100 and next(big) == nil)

-- The loop variables are the loop's own: changing the value one does not
-- disturb the traversal (the control variable is a hidden copy).
local sum = 0
for k, v in pairs({1, 2, 3, 4}) do
  v = v * 10
  sum = sum + v
end
assert(sum == 100)

-- Weak tables: their entries live outside the table's raw parts.
local wk = setmetatable({}, {__mode = "k"})
local anchors = {}
for i = 1, 5 do
  local key = {}
  anchors[i] = key
  wk[key] = i
end
local total = 0
for k, v in pairs(wk) do
  assert(type(k) == "table" and wk[k] == v)
  total = total + v
end
assert(total == 15)
local wv = setmetatable({1, 2, 3, a = "x"}, {__mode = "v"})
local _, nv = keys_of(wv)
assert(nv == 4)

-- An invalid key: the call's error, as `next` raises it.
local ok, err = pcall(function()
  for _ in next, {a = 1}, "no such key" do end
end)
assert(not ok and string.find(err, "invalid key to 'next'"), err)

-- `next` over something else than a table: the library's error.
local ok2, err2 = pcall(function()
  for _ in next, 42 do end
end)
assert(not ok2 and string.find(err2, "bad argument #1 to 'for iterator'"), err2)

-- A replaced `next` is called (the loop steps only the library's).
do
  local calls = 0
  local real_next = next
  local function counting_next(tt, k)
    calls = calls + 1
    return real_next(tt, k)
  end
  for _ in counting_next, {1, 2, 3} do end
  assert(calls == 4, calls)
end

-- `__pairs` still decides what `pairs` iterates.
local proxied = setmetatable({}, {__pairs = function(self)
  local i = 0
  return function()
    i = i + 1
    if i <= 3 then return i, i * i end
  end, self, nil
end})
local squares = 0
for _, v in pairs(proxied) do squares = squares + v end
assert(squares == 14)

-- Library functions returning two values, called directly.
local k1, v1 = next({"only"})
assert(k1 == 1 and v1 == "only")
assert(select("#", next({})) == 1)
local iter, state, init = ipairs({"a", "b"})
local i1, a1 = iter(state, init)
assert(i1 == 1 and a1 == "a")
assert(select("#", iter(state, 2)) == 1)

print("pairs_loops ok")
