-- Comments, blocks, scoping and statements.
--[[ long
comment ]] local x = 1
--[==[ another ]] still comment ]==] x = x + 1
assert(x == 2)
do local x = 10; assert(x == 10) end
assert(x == 2)
-- semicolons are optional and may repeat
;;; local y = 3; ; assert(y == 3)
-- while / repeat / numeric for / generic for
local n = 0
while n < 5 do n = n + 1 end
assert(n == 5)
repeat local z = n; n = n - 1 until z <= 2  -- 'until' sees the body's locals
assert(n == 1)
local sum = 0
for i = 1, 10 do sum = sum + i end
assert(sum == 55)
sum = 0
for i = 10, 1, -3 do sum = sum + i end
assert(sum == 10 + 7 + 4 + 1)
local count = 0
for i = 1, 0 do count = count + 1 end
assert(count == 0)
-- float loop
count = 0
for i = 0.5, 2.5, 0.5 do count = count + 1 end
assert(count == 5)
-- the loop variable is a fresh local per iteration
local fs = {}
for i = 1, 3 do fs[i] = function() return i end end
assert(fs[1]() == 1 and fs[3]() == 3)
-- break
for i = 1, 100 do if i == 7 then n = i; break end end
assert(n == 7)
-- if / elseif / else
local function classify(v)
  if v < 0 then return "neg" elseif v == 0 then return "zero" else return "pos" end
end
assert(classify(-1) == "neg" and classify(0) == "zero" and classify(5) == "pos")
-- method call syntax and string/table call sugar
local obj = {v = 4}
function obj:get(k) return self.v + (k or 0) end
assert(obj:get() == 4 and obj:get(1) == 5)
local function id(a) return a end
assert(id"str" == "str" and id{1}[1] == 1)
