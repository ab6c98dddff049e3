local function cmp(a, b)
  if a == 2 then error({}) end
  return a.x < b
end
table.sort({1, 2, 3}, cmp)
