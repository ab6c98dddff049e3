//! Real Lua libraries' own test suites (`conformance/libs/`): json.lua, lume,
//! inspect.lua, middleclass and serpent, each run as a process under an
//! interpreter (PUC `lua5.4`, or the `luahome` CLI with either engine), with
//! per-test results compared to PUC Lua's.
//!
//! Every suite prints one `ok NAME` / `FAIL NAME` line per test and a summary
//! `N passed, M failed`: the busted specs through `conformance/libs/busted.lua`
//! (the project's busted-compatible shim), the plain scripts through
//! `conformance/libs/script.lua`. PUC Lua's results are kept in
//! `conformance/libs/expected.txt` (written by `luahome-conformance libs
//! --write-expected`), so the cargo test `tests/libs.rs` of the root crate
//! needs no `lua5.4`. A test whose result on the luahome core is known to
//! differ carries that result and the reason in the same file.

use std::{
    collections::{BTreeMap, HashMap},
    fmt::Write as _,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

/// One library's test suite: where it runs and with which arguments.
#[derive(Debug, Clone, Copy)]
pub struct Suite {
    /// Short name, used in `expected.txt` and the table.
    pub name: &'static str,
    /// Working directory, relative to `conformance/libs/`.
    pub dir: &'static str,
    /// Interpreter arguments (options, then the script and its arguments).
    pub args: &'static [&'static str],
}

/// The suites, in table order.
pub const SUITES: &[Suite] = &[
    Suite {
        name: "json",
        dir: "json/test",
        args: &["../../script.lua", "test.lua"],
    },
    Suite {
        name: "lume",
        dir: "lume/test",
        args: &["../../script.lua", "test.lua"],
    },
    Suite {
        name: "inspect",
        dir: "inspect",
        args: &["../busted.lua", "spec/inspect_spec.lua"],
    },
    Suite {
        name: "middleclass",
        dir: "middleclass",
        args: &[
            "../busted.lua",
            "spec/class_spec.lua",
            "spec/classes_spec.lua",
            "spec/default_methods_spec.lua",
            "spec/instances_spec.lua",
            "spec/metamethods_spec.lua",
            "spec/mixins_spec.lua",
        ],
    },
    Suite {
        name: "serpent",
        dir: "serpent",
        args: &[
            "-e",
            "package.path = 'src/?.lua;' .. package.path",
            "../script.lua",
            "--asserts",
            "t/test.lua",
        ],
    },
];

/// An interpreter to run the suites with.
#[derive(Debug, Clone)]
pub struct Interpreter {
    /// Column label: `PUC`, `luahome`, `piccolo`.
    pub label: String,
    /// The program and its leading arguments (e.g. `luahome --engine luahome`).
    pub command: Vec<String>,
}

impl Interpreter {
    /// PUC Lua (`lua5.4` or another program).
    pub fn puc(program: &str) -> Self {
        Interpreter {
            label: "PUC".into(),
            command: vec![program.into()],
        }
    }

    /// The `luahome` CLI at `exe` with `--engine engine`.
    pub fn luahome(exe: &Path, engine: &str) -> Self {
        Interpreter {
            label: engine.into(),
            command: vec![exe.display().to_string(), "--engine".into(), engine.into()],
        }
    }
}

/// The result of one test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// `ok`.
    Pass,
    /// `FAIL`.
    Fail,
    /// Not reported at all (the run stopped before it).
    Missing,
}

impl Verdict {
    fn word(self) -> &'static str {
        match self {
            Verdict::Pass => "ok",
            Verdict::Fail => "FAIL",
            Verdict::Missing => "missing",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "ok" => Some(Verdict::Pass),
            "FAIL" => Some(Verdict::Fail),
            "missing" => Some(Verdict::Missing),
            _ => None,
        }
    }
}

