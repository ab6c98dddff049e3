//! Conversion between Lua values and the persistent model: a staged deep copy
//! (all or nothing) from Lua into [`HomeModel`], and live values (proxies,
//! closures, shared upvalues) back out of it.

use std::collections::HashMap;

use gc_arena::{Collect, Gc};
use piccolo::{
    closure::{UpValue, UpValueState},
    Closure, Context, Function, String as LuaString, Table, UserData, Value,
};

use super::{ArenaState, Proxy};
use crate::interp::{self, ClosureRef, LuaClosure, UpState, UpvalueCell};
use crate::persist::{
    codec::{ByteBuf, FunctionRecord, PKey, PValue, UpvalueSlot},
    model::HomeModel,
    own_image, piccolo_image,
};

/// A live stored function, of either core.
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
pub(super) enum FunRef<'gc> {
    Piccolo(Closure<'gc>),
    /// A closure of the project's core (its Lua value is
    /// [`ClosureRef::callback`]).
    Own(ClosureRef<'gc>),
}

impl<'gc> FunRef<'gc> {
    /// The address that identifies the function as a Lua value.
    pub fn ptr(self) -> usize {
        match self {
            FunRef::Piccolo(c) => ptr_of_closure(c),
            FunRef::Own(c) => Gc::as_ptr(c.callback().into_inner()) as usize,
        }
    }

    pub fn value(self) -> Value<'gc> {
        match self {
            FunRef::Piccolo(c) => Value::Function(Function::Closure(c)),
            FunRef::Own(c) => Value::Function(c.function()),
        }
    }
}

/// A live upvalue of a stored function, of either core.
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
pub(super) enum CellRef<'gc> {
    Piccolo(UpValue<'gc>),
    Own(UpvalueCell<'gc>),
}

impl<'gc> CellRef<'gc> {
    pub fn ptr(self) -> usize {
        match self {
            CellRef::Piccolo(u) => ptr_of_upvalue(u),
            CellRef::Own(c) => Gc::as_ptr(c) as usize,
        }
    }

    /// The current value; `None` for an open piccolo upvalue that cannot be
    /// read here (`direct` false: a thread is running).
    pub fn get(self, ctx: Context<'gc>, direct: bool) -> Option<Value<'gc>> {
        match self {
            CellRef::Piccolo(u) => match u.get() {
                UpValueState::Closed(v) => Some(v),
                UpValueState::Open(o) => direct.then(|| o.get(&ctx)),
            },
            CellRef::Own(c) => match c.get() {
                UpState::Closed(v) => Some(v),
                UpState::Open { stack, index } => Some(
                    stack
                        .try_borrow()
                        .ok()?
                        .get(index)
                        .copied()
                        .unwrap_or(Value::Nil),
                ),
            },
        }
    }

    /// Whether the upvalue is closed (not a variable of a running frame).
    pub fn is_closed(self) -> bool {
        match self {
            CellRef::Piccolo(u) => matches!(u.get(), UpValueState::Closed(_)),
            CellRef::Own(c) => matches!(c.get(), UpState::Closed(_)),
        }
    }

    /// Sets a closed upvalue's value.
    pub fn set_closed(self, ctx: Context<'gc>, v: Value<'gc>) {
        match self {
            CellRef::Piccolo(u) => u.set(&ctx, UpValueState::Closed(v)),
            CellRef::Own(c) => c.set(&ctx, UpState::Closed(v)),
        }
    }
}

/// Why a value was refused.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// Where the value sits (`_home.a.b[3]`).
    pub path: String,
    /// What it is (`a thread`, `a userdata`, ...).
    pub what: String,
}

impl Refusal {
    /// The Lua error message.
    pub fn message(&self) -> String {
        format!("cannot store {} in {}", self.what, self.path)
    }
}

pub(super) fn ptr_of_table(t: Table<'_>) -> usize {
    Gc::as_ptr(t.into_inner()) as usize
}

pub(super) fn ptr_of_closure(c: Closure<'_>) -> usize {
    Gc::as_ptr(c.into_inner()) as usize
}

pub(super) fn ptr_of_upvalue(u: UpValue<'_>) -> usize {
    Gc::as_ptr(u.into_inner()) as usize
}

/// The proxy id of a userdata, if it is one of ours.
pub(super) fn proxy_id(u: UserData<'_>) -> Option<u64> {
    u.downcast_static::<Proxy>().ok().map(|p| p.id)
}

/// A Lua key as a persistent key; `Err` carries Lua's message.
pub fn to_key(v: Value<'_>) -> Result<PKey, String> {
    match v {
        Value::Nil => Err("table index is nil".into()),
        Value::Boolean(b) => Ok(PKey::Bool(b)),
        Value::Integer(i) => Ok(PKey::Int(i)),
        Value::Number(f) => PKey::from_float(f).ok_or_else(|| "table index is NaN".to_string()),
        Value::String(s) => Ok(PKey::Str(ByteBuf(s.as_bytes().to_vec()))),
        other => Err(format!(
            "a {} cannot be a key of a persistent table",
            other.type_name()
        )),
    }
}

/// A persistent key as a Lua value.
pub fn key_to_lua<'gc>(ctx: Context<'gc>, k: &PKey) -> Value<'gc> {
    match k {
        PKey::Int(i) => Value::Integer(*i),
        PKey::Float(b) => Value::Number(f64::from_bits(*b)),
        PKey::Bool(b) => Value::Boolean(*b),
        PKey::Str(s) => Value::String(LuaString::from_slice(&ctx, &s.0)),
    }
}

