//! `_home` (alias `Memory`): the persistent global table.
//!
//! `_home` and every persistent table read from it are piccolo userdata
//! proxies holding a table id; their metamethods read and write the
//! [`HomeModel`] directly, so `_home.player.hp = 4` persists without
//! re-assigning. Assigning a Lua table deep-copies it into persistent tables;
//! assigning a closure stores a function record whose upvalues become shared
//! cells. The arena side (proxies, live closures and upvalues, the native
//! function registry) lives in a piccolo singleton; the model lives outside
//! the arena and is shared with the [`crate::Runtime`], which flushes it.
//!
//! Proxies are kept in a weak id -> proxy map, so the same table read twice
//! is the same value while anything holds it. Stored closures and their
//! upvalues are kept strongly for the life of the runtime (their upvalues
//! are written at every flush).
//!
//! Upvalues: storing a closure reads each upvalue's current value (one that
//! is still open on the running thread is read by calling a tiny generated
//! reader closure, because piccolo keeps the running thread borrowed during
//! callbacks). `_ENV` (an upvalue holding the globals) is rebound on load,
//! never stored. At every flush the values of all live stored upvalues are
//! converted again; a plain Lua table held in such an upvalue keeps its
//! persistent ids and only changed entries are written. Within a run the
//! closure keeps seeing the plain table; after a reload it sees a proxy. A
//! value an upvalue takes later that cannot be stored (a coroutine) keeps the
//! last saved value and is reported as a warning.

pub mod convert;

use std::{cell::RefCell, collections::HashMap, rc::Rc};

use gc_arena::{lock::RefLock, Collect, Gc, GcWeak, Rootable};
use piccolo::{
    closure::UpValue, userdata::UserDataInner, BoxSequence, Callback, CallbackReturn, Closure,
    Context, Error, Execution, Fuel, Function, Sequence, SequencePoll, Singleton, Stack, Table,
    UserData, Value,
};
use thiserror::Error;

use self::convert::{key_to_lua, proxy_id, ptr_of_upvalue, to_key, Converter, Materializer};
use crate::{
    interp::native,
    persist::{
        codec::{PKey, PValue},
        model::{HomeModel, ModelError, HOME_TABLE_ID},
        piccolo_image,
    },
    store::{Batch, StoreError},
};

/// Errors of the `_home` machinery as the host sees them.
#[derive(Debug, Error)]
pub enum HomeError {
    /// The store's records could not be loaded.
    #[error("cannot load _home: {0}")]
    Load(#[from] ModelError),
    /// A flush could not be written; the changes stay pending.
    #[error("cannot save _home: {0}")]
    Save(#[from] StoreError),
    /// The operation needs the runtime idle, and a chunk is running.
    #[error("a chunk is running; _home cannot be replaced now")]
    Busy,
    /// The runtime is unusable (an earlier internal error).
    #[error("the runtime must be recreated before _home can be saved")]
    Unusable,
}

/// The model shared by the runtime and the `_home` callbacks.
pub type SharedModel = Rc<RefCell<HomeModel>>;

/// Writes `_home`'s pending changes to the store without entering the VM,
/// for a host that ends the process from inside a callback (`os.exit`):
/// table writes are saved; stored closures' upvalues keep the values of the
/// last full flush, and unreachable records wait for the next sweep.
#[derive(Clone)]
pub struct HomeSaver {
    pub(crate) model: SharedModel,
    pub(crate) store: Option<crate::store::SharedStore>,
}

impl HomeSaver {
    /// Writes the pending records; a no-op without a store.
    pub fn save(&self) -> Result<(), HomeError> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        let Ok(mut model) = self.model.try_borrow_mut() else {
            return Err(HomeError::Unusable);
        };
        let batch = model.take_batch();
        if batch.is_empty() {
            return Ok(());
        }
        let Ok(mut store) = store.try_borrow_mut() else {
            model.restore_batch(&batch);
            return Err(HomeError::Unusable);
        };
        if let Err(e) = store.apply(&batch) {
            model.restore_batch(&batch);
            return Err(e.into());
        }
        Ok(())
    }
}

/// The payload of a proxy userdata: which persistent table it shows.
#[derive(Debug, Clone, Copy)]
pub struct Proxy {
    /// The persistent table id (1 is `_home`).
    pub id: u64,
}

/// Upvalues read per call of the reader closure.
const READ_BATCH: usize = 200;

/// Arena-side state of `_home` for one runtime.
#[derive(Collect, Default)]
#[collect(no_drop)]
pub struct ArenaState<'gc> {
    #[collect(require_static)]
    model: Option<SharedModel>,
    proxy_meta: Option<Table<'gc>>,
    home_meta: Option<Table<'gc>>,
    home: Option<UserData<'gc>>,
    proxies: HashMap<u64, GcWeak<'gc, UserDataInner<'gc>>>,
    closures: HashMap<u64, convert::FunRef<'gc>>,
    #[collect(require_static)]
    closure_ids: HashMap<usize, u64>,
    cells: HashMap<u64, convert::CellRef<'gc>>,
    #[collect(require_static)]
    cell_ids: HashMap<usize, u64>,
    #[collect(require_static)]
    native_names: HashMap<usize, String>,
    natives: HashMap<String, Callback<'gc>>,
    #[collect(require_static)]
    cell_tables: HashMap<usize, u64>,
}

