//! The IndexedDB home store (rexie): a log-structured layout of three object
//! stores per database `luahome:<home>`:
//!
//! - `meta`: one record (key `"meta"`) naming the current snapshot
//!   generation, the previous one, the last log sequence number, the next
//!   free id block and what is quarantined;
//! - `chunks`: snapshot generations, each the CBOR snapshot of every record
//!   cut into chunks of at most [`CHUNK_BYTES`] (key `gen * 1e6 + index`);
//! - `log`: one record per flush (key = sequence number): a whole
//!   [`Batch`], appended in the same transaction as the metadata.
//!
//! Every stored value is `[8-byte FNV-1a hash][payload]`, so damage is found
//! by verification. Load = the current generation (or the previous one if a
//! chunk is damaged) + the log after it, stopping at the first damaged log
//! record. Nothing damaged is ever deleted: it is quarantined (kept, listed
//! in the metadata, exportable) and a fresh generation is written from what
//! loaded.
//!
//! Locking between tabs (Web Locks) and change notices (BroadcastChannel)
//! are done by `web/luahome.js`, which calls these methods under its lock.

use std::{cell::RefCell, collections::BTreeMap, rc::Rc};

use futures_util::future::{join_all, try_join_all};
use js_sys::{Array, Object, Reflect, Uint8Array};
use rexie::{KeyRange, ObjectStore, Rexie, TransactionMode};
use serde::Serialize;
use vm_ext::persist::cbor::{self, once, required, Reader};
use vm_ext::store::{self, Batch};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// Schema version of the database (object stores).
const DB_VERSION: u32 = 1;
/// Version of the metadata record.
const META_VERSION: u32 = 1;
/// Largest snapshot chunk.
pub const CHUNK_BYTES: usize = 1 << 20;
/// Size of the id block one runtime reserves.
pub const ID_BLOCK: u64 = 1 << 28;
const CHUNK_KEY_STRIDE: f64 = 1e6;
const META_KEY: &str = "meta";

/// One snapshot generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
struct Generation {
    gen: u64,
    chunks: u32,
    /// The log sequence number this snapshot includes.
    base: u64,
    /// FNV-1a of the whole snapshot.
    sum: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
struct DbMeta {
    v: u32,
    current: Option<Generation>,
    prev: Option<Generation>,
    /// Sequence number of the last log record.
    last: u64,
    /// Start of the next unreserved id block.
    next_block: u64,
    /// Bumped by an import: every other runtime reloads the home whole.
    epoch: u64,
    /// Log records kept because they (or one before them) were damaged.
    quarantine_log: Vec<u64>,
    /// Generations kept because a chunk of them was damaged.
    quarantine_gens: Vec<Generation>,
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn seal(payload: &[u8]) -> Uint8Array {
    let mut out = Vec::with_capacity(payload.len() + 8);
    out.extend_from_slice(&fnv(payload).to_le_bytes());
    out.extend_from_slice(payload);
    Uint8Array::from(&out[..])
}

/// The payload of a sealed value, or why it is damaged.
fn unseal(value: &JsValue) -> Result<Vec<u8>, String> {
    let Some(arr) = value.dyn_ref::<Uint8Array>() else {
        return Err("not a byte array".into());
    };
    let bytes = arr.to_vec();
    if bytes.len() < 8 {
        return Err("too short".into());
    }
    let (sum, payload) = bytes.split_at(8);
    let mut s = [0u8; 8];
    s.copy_from_slice(sum);
    if u64::from_le_bytes(s) != fnv(payload) {
        return Err("checksum mismatch".into());
    }
    Ok(payload.to_vec())
}

fn raw_bytes(value: &JsValue) -> Vec<u8> {
    match value.dyn_ref::<Uint8Array>() {
        Some(a) => a.to_vec(),
        None => value
            .as_string()
            .map(String::into_bytes)
            .unwrap_or_else(|| format!("{value:?}").into_bytes()),
    }
}

fn chunk_key(gen: u64, index: u32) -> JsValue {
    JsValue::from_f64(gen as f64 * CHUNK_KEY_STRIDE + f64::from(index))
}

fn seq_key(seq: u64) -> JsValue {
    JsValue::from_f64(seq as f64)
}

fn db_err(e: rexie::Error) -> String {
    match e {
        rexie::Error::IdbError(inner) => inner.to_string(),
        other => other.to_string(),
    }
}

fn js_err(message: impl AsRef<str>) -> JsValue {
    js_sys::Error::new(message.as_ref()).into()
}

fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

/// The database connection, shared by the futures of one `HomeDb`.
#[derive(Clone)]
struct Db(Rc<Rexie>);

/// An open home database. Create with `await HomeDb.open(name)`; every
/// method returns a Promise. Methods that write expect the caller to hold
/// the home's Web Lock and to have called `readSince` under it first.
#[wasm_bindgen]
pub struct HomeDb {
    db: Db,
    name: String,
    /// The metadata as last read or written (under the page's lock).
    meta: Rc<RefCell<DbMeta>>,
}

/// What a load found.
struct Loaded {
    records: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Damage found (human-readable).
    damage: Vec<String>,
    /// The first damaged log sequence number (replay stopped there).
    log_damaged_at: Option<u64>,
    /// Whether the current generation was unusable.
    current_damaged: bool,
}

impl Db {
    async fn read_meta(&self) -> Result<DbMeta, String> {
        let tx = self
            .0
            .transaction(&["meta"], TransactionMode::ReadOnly)
            .map_err(db_err)?;
        let store = tx.store("meta").map_err(db_err)?;
        let value = store
            .get(JsValue::from_str(META_KEY))
            .await
            .map_err(db_err)?;
        decode_meta(value)
    }

