local function rec(n)
  if n == 0 then error("bottom") end
  return 1 + rec(n - 1)
end
rec(40)