impl<'gc> ArenaState<'gc> {
    /// The proxy for persistent table `id` (the same one while it lives).
    pub fn proxy(&mut self, ctx: Context<'gc>, id: u64) -> UserData<'gc> {
        if let Some(w) = self.proxies.get(&id) {
            if let Some(inner) = w.upgrade(&ctx) {
                return UserData::from_inner(inner);
            }
        }
        let ud = UserData::new_static(&ctx, Proxy { id });
        let meta = if id == HOME_TABLE_ID {
            self.home_meta
        } else {
            self.proxy_meta
        };
        ud.set_metatable(&ctx, meta);
        self.proxies.insert(id, Gc::downgrade(ud.into_inner()));
        ud
    }
}

/// The singleton handle to [`ArenaState`].
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
pub struct HomeArena<'gc>(Gc<'gc, RefLock<ArenaState<'gc>>>);

impl<'gc> Singleton<'gc> for HomeArena<'gc> {
    fn create(ctx: Context<'gc>) -> Self {
        HomeArena(Gc::new(&ctx, RefLock::new(ArenaState::default())))
    }
}

fn arena<'gc>(ctx: Context<'gc>) -> HomeArena<'gc> {
    *ctx.singleton::<Rootable![HomeArena<'_>]>()
}

fn lua_err<'gc>(ctx: Context<'gc>, msg: impl AsRef<[u8]>) -> Error<'gc> {
    crate::stdlib::lua_error(ctx, msg)
}

fn model_of(st: &ArenaState<'_>) -> Result<SharedModel, String> {
    st.model
        .clone()
        .ok_or_else(|| "_home is not installed".to_string())
}

/// Installs `_home` (and `Memory` when `alias` is set) and `ext.table` into
/// the globals, and records every standard library function by name so it
/// can be stored. Call after the standard library is loaded.
pub fn install<'gc>(ctx: Context<'gc>, model: SharedModel, alias: bool) {
    let arena = arena(ctx);
    let globals = ctx.globals();
    {
        let mut st = arena.0.borrow_mut(&ctx);
        st.model = Some(model);
        register_natives(ctx, &mut st, globals);
        // The proxies' methods are natives: the luahome core calls them in
        // place, without a trip through the executor (`__newindex` for
        // plain values).
        let next = native::callback(ctx, next_method);
        let meta = |name: &'static str| {
            let mt = Table::new(&ctx);
            let _ = mt.set(ctx, "__name", name);
            let _ = mt.set(ctx, "__index", native::callback(ctx, index_method));
            // A native only for plain values: storing a closure reads its
            // open upvalues from the calling entry's registers, borrowed
            // while a native runs, so the native declines tables and
            // functions (which may hold closures) to the full callback.
            let newindex = Callback::from_fn(&ctx, newindex_method);
            native::register_fast(ctx, newindex, newindex_native, false);
            let _ = mt.set(ctx, "__newindex", newindex);
            let _ = mt.set(ctx, "__len", native::callback(ctx, len_method));
            let _ = mt.set(ctx, "__tostring", native::callback(ctx, tostring_method));
            let _ = mt.set(
                ctx,
                "__pairs",
                Callback::from_fn_with(&ctx, next, |next, ctx, _, mut stack| {
                    let this = stack.get(0);
                    stack.replace(ctx, (*next, this, Value::Nil));
                    Ok(CallbackReturn::Return)
                }),
            );
            let _ = mt.set(ctx, "__metatable", "persistent table");
            mt
        };
        st.home_meta = Some(meta("_home"));
        st.proxy_meta = Some(meta("persistent table"));
        let home = st.proxy(ctx, HOME_TABLE_ID);
        st.home = Some(home);
    }
    let home = home_value(ctx);
    let _ = globals.set(ctx, "_home", home);
    let _ = globals.set(ctx, "Memory", if alias { home } else { Value::Nil });
    let ext = match globals.get(ctx, "ext") {
        Value::Table(t) => t,
        _ => {
            let t = Table::new(&ctx);
            let _ = globals.set(ctx, "ext", t);
            t
        }
    };
    let _ = ext.set(ctx, "table", Callback::from_fn(&ctx, ext_table));
}

