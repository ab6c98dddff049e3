-- Operator precedence, associativity and short-circuit evaluation.
assert(2 + 3 * 4 == 14 and (2 + 3) * 4 == 20)
assert(2 ^ 3 ^ 2 == 512.0)          -- ^ is right associative
assert(-2 ^ 2 == -4.0)              -- unary minus binds looser than ^
assert(not nil == true and not 0 == false)
assert("a" .. "b" .. "c" == "abc")  -- .. is right associative
assert(1 .. 2 == "12")
assert(1 + 2 .. "" == "3")          -- arithmetic binds tighter than ..
assert(#"abc" + 1 == 4)
assert(-3 % 5 == 2 and -(3 % 5) == -3)
assert(1 < 2 == true)               -- comparisons share one level, left associative
assert(("x" == "x") == true)
-- and/or return operands and short-circuit
assert((nil or "d") == "d" and (false or nil) == nil and (1 and 2) == 2 and (nil and 1) == nil)
assert((false and error("not evaluated")) == false)
assert((true or error("not evaluated")) == true)
local calls = 0
local function t() calls = calls + 1; return true end
local _ = t() or t()
assert(calls == 1)
-- the ternary idiom and its pitfall
local v = false
assert((v and "yes" or "no") == "no")
assert((true and false or "fallback") == "fallback")
-- comparison chains are not special: (1 < 2) < 3 is an error
assert(not pcall(load("return 1 < 2 < 3")))
-- equality never coerces
assert(1 ~= "1" and "1" ~= 1 and 0 ~= false and "" ~= nil)
-- unary operators stack
assert(- - 2 == 2 and not not nil == false and ~ ~ 5 == 5)
