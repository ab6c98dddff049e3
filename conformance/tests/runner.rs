//! Tests of the conformance runner: statuses and assert counts on a tiny
//! fixture suite, the JSON schema, `compare`, the known-failure rules, and
//! the project's own corpus against `cases.toml`.

use std::path::{Path, PathBuf};

use conformance::{
    cli,
    compare::compare,
    config::Config,
    report::{Report, Status, SuiteInfo},
    runner::{run_suite, RunOptions},
};

fn here(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn run_cli(args: &[&str]) -> (i32, String, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cli::main(&args, &mut out, &mut err);
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

/// A config file in a fresh temporary folder whose suite is the fixture suite.
fn temp_config(name: &str, body: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("luahome-conformance-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let suite = here("tests/fixtures/suite");
    let text = format!(
        "[suite]\nname = \"t\"\nversion = \"1\"\ndir = {:?}\n\n[limits]\nfuel = 2_000_000\nmemory_mb = 64\ntime_s = 20\n\n{body}",
        suite.to_str().unwrap()
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn fixture_statuses_and_assert_counts() {
    let config = Config::load(&here("tests/fixtures/suite.toml")).unwrap();
    let options = RunOptions {
        limits: config.limits,
        filter: None,
        jobs: 2,
        engine: Default::default(),
    };
    let files = run_suite(&config.suite_dir().unwrap(), &config, &options).unwrap();
    let got: Vec<(&str, Status, u64)> = files
        .iter()
        .map(|f| (f.name.as_str(), f.status, f.asserts))
        .collect();
    assert_eq!(
        got,
        vec![
            ("fail.lua", Status::Fail, 2),
            ("loop.lua", Status::Timeout, 1),
            ("messages.lua", Status::Pass, 5),
            ("pass.lua", Status::Pass, 3),
            ("skipped.lua", Status::Skip, 0),
            ("syntax.lua", Status::Fail, 0),
        ],
        "all.lua must not run; skipped.lua must not run"
    );
    let fail = &files[0];
    assert_eq!(fail.line, Some(4), "the failing assert's line");
    assert!(
        fail.error.as_deref().unwrap().ends_with("boom"),
        "{:?}",
        fail.error
    );
    let syntax = &files[5];
    assert_eq!(syntax.line, Some(2));
    assert!(syntax
        .error
        .as_deref()
        .unwrap()
        .starts_with("syntax.lua:2:"));
    assert_eq!(
        files[4].error.as_deref(),
        Some("checks that skipping works")
    );
}

#[test]
fn panic_is_caught_and_the_run_goes_on() {
    let dir = here("tests/fixtures/panic");
    // The fixture panics piccolo's core (the project's core does not).
    let options = RunOptions {
        limits: conformance::Limits::default(),
        filter: None,
        jobs: 1,
        engine: vm_ext::engine::Engine::Piccolo,
    };
    let files = run_suite(&dir, &Config::default(), &options).unwrap();
    assert_eq!(files.len(), 2);
    // If the engine stops panicking here, pick another input that panics.
    assert_eq!(files[0].status, Status::Panic, "{:?}", files[0]);
    assert_eq!(files[0].asserts, 1);
    assert!(files[0]
        .error
        .as_deref()
        .unwrap()
        .contains("internal VM error"));
    assert_eq!((files[1].status, files[1].asserts), (Status::Pass, 2));
}

#[test]
fn filter_selects_files() {
    let config = Config::load(&here("tests/fixtures/suite.toml")).unwrap();
    let options = RunOptions {
        limits: config.limits,
        filter: Some("pass".into()),
        jobs: 1,
        engine: Default::default(),
    };
    let files = run_suite(&config.suite_dir().unwrap(), &config, &options).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].name, "pass.lua");
}

#[test]
fn json_schema_has_stable_fields() {
    let out = std::env::temp_dir().join(format!(
        "luahome-conformance-{}-schema.json",
        std::process::id()
    ));
    let (code, stdout, _) = run_cli(&[
        "run",
        "--config",
        here("tests/fixtures/suite.toml").to_str().unwrap(),
        "--json",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&v), ["date", "engine", "files", "suite", "totals"]);
    assert_eq!(keys(&v["suite"]), ["name", "version"]);
    assert_eq!(v["suite"]["name"], "fixtures");
    assert_eq!(v["engine"], "luahome");
    let date = v["date"].as_str().unwrap();
    assert!(
        date.len() == 20 && date.ends_with('Z') && &date[10..11] == "T",
        "{date}"
    );
    for f in v["files"].as_array().unwrap() {
        assert_eq!(
            keys(f),
            ["asserts", "error", "line", "ms", "name", "status"]
        );
    }
    assert_eq!(
        keys(&v["totals"]),
        ["asserts", "fail", "files", "panic", "pass", "skip", "timeout"]
    );
    assert_eq!(v["totals"]["files"], 6);
    assert_eq!(v["totals"]["pass"], 2);
    assert_eq!(v["totals"]["fail"], 2);
    assert_eq!(v["totals"]["timeout"], 1);
    assert_eq!(v["totals"]["skip"], 1);
    assert_eq!(v["totals"]["asserts"], 11);
    assert_eq!(v["files"][2]["status"], "pass");
    // The report reads back.
    let report: Report = serde_json::from_value(v).unwrap();
    assert_eq!(report.files.len(), 6);
    // Human output ends with the summary line.
    assert!(
        stdout
            .lines()
            .any(|l| l == "conformance: 2 passed, 0 failed"),
        "{stdout}"
    );
}

#[test]
fn compare_lists_changes() {
    let old = here("tests/fixtures/old.json");
    let new = here("tests/fixtures/new.json");
    let (code, out, err) = run_cli(&["compare", old.to_str().unwrap(), new.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let expected = "\
pass 2 -> 2, fail 3 -> 3, timeout 1 -> 0, panic 0 -> 1, skip 0 -> 0, asserts 30 -> 41
Fixed (1):
  a.lua: fail -> pass, asserts 3 -> 9 (+6)
Broken (1):
  b.lua: pass -> fail, asserts 10 -> 6 (-4)
Newly panicking (1):
  c.lua: fail -> panic, asserts 4 -> 4 (+0)
Other status changes (1):
  d.lua: timeout -> fail, asserts 7 -> 8 (+1)
Assert count changes (1):
  e.lua: fail -> fail, asserts 5 -> 12 (+7)
Added files (1):
  new.lua: - -> pass, asserts 0 -> 2 (+2)
Removed files (1):
  gone.lua: pass -> -, asserts 1 -> 0 (-1)
";
    assert_eq!(out, expected);
    let (code, md, _) = run_cli(&[
        "compare",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--markdown",
    ]);
    assert_eq!(code, 0);
    assert!(md.contains("### Fixed (1)\n\n| file | old | new | asserts |\n|---|---|---|---|\n| `a.lua` | fail | pass | 3 -> 9 (+6) |"), "{md}");
    assert!(md.contains("### Newly panicking (1)"));
    // Comparing a report with itself shows nothing.
    let r = Report::new(
        SuiteInfo {
            name: "x".into(),
            version: "1".into(),
        },
        vec![],
    );
    assert!(compare(&r, &r).is_empty());
    // Bad input is a clear error, not a panic.
    let (code, _, err) = run_cli(&["compare", old.to_str().unwrap(), "/nonexistent/new.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/new.json"), "{err}");
}

#[test]
fn known_failure_that_passes_fails_the_run() {
    let known = "[[known_failure]]\nfile = \"fail.lua\"\nreason = \"r\"\n\n\
                 [[known_failure]]\nfile = \"loop.lua\"\nreason = \"r\"\n\n\
                 [[known_failure]]\nfile = \"syntax.lua\"\nreason = \"r\"\n\n\
                 [[known_failure]]\nfile = \"skipped.lua\"\nreason = \"r\"\n";
    let stale =
        format!("{known}\n[[known_failure]]\nfile = \"pass.lua\"\nreason = \"was broken\"\n");
    let config = temp_config("stale", &stale);
    let (code, out, _) = run_cli(&["run", "--config", config.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("NOW PASSING pass.lua"), "{out}");
    assert!(out.contains("remove its entry"), "{out}");
    assert!(
        out.lines().any(|l| l == "conformance: 2 passed, 1 failed"),
        "{out}"
    );
    // Once the entry is removed the run succeeds.
    let config = temp_config("stale", known);
    let (code, out, _) = run_cli(&["run", "--config", config.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn unlisted_failure_fails_the_run_and_write_known_failures_fixes_it() {
    let config = temp_config(
        "unlisted",
        "[[skip]]\nfile = \"skipped.lua\"\nreason = \"r\"\n",
    );
    let (code, out, _) = run_cli(&["run", "--config", config.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAILED fail.lua (fail)"), "{out}");
    assert!(out.contains("FAILED loop.lua (timeout)"), "{out}");
    assert!(
        out.lines().any(|l| l == "conformance: 2 passed, 3 failed"),
        "{out}"
    );
    let (code, out, _) = run_cli(&[
        "run",
        "--config",
        config.to_str().unwrap(),
        "--write-known-failures",
    ]);
    assert_eq!(code, 0, "{out}");
    let c = Config::load(&config).unwrap();
    let files: Vec<&str> = c.known_failure.iter().map(|e| e.file.as_str()).collect();
    assert_eq!(files, ["fail.lua", "loop.lua", "syntax.lua"]);
    assert_eq!(c.known_failure[0].reason, "fail at line 4: fail.lua: boom");
    let (code, out, _) = run_cli(&["run", "--config", config.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn bad_usage_is_a_clear_error() {
    let (code, _, err) = run_cli(&["run", "/nonexistent/suite"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/suite does not exist"), "{err}");
    let (code, _, err) = run_cli(&["run", "--jobs", "x", "."]);
    assert_eq!(code, 2);
    assert!(err.contains("--jobs"), "{err}");
    let (code, _, _) = run_cli(&["frobnicate"]);
    assert_eq!(code, 2);
    let (code, _, err) = run_cli(&["run", "--config", "/nonexistent.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent.toml"), "{err}");
}

/// The project's own corpus: every case passes or is a listed known failure.
#[test]
fn own_corpus_matches_cases_toml() {
    for engine in ["piccolo", "luahome"] {
        let config = here("cases.toml");
        let (code, out, err) = run_cli(&[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--jobs",
            "2",
            "--engine",
            engine,
        ]);
        assert_eq!(
            code, 0,
            "conformance/cases failed against cases.toml on {engine}:\n{out}\n{err}"
        );
    }
}

/// The official suite, when `LUA_TESTES_DIR` names it (see conformance/README.md).
#[test]
#[ignore = "slow: runs the official Lua 5.4.8 suite from $LUA_TESTES_DIR"]
fn official_suite_matches_its_config() {
    if std::env::var_os("LUA_TESTES_DIR").is_none() {
        eprintln!("LUA_TESTES_DIR is not set; skipping");
        return;
    }
    let config = here("lua-5.4.8.toml");
    let (code, out, err) = run_cli(&["run", "--config", config.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}\n{err}");
}

#[test]
fn native_entries_run_with_real_files_in_a_fresh_directory() {
    let dir = here("tests/fixtures/native");
    let native = Config::parse(
        "[suite]\nname = \"t\"\nversion = \"1\"\n[[native]]\nfile = \"realfiles.lua\"\nreason = \"needs files\"\n",
    )
    .unwrap();
    let options = RunOptions {
        limits: conformance::Limits::default(),
        filter: None,
        jobs: 1,
        engine: vm_ext::engine::Engine::Luahome,
    };
    let files = run_suite(&dir, &native, &options).unwrap();
    assert_eq!(
        (files[0].status, files[0].asserts),
        (Status::Pass, 13),
        "{:?}",
        files[0]
    );
    // Relative paths went to the temporary directory, which is gone.
    assert!(!Path::new("left-behind.txt").exists());
    let prefix = format!("luahome-conformance-run-{}-", std::process::id());
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .collect();
    assert!(left.is_empty(), "working directories left: {left:?}");
    // Without the entry the same file gets the sandbox: no file system.
    let files = run_suite(&dir, &Config::default(), &options).unwrap();
    assert_eq!(files[0].status, Status::Fail, "{:?}", files[0]);
    assert!(files[0]
        .error
        .as_deref()
        .unwrap()
        .contains("no file system"));
}
