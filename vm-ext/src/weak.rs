//! Weak tables (`__mode`).
//!
//! piccolo's `Table` traces every entry strongly, so a table whose
//! metatable has `__mode` (set through `setmetatable` or
//! `debug.setmetatable`) keeps its entries in a [`Store`] instead: a table
//! of its own whose weak keys and values are [`GcWeak`] pointers. The store
//! hangs off the table's raw entries under a private sentinel key (a
//! userdata only this module has), so it lives exactly as long as the table
//! and a cycle through a weak table is collected like any other garbage.
//! The table keeps its identity and metatable; only its raw entries move.
//!
//! An entry whose weak key or weak value was found dead by a completed
//! collection is gone: every read checks liveness (`GcWeak::upgrade`), and
//! dead slots are dropped when the store grows. Strings, numbers and
//! booleans are never weak, as in Lua.
//!
//! Raw access to a weak table goes through this module: the interpreter's
//! index/new-index/length slow paths (only once a weak table exists in the
//! state, so other programs pay nothing), `rawget`/`rawset`/`rawlen`/
//! `next`/`ipairs`, the table library, `_home` and the host conversions.
//!
//! A weak-key table is an ephemeron table: its values are weak pointers
//! too, and at the end of each marking [`weak_hook`] resurrects the values
//! of keys found alive, round after round, so an entry whose value refers
//! to its own key goes with the key. Weak values found dead are cleared
//! before objects with `__gc` are resurrected for their finalizers.
//!
//! Limits: the mode is read when the metatable is set (PUC Lua reads it at
//! every collection); piccolo's
//! own VM (the `piccolo` core) indexes the raw table and does not see the
//! store (nothing breaks, its reads miss and its writes stay strong).

use std::{
    cell::Cell,
    collections::HashMap,
    hash::{BuildHasherDefault, Hasher},
};

use gc_arena::{
    lock::{Lock, RefLock},
    Collect, Finalization, Gc, GcWeak, Mutation, Rootable,
};
use piccolo::{
    callback::CallbackInner,
    closure::ClosureInner,
    finalizers::WeakPhase,
    table::{InvalidTableKey, NextValue, RawTable, TableInner},
    thread::ThreadInner,
    userdata::UserDataInner,
    Callback, Closure, Context, Function, Singleton, String as LuaString, Table, Thread, UserData,
    Value,
};

/// Per-state facts about weak tables.
#[derive(Collect)]
#[collect(no_drop)]
pub struct Shared<'gc> {
    /// Set once any table of this state has become weak.
    #[collect(require_static)]
    any: Cell<bool>,
    /// Set once an object of this state has been marked for finalization
    /// (`__gc`, [`crate::finalize`]).
    #[collect(require_static)]
    finalizers: Cell<bool>,
    /// `collectgarbage("collect")` asked the runtime for a full collection.
    #[collect(require_static)]
    collect: Cell<bool>,
    /// The private key a weak table's store is kept under.
    key: UserData<'gc>,
    /// The global `collectgarbage` function (see [`Shared::scrub_for`]).
    collector: Gc<'gc, Lock<Option<Callback<'gc>>>>,
    /// Every weak table's store, for [`weak_hook`] (collected ones are
    /// dropped as new ones come).
    stores: Gc<'gc, RefLock<Vec<GcWeak<'gc, RefLock<Store<'gc>>>>>>,
    /// `"__mode"` and `"__gc"`, interned once: `setmetatable` looks both up
    /// in every metatable it sets (interning them each time was ~270
    /// instructions a call natively).
    mode_name: LuaString<'gc>,
    gc_name: LuaString<'gc>,
}

