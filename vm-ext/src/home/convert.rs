//! Conversion between Lua values and the persistent model: a staged deep copy
//! (all or nothing) from Lua into [`HomeModel`], and live values (proxies,
//! closures, shared upvalues) back out of it.

use std::collections::HashMap;

use gc_arena::Gc;
use piccolo::{
    closure::{UpValue, UpValueState},
    Closure, Context, Function, String as LuaString, Table, UserData, Value,
};

use super::{ArenaState, Proxy};
use crate::persist::{
    codec::{ByteBuf, FunctionRecord, PKey, PValue, UpvalueSlot},
    model::HomeModel,
    piccolo_image,
};

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
    funcs: Vec<(u64, FunctionRecord, Closure<'gc>)>,
    cells: Vec<(u64, Option<PValue>, UpValue<'gc>)>,
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
                    for (k, v) in table.iter() {
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
                match self.st.native_names.get(&ptr) {
                    Some(name) => PValue::Native(name.clone()),
                    None if crate::interp::as_lua_closure(self.ctx, Function::Callback(c))
                        .is_some() =>
                    {
                        return Err(refuse(
                            "a function of the luahome core (function images of this core \
                             are not implemented yet)",
                        ))
                    }
                    None => return Err(refuse("an unregistered native function")),
                }
            }
            Value::Function(Function::Closure(c)) => {
                let ptr = ptr_of_closure(c);
                if let Some(id) = self.st.closure_ids.get(&ptr) {
                    if self.model.functions.contains_key(id) {
                        return Ok(Some(PValue::Function(*id)));
                    }
                }
                if let Some(id) = self.funcs.get(&ptr) {
                    return Ok(Some(PValue::Function(*id)));
                }
                let id = self.alloc();
                self.funcs.insert(ptr, id);
                let image = piccolo_image::image_of(&c.prototype());
                let mut slots = Vec::new();
                for (i, uv) in c.upvalues().iter().enumerate() {
                    slots.push(self.upvalue(*uv, &format!("{path}<upvalue {}>", i + 1)));
                }
                self.staged.funcs.push((
                    id,
                    FunctionRecord {
                        image,
                        upvalues: slots,
                    },
                    c,
                ));
                PValue::Function(id)
            }
        }))
    }

    fn upvalue(&mut self, uv: UpValue<'gc>, path: &str) -> UpvalueSlot {
        let ptr = ptr_of_upvalue(uv);
        if let Some(id) = self.st.cell_ids.get(&ptr) {
            if self.model.cells.contains_key(id) {
                return UpvalueSlot::Cell(*id);
            }
        }
        if let Some(id) = self.cells.get(&ptr) {
            return UpvalueSlot::Cell(*id);
        }
        let value = match uv.get() {
            UpValueState::Closed(v) => v,
            UpValueState::Open(o) => {
                if let Some(v) = self.known.get(&ptr) {
                    *v
                } else if self.direct_open {
                    o.get(&self.ctx)
                } else {
                    self.missing.push(uv);
                    Value::Nil
                }
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
        for (id, record, closure) in self.funcs {
            model.put_function(id, record);
            st.closure_ids.insert(ptr_of_closure(closure), id);
            st.closures.insert(id, closure);
        }
        for (id, value, uv) in self.cells {
            model.set_cell(id, value);
            st.cell_ids.insert(ptr_of_upvalue(uv), id);
            st.cells.insert(id, uv);
        }
        plain
    }
}

/// Builds live Lua values from the model: proxies, closures, shared cells.
pub(super) struct Materializer<'gc> {
    pending: Vec<(UpValue<'gc>, Option<PValue>)>,
}

impl<'gc> Materializer<'gc> {
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
            uv.set(&ctx, UpValueState::Closed(inner));
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
                if let Some(c) = st.closures.get(id) {
                    return Ok(Value::Function(Function::Closure(*c)));
                }
                let record = model
                    .functions
                    .get(id)
                    .ok_or_else(|| format!("function record {id} is missing"))?;
                let proto = piccolo_image::prototype_of(ctx, &record.image)
                    .map_err(|e| format!("function record {id} is damaged: {e}"))?;
                if proto.upvalues.len() != record.upvalues.len() {
                    return Err(format!("function record {id} has mismatched upvalues"));
                }
                let mut upvalues = allocator_api2::vec::Vec::new_in(
                    gc_arena::allocator_api::MetricsAlloc::new(&ctx),
                );
                for slot in &record.upvalues {
                    let uv = match slot {
                        UpvalueSlot::Env => {
                            UpValue::new(&ctx, UpValueState::Closed(Value::Table(ctx.globals())))
                        }
                        UpvalueSlot::Cell(cid) => match st.cells.get(cid) {
                            Some(uv) => *uv,
                            None => {
                                let uv = UpValue::new(&ctx, UpValueState::Closed(Value::Nil));
                                st.cells.insert(*cid, uv);
                                st.cell_ids.insert(ptr_of_upvalue(uv), *cid);
                                let stored = model.cells.get(cid).cloned().flatten();
                                self.pending.push((uv, stored));
                                uv
                            }
                        },
                    };
                    upvalues.push(uv);
                }
                let closure = Closure::from_parts(&ctx, proto, upvalues);
                st.closures.insert(*id, closure);
                st.closure_ids.insert(ptr_of_closure(closure), *id);
                Value::Function(Function::Closure(closure))
            }
        })
    }
}
