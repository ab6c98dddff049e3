//! Real Lua libraries' own test suites (conformance/libs/: json.lua, lume,
//! inspect.lua, middleclass, serpent) run by the `luahome` CLI on the
//! luahome core: every test must give PUC Lua 5.4's result as recorded in
//! conformance/libs/expected.txt (`luahome-conformance libs --write-expected`
//! writes it), except the known differences listed there with a reason — and
//! those must still differ, so a fixed one gets its annotation removed.

use std::{path::Path, time::Duration};

use conformance::libs::{check_run, parse_expected, run_suite, Interpreter, SUITES};

#[test]
fn library_suites_match_puc_lua_on_the_luahome_core() {
    let libs = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/libs");
    let text = std::fs::read_to_string(libs.join("expected.txt")).expect("read expected.txt");
    let expected = parse_expected(&text).expect("parse expected.txt");
    let interp = Interpreter::luahome(Path::new(env!("CARGO_BIN_EXE_luahome")), "luahome");
    let mut problems = Vec::new();
    let mut checked = 0;
    for suite in SUITES {
        let exp = expected
            .get(suite.name)
            .unwrap_or_else(|| panic!("expected.txt has no tests for {}", suite.name));
        assert!(!exp.is_empty());
        let run = run_suite(&libs, suite, &interp, Duration::from_secs(300)).expect("run luahome");
        assert!(!run.timed_out, "{} timed out", suite.name);
        assert!(
            run.summary.is_some(),
            "{}: no summary line; stderr: {}",
            suite.name,
            run.stderr
        );
        checked += exp.len();
        problems.extend(check_run(suite.name, exp, &run));
    }
    assert!(
        problems.is_empty(),
        "{} mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(checked > 700, "only {checked} tests checked");
}
