//! Runs every Lua fixture in `tests/scripts/` (each asserts its own results)
//! and every `tests/golden/*.lua` against its `.out` file.

use std::{fs, path::Path};

use vm_ext::{Runtime, StepResult};

fn run_file(path: &Path) -> (StepResult, Vec<u8>) {
    let source = fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut rt = Runtime::new(Default::default());
    if let Err(e) = rt.load(&source, &name) {
        return (StepResult::Error(e), rt.take_output());
    }
    let mut slices = 0u64;
    let result = loop {
        match rt.step(5_000) {
            StepResult::Running => {
                slices += 1;
                assert!(slices < 200_000, "{name}: runaway fixture");
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

#[test]
fn fixture_scripts() {
    let mut failures = Vec::new();
    for path in lua_files("tests/scripts") {
        let (result, _) = run_file(&path);
        match result {
            StepResult::Finished(_) => {}
            other => failures.push(format!("{}: {other:?}", path.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "failing fixtures:\n{}",
        failures.join("\n")
    );
}

#[test]
fn golden_scripts() {
    let mut failures = Vec::new();
    for path in lua_files("tests/golden") {
        let expected = fs::read(path.with_extension("out")).unwrap();
        let (result, output) = run_file(&path);
        if !matches!(result, StepResult::Finished(_)) {
            failures.push(format!("{}: {result:?}", path.display()));
        } else if output != expected {
            failures.push(format!(
                "{}: output differs\n--- expected\n{}\n--- got\n{}",
                path.display(),
                String::from_utf8_lossy(&expected),
                String::from_utf8_lossy(&output)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
