//! The luahome engine (the project's compiler and interpreter) through the
//! [`Runtime`]: issue 11's table of wrong answers with Lua 5.4's exact
//! output and messages, fuel slicing and limits, stop, host calls waiting
//! inside the core, `load` on the same engine, and the C-stack-like limit.

use vm_ext::{
    engine::Engine, ErrorKind, HostCallOutcome, HostValue, Runtime, RuntimeOptions, StepResult,
};

fn runtime() -> Runtime {
    Runtime::new(RuntimeOptions {
        engine: Engine::Luahome,
        ..Default::default()
    })
}

fn finish(rt: &mut Runtime, fuel: i32) -> StepResult {
    loop {
        match rt.step(fuel) {
            StepResult::Running => {}
            other => return other,
        }
    }
}

/// Runs `src` as chunk `input`; the output, and the error message if any.
fn run(src: &str) -> (String, Option<String>) {
    let mut rt = runtime();
    let err = match rt.load(src.as_bytes(), "input") {
        Err(e) => Some(e.message),
        Ok(()) => match finish(&mut rt, 10_000) {
            StepResult::Finished(_) => None,
            StepResult::Error(e) => Some(e.message),
            other => panic!("{other:?}"),
        },
    };
    (String::from_utf8_lossy(&rt.take_output()).into_owned(), err)
}

#[test]
fn issue_table_gives_lua_54_answers() {
    let cases: &[(&str, &str)] = &[
        ("local a, b = 1, 2  a, b = b, a  print(a, b)", "2\t1\n"),
        (
            "local V = {} V.__index = V \
             V.__add = function(a, b) return setmetatable({x = a.x + b.x}, V) end \
             local a, b = setmetatable({x = 1}, V), setmetatable({x = 2}, V) \
             print((a + b).x)",
            "3\n",
        ),
        ("print((\"x\"):rep(3), (\"%d\"):format(3))", "xxx\t3\n"),
        ("local t <const> = 5 print(t)", "5\n"),
        ("print(-7 // 2, 3.0 .. \"\")", "-4\t3.0\n"),
    ];
    for (src, want) in cases {
        let (out, err) = run(src);
        assert_eq!(err, None, "{src}");
        assert_eq!(&out, want, "{src}");
    }
    let (_, err) = run("local cfg  print(cfg.x)");
    assert_eq!(
        err.as_deref(),
        Some("input:1: attempt to index a nil value (local 'cfg')")
    );
}

#[test]
fn library_calls_place_their_results_for_each_wanted_count() {
    // Library functions called from a CALL instruction run in place on the
    // register stack; their results are moved down for the count wanted
    // (one, most calls, has a path of its own): registers that held values
    // before must end up with the results or nil, never a stale value.
    // (Through pcall the function has no call-site name: PUC Lua then
    // names it by its global name, 'string.rep'.)
    let (out, err) = run("local t = {} \
         local x = 5  x = table.insert(t, 1)  print(x) \
         local y = string.byte('abc', 1, 3)  print(y) \
         local a, b = 1, 2  a, b = type(1)  print(a, b) \
         local c, d, e = 7, 8, 9  c, d, e = string.byte('xy', 1, 2)  print(c, d, e) \
         print(string.byte('abc', 1, -1)) \
         local n = select('#', string.byte('abcd', 1, 4))  print(n) \
         local s = tostring(setmetatable({}, {__tostring = function() return 'T' end}))  print(s) \
         local ok, m = pcall(string.rep)  print(ok, m)");
    assert_eq!(err, None);
    assert_eq!(
        out,
        "nil\n97\nnumber\tnil\n120\t121\tnil\n97\t98\t99\n4\nT\n\
         false\tbad argument #1 to 'string.rep' (string expected, got no value)\n"
    );
    // An error from a library function called in place carries the
    // caller's line, as PUC Lua's luaL_error does.
    let (_, err) = run("local x = 1\nlocal y = string.rep()");
    assert_eq!(
        err.as_deref(),
        Some("input:2: bad argument #1 to 'rep' (string expected, got no value)")
    );
}