    async fn read_generation(&self, g: &Generation) -> Result<Vec<u8>, String> {
        let tx = self
            .0
            .transaction(&["chunks"], TransactionMode::ReadOnly)
            .map_err(db_err)?;
        let store = tx.store("chunks").map_err(db_err)?;
        let range = KeyRange::bound(
            &chunk_key(g.gen, 0),
            &chunk_key(g.gen, g.chunks.saturating_sub(1)),
            Some(false),
            Some(false),
        )
        .map_err(|e| e.to_string())?;
        let values = store.get_all(Some(range), None).await.map_err(db_err)?;
        if values.len() != g.chunks as usize {
            return Err(format!(
                "snapshot generation {} has {} of its {} chunks",
                g.gen,
                values.len(),
                g.chunks
            ));
        }
        let mut bytes = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let part = unseal(v)
                .map_err(|e| format!("snapshot generation {} chunk {i} is damaged ({e})", g.gen))?;
            bytes.extend_from_slice(&part);
        }
        if fnv(&bytes) != g.sum {
            return Err(format!("snapshot generation {} fails its checksum", g.gen));
        }
        Ok(bytes)
    }

    /// Log records with sequence numbers in `(after, ..]`, in order.
    async fn read_log(&self, after: u64) -> Result<Vec<(u64, JsValue)>, String> {
        let tx = self
            .0
            .transaction(&["log"], TransactionMode::ReadOnly)
            .map_err(db_err)?;
        let store = tx.store("log").map_err(db_err)?;
        let range =
            KeyRange::lower_bound(&seq_key(after), Some(true)).map_err(|e| e.to_string())?;
        let (keys, values) = futures_util::future::join(
            store.get_all_keys(Some(range.clone()), None),
            store.get_all(Some(range), None),
        )
        .await;
        let keys = keys.map_err(db_err)?;
        let values = values.map_err(db_err)?;
        Ok(keys
            .iter()
            .zip(values)
            .map(|(k, v)| (k.as_f64().unwrap_or(0.0) as u64, v))
            .collect())
    }