impl<'gc> Shared<'gc> {
    /// `"__gc"`, interned.
    #[inline]
    pub(crate) fn gc_name(&self) -> LuaString<'gc> {
        self.gc_name
    }

    /// Whether any table of this state has become weak.
    #[inline]
    pub fn any(&self) -> bool {
        self.any.get()
    }

    /// Whether a collection can be observed (weak tables or finalizers
    /// exist): the interpreter then drops what it keeps only for speed
    /// before calling `collectgarbage` ([`Shared::scrub_for`]).
    #[inline]
    pub fn observable(&self) -> bool {
        self.any.get() || self.finalizers.get()
    }

    /// Records that an object has been marked for finalization.
    pub fn note_finalizer(&self) {
        self.finalizers.set(true);
    }

    /// Called by the interpreter before a call through the executor, once
    /// weak tables exist: when `f` is `collectgarbage`, clears `dead` (the
    /// caller's registers above the call, which PUC Lua's collector does
    /// not see either), so values left there by finished expressions do
    /// not keep weak entries alive.
    /// Returns whether `f` was `collectgarbage` (the caller then also
    /// drops other values it keeps for speed only).
    #[inline(never)]
    pub fn scrub_for(&self, f: Function<'gc>, dead: &mut [Value<'gc>]) -> bool {
        let collecting =
            matches!((f, self.collector.get()), (Function::Callback(a), Some(b)) if a == b);
        if collecting {
            dead.fill(Value::Nil);
        }
        collecting
    }
}

/// Records the global `collectgarbage` (as the interpreter finds it).
pub fn set_collector<'gc>(ctx: Context<'gc>, f: Value<'gc>) {
    if let Value::Function(Function::Callback(cb)) = f {
        shared(ctx).collector.set(&ctx, Some(cb));
    }
}

#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
struct SharedRoot<'gc>(Gc<'gc, Shared<'gc>>);

struct StoreKeyMark;

impl<'gc> Singleton<'gc> for SharedRoot<'gc> {
    fn create(ctx: Context<'gc>) -> Self {
        SharedRoot(Gc::new(
            &ctx,
            Shared {
                any: Cell::new(false),
                finalizers: Cell::new(false),
                collect: Cell::new(false),
                key: UserData::new_static(&ctx, StoreKeyMark),
                collector: Gc::new(&ctx, Lock::new(None)),
                stores: Gc::new(&ctx, RefLock::new(Vec::new())),
                mode_name: ctx.intern_static(b"__mode"),
                gc_name: ctx.intern_static(b"__gc"),
            },
        ))
    }
}

