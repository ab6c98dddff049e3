//! `table.sort` of 100k numbers with and without a Lua comparator, in
//! luahome and (when `lua5.4` is on the PATH) in reference Lua, with the
//! ratio. Run: `cargo run --release -p luahome-vm-ext --example bench_table`.
//! Timings are printed, never asserted.

use std::{collections::HashMap, process::Command, rc::Rc, time::Instant};

use vm_ext::{host::Host, Runtime, StepResult};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/lua/sort.lua");

fn parse(out: &str) -> HashMap<String, f64> {
    out.lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            Some((it.next()?.to_string(), it.next()?.parse().ok()?))
        })
        .collect()
}

fn main() {
    let source = std::fs::read(SCRIPT).expect("benches/lua/sort.lua");
    let start = Instant::now();
    let host = Host {
        cpu_clock: Some(Rc::new(move || start.elapsed().as_secs_f64())),
        ..Host::default()
    };
    let mut rt = Runtime::with_host(Default::default(), host);
    rt.load(&source, "sort.lua").expect("script compiles");
    let result = rt.run_to_end(|| false);
    let out = String::from_utf8_lossy(&rt.take_output()).into_owned();
    if !matches!(result, StepResult::Finished(_)) {
        eprintln!("luahome run failed: {result:?}");
        std::process::exit(1);
    }
    let ours = parse(&out);
    let reference = Command::new("lua5.4")
        .arg(SCRIPT)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| parse(&String::from_utf8_lossy(&o.stdout)));
    println!(
        "{:<18} {:>12} {:>12} {:>8}",
        "benchmark", "luahome s", "lua5.4 s", "ratio"
    );
    for name in ["sort_default", "sort_comparator"] {
        let a = ours.get(name).copied().unwrap_or(f64::NAN);
        match reference.as_ref().and_then(|r| r.get(name).copied()) {
            Some(b) => println!("{name:<18} {a:>12.4} {b:>12.4} {:>7.2}x", a / b),
            None => println!("{name:<18} {a:>12.4} {:>12} {:>8}", "-", "-"),
        }
    }
}
