//! The table library's Lua versions of its functions, used for tables with
//! `__index`/`__newindex`/`__len` and for other values that stand in for
//! tables (strings, values with a type metatable, proxies): they run on the
//! project's core with either engine and give PUC Lua 5.4.8's results,
//! metamethod order and messages. Every expected output here is what
//! PUC Lua 5.4.8 printed for the same chunk (named `input`).

use vm_ext::{engine::Engine, Runtime, RuntimeOptions, StepResult};

/// Runs `src` as chunk `input` on `engine` in slices of `fuel`: its
/// output, and its error's message if it failed.
fn run(engine: Engine, src: &str, fuel: i32) -> (String, Option<String>) {
    let mut rt = Runtime::new(RuntimeOptions {
        engine,
        ..Default::default()
    });
    let err = match rt.load(src.as_bytes(), "input") {
        Err(e) => Some(e.message),
        Ok(()) => loop {
            match rt.step(fuel) {
                StepResult::Running => {}
                StepResult::Finished(_) => break None,
                StepResult::Error(e) => break Some(e.message),
                other => panic!("[{engine}] {other:?}"),
            }
        },
    };
    (String::from_utf8_lossy(&rt.take_output()).into_owned(), err)
}

/// `src` prints `want` and finishes on `engines`, also in small slices
/// (the Lua versions and the calls they make suspend anywhere).
fn check(engines: &[Engine], src: &str, want: &str) {
    for &engine in engines {
        for fuel in [10_000, 7] {
            let (out, err) = run(engine, src, fuel);
            assert_eq!(err, None, "[{engine}, fuel {fuel}] {src}");
            assert_eq!(out, want, "[{engine}, fuel {fuel}] {src}");
        }
    }
}

/// `src` prints `want` on both engines.
fn both(src: &str, want: &str) {
    check(&Engine::ALL, src, want);
}

/// `src` prints `want` on the luahome core.
fn luahome_only(src: &str, want: &str) {
    check(&[Engine::Luahome], src, want);
}