fn home_value<'gc>(ctx: Context<'gc>) -> Value<'gc> {
    arena(ctx)
        .0
        .borrow()
        .home
        .map_or(Value::Nil, Value::UserData)
}

/// Turns the `Memory` alias on or off.
pub fn set_alias<'gc>(ctx: Context<'gc>, enabled: bool) {
    let v = if enabled { home_value(ctx) } else { Value::Nil };
    let _ = ctx.globals().set(ctx, "Memory", v);
}

fn register_natives<'gc>(ctx: Context<'gc>, st: &mut ArenaState<'gc>, globals: Table<'gc>) {
    let mut found: Vec<(String, Callback<'gc>)> = Vec::new();
    for (k, v) in globals.iter() {
        let Value::String(name) = k else { continue };
        let Ok(name) = std::str::from_utf8(name.as_bytes()) else {
            continue;
        };
        match v {
            Value::Function(Function::Callback(c)) => found.push((name.to_string(), c)),
            Value::Table(t) if t != globals => {
                for (k2, v2) in t.iter() {
                    if let (Value::String(n2), Value::Function(Function::Callback(c))) = (k2, v2) {
                        if let Ok(n2) = std::str::from_utf8(n2.as_bytes()) {
                            found.push((format!("{name}.{n2}"), c));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let _ = ctx;
    // A function reachable under several names is stored under the least
    // (whatever the order the tables iterate in); chosen without sorting
    // `found`, which was a tenth of a runtime's construction.
    for (name, c) in found {
        let ptr = Gc::as_ptr(c.into_inner()) as usize;
        match st.native_names.entry(ptr) {
            std::collections::hash_map::Entry::Occupied(mut e) => {
                if name < *e.get() {
                    e.insert(name.clone());
                }
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(name.clone());
            }
        }
        st.natives.insert(name, c);
    }
}

fn this_id(v: Value<'_>) -> Option<u64> {
    match v {
        Value::UserData(u) => proxy_id(u),
        _ => None,
    }
}

fn index_method<'gc>(
    ctx: Context<'gc>,
    _: &mut Fuel,
    mut stack: Stack<'gc, '_>,
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    let id = this_id(stack.get(0)).ok_or_else(|| lua_err(ctx, "bad self for persistent table"))?;
    let key = stack.get(1);
    let Ok(pk) = to_key(key) else {
        stack.replace(ctx, Value::Nil);
        return Ok(CallbackReturn::Return);
    };
    let arena = arena(ctx);
    let mut st = arena.0.borrow_mut(&ctx);
    let model = model_of(&st).map_err(|e| lua_err(ctx, e))?;
    let model = model
        .try_borrow()
        .map_err(|_| lua_err(ctx, "_home is in use by the host"))?;
    let pv = model.get(id, &pk).cloned();
    let v = Materializer::new()
        .value(ctx, &mut st, &model, pv.as_ref())
        .map_err(|e| lua_err(ctx, e))?;
    stack.replace(ctx, v);
    Ok(CallbackReturn::Return)
}

fn len_method<'gc>(
    ctx: Context<'gc>,
    _: &mut Fuel,
    mut stack: Stack<'gc, '_>,
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    let id = this_id(stack.get(0)).ok_or_else(|| lua_err(ctx, "bad self for persistent table"))?;
    let st = arena(ctx).0.borrow();
    let model = model_of(&st).map_err(|e| lua_err(ctx, e))?;
    let n = model
        .try_borrow()
        .map_err(|_| lua_err(ctx, "_home is in use by the host"))?
        .length(id);
    stack.replace(ctx, n);
    Ok(CallbackReturn::Return)
}

fn tostring_method<'gc>(
    ctx: Context<'gc>,
    _: &mut Fuel,
    mut stack: Stack<'gc, '_>,
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    let text = match this_id(stack.get(0)) {
        Some(HOME_TABLE_ID) => "_home".to_string(),
        Some(id) => format!("persistent table {id}"),
        None => "persistent table".to_string(),
    };
    stack.replace(ctx, ctx.intern(text.as_bytes()));
    Ok(CallbackReturn::Return)
}

fn next_method<'gc>(
    ctx: Context<'gc>,
    _: &mut Fuel,
    mut stack: Stack<'gc, '_>,
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    let id = this_id(stack.get(0)).ok_or_else(|| lua_err(ctx, "bad argument #1 to 'next'"))?;
    let key = stack.get(1);
    let pk = match key {
        Value::Nil => None,
        k => Some(to_key(k).map_err(|e| lua_err(ctx, e))?),
    };
    let arena = arena(ctx);
    let mut st = arena.0.borrow_mut(&ctx);
    let model = model_of(&st).map_err(|e| lua_err(ctx, e))?;
    let model = model
        .try_borrow()
        .map_err(|_| lua_err(ctx, "_home is in use by the host"))?;
    match model.next_entry(id, pk.as_ref()) {
        Some((k, v)) => {
            let v = v.clone();
            let kv = key_to_lua(ctx, k);
            let v = Materializer::new()
                .value(ctx, &mut st, &model, Some(&v))
                .map_err(|e| lua_err(ctx, e))?;
            stack.replace(ctx, (kv, v));
        }
        None => stack.replace(ctx, Value::Nil),
    }
    Ok(CallbackReturn::Return)
}

fn ext_table<'gc>(
    ctx: Context<'gc>,
    _: Execution<'gc, '_>,
    mut stack: Stack<'gc, '_>,
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    let arena = arena(ctx);
    let mut st = arena.0.borrow_mut(&ctx);
    let model = model_of(&st).map_err(|e| lua_err(ctx, e))?;
    let id = {
        let mut m = model
            .try_borrow_mut()
            .map_err(|_| lua_err(ctx, "_home is in use by the host"))?;
        let id = m.alloc_id();
        m.tables.entry(id).or_default();
        m.note_garbage();
        id
    };
    let ud = st.proxy(ctx, id);
    stack.replace(ctx, ud);
    Ok(CallbackReturn::Return)
}

/// Where persistent table `id` is reachable from `_home`, for messages.
fn path_of(model: &HomeModel, id: u64) -> String {
    if id == HOME_TABLE_ID {
        return "_home".into();
    }
    let mut parent: HashMap<u64, (u64, PKey)> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([HOME_TABLE_ID]);
    while let Some(t) = queue.pop_front() {
        if t == id {
            let mut segs = Vec::new();
            let mut cur = id;
            while let Some((p, k)) = parent.get(&cur) {
                segs.push(k.path_segment());
                cur = *p;
            }
            segs.reverse();
            return format!("_home{}", segs.concat());
        }
        if let Some(tab) = model.tables.get(&t) {
            for (k, v) in tab {
                if let PValue::Table(c) = v {
                    if *c != HOME_TABLE_ID && !parent.contains_key(c) {
                        parent.insert(*c, (t, k.clone()));
                        queue.push_back(*c);
                    }
                }
            }
        }
    }
    format!("persistent table {id}")
}

/// Tries to store `value` at `table[key]`. `Ok(Some(..))` lists open
/// upvalues whose values must be read first.
fn try_store<'gc>(
    ctx: Context<'gc>,
    table: u64,
    key: &PKey,
    value: Value<'gc>,
    known: &HashMap<usize, Value<'gc>>,
) -> Result<Option<Vec<UpValue<'gc>>>, Error<'gc>> {
    let arena = arena(ctx);
    let mut st = arena.0.borrow_mut(&ctx);
    let model = model_of(&st).map_err(|e| lua_err(ctx, e))?;
    let mut model = model
        .try_borrow_mut()
        .map_err(|_| lua_err(ctx, "_home is in use by the host"))?;
    let mut conv = Converter::new(ctx, &st, &model, known, false, None);
    let pv = match conv.convert_root(value, &key.path_segment()) {
        Ok(pv) => pv,
        Err(mut refusal) => {
            refusal.path = format!("{}{}", path_of(&model, table), refusal.path);
            return Err(lua_err(ctx, refusal.message()));
        }
    };
    if !conv.missing.is_empty() {
        return Ok(Some(std::mem::take(&mut conv.missing)));
    }
    let staged = conv.finish();
    staged.commit(&mut model, &mut st);
    model.set(table, key.clone(), pv);
    Ok(None)
}

#[derive(Collect)]
#[collect(no_drop)]
struct StoreSeq<'gc> {
    table: u64,
    #[collect(require_static)]
    key: PKey,
    value: Value<'gc>,
    known: HashMap<usize, Value<'gc>>,
    reading: Vec<UpValue<'gc>>,
}

