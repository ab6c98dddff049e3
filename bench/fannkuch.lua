-- Fannkuch-redux (Benchmarks Game): array permutations; swaps use a temporary.
local n = tonumber(arg and arg[1]) or 9

local function fannkuch(N)
  local perm, perm1, count = {}, {}, {}
  local maxflips, checksum, permcount = 0, 0, 0
  for i = 0, N - 1 do perm1[i] = i end
  local r = N
  while true do
    while r ~= 1 do
      count[r - 1] = r
      r = r - 1
    end
    for i = 0, N - 1 do perm[i] = perm1[i] end
    local flips = 0
    local k = perm[0]
    while k ~= 0 do
      local i, j = 0, k
      while i < j do
        local tmp = perm[i]
        perm[i] = perm[j]
        perm[j] = tmp
        i = i + 1
        j = j - 1
      end
      flips = flips + 1
      k = perm[0]
    end
    if flips > maxflips then maxflips = flips end
    if permcount % 2 == 0 then checksum = checksum + flips else checksum = checksum - flips end
    -- next permutation
    while true do
      if r == N then return checksum, maxflips end
      local perm0 = perm1[0]
      for i = 0, r - 1 do perm1[i] = perm1[i + 1] end
      perm1[r] = perm0
      count[r] = count[r] - 1
      if count[r] > 0 then break end
      r = r + 1
    end
    permcount = permcount + 1
  end
end

-- Three rounds keep PUC Lua in the 0.3-2 s band without jumping to n + 1 (x10).
local sum, flips = 0, 0
for _ = 1, 3 do
  local s, f = fannkuch(n)
  sum = sum + s
  flips = flips + f
end
print("checksum " .. sum .. " " .. flips)
