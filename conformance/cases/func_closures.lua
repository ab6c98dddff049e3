-- Closures, upvalues, recursion and proper tail calls.
local function counter()
  local n = 0
  return function() n = n + 1; return n end, function() return n end
end
local inc, get = counter()
inc(); inc()
assert(get() == 2)
local inc2 = counter()
assert(inc2() == 1 and get() == 2)     -- separate upvalues per call
-- upvalues shared between sibling closures and the enclosing function
local x = 1
local function setx(v) x = v end
setx(10)
assert(x == 10)
-- recursive local functions
local function fact(n) if n <= 1 then return 1 end return n * fact(n - 1) end
assert(fact(20) == 2432902008176640000)
-- proper tail calls do not grow the stack
local function loop(n) if n == 0 then return "done" end return loop(n - 1) end
assert(loop(100000) == "done")
-- mutual recursion through globals-free locals
local even, odd
function even(n) if n == 0 then return true end return odd(n - 1) end
function odd(n) if n == 0 then return false end return even(n - 1) end
assert(even(1000) and not odd(1000))
-- deep non-tail recursion
local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end
assert(depth(5000) == 5000)
-- functions are first-class values and compare by identity
local f1 = function() end
local f2 = function() end
assert(f1 ~= f2 and f1 == f1 and type(f1) == "function")
-- methods with self
local Account = {}
Account.__index = Account
function Account.new(b) return setmetatable({balance = b}, Account) end
function Account:deposit(v) self.balance = self.balance + v; return self end
assert(Account.new(10):deposit(5):deposit(1).balance == 16)
-- stack overflow is a catchable error
local function inf(n) return 1 + inf(n + 1) end
local ok, e = pcall(inf, 1)
assert(not ok and e:find("stack overflow", 1, true))
