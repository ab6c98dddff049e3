//! `string.dump` chunks: every truncation and many single-byte changes of a
//! dump load to a clear error or to a function that runs without a VM panic
//! (the loader is called directly, with no `catch_unwind` around it); every
//! fixture script survives dump + load and still passes.

use std::{fs, path::Path};

use vm_ext::{
    engine::Engine, stdlib::base::load_chunk, ErrorKind, HostValue, Runtime, RuntimeOptions,
    StepResult,
};

/// A chunk (its only upvalue is `_ENV`, so a reloaded copy behaves the
/// same) returning a function touching most instruction kinds: upvalues, nested closures,
/// numeric and generic loops, varargs, tables, method calls, concatenation,
/// comparisons, closures over loop variables.
const SUBJECT: &str = r##"
local up, other = 3, "s"
return function(a, b, ...)
  local t = {a, b, ..., k = "v", [10] = 2.5}
  local n = 0
  for i = 1, #t do n = n + (tonumber(t[i]) or 0) end
  for k, v in pairs(t) do if k == "k" then n = n + #v end end
  local obj = {x = 1}
  function obj:get(d) return self.x + d end
  local fs = {}
  for i = 1, 3 do fs[i] = function() return i + up end end
  local s = other .. "-" .. tostring(n)
  while n > 100 do n = n // 2 end
  repeat n = n + 1 until n % 7 == 0
  if a and not b then return s end
  return n, obj:get(2), fs[2](), s, select("#", ...), a == b, a < 10
end
"##;

fn run(rt: &mut Runtime, src: &str) -> StepResult {
    rt.load(src.as_bytes(), "driver").expect("driver compiles");
    rt.run_to_end(|| false)
}

