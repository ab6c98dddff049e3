local p = _home.player
assert(type(p) == "userdata")
assert(p.name == "ada")
assert(p.stats.hp == 4)
assert(p.stats.level == 7)
assert(#p.stats.mp == 4)
local sum = 0
for i, v in ipairs(p.stats.mp) do
  assert(i == v)
  sum = sum + v
end
assert(sum == 10)
local keys = 0
for k, v in pairs(p) do
  keys = keys + 1
end
assert(keys == 2)
assert(string.sub(tostring(p), 1, 16) == "persistent table")
