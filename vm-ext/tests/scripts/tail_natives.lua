-- `return f(...)` with a library function f: called in place, keeping all its
-- results, then returned by the RETURN after the TAILCALL (as PUC Lua calls a
-- C function in tail position: its caller stays on the stack). Runs under
-- lua5.4 too.
local function f(...) return select("#", ...) end
assert(f(1, nil, 3) == 3)
local function g(...) return select(2, ...) end
local a, b, c = g(1, 2, 3)
assert(a == 2 and b == 3 and c == nil)
local function h(s) return string.rep(s, 3) end
assert(h("ab") == "ababab")
local function e(s) return string.rep(s, 2, {}) end
local ok, msg = pcall(e, "x")
assert(not ok and string.find(msg, "bad argument #3 to '[%w%.]*rep'"), msg)
local function tb() return debug.traceback("m", 1) end
local t = tb()
assert(string.find(t, "in local 'tb'") and string.find(t, "in main chunk"), t)
local function u(t2) return table.unpack(t2) end
assert(select("#", u({1, 2, 3, nil, 5, n = 5})) >= 3)
local function k(...) return math.max(...) end
assert(k(3, 9, 2) == 9)
local co = coroutine.wrap(function(x) return coroutine.yield(x + 1) end)
assert(co(1) == 2 and co(10) == 10)

-- Many results, and none.
local function many(n) return string.byte(string.rep("a", n), 1, -1) end
assert(select("#", many(200)) == 200)
local function none() return string.byte("") end
assert(select("#", none()) == 0)
-- Deep recursion through a native in tail position does not grow without
-- bound the way a Lua tail call would not either: each level returns.
local function depth(n) if n == 0 then return select("#") end return depth(n - 1) end
assert(depth(100000) == 0)
print("tail_natives ok")
