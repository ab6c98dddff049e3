-- Keys assigned nil stay in piccolo's hash part as dead entries; growing the
-- table with them once panicked ("all keys must be live when table is
-- grown"), a trap that killed the runtime in wasm (issue 11, events.lua).

-- The shortest form: a full hash part holding a dead key gets a new key.
local t = {}
t.a = 1 t.b = 2 t.c = 3
t.a = nil
t.d = 4
assert(t.a == nil and t.b == 2 and t.c == 3 and t.d == 4)

-- Sparse and non-positive integer keys (which never move to the array part).
local u = {a = 1, b = 2}
u.a = nil
u[10] = 1 u[20] = 2 u[-5] = 3 u[0] = 4
assert(u.a == nil and u.b == 2 and u[10] == 1 and u[20] == 2 and u[-5] == 3 and u[0] == 4)

-- Dead keys of every collectable type.
local keys = {{}, function() end, coroutine.create(print), "str", print}
local w = {}
for round = 1, 20 do
  for i, k in ipairs(keys) do w[k] = round * 10 + i end
  for i = 1, round do w["pad" .. i] = i end
  for _, k in ipairs(keys) do w[k] = nil end
end
for _, k in ipairs(keys) do assert(w[k] == nil) end
assert(w.pad20 == 20)

-- A cache keyed by strings: insert one, drop the oldest. Repeated, since a
-- freed key string's address is soon reused by a new string: a dead key
-- matched by address once hid the live entry of another key (a nil
-- assignment missed it, a read found nil), depending on the allocator.
for _ = 1, 100 do
  local cache = {}
  for i = 1, 5000 do
    cache["k" .. i] = i
    if i > 10 then cache["k" .. (i - 10)] = nil end
  end
  local n = 0
  for k, v in pairs(cache) do
    n = n + 1
    assert(cache[k] == v and v > 4990)
  end
  assert(n == 10)
end

-- Assigning existing fields during a traversal is allowed: each entry is
-- visited once, whatever the size of the hash part.
for size = 1, 40 do
  local s = {}
  for i = 1, size do s["x" .. i] = i end
  local seen = {}
  for k, v in pairs(s) do
    assert(not seen[k])
    seen[k] = true
    s[k] = v * 2
  end
  local count = 0
  for k in pairs(seen) do count = count + 1 assert(s[k] == 2 * tonumber(string.sub(k, 2))) end
  assert(count == size)
  -- Clearing during the traversal, then refilling.
  for k in pairs(s) do s[k] = nil end
  assert(next(s) == nil)
  for i = 1, size do s["y" .. i] = i end
  count = 0
  for _ in pairs(s) do count = count + 1 end
  assert(count == size)
end

print("ok")