    /// Snapshot + log, with fallbacks; never fails on damage, only on access.
    async fn load(&self, meta: &DbMeta) -> Result<Loaded, String> {
        let mut damage = Vec::new();
        let mut current_damaged = false;
        let mut records = BTreeMap::new();
        let mut base = 0;
        let mut candidates = Vec::new();
        candidates.extend(meta.current);
        candidates.extend(meta.prev);
        let mut found = candidates.is_empty();
        for (i, g) in candidates.iter().enumerate() {
            let decoded = match self.read_generation(g).await {
                Ok(bytes) => {
                    store::decode_snapshot(&bytes, &format!("snapshot generation {}", g.gen))
                        .map_err(|e| e.to_string())
                }
                Err(e) => Err(e),
            };
            match decoded {
                Ok(r) => {
                    records = r;
                    base = g.base;
                    found = true;
                    break;
                }
                Err(e) => {
                    damage.push(e);
                    if i == 0 {
                        current_damaged = true;
                    }
                }
            }
        }
        if !found {
            damage.push("no snapshot generation could be read; only the log is replayed".into());
        }
        let mut log_damaged_at = None;
        let mut expect = base + 1;
        for (seq, value) in self.read_log(base).await? {
            if meta.quarantine_log.contains(&seq) {
                continue;
            }
            if seq != expect {
                damage.push(format!(
                    "log record {expect} is missing; records from {seq} on are not replayed"
                ));
                log_damaged_at = Some(seq);
                break;
            }
            let batch = unseal(&value).and_then(|p| Batch::decode(&p).map_err(|e| e.to_string()));
            match batch {
                Ok(b) => b.apply_to(&mut records),
                Err(e) => {
                    damage.push(format!(
                        "log record {seq} is damaged ({e}); it and the records after it are kept \
                         but not replayed"
                    ));
                    log_damaged_at = Some(seq);
                    break;
                }
            }
            expect += 1;
        }
        Ok(Loaded {
            records,
            damage,
            log_damaged_at,
            current_damaged,
        })
    }

