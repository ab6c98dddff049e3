//! Command-line handling for `luahome-conformance` (`run`, `compare`).
//!
//! Exit codes: 0 success; 1 the run did not conform to its config (a file
//! failed that is not listed, or a known failure now passes); 2 bad usage or
//! unreadable input.

use std::{fs, io::Write, path::Path};

use vm_ext::engine::Engine;

use crate::{
    compare::compare,
    config::{rewrite_known_failures, Config, Entry, SuiteSection},
    report::{Report, Status, SuiteInfo},
    runner::{resolve_suite_dir, run_suite, RunOptions},
};

/// The usage text.
pub const USAGE: &str = "\
usage:
  luahome-conformance run [SUITE_DIR] [--config FILE] [--json OUT] [--filter PATTERN]
                          [--jobs N] [--fuel N] [--engine piccolo|luahome]
                          [--write-known-failures]
  luahome-conformance compare OLD.json NEW.json [--markdown]
  luahome-conformance libs [--lua PROGRAM] [--luahome EXE] [--engines LIST]
                           [--suite NAME] [--time-s N] [--write-expected]

run: runs each *.lua file of SUITE_DIR (not all.lua) in a fresh runtime. Without
SUITE_DIR, the config's `dir` (relative to the config) or `env` variable names it.
--write-known-failures rewrites the config's [[known_failure]] list from this run.

libs: runs the library suites of conformance/libs/ under PUC Lua (--lua, default
lua5.4) and the luahome CLI (--luahome, default target/release/luahome) with each
engine of --engines (default luahome,piccolo; '' for PUC only), prints a table,
and checks PUC and the luahome core against conformance/libs/expected.txt
(exit 1 on a mismatch).
--write-expected rewrites expected.txt from PUC's results (keeping known
differences).";

/// Runs the command line `args` (without the program name), writing to
/// `out` and `err`; returns the process exit code.
pub fn main(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match args.first().map(String::as_str) {
        Some("run") => run(&args[1..], out, err),
        Some("compare") => compare_cmd(&args[1..], out, err),
        Some("libs") => libs_cmd(&args[1..], out, err),
        Some("-h" | "--help" | "help") => {
            let _ = writeln!(out, "{USAGE}");
            0
        }
        _ => usage(err, "expected a command"),
    }
}

fn usage(err: &mut dyn Write, msg: &str) -> i32 {
    let _ = writeln!(err, "luahome-conformance: {msg}\n{USAGE}");
    2
}

fn fail(err: &mut dyn Write, msg: impl std::fmt::Display) -> i32 {
    let _ = writeln!(err, "luahome-conformance: {msg}");
    2
}

#[derive(Default)]
struct RunArgs {
    dir: Option<String>,
    json: Option<String>,
    filter: Option<String>,
    jobs: Option<usize>,
    config: Option<String>,
    fuel: Option<u64>,
    engine: Engine,
    write_known: bool,
}

fn parse_run(args: &[String]) -> Result<RunArgs, String> {
    let mut a = RunArgs::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--json" => a.json = Some(value("--json")?),
            "--filter" => a.filter = Some(value("--filter")?),
            "--config" => a.config = Some(value("--config")?),
            "--jobs" | "-j" => {
                let v = value("--jobs")?;
                a.jobs = Some(
                    v.parse()
                        .map_err(|_| format!("--jobs: not a number: {v}"))?,
                );
            }
            "--fuel" => {
                let v = value("--fuel")?;
                a.fuel = Some(
                    v.replace('_', "")
                        .parse()
                        .map_err(|_| format!("--fuel: not a number: {v}"))?,
                );
            }
            "--engine" => {
                let v = value("--engine")?;
                a.engine = v.parse().map_err(|e| format!("--engine: {e}"))?;
            }
            "--write-known-failures" => a.write_known = true,
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            s if a.dir.is_none() => a.dir = Some(s.to_string()),
            s => return Err(format!("unexpected argument {s}")),
        }
    }
    Ok(a)
}

