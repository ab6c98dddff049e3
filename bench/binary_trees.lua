-- Binary trees (Benchmarks Game): allocation and GC pressure.
local n = tonumber(arg and arg[1]) or 14

local function bottom_up(depth)
  if depth == 0 then return {} end
  depth = depth - 1
  return { bottom_up(depth), bottom_up(depth) }
end

local function check(tree)
  if tree[1] then return 1 + check(tree[1]) + check(tree[2]) end
  return 1
end

local min_depth = 4
local max_depth = n
if min_depth + 2 > max_depth then max_depth = min_depth + 2 end

local sum = check(bottom_up(max_depth + 1))
local long_lived = bottom_up(max_depth)
for depth = min_depth, max_depth, 2 do
  local iters = 1 << (max_depth - depth + min_depth)
  local c = 0
  for _ = 1, iters do c = c + check(bottom_up(depth)) end
  sum = sum + c
end
sum = sum + check(long_lived)
print("checksum " .. sum)