/// One run of a suite.
#[derive(Debug, Clone, Default)]
pub struct SuiteRun {
    /// Tests in the order reported, with their result (`Pass` or `Fail`).
    pub tests: Vec<(String, Verdict)>,
    /// The `N passed, M failed` line, when printed.
    pub summary: Option<(usize, usize)>,
    /// Exit code (`None`: killed, e.g. by the time limit).
    pub code: Option<i32>,
    /// The run hit the time limit.
    pub timed_out: bool,
    /// What the interpreter wrote to stderr (last 2,000 bytes).
    pub stderr: String,
}

impl SuiteRun {
    /// Number of passing tests.
    pub fn passed(&self) -> usize {
        self.tests.iter().filter(|t| t.1 == Verdict::Pass).count()
    }

    /// Result of the test `name` (`Missing` when it was not reported).
    pub fn verdict(&self, name: &str) -> Verdict {
        self.tests
            .iter()
            .find(|t| t.0 == name)
            .map_or(Verdict::Missing, |t| t.1)
    }
}

/// Parses a suite's output: `ok NAME` / `FAIL NAME` lines and the summary.
/// Whitespace runs in names are folded to one space; a repeated name gets
/// ` #2`, ` #3`, ... so every test has a unique name.
pub fn parse_output(stdout: &str) -> SuiteRun {
    let mut run = SuiteRun::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for line in stdout.lines() {
        let (verdict, name) = if let Some(n) = line.strip_prefix("ok ") {
            (Verdict::Pass, n)
        } else if let Some(n) = line.strip_prefix("FAIL ") {
            (Verdict::Fail, n)
        } else {
            if let Some(s) = parse_summary(line) {
                run.summary = Some(s);
            }
            continue;
        };
        let mut name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        let n = seen.entry(name.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            let _ = write!(name, " #{n}");
        }
        run.tests.push((name, verdict));
    }
    run
}

fn parse_summary(line: &str) -> Option<(usize, usize)> {
    let (p, rest) = line.split_once(" passed, ")?;
    let f = rest.split(" failed").next()?;
    Some((p.trim().parse().ok()?, f.trim().parse().ok()?))
}

/// Runs `suite` (found under `libs_dir`) with `interp`, killed after `limit`.
pub fn run_suite(
    libs_dir: &Path,
    suite: &Suite,
    interp: &Interpreter,
    limit: Duration,
) -> std::io::Result<SuiteRun> {
    let dir = libs_dir.join(suite.dir);
    let mut cmd = Command::new(&interp.command[0]);
    cmd.args(&interp.command[1..])
        // Ignore LUA_PATH/LUA_INIT of the caller, as `lua -E` does.
        .arg("-E")
        .args(suite.args)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn()?;
    // Read both pipes on threads so a chatty suite cannot block on a full pipe.
    let mut out_pipe = child.stdout.take().expect("piped stdout");
    let mut err_pipe = child.stderr.take().expect("piped stderr");
    let out_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out_pipe, &mut v);
        v
    });
    let err_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err_pipe, &mut v);
        v
    });
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            timed_out = true;
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out_thread.join().unwrap_or_default();
    let stderr = err_thread.join().unwrap_or_default();
    let mut run = parse_output(&String::from_utf8_lossy(&stdout));
    run.code = status.and_then(|s| s.code());
    run.timed_out = timed_out;
    let err = String::from_utf8_lossy(&stderr);
    let tail = err.len().saturating_sub(2000);
    let tail = (tail..err.len())
        .find(|&i| err.is_char_boundary(i))
        .unwrap_or(err.len());
    run.stderr = err[tail..].to_string();
    Ok(run)
}

/// A test's line in `expected.txt`: PUC Lua's result and, for a known
/// difference, the luahome core's result and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedTest {
    /// Test name as the suite reports it.
    pub name: String,
    /// PUC Lua's result.
    pub puc: Verdict,
    /// A known difference on the luahome core: its result and why.
    pub known: Option<(Verdict, String)>,
}

/// `expected.txt`: per suite (in file order), its tests.
pub type Expected = BTreeMap<String, Vec<ExpectedTest>>;

