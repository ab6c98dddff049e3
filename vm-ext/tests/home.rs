//! `_home` persistence: every `tests/home/<name>.write.lua` runs in one
//! runtime, then `<name>.read.lua` runs in a fresh runtime over the same
//! store and asserts what survived. Plus refusal, alias, sweep, legacy
//! metadata, file store and damaged-record cases.

use std::{fs, path::Path};

use vm_ext::{
    persist::{
        codec::{self, MetaRecord, PKey, RecordKey},
        HomeModel,
    },
    store::{self, MemoryStore, SharedStore},
    FileStore, Runtime, RuntimeOptions, StepResult,
};

fn options(store: &SharedStore) -> RuntimeOptions {
    RuntimeOptions {
        store: Some(store.clone()),
        ..Default::default()
    }
}

/// piccolo 0.3.3 has no `rawequal`; the fixtures need it, so the harness
/// provides it when the standard library does not.
fn ensure_rawequal(rt: &mut Runtime) {
    rt.lua_mut().enter(|ctx| {
        if ctx.get_global("rawequal").is_nil() {
            let f = piccolo::Callback::from_fn(&ctx, |ctx, _, mut stack| {
                use piccolo::Value as V;
                let (a, b): (V<'_>, V<'_>) = stack.consume(ctx)?;
                let same = match (a, b) {
                    (V::Nil, V::Nil) => true,
                    (V::Boolean(x), V::Boolean(y)) => x == y,
                    (V::Integer(x), V::Integer(y)) => x == y,
                    (V::Number(x), V::Number(y)) => x == y,
                    (V::Integer(x), V::Number(y)) | (V::Number(y), V::Integer(x)) => x as f64 == y,
                    (V::String(x), V::String(y)) => x.as_bytes() == y.as_bytes(),
                    _ => {
                        a.type_name() == b.type_name()
                            && vm_ext::stdlib::base::address(a).is_some()
                            && vm_ext::stdlib::base::address(a) == vm_ext::stdlib::base::address(b)
                    }
                };
                stack.replace(ctx, same);
                Ok(piccolo::CallbackReturn::Return)
            });
            ctx.set_global("rawequal", f).unwrap();
        }
    });
}

fn run(rt: &mut Runtime, source: &[u8], name: &str) -> StepResult {
    ensure_rawequal(rt);
    if let Err(e) = rt.load(source, name) {
        return StepResult::Error(e);
    }
    let mut slices = 0u64;
    loop {
        match rt.step(5_000) {
            StepResult::Running => {
                slices += 1;
                assert!(slices < 100_000, "{name}: runaway fixture");
            }
            other => return other,
        }
    }
}

