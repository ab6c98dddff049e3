//! Runs every Lua fixture in `tests/scripts/` (each asserts its own results)
//! and every `tests/golden/*.lua` against its `.out` file, on both engines.
//! [`KNOWN_FAILURES`] lists what fails on an engine and why; a listed
//! fixture that passes fails the run until its entry is removed.

use std::{fs, path::Path};

use vm_ext::{engine::Engine, Runtime, RuntimeOptions, StepResult};

/// (engine, fixture, reason) for fixtures known to fail on an engine.
const KNOWN_FAILURES: &[(Engine, &str, &str)] = &[
    (
        Engine::Piccolo,
        "table_shifts.lua",
        "piccolo's VM reads a weak table's raw part, which `setmetatable` emptied into the \
         weak store: `setmetatable({1, 2}, {__mode = 'k'})[1]` is nil there",
    ),
    (
        Engine::Piccolo,
        "lua54_core.lua",
        "piccolo 0.3.3's compiler and VM: multiple assignment, arithmetic/comparison/concat \
         metamethods, the string metatable, <const>/<close>, floor rules, error names (issue 11)",
    ),
    (
        Engine::Piccolo,
        "conformance_gaps.lua",
        "PUC Lua's messages and limits that only the luahome core follows (table sizes of \
         constructors, yields across library calls, error wording, debug upvalues)",
    ),
    (
        Engine::Piccolo,
        "coroutine_nesting.lua",
        "piccolo 0.3.3 does not parse `<close>`",
    ),
    (
        Engine::Piccolo,
        "weak_ephemerons.lua",
        "piccolo's VM indexes a weak table's raw entries and does not see its weak store",
    ),
    (
        Engine::Piccolo,
        "tail_natives.lua",
        "piccolo's VM replaces the calling frame for a library function called in tail \
         position (a traceback from there lacks the caller); PUC Lua keeps it",
    ),
    (
        Engine::Piccolo,
        "coroutine_switch.lua",
        "piccolo 0.3.3 does not parse `<close>`",
    ),
    (
        Engine::Piccolo,
        "pairs_loops.lua",
        "piccolo's VM indexes a weak table's raw entries and does not see its weak store",
    ),
    (
        Engine::Piccolo,
        "field_cache.lua",
        "piccolo's VM indexes a weak table's raw entries and does not see its weak store",
    ),
];

fn known_failure(engine: Engine, name: &str) -> Option<&'static str> {
    KNOWN_FAILURES
        .iter()
        .find(|(e, n, _)| *e == engine && *n == name)
        .map(|(_, _, why)| *why)
}

fn run_file(path: &Path, engine: Engine) -> (StepResult, Vec<u8>) {
    run_file_in(path, engine, 5_000)
}

/// [`run_file`] in slices of `fuel`.
fn run_file_in(path: &Path, engine: Engine, fuel: i32) -> (StepResult, Vec<u8>) {
    let source = fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut rt = Runtime::new(RuntimeOptions {
        engine,
        ..Default::default()
    });
    if let Err(e) = rt.load(&source, &name) {
        return (StepResult::Error(e), rt.take_output());
    }
    let mut slices = 0u64;
    let result = loop {
        match rt.step(fuel) {
            StepResult::Running => {
                slices += 1;
                assert!(slices < 20_000_000 / fuel as u64, "{name}: runaway fixture");
            }
            other => break other,
        }
    };
    (result, rt.take_output())
}

fn lua_files(dir: &str) -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "lua"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

/// Runs `check` on every fixture in `dir` on `engine`, applying the
/// known-failure list.
fn check_fixtures(dir: &str, engine: Engine, check: impl Fn(&Path) -> Result<(), String>) {
    let mut failures = Vec::new();
    for path in lua_files(dir) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        match (check(&path), known_failure(engine, &name)) {
            (Ok(()), None) | (Err(_), Some(_)) => {}
            (Err(e), None) => failures.push(format!("[{engine}] {}: {e}", path.display())),
            (Ok(()), Some(why)) => failures.push(format!(
                "[{engine}] {name} passes but is listed as a known failure ({why}): \
                 remove its KNOWN_FAILURES entry"
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "failing fixtures:\n{}",
        failures.join("\n")
    );
}

fn fixture_scripts(engine: Engine) {
    check_fixtures("tests/scripts", engine, |path| {
        match run_file(path, engine).0 {
            StepResult::Finished(_) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
}

fn golden_scripts(engine: Engine) {
    check_fixtures("tests/golden", engine, |path| {
        let expected = fs::read(path.with_extension("out")).unwrap();
        let (result, output) = run_file(path, engine);
        if !matches!(result, StepResult::Finished(_)) {
            Err(format!("{result:?}"))
        } else if output != expected {
            Err(format!(
                "output differs\n--- expected\n{}\n--- got\n{}",
                String::from_utf8_lossy(&expected),
                String::from_utf8_lossy(&output)
            ))
        } else {
            Ok(())
        }
    });
}

#[test]
fn fixture_scripts_piccolo() {
    fixture_scripts(Engine::Piccolo);
}

#[test]
fn fixture_scripts_luahome() {
    fixture_scripts(Engine::Luahome);
}

#[test]
fn golden_scripts_piccolo() {
    golden_scripts(Engine::Piccolo);
}

#[test]
fn golden_scripts_luahome() {
    golden_scripts(Engine::Luahome);
}

/// Resumes made in place stop wherever a slice's fuel runs out (and hand
/// over to the executor's resume there): the coroutine fixture gives the
/// same results in slices of a few instructions.
#[test]
fn coroutine_switches_in_small_slices() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/coroutine_switch.lua");
    for fuel in [3, 17, 250] {
        let (result, output) = run_file_in(&path, Engine::Luahome, fuel);
        assert!(
            matches!(result, StepResult::Finished(_)),
            "slices of {fuel}: {result:?}"
        );
        assert_eq!(output, b"coroutine_switch ok\n", "slices of {fuel}");
    }
}
