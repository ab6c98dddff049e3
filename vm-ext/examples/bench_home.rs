//! `_home` benchmarks (printed, not asserted):
//! `cargo run --release -p luahome-vm-ext --example bench_home`
//!
//! - encode/decode throughput of a mixed value graph (tables, strings,
//!   numbers, function records);
//! - time to flush 10,000 dirty keys to the memory store and the file store;
//! - time to load a home of 100,000 keys.

use std::time::{Duration, Instant};

use vm_ext::{
    persist::HomeModel,
    store::{self, MemoryStore, SharedStore, Store},
    FileStore, Runtime, RuntimeOptions, StepResult,
};

fn run(rt: &mut Runtime, src: &str) {
    rt.load(src.as_bytes(), "bench").expect("compiles");
    loop {
        match rt.step(1_000_000) {
            StepResult::Running => {}
            StepResult::Finished(_) => return,
            other => panic!("{other:?}"),
        }
    }
}

fn options(store: &SharedStore) -> RuntimeOptions {
    RuntimeOptions {
        store: Some(store.clone()),
        flush_every_steps: 0,
        ..Default::default()
    }
}

const MIXED: &str = r#"
local function makeCounter() local n = 0; return function() n = n + 1; return n end end
for i = 1, 2000 do
  _home["player" .. i] = {
    name = "player number " .. i,
    hp = i * 3, speed = i / 7, alive = (i % 2 == 0),
    inventory = { "sword", "shield", "potion", i, i + 0.5 },
    pos = { x = i, y = -i, z = { 1, 2, 3 } },
    tick = makeCounter(),
  }
end
"#;

fn mb_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

fn main() {
    // 1. Encode/decode throughput of a mixed graph.
    let mem = MemoryStore::new();
    let shared = store::shared(mem.clone());
    let mut rt = Runtime::new(options(&shared));
    run(&mut rt, MIXED);
    let model = rt.home_model().clone();
    let reps = 5;
    let t = Instant::now();
    let mut records = Default::default();
    for _ in 0..reps {
        records = model.all_records();
    }
    let enc = t.elapsed() / reps;
    let bytes: usize = records.iter().map(|(k, v)| k.len() + v.len()).sum();
    let list: Vec<(Vec<u8>, Vec<u8>)> = records.into_iter().collect();
    let t = Instant::now();
    for _ in 0..reps {
        let m = HomeModel::from_records(list.clone()).expect("decodes");
        std::hint::black_box(m);
    }
    let dec = t.elapsed() / reps;
    println!(
        "mixed graph: {} records, {:.2} MB; encode {:.1} ms ({:.1} MB/s), decode+verify {:.1} ms ({:.1} MB/s)",
        list.len(),
        bytes as f64 / 1e6,
        enc.as_secs_f64() * 1e3,
        mb_per_s(bytes, enc),
        dec.as_secs_f64() * 1e3,
        mb_per_s(bytes, dec),
    );

    // 2. Flush 10,000 dirty keys.
    let write = "for i = 1, 10000 do _home[i] = { v = i, s = 'value ' .. i } end";
    let mem = MemoryStore::new();
    let shared = store::shared(mem.clone());
    let mut rt = Runtime::new(options(&shared));
    run(&mut rt, "local x = 1");
    rt.flush().unwrap();
    rt.load(write.as_bytes(), "fill").unwrap();
    while let StepResult::Running = rt.step(100_000_000) {}
    let dirty = rt.home_model().dirty_len();
    let encode_only = {
        let mut m = rt.home_model().clone();
        let t = Instant::now();
        let b = m.take_batch();
        (t.elapsed(), b.encode().len())
    };
    let t = Instant::now();
    rt.flush().unwrap();
    println!(
        "flush {dirty} dirty records (10,000 keys) to MemoryStore: {:.1} ms \
         (of which encoding the batch {:.1} ms; as one log record {:.0} KB)",
        t.elapsed().as_secs_f64() * 1e3,
        encode_only.0.as_secs_f64() * 1e3,
        encode_only.1 as f64 / 1e3
    );
    let batch_bytes = {
        let mut m = HomeModel::new();
        for i in 0..10_000i64 {
            m.set(
                1,
                vm_ext::persist::PKey::Int(i),
                Some(vm_ext::persist::PValue::Int(i)),
            );
        }
        m.take_batch().encode().len()
    };
    println!(
        "  (one IndexedDB log record for 10,000 integer keys: {:.0} KB)",
        batch_bytes as f64 / 1e3
    );

    let dir = std::env::temp_dir().join(format!("luahome-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("home.cbor");
    let shared = store::shared(FileStore::open(&path).unwrap());
    let mut rt = Runtime::new(options(&shared));
    run(&mut rt, "local x = 1");
    rt.flush().unwrap();
    rt.load(write.as_bytes(), "fill").unwrap();
    while let StepResult::Running = rt.step(100_000_000) {}
    let t = Instant::now();
    rt.flush().unwrap();
    println!(
        "flush {dirty} dirty records (10,000 keys) to FileStore: {:.1} ms (file {:.2} MB)",
        t.elapsed().as_secs_f64() * 1e3,
        std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
    );

    // 3. Load a home of 100,000 keys.
    let mut m = HomeModel::new();
    for i in 0..100_000i64 {
        m.set(
            1,
            vm_ext::persist::PKey::Int(i),
            Some(vm_ext::persist::PValue::Int(i * 2)),
        );
    }
    let mut big = MemoryStore::new();
    big.apply(&m.take_batch()).unwrap();
    let shared = store::shared(big.clone());
    let t = Instant::now();
    let mut rt = Runtime::try_new(options(&shared)).unwrap();
    let load = t.elapsed();
    run(&mut rt, "assert(_home[99999] == 199998)");
    println!(
        "load a home of 100,000 keys (MemoryStore -> Runtime): {:.1} ms",
        load.as_secs_f64() * 1e3
    );
    let path2 = dir.join("big.cbor");
    let shared = store::shared(FileStore::open(&path2).unwrap());
    let all = vm_ext::Batch {
        puts: big.records().into_iter().collect(),
        ..Default::default()
    };
    shared.borrow_mut().apply(&all).unwrap();
    let t = Instant::now();
    let shared = store::shared(FileStore::open(&path2).unwrap());
    let _rt = Runtime::try_new(options(&shared)).unwrap();
    println!(
        "load a home of 100,000 keys (FileStore, {:.2} MB -> Runtime): {:.1} ms",
        std::fs::metadata(&path2).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
        t.elapsed().as_secs_f64() * 1e3
    );
    let _ = std::fs::remove_dir_all(&dir);
}
