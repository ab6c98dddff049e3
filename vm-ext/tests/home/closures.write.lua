local function makeCounter()
  local n = 0
  return function()
    n = n + 1
    return n
  end
end
local inc = makeCounter()
_home.inc = inc
assert(rawequal(_home.inc, inc))
assert(_home.inc() == 1)
local offset = 100
_home.add = function(x) return x + offset end
assert(_home.add(1) == 101)
_home.inc2 = inc
assert(rawequal(_home.inc2, _home.inc))