enum Work<'gc> {
    Table {
        table: Table<'gc>,
        id: u64,
        path: String,
    },
    Cell {
        index: usize,
        value: Value<'gc>,
        path: String,
    },
}

/// A staged table: its id, the plain table's address, and its entries.
type StagedTable = (u64, usize, Vec<(PKey, PValue)>);

/// Objects a successful conversion adds; applied by [`Staged::commit`].
#[derive(Default)]
pub(super) struct Staged<'gc> {
    pub next_id: u64,
    tables: Vec<StagedTable>,
    funcs: Vec<(u64, FunctionRecord, FunRef<'gc>)>,
    cells: Vec<(u64, Option<PValue>, CellRef<'gc>)>,
}

/// Converts Lua values into the model's terms without changing anything.
pub(super) struct Converter<'a, 'gc> {
    ctx: Context<'gc>,
    st: &'a ArenaState<'gc>,
    model: &'a HomeModel,
    /// Values of open upvalues read so far (by upvalue address).
    known: &'a HashMap<usize, Value<'gc>>,
    /// Open upvalues may be read directly (no thread is running).
    direct_open: bool,
    /// Plain tables met before in upvalue cells, to keep their ids.
    reuse: Option<&'a HashMap<usize, u64>>,
    tables: HashMap<usize, u64>,
    funcs: HashMap<usize, u64>,
    cells: HashMap<usize, u64>,
    work: Vec<Work<'gc>>,
    /// Open upvalues whose values are needed but unknown.
    pub missing: Vec<UpValue<'gc>>,
    staged: Staged<'gc>,
}

impl<'a, 'gc> Converter<'a, 'gc> {
    pub fn new(
        ctx: Context<'gc>,
        st: &'a ArenaState<'gc>,
        model: &'a HomeModel,
        known: &'a HashMap<usize, Value<'gc>>,
        direct_open: bool,
        reuse: Option<&'a HashMap<usize, u64>>,
    ) -> Self {
        Converter {
            ctx,
            st,
            model,
            known,
            direct_open,
            reuse,
            tables: HashMap::new(),
            funcs: HashMap::new(),
            cells: HashMap::new(),
            work: Vec::new(),
            missing: Vec::new(),
            staged: Staged {
                next_id: model.next_id,
                ..Default::default()
            },
        }
    }

    fn alloc(&mut self) -> u64 {
        let id = self.staged.next_id;
        self.staged.next_id = self.staged.next_id.saturating_add(1);
        id
    }

    /// Converts `v` (found at `path`) and everything it reaches.
    pub fn convert_root(&mut self, v: Value<'gc>, path: &str) -> Result<Option<PValue>, Refusal> {
        let root = self.convert(v, path)?;
        while let Some(w) = self.work.pop() {
            match w {
                Work::Table { table, id, path } => {
                    let mut entries = Vec::new();
                    // A weak table is stored as its live entries (a plain
                    // table in the home, as every metatable is dropped).
                    let weak = crate::weak::entries(self.ctx, table);
                    let raw = table
                        .iter()
                        .take(if weak.is_some() { 0 } else { usize::MAX });
                    for (k, v) in raw.chain(weak.into_iter().flatten()) {
                        let key = to_key(k).map_err(|_| Refusal {
                            path: path.clone(),
                            what: format!("a table with a {} key", k.type_name()),
                        })?;
                        let sub = format!("{path}{}", key.path_segment());
                        if let Some(pv) = self.convert(v, &sub)? {
                            entries.push((key, pv));
                        }
                    }
                    self.staged.tables.push((id, ptr_of_table(table), entries));
                }
                Work::Cell { index, value, path } => {
                    let pv = self.convert(value, &path)?;
                    if let Some(cell) = self.staged.cells.get_mut(index) {
                        cell.1 = pv;
                    }
                }
            }
        }
        Ok(root)
    }

    fn convert(&mut self, v: Value<'gc>, path: &str) -> Result<Option<PValue>, Refusal> {
        let refuse = |what: &str| Refusal {
            path: path.to_string(),
            what: what.to_string(),
        };
        Ok(Some(match v {
            Value::Nil => return Ok(None),
            Value::Boolean(b) => PValue::Bool(b),
            Value::Integer(i) => PValue::Int(i),
            Value::Number(f) => PValue::Float(f),
            Value::String(s) => PValue::Str(ByteBuf(s.as_bytes().to_vec())),
            Value::UserData(u) => match proxy_id(u) {
                Some(id) => PValue::Table(id),
                None => return Err(refuse("a userdata")),
            },
            Value::Thread(_) => return Err(refuse("a thread")),
            Value::Table(t) => {
                let ptr = ptr_of_table(t);
                if let Some(id) = self.tables.get(&ptr) {
                    return Ok(Some(PValue::Table(*id)));
                }
                let id = match self.reuse.and_then(|r| r.get(&ptr)) {
                    Some(id) if self.model.tables.contains_key(id) && *id != 1 => *id,
                    _ => self.alloc(),
                };
                self.tables.insert(ptr, id);
                self.work.push(Work::Table {
                    table: t,
                    id,
                    path: path.to_string(),
                });
                PValue::Table(id)
            }
            Value::Function(Function::Callback(c)) => {
                let ptr = Gc::as_ptr(c.into_inner()) as usize;
                if let Some(name) = self.st.native_names.get(&ptr) {
                    return Ok(Some(PValue::Native(name.clone())));
                }
                let Some(closure) = interp::as_lua_closure(self.ctx, Function::Callback(c)) else {
                    return Err(refuse("an unregistered native function"));
                };
                if let Some(id) = self.known_function(ptr) {
                    return Ok(Some(PValue::Function(id)));
                }
                let image = own_image::image_of(&closure.proto.to_proto());
                let cells = closure.upvalues.iter().map(|c| CellRef::Own(*c)).collect();
                self.stage_function(ptr, image, cells, FunRef::Own(closure), path)
            }
            Value::Function(Function::Closure(c)) => {
                let ptr = ptr_of_closure(c);
                if let Some(id) = self.known_function(ptr) {
                    return Ok(Some(PValue::Function(id)));
                }
                let image = piccolo_image::image_of(&c.prototype());
                let cells = c.upvalues().iter().map(|u| CellRef::Piccolo(*u)).collect();
                self.stage_function(ptr, image, cells, FunRef::Piccolo(c), path)
            }
        }))
    }

    /// Stages a new function record (of either core) with its upvalue cells.
    fn stage_function(
        &mut self,
        ptr: usize,
        image: crate::persist::FunctionImage,
        cells: Vec<CellRef<'gc>>,
        f: FunRef<'gc>,
        path: &str,
    ) -> PValue {
        let id = self.alloc();
        self.funcs.insert(ptr, id);
        let mut slots = Vec::new();
        for (i, cell) in cells.into_iter().enumerate() {
            slots.push(self.upvalue(cell, &format!("{path}<upvalue {}>", i + 1)));
        }
        self.staged.funcs.push((
            id,
            FunctionRecord {
                image,
                upvalues: slots,
            },
            f,
        ));
        PValue::Function(id)
    }

    /// The id of a function already stored or staged, by its address.
    fn known_function(&self, ptr: usize) -> Option<u64> {
        if let Some(id) = self.st.closure_ids.get(&ptr) {
            if self.model.functions.contains_key(id) {
                return Some(*id);
            }
        }
        self.funcs.get(&ptr).copied()
    }

    fn upvalue(&mut self, uv: CellRef<'gc>, path: &str) -> UpvalueSlot {
        let ptr = uv.ptr();
        if let Some(id) = self.st.cell_ids.get(&ptr) {
            if self.model.cells.contains_key(id) {
                return UpvalueSlot::Cell(*id);
            }
        }
        if let Some(id) = self.cells.get(&ptr) {
            return UpvalueSlot::Cell(*id);
        }
        let value = match (self.known.get(&ptr), uv.get(self.ctx, self.direct_open)) {
            (Some(v), _) => *v,
            (None, Some(v)) => v,
            (None, None) => {
                if let CellRef::Piccolo(u) = uv {
                    self.missing.push(u);
                }
                Value::Nil
            }
        };
        if let Value::Table(t) = value {
            if t == self.ctx.globals() {
                return UpvalueSlot::Env;
            }
        }
        let id = self.alloc();
        self.cells.insert(ptr, id);
        self.staged.cells.push((id, None, uv));
        self.work.push(Work::Cell {
            index: self.staged.cells.len() - 1,
            value,
            path: path.to_string(),
        });
        UpvalueSlot::Cell(id)
    }

    /// The staged objects, once conversion succeeded and nothing is missing.
    pub fn finish(self) -> Staged<'gc> {
        self.staged
    }
}

