//! Runs a Lua file with the luahome runtime and the native host:
//! `cargo run -p luahome-vm-ext --example run_lua -- file.lua`.
//! With `--count-asserts`, `assert` is wrapped to count passing calls.

use std::time::Instant;

use vm_ext::{host::Host, Runtime, StepResult};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count = args.iter().any(|a| a == "--count-asserts");
    let Some(path) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: run_lua [--count-asserts] FILE.lua");
        std::process::exit(2);
    };
    let source = std::fs::read(path).expect("cannot read file");
    let mut rt = Runtime::with_host(Default::default(), Host::native());
    rt.set_output(|b| {
        use std::io::Write;
        let _ = std::io::stdout().write_all(b);
    });
    let prelude: &[u8] = b"local __a = assert; __ASSERTS = 0; assert = function(...) __ASSERTS = __ASSERTS + 1; return __a(...) end\n";
    let name = std::path::Path::new(path)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let start = Instant::now();
    if count {
        rt.load(prelude, "prelude").unwrap();
        let _ = rt.run_to_end(|| false);
    }
    if let Err(e) = rt.load(&source, &name) {
        println!("LOAD ERROR: {e}");
        std::process::exit(1);
    }
    let result = rt.run_to_end(|| false);
    let warnings = rt.host().warnings.take();
    eprint!("{}", String::from_utf8_lossy(&warnings));
    let elapsed = start.elapsed();
    let asserts = if count {
        rt.load(b"return __ASSERTS", "count").unwrap();
        match rt.run_to_end(|| false) {
            StepResult::Finished(v) => v.first().map(|v| v.display()).unwrap_or_default(),
            _ => "?".into(),
        }
    } else {
        String::new()
    };
    match result {
        StepResult::Finished(_) => println!("OK ({elapsed:?}) asserts={asserts}"),
        StepResult::Error(e) => {
            println!("ERROR: {e} ({elapsed:?}) asserts={asserts}");
            std::process::exit(1);
        }
        other => println!("{other:?}"),
    }
}
