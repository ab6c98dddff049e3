//! The bench suite's smoke test: every benchmark in `bench/suite.json` runs
//! at its tiny `smoke` size on the `luahome` binary, on each Lua core, and must print the output
//! PUC Lua 5.4.8 printed (`expect`). Where `lua5.4` is installed, the recorded
//! output is checked against it too, so a recording never encodes a bug.
//! (Speed is measured by scripts/bench.sh, never asserted here.)

use std::{path::PathBuf, process::Command};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Bench {
    name: String,
    smoke: String,
    expect: String,
    home: bool,
}

fn suite() -> Vec<Bench> {
    let text =
        std::fs::read_to_string(root().join("bench/suite.json")).expect("read bench/suite.json");
    let json: serde_json::Value = serde_json::from_str(&text).expect("bench/suite.json is JSON");
    json["benchmarks"]
        .as_array()
        .expect("a benchmarks array")
        .iter()
        .map(|b| Bench {
            name: b["name"].as_str().expect("name").to_string(),
            smoke: b["smoke"].as_u64().expect("smoke size").to_string(),
            expect: b["expect"].as_str().expect("expect").to_string() + "\n",
            home: b["home"].as_bool().unwrap_or(false),
        })
        .collect()
}

fn run(cmd: &str, pre: &[&str], b: &Bench) -> Option<String> {
    let file = root().join(format!("bench/{}.lua", b.name));
    let out = Command::new(cmd)
        .args(pre)
        .arg(&file)
        .arg(&b.smoke)
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "{cmd} {}: exit {:?}\n{}",
        b.name,
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn every_benchmark_prints_the_reference_checksum() {
    let benches = suite();
    assert!(
        benches.len() >= 19,
        "the suite lists {} benchmarks",
        benches.len()
    );
    for core in ["piccolo", "luahome"] {
        for b in &benches {
            let got =
                run(env!("CARGO_BIN_EXE_luahome"), &["--engine", core], b).expect("run luahome");
            assert_eq!(
                got, b.expect,
                "luahome --engine {core}: bench/{}.lua {}",
                b.name, b.smoke
            );
        }
    }
}

#[test]
fn recorded_checksums_match_reference_lua() {
    for b in &suite() {
        let pre: &[&str] = if b.home { &["-e", "_home = {}"] } else { &[] };
        let Some(got) = run("lua5.4", pre, b) else {
            eprintln!("lua5.4 not installed: recorded checksums not re-checked");
            return;
        };
        assert_eq!(
            got, b.expect,
            "lua5.4's output for bench/{}.lua {}",
            b.name, b.smoke
        );
    }
}
