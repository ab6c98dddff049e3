-- Mandelbrot (Benchmarks Game): float arithmetic in tight loops; counts the
-- points inside the set and folds the bitmap bytes into a checksum.
local n = tonumber(arg and arg[1]) or 1000

local inside, bytesum = 0, 0
for y = 0, n - 1 do
  local ci = 2.0 * y / n - 1.0
  local bits, nbits = 0, 0
  for x = 0, n - 1 do
    local cr = 2.0 * x / n - 1.5
    local zr, zi, zr2, zi2 = 0.0, 0.0, 0.0, 0.0
    local escaped = false
    for _ = 1, 50 do
      zi = 2.0 * zr * zi + ci
      zr = zr2 - zi2 + cr
      zr2 = zr * zr
      zi2 = zi * zi
      if zr2 + zi2 > 4.0 then escaped = true; break end
    end
    bits = bits << 1
    if not escaped then bits = bits | 1; inside = inside + 1 end
    nbits = nbits + 1
    if nbits == 8 then
      bytesum = (bytesum * 31 + bits) % 1000003
      bits, nbits = 0, 0
    end
  end
  if nbits > 0 then bytesum = (bytesum * 31 + (bits << (8 - nbits))) % 1000003 end
end
print("checksum " .. inside .. " " .. bytesum)