#[test]
fn table_unpack_of_a_value_without_metatable_fails_as_puc_lua() {
    // `#` and indexing of the value fail as PUC Lua's luaL_len and
    // lua_geti do; an empty range needs neither.
    let (out, err) = run("print(pcall(table.unpack, nil)) \
         print(pcall(table.unpack, 5)) \
         print(pcall(table.unpack, true, 1, 2)) \
         print(select('#', table.unpack(nil, 2, 1)))");
    assert_eq!(err, None);
    assert_eq!(
        out,
        "false\tattempt to get length of a nil value\n\
         false\tattempt to get length of a number value\n\
         false\tattempt to index a boolean value\n0\n"
    );
}

#[test]
fn runtime_errors_name_what_failed() {
    let cases: &[(&str, &str)] = &[
        (
            "foo()",
            "input:1: attempt to call a nil value (global 'foo')",
        ),
        (
            "local t = {}\nreturn t.x.y",
            "input:2: attempt to index a nil value (field 'x')",
        ),
        (
            "local n\nlocal function f() return n + 1 end\nf()",
            "input:2: attempt to perform arithmetic on a nil value (upvalue 'n')",
        ),
        (
            "local s = {}\ns:m()",
            "input:2: attempt to call a nil value (method 'm')",
        ),
        (
            "return 1 < nil",
            "input:1: attempt to compare number with nil",
        ),
        (
            "return {} .. 'x'",
            "input:1: attempt to concatenate a table value",
        ),
        (
            "local y = 1.5\nreturn y | 1",
            "input:2: number (local 'y') has no integer representation",
        ),
        ("error('boom')", "input:1: boom"),
        (
            "local function check(x) if not x then error('bad x', 2) end end\n\ncheck(false)",
            "input:3: bad x",
        ),
        ("error({})", "(error object is a table value)"),
        (
            "return ('x'):bad()",
            "input:1: attempt to call a nil value (method 'bad')",
        ),
        (
            "local t = setmetatable({}, {__index = function(t, k) return t[k] end})\nreturn t.x",
            "input:1: C stack overflow",
        ),
    ];
    for (src, want) in cases {
        let (_, err) = run(src);
        let err = err.unwrap_or_else(|| panic!("no error for {src}"));
        assert!(err.ends_with(want), "{src}: got {err:?}, want {want:?}");
    }
    // A syntax error is reported at load, as Lua's message.
    let mut rt = runtime();
    let e = rt.load(b"x = = 1", "input").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!(e.message, "input:1: unexpected symbol near '='");
}

#[test]
fn endless_loop_stops_at_the_fuel_limit_and_the_runtime_goes_on() {
    let mut rt = Runtime::new(RuntimeOptions {
        engine: Engine::Luahome,
        fuel_limit: Some(200_000),
        ..Default::default()
    });
    rt.load(b"while true do end", "spin").unwrap();
    // Every step returns after about its fuel.
    for _ in 0..10 {
        assert_eq!(rt.step(1_000), StepResult::Running);
    }
    match finish(&mut rt, 1_000) {
        StepResult::Error(e) => assert_eq!(e.kind, ErrorKind::FuelLimit),
        other => panic!("{other:?}"),
    }
    rt.load(b"return 6 * 7", "again").unwrap();
    assert_eq!(
        finish(&mut rt, 1_000),
        StepResult::Finished(vec![HostValue::Integer(42)])
    );
}

#[test]
fn loops_closed_by_a_tests_own_jump_stop_at_the_fuel_limit() {
    // `until x < 0` ends its loop with the comparison's jump backwards,
    // which the interpreter takes inside the comparison (no `JMP`
    // dispatched): it must still pay for the loop's body.
    for src in [
        "local x = 0 repeat x = x + 1 until x < 0",
        "local x = 0 repeat x = x + 1 until x == -1",
        "local x, t = 0, {} repeat x = x + 1 until t[x] ~= nil and x < 0",
    ] {
        // On a thread of its own: a loop that did not pay would never end.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut rt = Runtime::new(RuntimeOptions {
                engine: Engine::Luahome,
                fuel_limit: Some(100_000),
                ..Default::default()
            });
            rt.load(src.as_bytes(), "spin").unwrap();
            let first = rt.step(1_000);
            let _ = tx.send((first, finish(&mut rt, 1_000)));
        });
        let (first, last) = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("{src}: did not stop at its fuel"));
        assert_eq!(first, StepResult::Running, "{src}");
        match last {
            StepResult::Error(e) => assert_eq!(e.kind, ErrorKind::FuelLimit, "{src}"),
            other => panic!("{src}: {other:?}"),
        }
    }
    // The same tests, taken and not taken, count as PUC Lua's do.
    let (out, err) = run("local n, x = 0, 0 \
        repeat x = x + 1 if x % 3 == 0 then n = n + 1 end until x >= 30 \
        local i = 10 while i > 0 and i ~= 5 do i = i - 1 end \
        print(n, x, i)");
    assert_eq!((out.as_str(), err), ("10\t30\t5\n", None));
}