/// Reads `expected.txt`: `#` comments, and tab-separated lines
/// `SUITE  ok|FAIL  NAME` with, for a known difference, two more fields
/// `luahome=ok|FAIL|missing  REASON`.
pub fn parse_expected(text: &str) -> Result<Expected, String> {
    let mut out = Expected::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let bad = |m: &str| format!("expected.txt:{}: {m}: {line:?}", i + 1);
        if f.len() != 3 && f.len() != 5 {
            return Err(bad("expected 3 or 5 tab-separated fields"));
        }
        let puc = Verdict::parse(f[1]).ok_or_else(|| bad("second field must be ok or FAIL"))?;
        let known = if f.len() == 5 {
            let v = f[3]
                .strip_prefix("luahome=")
                .and_then(Verdict::parse)
                .ok_or_else(|| bad("fourth field must be luahome=ok|FAIL|missing"))?;
            if f[4].trim().is_empty() {
                return Err(bad("a known difference needs a reason"));
            }
            Some((v, f[4].to_string()))
        } else {
            None
        };
        out.entry(f[0].to_string()).or_default().push(ExpectedTest {
            name: f[2].to_string(),
            puc,
            known,
        });
    }
    Ok(out)
}

/// Writes `expected.txt` from PUC runs, keeping the known differences of
/// `old` for tests that still exist.
pub fn format_expected(puc_version: &str, runs: &[(&Suite, &SuiteRun)], old: &Expected) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# PUC Lua's per-test results for the library suites of conformance/libs/\n\
         # (generated by `luahome-conformance libs --write-expected` with {puc_version}).\n\
         # Fields (tab-separated): SUITE, PUC's result (ok/FAIL), TEST NAME, and for a\n\
         # known difference on the luahome core: luahome=ok|FAIL|missing, REASON.\n\
         # Known differences are written by hand and kept when this file is regenerated.\n\
         # tests/libs.rs checks the luahome core against this file."
    );
    for (suite, run) in runs {
        let old_tests = old.get(suite.name);
        for (name, verdict) in &run.tests {
            let known = old_tests
                .and_then(|t| t.iter().find(|t| &t.name == name))
                .and_then(|t| t.known.clone());
            let _ = write!(s, "{}\t{}\t{}", suite.name, verdict.word(), name);
            if let Some((v, reason)) = known {
                let _ = write!(s, "\tluahome={}\t{}", v.word(), reason);
            }
            s.push('\n');
        }
    }
    s
}

/// Compares a luahome-core run of `suite` with the expected results; each
/// mismatch is one message. A known difference must still differ as
/// recorded: one that now matches PUC is reported too, so its annotation
/// gets removed.
pub fn check_run(suite: &str, expected: &[ExpectedTest], run: &SuiteRun) -> Vec<String> {
    let mut problems = Vec::new();
    for t in expected {
        let got = run.verdict(&t.name);
        match &t.known {
            None if got != t.puc => problems.push(format!(
                "{suite}: {:?}: PUC Lua gives {}, luahome gives {}",
                t.name,
                t.puc.word(),
                got.word()
            )),
            Some(_) if got == t.puc => problems.push(format!(
                "{suite}: {:?}: listed as a known difference but now gives PUC's result ({}): \
                 remove the annotation from expected.txt",
                t.name,
                got.word()
            )),
            Some((v, reason)) if got != *v => problems.push(format!(
                "{suite}: {:?}: known difference ({reason}) recorded as {}, now {}",
                t.name,
                v.word(),
                got.word()
            )),
            _ => {}
        }
    }
    for (name, v) in &run.tests {
        if !expected.iter().any(|t| &t.name == name) {
            problems.push(format!(
                "{suite}: {name:?}: reported ({}) but not in expected.txt (PUC Lua does not report it)",
                v.word()
            ));
        }
    }
    problems
}

/// The `conformance/libs/` folder of this repository.
pub fn default_libs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("libs")
}

