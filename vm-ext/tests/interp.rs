//! The project's interpreter core on hand-built prototypes: results,
//! calls, upvalues, fuel slicing, metamethods, error messages with variable
//! names, pcall and coroutines through own frames, stack overflow, and the
//! verifier refusing out-of-range indices.

use vm_ext::{
    bytecode::{Constant, LocalVar, Op, Proto, UpvalueDesc},
    engine::Engine,
    interp, ErrorKind, HostValue, Runtime, RuntimeOptions, StepResult,
};

fn env_up() -> UpvalueDesc {
    UpvalueDesc {
        in_stack: true,
        index: 0,
        name: "_ENV".into(),
    }
}

/// A main chunk (vararg, `_ENV` upvalue) from code and constants.
fn main_proto(code: Vec<Op>, constants: Vec<Constant>, max_stack: u8) -> Proto {
    Proto {
        source: "=test".into(),
        line_defined: 0,
        last_line_defined: 0,
        num_params: 0,
        is_vararg: true,
        max_stack,
        lines: (1..=code.len() as u32).collect(),
        code,
        constants,
        upvalues: vec![env_up()],
        protos: vec![],
        locals: vec![],
    }
}

fn func_proto(
    params: u8,
    code: Vec<Op>,
    constants: Vec<Constant>,
    upvalues: Vec<UpvalueDesc>,
    max_stack: u8,
) -> Proto {
    let mut p = main_proto(code, constants, max_stack);
    p.num_params = params;
    p.is_vararg = false;
    p.line_defined = 1;
    p.upvalues = upvalues;
    p
}

fn s(x: &str) -> Constant {
    Constant::String(x.as_bytes().to_vec())
}

fn runtime() -> Runtime {
    Runtime::new(RuntimeOptions {
        engine: Engine::Luahome,
        ..Default::default()
    })
}

fn run_on(rt: &mut Runtime, p: Proto, fuel: i32) -> StepResult {
    rt.load_proto(p).expect("loads");
    let mut slices = 0;
    loop {
        match rt.step(fuel) {
            StepResult::Running => {
                slices += 1;
                assert!(slices < 1_000_000, "runaway");
            }
            other => return other,
        }
    }
}

fn run(p: Proto) -> StepResult {
    run_on(&mut runtime(), p, 10_000)
}