impl<'gc> StoreSeq<'gc> {
    fn advance(
        &mut self,
        ctx: Context<'gc>,
        stack: &mut Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        match try_store(ctx, self.table, &self.key, self.value, &self.known)? {
            None => {
                stack.clear();
                Ok(SequencePoll::Return)
            }
            Some(mut missing) => {
                let mut seen = std::collections::HashSet::new();
                missing.retain(|u| seen.insert(ptr_of_upvalue(*u)));
                missing.truncate(READ_BATCH);
                let mut ups = allocator_api2::vec::Vec::new_in(
                    gc_arena::allocator_api::MetricsAlloc::new(&ctx),
                );
                ups.extend(missing.iter().copied());
                let proto = piccolo_image::upvalue_reader(ctx, missing.len() as u8);
                let reader = Closure::from_parts(&ctx, proto, ups);
                self.reading = missing;
                stack.clear();
                Ok(SequencePoll::Call {
                    function: Function::Closure(reader),
                    is_tail: false,
                })
            }
        }
    }
}

impl<'gc> Sequence<'gc> for StoreSeq<'gc> {
    fn poll(
        &mut self,
        ctx: Context<'gc>,
        _exec: Execution<'gc, '_>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        for (i, uv) in std::mem::take(&mut self.reading).into_iter().enumerate() {
            self.known.insert(ptr_of_upvalue(uv), stack.get(i));
        }
        self.advance(ctx, &mut stack)
    }
}

