//! Prints fib(30) timings: the project's core (a hand-built prototype)
//! against piccolo's core (compiled from source). Numbers only, no
//! assertions: `cargo run --release -p luahome-vm-ext --example interp_fib`.

use std::time::Instant;

use vm_ext::{
    bytecode::{Constant, Op, Proto, UpvalueDesc},
    engine::Engine,
    Runtime, RuntimeOptions, StepResult,
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

fn finish(rt: &mut Runtime) -> StepResult {
    loop {
        match rt.step(100_000) {
            StepResult::Running => {}
            other => return other,
        }
    }
}

fn main() {
    let n: i32 = std::env::var("FIB_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let which = std::env::args().nth(1).unwrap_or_default();
    if which == "piccolo" {
        run_piccolo(n);
        return;
    }
    let mut rt = Runtime::new(RuntimeOptions {
        engine: Engine::Luahome,
        ..Default::default()
    });
    let t = Instant::now();
    rt.load_proto(fib_proto(n)).unwrap();
    let r = finish(&mut rt);
    let ours = t.elapsed();
    println!(
        "luahome core fib({n}): {r:?} in {:.3} s",
        ours.as_secs_f64()
    );
    if which == "luahome" {
        return;
    }
    let theirs = run_piccolo(n);
    println!(
        "ratio luahome/piccolo: {:.2}",
        ours.as_secs_f64() / theirs.as_secs_f64()
    );
}

fn run_piccolo(n: i32) -> std::time::Duration {
    let mut rt = Runtime::new(RuntimeOptions::default());
    let src = format!(
        "local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end return fib({n})"
    );
    let t = Instant::now();
    rt.load(src.as_bytes(), "fib").unwrap();
    let r = finish(&mut rt);
    let theirs = t.elapsed();
    println!(
        "piccolo core fib({n}): {r:?} in {:.3} s",
        theirs.as_secs_f64()
    );
    theirs
}