/// `table.unpack` has no `checktab`: a string is read through the string
/// metatable's `__index` (PUC Lua: `select('#', table.unpack("abc", 1, 3))`
/// is 3, all nil); `move` reads from it too (`__index` is all it needs).
#[test]
fn unpack_reads_a_string_through_the_string_metatable() {
    both(
        r#"print(select('#', table.unpack("abc", 1, 3)), table.unpack("abc", 1, 3))
print(select('#', table.unpack("abc")), select('#', table.unpack("abc", 2, 1)))
string[2] = "two"
print(table.unpack("xyz", 1, 3))
print(table.unpack("abcd", 2))
local t = table.move("abc", 1, 3, 1, {})
print(#t, t[1], t[2])
print(pcall(table.concat, "abc"))
print(pcall(table.move, {}, 1, 1, 1, "abc"))"#,
        "3\tnil\tnil\tnil\n\
         3\t0\n\
         nil\ttwo\tnil\n\
         two\tnil\tnil\n\
         0\tnil\ttwo\n\
         false\tbad argument #1 to 'table.concat' (table expected, got string)\n\
         false\tbad argument #5 to 'table.move' (table expected, got string)\n",
    );
}

/// Numbers, booleans and nil with a type metatable (`debug.setmetatable`)
/// are read, written and measured through it, in Lua's order.
#[test]
fn values_with_a_type_metatable_stand_in_for_tables() {
    both(
        r#"debug.setmetatable(0, {__index = function(n, k) return n * 10 + k end, __len = function(n) return n end})
print(table.unpack(3))
print(select('#', table.unpack(0)), table.unpack(2, 2, 4))
print(table.concat(3, ","), table.move(3, 1, 2, 1, {})[2])
print(pcall(table.insert, 3, 1))
getmetatable(0).__newindex = function(n, k, v) print("set", n, k, v) end
table.insert(2, "x")
table.insert(2, 1, "y")
print(table.remove(2))
table.move({7, 8}, 1, 2, 5, 3)
getmetatable(0).__len = function() return 2.5 end
print(pcall(table.unpack, 1))
getmetatable(0).__len = function() return "2" end
print(pcall(table.unpack, 1))
debug.setmetatable(0, nil)
debug.setmetatable(true, {__index = function(b, k) return k end})
print(table.unpack(true, 1, 3))
print(pcall(table.unpack, true))
debug.setmetatable(true, nil)
debug.setmetatable(nil, {__index = function(_, k) return -k end, __len = function() return 2 end})
print(table.unpack(nil))
debug.setmetatable(nil, nil)"#,
        "31\t32\t33\n\
         0\t22\t23\t24\n\
         31,32,33\t32\n\
         false\tbad argument #1 to 'table.insert' (table expected, got number)\n\
         set\t2\t3\tx\n\
         set\t2\t3\t22\n\
         set\t2\t2\t21\n\
         set\t2\t1\ty\n\
         set\t2\t2\tnil\n\
         22\n\
         set\t3\t5\t7\n\
         set\t3\t6\t8\n\
         false\tobject length is not an integer\n\
         true\t11\t12\n\
         1\t2\t3\n\
         false\tattempt to get length of a boolean value\n\
         -1\t-2\n",
    );
}

/// The metamethods of a proxy are called in the order of PUC Lua's C code:
/// `concat` takes the length even with an explicit end, `sort` reads and
/// writes the proxy as `auxsort` does, and `__len` runs before an argument
/// is checked.
#[test]
fn proxies_see_their_metamethods_called_in_lua_order() {
    both(
        r#"local log = {}
local function proxy(t)
  return setmetatable({}, {
    __index = function(_, k) log[#log + 1] = "get" .. k return t[k] end,
    __newindex = function(_, k, v) log[#log + 1] = "set" .. k .. "=" .. tostring(v) t[k] = v end,
    __len = function() log[#log + 1] = "len" return #t end,
  })
end
local function show(...) print(table.concat(log, " "), ...) log = {} end
local p = proxy({10, 20, 30})
show(table.concat(p, ","))
show(table.concat(p, "-", 2, 3))
show(table.unpack(p))
show(table.unpack(p, 2, 3))
table.insert(p, 40) show()
table.insert(p, 2, 15) show()
show(table.remove(p))
show(table.remove(p, 1))
table.move(p, 1, 3, 2) show()
table.move(p, 2, 4, 1) show()
show(table.move({1, 2}, 1, 2, 3, p) == p)
table.sort(p) show()
table.sort(p, function(a, b) return a > b end) show()
show(pcall(table.concat, p, {}))
show(pcall(table.insert, p, 1, 2, 3))"#,
        "len get1 get2 get3\t10,20,30\n\
         len get2 get3\t20-30\n\
         len get1 get2 get3\t10\t20\t30\n\
         get2 get3\t20\t30\n\
         len set4=40\n\
         len get4 set5=40 get3 set4=30 get2 set3=20 set2=15\n\
         len get5 set5=nil\t40\n\
         len get1 get2 set1=15 get3 set2=20 get4 set3=30 set4=nil\t10\n\
         get3 set4=30 get2 set3=20 get1 set2=15\n\
         get2 set1=15 get3 set2=20 get4 set3=30\n\
         set3=1 set4=2\ttrue\n\
         len get1 get4 set1=2 set4=15 get2 get1 get4 set2=15 set4=20 get2 get3 set2=1 set3=15 get2 get3 get2 set3=15 set3=15 get1 get2 set1=1 set2=2\n\
         len get1 get4 set1=20 set4=1 get2 get1 get4 get2 get3 set2=15 set3=2 get2 get3 get2 set3=2 set3=2 get1 get2\n\
         len\tfalse\tbad argument #2 to 'table.concat' (string expected, got table)\n\
         len\tfalse\twrong number of arguments to 'insert'\n",
    );
}

/// Errors the library raises itself have the caller's position (none when
/// `pcall` calls the function directly, then named `table.remove`);
/// failed operations inside the library have neither position nor
/// variable names.
#[test]
fn errors_on_proxies_read_as_lua_54() {
    both(
        r#"local p = setmetatable({}, {__index = function(_, k) return k end, __len = function() return 3 end, __newindex = function() end})
print(pcall(table.insert, p, 9, "x"))
print(pcall(function() table.insert(p, 9, "x") end))
print(pcall(table.remove, p, 9))
print(pcall(function() local v = table.remove(p, 9) end))
print(pcall(table.insert, p, "x", 1))
print(pcall(table.insert, p))
print(pcall(function() table.insert(p, 1, 2, 3) end))
print(pcall(table.concat, setmetatable({}, {__index = function() return {} end, __len = function() return 2 end})))
print(pcall(function() local s = table.concat(setmetatable({}, {__index = function() return {} end}), ",", 1, 2) end))
print(pcall(table.concat, p, setmetatable({}, {__name = "Thing"})))
print(pcall(table.concat, p, ",", 1.5))
print(pcall(table.unpack, p, 1, 1e7))
print(pcall(function() local x = table.unpack(p, math.mininteger, math.maxinteger) end))
print(pcall(table.sort, p, setmetatable({}, {__name = "Thing"})))
local odd = setmetatable({}, {__len = function() return 2.5 end, __index = rawget})
print(pcall(table.unpack, odd))
print(pcall(function() local x = table.unpack(odd) end))
print(pcall(table.unpack, setmetatable({}, {__index = 5, __len = function() return 2 end})))
print(pcall(table.unpack, setmetatable({}, {__len = 5})))
print(pcall(table.unpack, nil))
print(pcall(function() local x = table.unpack(nil) end))
print(pcall(function() local x = table.unpack(true, 1, 2) end))
print(pcall(table.insert, setmetatable({}, {__len = function() return 1 end, __newindex = function(t, k, v) error("no " .. k, 0) end}), "x"))"#,
        "false\tbad argument #2 to 'table.insert' (position out of bounds)\n\
         false\tinput:3: bad argument #2 to 'insert' (position out of bounds)\n\
         false\tbad argument #2 to 'table.remove' (position out of bounds)\n\
         false\tinput:5: bad argument #2 to 'remove' (position out of bounds)\n\
         false\tbad argument #2 to 'table.insert' (number expected, got string)\n\
         false\twrong number of arguments to 'insert'\n\
         false\tinput:8: wrong number of arguments to 'insert'\n\
         false\tinvalid value (table) at index 1 in table for 'concat'\n\
         false\tinput:10: invalid value (table) at index 1 in table for 'concat'\n\
         false\tbad argument #2 to 'table.concat' (string expected, got Thing)\n\
         false\tbad argument #3 to 'table.concat' (number has no integer representation)\n\
         false\ttoo many results to unpack\n\
         false\tinput:14: too many results to unpack\n\
         false\tbad argument #2 to 'table.sort' (function expected, got Thing)\n\
         false\tobject length is not an integer\n\
         false\tinput:18: object length is not an integer\n\
         false\tattempt to index a number value\n\
         false\tattempt to call a number value\n\
         false\tattempt to get length of a nil value\n\
         false\tattempt to get length of a nil value\n\
         false\tattempt to index a boolean value\n\
         false\tno 2\n",
    );
}

/// `table.sort` of a proxy: an invalid order function and failed
/// comparisons fail as in PUC Lua, a larger proxy ends up sorted after
/// exactly PUC Lua's reads and writes (their count and a checksum of
/// their order), and `__lt` orders the elements.
#[test]
fn sorting_a_proxy_detects_invalid_order_functions() {
    both(
        r#"local p = setmetatable({}, {__index = function(_, k) return 50 - k end, __len = function() return 50 end, __newindex = function() end})
print(pcall(table.sort, p, function() return true end))
print(pcall(function() table.sort(p, function() return true end) end))
local q = setmetatable({}, {__index = function(_, k) return k % 2 == 0 and {} or k end, __len = function() return 4 end, __newindex = function() end})
print(pcall(table.sort, q))
local r = setmetatable({}, {__index = {{}, {}, {}}, __len = function() return 3 end, __newindex = function() end})
print(pcall(table.sort, r))
local data, log = {}, {}
for i = 1, 300 do data[i] = (i * 7919) % 301 end
local big = setmetatable({}, {
  __index = function(_, k) log[#log + 1] = k return data[k] end,
  __newindex = function(_, k, v) log[#log + 1] = -k data[k] = v end,
  __len = function() return #data end,
})
table.sort(big)
local sorted = true
for i = 2, 300 do sorted = sorted and data[i - 1] <= data[i] end
local sum = 0
for _, v in ipairs(log) do sum = (sum * 31 + v) % 1000000007 end
print(sorted, #log, sum)
local mt = {__lt = function(a, b) return a.v < b.v end}
local objs = {}
for i, v in ipairs({5, 3, 8, 1}) do objs[i] = setmetatable({v = v}, mt) end
table.sort(setmetatable({}, {__index = objs, __newindex = objs, __len = function() return #objs end}))
print(objs[1].v, objs[2].v, objs[3].v, objs[4].v)"#,
        "false\tinvalid order function for sorting\n\
         false\tinput:3: invalid order function for sorting\n\
         false\tattempt to compare table with number\n\
         false\tattempt to compare two table values\n\
         true\t4402\t275541384\n\
         1\t3\t5\t8\n",
    );
}

/// A metamethod called by a table function runs in a C call: it cannot
/// yield.
#[test]
fn metamethods_called_by_table_functions_cannot_yield() {
    both(
        r#"local p = setmetatable({}, {__index = function(_, k) coroutine.yield(k) return k end, __len = function() return 2 end, __newindex = function() end})
print(pcall(coroutine.wrap(function() local s = table.concat(p, ",") end)))
print(pcall(coroutine.wrap(function() local a, b = table.unpack(p) end)))
print(pcall(coroutine.wrap(function() table.sort(p) end)))
local q = setmetatable({}, {__index = function(_, k) return k end, __len = function() coroutine.yield("len") return 2 end})
print(pcall(coroutine.wrap(function() local s = table.concat(q, ",") end)))"#,
        "false\tattempt to yield across a C-call boundary\n\
         false\tattempt to yield across a C-call boundary\n\
         false\tattempt to yield across a C-call boundary\n\
         false\tattempt to yield across a C-call boundary\n",
    );
}

/// Argument errors raised for a proxy are named from the call instruction
/// (a method call counts from the argument after self) on the luahome
/// core (piccolo's VM gives library functions no call-site names).
#[test]
fn method_calls_name_the_bad_argument_as_lua_does() {
    luahome_only(
        r#"local p = setmetatable({}, {__len = function() return 3 end, __newindex = function() end})
getmetatable(p).__index = function(_, k) if k == "insert" then return table.insert end return k end
print(pcall(function() p:insert(9, 1) end))
print(pcall(function() p:insert("x", 1) end))
print(pcall(function() local ins = table.insert; ins(p, "x", 1) end))
print(pcall(function() return table.remove(p, 9) end))"#,
        "false\tinput:3: bad argument #1 to 'insert' (position out of bounds)\n\
         false\tinput:4: bad argument #1 to 'insert' (number expected, got string)\n\
         false\tinput:5: bad argument #2 to 'ins' (number expected, got string)\n\
         false\tinput:6: bad argument #2 to 'remove' (position out of bounds)\n",
    );
}