fn newindex_method<'gc>(
    ctx: Context<'gc>,
    _: Execution<'gc, '_>,
    stack: Stack<'gc, '_>,
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    store_call(ctx, stack)
}

/// `__newindex` as the luahome core calls it in place: a nil, boolean,
/// number or string value is stored here; a table, function or other
/// value declines to [`newindex_method`] (see `install`).
fn newindex_native<'gc>(
    ctx: Context<'gc>,
    _: &mut Fuel,
    stack: Stack<'gc, '_>,
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    match stack.get(2) {
        Value::Nil
        | Value::Boolean(_)
        | Value::Integer(_)
        | Value::Number(_)
        | Value::String(_) => store_call(ctx, stack),
        _ => native::decline(ctx),
    }
}

/// `proxy[key] = value` with the arguments on `stack`.
fn store_call<'gc>(
    ctx: Context<'gc>,
    mut stack: Stack<'gc, '_>,
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    let table =
        this_id(stack.get(0)).ok_or_else(|| lua_err(ctx, "bad self for persistent table"))?;
    let key = to_key(stack.get(1)).map_err(|e| lua_err(ctx, e))?;
    let value = stack.get(2);
    let known = HashMap::new();
    match try_store(ctx, table, &key, value, &known)? {
        None => {
            stack.clear();
            Ok(CallbackReturn::Return)
        }
        Some(_) => {
            stack.clear();
            Ok(CallbackReturn::Sequence(BoxSequence::new(
                &ctx,
                StoreSeq {
                    table,
                    key,
                    value,
                    known,
                    reading: Vec::new(),
                },
            )))
        }
    }
}

