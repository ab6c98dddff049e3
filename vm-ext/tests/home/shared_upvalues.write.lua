-- `n` is a local of this chunk: still open while the chunk runs
local n = 10
_home.get = function() return n end
_home.bump = function(k) n = n + k end
_home.bump(5)
assert(_home.get() == 15)
assert(n == 15)