impl<'gc> Staged<'gc> {
    /// Applies the staged objects to the model and the arena maps. Tables
    /// that already exist (reused ids) get their contents replaced entry by
    /// entry, so only changes become dirty. Returns the plain tables'
    /// addresses and their ids.
    pub fn commit(self, model: &mut HomeModel, st: &mut ArenaState<'gc>) -> Vec<(usize, u64)> {
        if self.next_id > model.next_id {
            model.set_next_id(self.next_id);
        }
        let mut plain = Vec::new();
        for (id, ptr, entries) in self.tables {
            plain.push((ptr, id));
            let old_keys: Vec<PKey> = model
                .tables
                .get(&id)
                .map(|t| t.keys().cloned().collect())
                .unwrap_or_default();
            model.tables.entry(id).or_default();
            let new_keys: std::collections::HashSet<&PKey> = entries.iter().map(|e| &e.0).collect();
            for k in old_keys {
                if !new_keys.contains(&k) {
                    model.set(id, k, None);
                }
            }
            for (k, v) in entries {
                model.set(id, k, Some(v));
            }
        }
        for (id, record, f) in self.funcs {
            model.put_function(id, record);
            st.closure_ids.insert(f.ptr(), id);
            st.closures.insert(id, f);
        }
        for (id, value, uv) in self.cells {
            model.set_cell(id, value);
            st.cell_ids.insert(uv.ptr(), id);
            st.cells.insert(id, uv);
        }
        plain
    }
}

