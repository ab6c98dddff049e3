-- Table constructors, length, next/pairs/ipairs, keys normalisation.
local t = {1, 2, 3, nil}
assert(#t == 3)
t = {[1] = "a", [2] = "b", x = 1, "c"}
assert(t[1] == "c" and t[2] == "b" and t.x == 1)
-- float keys with integer values are normalised
local k = {}
k[1.0] = "one"; k[2] = "two"
assert(k[1] == "one" and k[2.0] == "two")
k[2^53] = "big"
assert(k[math.tointeger(2^53)] == "big")
-- nil and NaN keys
local ok, e = pcall(function() local x = {}; x[nil] = 1 end)
assert(not ok and e:find("index is nil", 1, true))
ok, e = pcall(function() local x = {}; x[0/0] = 1 end)
assert(not ok and e:find("index is NaN", 1, true))
assert(({})[nil] == nil)
-- pairs visits every key once
local seen, n = {}, 0
for key, v in pairs({a = 1, b = 2, 10, 20}) do seen[key] = v; n = n + 1 end
assert(n == 4 and seen.a == 1 and seen[2] == 20)
-- ipairs stops at the first nil
local count = 0
for i, v in ipairs({1, 2, nil, 4}) do count = i end
assert(count == 2)
-- ipairs respects __index
local proxy = setmetatable({}, {__index = function(_, i) if i <= 3 then return i * 2 end end})
local total = 0
for _, v in ipairs(proxy) do total = total + v end
assert(total == 12)
-- next
assert(next({}) == nil)
local one = {x = 1}
local nk, nv = next(one)
assert(nk == "x" and nv == 1 and next(one, "x") == nil)
-- clearing fields during traversal is allowed
local big = {}
for i = 1, 100 do big["k" .. i] = i end
for key in pairs(big) do big[key] = nil end
assert(next(big) == nil)
-- length of a sequence built by assignment
local seq = {}
for i = 1, 100 do seq[i] = i end
assert(#seq == 100)
seq[#seq] = nil
assert(#seq == 99)

-- pairs returns the global next itself (PUC Lua: pairs({}) == next), with
-- or without a metatable that has no __pairs; __pairs still wins.
do
  local f, t, k = pairs({})
  assert(rawequal(f, next) and k == nil)
  local g = pairs(setmetatable({}, {__index = {}}))
  assert(rawequal(g, next))
  local h, _, k2 = pairs(setmetatable({}, {__pairs = function(t) return print, t, 7 end}))
  assert(h == print and k2 == 7)
  -- table.concat in place and through a metatable
  assert(table.concat({1, "a", 2.5}, "-") == "1-a-2.5")
  local proxy = setmetatable({}, {__index = function(_, i) return "v" .. i end, __len = function() return 3 end})
  assert(table.concat(proxy, ",") == "v1,v2,v3")
end
