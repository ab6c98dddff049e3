//! Codec and verifier properties: random value graphs round-trip through the
//! model, a store and the codec unchanged; every prototype piccolo compiles
//! passes the verifier and round-trips through a function image; damaged
//! records (bit flips, truncation, wrong types, out-of-range indices) give an
//! error or a value that runs without a panic.

use std::{
    collections::BTreeMap,
    panic::{catch_unwind, AssertUnwindSafe},
};

use piccolo::{Closure, Executor, Fuel, Lua};
use proptest::prelude::*;
use vm_ext::{
    persist::{
        codec::{self, ByteBuf, FunctionRecord, PKey, PValue, RecordKey, UpvalueSlot},
        piccolo_image::{self, image_of, prototype_of, verify_image},
        FunctionImage, HomeModel, ImageConstant, ImageUpvalue,
    },
    store::{MemoryStore, Store},
};

const SOURCES: &[&str] = &[
    "local n = 0; return function() n = n + 1; return n end",
    "local function fact(n) if n <= 1 then return 1 end return n * fact(n - 1) end return fact",
    "return function(...) local t = {...}; local s = 0; for i, v in ipairs(t) do s = s + v end return s, select('#', ...) end",
    "return function(t) local out = {} for k, v in pairs(t) do out[#out + 1] = k .. '=' .. tostring(v) end return table.unpack(out) end",
    "return function(a, b) if a < b then return a elseif a == b then return 0 else return b end end",
    "return function(x) local s = 0 for i = 10, 1, -2 do s = s + i * x end while s > 100 do s = s // 2 end repeat s = s - 1 until s < 50 return s end",
    "return function(f, ...) return f(...) end",
    "return function(o) return o:method(1, 2, 3), { 1, 2, o.x, [10] = 3, y = { z = {} } } end",
    "local a, b, c = 1, 2.5, 'str'; return function() return a and b or c, not a, -b, ~1, 1 << 3, 7 % 3, 2 ^ 3, #c end",
    "return function(t) goto skip; t.x = 1; ::skip:: do local q = function() return t end; return q end end",
    "return function(n) local fns = {} for i = 1, n do fns[i] = function() return i end end return fns end",
];

fn compile_images(lua: &mut Lua) -> Vec<FunctionImage> {
    lua.enter(|ctx| {
        SOURCES
            .iter()
            .map(|src| {
                let c = Closure::load(ctx, Some("test"), src.as_bytes()).expect("compiles");
                image_of(&c.prototype())
            })
            .collect()
    })
}

#[test]
fn compiled_prototypes_verify_and_round_trip() {
    let mut lua = Lua::core();
    // Fixtures are byte strings (some hold non-UTF-8 literals).
    let mut scripts: Vec<Vec<u8>> = SOURCES.iter().map(|s| s.as_bytes().to_vec()).collect();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for sub in ["tests/scripts", "tests/home"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "lua") {
                scripts.push(std::fs::read(p).unwrap());
            }
        }
    }
    lua.enter(|ctx| {
        for src in &scripts {
            let Ok(c) = Closure::load(ctx, Some("chunk"), src.as_slice()) else {
                continue;
            };
            let image = image_of(&c.prototype());
            verify_image(&image)
                .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(src)));
            let record = FunctionRecord {
                upvalues: vec![UpvalueSlot::Env; image.upvalues.len()],
                image: image.clone(),
            };
            let bytes = codec::encode_function(&record);
            // Compared as bytes: NaN constants are not `==` to themselves.
            let decoded = codec::decode_function(&bytes).unwrap();
            assert_eq!(codec::encode_function(&decoded), bytes);
            let proto = prototype_of(ctx, &image).unwrap();
            let again = FunctionRecord {
                upvalues: record.upvalues.clone(),
                image: image_of(&proto),
            };
            assert_eq!(codec::encode_function(&again), bytes);
        }
    });
}