    /// Writes `snapshot` as a new generation including log record `base`,
    /// makes the current one the previous (or quarantines it when
    /// `current_damaged`), quarantines log records from `quarantine_from`
    /// on, and deletes what no generation needs any more (never anything
    /// quarantined) — all in one transaction.
    async fn compact(
        &self,
        mut meta: DbMeta,
        snapshot: &[u8],
        base: u64,
        quarantine_from: Option<u64>,
        current_damaged: bool,
    ) -> Result<DbMeta, String> {
        if let Some(from) = quarantine_from {
            for seq in from..=meta.last {
                if !meta.quarantine_log.contains(&seq) {
                    meta.quarantine_log.push(seq);
                }
            }
        }
        let newest = [meta.current, meta.prev]
            .iter()
            .flatten()
            .chain(meta.quarantine_gens.iter())
            .map(|g| g.gen)
            .max()
            .unwrap_or(0);
        let chunks: Vec<&[u8]> = if snapshot.is_empty() {
            vec![snapshot]
        } else {
            snapshot.chunks(CHUNK_BYTES).collect()
        };
        let gen = Generation {
            gen: newest + 1,
            chunks: chunks.len() as u32,
            base,
            sum: fnv(snapshot),
        };
        let mut drop_gen = None;
        if current_damaged {
            meta.quarantine_gens.extend(meta.current);
        } else {
            drop_gen = meta.prev;
            meta.prev = meta.current;
        }
        meta.current = Some(gen);
        // The log must still cover everything after the oldest kept generation.
        let floor = meta.prev.map_or(gen.base, |p| p.base);
        let sealed: Vec<Uint8Array> = chunks.iter().map(|c| seal(c)).collect();
        let meta_value = encode_meta(&meta);

        let tx = self
            .0
            .transaction(&["meta", "chunks", "log"], TransactionMode::ReadWrite)
            .map_err(db_err)?;
        let chunk_store = tx.store("chunks").map_err(db_err)?;
        let log_store = tx.store("log").map_err(db_err)?;
        let meta_store = tx.store("meta").map_err(db_err)?;
        let mut deletes: Vec<(bool, JsValue)> = Vec::new();
        let range = |lo: JsValue, hi: JsValue, lo_open: bool, hi_open: bool| {
            KeyRange::bound(&lo, &hi, Some(lo_open), Some(hi_open))
                .map(JsValue::from)
                .map_err(|e| e.to_string())
        };
        if let Some(d) = drop_gen {
            if !meta.quarantine_gens.contains(&d) {
                let r = range(
                    chunk_key(d.gen, 0),
                    chunk_key(d.gen, d.chunks.max(1) - 1),
                    false,
                    false,
                )?;
                deletes.push((true, r));
            }
        }
        // Log records up to `floor` are covered by every kept generation;
        // quarantined ones are skipped.
        let mut keep: Vec<u64> = meta
            .quarantine_log
            .iter()
            .copied()
            .filter(|s| *s <= floor)
            .collect();
        keep.sort_unstable();
        let (mut lo, mut lo_open) = (0u64, false);
        for q in keep {
            if lo < q {
                deletes.push((false, range(seq_key(lo), seq_key(q), lo_open, true)?));
            }
            (lo, lo_open) = (q, true);
        }
        if lo < floor {
            deletes.push((false, range(seq_key(lo), seq_key(floor), lo_open, false)?));
        }
        let keys: Vec<JsValue> = (0..sealed.len() as u32)
            .map(|i| chunk_key(gen.gen, i))
            .collect();
        let puts = sealed
            .iter()
            .zip(&keys)
            .map(|(c, k)| chunk_store.put(c, Some(k)));
        let del = deletes.iter().map(|(chunks, range)| {
            let store = if *chunks { &chunk_store } else { &log_store };
            store.delete(range.clone())
        });
        let meta_key = JsValue::from_str(META_KEY);
        let (a, b, c) = futures_util::future::join3(
            join_all(puts),
            join_all(del),
            meta_store.put(&meta_value, Some(&meta_key)),
        )
        .await;
        let issued = a
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .and(b.into_iter().collect::<Result<Vec<_>, _>>())
            .and(c);
        if let Err(e) = issued {
            // Nothing of a failed compaction may commit.
            let _ = tx.abort().await;
            return Err(db_err(e));
        }
        tx.done().await.map_err(db_err)?;
        Ok(meta)
    }
}

fn encode_meta(meta: &DbMeta) -> Uint8Array {
    let mut out = Vec::new();
    let _ = ciborium::ser::into_writer(meta, &mut out);
    seal(&out)
}

fn decode_meta(value: Option<JsValue>) -> Result<DbMeta, String> {
    let Some(value) = value.filter(|v| !v.is_undefined() && !v.is_null()) else {
        return Ok(DbMeta {
            v: META_VERSION,
            next_block: ID_BLOCK,
            ..Default::default()
        });
    };
    let payload =
        unseal(&value).map_err(|e| format!("the home's metadata record is damaged ({e})"))?;
    let meta = read_meta(&mut Reader::new(&payload))
        .map_err(|e| format!("the home's metadata record is damaged ({e})"))?;
    if meta.v != META_VERSION {
        return Err(format!(
            "the home's metadata has version {}, this build reads version {META_VERSION}",
            meta.v
        ));
    }
    Ok(meta)
}

// Read by hand (see `vm_ext::persist::cbor`): what serde's derive read.

fn read_generation(r: &mut Reader<'_>) -> cbor::Result<Generation> {
    let at = r.pos();
    let (mut gen, mut chunks, mut base, mut sum) = (None, None, None, None);
    r.fields(|r, key, at| match key {
        b"gen" => once(r, &mut gen, "gen", at, |r| r.u64()),
        b"chunks" => once(r, &mut chunks, "chunks", at, |r| r.uint()),
        b"base" => once(r, &mut base, "base", at, |r| r.u64()),
        b"sum" => once(r, &mut sum, "sum", at, |r| r.u64()),
        _ => Ok(false),
    })?;
    Ok(Generation {
        gen: required(r, gen, "gen", at)?,
        chunks: required(r, chunks, "chunks", at)?,
        base: required(r, base, "base", at)?,
        sum: required(r, sum, "sum", at)?,
    })
}

fn read_meta(r: &mut Reader<'_>) -> cbor::Result<DbMeta> {
    let at = r.pos();
    let (mut v, mut current, mut prev, mut last) = (None, None, None, None);
    let (mut next_block, mut epoch, mut q_log, mut q_gens) = (None, None, None, None);
    r.fields(|r, key, at| match key {
        b"v" => once(r, &mut v, "v", at, |r| r.uint()),
        b"current" => once(r, &mut current, "current", at, |r| {
            r.option(read_generation)
        }),
        b"prev" => once(r, &mut prev, "prev", at, |r| r.option(read_generation)),
        b"last" => once(r, &mut last, "last", at, |r| r.u64()),
        b"next_block" => once(r, &mut next_block, "next_block", at, |r| r.u64()),
        b"epoch" => once(r, &mut epoch, "epoch", at, |r| r.u64()),
        b"quarantine_log" => once(r, &mut q_log, "quarantine_log", at, |r| r.seq(|r| r.u64())),
        b"quarantine_gens" => once(r, &mut q_gens, "quarantine_gens", at, |r| {
            r.seq(read_generation)
        }),
        _ => Ok(false),
    })?;
    Ok(DbMeta {
        v: required(r, v, "v", at)?,
        current: current.flatten(),
        prev: prev.flatten(),
        last: required(r, last, "last", at)?,
        next_block: required(r, next_block, "next_block", at)?,
        epoch: required(r, epoch, "epoch", at)?,
        quarantine_log: required(r, q_log, "quarantine_log", at)?,
        quarantine_gens: required(r, q_gens, "quarantine_gens", at)?,
    })
}

fn bytes_array(items: impl IntoIterator<Item = Vec<u8>>) -> Array {
    items
        .into_iter()
        .map(|b| JsValue::from(Uint8Array::from(&b[..])))
        .collect()
}

fn strings(items: impl IntoIterator<Item = String>) -> Array {
    items.into_iter().map(|s| JsValue::from_str(&s)).collect()
}

impl HomeDb {
    fn parts(&self) -> (Db, Rc<RefCell<DbMeta>>) {
        (self.db.clone(), self.meta.clone())
    }
}

fn tx_err(e: rexie::Error) -> JsValue {
    js_err(db_err(e))
}

#[wasm_bindgen]
impl HomeDb {
    /// Opens (creating or upgrading) the database of home `name`.
    ///
    /// JS: `const db = await HomeDb.open("my-app")`
    pub fn open(name: String) -> js_sys::Promise {
        future_to_promise(async move {
            let db_name = format!("luahome:{name}");
            let db = Rexie::builder(&db_name)
                .version(DB_VERSION)
                .add_object_store(ObjectStore::new("meta"))
                .add_object_store(ObjectStore::new("chunks"))
                .add_object_store(ObjectStore::new("log"))
                .build()
                .await
                .map_err(|e| {
                    js_err(format!(
                        "cannot open IndexedDB database {db_name}: {}",
                        db_err(e)
                    ))
                })?;
            Ok(HomeDb {
                db: Db(Rc::new(db)),
                name,
                meta: Rc::default(),
            }
            .into())
        })
    }

