//! Runs a Lua file with the luahome runtime and the native host:
//! `cargo run -p luahome-vm-ext --example run_lua -- [--soft-asserts] file.lua`.
//! With `--soft-asserts`, a failing `assert` is counted (with its line) and
//! the script goes on, so one run measures a whole test file.

use std::{cell::RefCell, rc::Rc, time::Instant};

use piccolo::{Callback, CallbackReturn};
use vm_ext::{host::Host, Runtime, StepResult};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let soft = args.iter().any(|a| a == "--soft-asserts");
    let Some(path) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: run_lua [--soft-asserts] FILE.lua");
        std::process::exit(2);
    };
    let source = std::fs::read(path).expect("cannot read file");
    let mut rt = Runtime::with_host(Default::default(), Host::native());
    rt.set_output(|b| {
        use std::io::Write;
        let _ = std::io::stdout().write_all(b);
    });
    let passed = Rc::new(RefCell::new(0u64));
    let last_pass: Rc<RefCell<String>> = Rc::default();
    let failed: Rc<RefCell<Vec<String>>> = Rc::default();
    if soft {
        let (p, f, lp) = (passed.clone(), failed.clone(), last_pass.clone());
        rt.lua_mut().enter(move |ctx| {
            let soft_assert = Callback::from_fn(&ctx, move |_, exec, stack| {
                let at = exec
                    .upper_lua_frame()
                    .map(|fr| format!("{}:{}", fr.chunk_name.to_str_lossy(), fr.current_line))
                    .unwrap_or_else(|| "?".into());
                if stack.get(0).to_bool() {
                    *p.borrow_mut() += 1;
                    *lp.borrow_mut() = at;
                } else {
                    f.borrow_mut().push(at);
                }
                Ok(CallbackReturn::Return)
            });
            ctx.set_global("assert", soft_assert).unwrap();
        });
    }
    let name = std::path::Path::new(path)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let start = Instant::now();
    if let Err(e) = rt.load(&source, &name) {
        println!("LOAD ERROR: {e}");
        std::process::exit(1);
    }
    let result = rt.run_to_end(|| false);
    let warnings = rt.host().warnings.take();
    eprint!("{}", String::from_utf8_lossy(&warnings));
    let elapsed = start.elapsed();
    let counts = if soft {
        let f = failed.borrow();
        let mut by_line: Vec<(String, usize)> = Vec::new();
        for at in f.iter() {
            match by_line.iter_mut().find(|(l, _)| l == at) {
                Some((_, n)) => *n += 1,
                None => by_line.push((at.clone(), 1)),
            }
        }
        let lines: Vec<String> = by_line.iter().map(|(l, n)| format!("{l}x{n}")).collect();
        format!(
            " asserts passed={} (last {}) failed={} [{}]",
            passed.borrow(),
            last_pass.borrow(),
            f.len(),
            lines.join(" ")
        )
    } else {
        String::new()
    };
    match result {
        StepResult::Finished(_) => println!("OK ({elapsed:?}){counts}"),
        StepResult::Error(e) => {
            println!("ERROR: {e} ({elapsed:?}){counts}");
            std::process::exit(1);
        }
        other => println!("{other:?}"),
    }
}