/// Runs `image` as a closure (upvalues nil, env = globals) for a bounded
/// amount of fuel; a panic fails the test.
fn run_image(image: &FunctionImage) {
    let mut lua = Lua::core();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let ex = lua.enter(|ctx| {
            let proto = prototype_of(ctx, image).ok()?;
            let mut ups =
                allocator_api2::vec::Vec::new_in(gc_arena::allocator_api::MetricsAlloc::new(&ctx));
            for _ in 0..proto.upvalues.len() {
                ups.push(piccolo::closure::UpValue::new(
                    &ctx,
                    piccolo::closure::UpValueState::Closed(piccolo::Value::Table(ctx.globals())),
                ));
            }
            let c = Closure::from_parts(&ctx, proto, ups);
            Some(ctx.stash(Executor::start(ctx, c.into(), (1, 2, "x"))))
        });
        if let Some(ex) = ex {
            for _ in 0..20 {
                let done = lua.enter(|ctx| ctx.fetch(&ex).step(ctx, &mut Fuel::with(2_000)));
                if done {
                    break;
                }
            }
        }
    }));
    assert!(
        outcome.is_ok(),
        "a verified image panicked the VM: {image:#?}"
    );
}

fn sample_records() -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut lua = Lua::core();
    let images = compile_images(&mut lua);
    let mut out = Vec::new();
    for (i, image) in images.into_iter().enumerate() {
        let record = FunctionRecord {
            upvalues: (0..image.upvalues.len() as u64)
                .map(UpvalueSlot::Cell)
                .collect(),
            image,
        };
        out.push((
            codec::encode_key(&RecordKey::Function(10 + i as u64)),
            codec::encode_function(&record),
        ));
    }
    out.push((
        codec::encode_key(&RecordKey::Entry(1, PKey::Str(ByteBuf(b"k".to_vec())))),
        codec::encode_entry(&PValue::Table(2)),
    ));
    out.push((
        codec::encode_key(&RecordKey::Cell(3)),
        codec::encode_cell(&Some(PValue::Float(1.5))),
    ));
    out.push((
        codec::encode_key(&RecordKey::Meta),
        codec::encode_meta(&codec::MetaRecord {
            v: 1,
            home_table_id: Some(1),
            memory_table_id: Some(1),
            next_id: 100,
        }),
    ));
    out
}