fn dump_of_subject(rt: &mut Runtime) -> Vec<u8> {
    rt.lua_mut().enter(|ctx| {
        ctx.set_global("SUBJECT", ctx.intern(SUBJECT.as_bytes()))
            .unwrap();
    });
    match run(rt, "return string.dump(load(SUBJECT))") {
        StepResult::Finished(v) => match v.as_slice() {
            [HostValue::String(b)] => b.clone(),
            other => panic!("unexpected {other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

/// Loads `bytes` as a binary chunk straight through `load_chunk`; on
/// success leaves the function in the global `MUTANT`.
fn try_load(rt: &mut Runtime, bytes: &[u8]) -> Result<(), String> {
    rt.lua_mut().enter(|ctx| {
        let f = load_chunk(ctx, bytes, b"=mutant", b"b", None)?;
        ctx.set_global("MUTANT", f).unwrap();
        Ok(())
    })
}

#[test]
fn round_trip_runs_the_same() {
    round_trip(Engine::Piccolo);
}

#[test]
fn round_trip_runs_the_same_on_the_luahome_core() {
    round_trip(Engine::Luahome);
}

fn on(engine: Engine) -> Runtime {
    Runtime::new(RuntimeOptions {
        engine,
        ..Default::default()
    })
}

fn round_trip(engine: Engine) {
    let mut rt = on(engine);
    let dump = dump_of_subject(&mut rt);
    try_load(&mut rt, &dump).unwrap();
    let expected = run(&mut rt, "local f = load(SUBJECT)() return f(1, 2, 3, 4)");
    let got = run(&mut rt, "return MUTANT()(1, 2, 3, 4)");
    match (&expected, &got) {
        (StepResult::Finished(e), StepResult::Finished(g)) => {
            assert_eq!(e, g);
            assert_eq!(e.len(), 7);
        }
        _ => panic!("{expected:?} / {got:?}"),
    }
}

#[test]
fn damaged_dumps_are_errors_not_panics() {
    damaged_dumps(Engine::Piccolo);
}

/// The same on the project's core: its dumps carry the whole prototype tree,
/// and what survives the verifier runs in its interpreter without a panic.
#[test]
fn damaged_dumps_are_errors_not_panics_on_the_luahome_core() {
    damaged_dumps(Engine::Luahome);
}

fn damaged_dumps(engine: Engine) {
    let mut rt = Runtime::new(RuntimeOptions {
        fuel_limit: Some(300_000),
        engine,
        ..Default::default()
    });
    let dump = dump_of_subject(&mut rt);
    assert!(dump.len() > 200, "dump is {} bytes", dump.len());
    let mut mutants: Vec<Vec<u8>> = (0..dump.len()).map(|n| dump[..n].to_vec()).collect();
    // The project's core dumps the whole prototype tree (a few times the
    // size of piccolo's): every 4th byte keeps the test quick.
    let stride = if engine == Engine::Luahome { 4 } else { 1 };
    for i in (0..dump.len()).step_by(stride) {
        for change in [0x01u8, 0x02, 0x10, 0x80, 0xff] {
            let mut m = dump.clone();
            m[i] ^= change;
            mutants.push(m);
        }
        for value in [
            0x00u8, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x40, 0x5f, 0x7f, 0x9f, 0xbf, 0xf6,
        ] {
            let mut m = dump.clone();
            if m[i] != value {
                m[i] = value;
                mutants.push(m);
            }
        }
    }
    // And a deterministic spray of three-byte changes past the signature.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..6000 {
        let mut m = dump.clone();
        for _ in 0..3 {
            let i = 16 + (next() as usize) % (dump.len() - 16);
            m[i] = next() as u8;
        }
        mutants.push(m);
    }
    let (mut refused, mut loaded) = (0usize, 0usize);
    for m in &mutants {
        match try_load(&mut rt, m) {
            Err(msg) => {
                refused += 1;
                let expected = if m.first() == Some(&0x1b) {
                    "mutant: bad binary format ("
                } else {
                    "attempt to load a text chunk (mode is 'b')"
                };
                assert!(msg.starts_with(expected), "unclear error: {msg}");
            }
            Ok(()) => {
                loaded += 1;
                // Whatever it does, it must not break the VM.
                let r = run(
                    &mut rt,
                    "local ok, f = pcall(MUTANT, 1, 2, 3) \
                     if ok and type(f) == 'function' then pcall(f, 1, 2, 3) end",
                );
                if let StepResult::Error(e) = &r {
                    assert_ne!(e.kind, ErrorKind::Internal, "{e:?}");
                }
            }
        }
    }
    // Truncations are all refused; most changes are too.
    assert!(refused >= dump.len(), "{refused} refused, {loaded} loaded");
    assert!(refused > loaded, "{refused} refused, {loaded} loaded");
    // Some changes (a constant, a register, a line) still verify: those ran.
    assert!(loaded > 0);
    eprintln!("{engine}: {refused} damaged dumps refused, {loaded} loaded and ran");
}

#[test]
fn reference_lua_bytecode_is_refused() {
    let mut rt = Runtime::new(Default::default());
    // The header of a Lua 5.4 binary chunk (luac output) and some body.
    let mut puc = b"\x1bLua\x54\x00\x19\x93\r\n\x1a\n\x04\x08\x08".to_vec();
    puc.extend_from_slice(&[
        0x78, 0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x28, 0x77, 0x40,
    ]);
    let msg = try_load(&mut rt, &puc).unwrap_err();
    assert!(
        msg.contains("precompiled by another Lua (version byte 0x54)"),
        "{msg}"
    );
    let msg = try_load(&mut rt, b"\x1bxyz").unwrap_err();
    assert!(
        msg.contains("bad binary format (not a binary chunk)"),
        "{msg}"
    );
}

#[test]
fn dumps_have_lua_54s_header_and_old_dumps_still_load() {
    let mut rt = Runtime::new(Default::default());
    let dump = dump_of_subject(&mut rt);
    // PUC Lua 5.4's header, LUAC_INT and LUAC_NUM (calls.lua checks them).
    assert_eq!(
        &dump[..15],
        b"\x1bLua\x54\x00\x19\x93\r\n\x1a\n\x04\x08\x08"
    );
    assert_eq!(i64::from_le_bytes(dump[15..23].try_into().unwrap()), 0x5678);
    assert_eq!(f64::from_le_bytes(dump[23..31].try_into().unwrap()), 370.5);
    try_load(&mut rt, &dump).unwrap();
    // Chunks dumped before the header changed: same body, older signature.
    let body = &dump[vm_ext::persist::codec::DUMP_SIGNATURE.len()..];
    let mut old = b"\x1bLua\xfeluahome\r\n\x1a\n".to_vec();
    old.extend_from_slice(body);
    try_load(&mut rt, &old).unwrap();
    match run(&mut rt, "return MUTANT()(1, 2, 3)") {
        StepResult::Finished(v) => assert!(!v.is_empty()),
        other => panic!("{other:?}"),
    }
    // Every proper prefix is "truncated".
    for n in 1..dump.len() {
        let msg = try_load(&mut rt, &dump[..n]).unwrap_err();
        assert!(msg.contains("truncated"), "prefix of {n} bytes: {msg}");
    }
}

/// Fixtures that fail on piccolo's core anyway (see `tests/scripts.rs`;
/// table_shifts.lua: piccolo's VM reads a weak table's emptied raw part).
const NOT_ON_PICCOLO: &[&str] = &[
    "lua54_core.lua",
    "field_cache.lua",
    "table_shifts.lua",
    "pairs_loops.lua",
    "tail_natives.lua",
    "coroutine_switch.lua",
];

#[test]
fn fixture_scripts_survive_dump_and_load() {
    fixtures_through_dump(Engine::Piccolo, NOT_ON_PICCOLO);
}

#[test]
fn fixture_scripts_survive_dump_and_load_on_the_luahome_core() {
    fixtures_through_dump(Engine::Luahome, &[]);
}

fn fixtures_through_dump(engine: Engine, skip: &[&str]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "lua"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if skip.contains(&name.as_str()) {
            continue;
        }
        let source = fs::read(path).unwrap();
        let mut rt = on(engine);
        rt.lua_mut().enter(|ctx| {
            ctx.set_global("SRC", ctx.intern(&source)).unwrap();
            ctx.set_global("NAME", ctx.intern(format!("@{name}").as_bytes()))
                .unwrap();
        });
        let r = run(
            &mut rt,
            "local f = assert(load(SRC, NAME)) \
             local g = assert(load(string.dump(f), NAME, 'b')) \
             return g()",
        );
        if !matches!(r, StepResult::Finished(_)) {
            failures.push(format!("{name}: {r:?}"));
        }
    }
    assert!(files.len() > 10);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