fn error_message(r: StepResult) -> String {
    match r {
        StepResult::Error(e) => e.message,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn returns_values_and_arithmetic() {
    use HostValue::*;
    let p = main_proto(
        vec![
            Op::LoadI { a: 0, i: -7 },
            Op::LoadI { a: 1, i: 2 },
            Op::IDiv { a: 2, b: 0, c: 1 },
            Op::Mod { a: 3, b: 0, c: 1 },
            Op::LoadK { a: 4, k: 0 },
            Op::LoadI { a: 5, i: -1 },
            Op::IDiv { a: 6, b: 4, c: 5 },
            Op::Mod { a: 7, b: 4, c: 5 },
            Op::LoadF { a: 8, i: 3 },
            Op::LoadK { a: 9, k: 1 },
            Op::Concat { a: 8, n: 2 },
            Op::Return { a: 2, b: 8 },
        ],
        vec![Constant::Integer(i64::MIN), s("")],
        10,
    );
    assert_eq!(
        run(p),
        StepResult::Finished(vec![
            Integer(-4),
            Integer(1),
            Integer(i64::MIN),
            Integer(-1),
            Integer(i64::MIN),
            Integer(0),
            String(b"3.0".to_vec()),
        ])
    );
}

#[test]
fn swap_through_registers() {
    // local a, b = 1, 2; a, b = b, a; return a, b
    let p = main_proto(
        vec![
            Op::LoadI { a: 0, i: 1 },
            Op::LoadI { a: 1, i: 2 },
            Op::Move { a: 2, b: 1 },
            Op::Move { a: 1, b: 0 },
            Op::Move { a: 0, b: 2 },
            Op::Return { a: 0, b: 3 },
        ],
        vec![],
        3,
    );
    assert_eq!(
        run(p),
        StepResult::Finished(vec![HostValue::Integer(2), HostValue::Integer(1)])
    );
}

/// `local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end return fib(N)`
fn fib_proto(n: i32) -> Proto {
    let fib = func_proto(
        1,
        vec![
            Op::LtI {
                a: 0,
                i: 2,
                k: false,
            },
            Op::Jmp { sj: 1 },
            Op::Return1 { a: 0 },
            Op::GetUpval { a: 1, b: 0 },
            Op::AddI { a: 2, b: 0, i: -1 },
            Op::Call { a: 1, b: 2, c: 2 },
            Op::GetUpval { a: 2, b: 0 },
            Op::AddI { a: 3, b: 0, i: -2 },
            Op::Call { a: 2, b: 2, c: 2 },
            Op::Add { a: 1, b: 1, c: 2 },
            Op::Return1 { a: 1 },
        ],
        vec![],
        vec![UpvalueDesc {
            in_stack: true,
            index: 0,
            name: "fib".into(),
        }],
        4,
    );
    let mut main = main_proto(
        vec![
            Op::LoadNil { a: 0, n: 0 },
            Op::Closure { a: 0, p: 0 },
            Op::Move { a: 1, b: 0 },
            Op::LoadI { a: 2, i: n },
            Op::Call { a: 1, b: 2, c: 2 },
            Op::Return { a: 1, b: 2 },
        ],
        vec![],
        3,
    );
    main.protos.push(fib);
    main
}

#[test]
fn recursive_calls_with_upvalues() {
    assert_eq!(
        run(fib_proto(20)),
        StepResult::Finished(vec![HostValue::Integer(6765)])
    );
}

#[test]
fn small_slices_give_the_same_result() {
    let mut rt = runtime();
    rt.load_proto(fib_proto(15)).unwrap();
    let mut slices = 0;
    let result = loop {
        match rt.step(7) {
            StepResult::Running => slices += 1,
            other => break other,
        }
    };
    assert_eq!(result, StepResult::Finished(vec![HostValue::Integer(610)]));
    // fib(15) makes ~2k calls: each call and return spends fuel.
    assert!(slices > 1000, "{slices} slices");
}

#[test]
fn fuel_limit_stops_an_endless_loop_and_the_runtime_goes_on() {
    let mut rt = Runtime::new(RuntimeOptions {
        engine: Engine::Luahome,
        fuel_limit: Some(50_000),
        ..Default::default()
    });
    let endless = main_proto(vec![Op::Jmp { sj: -1 }], vec![], 1);
    rt.load_proto(endless).unwrap();
    // Bounded slices: each step returns.
    for _ in 0..3 {
        assert_eq!(rt.step(1000), StepResult::Running);
    }
    let r = loop {
        match rt.step(1000) {
            StepResult::Running => {}
            other => break other,
        }
    };
    match r {
        StepResult::Error(e) => assert_eq!(e.kind, ErrorKind::FuelLimit),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        run_on(&mut rt, fib_proto(10), 1000),
        StepResult::Finished(vec![HostValue::Integer(55)])
    );
}

#[test]
fn index_nil_local_names_it() {
    // local cfg; print(cfg.x)
    let mut p = main_proto(
        vec![
            Op::LoadNil { a: 0, n: 0 },
            Op::GetTabUp { a: 1, up: 0, k: 0 },
            Op::GetField { a: 2, b: 0, k: 1 },
            Op::Call { a: 1, b: 2, c: 1 },
            Op::Return0,
        ],
        vec![s("print"), s("x")],
        3,
    );
    p.source = "=input".into();
    p.locals.push(LocalVar {
        name: "cfg".into(),
        start_pc: 1,
        end_pc: 5,
    });
    assert_eq!(
        error_message(run(p)),
        "input:3: attempt to index a nil value (local 'cfg')"
    );
}

#[test]
fn call_nil_global_names_it() {
    let p = main_proto(
        vec![
            Op::GetTabUp { a: 0, up: 0, k: 0 },
            Op::Call { a: 0, b: 1, c: 1 },
            Op::Return0,
        ],
        vec![s("foo")],
        1,
    );
    assert_eq!(
        error_message(run(p)),
        "test:2: attempt to call a nil value (global 'foo')"
    );
}

#[test]
fn arithmetic_on_nil_field_names_it() {
    // local t = {}; return t.x + 1
    let mut p = main_proto(
        vec![
            Op::NewTable {
                a: 0,
                hash: 0,
                array: 0,
            },
            Op::GetField { a: 1, b: 0, k: 0 },
            Op::AddI { a: 1, b: 1, i: 1 },
            Op::Return1 { a: 1 },
        ],
        vec![s("x")],
        2,
    );
    p.locals.push(LocalVar {
        name: "t".into(),
        start_pc: 1,
        end_pc: 4,
    });
    assert_eq!(
        error_message(run(p)),
        "test:3: attempt to perform arithmetic on a nil value (field 'x')"
    );
}

#[test]
fn compare_and_concat_errors() {
    let p = main_proto(
        vec![
            Op::LoadI { a: 0, i: 1 },
            Op::LoadNil { a: 1, n: 0 },
            Op::Lt {
                a: 0,
                b: 1,
                k: false,
            },
            Op::Jmp { sj: 0 },
            Op::Return0,
        ],
        vec![],
        2,
    );
    assert_eq!(
        error_message(run(p)),
        "test:3: attempt to compare number with nil"
    );
    let p = main_proto(
        vec![
            Op::LoadK { a: 0, k: 0 },
            Op::NewTable {
                a: 1,
                hash: 0,
                array: 0,
            },
            Op::Concat { a: 0, n: 2 },
            Op::Return1 { a: 0 },
        ],
        vec![s("a")],
        2,
    );
    assert_eq!(
        error_message(run(p)),
        "test:3: attempt to concatenate a table value"
    );
}

#[test]
fn string_methods_through_the_string_metatable() {
    // return ("x"):rep(3)
    let p = main_proto(
        vec![
            Op::LoadK { a: 0, k: 0 },
            Op::SelfOp {
                a: 0,
                b: 0,
                c: 1,
                kc: true,
            },
            Op::LoadI { a: 2, i: 3 },
            Op::Call { a: 0, b: 3, c: 2 },
            Op::Return1 { a: 0 },
        ],
        vec![s("x"), s("rep")],
        3,
    );
    assert_eq!(
        run(p),
        StepResult::Finished(vec![HostValue::String(b"xxx".to_vec())])
    );
}

/// `local function f(t) return t.x end; return pcall(f, nil)` plus a
/// second frame in between.
#[test]
fn pcall_catches_errors_from_nested_own_frames() {
    let inner = {
        let mut p = func_proto(
            1,
            vec![Op::GetField { a: 1, b: 0, k: 0 }, Op::Return1 { a: 1 }],
            vec![s("x")],
            vec![],
            2,
        );
        p.locals.push(LocalVar {
            name: "t".into(),
            start_pc: 0,
            end_pc: 2,
        });
        p
    };
    let outer = {
        let mut p = func_proto(
            1,
            vec![
                Op::Closure { a: 1, p: 0 },
                Op::Move { a: 2, b: 0 },
                Op::Call { a: 1, b: 2, c: 2 },
                Op::Return1 { a: 1 },
            ],
            vec![],
            vec![],
            3,
        );
        p.protos.push(inner);
        p
    };
    let mut main = main_proto(
        vec![
            Op::GetTabUp { a: 0, up: 0, k: 0 },
            Op::Closure { a: 1, p: 0 },
            Op::LoadNil { a: 2, n: 0 },
            Op::Call { a: 0, b: 3, c: 0 },
            Op::Return { a: 0, b: 0 },
        ],
        vec![s("pcall")],
        3,
    );
    main.protos.push(outer);
    assert_eq!(
        run(main),
        StepResult::Finished(vec![
            HostValue::Boolean(false),
            HostValue::String(b"test:1: attempt to index a nil value (local 't')".to_vec()),
        ])
    );
}

/// A coroutine whose body calls two own frames deep before yielding.
#[test]
fn coroutine_yields_through_own_frames() {
    // level2(x): return coroutine.yield(x) + 1
    let level2 = func_proto(
        1,
        vec![
            Op::GetTabUp { a: 1, up: 0, k: 0 },
            Op::GetField { a: 1, b: 1, k: 1 },
            Op::Move { a: 2, b: 0 },
            Op::Call { a: 1, b: 2, c: 2 },
            Op::AddI { a: 1, b: 1, i: 1 },
            Op::Return1 { a: 1 },
        ],
        vec![s("coroutine"), s("yield")],
        vec![UpvalueDesc {
            in_stack: false,
            index: 0,
            name: "_ENV".into(),
        }],
        3,
    );
    // level1(x): return level2(x * 10) * 2
    let level1 = {
        let mut p = func_proto(
            1,
            vec![
                Op::Closure { a: 1, p: 0 },
                Op::MulK { a: 2, b: 0, k: 0 },
                Op::Call { a: 1, b: 2, c: 2 },
                Op::MulK { a: 1, b: 1, k: 1 },
                Op::Return1 { a: 1 },
            ],
            vec![Constant::Integer(10), Constant::Integer(2)],
            vec![UpvalueDesc {
                in_stack: false,
                index: 0,
                name: "_ENV".into(),
            }],
            3,
        );
        p.protos.push(level2);
        p
    };
    // local co = coroutine.wrap(level1); local a = co(4); local b = co(a + 1); return a, b
    let mut main = main_proto(
        vec![
            Op::GetTabUp { a: 0, up: 0, k: 0 },
            Op::GetField { a: 0, b: 0, k: 1 },
            Op::Closure { a: 1, p: 0 },
            Op::Call { a: 0, b: 2, c: 2 },
            Op::Move { a: 1, b: 0 },
            Op::LoadI { a: 2, i: 4 },
            Op::Call { a: 1, b: 2, c: 2 },
            Op::Move { a: 2, b: 0 },
            Op::AddI { a: 3, b: 1, i: 1 },
            Op::Call { a: 2, b: 2, c: 2 },
            Op::Return { a: 1, b: 3 },
        ],
        vec![s("coroutine"), s("wrap")],
        4,
    );
    main.protos.push(level1);
    // First resume yields 40; resuming with 41 gives (41 + 1) * 2.
    assert_eq!(
        run_on(&mut runtime(), main, 3),
        StepResult::Finished(vec![HostValue::Integer(40), HostValue::Integer(84)])
    );
}

#[test]
fn endless_recursion_is_a_catchable_stack_overflow() {
    // local function f() return 1 + f() end; return pcall(f)
    let f = func_proto(
        0,
        vec![
            Op::GetUpval { a: 0, b: 0 },
            Op::Call { a: 0, b: 1, c: 2 },
            Op::AddI { a: 0, b: 0, i: 1 },
            Op::Return1 { a: 0 },
        ],
        vec![],
        vec![UpvalueDesc {
            in_stack: true,
            index: 0,
            name: "f".into(),
        }],
        1,
    );
    let mut main = main_proto(
        vec![
            Op::LoadNil { a: 0, n: 0 },
            Op::Closure { a: 0, p: 0 },
            Op::GetTabUp { a: 1, up: 0, k: 0 },
            Op::Move { a: 2, b: 0 },
            Op::Call { a: 1, b: 2, c: 0 },
            Op::Return { a: 1, b: 0 },
        ],
        vec![s("pcall")],
        3,
    );
    main.protos.push(f);
    match run_on(&mut runtime(), main, 100_000) {
        StepResult::Finished(v) => {
            assert_eq!(v[0], HostValue::Boolean(false));
            match &v[1] {
                HostValue::String(m) => {
                    let m = String::from_utf8_lossy(m);
                    assert!(m.ends_with("stack overflow"), "{m}");
                }
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn verifier_refuses_out_of_range_indices() {
    let bad = [
        main_proto(vec![Op::Move { a: 0, b: 5 }, Op::Return0], vec![], 2),
        main_proto(vec![Op::LoadK { a: 0, k: 3 }, Op::Return0], vec![], 2),
        main_proto(vec![Op::Jmp { sj: 10 }, Op::Return0], vec![], 2),
        main_proto(vec![Op::GetUpval { a: 0, b: 4 }, Op::Return0], vec![], 2),
        main_proto(vec![Op::Closure { a: 0, p: 0 }, Op::Return0], vec![], 2),
        main_proto(
            vec![Op::GetField { a: 0, b: 0, k: 0 }, Op::Return0],
            vec![Constant::Integer(1)],
            2,
        ),
        main_proto(vec![], vec![], 2),
    ];
    for p in bad {
        assert!(interp::verify(&p).is_err(), "{:?}", p.code);
        let mut rt = runtime();
        assert!(rt.load_proto(p).is_err());
    }
    assert!(interp::verify(&fib_proto(3)).is_ok());
}