fn decode_any(bytes: &[u8]) {
    let _ = codec::decode_key(bytes);
    let _ = codec::decode_meta(bytes);
    let _ = codec::decode_entry(bytes);
    let _ = codec::decode_cell(bytes);
    if let Ok(f) = codec::decode_function(bytes) {
        run_image(&f.image);
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, u8),
    Set(usize, u8),
    /// A small value: often still a valid operand, so the verifier's
    /// control-flow and stack-top rules (not only range checks) are tested.
    Small(usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), 0u8..6).prop_map(|(i, b)| Mutation::Small(i, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    match *m {
        Mutation::Flip(i, b) => {
            let i = i % bytes.len();
            bytes[i] ^= 1 << b;
        }
        Mutation::Truncate(n) => {
            let n = n % bytes.len();
            bytes.truncate(n);
        }
        Mutation::Insert(i, b) => {
            let i = i % (bytes.len() + 1);
            bytes.insert(i, b);
        }
        Mutation::Set(i, b) | Mutation::Small(i, b) => {
            let i = i % bytes.len();
            bytes[i] = b;
        }
    }
}

proptest! {
    // 256 cases by default; set PROPTEST_CASES for a longer run.
    #[test]
    fn damaged_records_never_panic(which in any::<usize>(), muts in proptest::collection::vec(mutation(), 1..6)) {
        let records = sample_records();
        let (_, value) = &records[which % records.len()];
        let mut bytes = value.clone();
        for m in &muts {
            apply(&mut bytes, m);
        }
        decode_any(&bytes);
        // The same damage inside a whole store: loading fails or succeeds, never panics.
        let mut all = records.clone();
        let i = which % all.len();
        all[i].1 = bytes;
        let _ = HomeModel::from_records(all);
    }

    #[test]
    fn damaged_code_bytes_are_rejected_or_safe(which in any::<usize>(), muts in proptest::collection::vec(mutation(), 1..4)) {
        let mut lua = Lua::core();
        let images = compile_images(&mut lua);
        let mut image = images[which % images.len()].clone();
        // Mutate the innermost interesting prototype's code.
        let target = if image.protos.is_empty() { &mut image } else { &mut image.protos[0] };
        for m in &muts {
            apply(&mut target.code.0, m);
        }
        // Keep the header's instruction count in step with the bytes, so the
        // verifier (not the count check) has to catch the damage.
        if let Ok(n) = piccolo_image::count_code(&target.code.0) {
            target.code_len = n as u32;
        }
        if verify_image(&image).is_ok() {
            run_image(&image);
        }
    }

    #[test]
    fn out_of_range_fields_are_rejected_or_safe(which in any::<usize>(), field in 0u8..8, amount in any::<u16>()) {
        let mut lua = Lua::core();
        let images = compile_images(&mut lua);
        let mut image = images[which % images.len()].clone();
        let t = if image.protos.is_empty() { &mut image } else { &mut image.protos[0] };
        match field {
            0 => t.stack_size = amount % 300,
            1 => { let n = amount as usize % (t.constants.len() + 1); t.constants.truncate(n) }
            2 => { let n = amount as usize % (t.upvalues.len() + 1); t.upvalues.truncate(n) }
            3 => { let n = amount as usize % (t.protos.len() + 1); t.protos.truncate(n) }
            4 => t.params = amount as u8,
            5 => t.lines = vec![(amount as u64, 0)],
            6 => t.upvalues.push(if amount % 2 == 0 { ImageUpvalue::ParentLocal(amount as u8) } else { ImageUpvalue::Outer(amount as u8) }),
            _ => t.constants = vec![ImageConstant::Int(amount as i64)],
        }
        if verify_image(&image).is_ok() {
            run_image(&image);
        }
    }

    #[test]
    fn value_graphs_round_trip(graph in graph_strategy()) {
        let mut model = HomeModel::new();
        for (id, entries) in &graph {
            for (k, v) in entries {
                model.set(*id, k.clone(), Some(v.clone()));
            }
        }
        // Every table reachable from home, so nothing is swept.
        let ids: Vec<u64> = graph.keys().copied().filter(|id| *id != 1).collect();
        for (i, id) in ids.iter().enumerate() {
            model.set(1, PKey::Str(ByteBuf(format!("t{i}").into_bytes())), Some(PValue::Table(*id)));
        }
        model.set_next_id(1000);
        let mut store = MemoryStore::new();
        store.apply(&model.take_batch()).unwrap();
        let loaded = HomeModel::from_records(store.load_all().unwrap()).unwrap();
        let want: BTreeMap<_, _> = model.tables.iter().filter(|(_, t)| !t.is_empty()).collect();
        let got: BTreeMap<_, _> = loaded.tables.iter().filter(|(_, t)| !t.is_empty()).collect();
        prop_assert_eq!(want.len(), got.len());
        for (id, t) in want {
            let g = got[id];
            prop_assert_eq!(t.len(), g.len());
            for (k, v) in t.iter() {
                prop_assert!(g[k].same(v), "{:?} {:?}", g[k], v);
            }
        }
        prop_assert_eq!(loaded.all_records(), store_records(&store));
    }
}

fn store_records(store: &MemoryStore) -> BTreeMap<Vec<u8>, Vec<u8>> {
    store.records()
}

fn key_strategy() -> impl Strategy<Value = PKey> {
    prop_oneof![
        any::<i64>().prop_map(PKey::Int),
        any::<f64>().prop_filter_map("valid float key", PKey::from_float),
        proptest::collection::vec(any::<u8>(), 0..12).prop_map(|b| PKey::Str(ByteBuf(b))),
        // Around the decoder's 256-byte scratch buffer.
        proptest::collection::vec(any::<u8>(), 250..262).prop_map(|b| PKey::Str(ByteBuf(b))),
        any::<bool>().prop_map(PKey::Bool),
    ]
}

fn value_strategy() -> impl Strategy<Value = PValue> {
    prop_oneof![
        any::<bool>().prop_map(PValue::Bool),
        any::<i64>().prop_map(PValue::Int),
        any::<f64>().prop_map(PValue::Float),
        proptest::collection::vec(any::<u8>(), 0..24).prop_map(|b| PValue::Str(ByteBuf(b))),
        // Around and beyond the decoder's 256-byte scratch buffer (ciborium's
        // default is 4096).
        proptest::collection::vec(any::<u8>(), 250..262).prop_map(|b| PValue::Str(ByteBuf(b))),
        (4000usize..9000, any::<u8>()).prop_map(|(n, b)| PValue::Str(ByteBuf(vec![b; n]))),
        (1u64..8).prop_map(PValue::Table),
        "[a-z]{1,8}\\.[a-z]{1,8}".prop_map(PValue::Native),
    ]
}

fn graph_strategy() -> impl Strategy<Value = BTreeMap<u64, Vec<(PKey, PValue)>>> {
    proptest::collection::btree_map(
        1u64..8,
        proptest::collection::vec((key_strategy(), value_strategy()), 0..12),
        1..8,
    )
}