    /// The home's name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// Loads the whole home. Resolves with `{records, seq, epoch, damage,
    /// recovered}`: `records` is a snapshot for `new LuaRuntime({homeRecords})`,
    /// `damage` lists what could not be read. When something was damaged, a
    /// fresh generation is written from what loaded and the damaged records
    /// are quarantined (kept, never deleted), so later flushes replay; call
    /// under the home's lock.
    ///
    /// JS: `const home = await db.load()`
    pub fn load(&self) -> js_sys::Promise {
        let (db, shared) = self.parts();
        future_to_promise(async move {
            let meta = db.read_meta().await.map_err(js_err)?;
            *shared.borrow_mut() = meta.clone();
            let loaded = db.load(&meta).await.map_err(js_err)?;
            let snapshot = store::encode_snapshot(&loaded.records);
            let mut recovered = false;
            let mut damage = loaded.damage;
            if loaded.log_damaged_at.is_some() || loaded.current_damaged {
                let last = meta.last;
                let result = db
                    .compact(
                        meta.clone(),
                        &snapshot,
                        last,
                        loaded.log_damaged_at,
                        loaded.current_damaged,
                    )
                    .await;
                match result {
                    Ok(m) => {
                        *shared.borrow_mut() = m;
                        recovered = true;
                    }
                    Err(e) => damage.push(format!("could not write a recovered snapshot: {e}")),
                }
            }
            let out = Object::new();
            set(&out, "records", Uint8Array::from(&snapshot[..]));
            set(&out, "seq", meta.last as f64);
            set(&out, "epoch", meta.epoch as f64);
            set(&out, "damage", strings(damage));
            set(&out, "recovered", recovered);
            Ok(out.into())
        })
    }

