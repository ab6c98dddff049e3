//! Times the string-library benchmark scripts in `benches/lua/string_*.lua`
//! in the luahome runtime and, when `lua5.4` is on the PATH, in reference Lua
//! for a ratio. Printed, never asserted.
//!
//! `cargo run --release -p luahome-vm-ext --example bench_string`

use std::{
    fs,
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use vm_ext::{Runtime, StepResult};

fn run_runtime(source: &[u8], name: &str) -> Result<Duration, String> {
    let mut rt = Runtime::new(Default::default());
    let start = Instant::now();
    rt.load(source, name).map_err(|e| format!("{e:?}"))?;
    loop {
        match rt.step(100_000) {
            StepResult::Running => continue,
            StepResult::Finished(_) => return Ok(start.elapsed()),
            other => return Err(format!("{other:?}")),
        }
    }
}

fn run_reference(path: &Path) -> Option<Duration> {
    let start = Instant::now();
    let status = Command::new("lua5.4").arg(path).status().ok()?;
    status.success().then(|| start.elapsed())
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/lua");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("string_") && n.ends_with(".lua"))
    });
    files.sort();
    for path in files {
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let Ok(source) = fs::read(&path) else {
            println!("{name}: cannot read");
            continue;
        };
        match run_runtime(&source, &name) {
            Ok(ours) => {
                let ms = ours.as_secs_f64() * 1e3;
                match run_reference(&path) {
                    Some(reference) => {
                        let rms = reference.as_secs_f64() * 1e3;
                        println!(
                            "{name}: luahome {ms:.1} ms, lua5.4 {rms:.1} ms, ratio {:.2}x",
                            ms / rms
                        );
                    }
                    None => println!("{name}: luahome {ms:.1} ms (lua5.4 not available)"),
                }
            }
            Err(e) => println!("{name}: failed: {e}"),
        }
    }
}
