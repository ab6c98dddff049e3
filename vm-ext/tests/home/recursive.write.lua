local function fact(n)
  if n <= 1 then return 1 end
  return n * fact(n - 1)
end
_home.fact = fact
local even, odd
function even(n) if n == 0 then return true end return odd(n - 1) end
function odd(n) if n == 0 then return false end return even(n - 1) end
_home.even = even