/// Builds live Lua values from the model: proxies, closures, shared cells.
pub(super) struct Materializer<'gc> {
    pending: Vec<(CellRef<'gc>, Option<PValue>)>,
}

impl<'gc> Materializer<'gc> {
    /// The upvalue cell `slot` names, made (closed, value pending) when this
    /// is its first closure. `own`: a cell of the project's core.
    fn cell(
        &mut self,
        ctx: Context<'gc>,
        st: &mut ArenaState<'gc>,
        model: &HomeModel,
        slot: &UpvalueSlot,
        own: bool,
    ) -> Result<CellRef<'gc>, String> {
        let closed = |v: Value<'gc>| {
            if own {
                CellRef::Own(Gc::new(&ctx, gc_arena::lock::Lock::new(UpState::Closed(v))))
            } else {
                CellRef::Piccolo(UpValue::new(&ctx, UpValueState::Closed(v)))
            }
        };
        Ok(match slot {
            UpvalueSlot::Env => closed(Value::Table(ctx.globals())),
            UpvalueSlot::Cell(cid) => match st.cells.get(cid) {
                Some(c) if matches!(c, CellRef::Own(_)) == own => *c,
                Some(_) => {
                    return Err(format!(
                        "upvalue cell {cid} is shared by functions of two different cores"
                    ))
                }
                None => {
                    let c = closed(Value::Nil);
                    st.cells.insert(*cid, c);
                    st.cell_ids.insert(c.ptr(), *cid);
                    let stored = model.cells.get(cid).cloned().flatten();
                    self.pending.push((c, stored));
                    c
                }
            },
        })
    }

    fn piccolo_closure(
        &mut self,
        ctx: Context<'gc>,
        st: &mut ArenaState<'gc>,
        model: &HomeModel,
        id: u64,
        record: &FunctionRecord,
    ) -> Result<FunRef<'gc>, String> {
        let proto = piccolo_image::prototype_of(ctx, &record.image)
            .map_err(|e| format!("function record {id} is damaged: {e}"))?;
        if proto.upvalues.len() != record.upvalues.len() {
            return Err(format!("function record {id} has mismatched upvalues"));
        }
        let mut upvalues =
            allocator_api2::vec::Vec::new_in(gc_arena::allocator_api::MetricsAlloc::new(&ctx));
        for slot in &record.upvalues {
            match self.cell(ctx, st, model, slot, false)? {
                CellRef::Piccolo(u) => upvalues.push(u),
                CellRef::Own(_) => return Err(format!("function record {id} has a foreign cell")),
            }
        }
        Ok(FunRef::Piccolo(Closure::from_parts(&ctx, proto, upvalues)))
    }

    fn own_closure(
        &mut self,
        ctx: Context<'gc>,
        st: &mut ArenaState<'gc>,
        model: &HomeModel,
        id: u64,
        record: &FunctionRecord,
    ) -> Result<FunRef<'gc>, String> {
        let proto = own_image::prototype_of(&record.image)
            .map_err(|e| format!("function record {id} is damaged: {e}"))?;
        if proto.upvalues.len() != record.upvalues.len() {
            return Err(format!("function record {id} has mismatched upvalues"));
        }
        let mut upvalues = Vec::with_capacity(record.upvalues.len());
        for slot in &record.upvalues {
            match self.cell(ctx, st, model, slot, true)? {
                CellRef::Own(c) => upvalues.push(c),
                CellRef::Piccolo(_) => {
                    return Err(format!("function record {id} has a foreign cell"))
                }
            }
        }
        Ok(FunRef::Own(LuaClosure::alloc(
            ctx,
            interp::ProtoRt::new(ctx, proto),
            upvalues.into(),
        )))
    }

    pub fn new() -> Self {
        Materializer {
            pending: Vec::new(),
        }
    }

    /// `value` as a Lua value; a function record that fails verification is an error.
    pub fn value(
        &mut self,
        ctx: Context<'gc>,
        st: &mut ArenaState<'gc>,
        model: &HomeModel,
        value: Option<&PValue>,
    ) -> Result<Value<'gc>, String> {
        let v = self.one(ctx, st, model, value)?;
        while let Some((uv, pv)) = self.pending.pop() {
            let inner = self.one(ctx, st, model, pv.as_ref())?;
            uv.set_closed(ctx, inner);
        }
        Ok(v)
    }

    fn one(
        &mut self,
        ctx: Context<'gc>,
        st: &mut ArenaState<'gc>,
        model: &HomeModel,
        value: Option<&PValue>,
    ) -> Result<Value<'gc>, String> {
        Ok(match value {
            None => Value::Nil,
            Some(PValue::Bool(b)) => Value::Boolean(*b),
            Some(PValue::Int(i)) => Value::Integer(*i),
            Some(PValue::Float(f)) => Value::Number(*f),
            Some(PValue::Str(s)) => Value::String(LuaString::from_slice(&ctx, &s.0)),
            Some(PValue::Table(id)) => Value::UserData(st.proxy(ctx, *id)),
            Some(PValue::Native(name)) => match st.natives.get(name) {
                Some(cb) => Value::Function(Function::Callback(*cb)),
                None => return Err(format!("stored native function '{name}' is not available")),
            },
            Some(PValue::Function(id)) => {
                if let Some(f) = st.closures.get(id) {
                    return Ok(f.value());
                }
                let record = model
                    .functions
                    .get(id)
                    .ok_or_else(|| format!("function record {id} is missing"))?;
                let own = record.image.core == own_image::CORE;
                let f = if own {
                    self.own_closure(ctx, st, model, *id, record)?
                } else {
                    self.piccolo_closure(ctx, st, model, *id, record)?
                };
                st.closures.insert(*id, f);
                st.closure_ids.insert(f.ptr(), *id);
                f.value()
            }
        })
    }
}