/// Writes the current values of stored closures' upvalues into the model,
/// sweeps unreachable objects, and returns the batch of changed records
/// (empty when nothing changed). Must run inside `Lua::enter` while no
/// thread is running (between steps).
pub fn prepare_flush<'gc>(ctx: Context<'gc>) -> Batch {
    let arena = arena(ctx);
    let mut st = arena.0.borrow_mut(&ctx);
    let Ok(model) = model_of(&st) else {
        return Batch::default();
    };
    let Ok(mut model) = model.try_borrow_mut() else {
        return Batch::default();
    };
    let cells: Vec<(u64, convert::CellRef<'gc>)> = st.cells.iter().map(|(k, v)| (*k, *v)).collect();
    let known = HashMap::new();
    for (cid, uv) in cells {
        if !model.cells.contains_key(&cid) {
            st.cells.remove(&cid);
            st.cell_ids.remove(&uv.ptr());
            continue;
        }
        let Some(value) = uv.get(ctx, true) else {
            continue;
        };
        let reuse = std::mem::take(&mut st.cell_tables);
        let result = {
            let mut conv = Converter::new(ctx, &st, &model, &known, true, Some(&reuse));
            conv.convert_root(value, &format!("<upvalue cell {cid}>"))
                .map(|pv| (pv, conv.finish()))
        };
        st.cell_tables = reuse;
        match result {
            Ok((pv, staged)) => {
                let plain = staged.commit(&mut model, &mut st);
                st.cell_tables.extend(plain);
                model.set_cell(cid, pv);
            }
            Err(refusal) => {
                let msg = format!(
                    "{} (an upvalue of a stored function); its last saved value is kept",
                    refusal.message()
                );
                if !model.warnings.contains(&msg) {
                    model.warnings.push(msg);
                }
            }
        }
    }
    if st.proxies.len() > 4096 {
        st.proxies.retain(|_, w| w.upgrade(&ctx).is_some());
    }
    if model.needs_sweep() {
        let roots: Vec<u64> = st
            .proxies
            .iter()
            .filter(|(_, w)| w.upgrade(&ctx).is_some())
            .map(|(id, _)| *id)
            .collect();
        model.sweep(roots);
        let st = &mut *st;
        st.closures.retain(|id, _| model.functions.contains_key(id));
        st.closure_ids
            .retain(|_, id| model.functions.contains_key(id));
        st.cells.retain(|id, _| model.cells.contains_key(id));
        st.cell_ids.retain(|_, id| model.cells.contains_key(id));
        st.cell_tables.retain(|_, id| model.tables.contains_key(id));
        st.proxies.retain(|_, w| w.upgrade(&ctx).is_some());
    }
    if model.is_dirty() {
        model.take_batch()
    } else {
        Batch::default()
    }
}

/// Whether stored closures exist whose upvalues may change without any
/// `_home` write (so a flush is worth doing even when nothing is dirty).
pub fn has_live_cells(ctx: Context<'_>) -> bool {
    !arena(ctx).0.borrow().cells.is_empty()
}

/// Gives live stored closures the upvalue values another runtime committed
/// (cells `ids` changed in the model). An upvalue still open on a running
/// frame keeps its value. Call between steps.
pub fn refresh_cells<'gc>(ctx: Context<'gc>, ids: &[u64]) {
    let arena = arena(ctx);
    let mut st = arena.0.borrow_mut(&ctx);
    let Ok(model) = model_of(&st) else { return };
    let Ok(model) = model.try_borrow() else {
        return;
    };
    for id in ids {
        let Some(uv) = st.cells.get(id).copied() else {
            continue;
        };
        if !uv.is_closed() {
            continue;
        }
        let pv = model.cells.get(id).cloned().flatten();
        if let Ok(v) = Materializer::new().value(ctx, &mut st, &model, pv.as_ref()) {
            uv.set_closed(ctx, v);
        }
    }
}

/// Forgets every live closure and upvalue rebuilt from the model (after the
/// model was replaced wholesale, when ids may name different objects).
/// Proxies stay: they show whatever table now has their id.
pub fn reset_caches<'gc>(ctx: Context<'gc>) {
    let arena = arena(ctx);
    let mut st = arena.0.borrow_mut(&ctx);
    st.closures.clear();
    st.closure_ids.clear();
    st.cells.clear();
    st.cell_ids.clear();
    st.cell_tables.clear();
}
