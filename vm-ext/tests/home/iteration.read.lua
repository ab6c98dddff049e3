local n, sum = 0, 0
for k, v in pairs(_home.list) do n = n + 1; sum = sum + v end
assert(n == 3 and sum == 60)
local i = 0
for k, v in ipairs(_home.list) do i = i + 1; assert(v == i * 10) end
assert(i == 3)
