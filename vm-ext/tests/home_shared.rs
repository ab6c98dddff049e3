//! Two runtimes sharing one store the way two browser tabs share an
//! IndexedDB home: each writes through a `QueueStore`, the batches one
//! commits are applied to the other with `apply_remote_home`. Also export,
//! import and the inspector tree.

use vm_ext::{
    persist::HomeModel,
    store::{self, Batch, HomeExport, QueueStore},
    HostValue, Runtime, RuntimeOptions, StepResult,
};

fn runtime(records: Vec<(Vec<u8>, Vec<u8>)>, block: u64) -> (Runtime, QueueStore) {
    let queue = QueueStore::new(records);
    let mut rt = Runtime::try_new(RuntimeOptions {
        store: Some(store::shared(queue.clone())),
        flush_every_steps: 0,
        ..Default::default()
    })
    .expect("runtime");
    rt.set_home_id_block(block, block + (1 << 28));
    (rt, queue)
}

fn run(rt: &mut Runtime, src: &str) -> Vec<HostValue> {
    rt.load(src.as_bytes(), "test").expect("compiles");
    loop {
        match rt.step(100_000) {
            StepResult::Running => continue,
            StepResult::Finished(v) => return v,
            other => panic!("{src}: {other:?}"),
        }
    }
}

/// Flushes `rt` and returns what it would commit.
fn commit(rt: &mut Runtime, queue: &QueueStore) -> Batch {
    rt.flush().expect("flush");
    queue.take()
}

fn int(v: i64) -> Vec<HostValue> {
    vec![HostValue::Integer(v)]
}

#[test]
fn writes_of_one_runtime_appear_in_the_other() {
    let (mut a, qa) = runtime(Vec::new(), 1 << 28);
    let (mut b, qb) = runtime(Vec::new(), 2 << 28);
    run(&mut a, "_home.x = { n = 1, list = {10, 20} }");
    let batch = commit(&mut a, &qa);
    assert!(!batch.is_empty());
    b.apply_remote_home(&batch, &[]).unwrap();
    assert_eq!(run(&mut b, "return _home.x.n + _home.x.list[2]"), int(21));
    // B's own new table gets an id from its block: no collision with A's.
    run(&mut b, "_home.y = { m = 5 }");
    let batch_b = commit(&mut b, &qb);
    a.apply_remote_home(&batch_b, &[]).unwrap();
    assert_eq!(
        run(&mut a, "return _home.y.m, _home.x.n"),
        vec![HostValue::Integer(5), HostValue::Integer(1)]
    );
    let ida = a
        .home_model()
        .tables
        .keys()
        .copied()
        .filter(|&i| i > 1)
        .min()
        .unwrap();
    assert!(
        (1 << 28..2 << 28).contains(&ida),
        "A's ids come from its block: {ida}"
    );
    assert!(
        b.home_model().tables.keys().any(|&i| i >= 2 << 28),
        "B's ids come from its block"
    );
}

#[test]
fn local_uncommitted_writes_win_over_remote_ones() {
    let (mut a, qa) = runtime(Vec::new(), 1 << 28);
    let (mut b, qb) = runtime(Vec::new(), 2 << 28);
    run(&mut a, "_home.k = 'from a'; _home.other = 1");
    let batch = commit(&mut a, &qa);
    // B wrote k and has not committed: the dirty key keeps B's value.
    run(&mut b, "_home.k = 'from b'");
    b.apply_remote_home(&batch, &[]).unwrap();
    assert_eq!(
        run(&mut b, "return _home.k, _home.other"),
        vec![HostValue::String(b"from b".to_vec()), HostValue::Integer(1)]
    );
    // Taken but not confirmed (in flight) is protected the same way.
    run(&mut b, "_home.k2 = 'b2'");
    let in_flight = commit(&mut b, &qb);
    run(&mut a, "_home.k2 = 'a2'");
    let batch = commit(&mut a, &qa);
    b.apply_remote_home(&batch, &[&in_flight]).unwrap();
    assert_eq!(
        run(&mut b, "return _home.k2"),
        vec![HostValue::String(b"b2".to_vec())]
    );
    // Once committed, later remote writes apply.
    run(&mut a, "_home.k2 = 'a3'");
    let batch = commit(&mut a, &qa);
    b.apply_remote_home(&batch, &[]).unwrap();
    assert_eq!(
        run(&mut b, "return _home.k2"),
        vec![HostValue::String(b"a3".to_vec())]
    );
}

#[test]
fn a_stored_counter_closure_follows_the_other_runtime() {
    let (mut a, qa) = runtime(Vec::new(), 1 << 28);
    run(
        &mut a,
        "local n = 0; _home.inc = function() n = n + 1; return n end",
    );
    let first = commit(&mut a, &qa);
    let (mut b, _qb) = runtime(Vec::new(), 2 << 28);
    b.apply_remote_home(&first, &[]).unwrap();
    assert_eq!(run(&mut b, "return _home.inc()"), int(1));
    b.flush().unwrap();
    assert_eq!(
        run(&mut a, "_home.inc(); _home.inc(); return _home.inc()"),
        int(3)
    );
    let batch = commit(&mut a, &qa);
    b.apply_remote_home(&batch, &[]).unwrap();
    // B's live closure got A's upvalue value.
    assert_eq!(run(&mut b, "return _home.inc()"), int(4));
}

