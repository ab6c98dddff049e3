//! [`HomeModel`]: the persistent `_home` graph as plain Rust data — tables of
//! entries, function records and upvalue cells — with dirty tracking, the
//! sweep of unreachable objects, and conversion to and from store records.

use std::collections::{BTreeMap, HashMap, HashSet};

use thiserror::Error;

use super::codec::{
    self, CodecError, FunctionRecord, MetaRecord, PKey, PValue, RecordKey, UpvalueSlot,
    FORMAT_VERSION,
};
use crate::store::{Batch, StoreError};

/// The id of the home table.
pub const HOME_TABLE_ID: u64 = 1;

/// Ids stay below this (2^53, so they survive a trip through a JS number).
pub const MAX_ID: u64 = 1 << 53;

/// Why a home could not be loaded or saved.
#[derive(Debug, Error)]
pub enum ModelError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A record failed to decode.
    #[error("{context}: {source}")]
    Record {
        context: String,
        #[source]
        source: CodecError,
    },
    /// The records decode but do not fit together.
    #[error("inconsistent home: {0}")]
    Inconsistent(String),
}

/// One persistent table: entries ordered by key (integers first, so array
/// parts iterate in order).
pub type PTable = BTreeMap<PKey, PValue>;

/// One store record, decoded.
enum Record {
    Meta(MetaRecord),
    Entry(u64, PKey, PValue),
    Function(u64, FunctionRecord),
    Cell(u64, Option<PValue>),
}

fn decode_record_key(k: &[u8]) -> Result<RecordKey, ModelError> {
    codec::decode_key(k).map_err(|source| ModelError::Record {
        context: "record key".into(),
        source,
    })
}

/// Decodes the value `v` of the record stored under `key`.
fn decode_record(key: RecordKey, v: &[u8]) -> Result<Record, ModelError> {
    // The key is formatted only for an error (not once per record).
    #[cold]
    fn fail(key: RecordKey, source: CodecError) -> ModelError {
        ModelError::Record {
            context: format!("{key:?}"),
            source,
        }
    }
    Ok(match key {
        RecordKey::Meta => match codec::decode_meta(v) {
            Ok(m) => Record::Meta(m),
            Err(e) => return Err(fail(RecordKey::Meta, e)),
        },
        RecordKey::Entry(t, pk) => match codec::decode_entry(v) {
            Ok(e) => Record::Entry(t, pk, e),
            Err(e) => return Err(fail(RecordKey::Entry(t, pk), e)),
        },
        RecordKey::Function(id) => match codec::decode_function(v) {
            Ok(f) => Record::Function(id, f),
            Err(e) => return Err(fail(RecordKey::Function(id), e)),
        },
        RecordKey::Cell(id) => match codec::decode_cell(v) {
            Ok(c) => Record::Cell(id, c),
            Err(e) => return Err(fail(RecordKey::Cell(id), e)),
        },
    })
}

fn same_cell(a: &Option<PValue>, b: &Option<PValue>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.same(b),
        (None, None) => true,
        _ => false,
    }
}

/// The whole persistent graph of one home.
#[derive(Debug, Default, Clone)]
pub struct HomeModel {
    /// Persistent tables by id (an empty table has no entry records).
    pub tables: HashMap<u64, PTable>,
    /// Function records by id (immutable once written).
    pub functions: HashMap<u64, FunctionRecord>,
    /// Upvalue cells by id.
    pub cells: HashMap<u64, Option<PValue>>,
    /// The next id to hand out (tables, functions and cells share ids).
    pub next_id: u64,
    /// The end of the id block this model may use (exclusive): runtimes that
    /// share one store each reserve a block, so their new objects never collide.
    id_end: u64,
    dirty: HashSet<RecordKey>,
    meta_dirty: bool,
    maybe_garbage: bool,
    /// Notices for the host (a legacy format, a refused upvalue at flush).
    pub warnings: Vec<String>,
}

impl HomeModel {
    /// An empty home: table 1 exists and metadata will be written at the first flush.
    pub fn new() -> Self {
        let mut m = HomeModel {
            next_id: HOME_TABLE_ID + 1,
            id_end: MAX_ID,
            meta_dirty: true,
            ..Default::default()
        };
        m.tables.insert(HOME_TABLE_ID, PTable::new());
        m
    }