/// This state's [`Shared`].
pub fn shared(ctx: Context<'_>) -> Gc<'_, Shared<'_>> {
    ctx.singleton::<Rootable![SharedRoot<'_>]>().0
}

/// Asks the runtime for a full collection before the script continues
/// (`collectgarbage("collect")`); the caller also interrupts its fuel.
pub fn request_collect(ctx: Context<'_>) {
    shared(ctx).collect.set(true);
}

/// Takes the request [`request_collect`] made.
pub fn take_collect_request(ctx: Context<'_>) -> bool {
    shared(ctx).collect.replace(false)
}

/// A key as the store hashes it: Lua's raw equality (floats with an
/// integer value are integers; objects by identity).
#[derive(Collect, Clone, Copy, PartialEq, Eq, Hash)]
#[collect(no_drop)]
enum KeyId<'gc> {
    Bool(bool),
    Int(i64),
    Float(u64),
    Str(LuaString<'gc>),
    Ptr(usize),
}

fn ptr<T: ?Sized>(g: Gc<'_, T>) -> usize {
    Gc::as_ptr(g) as *const () as usize
}

/// The key's identity and the key as stored (a float with an integer value
/// becomes that integer).
fn key_of(key: Value<'_>) -> Result<(KeyId<'_>, Value<'_>), InvalidTableKey> {
    Ok(match key {
        Value::Nil => return Err(InvalidTableKey::IsNil),
        Value::Boolean(b) => (KeyId::Bool(b), key),
        Value::Integer(i) => (KeyId::Int(i), key),
        Value::Number(f) => {
            if f.is_nan() {
                return Err(InvalidTableKey::IsNaN);
            }
            match crate::number::float_to_i64(f) {
                Some(i) => (KeyId::Int(i), Value::Integer(i)),
                None => (KeyId::Float(f.to_bits()), key),
            }
        }
        Value::String(s) => (KeyId::Str(s), key),
        Value::Table(t) => (KeyId::Ptr(ptr(t.into_inner())), key),
        Value::Function(Function::Closure(c)) => (KeyId::Ptr(ptr(c.into_inner())), key),
        Value::Function(Function::Callback(c)) => (KeyId::Ptr(ptr(c.into_inner())), key),
        Value::Thread(t) => (KeyId::Ptr(ptr(t.into_inner())), key),
        Value::UserData(u) => (KeyId::Ptr(ptr(u.into_inner())), key),
    })
}

/// A key or value in the store: strong, or weak (a collectable object).
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
enum Ref<'gc> {
    Nil,
    Strong(Value<'gc>),
    Table(GcWeak<'gc, TableInner<'gc>>),
    Closure(GcWeak<'gc, ClosureInner<'gc>>),
    Callback(GcWeak<'gc, CallbackInner<'gc>>),
    Thread(GcWeak<'gc, ThreadInner<'gc>>),
    UserData(GcWeak<'gc, UserDataInner<'gc>>),
}

impl<'gc> Ref<'gc> {
    fn new(v: Value<'gc>, weak: bool) -> Self {
        match v {
            Value::Nil => Ref::Nil,
            Value::Table(t) if weak => Ref::Table(Gc::downgrade(t.into_inner())),
            Value::Function(Function::Closure(c)) if weak => {
                Ref::Closure(Gc::downgrade(c.into_inner()))
            }
            Value::Function(Function::Callback(c)) if weak => {
                Ref::Callback(Gc::downgrade(c.into_inner()))
            }
            Value::Thread(t) if weak => Ref::Thread(Gc::downgrade(t.into_inner())),
            Value::UserData(u) if weak => Ref::UserData(Gc::downgrade(u.into_inner())),
            v => Ref::Strong(v),
        }
    }

    /// The value, or nil when it was collected.
    fn get(self, mc: &Mutation<'gc>) -> Value<'gc> {
        match self {
            Ref::Nil => Value::Nil,
            Ref::Strong(v) => v,
            Ref::Table(w) => w
                .upgrade(mc)
                .map_or(Value::Nil, |g| Value::Table(Table::from_inner(g))),
            Ref::Closure(w) => w.upgrade(mc).map_or(Value::Nil, |g| {
                Value::Function(Function::Closure(Closure::from_inner(g)))
            }),
            Ref::Callback(w) => w.upgrade(mc).map_or(Value::Nil, |g| {
                Value::Function(Function::Callback(Callback::from_inner(g)))
            }),
            Ref::Thread(w) => w
                .upgrade(mc)
                .map_or(Value::Nil, |g| Value::Thread(Thread::from_inner(g))),
            Ref::UserData(w) => w
                .upgrade(mc)
                .map_or(Value::Nil, |g| Value::UserData(UserData::from_inner(g))),
        }
    }
}

/// Applies `$body` to the weak pointer inside a weak [`Ref`] (`$other`
/// for nil and strong references).
macro_rules! on_weak {
    ($r:expr, $w:ident => $body:expr, $other:expr) => {
        match $r {
            Ref::Table($w) => $body,
            Ref::Closure($w) => $body,
            Ref::Callback($w) => $body,
            Ref::Thread($w) => $body,
            Ref::UserData($w) => $body,
            Ref::Nil | Ref::Strong(_) => $other,
        }
    };
}

impl<'gc> Ref<'gc> {
    /// Whether the marking that just completed found this reference's
    /// object dead (nil and strong references never are).
    fn is_dead(self, fc: &Finalization<'gc>) -> bool {
        on_weak!(self, w => w.is_dead(fc), false)
    }

    /// Keeps a dead object alive for this cycle; whether it was dead.
    fn resurrect(self, fc: &Finalization<'gc>) -> bool {
        on_weak!(self, w => w.is_dead(fc) && w.resurrect(fc).is_some(), false)
    }
}

#[derive(Default)]
struct IdHasher(u64);

const MUL: u64 = 0x9E37_79B9_7F4A_7C15;

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(MUL);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(MUL);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
struct Slot<'gc> {
    id: KeyId<'gc>,
    key: Ref<'gc>,
    val: Ref<'gc>,
}

/// The entries of one weak table, in insertion order (`next` walks them);
/// a removed entry leaves a hole until the store is compacted, which
/// happens only when a new key is added (as a Lua table rehashes), so
/// clearing fields while traversing is fine.
#[derive(Collect)]
#[collect(no_drop)]
pub struct Store<'gc> {
    weak_keys: bool,
    weak_values: bool,
    slots: Vec<Slot<'gc>>,
    index: HashMap<KeyId<'gc>, usize, BuildHasherDefault<IdHasher>>,
    compact_at: usize,
}

