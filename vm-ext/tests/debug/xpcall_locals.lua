-- An xpcall message handler sees the locals of the frames the error is
-- leaving (PUC Lua runs it before unwinding), also across a Lua call.
local function inner(a, b)
  local sum = a + b
  local label = "inner"
  error("boom")
end
local function outer(x)
  local doubled = x * 2
  inner(doubled, 3)
end
-- The locals at `level` of the caller's stack as "name=value" (values that
-- print as addresses and library functions' temporaries left out).
local function locals(level)
  local names = {}
  local i = 1
  while true do
    local name, value = debug.getlocal(level + 1, i)
    if not name then break end
    if type(value) ~= "table" and type(value) ~= "function" and name:sub(1, 1) ~= "(" then
      names[#names + 1] = name .. "=" .. tostring(value)
    end
    i = i + 1
  end
  return table.concat(names, " ")
end
local seen = {}
local function handler(msg)
  for level = 3, 4 do  -- (level 2 is `error`)
    local info = debug.getinfo(level, "n")
    seen[#seen + 1] = tostring(info and info.name) .. ": " .. locals(level)
  end
  return msg
end
print(xpcall(outer, handler, 20))
for _, line in ipairs(seen) do print(line) end
-- setlocal in the handler changes the copy it sees, and nothing else.
print(xpcall(function()
  local v = 1
  error({})
end, function(e)
  print(debug.setlocal(3, 1, 99), select(2, debug.getlocal(3, 1)))
  return "handled"
end))
-- A coroutine dead by an error keeps its locals for debug.getlocal.
local co = coroutine.create(function(p)
  local q = p + 1
  error("dead")
end)
print(coroutine.resume(co, 41))
print(debug.getlocal(co, 1, 1), debug.getlocal(co, 1, 2))
-- The error raised in an entry run by a library function (a sort
-- comparator): the handler sees the comparator's frame and its locals.
print(xpcall(function()
  local bb = 6
  table.sort({3, 2, 1}, function(a, b)
    local cc = 7
    error("cmp")
  end)
end, function(msg)
  local out = {}
  for level = 3, 5 do
    out[#out + 1] = debug.getinfo(level, "S").what .. ": " .. locals(level)
  end
  print(table.concat(out, " | "))
  return msg
end))
