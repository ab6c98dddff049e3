//! The sliced runtime: host calls that suspend Lua, limits, stop.

use vm_ext::{
    ErrorKind, HostCallOutcome, HostTarget, HostValue, Runtime, RuntimeOptions, StepResult,
};

fn drive(rt: &mut Runtime) -> StepResult {
    for _ in 0..1_000_000 {
        match rt.step(10_000) {
            StepResult::Running => continue,
            other => return other,
        }
    }
    panic!("chunk did not settle");
}

#[test]
fn host_call_suspends_inside_pcall_and_coroutine() {
    let mut rt = Runtime::new(Default::default());
    rt.register_host_function("fetch");
    rt.load(
        br#"
        local ok, co_ok, v = pcall(function()
            local co = coroutine.create(function(x) return fetch(x, {k = "v"}) + 1 end)
            return coroutine.resume(co, 41)
        end)
        return ok, co_ok, v
    "#,
        "host",
    )
    .unwrap();
    assert_eq!(drive(&mut rt), StepResult::Waiting);
    // Nothing runs while waiting.
    let fuel = rt.fuel_used();
    assert_eq!(rt.step(10_000), StepResult::Waiting);
    assert_eq!(rt.fuel_used(), fuel);
    let calls = rt.take_host_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].target, HostTarget::Named("fetch".into()));
    assert_eq!(
        calls[0].args,
        vec![
            HostValue::Integer(41),
            HostValue::Table(vec![(
                HostValue::String(b"k".to_vec()),
                HostValue::String(b"v".to_vec())
            )])
        ]
    );
    assert!(rt.resolve_host_call(
        calls[0].id,
        HostCallOutcome::Return(vec![HostValue::Integer(100)])
    ));
    assert!(
        !rt.resolve_host_call(calls[0].id, HostCallOutcome::Return(vec![])),
        "settled once"
    );
    assert_eq!(
        drive(&mut rt),
        StepResult::Finished(vec![
            HostValue::Boolean(true),
            HostValue::Boolean(true),
            HostValue::Integer(101)
        ])
    );
}

#[test]
fn host_call_rejection_is_a_catchable_lua_error() {
    let mut rt = Runtime::new(Default::default());
    rt.register_host_function("fail");
    rt.load(b"local ok, e = pcall(fail) return ok, e", "host")
        .unwrap();
    assert_eq!(drive(&mut rt), StepResult::Waiting);
    let call = rt.take_host_calls().remove(0);
    rt.resolve_host_call(
        call.id,
        HostCallOutcome::Error(HostValue::String(b"rejected: nope".to_vec())),
    );
    assert_eq!(
        drive(&mut rt),
        StepResult::Finished(vec![
            HostValue::Boolean(false),
            HostValue::String(b"rejected: nope".to_vec())
        ])
    );
}

#[test]
fn host_functions_passed_in_are_callable() {
    let mut rt = Runtime::new(Default::default());
    rt.register_host_function("get_callback");
    rt.load(b"local f = get_callback() return f(2, 3)", "host")
        .unwrap();
    assert_eq!(drive(&mut rt), StepResult::Waiting);
    let call = rt.take_host_calls().remove(0);
    rt.resolve_host_call(
        call.id,
        HostCallOutcome::Return(vec![HostValue::HostFunction(7)]),
    );
    assert_eq!(drive(&mut rt), StepResult::Waiting);
    let call = rt.take_host_calls().remove(0);
    assert_eq!(call.target, HostTarget::Function(7));
    assert_eq!(
        call.args,
        vec![HostValue::Integer(2), HostValue::Integer(3)]
    );
    rt.resolve_host_call(
        call.id,
        HostCallOutcome::Return(vec![HostValue::Integer(5)]),
    );
    assert_eq!(
        drive(&mut rt),
        StepResult::Finished(vec![HostValue::Integer(5)])
    );
}

#[test]
fn stop_while_waiting_leaves_the_runtime_usable() {
    let mut rt = Runtime::new(Default::default());
    rt.register_host_function("never");
    rt.load(b"never()", "host").unwrap();
    assert_eq!(drive(&mut rt), StepResult::Waiting);
    let err = rt.stop();
    assert_eq!(err.kind, ErrorKind::Stopped);
    rt.load(b"return 1", "again").unwrap();
    assert_eq!(
        drive(&mut rt),
        StepResult::Finished(vec![HostValue::Integer(1)])
    );
}

#[test]
fn memory_limit_ends_the_chunk_and_the_runtime_recovers() {
    let mut rt = Runtime::new(RuntimeOptions {
        memory_limit: Some(16 << 20),
        ..Default::default()
    });
    rt.load(
        b"local t = {} while true do t[#t + 1] = {1, 2, 3, 4, 5, 6, 7, 8} end",
        "hog",
    )
    .unwrap();
    match drive(&mut rt) {
        StepResult::Error(e) => {
            assert_eq!(e.kind, ErrorKind::Memory);
            assert_eq!(e.message, "not enough memory");
        }
        other => panic!("expected a memory error, got {other:?}"),
    }
    assert!(
        rt.memory_used() < 16 << 20,
        "garbage was collected: {}",
        rt.memory_used()
    );
    rt.load(
        b"local t = {} for i = 1, 1000 do t[i] = i end return #t",
        "after",
    )
    .unwrap();
    assert_eq!(
        drive(&mut rt),
        StepResult::Finished(vec![HostValue::Integer(1000)])
    );
}