impl<'gc> Store<'gc> {
    fn new(weak_keys: bool, weak_values: bool) -> Self {
        Store {
            weak_keys,
            weak_values,
            slots: Vec::new(),
            index: HashMap::default(),
            compact_at: 8,
        }
    }

    /// Whether values are held by weak pointers: in weak-value tables, and
    /// in weak-key tables, whose values the collector keeps only while
    /// their keys live (ephemerons, [`weak_hook`]).
    fn values_weak(&self) -> bool {
        self.weak_keys || self.weak_values
    }

    /// The slot of live key `id`.
    fn find(&self, mc: &Mutation<'gc>, id: &KeyId<'gc>) -> Option<usize> {
        let i = *self.index.get(id)?;
        (!self.slots[i].key.get(mc).is_nil()).then_some(i)
    }

    fn get(&self, mc: &Mutation<'gc>, key: Value<'gc>) -> Value<'gc> {
        match key_of(key) {
            Ok((id, _)) => match self.find(mc, &id) {
                Some(i) => self.slots[i].val.get(mc),
                None => Value::Nil,
            },
            Err(_) => Value::Nil,
        }
    }

    fn set(
        &mut self,
        mc: &Mutation<'gc>,
        key: Value<'gc>,
        val: Value<'gc>,
    ) -> Result<(), InvalidTableKey> {
        let (id, key) = key_of(key)?;
        if let Some(&i) = self.index.get(&id) {
            // A dead key's slot may share the address of a new object
            // (only once its allocation is gone): the slot is reused.
            let values_weak = self.values_weak();
            let slot = &mut self.slots[i];
            if slot.key.get(mc).is_nil() {
                slot.key = Ref::new(key, self.weak_keys);
            }
            slot.val = Ref::new(val, values_weak);
            if val.is_nil() {
                self.forget_string_key(i);
            }
            return Ok(());
        }
        if val.is_nil() {
            return Ok(());
        }
        if self.slots.len() >= self.compact_at {
            self.compact(mc);
        }
        self.index.insert(id, self.slots.len());
        self.slots.push(Slot {
            id,
            key: Ref::new(key, self.weak_keys),
            val: Ref::new(val, self.values_weak()),
        });
        Ok(())
    }

    /// Drops removed and collected entries.
    fn compact(&mut self, mc: &Mutation<'gc>) {
        self.slots
            .retain(|s| !s.key.get(mc).is_nil() && !s.val.get(mc).is_nil());
        self.index.clear();
        for (i, s) in self.slots.iter().enumerate() {
            self.index.insert(s.id, i);
        }
        self.compact_at = (self.slots.len() * 2).max(8);
    }

    /// Removes the entries whose values the marking found dead. A string
    /// key is then kept only by its address (as Lua keeps a dead key), so
    /// the string can be freed and `next` can still go on from it.
    fn clear_dead_values(&mut self, fc: &Finalization<'gc>) {
        for i in 0..self.slots.len() {
            if !self.slots[i].val.is_dead(fc) {
                continue;
            }
            self.slots[i].val = Ref::Nil;
            self.forget_string_key(i);
        }
    }

    /// Slot `i`, removed, keeps its string key only by address (as Lua
    /// keeps a dead key): the string can be freed, and `next` can still go
    /// on from it.
    fn forget_string_key(&mut self, i: usize) {
        let slot = &mut self.slots[i];
        if let KeyId::Str(s) = slot.id {
            self.index.remove(&slot.id);
            slot.id = KeyId::Ptr(ptr(s.into_inner()));
            slot.key = Ref::Nil;
            self.index.insert(slot.id, i);
        }
    }

    /// A border, as `#` gives it (exact for a sequence).
    fn len(&self, mc: &Mutation<'gc>) -> i64 {
        let present = |i: i64| !self.get(mc, Value::Integer(i)).is_nil();
        if !present(1) {
            return 0;
        }
        let (mut lo, mut hi) = (1i64, 2i64);
        while present(hi) {
            lo = hi;
            match hi.checked_mul(2) {
                Some(h) => hi = h,
                None => {
                    // Past 2^62: walk on linearly (a table this big
                    // cannot exist).
                    while lo < i64::MAX && present(lo + 1) {
                        lo += 1;
                    }
                    return lo;
                }
            }
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if present(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The entry after `key` (nil: the first), for `next`; `NotFound`
    /// when `key` is not in the store.
    fn next(&self, mc: &Mutation<'gc>, key: Value<'gc>) -> NextValue<'gc> {
        let start = if key.is_nil() {
            0
        } else {
            match key_of(key).ok().and_then(|(id, _)| self.find(mc, &id)) {
                Some(i) => i + 1,
                // A string key whose value was collected (see
                // `clear_dead_values`): its slot is found by address.
                None => match key {
                    Value::String(s) => match self.index.get(&KeyId::Ptr(ptr(s.into_inner()))) {
                        Some(&i) if matches!(self.slots[i].key, Ref::Nil) => i + 1,
                        _ => return NextValue::NotFound,
                    },
                    _ => return NextValue::NotFound,
                },
            }
        };
        for s in &self.slots[start..] {
            let k = s.key.get(mc);
            if k.is_nil() {
                continue;
            }
            let v = s.val.get(mc);
            if !v.is_nil() {
                return NextValue::Found { key: k, value: v };
            }
        }
        NextValue::Last
    }

    fn entries(&self, mc: &Mutation<'gc>) -> Vec<(Value<'gc>, Value<'gc>)> {
        self.slots
            .iter()
            .map(|s| (s.key.get(mc), s.val.get(mc)))
            .filter(|(k, v)| !k.is_nil() && !v.is_nil())
            .collect()
    }

    fn set_mode(&mut self, mc: &Mutation<'gc>, weak_keys: bool, weak_values: bool) {
        self.weak_keys = weak_keys;
        self.weak_values = weak_values;
        for s in &mut self.slots {
            let (k, v) = (s.key.get(mc), s.val.get(mc));
            s.key = Ref::new(k, weak_keys);
            s.val = Ref::new(v, weak_keys || weak_values);
        }
    }
}

#[derive(Collect)]
#[collect(no_drop)]
struct StoreBox<'gc>(Gc<'gc, RefLock<Store<'gc>>>);

type StoreRef<'gc> = Gc<'gc, RefLock<Store<'gc>>>;

fn store_in<'gc>(t: Table<'gc>, sh: &Shared<'gc>) -> Option<StoreRef<'gc>> {
    match t.get_value(Value::UserData(sh.key)) {
        Value::UserData(u) => u.downcast::<Rootable![StoreBox<'_>]>().ok().map(|b| b.0),
        _ => None,
    }
}

/// The store of `t` when it is a weak table.
#[inline]
fn store_of<'gc>(ctx: Context<'gc>, t: Table<'gc>) -> Option<StoreRef<'gc>> {
    t.metatable()?;
    let sh = shared(ctx);
    if !sh.any() {
        return None;
    }
    store_in(t, &sh)
}

/// Whether `t` is a weak table.
pub fn is_weak<'gc>(ctx: Context<'gc>, t: Table<'gc>) -> bool {
    store_of(ctx, t).is_some()
}

/// `rawget(t, key)`.
#[inline]
pub fn raw_get<'gc>(ctx: Context<'gc>, t: Table<'gc>, key: Value<'gc>) -> Value<'gc> {
    let v = t.get_value(key);
    if v.is_nil() && t.metatable().is_some() {
        return weak_get(ctx, t, key);
    }
    v
}

