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

/// The shim itself: hooks in order, modifiers, every assertion failing and
/// passing, pending tests, repeated names, the summary and the exit code.
#[test]
fn busted_shim_reports_each_test() {
    let dir = std::env::temp_dir().join(format!("luahome-busted-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("shim_spec.lua");
    std::fs::write(
        &spec,
        r#"
local log = {}
describe("outer", function()
  before_each(function() log[#log + 1] = "b1" end)
  after_each(function() log[#log + 1] = "a1" end)
  describe("inner", function()
    before_each(function() log[#log + 1] = "b2" end)
    it("hooks run outside in", function()
      assert.are.same({ "b1", "b2" }, log)
    end)
  end)
  it("passes", function()
    assert.is_true(true); assert.is_false(false); assert.is_nil(nil)
    assert.truthy(0); assert.falsy(nil); assert.near(1, 1.05, 0.1)
    assert.equals(2, 2); assert.is_not.equal(1, 2); assert.are_not.same({ 1 }, { 2 })
    assert.has_error(function() error("boom") end, "boom")
    assert.error_matches(function() error("a 42 b") end, "%d+")
    assert.has_no.errors(function() end)
    assert.not_table(1); assert.is_string("s")
    assert(1 == 1)
  end)
  it("fails on same", function() assert.are.same({ 1, { 2 } }, { 1, { 3 } }) end)
  it("fails on equal", function() assert.equal({}, {}) end)
  it("fails on error", function() assert.has_error(function() end) end)
  it("fails on error message", function() assert.has_error(function() error("x") end, "y") end)
  it("fails on negation", function() assert.is_not.truthy(1) end)
  it("fails on plain assert", function() assert(false, "custom message") end)
  it("fails on a runtime error", function() local t = nil; return t.x end)
  it("fails", function() assert.is_true(false) end)
  it("fails", function() assert.is_true(1) end)
  pending("later")
  it("runs finally", function() finally(function() log.finally = true end) end)
  it("saw finally", function() assert.is_true(log.finally) end)
end)
"#,
    )
    .unwrap();
    let shim = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/libs/busted.lua");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_luahome"))
        .args([
            "--engine",
            "luahome",
            shim.to_str().unwrap(),
            "shim_spec.lua",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let results: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("    ")).collect();
    assert_eq!(
        results,
        [
            "ok outer inner hooks run outside in",
            "ok outer passes",
            "FAIL outer fails on same",
            "FAIL outer fails on equal",
            "FAIL outer fails on error",
            "FAIL outer fails on error message",
            "FAIL outer fails on negation",
            "FAIL outer fails on plain assert",
            "FAIL outer fails on a runtime error",
            "FAIL outer fails",
            "FAIL outer fails #2",
            "pending outer later",
            "ok outer runs finally",
            "ok outer saw finally",
            "4 passed, 9 failed, 1 pending",
        ],
        "{stdout}"
    );
    assert!(stdout.contains("    custom message"), "{stdout}");
    assert!(
        stdout.contains("attempt to index a nil value (local 't')"),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(1));
}

/// The legacy `luahome run FILE ARGS...` form gives the same results.
#[test]
fn legacy_run_form_gives_the_same_results() {
    let libs = Path::new(env!("CARGO_MANIFEST_DIR")).join("conformance/libs");
    let expected = parse_expected(&std::fs::read_to_string(libs.join("expected.txt")).unwrap())
        .expect("parse expected.txt");
    let interp = Interpreter::luahome(Path::new(env!("CARGO_BIN_EXE_luahome")), "luahome");
    for suite in [
        conformance::libs::Suite {
            name: "json",
            dir: "json/test",
            args: &["run", "../../script.lua", "test.lua"],
        },
        conformance::libs::Suite {
            name: "inspect",
            dir: "inspect",
            args: &["run", "../busted.lua", "spec/inspect_spec.lua"],
        },
    ] {
        let run = run_suite(&libs, &suite, &interp, Duration::from_secs(300)).unwrap();
        assert!(run.summary.is_some(), "{}: {}", suite.name, run.stderr);
        let problems = check_run(suite.name, &expected[suite.name], &run);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