#[test]
fn a_damaged_remote_batch_changes_nothing() {
    let (mut a, qa) = runtime(Vec::new(), 1 << 28);
    let (mut b, _) = runtime(Vec::new(), 2 << 28);
    run(&mut b, "_home.keep = 7");
    run(&mut a, "_home.x = 1; _home.y = 2");
    let mut batch = commit(&mut a, &qa);
    let last = batch.puts.len() - 1;
    batch.puts[last].1 = vec![0xff, 0x00, 0x13];
    assert!(b.apply_remote_home(&batch, &[]).is_err());
    assert_eq!(
        run(&mut b, "return _home.x, _home.y, _home.keep"),
        vec![HostValue::Nil, HostValue::Nil, HostValue::Integer(7)]
    );
}

#[test]
fn resync_by_diff_and_export_import_round_trip() {
    let (mut a, qa) = runtime(Vec::new(), 1 << 28);
    run(&mut a, "_home.t = { 1, 2, { deep = 'yes' } }; local c = 10; _home.get = function() return c end; _home.gone = 1");
    commit(&mut a, &qa);
    run(&mut a, "_home.gone = nil");
    let records = a.home_records().unwrap();
    qa.take();
    let bytes = store::encode_export(&HomeExport {
        records: records.clone(),
        damaged: vec![("log 7".into(), vec![1, 2, 3])],
    });
    let back = store::decode_export(&bytes).unwrap();
    assert_eq!(back.records, records);
    assert_eq!(back.damaged, vec![("log 7".to_string(), vec![1, 2, 3])]);

    // A runtime that missed everything catches up with one diff batch.
    let (mut b, _) = runtime(Vec::new(), 2 << 28);
    run(&mut b, "_home.stale = true");
    b.flush().unwrap();
    let diff = b.home_model().diff_to(&records);
    b.apply_remote_home(&diff, &[]).unwrap();
    assert_eq!(
        run(
            &mut b,
            "return _home.t[3].deep, _home.get(), _home.stale, _home.gone"
        ),
        vec![
            HostValue::String(b"yes".to_vec()),
            HostValue::Integer(10),
            HostValue::Nil,
            HostValue::Nil
        ]
    );

    // Import replaces the whole home.
    let (mut c, qc) = runtime(Vec::new(), 3 << 28);
    run(&mut c, "_home.old = 1");
    let model = HomeModel::from_records(back.records.into_iter().collect()).unwrap();
    c.replace_home(model).unwrap();
    assert!(commit(&mut c, &qc).is_empty(), "an imported home is clean");
    assert_eq!(
        run(&mut c, "return _home.old, _home.t[2], _home.get()"),
        vec![
            HostValue::Nil,
            HostValue::Integer(2),
            HostValue::Integer(10)
        ]
    );

    // Damaged exports are refused.
    assert!(store::decode_export(&bytes[..bytes.len() / 2]).is_err());
    assert!(store::decode_export(&store::encode_snapshot(&records)).is_err());
}

#[test]
fn inspect_shows_a_json_tree() {
    let (mut a, _) = runtime(Vec::new(), 1 << 28);
    run(&mut a, "_home.n = 1.5; _home.s = 'hi'; _home.t = {}; _home.t2 = _home.t\n_home.f = function() end; _home.fmt = string.format");
    let json = a.home_model().inspect();
    let text = json.to_string();
    assert_eq!(json["type"], "table");
    assert_eq!(json["id"], 1);
    let entries = json["entries"].as_array().unwrap();
    let get = |k: &str| {
        entries
            .iter()
            .find(|e| e["key"] == k)
            .map(|e| e["value"].clone())
            .unwrap()
    };
    assert_eq!(get("n"), 1.5);
    assert_eq!(get("s"), "hi");
    assert_eq!(get("f")["type"], "function");
    assert_eq!(get("f")["chunk"], "test");
    assert_eq!(get("f")["line"], 2);
    assert_eq!(get("fmt")["native"], "string.format");
    let (t, t2) = (get("t"), get("t2"));
    assert!(
        t["ref"] == true || t2["ref"] == true,
        "a shared table appears once: {text}"
    );
}

#[test]
fn inspect_json_is_the_same_tree_as_inspect() {
    let (mut a, _) = runtime(Vec::new(), 1 << 28);
    run(
        &mut a,
        "_home.q = 'a\"b\\\\c\\n\\1\\127\\255'; _home.inf = math.huge; _home.ninf = -math.huge\n\
         _home.nan = 0/0; _home.big = 1e300; _home.tiny = 1e-300; _home.two = 2.0; _home[3.5] = true\n\
         _home[-7] = false; _home.t = { 1, 2, { x = 'y' } }; _home.t2 = _home.t\n\
         _home.f = function() end; _home.fmt = string.format",
    );
    let model = a.home_model();
    let text = model.inspect_json();
    let parsed: serde_json::Value = serde_json::from_str(&text).expect("inspect_json writes JSON");
    assert_eq!(parsed, model.inspect(), "{text}");
}