/// The store's value for `key` when `t` is weak (its raw entries missed).
#[inline(never)]
pub fn weak_get<'gc>(ctx: Context<'gc>, t: Table<'gc>, key: Value<'gc>) -> Value<'gc> {
    match store_of(ctx, t) {
        Some(s) => s.borrow().get(&ctx, key),
        None => Value::Nil,
    }
}

/// `rawset(t, key, val)`.
pub fn raw_set<'gc>(
    ctx: Context<'gc>,
    t: Table<'gc>,
    key: Value<'gc>,
    val: Value<'gc>,
) -> Result<(), InvalidTableKey> {
    match store_of(ctx, t) {
        Some(s) => weak_set(ctx, s, key, val),
        None => t.set_value(&ctx, key, val).map(|_| ()),
    }
}

/// [`raw_set`] for a table found weak. Raw entries written past the store
/// (by piccolo's VM) are left alone: clearing one would leave a dead key,
/// which piccolo's table cannot grow past.
fn weak_set<'gc>(
    ctx: Context<'gc>,
    s: StoreRef<'gc>,
    key: Value<'gc>,
    val: Value<'gc>,
) -> Result<(), InvalidTableKey> {
    if let Value::String(_) = key {
        // (The interpreters' field caches follow string-key writes.)
        piccolo::table::note_string_key_write();
    }
    s.borrow_mut(&ctx).set(&ctx, key, val)
}