fn run_ok(rt: &mut Runtime, source: &str, name: &str) {
    match run(rt, source.as_bytes(), name) {
        StepResult::Finished(_) => {}
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn fixtures_survive_a_reload() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/home");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_suffix(".write.lua").map(str::to_string)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 10, "fixtures missing in {}", dir.display());
    let mut failures = Vec::new();
    for name in names {
        let mem = MemoryStore::new();
        let shared: SharedStore = store::shared(mem.clone());
        let write = fs::read(dir.join(format!("{name}.write.lua"))).unwrap();
        let read = fs::read(dir.join(format!("{name}.read.lua"))).unwrap();
        let mut rt = Runtime::new(options(&shared));
        match run(&mut rt, &write, &format!("{name}.write")) {
            StepResult::Finished(_) => {}
            other => {
                failures.push(format!("{name}.write: {other:?}"));
                continue;
            }
        }
        drop(rt);
        let mut rt = Runtime::try_new(options(&shared)).expect("store loads");
        match run(&mut rt, &read, &format!("{name}.read")) {
            StepResult::Finished(_) => {}
            other => failures.push(format!("{name}.read: {other:?}")),
        }
        // A third runtime sees what the read run changed, and the model
        // rebuilt from the store equals the one that wrote it.
        let records = mem.records();
        let reloaded = HomeModel::from_records(records.clone().into_iter().collect()).unwrap();
        if reloaded.all_records() != records {
            failures.push(format!("{name}: store and reloaded model differ"));
        }
    }
    assert!(
        failures.is_empty(),
        "failing fixtures:\n{}",
        failures.join("\n")
    );
}

#[test]
fn counter_keeps_counting_across_runtimes() {
    let shared = store::shared(MemoryStore::new());
    let mut rt = Runtime::new(options(&shared));
    run_ok(
        &mut rt,
        "local function makeCounter() local n = 0; return function() n = n + 1; return n end end
         _home.inc = makeCounter(); assert(_home.inc() == 1)",
        "one",
    );
    for expected in 2..5 {
        let mut rt = Runtime::new(options(&shared));
        run_ok(
            &mut rt,
            &format!("assert(_home.inc() == {expected})"),
            "next",
        );
    }
}

#[test]
fn memory_alias_can_be_switched_off() {
    let shared = store::shared(MemoryStore::new());
    let mut rt = Runtime::new(RuntimeOptions {
        memory_alias: false,
        ..options(&shared)
    });
    run_ok(&mut rt, "assert(Memory == nil); _home.a = 1", "off");
    rt.set_memory_alias_enabled(true);
    run_ok(
        &mut rt,
        "assert(rawequal(Memory, _home)); assert(Memory.a == 1)",
        "on",
    );
    rt.set_memory_alias_enabled(false);
    run_ok(
        &mut rt,
        "assert(Memory == nil); assert(_home.a == 1)",
        "off again",
    );
}

#[test]
fn refused_value_names_path_and_leaves_store_unchanged() {
    let mem = MemoryStore::new();
    let shared = store::shared(mem.clone());
    let mut rt = Runtime::new(options(&shared));
    run_ok(&mut rt, "_home.a = { b = { 1, 2 } }; _home.n = 1", "setup");
    let before = mem.records();
    let batches = mem.batches_applied();
    let result = run(
        &mut rt,
        b"local co = coroutine.create(function() end)
          _home.a = { b = { 1, 2, co } }",
        "refuse",
    );
    match result {
        StepResult::Error(e) => assert!(
            e.message.contains("cannot store a thread in _home.a.b[3]"),
            "{}",
            e.message
        ),
        other => panic!("expected an error, got {other:?}"),
    }
    rt.flush().unwrap();
    assert_eq!(mem.records(), before, "store changed after a refused store");
    assert_eq!(
        mem.batches_applied(),
        batches,
        "a refused store wrote a batch"
    );
    // Nested inside a proxy and inside an upvalue.
    for (src, needle) in [
        (
            "local co = coroutine.create(print); _home.a.b.x = { co }",
            "cannot store a thread in _home.a.b.x[1]",
        ),
        (
            "local co = coroutine.create(print); _home.f = function() return co end",
            "cannot store a thread in _home.f<upvalue 1>",
        ),
        (
            "_home.u = { h = _home, c = coroutine.create(print) }",
            "cannot store a thread in _home.u.c",
        ),
    ] {
        match run(&mut rt, src.as_bytes(), "refuse") {
            StepResult::Error(e) => assert!(e.message.contains(needle), "{}", e.message),
            other => panic!("expected an error, got {other:?}"),
        }
    }
    rt.flush().unwrap();
    assert_eq!(mem.records(), before);
    run_ok(
        &mut rt,
        "assert(_home.a.b[2] == 2 and _home.a.b[3] == nil and _home.u == nil)",
        "check",
    );
}

#[test]
fn sweep_deletes_unreachable_records() {
    let mem = MemoryStore::new();
    let shared = store::shared(mem.clone());
    let mut rt = Runtime::new(options(&shared));
    run_ok(
        &mut rt,
        "_home.x = { a = { b = { c = 1 } }, f = function() return 1 end }",
        "w",
    );
    let full = mem.records().len();
    run_ok(&mut rt, "_home.x = nil", "drop");
    let after = mem.records();
    assert!(after.len() < full);
    // Only the metadata record is left.
    assert_eq!(
        after.len(),
        1,
        "{:?}",
        after
            .keys()
            .map(|k| codec::decode_key(k))
            .collect::<Vec<_>>()
    );
}

#[test]
fn flush_writes_only_changes() {
    let mem = MemoryStore::new();
    let shared = store::shared(mem.clone());
    let mut rt = Runtime::new(options(&shared));
    run_ok(&mut rt, "for i = 1, 100 do _home[i] = i end", "fill");
    let batches = mem.batches_applied();
    run_ok(&mut rt, "local x = 1", "nothing");
    assert_eq!(
        mem.batches_applied(),
        batches,
        "an idle chunk wrote a batch"
    );
    let model = rt.home_model();
    assert_eq!(model.dirty_len(), 0);
}

#[test]
fn legacy_metadata_loads_with_a_warning() {
    let mem = MemoryStore::new();
    mem.put_raw(
        codec::encode_key(&RecordKey::Meta),
        codec::encode_meta(&MetaRecord {
            v: 1,
            home_table_id: None,
            memory_table_id: Some(1),
            next_id: 2,
        }),
    );
    mem.put_raw(
        codec::encode_key(&RecordKey::Entry(
            1,
            PKey::Str(codec::ByteBuf(b"old".to_vec())),
        )),
        codec::encode_entry(&codec::PValue::Int(7)),
    );
    let shared = store::shared(mem.clone());
    let mut rt = Runtime::try_new(options(&shared)).unwrap();
    let warnings = rt.take_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("memoryTableId"));
    run_ok(&mut rt, "assert(_home.old == 7)", "legacy");
    assert!(rt.take_warnings().is_empty(), "warned twice");
    // The metadata is rewritten in the current format.
    let meta = codec::decode_meta(&mem.records()[&codec::encode_key(&RecordKey::Meta)]).unwrap();
    assert_eq!(meta.home_table_id, Some(1));
    assert_eq!(meta.memory_table_id, Some(1));
}