    /// Reads what other runtimes committed after `seq`. Resolves with
    /// `{seq, epoch, batches, resync, logLength}`: `batches` are encoded
    /// batches to apply in order; `resync` (instead) is a whole snapshot when
    /// `seq` is too old (the log it needs was compacted away) or `epoch`
    /// changed (an import), to be applied with `resyncHome`.
    ///
    /// JS: `const news = await db.readSince(seq, epoch)`
    #[wasm_bindgen(js_name = readSince)]
    pub fn read_since(&self, seq: f64, epoch: f64) -> js_sys::Promise {
        let (db, shared) = self.parts();
        let (seq, epoch) = (seq as u64, epoch as u64);
        future_to_promise(async move {
            let meta = db.read_meta().await.map_err(js_err)?;
            *shared.borrow_mut() = meta.clone();
            let out = Object::new();
            set(&out, "seq", meta.last as f64);
            set(&out, "epoch", meta.epoch as f64);
            let floor = meta.prev.or(meta.current).map_or(0, |g| g.base);
            let since_snapshot = meta.last.saturating_sub(meta.current.map_or(0, |g| g.base));
            set(&out, "logLength", since_snapshot as f64);
            if meta.last == seq && meta.epoch == epoch {
                set(&out, "batches", Array::new());
                return Ok(out.into());
            }
            let quarantined = meta.quarantine_log.iter().any(|q| *q > seq);
            if seq < floor || meta.epoch != epoch || quarantined || seq > meta.last {
                let loaded = db.load(&meta).await.map_err(js_err)?;
                set(&out, "batches", Array::new());
                let snapshot = store::encode_snapshot(&loaded.records);
                set(&out, "resync", Uint8Array::from(&snapshot[..]));
                set(&out, "damage", strings(loaded.damage));
                return Ok(out.into());
            }
            let log = db.read_log(seq).await.map_err(js_err)?;
            let mut batches = Vec::new();
            let mut expect = seq + 1;
            for (s, value) in log {
                if s != expect {
                    break;
                }
                match unseal(&value) {
                    Ok(p) => batches.push(p),
                    Err(_) => break,
                }
                expect += 1;
            }
            set(&out, "seq", (expect - 1) as f64);
            set(&out, "batches", bytes_array(batches));
            Ok(out.into())
        })
    }

    /// Appends one encoded batch as the next log record, with the metadata,
    /// in one transaction. Resolves with the new sequence number. Call under
    /// the home's lock right after `readSince`.
    ///
    /// JS: `seq = await db.append(batch)`
    pub fn append(&self, batch: Uint8Array) -> js_sys::Promise {
        let (db, shared) = self.parts();
        future_to_promise(async move {
            let mut meta = shared.borrow().clone();
            meta.last += 1;
            let seq = meta.last;
            let record = seal(&batch.to_vec());
            let meta_value = encode_meta(&meta);
            let tx =
                db.0.transaction(&["meta", "log"], TransactionMode::ReadWrite)
                    .map_err(tx_err)?;
            let log = tx.store("log").map_err(tx_err)?;
            let meta_store = tx.store("meta").map_err(tx_err)?;
            let meta_key = JsValue::from_str(META_KEY);
            let key = seq_key(seq);
            let (a, b) = futures_util::future::join(
                log.add(&record, Some(&key)),
                meta_store.put(&meta_value, Some(&meta_key)),
            )
            .await;
            if let Err(e) = a.and(b) {
                // The metadata must not commit without its log record.
                let _ = tx.abort().await;
                return Err(tx_err(e));
            }
            tx.done().await.map_err(tx_err)?;
            *shared.borrow_mut() = meta;
            Ok(JsValue::from_f64(seq as f64))
        })
    }

    /// Reserves a block of object ids for one runtime, starting at or after
    /// `min_start`. Resolves with `[start, end]`. Call under the home's lock.
    ///
    /// JS: `const [start, end] = await db.reserveIds(rt.homeMaxId() + 1)`
    #[wasm_bindgen(js_name = reserveIds)]
    pub fn reserve_ids(&self, min_start: f64) -> js_sys::Promise {
        let (db, shared) = self.parts();
        future_to_promise(async move {
            let mut meta = db.read_meta().await.map_err(js_err)?;
            let start = meta.next_block.max(min_start as u64).max(ID_BLOCK);
            let end = start.saturating_add(ID_BLOCK);
            if end > vm_ext::persist::model::MAX_ID {
                return Err(js_err(
                    "this home has reserved all of its object id blocks (2^25 runtimes opened it); new persistent objects cannot get ids",
                ));
            }
            meta.next_block = end;
            let value = encode_meta(&meta);
            let tx =
                db.0.transaction(&["meta"], TransactionMode::ReadWrite)
                    .map_err(tx_err)?;
            let store = tx.store("meta").map_err(tx_err)?;
            store
                .put(&value, Some(&JsValue::from_str(META_KEY)))
                .await
                .map_err(tx_err)?;
            tx.done().await.map_err(tx_err)?;
            *shared.borrow_mut() = meta;
            let out = Array::new();
            out.push(&JsValue::from_f64(start as f64));
            out.push(&JsValue::from_f64(end as f64));
            Ok(out.into())
        })
    }

