//! Times a few small Lua programs on both cores (piccolo's and the
//! project's) in one run, and on `lua5.4` when it is installed; prints
//! seconds and ratios, asserts nothing. The machine is shared and noisy:
//! compare ratios from one run, best of `--repeat N` (default 3).
//!
//! `cargo run --release -p luahome-vm-ext --example engines_bench [-- --repeat 5] [filter]`

use std::{process::Command, time::Instant};

use vm_ext::{engine::Engine, Runtime, RuntimeOptions, StepResult};

const BENCHES: &[(&str, &str)] = &[
    (
        "fib",
        "local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end
         assert(fib(27) == 196418)",
    ),
    (
        "loops",
        "local s = 0
         for i = 1, 3000000 do s = s + i % 7 * 2 end
         local f = 0.0
         for i = 1, 1000000 do f = f + i / 3 end
         assert(s > 0 and f > 0)",
    ),
    (
        "methods",
        "local P = {} P.__index = P
         function P.new(x, y) return setmetatable({x = x, y = y}, P) end
         function P:add(o) return P.new(self.x + o.x, self.y + o.y) end
         function P:len2() return self.x * self.x + self.y * self.y end
         local acc = P.new(0, 0)
         for i = 1, 300000 do acc = acc:add(P.new(1, 2)) end
         assert(acc:len2() == 300000^2 * 5)",
    ),
    (
        "closures",
        "local function counter() local n = 0 return function() n = n + 1 return n end end
         local total = 0
         for i = 1, 100000 do local c = counter() c() total = total + c() end
         assert(total == 200000)",
    ),
    (
        "tables",
        "local t = {}
         for i = 1, 200000 do t[i] = (i * 7919) % 1000 end
         table.sort(t)
         local m = {}
         for i = 1, #t do local k = 'k' .. (t[i] % 100) m[k] = (m[k] or 0) + 1 end
         local n = 0 for _, v in pairs(m) do n = n + v end
         assert(n == 200000)",
    ),
    (
        "strings",
        "local parts = {}
         for i = 1, 100000 do parts[#parts + 1] = tostring(i) .. ',' end
         local s = table.concat(parts)
         local c = 0 for _ in string.gmatch(s, '%d+') do c = c + 1 end
         assert(c == 100000 and #s > 0)",
    ),
];

fn run_engine(engine: Engine, src: &str) -> f64 {
    let mut rt = Runtime::new(RuntimeOptions {
        engine,
        ..Default::default()
    });
    let t = Instant::now();
    rt.load(src.as_bytes(), "bench").expect("compiles");
    loop {
        match rt.step(1_000_000) {
            StepResult::Running => {}
            StepResult::Finished(_) => break,
            other => panic!("{engine}: {other:?}"),
        }
    }
    t.elapsed().as_secs_f64()
}

fn run_lua54(src: &str) -> Option<f64> {
    let path = std::env::temp_dir().join(format!("engines_bench_{}.lua", std::process::id()));
    std::fs::write(&path, src).ok()?;
    let t = Instant::now();
    let ok = Command::new("lua5.4").arg(&path).status().ok()?.success();
    let _ = std::fs::remove_file(&path);
    ok.then(|| t.elapsed().as_secs_f64())
}

fn best(n: usize, mut f: impl FnMut() -> Option<f64>) -> Option<f64> {
    (0..n).filter_map(|_| f()).reduce(f64::min)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let repeat = args
        .iter()
        .position(|a| a == "--repeat")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let filter = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--repeat"))
        .map(|(_, a)| a.clone());
    println!(
        "{:<10} {:>10} {:>10} {:>10} {:>14} {:>14}",
        "bench", "piccolo s", "luahome s", "lua5.4 s", "luahome/picc", "luahome/lua5.4"
    );
    let (mut prod_p, mut prod_l, mut n) = (1.0f64, 1.0f64, 0);
    for (name, src) in BENCHES {
        if filter.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        let p = best(repeat, || Some(run_engine(Engine::Piccolo, src))).unwrap_or(f64::NAN);
        let l = best(repeat, || Some(run_engine(Engine::Luahome, src))).unwrap_or(f64::NAN);
        let r = best(repeat, || run_lua54(src));
        let rl = r.map_or(f64::NAN, |r| l / r);
        println!(
            "{name:<10} {p:>10.3} {l:>10.3} {:>10} {:>14.2} {:>14}",
            r.map_or("-".to_string(), |r| format!("{r:.3}")),
            l / p,
            if rl.is_nan() {
                "-".to_string()
            } else {
                format!("{rl:.2}")
            }
        );
        prod_p *= l / p;
        if !rl.is_nan() {
            prod_l *= rl;
        }
        n += 1;
    }
    if n > 0 {
        println!(
            "geometric mean: luahome/piccolo {:.2}, luahome/lua5.4 {:.2}",
            prod_p.powf(1.0 / n as f64),
            prod_l.powf(1.0 / n as f64)
        );
    }
}