#[test]
fn unknown_version_is_a_clear_error() {
    let mem = MemoryStore::new();
    mem.put_raw(
        codec::encode_key(&RecordKey::Meta),
        codec::encode_meta(&MetaRecord {
            v: 99,
            home_table_id: Some(1),
            memory_table_id: Some(1),
            next_id: 2,
        }),
    );
    let before = mem.records();
    let shared = store::shared(mem.clone());
    let err = Runtime::try_new(options(&shared)).err().expect("must fail");
    assert!(err.to_string().contains("format version 99"), "{err}");
    // `new` still gives a usable runtime that never writes to that store.
    let mut rt = Runtime::new(options(&shared));
    assert!(!rt.take_warnings().is_empty());
    run_ok(&mut rt, "_home.x = 1", "detached");
    assert_eq!(mem.records(), before);
}

#[test]
fn file_store_round_trip_and_corruption() {
    let dir = std::env::temp_dir().join(format!("luahome-home-test-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("home.cbor");
    let _ = fs::remove_file(&path);
    {
        let shared = store::shared(FileStore::open(&path).unwrap());
        assert!(path.exists(), "file created on open");
        let mut rt = Runtime::new(options(&shared));
        run_ok(&mut rt, "_home.msg = 'saved'; _home.t = { 1, 2, 3 }", "w");
    }
    {
        let shared = store::shared(FileStore::open(&path).unwrap());
        let mut rt = Runtime::new(options(&shared));
        run_ok(
            &mut rt,
            "assert(_home.msg == 'saved' and #_home.t == 3)",
            "r",
        );
    }
    fs::write(&path, b"\xff\x00 definitely not cbor").unwrap();
    let err = FileStore::open(&path).unwrap_err().to_string();
    assert!(err.contains("home.cbor"), "{err}");
    assert_eq!(fs::read(&path).unwrap(), b"\xff\x00 definitely not cbor");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn batch_encodes_as_one_log_record() {
    let mem = MemoryStore::new();
    let shared = store::shared(mem.clone());
    let mut rt = Runtime::new(options(&shared));
    run_ok(
        &mut rt,
        "_home.a = { 1, 2 }; _home.f = function() return 1 end",
        "w",
    );
    let mut model = HomeModel::from_records(mem.records().into_iter().collect()).unwrap();
    model.set(1, PKey::Int(5), Some(codec::PValue::Bool(true)));
    let batch = model.take_batch();
    let bytes = batch.encode();
    assert_eq!(vm_ext::Batch::decode(&bytes).unwrap(), batch);
}

#[test]
fn unsavable_upvalue_at_flush_warns_and_keeps_last_value() {
    let shared = store::shared(MemoryStore::new());
    let mut rt = Runtime::new(options(&shared));
    run_ok(
        &mut rt,
        "local v = 1; _home.f = function() return v end; v = coroutine.create(print)",
        "w",
    );
    let warnings = rt.take_warnings();
    assert!(
        warnings.iter().any(|w| w.contains("cannot store a thread")),
        "{warnings:?}"
    );
    let mut rt = Runtime::new(options(&shared));
    run_ok(&mut rt, "assert(_home.f() == 1)", "r");
}
