-- Common idioms, one at a time, for comparing engines on what scripts
-- written without the benchmarks' care do (library functions called through
-- their tables, method calls on strings, coroutines made per use...).
-- Usage: lua bench/idioms.lua IDIOM [N]; prints "IDIOM seconds checksum"
-- (os.clock around the loop). scripts/bench-idioms.sh runs every idiom on
-- PUC Lua 5.4.8 and the luahome CLI and prints the ratios.
local which, N = arg[1], tonumber(arg[2] or "1000000")
local t0 = os.clock()
local acc = 0
if which == "pcall_native" then for i = 1, N do local ok, v = pcall(type, i) if ok then acc = acc + 1 end end
elseif which == "pcall_lua" then local f = function(x) return x end for i = 1, N do local ok, v = pcall(f, i) acc = acc + v end
elseif which == "gsub_fn" then local s = string.rep("abc ", 10) for i = 1, N // 10 do local r = s:gsub("%w+", function(w) return w end) acc = acc + #r end
elseif which == "gsub_str" then local s = string.rep("abc ", 10) for i = 1, N // 10 do local r = s:gsub("b", "x") acc = acc + #r end
elseif which == "gmatch" then local s = string.rep("abc ", 10) for i = 1, N // 10 do for w in s:gmatch("%a+") do acc = acc + 1 end end
elseif which == "format_d" then for i = 1, N do acc = acc + #string.format("%d:%s", i, "x") end
elseif which == "tostring" then for i = 1, N do acc = acc + #tostring(i) end
elseif which == "concat_op" then for i = 1, N do local s = "a" .. i .. "b" acc = acc + #s end
elseif which == "sub" then local s = "hello world" for i = 1, N do acc = acc + #s:sub(2, 5) end
elseif which == "byte" then local s = "hello world" for i = 1, N do acc = acc + s:byte(3) end
elseif which == "ipairs" then local t = {} for i = 1, 100 do t[i] = i end for j = 1, N // 100 do for _, v in ipairs(t) do acc = acc + v end end
elseif which == "pairs" then local t = {} for i = 1, 100 do t["k"..i] = i end for j = 1, N // 100 do for _, v in pairs(t) do acc = acc + v end end
elseif which == "append" then for j = 1, N // 100 do local t = {} for i = 1, 100 do t[#t + 1] = i end acc = acc + #t end
elseif which == "tinsert" then for j = 1, N // 100 do local t = {} for i = 1, 100 do table.insert(t, i) end acc = acc + #t end
elseif which == "oop" then local C = {} C.__index = C function C.new(x) return setmetatable({x = x}, C) end function C:get() return self.x end
  for i = 1, N do local o = C.new(i) acc = acc + o:get() end
elseif which == "floor" then for i = 1, N do acc = acc + math.floor(i / 3) end
elseif which == "max" then for i = 1, N do acc = acc + math.max(i, 5, 3) end
elseif which == "streq" then local a, b = "abc", "abd" for i = 1, N do if a < b then acc = acc + 1 end end
elseif which == "tconcat" then local t = {} for i = 1, 50 do t[i] = "x" .. i end for j = 1, N // 50 do acc = acc + #table.concat(t, ",") end
elseif which == "closure_make" then for i = 1, N do local f = function() return i end acc = acc + f() end
elseif which == "varargs_sel" then local function f(...) return select('#', ...) end for i = 1, N do acc = acc + f(i, i, i) end
elseif which == "os_time" then for i = 1, N // 10 do acc = acc + (os.time() > 0 and 1 or 0) end
elseif which == "upper" then local s = "hello" for i = 1, N do acc = acc + #s:upper() end
elseif which == "find_plain" then local s = string.rep("a", 50) .. "needle" for i = 1, N do acc = acc + s:find("needle", 1, true) end
elseif which == "setmeta_index_fn" then local p = setmetatable({}, {__index = function(t, k) return 1 end}) for i = 1, N do acc = acc + p.x end
elseif which == "coroutine_wrap" then for i = 1, N // 10 do local g = coroutine.wrap(function() coroutine.yield(1) end) acc = acc + g() end
elseif which == "error_pcall" then for i = 1, N // 10 do local ok = pcall(error, "x") if not ok then acc = acc + 1 end end
elseif which == "type_check" then local x = {} for i = 1, N do if type(x) == "table" then acc = acc + 1 end end
elseif which == "rawget" then local t = {a = 1} for i = 1, N do acc = acc + rawget(t, "a") end
elseif which == "setmeta" then local mt = {} for i = 1, N do local o = setmetatable({}, mt) acc = acc + 1 end
elseif which == "unpack" then local t = {1, 2, 3} for i = 1, N do local a, b, c = table.unpack(t) acc = acc + c end
elseif which == "random" then math.randomseed(42) for i = 1, N do acc = acc + math.random(10) end
elseif which == "char" then for i = 1, N do acc = acc + #string.char(65 + i % 26) end
elseif which == "rep" then for i = 1, N // 10 do acc = acc + #string.rep("ab", 10) end
elseif which == "sort_default" then for j = 1, N // 1000 do local t = {} for i = 1, 100 do t[i] = (i * 7919) % 101 end table.sort(t) acc = acc + t[1] end
elseif which == "sort_cmp" then for j = 1, N // 1000 do local t = {} for i = 1, 100 do t[i] = (i * 7919) % 101 end table.sort(t, function(a, b) return a > b end) acc = acc + t[1] end
elseif which == "tremove" then for j = 1, N // 100 do local t = {} for i = 1, 100 do t[i] = i end for i = 1, 100 do acc = acc + table.remove(t) end end
elseif which == "next_direct" then local t = {a = 1, b = 2, c = 3} for i = 1, N do local k, v = next(t) acc = acc + #k end  -- (which key comes first differs)
elseif which == "strlen" then local s = "hello" for i = 1, N do acc = acc + #s + string.len(s) end
elseif which == "tostring_tbl" then local t = {} for i = 1, N // 10 do if tostring(t):find("^table: ") then acc = acc + 1 end end  -- (address widths differ)
elseif which == "fmt_s" then for i = 1, N // 2 do acc = acc + #string.format("%s=%s", "k", "v") end
elseif which == "fmt_f" then for i = 1, N // 2 do acc = acc + #string.format("%.2f", i / 3) end
elseif which == "str_eq" then local a, b = "abc", "abc" .. "" for i = 1, N do if a == b then acc = acc + 1 end end
elseif which == "tonumber" then for i = 1, N do acc = acc + tonumber("123") end
elseif which == "upval_closure" then local c = 0 local function inc() c = c + 1 end for i = 1, N do inc() end acc = c
elseif which == "method_tbl" then local o = {v = 1} function o:get() return self.v end for i = 1, N do acc = acc + o:get() end
elseif which == "inherit" then local Base = {} Base.__index = Base function Base:get() return self.v end local D = setmetatable({}, {__index = Base}) D.__index = D local o = setmetatable({v = 1}, D) for i = 1, N do acc = acc + o:get() end
else
  error("unknown idiom '" .. tostring(which) .. "'")
end
io.write(string.format("%s %.3f %d\n", which, os.clock() - t0, acc))