fn run(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let a = match parse_run(args) {
        Ok(a) => a,
        Err(m) => return usage(err, &m),
    };
    let mut config = match &a.config {
        Some(path) => match Config::load(Path::new(path)) {
            Ok(c) => c,
            Err(e) => return fail(err, e),
        },
        None => Config::default(),
    };
    let Some(dir) = resolve_suite_dir(a.dir.as_deref(), &config) else {
        let hint = match &config.suite.env {
            Some(var) => format!(" or set ${var}"),
            None => String::new(),
        };
        return usage(err, &format!("no suite folder: give SUITE_DIR{hint}"));
    };
    if !dir.is_dir() {
        return fail(
            err,
            format!("suite folder {} does not exist", dir.display()),
        );
    }
    if config.suite.name.is_empty() {
        let name = dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "suite".into());
        config.suite = SuiteSection {
            name,
            version: "unknown".into(),
            ..SuiteSection::default()
        };
    }
    if let Some(fuel) = a.fuel {
        config.limits.fuel = fuel;
    }
    let jobs = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let options = RunOptions {
        limits: config.limits,
        filter: a.filter.clone(),
        jobs,
        engine: a.engine,
    };
    let files = match run_suite(&dir, &config, &options) {
        Ok(f) => f,
        Err(e) => return fail(err, format!("{}: {e}", dir.display())),
    };
    if a.filter.is_none() {
        for e in config.skip.iter().chain(&config.known_failure) {
            if !files.iter().any(|f| f.name == e.file) {
                let _ = writeln!(
                    err,
                    "warning: {} is listed in the config but not in the suite",
                    e.file
                );
            }
        }
    }
    let mut report = Report::new(
        SuiteInfo {
            name: config.suite.name.clone(),
            version: config.suite.version.clone(),
        },
        files,
    );
    report.engine = crate::report::engine_label(a.engine).to_string();
    let engine = a.engine.name();
    let _ = writeln!(out, "engine: {}", report.engine);
    if let Some(path) = &a.json {
        if let Err(e) = fs::write(path, report.to_json() + "\n") {
            return fail(err, format!("{path}: {e}"));
        }
    }
    let config_name = a.config.as_deref().unwrap_or("the config");
    let _ = write!(
        out,
        "{}",
        report.table(|f| if config.known_failure(&f.name, engine).is_some() {
            "known"
        } else {
            ""
        })
    );
    let _ = writeln!(out, "(* = known failure listed in {config_name})");

    let mut unexpected = Vec::new();
    let mut stale = Vec::new();
    for f in &report.files {
        match (f.status, config.known_failure(&f.name, engine)) {
            (Status::Pass, Some(_)) => stale.push(f.name.clone()),
            (s, None) if s.is_failure() => unexpected.push(f),
            _ => {}
        }
    }

    if a.write_known {
        let Some(path) = &a.config else {
            return usage(err, "--write-known-failures needs --config");
        };
        let mut entries: Vec<Entry> = Vec::new();
        for known in &config.known_failure {
            // Keep entries of other engines, and for files this run did not
            // look at (--filter).
            let other_engine = known.engine.as_deref().is_some_and(|e| e != engine);
            if other_engine || !report.files.iter().any(|f| f.name == known.file) {
                entries.push(known.clone());
            }
        }
        for f in report.files.iter().filter(|f| f.status.is_failure()) {
            let reason = match config.known_failure(&f.name, engine) {
                Some(r) => r.to_string(),
                None => {
                    let mut e = f.error.clone().unwrap_or_default().replace('\n', " ");
                    if e.chars().count() > 160 {
                        e = e.chars().take(157).collect::<String>() + "...";
                    }
                    match f.line {
                        Some(line) => format!("{} at line {line}: {e}", f.status),
                        None => format!("{}: {e}", f.status),
                    }
                }
            };
            entries.push(Entry {
                file: f.name.clone(),
                reason,
                engine: Some(engine.to_string()),
            });
        }
        entries.sort_by(|x, y| (&x.file, &x.engine).cmp(&(&y.file, &y.engine)));
        let text = match fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => return fail(err, format!("{path}: {e}")),
        };
        if let Err(e) = fs::write(path, rewrite_known_failures(&text, &entries)) {
            return fail(err, format!("{path}: {e}"));
        }
        let _ = writeln!(out, "wrote {} known failures to {path}", entries.len());
        let _ = writeln!(out, "conformance: {} passed, 0 failed", report.totals.pass);
        return 0;
    }

    for f in &unexpected {
        let _ = writeln!(
            out,
            "FAILED {} ({}): {}",
            f.name,
            f.status,
            f.error.as_deref().unwrap_or("")
        );
    }
    for name in &stale {
        let _ = writeln!(
            out,
            "NOW PASSING {name}: it is listed as a known failure; remove its entry from {config_name}"
        );
    }
    let failed = unexpected.len() + stale.len();
    let _ = writeln!(
        out,
        "conformance: {} passed, {failed} failed",
        report.totals.pass
    );
    i32::from(failed > 0)
}

fn read_report(path: &str) -> Result<Report, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{path}: not a conformance report: {e}"))
}

fn compare_cmd(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let mut markdown = false;
    let mut paths = Vec::new();
    for a in args {
        match a.as_str() {
            "--markdown" | "--md" => markdown = true,
            s if s.starts_with('-') => return usage(err, &format!("unknown option {s}")),
            s => paths.push(s),
        }
    }
    let [old, new] = paths[..] else {
        return usage(err, "compare needs OLD.json and NEW.json");
    };
    let (old, new) = match (read_report(old), read_report(new)) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(e), _) | (_, Err(e)) => return fail(err, e),
    };
    let _ = write!(out, "{}", compare(&old, &new).render(&old, &new, markdown));
    0
}

