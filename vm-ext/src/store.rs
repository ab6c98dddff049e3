//! The [`Store`] trait: where `_home` lives between runs. A store holds opaque
//! records (encoded key bytes -> encoded value bytes, both CBOR made by
//! [`crate::persist`]) and applies one [`Batch`] per flush atomically.
//!
//! Implementations: [`MemoryStore`] (tests, and hosts without persistence) and,
//! natively, [`FileStore`] (one file replaced atomically). The browser's
//! IndexedDB store lives in the wasm crate and appends [`Batch::encode`] as one
//! log record per flush.
//!
//! The trait is synchronous because flushes happen between VM slices. An
//! asynchronous backend (IndexedDB) reads its records before the runtime is
//! created (snapshot chunks from [`encode_snapshot`] plus the log replayed
//! with [`Batch::decode`] / [`Batch::apply_to`]) and hands them over in
//! [`Store::load_all`]; its [`Store::apply`] queues the encoded batch and
//! writes it in one transaction after the slice, keeping batches in order.

use std::{cell::RefCell, collections::BTreeMap, rc::Rc};

use serde::Serialize;
use thiserror::Error;

use crate::persist::cbor::{self, once, required, Reader};
use crate::persist::codec::ByteBuf;

/// Version of the [`Batch`] and snapshot envelopes.
pub const STORE_FORMAT_VERSION: u32 = 1;

/// Why a store could not load or save.
#[derive(Debug, Error)]
pub enum StoreError {
    /// Reading or writing the backing file failed.
    #[error("cannot access {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The backing data exists but cannot be decoded.
    #[error("{what} is corrupt: {detail}")]
    Corrupt { what: String, detail: String },
    /// The data was written by an unknown format version.
    #[error("{what} has format version {found}, this build reads version {expected}")]
    Version {
        what: String,
        found: u32,
        expected: u32,
    },
    /// A backend-specific failure (quota, missing database, ...).
    #[error("store backend failed: {0}")]
    Backend(String),
}

/// One flush: records to write and records to delete, applied all or nothing.
///
/// Keys and values are the encoded bytes made by [`crate::persist`]; a backend
/// never interprets them. A log-structured backend can append
/// [`Batch::encode`] as a single record and replay it with [`Batch::decode`]
/// and [`Batch::apply_to`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    /// `(key, value)` records to write (insert or replace).
    pub puts: Vec<(Vec<u8>, Vec<u8>)>,
    /// Keys to remove.
    pub deletes: Vec<Vec<u8>>,
}

#[derive(Serialize)]
#[cfg_attr(test, derive(serde::Deserialize, Debug))]
struct BatchWire {
    v: u32,
    puts: Vec<(ByteBuf, ByteBuf)>,
    deletes: Vec<ByteBuf>,
}

#[derive(Serialize)]
#[cfg_attr(test, derive(serde::Deserialize, Debug))]
struct SnapshotWire {
    v: u32,
    records: Vec<(ByteBuf, ByteBuf)>,
}

