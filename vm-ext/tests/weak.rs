//! Weak tables (`__mode`) on the luahome core, against PUC Lua's output:
//! every `tests/weak/NAME.lua` must print exactly `NAME.expected`, which is
//! what Debian's `lua5.4 NAME.lua` printed (regenerate with
//! `lua5.4 NAME.lua > NAME.expected` in that folder). The scripts print
//! nothing that depends on traversal order or addresses.

use std::path::PathBuf;

use vm_ext::{
    engine::Engine,
    store::{self, MemoryStore},
    HostValue, Runtime, RuntimeOptions, StepResult,
};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/weak")
}

fn run(rt: &mut Runtime, src: &[u8], name: &str, fuel: i32) -> Result<Vec<HostValue>, String> {
    rt.load(src, name).map_err(|e| e.to_string())?;
    let mut slices = 0u64;
    loop {
        match rt.step(fuel) {
            StepResult::Running => {
                slices += 1;
                assert!(slices < 50_000_000, "{name}: runaway script");
            }
            StepResult::Finished(v) => return Ok(v),
            StepResult::Error(e) => return Err(e.to_string()),
            other => panic!("{name}: {other:?}"),
        }
    }
}

fn scripts() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("tests/weak")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".lua"))
        .collect();
    names.sort();
    names
}

#[test]
fn weak_scripts_print_what_lua_54_prints() {
    let names = scripts();
    assert!(names.len() >= 3, "{names:?}");
    for name in names {
        let src = std::fs::read(dir().join(&name)).expect("script");
        let want = std::fs::read_to_string(dir().join(name.replace(".lua", ".expected")))
            .expect("expected output");
        // Smaller slices too: a collection request must survive suspension.
        for fuel in [1_000_000, 10_000, 37] {
            let mut rt = Runtime::new(RuntimeOptions {
                engine: Engine::Luahome,
                ..Default::default()
            });
            let res = run(&mut rt, &src, &name, fuel);
            let out = String::from_utf8_lossy(&rt.take_output()).into_owned();
            assert!(res.is_ok(), "{name} (fuel {fuel}): {res:?}\n{out}");
            assert_eq!(out, want, "{name} (fuel {fuel})");
        }
    }
}

/// piccolo's own VM does not see a weak table's store: its reads miss and
/// its writes stay in the raw table, strong; the library functions still
/// see the store (`#` here is piccolo's raw length). Nothing panics.
#[test]
fn weak_tables_on_the_piccolo_core() {
    let mut rt = Runtime::new(RuntimeOptions {
        engine: Engine::Piccolo,
        ..Default::default()
    });
    let v = run(
        &mut rt,
        b"local t = {a = 1, [1] = 'x'}
          setmetatable(t, {__mode = 'k'})
          local vm_read = t.a
          t.b = 2
          rawset(t, 'c', 3)
          local n = 0
          for k, v in pairs(t) do n = n + 1 end
          collectgarbage()
          return vm_read, rawget(t, 'a'), t.b, rawget(t, 'c'), n, #t",
        "piccolo",
        10_000,
    )
    .expect("runs");
    assert_eq!(
        v.iter().map(HostValue::display).collect::<Vec<_>>(),
        ["nil", "1", "2", "3", "4", "0"]
    );
}

/// A weak table returned to the host is copied as its live entries.
#[test]
fn host_sees_live_entries_only() {
    let mut rt = Runtime::new(RuntimeOptions::default());
    let v = run(
        &mut rt,
        b"local t = setmetatable({}, {__mode = 'v'})
          t.a = 'kept'; t.b = {}; t[1] = 10
          collectgarbage()
          return t",
        "host",
        1_000_000,
    )
    .expect("runs");
    let [HostValue::Table(entries)] = v.as_slice() else {
        panic!("{v:?}")
    };
    let mut shown: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{}={}", k.display(), v.display()))
        .collect();
    shown.sort();
    assert_eq!(shown, ["1=10", "a=kept"]);
}

/// `_home` stores a weak table as a plain table of its live entries (as it
/// drops every metatable: the home table has its own); reading it back
/// gives those entries.
#[test]
fn home_stores_a_weak_tables_live_entries() {
    let shared = store::shared(MemoryStore::new());
    let opts = || RuntimeOptions {
        store: Some(shared.clone()),
        ..Default::default()
    };
    let mut rt = Runtime::new(opts());
    run(
        &mut rt,
        b"local keep = {n = 1}
          local w = setmetatable({}, {__mode = 'v'})
          w.keep = keep; w.gone = {}; w.name = 'cache'
          collectgarbage()
          _home.w = w",
        "write",
        1_000_000,
    )
    .expect("stores");
    rt.save().expect("saves");
    let mut rt = Runtime::new(opts());
    let v = run(
        &mut rt,
        b"local w, n = _home.w, 0
          for k, v in pairs(w) do n = n + 1 end
          return n, w.name, w.keep.n, w.gone, getmetatable(w)",
        "read",
        1_000_000,
    )
    .expect("reads");
    assert_eq!(
        v.iter().map(HostValue::display).collect::<Vec<_>>(),
        ["2", "cache", "1", "nil", "persistent table"]
    );
}