#[test]
fn a_long_loop_resumes_across_slices_and_can_be_stopped() {
    let src = b"local n = 0 for i = 1, 200000 do n = n + i % 7 end return n";
    let mut rt = runtime();
    rt.load(src, "sum").unwrap();
    let mut slices = 0;
    let sliced = loop {
        match rt.step(500) {
            StepResult::Running => slices += 1,
            other => break other,
        }
    };
    assert!(slices > 100, "{slices}");
    rt.load(src, "sum").unwrap();
    assert_eq!(finish(&mut rt, 10_000_000), sliced);

    rt.load(b"while true do end", "spin").unwrap();
    assert_eq!(rt.step(1_000), StepResult::Running);
    assert_eq!(rt.stop().kind, ErrorKind::Stopped);
    rt.load(b"return 1", "after").unwrap();
    assert_eq!(
        finish(&mut rt, 1_000),
        StepResult::Finished(vec![HostValue::Integer(1)])
    );
}

#[test]
fn host_calls_wait_inside_the_core() {
    let mut rt = runtime();
    rt.register_host_function("ask");
    rt.load(
        b"local function twice(x) return ask(x) * 2 end\n\
          local t = setmetatable({}, {__index = function(_, k) return ask(k) end})\n\
          return twice(20) + 1, t.key",
        "host",
    )
    .unwrap();
    let mut answered = 0;
    let result = loop {
        match rt.step(10_000) {
            StepResult::Running => {}
            StepResult::Waiting => {
                for call in rt.take_host_calls() {
                    let v = match &call.args[0] {
                        HostValue::Integer(i) => HostValue::Integer(i + 1),
                        other => other.clone(),
                    };
                    answered += 1;
                    assert!(rt.resolve_host_call(call.id, HostCallOutcome::Return(vec![v])));
                }
            }
            other => break other,
        }
    };
    assert_eq!(answered, 2);
    assert_eq!(
        result,
        StepResult::Finished(vec![
            HostValue::Integer(43),
            HostValue::String(b"key".to_vec())
        ])
    );
}

#[test]
fn load_compiles_on_the_same_engine() {
    let (out, err) = run("local f = load('return 1 + 1')\n\
         print(f(), debug.getinfo(f).what, debug.getinfo(print).what)\n\
         print(load('x = '))\n\
         local g = load('local a, b = ... return b, a')\n\
         print(g(1, 2))");
    assert_eq!(err, None);
    assert_eq!(
        out,
        "2\tmain\tC\nnil\t[string \"x = \"]:1: unexpected symbol near <eof>\n2\t1\n"
    );
}

#[test]
fn many_suspended_coroutines_do_not_exhaust_the_entry_limit() {
    let (out, err) = run(
        "local cs = {}\n\
         for i = 1, 1000 do\n\
           cs[i] = coroutine.create(function() local function deep(n) if n == 0 then coroutine.yield(i) else deep(n - 1) end end deep(3) end)\n\
           assert(select(2, coroutine.resume(cs[i])) == i)\n\
         end\n\
         local ok, v = pcall(function() local function f() return pcall(f) end return f() end)\n\
         print(#cs, ok)",
    );
    assert_eq!(err, None);
    assert_eq!(out, "1000\ttrue\n");
}

#[test]
fn getinfo_level_2_names_the_callers_caller() {
    // lume's tester reports `short_src:currentline` of its caller this way.
    let (out, err) = run("local function where()\n\
           local i = debug.getinfo(2)\n\
           return i.short_src .. ':' .. i.currentline .. ' ' .. i.what\n\
         end\n\
         local function test()\n\
           local r = where()\n\
           return r\n\
         end\n\
         print(test())\n\
         print((where()))");
    assert_eq!(err, None);
    assert_eq!(out, "input:6 Lua\ninput:10 main\n");
}