impl Batch {
    /// True when the batch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.puts.is_empty() && self.deletes.is_empty()
    }

    /// Number of records written plus deleted.
    pub fn len(&self) -> usize {
        self.puts.len() + self.deletes.len()
    }

    /// The batch as one versioned CBOR value (one log record).
    pub fn encode(&self) -> Vec<u8> {
        let wire = BatchWire {
            v: STORE_FORMAT_VERSION,
            puts: self
                .puts
                .iter()
                .map(|(k, v)| (ByteBuf(k.clone()), ByteBuf(v.clone())))
                .collect(),
            deletes: self.deletes.iter().map(|k| ByteBuf(k.clone())).collect(),
        };
        let mut out = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = ciborium::ser::into_writer(&wire, &mut out);
        out
    }

    /// Reads a batch written by [`Batch::encode`].
    pub fn decode(bytes: &[u8]) -> Result<Batch, StoreError> {
        let wire = read_batch(bytes).map_err(|e| corrupt("batch record", e))?;
        if wire.v != STORE_FORMAT_VERSION {
            return Err(StoreError::Version {
                what: "batch record".into(),
                found: wire.v,
                expected: STORE_FORMAT_VERSION,
            });
        }
        Ok(Batch {
            puts: wire.puts.into_iter().map(|(k, v)| (k.0, v.0)).collect(),
            deletes: wire.deletes.into_iter().map(|k| k.0).collect(),
        })
    }

    /// Folds a later batch into this one: afterwards applying `self` equals
    /// applying the old `self` and then `later`.
    pub fn merge(&mut self, later: Batch) {
        if self.is_empty() {
            *self = later;
            return;
        }
        let mut records: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
        for k in self.deletes.drain(..) {
            records.insert(k, None);
        }
        for (k, v) in self.puts.drain(..) {
            records.insert(k, Some(v));
        }
        for k in later.deletes {
            records.insert(k, None);
        }
        for (k, v) in later.puts {
            records.insert(k, Some(v));
        }
        for (k, v) in records {
            match v {
                Some(v) => self.puts.push((k, v)),
                None => self.deletes.push(k),
            }
        }
    }

    /// Applies the batch to an in-memory record map (deletes first, then
    /// puts; of two puts of one key the later wins).
    pub fn apply_to(&self, records: &mut BTreeMap<Vec<u8>, Vec<u8>>) {
        for k in &self.deletes {
            records.remove(k);
        }
        // A batch not much smaller than the map (a home's log replayed on
        // a small or no snapshot) is merged in one sorted bulk build instead
        // of an insert per record: the stable sort keeps the map's entry
        // before the batch's for a key, and the build keeps the last one.
        // 100,000 puts were ~80 ms of opening such a home in Chromium.
        if self.puts.len() >= BULK_PUTS && self.puts.len() * 4 >= records.len() {
            let mut all: Vec<(Vec<u8>, Vec<u8>)> = std::mem::take(records).into_iter().collect();
            all.extend(self.puts.iter().cloned());
            *records = records_from(all);
        } else {
            for (k, v) in &self.puts {
                records.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Puts from which [`Batch::apply_to`] may rebuild the map instead of
/// inserting one by one.
const BULK_PUTS: usize = 64;

/// A record map from pairs in any order, the later of two pairs of a key
/// kept. One function for every such build, so the module has one copy of
/// the sort behind it.
fn records_from(pairs: Vec<(Vec<u8>, Vec<u8>)>) -> BTreeMap<Vec<u8>, Vec<u8>> {
    pairs.into_iter().collect()
}

/// Encodes a whole record map as one versioned CBOR snapshot.
pub fn encode_snapshot(records: &BTreeMap<Vec<u8>, Vec<u8>>) -> Vec<u8> {
    let wire = SnapshotWire {
        v: STORE_FORMAT_VERSION,
        records: records
            .iter()
            .map(|(k, v)| (ByteBuf(k.clone()), ByteBuf(v.clone())))
            .collect(),
    };
    let mut out = Vec::new();
    let _ = ciborium::ser::into_writer(&wire, &mut out);
    out
}

/// Reads a snapshot written by [`encode_snapshot`]; `what` names it in errors.
pub fn decode_snapshot(bytes: &[u8], what: &str) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, StoreError> {
    let wire = read_snapshot(bytes).map_err(|e| corrupt(what, e))?;
    if wire.v != STORE_FORMAT_VERSION {
        return Err(StoreError::Version {
            what: what.to_string(),
            found: wire.v,
            expected: STORE_FORMAT_VERSION,
        });
    }
    Ok(records_from(
        wire.records.into_iter().map(|(k, v)| (k.0, v.0)).collect(),
    ))
}

/// What [`encode_export`] writes: a home as one file a user can keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HomeExport {
    /// Every record of the home.
    pub records: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Raw bytes of stored records that could not be read (a damaged log
    /// record, a damaged snapshot chunk), with a label saying where they
    /// were, so nothing a store kept is lost by exporting.
    pub damaged: Vec<(String, Vec<u8>)>,
}

const EXPORT_KIND: &str = "luahome-home";

#[derive(Serialize)]
#[cfg_attr(test, derive(serde::Deserialize, Debug))]
struct ExportWire {
    kind: String,
    v: u32,
    records: Vec<(ByteBuf, ByteBuf)>,
    damaged: Vec<(String, ByteBuf)>,
}

/// Encodes a whole home (and any damaged records) as one versioned CBOR value.
pub fn encode_export(export: &HomeExport) -> Vec<u8> {
    let wire = ExportWire {
        kind: EXPORT_KIND.into(),
        v: STORE_FORMAT_VERSION,
        records: export
            .records
            .iter()
            .map(|(k, v)| (ByteBuf(k.clone()), ByteBuf(v.clone())))
            .collect(),
        damaged: export
            .damaged
            .iter()
            .map(|(l, b)| (l.clone(), ByteBuf(b.clone())))
            .collect(),
    };
    let mut out = Vec::new();
    let _ = ciborium::ser::into_writer(&wire, &mut out);
    out
}

/// Reads an export written by [`encode_export`] (checks the envelope only;
/// the records are checked by building a model from them).
pub fn decode_export(bytes: &[u8]) -> Result<HomeExport, StoreError> {
    let what = "home export";
    let wire = read_export(bytes).map_err(|e| corrupt(what, e))?;
    if wire.kind != EXPORT_KIND {
        return Err(StoreError::Corrupt {
            what: what.into(),
            detail: format!("kind is {:?}, expected {EXPORT_KIND:?}", wire.kind),
        });
    }
    if wire.v != STORE_FORMAT_VERSION {
        return Err(StoreError::Version {
            what: what.into(),
            found: wire.v,
            expected: STORE_FORMAT_VERSION,
        });
    }
    let mut records = BTreeMap::new();
    for (k, v) in wire.records {
        if records.insert(k.0, v.0).is_some() {
            return Err(StoreError::Corrupt {
                what: what.into(),
                detail: "a record key appears twice".into(),
            });
        }
    }
    Ok(HomeExport {
        records,
        damaged: wire.damaged.into_iter().map(|(l, b)| (l, b.0)).collect(),
    })
}

// The envelopes are read by hand (see `crate::persist::cbor`): the same
// input serde's derives read, without a copy of ciborium's decoder per type.

fn corrupt(what: &str, e: cbor::CborError) -> StoreError {
    StoreError::Corrupt {
        what: what.to_string(),
        detail: e.to_string(),
    }
}

type Pairs = Vec<(ByteBuf, ByteBuf)>;

fn read_pairs(r: &mut Reader<'_>) -> cbor::Result<Pairs> {
    r.seq(|r| r.pair(|r| r.bytes().map(ByteBuf), |r| r.bytes().map(ByteBuf)))
}

fn read_batch(bytes: &[u8]) -> cbor::Result<BatchWire> {
    let r = &mut Reader::new(bytes);
    let (mut v, mut puts, mut deletes) = (None, None, None);
    r.fields(|r, key, at| match key {
        b"v" => once(r, &mut v, "v", at, |r| r.uint()),
        b"puts" => once(r, &mut puts, "puts", at, read_pairs),
        b"deletes" => once(r, &mut deletes, "deletes", at, |r| {
            r.seq(|r| r.bytes().map(ByteBuf))
        }),
        _ => Ok(false),
    })?;
    Ok(BatchWire {
        v: required(r, v, "v", 0)?,
        puts: required(r, puts, "puts", 0)?,
        deletes: required(r, deletes, "deletes", 0)?,
    })
}

fn read_snapshot(bytes: &[u8]) -> cbor::Result<SnapshotWire> {
    let r = &mut Reader::new(bytes);
    let (mut v, mut records) = (None, None);
    r.fields(|r, key, at| match key {
        b"v" => once(r, &mut v, "v", at, |r| r.uint()),
        b"records" => once(r, &mut records, "records", at, read_pairs),
        _ => Ok(false),
    })?;
    Ok(SnapshotWire {
        v: required(r, v, "v", 0)?,
        records: required(r, records, "records", 0)?,
    })
}

fn read_export(bytes: &[u8]) -> cbor::Result<ExportWire> {
    let r = &mut Reader::new(bytes);
    let (mut kind, mut v, mut records, mut damaged) = (None, None, None, None);
    r.fields(|r, key, at| match key {
        b"kind" => once(r, &mut kind, "kind", at, |r| r.text()),
        b"v" => once(r, &mut v, "v", at, |r| r.uint()),
        b"records" => once(r, &mut records, "records", at, read_pairs),
        b"damaged" => once(r, &mut damaged, "damaged", at, |r| {
            r.seq(|r| r.pair(|r| r.text(), |r| r.bytes().map(ByteBuf)))
        }),
        _ => Ok(false),
    })?;
    Ok(ExportWire {
        kind: required(r, kind, "kind", 0)?,
        v: required(r, v, "v", 0)?,
        records: required(r, records, "records", 0)?,
        damaged: required(r, damaged, "damaged", 0)?,
    })
}

/// Encoded `(key, value)` records.
pub type Records = Vec<(Vec<u8>, Vec<u8>)>;

/// Where `_home` records live between runs.
pub trait Store {
    /// Every record in the store, in any order.
    fn load_all(&mut self) -> Result<Records, StoreError>;
    /// Applies `batch` atomically: afterwards either all of it or none of it
    /// is visible, also to a later process.
    fn apply(&mut self, batch: &Batch) -> Result<(), StoreError>;
}

/// A store shared between a host and the runtimes it creates (two runtimes
/// can open the same store one after the other, like two page loads).
pub type SharedStore = Rc<RefCell<dyn Store>>;

/// Wraps a store for [`crate::RuntimeOptions::store`].
pub fn shared(store: impl Store + 'static) -> SharedStore {
    Rc::new(RefCell::new(store))
}

/// A store in memory: the test backend, and the default for hosts that do not
/// persist. Clones share the same records.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    records: Rc<RefCell<BTreeMap<Vec<u8>, Vec<u8>>>>,
    batches: Rc<RefCell<u64>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of every record, for comparing store contents byte for byte.
    pub fn records(&self) -> BTreeMap<Vec<u8>, Vec<u8>> {
        self.records.borrow().clone()
    }

    /// Number of batches applied so far.
    pub fn batches_applied(&self) -> u64 {
        *self.batches.borrow()
    }

    /// Replaces one record's bytes (tests use it to damage a store).
    pub fn put_raw(&self, key: Vec<u8>, value: Vec<u8>) {
        self.records.borrow_mut().insert(key, value);
    }
}

impl Store for MemoryStore {
    fn load_all(&mut self) -> Result<Records, StoreError> {
        Ok(self
            .records
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn apply(&mut self, batch: &Batch) -> Result<(), StoreError> {
        batch.apply_to(&mut self.records.borrow_mut());
        *self.batches.borrow_mut() += 1;
        Ok(())
    }
}

/// A store for hosts that persist asynchronously (the browser's IndexedDB):
/// it starts from records the host read beforehand, and [`Store::apply`]
/// only queues each batch; the host takes them with [`QueueStore::take`],
/// writes them, and puts a failed batch back into the model's dirty set.
/// Clones share the queue.
#[derive(Debug, Clone, Default)]
pub struct QueueStore {
    initial: Rc<RefCell<Records>>,
    queue: Rc<RefCell<Batch>>,
}

impl QueueStore {
    /// A store whose [`Store::load_all`] returns `records` (once).
    pub fn new(records: Records) -> Self {
        QueueStore {
            initial: Rc::new(RefCell::new(records)),
            queue: Rc::default(),
        }
    }

    /// Every batch applied since the last call, merged into one.
    pub fn take(&self) -> Batch {
        std::mem::take(&mut *self.queue.borrow_mut())
    }

    /// The merged batch waiting to be taken.
    pub fn pending(&self) -> std::cell::Ref<'_, Batch> {
        self.queue.borrow()
    }
}

impl Store for QueueStore {
    fn load_all(&mut self) -> Result<Records, StoreError> {
        Ok(std::mem::take(&mut *self.initial.borrow_mut()))
    }

    fn apply(&mut self, batch: &Batch) -> Result<(), StoreError> {
        self.queue.borrow_mut().merge(batch.clone());
        Ok(())
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use file::FileStore;

#[cfg(not(target_arch = "wasm32"))]
mod file {
    use std::{
        collections::BTreeMap,
        fs,
        io::Write,
        path::{Path, PathBuf},
    };

    use super::{decode_snapshot, encode_snapshot, Batch, Records, Store, StoreError};

    /// A store in one file: a CBOR snapshot of every record, replaced
    /// atomically on each flush (write a temporary file, fsync, rename).
    /// A missing file is an empty store; a corrupt one is an error naming it,
    /// and nothing is overwritten.
    #[derive(Debug)]
    pub struct FileStore {
        path: PathBuf,
        records: BTreeMap<Vec<u8>, Vec<u8>>,
    }

    impl FileStore {
        /// Opens (reading now) the store at `path`; creates the file if it is missing.
        pub fn open(path: impl AsRef<Path>) -> Result<FileStore, StoreError> {
            let path = path.as_ref().to_path_buf();
            let name = path.display().to_string();
            let records = match fs::read(&path) {
                Ok(bytes) if bytes.is_empty() => BTreeMap::new(),
                Ok(bytes) => decode_snapshot(&bytes, &name)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let mut store = FileStore {
                        path,
                        records: BTreeMap::new(),
                    };
                    store.write()?;
                    return Ok(store);
                }
                Err(source) => return Err(StoreError::Io { path: name, source }),
            };
            Ok(FileStore { path, records })
        }

        /// The file this store writes.
        pub fn path(&self) -> &Path {
            &self.path
        }

        fn write(&mut self) -> Result<(), StoreError> {
            let io = |source| StoreError::Io {
                path: self.path.display().to_string(),
                source,
            };
            let bytes = encode_snapshot(&self.records);
            let mut tmp = self.path.clone().into_os_string();
            tmp.push(".tmp");
            let tmp = PathBuf::from(tmp);
            let mut file = fs::File::create(&tmp).map_err(io)?;
            file.write_all(&bytes).map_err(io)?;
            file.sync_all().map_err(io)?;
            drop(file);
            fs::rename(&tmp, &self.path).map_err(io)?;
            if let Some(dir) = self.path.parent() {
                let dir = if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                };
                if let Ok(d) = fs::File::open(dir) {
                    let _ = d.sync_all();
                }
            }
            Ok(())
        }
    }

    impl Store for FileStore {
        fn load_all(&mut self) -> Result<Records, StoreError> {
            Ok(self
                .records
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect())
        }

        fn apply(&mut self, batch: &Batch) -> Result<(), StoreError> {
            // The file is rewritten whole, so a failed write leaves the old
            // file in place and the next successful flush catches up.
            batch.apply_to(&mut self.records);
            self.write()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn samples() -> Vec<(u8, Vec<u8>)> {
        let batch = Batch {
            puts: vec![(b"k".to_vec(), vec![0; 300]), (vec![], vec![1])],
            deletes: vec![b"gone".to_vec()],
        };
        let records: BTreeMap<_, _> = batch.puts.iter().cloned().collect();
        let export = HomeExport {
            records: records.clone(),
            damaged: vec![("log record 3".into(), vec![9, 9])],
        };
        vec![
            (0, batch.encode()),
            (1, encode_snapshot(&records)),
            (2, encode_export(&export)),
        ]
    }

    fn serde_decode<T: serde::de::DeserializeOwned + std::fmt::Debug>(b: &[u8]) -> Option<String> {
        ciborium::de::from_reader::<T, _>(b)
            .ok()
            .map(|w| format!("{w:?}"))
    }

    /// The hand-written reader accepts only what serde's derives accept,
    /// and reads it the same (`lenient`: it may reject more, see
    /// `persist::cbor`).
    fn agree(which: u8, b: &[u8], lenient: bool) -> Result<(), String> {
        let ok = |x: cbor::Result<String>| x.ok();
        let (mine, theirs) = match which {
            0 => (
                ok(read_batch(b).map(|w| format!("{w:?}"))),
                serde_decode::<BatchWire>(b),
            ),
            1 => (
                ok(read_snapshot(b).map(|w| format!("{w:?}"))),
                serde_decode::<SnapshotWire>(b),
            ),
            _ => (
                ok(read_export(b).map(|w| format!("{w:?}"))),
                serde_decode::<ExportWire>(b),
            ),
        };
        if mine == theirs || (lenient && mine.is_none()) {
            Ok(())
        } else {
            Err(format!(
                "decoders disagree on kind {which}: {b:02x?}: {mine:?} / {theirs:?}"
            ))
        }
    }

    #[test]
    fn envelopes_round_trip_and_agree_with_serde() {
        for (which, bytes) in samples() {
            agree(which, &bytes, false).unwrap();
        }
        let (_, bytes) = &samples()[0];
        assert_eq!(
            Batch::decode(bytes).unwrap().deletes,
            vec![b"gone".to_vec()]
        );
    }

    /// The batch applied one record at a time, as `apply_to` did before
    /// its bulk path.
    fn apply_one_by_one(batch: &Batch, records: &mut BTreeMap<Vec<u8>, Vec<u8>>) {
        for k in &batch.deletes {
            records.remove(k);
        }
        for (k, v) in &batch.puts {
            records.insert(k.clone(), v.clone());
        }
    }

    #[test]
    fn a_large_batch_applies_as_one_put_after_another() {
        // Unsorted keys, a key put twice (the later wins), a key of the map
        // deleted and put again, one deleted only: on both paths.
        for map_len in [0usize, 10, 1000] {
            let mut records: BTreeMap<Vec<u8>, Vec<u8>> = (0..map_len as u32)
                .map(|i| (i.to_be_bytes().to_vec(), vec![1]))
                .collect();
            let mut puts: Vec<_> = (0..300u32)
                .rev()
                .map(|i| ((i * 7).to_be_bytes().to_vec(), vec![2, i as u8]))
                .collect();
            puts.push((14u32.to_be_bytes().to_vec(), vec![3]));
            let batch = Batch {
                puts,
                deletes: vec![7u32.to_be_bytes().to_vec(), 5u32.to_be_bytes().to_vec()],
            };
            let mut expected = records.clone();
            apply_one_by_one(&batch, &mut expected);
            batch.apply_to(&mut records);
            assert_eq!(records, expected, "map of {map_len}");
            assert_eq!(records[14u32.to_be_bytes().as_slice()], vec![3]);
            assert!(!records.contains_key(5u32.to_be_bytes().as_slice()));
            assert_eq!(records[7u32.to_be_bytes().as_slice()], vec![2, 1]);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        #[test]
        fn apply_to_equals_one_put_after_another(
            map in prop::collection::btree_map(prop::collection::vec(0u8..4, 0..3), any::<u8>().prop_map(|b| vec![b]), 0..40),
            puts in prop::collection::vec((prop::collection::vec(0u8..4, 0..3), any::<u8>().prop_map(|b| vec![b])), 0..200),
            deletes in prop::collection::vec(prop::collection::vec(0u8..4, 0..3), 0..10),
        ) {
            let batch = Batch { puts, deletes };
            let mut expected = map.clone();
            apply_one_by_one(&batch, &mut expected);
            let mut got = map;
            batch.apply_to(&mut got);
            prop_assert_eq!(got, expected);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn damaged_envelopes_decode_as_serde_decodes_them(
            which in any::<prop::sample::Index>(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..4),
        ) {
            let samples = samples();
            let (kind, mut bytes) = samples[which.index(samples.len())].clone();
            crate::persist::cbor::damage(&mut bytes, &edits);
            agree(kind, &bytes, true).map_err(TestCaseError::fail)?;
        }
    }
}
