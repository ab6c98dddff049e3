assert(_home.x == nil)
assert(#_home.keep == 3)
local n = 0
for k in pairs(_home) do n = n + 1 end
assert(n == 1)