fn libs_cmd(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    use crate::libs;
    let mut lua = "lua5.4".to_string();
    let mut exe = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/luahome");
    let mut engines = vec!["luahome".to_string(), "piccolo".to_string()];
    let mut only: Option<String> = None;
    let mut limit = 120u64;
    let mut write_expected = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned();
        match a.as_str() {
            "--lua" | "--luahome" | "--engines" | "--suite" | "--time-s" => {
                let Some(v) = value() else {
                    return usage(err, &format!("{a} needs a value"));
                };
                match a.as_str() {
                    "--lua" => lua = v,
                    "--luahome" => exe = v.into(),
                    "--engines" => {
                        engines = v
                            .split(',')
                            .filter(|e| !e.is_empty())
                            .map(str::to_string)
                            .collect()
                    }
                    "--suite" => only = Some(v),
                    _ => match v.parse() {
                        Ok(n) => limit = n,
                        Err(_) => return usage(err, &format!("--time-s: not a number: {v}")),
                    },
                }
            }
            "--write-expected" => write_expected = true,
            s => return usage(err, &format!("unexpected argument {s}")),
        }
    }
    if !engines.is_empty() && !exe.is_file() {
        return fail(
            err,
            format!(
                "{} not found (cargo build --release --bin luahome, or pass --luahome)",
                exe.display()
            ),
        );
    }
    let dir = libs::default_libs_dir();
    let expected_path = dir.join("expected.txt");
    let expected = match fs::read_to_string(&expected_path) {
        Ok(t) => match libs::parse_expected(&t) {
            Ok(e) => e,
            Err(e) => return fail(err, e),
        },
        Err(_) if write_expected => libs::Expected::new(),
        Err(e) => return fail(err, format!("{}: {e}", expected_path.display())),
    };
    let puc_version = std::process::Command::new(&lua)
        .arg("-v")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let puc_version = match puc_version {
        Ok(v) => v,
        Err(e) => return fail(err, format!("cannot run {lua}: {e}")),
    };
    let mut interps = vec![libs::Interpreter::puc(&lua)];
    interps.extend(engines.iter().map(|e| libs::Interpreter::luahome(&exe, e)));
    let limit = std::time::Duration::from_secs(limit);
    let mut rows = Vec::new();
    for suite in libs::SUITES {
        if only.as_deref().is_some_and(|o| o != suite.name) {
            continue;
        }
        let mut runs = Vec::new();
        for interp in &interps {
            match libs::run_suite(&dir, suite, interp, limit) {
                Ok(r) => runs.push(r),
                Err(e) => {
                    return fail(
                        err,
                        format!("{}: cannot run {}: {e}", suite.name, interp.command[0]),
                    )
                }
            }
        }
        rows.push((suite, runs));
    }
    let _ = writeln!(out, "{}\n", puc_version);
    let _ = write!(out, "{}", libs::format_table(&interps, &rows));
    let mut problems = Vec::new();
    for (suite, runs) in &rows {
        if !write_expected {
            // expected.txt must hold PUC's results as they are today.
            let exp = expected.get(suite.name).map_or(&[][..], Vec::as_slice);
            let mut stale: Vec<String> = exp
                .iter()
                .filter(|t| runs[0].verdict(&t.name) != t.puc)
                .map(|t| t.name.clone())
                .collect();
            stale.extend(
                runs[0]
                    .tests
                    .iter()
                    .filter(|(n, _)| !exp.iter().any(|t| &t.name == n))
                    .map(|(n, _)| n.clone()),
            );
            for n in stale {
                problems.push(format!(
                    "{}: {n:?}: PUC's result differs from expected.txt (regenerate it with --write-expected)",
                    suite.name
                ));
            }
        }
        for (interp, run) in interps.iter().zip(runs).skip(1) {
            let diffs: Vec<_> = runs[0]
                .tests
                .iter()
                .filter(|(n, v)| run.verdict(n) != *v)
                .collect();
            if run.timed_out || !diffs.is_empty() {
                let _ = writeln!(
                    out,
                    "\n{} on {}: {} differences from PUC{}",
                    suite.name,
                    interp.label,
                    diffs.len(),
                    if run.timed_out { " (timed out)" } else { "" }
                );
                for (n, v) in diffs
                    .iter()
                    .take(if interp.label == "luahome" { 50 } else { 5 })
                {
                    let _ = writeln!(out, "  {n}: PUC {v:?}, here {:?}", run.verdict(n));
                }
                if !run.stderr.trim().is_empty() {
                    let _ = writeln!(out, "  stderr: {}", run.stderr.trim());
                }
            }
            if interp.label == "luahome" && !write_expected {
                if let Some(exp) = expected.get(suite.name) {
                    problems.extend(libs::check_run(suite.name, exp, run));
                }
            }
        }
    }
    if write_expected {
        let puc_runs: Vec<_> = rows.iter().map(|(s, r)| (*s, &r[0])).collect();
        let text = libs::format_expected(&puc_version, &puc_runs, &expected);
        if let Err(e) = fs::write(&expected_path, text) {
            return fail(err, format!("{}: {e}", expected_path.display()));
        }
        let _ = writeln!(out, "\nwrote {}", expected_path.display());
        return 0;
    }
    if problems.is_empty() {
        let what = if engines.iter().any(|e| e == "luahome") {
            "PUC and the luahome core"
        } else {
            "PUC"
        };
        let _ = writeln!(out, "\nlibs: {what} as expected.txt records");
        0
    } else {
        let _ = writeln!(out, "\nagainst expected.txt:");
        for p in &problems {
            let _ = writeln!(out, "  {p}");
        }
        1
    }
}