/// For the interpreter: when `t` is weak, sets `t[key] = val` in its store
/// and returns `Some`; `None` for other tables.
#[inline(never)]
pub fn weak_store_set<'gc>(
    ctx: Context<'gc>,
    t: Table<'gc>,
    key: Value<'gc>,
    val: Value<'gc>,
) -> Option<Result<(), InvalidTableKey>> {
    let s = store_of(ctx, t)?;
    Some(weak_set(ctx, s, key, val))
}

/// `rawlen(t)` / the length of a table without `__len`.
#[inline]
pub fn raw_len<'gc>(ctx: Context<'gc>, t: Table<'gc>) -> i64 {
    if t.metatable().is_some() {
        if let Some(s) = store_of(ctx, t) {
            return s.borrow().len(&ctx);
        }
    }
    t.length()
}

fn is_sentinel<'gc>(ctx: Context<'gc>, key: Value<'gc>) -> bool {
    matches!(key, Value::UserData(u) if u == shared(ctx).key)
}

/// `next(t, key)`: a weak table's store, then any raw entries but the
/// store's own.
pub fn raw_next<'gc>(ctx: Context<'gc>, t: Table<'gc>, key: Value<'gc>) -> NextValue<'gc> {
    let Some(s) = store_of(ctx, t) else {
        return t.next(key);
    };
    let mut key = key;
    match s.borrow().next(&ctx, key) {
        found @ NextValue::Found { .. } => return found,
        NextValue::Last => key = Value::Nil,
        // Not a key of the store: one of the raw entries.
        NextValue::NotFound => {}
    }
    loop {
        match t.next(key) {
            NextValue::Found { key: k, .. } if is_sentinel(ctx, k) => key = k,
            other => return other,
        }
    }
}

/// The live entries of `t` when it is weak (`None` for other tables), for
/// code that walks a table's contents (`_home`, host conversions).
pub fn entries<'gc>(ctx: Context<'gc>, t: Table<'gc>) -> Option<Vec<(Value<'gc>, Value<'gc>)>> {
    let s = store_of(ctx, t)?;
    let mut all = s.borrow().entries(&ctx);
    all.extend(t.iter().filter(|(k, _)| !is_sentinel(ctx, *k)));
    Some(all)
}

/// `(weak keys, weak values)` of a metatable's `__mode`.
fn mode_of<'gc>(sh: &Shared<'gc>, mt: Option<Table<'gc>>) -> (bool, bool) {
    match mt.map(|mt| mt.get_value(Value::String(sh.mode_name))) {
        Some(Value::String(s)) => (s.as_bytes().contains(&b'k'), s.as_bytes().contains(&b'v')),
        _ => (false, false),
    }
}

