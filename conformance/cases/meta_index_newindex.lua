-- __index and __newindex, as tables and as functions; rawget/rawset.
local base = {greet = "hi"}
local obj = setmetatable({}, {__index = base})
assert(obj.greet == "hi" and rawget(obj, "greet") == nil)
-- chains
local top = setmetatable({}, {__index = obj})
assert(top.greet == "hi")
-- function __index receives the table and key
local calls = 0
local f = setmetatable({}, {__index = function(t, k) calls = calls + 1; return k .. "!" end})
assert(f.x == "x!" and f[1] == "1!" and calls == 2)
-- existing keys do not consult __index
f.y = 5
assert(f.y == 5 and calls == 2)
-- __newindex table: the value goes to that table
local store = {}
local w = setmetatable({}, {__newindex = store})
w.a = 1
assert(rawget(w, "a") == nil and store.a == 1)
-- __newindex function
local log = {}
local w2 = setmetatable({}, {__newindex = function(t, k, v) log[#log + 1] = k; rawset(t, k, v * 2) end})
w2.a = 1
w2.a = 5            -- now present: raw assignment
assert(w2.a == 5 and #log == 1 and log[1] == "a")
-- getmetatable / __metatable
local mt = {__metatable = "locked"}
local p = setmetatable({}, mt)
assert(getmetatable(p) == "locked")
local ok, e = pcall(setmetatable, p, {})
assert(not ok and e == "cannot change a protected metatable")
assert(getmetatable({}) == nil)
assert(setmetatable(obj, nil) == obj and getmetatable(obj) == nil)
-- rawequal / rawlen
assert(rawequal(base, base) and not rawequal(base, {}))
assert(rawlen({1, 2, 3}) == 3 and rawlen("abcd") == 4)
