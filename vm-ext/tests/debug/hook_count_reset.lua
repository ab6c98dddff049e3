-- After debug.sethook with a new count, the count starts afresh (PUC's resethookcount).
for pad = 0, 4 do
  local a = 0
  debug.sethook(function () a = a + 1 end, "", 4)
  for i = 1, pad do local _ = i end
  debug.sethook(function () a = a + 1 end, "", 4000)
  a = 0; for i = 1, 1000 do end
  debug.sethook()
  io.write(a, " ")
end
print()
