-- Conformance gaps of the luahome core closed for issue 11; the expected
-- output (conformance_gaps.out) is what Debian's lua5.4 prints for this file
-- (regenerate: cd vm-ext/tests/golden && lua5.4 conformance_gaps.lua > conformance_gaps.out).

local function show(...)
  local t = table.pack(...)
  for i = 1, t.n do t[i] = tostring(t[i]) end
  print(table.concat(t, " | "))
end

-- 1. Tables: a key beyond a constructor's array part is an invalid key to
-- 'next'; keys assigned nil never break growth.
show(pcall(next, {10, 20}, 3))
show(next({10, 20}, 2))
do
  local t = {}
  t.a = 1 t.b = 2 t.c = 3
  t.a = nil
  t.d = 4
  show(t.a, t.b, t.c, t.d)
end

-- 2. No yield across a library function's call of Lua code (PUC's C-call
-- boundary): table.sort's comparator, gsub's replacement, __tostring from
-- string.format and print, load's reader; the coroutine goes on afterwards.
do
  local co = coroutine.wrap(function()
    show(pcall(table.sort, {1, 2, 3}, coroutine.yield))
    show(pcall(table.sort, {1, 2, 3}, function(a, b) coroutine.yield() return a < b end))
    show(pcall(string.gsub, "abc", "%w", coroutine.yield))
    show(pcall(string.gsub, "abc", "%w", function(c) return coroutine.yield(c) end))
    local obj = setmetatable({}, {__tostring = function() coroutine.yield() return "x" end})
    show(pcall(string.format, "%s", obj))
    show(pcall(print, obj))
    show(pcall(load, function() coroutine.yield() end))
    table.sort({3, 2, 1}, function(a, b) show("in sort", coroutine.isyieldable()) return a < b end)
    show("after", coroutine.isyieldable())
    coroutine.yield(20)
    return 30
  end)
  show(co())
  show(co())
end

-- 6. Argument errors named as PUC's luaL_argerror names them: from the call
-- instruction (a method call counts from the argument after self; a bad self
-- is "calling 'f' on bad self"; a local's name), or by the function's global
-- name when a library function made the call.
show(pcall(string.rep))
show(pcall(function() return string.rep() end))
show(pcall(function() return ("x"):rep() end))
show(pcall(function() return ("x"):rep({}) end))
show(pcall(function() local r = string.rep; return r() end))
show(pcall(function() return ("a"):sub{} end))
show(pcall(function() local t = setmetatable({}, {__index = string}); return t:sub() end))
show(pcall(function() return ("%d"):format("x") end))
show(pcall(function() return math.floor("x") end))
show(pcall(table.sort, {1, 2, 3}, table.sort))
show(pcall(table.sort, {1, 2, 3}, string.rep))
show(pcall(string.gsub, "x", "x", string.rep))
show(pcall(string.gsub, "s", "s", setmetatable))

-- 5. package.searchpath and require's message list every template tried,
-- empty ones included, and the package.cpath files (no C module loads here).
show(package.searchpath("xuxu", "a?;b?;;c?"))
show(package.searchpath("a.b.c", "?.lua;x/?", ".", "/"))
show(package.searchpath("a.b.c", "?.lua", "", "/"))
show(package.searchpath("xuxu", ""))
show(package.searchpath("xuxu", ";"))
do
  local path, cpath = package.path, package.cpath
  package.path = "?.lua;?/?"
  package.cpath = "?.so;?/init"
  show(pcall(require, "no_such_module_xx"))
  show(pcall(require, "no_such_module_xx.yy"))
  package.path = {}
  show(pcall(require, "no_such_module_xx"))
  package.path, package.cpath = path, cpath
end

-- 3. Type names in 'for' loop errors use the metatable's __name.
show(pcall(function() for i = 1, {} do end end))
show(pcall(function() for i = 1, 2, setmetatable({}, {__name = "My"}) do end end))
show(pcall(function() local x for i = x, 2 do end end))