/// The table printed by `luahome-conformance libs`: per suite, PUC's test
/// count and, per interpreter, how many tests pass and how many give PUC's
/// result.
pub fn format_table(interps: &[Interpreter], rows: &[(&Suite, Vec<SuiteRun>)]) -> String {
    let mut s = String::new();
    let _ = write!(s, "| suite | tests |");
    for i in interps {
        let _ = write!(s, " pass on {} |", i.label);
    }
    for i in interps.iter().skip(1) {
        let _ = write!(s, " same as PUC on {} |", i.label);
    }
    s.push('\n');
    s.push_str("|---|---:|");
    for _ in 0..interps.len() * 2 - 1 {
        s.push_str("---:|");
    }
    s.push('\n');
    let mut totals = vec![0usize; interps.len() * 2];
    for (suite, runs) in rows {
        let tests = runs[0].tests.len();
        totals[0] += tests;
        let _ = write!(s, "| {} | {tests} |", suite.name);
        for (i, r) in runs.iter().enumerate() {
            let mut cell = r.passed().to_string();
            if r.timed_out {
                cell.push_str(" (timeout)");
            } else if r.code.is_none() {
                cell.push_str(" (killed)");
            }
            totals[i + 1] += r.passed();
            let _ = write!(s, " {cell} |");
        }
        for (i, r) in runs.iter().enumerate().skip(1) {
            let same = runs[0]
                .tests
                .iter()
                .filter(|(n, v)| r.verdict(n) == *v)
                .count();
            totals[interps.len() + i] += same;
            let _ = write!(s, " {same} |");
        }
        s.push('\n');
    }
    let _ = write!(s, "| **total** | {} |", totals[0]);
    for t in &totals[1..] {
        let _ = write!(s, " {t} |");
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_lines_and_summary() {
        let run =
            parse_output("ok a  b\n    noise\nFAIL c\n    why\nok a b\nok \n2 passed, 1 failed\n");
        assert_eq!(
            run.tests,
            vec![
                ("a b".to_string(), Verdict::Pass),
                ("c".to_string(), Verdict::Fail),
                ("a b #2".to_string(), Verdict::Pass),
                ("".to_string(), Verdict::Pass),
            ]
        );
        assert_eq!(run.summary, Some((2, 1)));
        assert_eq!(run.verdict("c"), Verdict::Fail);
        assert_eq!(run.verdict("zz"), Verdict::Missing);
    }

    #[test]
    fn expected_file_round_trip_keeps_known_differences() {
        let text = "# c\njson\tok\tnumbers\nmc\tFAIL\tx y\tluahome=ok\tbecause\n";
        let e = parse_expected(text).unwrap();
        assert_eq!(e["mc"][0].known, Some((Verdict::Pass, "because".into())));
        let suite = Suite {
            name: "mc",
            dir: ".",
            args: &[],
        };
        let run = parse_output("FAIL x y\nok new\n");
        let out = format_expected("Lua 5.4", &[(&suite, &run)], &e);
        assert!(
            out.contains("mc\tFAIL\tx y\tluahome=ok\tbecause\n"),
            "{out}"
        );
        assert!(out.contains("mc\tok\tnew\n"));
        assert!(parse_expected("a\tmaybe\tb\n").is_err());
        assert!(parse_expected("a\tok\tb\tluahome=ok\t \n").is_err());
    }

    #[test]
    fn check_run_reports_every_kind_of_mismatch() {
        let e = parse_expected(
            "s\tok\tsame\ns\tok\tbroken\ns\tFAIL\tfixed\tluahome=ok\twhy\ns\tok\tgone\n",
        )
        .unwrap();
        let run = parse_output("ok same\nFAIL broken\nFAIL fixed\nok extra\n");
        let p = check_run("s", &e["s"], &run);
        assert_eq!(p.len(), 4, "{p:#?}");
        assert!(p[0].contains("\"broken\": PUC Lua gives ok, luahome gives FAIL"));
        assert!(p[1].contains("now gives PUC's result"));
        assert!(p[2].contains("\"gone\""));
        assert!(p[3].contains("not in expected.txt"));
    }
}
