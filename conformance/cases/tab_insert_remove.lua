-- table.insert(t, v) and table.remove(t) on tables without metamethods:
-- the luahome core does them itself (for no or one result). Appends,
-- removals, borders with holes, empty tables, weak tables, tables with
-- metamethods, the other forms, errors, a replaced function and hooks.

local t = {}
for i = 1, 100 do table.insert(t, i * 2) end
assert(#t == 100 and t[1] == 2 and t[100] == 200)
local sum = 0
for _ = 1, 40 do sum = sum + table.remove(t) end
assert(#t == 60 and sum == (200 + 122) * 40 // 2, sum)
local x = table.insert(t, 'x') -- the result of a function of no results
assert(x == nil and t[61] == 'x')
assert(select('#', table.insert(t, 'y')) == 0 and t[62] == 'y')
assert(table.remove(t) == 'y' and table.remove(t) == 'x' and #t == 60)
table.remove(t) -- no result wanted
assert(#t == 59 and t[60] == nil)

-- empty tables: remove gives t[0] and clears it (#t is 0)
local e = {}
assert(table.remove(e) == nil and #e == 0)
e[0] = 'zero'
assert(table.remove(e) == 'zero' and e[0] == nil)
assert(select('#', table.remove({})) == 1)

-- the hash part and nils
local h = { n = 1 }
table.insert(h, 'a')
table.insert(h, false)
assert(h[1] == 'a' and h[2] == false and #h == 2 and h.n == 1)
assert(table.remove(h) == false and table.remove(h) == 'a' and #h == 0)
local grow = {}
for i = 1, 20 do grow[i] = i end
for i = 21, 40 do table.insert(grow, i) end
for i = 40, 1, -1 do assert(table.remove(grow) == i) end
assert(next(grow) == nil)

-- the other forms go to the library
local p = { 1, 2, 3 }
table.insert(p, 1, 0)
assert(table.concat(p, ',') == '0,1,2,3')
assert(table.remove(p, 1) == 0 and table.concat(p, ',') == '1,2,3')
local ok, err = pcall(table.insert, p, 1, 2, 3)
assert(not ok and err:find("wrong number of arguments to 'insert'", 1, true), err)
ok, err = pcall(function() table.insert(nil, 1) end)
assert(not ok and err:find("bad argument #1 to 'insert'", 1, true), err)
ok, err = pcall(function() return table.remove(5) end)
assert(not ok and err:find("bad argument #1 to 'remove'", 1, true), err)

-- weak tables
local w = setmetatable({}, { __mode = 'v' })
local keep = {}
table.insert(w, keep)
table.insert(w, 'str')
assert(#w == 2 and w[1] == keep and table.remove(w) == 'str' and #w == 1)

-- tables with metamethods: the library's way (through __index/__newindex)
local log = {}
local proxy = setmetatable({}, {
  __index = function(_, k) log[#log + 1] = 'get' .. k return nil end,
  __newindex = function(tt, k, v) log[#log + 1] = 'set' .. k rawset(tt, k, v) end,
})
table.insert(proxy, 'a')
assert(rawget(proxy, 1) == 'a' and table.concat(log, ' ') == 'set1', table.concat(log, ' '))
local lenmt = setmetatable({}, { __len = function() return 5 end })
table.insert(lenmt, 'six')
assert(rawget(lenmt, 6) == 'six')

-- a replaced function is called as itself
local saved = table.insert
table.insert = function() return 'mine' end
assert(table.insert({}, 1) == 'mine')
table.insert = saved

-- hooks see the calls
local calls = 0
debug.sethook(function()
  local info = debug.getinfo(2, 'f')
  if info and (info.func == table.insert or info.func == table.remove) then calls = calls + 1 end
end, 'c')
local hk = {}
for i = 1, 3 do table.insert(hk, i) end
table.remove(hk)
debug.sethook()
assert(calls == 4 and #hk == 2, calls)

print('ok')