    /// Builds the model from every record of a store.
    pub fn from_records(records: Vec<(Vec<u8>, Vec<u8>)>) -> Result<HomeModel, ModelError> {
        if records.is_empty() {
            return Ok(HomeModel::new());
        }
        let mut m = HomeModel {
            next_id: HOME_TABLE_ID + 1,
            id_end: MAX_ID,
            maybe_garbage: true,
            ..Default::default()
        };
        let mut meta = None;
        for (k, v) in records {
            match decode_record(decode_record_key(&k)?, &v)? {
                Record::Meta(m) => meta = Some(m),
                Record::Entry(t, pk, value) => {
                    m.tables.entry(t).or_default().insert(pk, value);
                }
                Record::Function(id, f) => {
                    m.functions.insert(id, f);
                }
                Record::Cell(id, c) => {
                    m.cells.insert(id, c);
                }
            }
        }
        let meta = meta.ok_or_else(|| ModelError::Inconsistent("no metadata record".into()))?;
        let home = match (meta.home_table_id, meta.memory_table_id) {
            (Some(h), _) => h,
            (None, Some(legacy)) => {
                m.warnings.push(
                    "this home uses the legacy metadata key `memoryTableId`; it will be \
                     rewritten with `homeTableId` (deprecated format)"
                        .into(),
                );
                m.meta_dirty = true;
                legacy
            }
            (None, None) => {
                return Err(ModelError::Inconsistent(
                    "metadata names no home table".into(),
                ))
            }
        };
        if home != HOME_TABLE_ID {
            return Err(ModelError::Inconsistent(format!(
                "home table id is {home}, expected {HOME_TABLE_ID}"
            )));
        }
        m.tables.entry(HOME_TABLE_ID).or_default();
        m.next_id = meta.next_id.max(m.max_id().saturating_add(1));
        if m.next_id > MAX_ID {
            return Err(ModelError::Inconsistent(format!(
                "object ids run past {MAX_ID}"
            )));
        }
        // Every reference must name an object of the right kind.
        let mut refs = Vec::new();
        for t in m.tables.values() {
            refs.extend(t.values().cloned());
        }
        refs.extend(m.cells.values().flatten().cloned());
        for v in &refs {
            match v {
                PValue::Function(id) if !m.functions.contains_key(id) => {
                    return Err(ModelError::Inconsistent(format!(
                        "a value names missing function {id}"
                    )))
                }
                PValue::Table(id) if m.functions.contains_key(id) || m.cells.contains_key(id) => {
                    return Err(ModelError::Inconsistent(format!(
                        "a table reference names object {id} of another kind"
                    )))
                }
                _ => {}
            }
        }
        for (id, f) in &m.functions {
            for s in &f.upvalues {
                if let UpvalueSlot::Cell(c) = s {
                    if !m.cells.contains_key(c) {
                        return Err(ModelError::Inconsistent(format!(
                            "function {id} names missing cell {c}"
                        )));
                    }
                }
            }
        }
        // Tables that are referenced but empty have no records.
        for v in refs {
            if let PValue::Table(id) = v {
                m.tables.entry(id).or_default();
            }
        }
        Ok(m)
    }