    /// Folds the log into a new snapshot generation: `snapshot` (all records
    /// as of log record `seq`) is written in chunks, the metadata points at
    /// it, and log records and chunks no kept generation needs are deleted,
    /// in one transaction. Call under the home's lock after `readSince`.
    ///
    /// JS: `await db.compact(rt.homeRecordsNow(), seq)`
    pub fn compact(&self, snapshot: Uint8Array, seq: f64) -> js_sys::Promise {
        let (db, shared) = self.parts();
        future_to_promise(async move {
            let bytes = snapshot.to_vec();
            let meta = shared.borrow().clone();
            let meta = db
                .compact(meta, &bytes, seq as u64, None, false)
                .await
                .map_err(js_err)?;
            *shared.borrow_mut() = meta;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Replaces the whole home with `snapshot` (an import that was already
    /// validated): a new generation at the current sequence number and a new
    /// epoch, so every other runtime reloads. Also moves the id block
    /// counter past `max_id`. Resolves with the new epoch. Call under the
    /// home's lock after `readSince`.
    ///
    /// JS: `epoch = await db.replaceAll(records, maxId)`
    #[wasm_bindgen(js_name = replaceAll)]
    pub fn replace_all(&self, snapshot: Uint8Array, max_id: f64) -> js_sys::Promise {
        let (db, shared) = self.parts();
        future_to_promise(async move {
            let bytes = snapshot.to_vec();
            let mut meta = shared.borrow().clone();
            meta.epoch += 1;
            meta.next_block = meta.next_block.max(max_id as u64 + 1);
            let last = meta.last;
            let meta = db
                .compact(meta, &bytes, last, None, false)
                .await
                .map_err(js_err)?;
            let epoch = meta.epoch;
            *shared.borrow_mut() = meta;
            Ok(JsValue::from_f64(epoch as f64))
        })
    }

    /// The raw bytes of every quarantined record, as `[[label, Uint8Array]]`
    /// (for an export that loses nothing).
    ///
    /// JS: `const damaged = await db.quarantined()`
    pub fn quarantined(&self) -> js_sys::Promise {
        let (db, _) = self.parts();
        future_to_promise(async move {
            let meta = db.read_meta().await.map_err(js_err)?;
            let tx =
                db.0.transaction(&["chunks", "log"], TransactionMode::ReadOnly)
                    .map_err(tx_err)?;
            let log = tx.store("log").map_err(tx_err)?;
            let chunks = tx.store("chunks").map_err(tx_err)?;
            let mut labels = Vec::new();
            let mut gets = Vec::new();
            for seq in &meta.quarantine_log {
                labels.push(format!("log record {seq}"));
                gets.push(log.get(seq_key(*seq)));
            }
            for g in &meta.quarantine_gens {
                for i in 0..g.chunks {
                    labels.push(format!("snapshot generation {} chunk {i}", g.gen));
                    gets.push(chunks.get(chunk_key(g.gen, i)));
                }
            }
            let values = try_join_all(gets).await.map_err(tx_err)?;
            let out = Array::new();
            for (label, value) in labels.into_iter().zip(values) {
                if let Some(v) = value {
                    let pair = Array::new();
                    pair.push(&JsValue::from_str(&label));
                    pair.push(&Uint8Array::from(&raw_bytes(&v)[..]).into());
                    out.push(&pair);
                }
            }
            Ok(out.into())
        })
    }

    /// Closes the database connection (once no operation is running).
    pub fn close(self) {
        if let Ok(db) = Rc::try_unwrap(self.db.0) {
            db.close();
        }
    }
}