/// Sets `t`'s metatable (`setmetatable`, `debug.setmetatable`): with a
/// `__mode` of `k`, `v` or `kv` the table's entries move into a weak store,
/// without one they move back into the table.
pub fn set_metatable<'gc>(ctx: Context<'gc>, t: Table<'gc>, mt: Option<Table<'gc>>) {
    let sh = shared(ctx);
    let old = if sh.any() && t.metatable().is_some() {
        store_in(t, &sh)
    } else {
        None
    };
    let (wk, wv) = mode_of(&sh, mt);
    t.set_metatable(&ctx, mt);
    if old.is_some() || wk || wv {
        // Entries move between the raw table and a store.
        piccolo::table::note_string_key_write();
    }
    if let Some(mt) = mt {
        crate::finalize::note_gc_metatable(ctx, &sh, Value::Table(t), mt);
    }
    match old {
        Some(s) if wk || wv => s.borrow_mut(&ctx).set_mode(&ctx, wk, wv),
        Some(s) => {
            let mut live = s.borrow().entries(&ctx);
            live.extend(t.iter().filter(|(k, _)| !is_sentinel(ctx, *k)));
            *s.borrow_mut(&ctx) = Store::new(false, false);
            // A fresh raw table: removing the store's key would leave a dead
            // key, which piccolo's table cannot grow past.
            t.into_inner().borrow_mut(&ctx).raw_table = RawTable::new(&ctx);
            for (k, v) in live {
                let _ = t.set_value(&ctx, k, v);
            }
        }
        None if wk || wv => {
            let mut store = Store::new(wk, wv);
            for (k, v) in t.iter() {
                let _ = store.set(&ctx, k, v);
            }
            t.into_inner().borrow_mut(&ctx).raw_table = RawTable::new(&ctx);
            let store = Gc::new(&ctx, RefLock::new(store));
            register(ctx, &sh, store);
            let boxed = UserData::new::<Rootable![StoreBox<'_>]>(&ctx, StoreBox(store));
            let _ = t.set_value(&ctx, Value::UserData(sh.key), Value::UserData(boxed));
            sh.any.set(true);
        }
        None => {}
    }
}

/// Adds a new weak table's store to those [`weak_hook`] sees (installing
/// the hook with the first one).
fn register<'gc>(ctx: Context<'gc>, sh: &Shared<'gc>, store: StoreRef<'gc>) {
    let mut stores = sh.stores.borrow_mut(&ctx);
    if stores.is_empty() {
        ctx.finalizers().set_weak_hook(&ctx, weak_hook);
    }
    if stores.len() >= 64 && stores.len().is_power_of_two() {
        stores.retain(|w| w.upgrade(&ctx).is_some());
    }
    stores.push(Gc::downgrade(store));
}

/// Called by the collector once marking is complete ([`WeakPhase`]).
///
/// `Converge`: in weak-key tables, values under keys found alive (or not
/// collectable) are resurrected, so an entry lives exactly as long as its
/// key however its value refers back to it; piccolo re-marks and asks
/// again until a round changes nothing. `ClearValues`: weak values found
/// dead are forgotten before objects with finalizers are resurrected, so a
/// finalizer sees them gone, as in Lua (its weak keys stay until the
/// object is really collected).
fn weak_hook<'gc>(ctx: Context<'gc>, fc: &'gc Finalization<'gc>, phase: WeakPhase) -> bool {
    let sh = shared(ctx);
    let stores = sh.stores.borrow();
    let mut changed = false;
    for w in stores.iter() {
        // Stores found dead are not looked at (upgrading would mark them).
        if w.is_dead(fc) {
            continue;
        }
        let Some(store) = w.upgrade(fc) else { continue };
        match phase {
            WeakPhase::Converge => {
                let st = store.borrow();
                if !st.weak_keys || st.weak_values {
                    continue;
                }
                for slot in &st.slots {
                    let key_live = !matches!(slot.key, Ref::Nil) && !slot.key.is_dead(fc);
                    if key_live && slot.val.resurrect(fc) {
                        changed = true;
                    }
                }
            }
            WeakPhase::ClearValues => {
                if !store.borrow().weak_values {
                    continue;
                }
                store.borrow_mut(fc).clear_dead_values(fc);
            }
        }
    }
    changed
}