    /// Hands out a fresh object id.
    pub fn alloc_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        self.meta_dirty = true;
        id
    }

    /// Raises the next free id (ids handed out by a staged conversion).
    pub fn set_next_id(&mut self, next: u64) {
        if next != self.next_id {
            if self.next_id <= self.id_end && next > self.id_end {
                self.warnings.push(format!(
                    "this runtime used up its block of persistent object ids (ending at \
                     {}); objects created from now on may collide with another tab's",
                    self.id_end
                ));
            }
            self.next_id = next;
            self.meta_dirty = true;
        }
    }

    /// Makes this model hand out ids from `[start, end)`: a block reserved for
    /// this runtime in a store that several runtimes share (two browser tabs on
    /// one home). `start` below the ids already in use is raised past them.
    pub fn set_id_block(&mut self, start: u64, end: u64) {
        self.next_id = start.max(self.max_id().saturating_add(1));
        self.id_end = end.clamp(self.next_id, MAX_ID);
        self.meta_dirty = true;
    }

    /// The largest object id in use (1 when only the home table exists).
    pub fn max_id(&self) -> u64 {
        self.tables
            .keys()
            .chain(self.functions.keys())
            .chain(self.cells.keys())
            .copied()
            .max()
            .unwrap_or(HOME_TABLE_ID)
    }

    /// Applies records written by another runtime sharing the store (a
    /// batch another tab committed). Keys this model has changed and not yet
    /// committed — its dirty set and `protected` (batches handed to the store
    /// but not confirmed) — keep their local value, because the local write
    /// will be committed after the remote one. Nothing becomes dirty. Returns
    /// the ids of upvalue cells whose value changed, so live closures can be
    /// refreshed. The whole batch is decoded before anything changes.
    pub fn apply_remote(
        &mut self,
        batch: &Batch,
        protected: &HashSet<RecordKey>,
    ) -> Result<Vec<u64>, ModelError> {
        let mut changes = Vec::new();
        for k in &batch.deletes {
            changes.push((decode_record_key(k)?, None));
        }
        for (k, v) in &batch.puts {
            let key = decode_record_key(k)?;
            changes.push((key.clone(), Some(decode_record(key, v)?)));
        }
        let mut cells = Vec::new();
        for (key, record) in changes {
            if self.dirty.contains(&key) || protected.contains(&key) {
                continue;
            }
            match (record, key) {
                (Some(Record::Meta(_)), _) | (None, RecordKey::Meta) => {}
                (Some(Record::Entry(t, pk, v)), _) => self.set_remote_entry(t, pk, Some(v)),
                (None, RecordKey::Entry(t, pk)) => self.set_remote_entry(t, pk, None),
                (Some(Record::Function(id, f)), _) => {
                    self.functions.insert(id, f);
                }
                (None, RecordKey::Function(id)) => {
                    self.functions.remove(&id);
                }
                (Some(Record::Cell(id, c)), _) => {
                    let old = self.cells.insert(id, c.clone());
                    if old.is_none_or(|o| !same_cell(&o, &c)) {
                        cells.push(id);
                    }
                }
                (None, RecordKey::Cell(id)) => {
                    self.cells.remove(&id);
                }
            }
        }
        // Records of other runtimes may use ids up to their block's end; a
        // model without a block keeps handing out ids past every known one.
        if self.id_end == MAX_ID {
            self.next_id = self.next_id.max(self.max_id().saturating_add(1));
        }
        Ok(cells)
    }

    /// Sets an entry from another runtime's batch (not marked dirty).
    fn set_remote_entry(&mut self, table: u64, key: PKey, value: Option<PValue>) {
        let t = self.tables.entry(table).or_default();
        let old = match value {
            Some(v) => t.insert(key, v),
            None => t.remove(&key),
        };
        if let Some(PValue::Table(_) | PValue::Function(_)) = old {
            self.maybe_garbage = true;
        }
    }

    /// The batch that turns this model's records into `records` (for a
    /// runtime that fell too far behind the shared store and reloads it whole).
    pub fn diff_to(&self, records: &BTreeMap<Vec<u8>, Vec<u8>>) -> Batch {
        let current = self.all_records();
        let mut batch = Batch::default();
        for k in current.keys() {
            if !records.contains_key(k) {
                batch.deletes.push(k.clone());
            }
        }
        for (k, v) in records {
            if current.get(k) != Some(v) {
                batch.puts.push((k.clone(), v.clone()));
            }
        }
        batch
    }

    /// The keys of a batch, decoded (undecodable keys are skipped).
    pub fn batch_keys(batch: &Batch) -> impl Iterator<Item = RecordKey> + '_ {
        batch
            .puts
            .iter()
            .map(|(k, _)| k)
            .chain(batch.deletes.iter())
            .filter_map(|k| codec::decode_key(k).ok())
    }

    /// Asks for a sweep at the next flush.
    pub fn note_garbage(&mut self) {
        self.maybe_garbage = true;
    }

    /// Reads `table[key]`.
    pub fn get(&self, table: u64, key: &PKey) -> Option<&PValue> {
        self.tables.get(&table)?.get(key)
    }

    /// Writes `table[key] = value` (`None` deletes) and marks it dirty.
    pub fn set(&mut self, table: u64, key: PKey, value: Option<PValue>) {
        let t = self.tables.entry(table).or_default();
        let old = match &value {
            Some(v) => t.insert(key.clone(), v.clone()),
            None => t.remove(&key),
        };
        let changed = match (&old, &value) {
            (Some(a), Some(b)) => !a.same(b),
            (None, None) => false,
            _ => true,
        };
        if let Some(PValue::Table(_) | PValue::Function(_)) = old {
            if changed {
                self.maybe_garbage = true;
            }
        }
        if changed {
            self.dirty.insert(RecordKey::Entry(table, key));
        }
    }

    /// Adds a function record.
    pub fn put_function(&mut self, id: u64, record: FunctionRecord) {
        self.functions.insert(id, record);
        self.dirty.insert(RecordKey::Function(id));
    }

    /// Writes an upvalue cell; returns whether it changed.
    pub fn set_cell(&mut self, id: u64, value: Option<PValue>) -> bool {
        let old = self.cells.insert(id, value.clone());
        let changed = match (&old, &value) {
            (Some(Some(a)), Some(b)) => !a.same(b),
            (Some(None), None) => false,
            _ => true,
        };
        if changed {
            if let Some(Some(PValue::Table(_) | PValue::Function(_))) = old {
                self.maybe_garbage = true;
            }
            self.dirty.insert(RecordKey::Cell(id));
        }
        changed
    }

    /// Forgets every pending change (the model was just replaced wholesale).
    pub fn mark_clean(&mut self) {
        self.dirty.clear();
        self.meta_dirty = false;
    }

    /// Whether anything changed since the last [`HomeModel::take_batch`].
    pub fn is_dirty(&self) -> bool {
        !self.dirty.is_empty() || self.meta_dirty || self.maybe_garbage
    }

    /// Number of records waiting to be written.
    pub fn dirty_len(&self) -> usize {
        self.dirty.len()
    }

    /// The border `#t` of a table (any border, as Lua allows).
    pub fn length(&self, table: u64) -> i64 {
        let Some(t) = self.tables.get(&table) else {
            return 0;
        };
        if !t.contains_key(&PKey::Int(1)) {
            return 0;
        }
        // Unbounded search for an absent key, then binary search for a border.
        let mut i: i64 = 1;
        let mut j: i64 = 2;
        while t.contains_key(&PKey::Int(j)) {
            i = j;
            if j > i64::MAX / 2 {
                // Fall back to a linear walk for absurd keys.
                let mut k = 1;
                while t.contains_key(&PKey::Int(k + 1)) {
                    k += 1;
                }
                return k;
            }
            j *= 2;
        }
        while j - i > 1 {
            let m = i + (j - i) / 2;
            if t.contains_key(&PKey::Int(m)) {
                i = m;
            } else {
                j = m;
            }
        }
        i
    }

    /// The entry after `key` (`None` for the first), as `next` would return it.
    pub fn next_entry(&self, table: u64, key: Option<&PKey>) -> Option<(&PKey, &PValue)> {
        use std::ops::Bound;
        let t = self.tables.get(&table)?;
        match key {
            None => t.iter().next(),
            Some(k) => t.range((Bound::Excluded(k), Bound::Unbounded)).next(),
        }
    }

    /// Marks from the home table (and `extra_roots`, tables the running
    /// program still holds) and forgets everything unreachable; their
    /// records are deleted at the next batch.
    pub fn sweep(&mut self, extra_roots: impl IntoIterator<Item = u64>) {
        let mut live_tables = HashSet::new();
        let mut live_funcs = HashSet::new();
        let mut live_cells = HashSet::new();
        let mut stack: Vec<PValue> = vec![PValue::Table(HOME_TABLE_ID)];
        stack.extend(
            extra_roots
                .into_iter()
                .filter(|id| self.tables.contains_key(id))
                .map(PValue::Table),
        );
        while let Some(v) = stack.pop() {
            match v {
                PValue::Table(id) if live_tables.insert(id) => {
                    if let Some(t) = self.tables.get(&id) {
                        stack.extend(
                            t.values()
                                .filter(|v| matches!(v, PValue::Table(_) | PValue::Function(_)))
                                .cloned(),
                        );
                    }
                }
                PValue::Function(id) if live_funcs.insert(id) => {
                    if let Some(f) = self.functions.get(&id) {
                        for s in &f.upvalues {
                            if let UpvalueSlot::Cell(c) = s {
                                if live_cells.insert(*c) {
                                    if let Some(Some(v)) = self.cells.get(c) {
                                        stack.push(v.clone());
                                    }
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        let dead_tables: Vec<u64> = self
            .tables
            .keys()
            .filter(|id| !live_tables.contains(id))
            .copied()
            .collect();
        for id in dead_tables {
            if let Some(t) = self.tables.remove(&id) {
                for k in t.into_keys() {
                    self.dirty.insert(RecordKey::Entry(id, k));
                }
            }
        }
        self.functions.retain(|id, _| {
            let keep = live_funcs.contains(id);
            if !keep {
                self.dirty.insert(RecordKey::Function(*id));
            }
            keep
        });
        self.cells.retain(|id, _| {
            let keep = live_cells.contains(id);
            if !keep {
                self.dirty.insert(RecordKey::Cell(*id));
            }
            keep
        });
        self.maybe_garbage = false;
    }

    /// Whether a sweep could free something.
    pub fn needs_sweep(&self) -> bool {
        self.maybe_garbage
    }

    /// The records changed since the last batch, as one batch; clears the dirty set.
    pub fn take_batch(&mut self) -> Batch {
        let mut batch = Batch::default();
        let mut dirty: Vec<RecordKey> = self.dirty.drain().collect();
        dirty.sort();
        for key in dirty {
            let value = match &key {
                RecordKey::Meta => None,
                RecordKey::Entry(t, k) => self.get(*t, k).map(codec::encode_entry),
                RecordKey::Function(id) => self.functions.get(id).map(codec::encode_function),
                RecordKey::Cell(id) => self.cells.get(id).map(codec::encode_cell),
            };
            let k = codec::encode_key(&key);
            match value {
                Some(v) => batch.puts.push((k, v)),
                None => batch.deletes.push(k),
            }
        }
        if self.meta_dirty {
            batch
                .puts
                .push((codec::encode_key(&RecordKey::Meta), self.meta_bytes()));
            self.meta_dirty = false;
        }
        batch
    }

    /// Puts everything back into the dirty set (after a failed write).
    pub fn restore_batch(&mut self, batch: &Batch) {
        for (k, _) in &batch.puts {
            if let Ok(key) = codec::decode_key(k) {
                if key == RecordKey::Meta {
                    self.meta_dirty = true;
                } else {
                    self.dirty.insert(key);
                }
            }
        }
        for k in &batch.deletes {
            if let Ok(key) = codec::decode_key(k) {
                self.dirty.insert(key);
            }
        }
    }

    fn meta_bytes(&self) -> Vec<u8> {
        codec::encode_meta(&MetaRecord {
            v: FORMAT_VERSION,
            home_table_id: Some(HOME_TABLE_ID),
            memory_table_id: Some(HOME_TABLE_ID),
            next_id: self.next_id,
        })
    }

    /// Every record of the model, as a store would hold them after flushing.
    pub fn all_records(&self) -> BTreeMap<Vec<u8>, Vec<u8>> {
        let mut out = BTreeMap::new();
        out.insert(codec::encode_key(&RecordKey::Meta), self.meta_bytes());
        for (id, t) in &self.tables {
            for (k, v) in t {
                out.insert(
                    codec::encode_key(&RecordKey::Entry(*id, k.clone())),
                    codec::encode_entry(v),
                );
            }
        }
        for (id, f) in &self.functions {
            out.insert(
                codec::encode_key(&RecordKey::Function(*id)),
                codec::encode_function(f),
            );
        }
        for (id, c) in &self.cells {
            out.insert(
                codec::encode_key(&RecordKey::Cell(*id)),
                codec::encode_cell(c),
            );
        }
        out
    }
}

impl HomeModel {
    /// The home as a JSON tree for inspectors: a table is
    /// `{"type": "table", "id": n, "entries": [{"key": k, "value": v}]}` (a
    /// table met a second time is `{"type": "table", "id": n, "ref": true}`),
    /// a stored closure `{"type": "function", "chunk": c, "line": l}`, a
    /// native function `{"type": "function", "native": name}`; strings are
    /// shown as UTF-8 (invalid bytes replaced) and numbers as JSON numbers
    /// (`inf`, `-inf` and `nan` as strings).
    pub fn inspect(&self) -> serde_json::Value {
        let mut seen = HashSet::new();
        self.inspect_table(HOME_TABLE_ID, &mut seen)
    }

    fn inspect_table(&self, id: u64, seen: &mut HashSet<u64>) -> serde_json::Value {
        use serde_json::json;
        if !seen.insert(id) {
            return json!({ "type": "table", "id": id, "ref": true });
        }
        let mut entries = Vec::new();
        if let Some(t) = self.tables.get(&id) {
            for (k, v) in t {
                let key = match k {
                    PKey::Int(i) => json!(i),
                    PKey::Float(bits) => json_float(f64::from_bits(*bits)),
                    PKey::Str(s) => json!(String::from_utf8_lossy(&s.0)),
                    PKey::Bool(b) => json!(b),
                };
                let value = self.inspect_value(v, seen);
                entries.push(json!({ "key": key, "value": value }));
            }
        }
        json!({ "type": "table", "id": id, "entries": entries })
    }

    fn inspect_value(&self, v: &PValue, seen: &mut HashSet<u64>) -> serde_json::Value {
        use serde_json::json;
        match v {
            PValue::Bool(b) => json!(b),
            PValue::Int(i) => json!(i),
            PValue::Float(f) => json_float(*f),
            PValue::Str(s) => json!(String::from_utf8_lossy(&s.0)),
            PValue::Table(id) => self.inspect_table(*id, seen),
            PValue::Function(id) => match self.functions.get(id) {
                Some(f) => json!({
                    "type": "function",
                    "chunk": String::from_utf8_lossy(&f.image.chunk_name.0),
                    "line": f.image.line_defined,
                }),
                None => json!({ "type": "function" }),
            },
            PValue::Native(name) => json!({ "type": "function", "native": name }),
        }
    }
}

impl HomeModel {
    /// [`inspect`](Self::inspect)'s tree as JSON text, written directly: the
    /// wasm edge uses this, so serde_json stays out of the wasm binary.
    pub fn inspect_json(&self) -> String {
        let mut out = String::new();
        let mut seen = HashSet::new();
        self.write_table(HOME_TABLE_ID, &mut seen, &mut out);
        out
    }

    fn write_table(&self, id: u64, seen: &mut HashSet<u64>, out: &mut String) {
        use std::fmt::Write;
        if !seen.insert(id) {
            let _ = write!(out, r#"{{"type":"table","id":{id},"ref":true}}"#);
            return;
        }
        let _ = write!(out, r#"{{"type":"table","id":{id},"entries":["#);
        if let Some(t) = self.tables.get(&id) {
            for (i, (k, v)) in t.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(r#"{"key":"#);
                match k {
                    PKey::Int(i) => {
                        let _ = write!(out, "{i}");
                    }
                    PKey::Float(bits) => write_json_float(f64::from_bits(*bits), out),
                    PKey::Str(s) => write_json_string(&String::from_utf8_lossy(&s.0), out),
                    PKey::Bool(b) => {
                        let _ = write!(out, "{b}");
                    }
                }
                out.push_str(r#","value":"#);
                self.write_value(v, seen, out);
                out.push('}');
            }
        }
        out.push_str("]}");
    }

    fn write_value(&self, v: &PValue, seen: &mut HashSet<u64>, out: &mut String) {
        use std::fmt::Write;
        match v {
            PValue::Bool(b) => {
                let _ = write!(out, "{b}");
            }
            PValue::Int(i) => {
                let _ = write!(out, "{i}");
            }
            PValue::Float(f) => write_json_float(*f, out),
            PValue::Str(s) => write_json_string(&String::from_utf8_lossy(&s.0), out),
            PValue::Table(id) => self.write_table(*id, seen, out),
            PValue::Function(id) => match self.functions.get(id) {
                Some(f) => {
                    out.push_str(r#"{"type":"function","chunk":"#);
                    write_json_string(&String::from_utf8_lossy(&f.image.chunk_name.0), out);
                    let _ = write!(out, r#","line":{}}}"#, f.image.line_defined);
                }
                None => out.push_str(r#"{"type":"function"}"#),
            },
            PValue::Native(name) => {
                out.push_str(r#"{"type":"function","native":"#);
                write_json_string(name, out);
                out.push('}');
            }
        }
    }
}

/// A finite float as a JSON number (`{:?}` keeps the `.0` and uses an
/// exponent for large and small magnitudes, both valid JSON); others as strings.
fn write_json_float(f: f64, out: &mut String) {
    use std::fmt::Write;
    if f.is_finite() {
        let _ = write!(out, "{f:?}");
    } else if f.is_nan() {
        out.push_str(r#""nan""#);
    } else if f > 0.0 {
        out.push_str(r#""inf""#);
    } else {
        out.push_str(r#""-inf""#);
    }
}

fn write_json_string(s: &str, out: &mut String) {
    use std::fmt::Write;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_float(f: f64) -> serde_json::Value {
    if f.is_finite() {
        serde_json::json!(f)
    } else if f.is_nan() {
        serde_json::json!("nan")
    } else if f > 0.0 {
        serde_json::json!("inf")
    } else {
        serde_json::json!("-inf")
    }
}