#[test]
fn memory_limit_is_a_lua_error_pcall_catches_on_the_own_core() {
    use vm_ext::engine::Engine;
    let mut rt = Runtime::new(RuntimeOptions {
        memory_limit: Some(16 << 20),
        engine: Engine::Luahome,
        ..Default::default()
    });
    // Each hog fails where it allocates; the script catches the error, drops
    // the garbage and goes on (as PUC Lua with a failing allocator does).
    rt.load(
        br#"
        local results = {}
        local function hog(kind)
          local t = {}
          if kind == "array" then
            for i = 1, 1e9 do t[i] = i end
          elseif kind == "tables" then
            while true do t[#t + 1] = {1, 2, 3, 4, 5, 6, 7, 8} end
          else
            local s = "x"
            while true do t[#t + 1] = s .. #t end
          end
        end
        for _, kind in ipairs({"array", "tables", "strings"}) do
          local ok, err = pcall(hog, kind)
          results[#results + 1] = kind .. "=" .. tostring(ok) .. ":" .. tostring(err)
          collectgarbage()
        end
        local after = {}
        for i = 1, 1000 do after[i] = i end
        return table.concat(results, " "), #after
    "#,
        "hogs",
    )
    .unwrap();
    assert_eq!(
        drive(&mut rt),
        StepResult::Finished(vec![
            HostValue::String(
                "array=false:not enough memory tables=false:not enough memory \
                 strings=false:not enough memory"
                    .into()
            ),
            HostValue::Integer(1000)
        ])
    );
    // Uncaught, it ends the chunk as a memory error and the runtime goes on.
    rt.load(b"local t = {} while true do t[#t + 1] = {} end", "hog")
        .unwrap();
    match drive(&mut rt) {
        StepResult::Error(e) => {
            assert_eq!(e.kind, ErrorKind::Memory);
            assert_eq!(e.message, "not enough memory");
        }
        other => panic!("expected a memory error, got {other:?}"),
    }
    rt.load(b"return 1 + 1", "after").unwrap();
    assert_eq!(
        drive(&mut rt),
        StepResult::Finished(vec![HostValue::Integer(2)])
    );
}

#[test]
fn fuel_limit_bounds_total_work() {
    let mut rt = Runtime::new(Default::default());
    rt.set_fuel_limit(Some(50_000));
    rt.load(b"while true do end", "spin").unwrap();
    match drive(&mut rt) {
        StepResult::Error(e) => assert_eq!(e.kind, ErrorKind::FuelLimit),
        other => panic!("expected a fuel error, got {other:?}"),
    }
    assert!(rt.fuel_used() == 0 || rt.fuel_used() < 70_000);
    rt.load(
        b"local s = 0 for i = 1, 100 do s = s + i end return s",
        "small",
    )
    .unwrap();
    assert_eq!(
        drive(&mut rt),
        StepResult::Finished(vec![HostValue::Integer(5050)])
    );
}

#[test]
fn each_step_is_bounded() {
    let mut rt = Runtime::new(Default::default());
    rt.load(b"local n = 0 while true do n = n + 1 end", "spin")
        .unwrap();
    for _ in 0..10 {
        let before = rt.fuel_used();
        assert_eq!(rt.step(2_000), StepResult::Running);
        let used = rt.fuel_used() - before;
        assert!(
            (2_000..2_000 + 200).contains(&used),
            "a 2000-fuel step used {used}"
        );
    }
}

#[test]
fn host_call_suspends_inside_metamethods() {
    let mut rt = Runtime::new(Default::default());
    rt.register_host_function("lookup");
    rt.load(
        br#"
        local seen = {}
        local t = setmetatable({}, {
            __index = function(_, k) return lookup(k) end,
            __newindex = function(_, k, v) seen[k] = lookup(v) end,
            __call = function(_, x) return lookup(x) * 2 end,
        })
        local a = t.first
        t.second = "v"
        local ok, c = pcall(t, 5)
        return a, seen.second, ok, c
    "#,
        "meta",
    )
    .unwrap();
    let mut answers = Vec::new();
    let result = loop {
        match drive(&mut rt) {
            StepResult::Waiting => {
                for call in rt.take_host_calls() {
                    let v = match &call.args[0] {
                        HostValue::String(s) => HostValue::String([b"got ".as_slice(), s].concat()),
                        HostValue::Integer(i) => HostValue::Integer(i + 1),
                        other => panic!("unexpected argument {other:?}"),
                    };
                    answers.push(v.clone());
                    assert!(rt.resolve_host_call(call.id, HostCallOutcome::Return(vec![v])));
                }
            }
            other => break other,
        }
    };
    assert_eq!(
        answers.len(),
        3,
        "each metamethod waited on its own host call"
    );
    assert_eq!(
        result,
        StepResult::Finished(vec![
            HostValue::String(b"got first".to_vec()),
            HostValue::String(b"got v".to_vec()),
            HostValue::Boolean(true),
            HostValue::Integer(12),
        ])
    );
}
