//! The project's own Lua 5.4 interpreter: runs [`crate::bytecode::Proto`]s
//! inside piccolo's runtime.
//!
//! A compiled Lua function is an ordinary piccolo function
//! (`Value::Function(Function::Callback(..))`), so the stdlib, `pcall`,
//! coroutines and host calls take it like any other. Calling it from outside
//! starts one interpreter [`Sequence`](piccolo::Sequence) (an *entry*);
//! inside an entry, Lua->Lua calls stay on the interpreter's own frame and
//! register stacks (no Rust recursion, proper tail calls), and foreign
//! functions (stdlib callbacks, host functions, metamethods) are called
//! through the executor, so coroutine yields and host calls pass through.
//! Fuel is spent at backward jumps (the instructions jumped over), calls
//! and returns (see `Interp::dispatch`); when it runs out the entry returns
//! `Pending`, so slicing, stop, pause and fuel limits behave as with
//! piccolo's own VM.
//!
//! A closure of this core is the root of the callback that is its function
//! value ([`ClosureRef`]), so it is recognised from the callback's root; a
//! library function the interpreter calls directly is recognised by a side
//! registry from the callback's address to weak pointers.

mod exec;
pub(crate) mod frames;
mod names;
pub mod native;
mod ops;
mod tag;

use std::{
    collections::HashMap,
    hash::{BuildHasherDefault, Hasher},
    rc::Rc,
};

use gc_arena::{
    allocator_api::MetricsAlloc,
    barrier::unlock,
    lock::{Lock, RefLock},
    Collect, Gc, GcWeak, Mutation, Rootable,
};
use piccolo::{
    callback::CallbackInner, BoxSequence, Callback, CallbackReturn, Context, Function, Singleton,
    Thread, Value,
};

use crate::bytecode::{Constant, Proto, UpvalueDesc};

pub use crate::verify::{verify, VerifyError};

/// The register stack of one entry, shared with the open upvalues that
/// point into it.
/// A register stack's values, allocated through gc-arena's metrics (so
/// `memoryLimit` counts them).
pub(crate) type Regs<'gc> = allocator_api2::vec::Vec<Value<'gc>, MetricsAlloc<'gc>>;

pub(crate) type RegStack<'gc> = Gc<'gc, RefLock<Regs<'gc>>>;

/// An upvalue: open (a register of some entry's stack) or closed (its own value).
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
pub enum UpState<'gc> {
    Open { stack: RegStack<'gc>, index: usize },
    Closed(Value<'gc>),
}

/// A shared upvalue cell.
pub type UpvalueCell<'gc> = Gc<'gc, Lock<UpState<'gc>>>;

/// A closure's upvalue cells: up to two kept inline (most closures have
/// one or two, and then creating one is a single allocation), more in a
/// box of their own. Reads as a slice.
#[derive(Clone, Collect)]
#[collect(no_drop)]
pub enum Upvalues<'gc> {
    Zero,
    One([UpvalueCell<'gc>; 1]),
    Two([UpvalueCell<'gc>; 2]),
    Many(Box<[UpvalueCell<'gc>]>),
}

impl<'gc> Upvalues<'gc> {
    /// Cell `i`, unchecked: the interpreter's upvalue access.
    ///
    /// # Safety
    /// `i` is below `self.len()`. Every closure holds one cell per upvalue
    /// its prototype describes (`LuaClosure::alloc` asserts it), and `verify`
    /// checks each upvalue index an instruction names against those.
    #[allow(unsafe_code)]
    #[inline(always)]
    pub unsafe fn cell_unchecked(&self, i: usize) -> UpvalueCell<'gc> {
        debug_assert!(i < self.len());
        // SAFETY: `i < self.len()` (the caller's promise).
        unsafe { *(**self).get_unchecked(i) }
    }
}

impl<'gc> std::ops::Deref for Upvalues<'gc> {
    type Target = [UpvalueCell<'gc>];

    #[inline(always)]
    fn deref(&self) -> &Self::Target {
        match self {
            Upvalues::Zero => &[],
            Upvalues::One(a) => a,
            Upvalues::Two(a) => a,
            Upvalues::Many(b) => b,
        }
    }
}

impl std::ops::DerefMut for Upvalues<'_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            Upvalues::Zero => &mut [],
            Upvalues::One(a) => a,
            Upvalues::Two(a) => a,
            Upvalues::Many(b) => b,
        }
    }
}

impl<'gc> FromIterator<UpvalueCell<'gc>> for Upvalues<'gc> {
    fn from_iter<I: IntoIterator<Item = UpvalueCell<'gc>>>(iter: I) -> Self {
        let mut it = iter.into_iter();
        let Some(a) = it.next() else {
            return Upvalues::Zero;
        };
        let Some(b) = it.next() else {
            return Upvalues::One([a]);
        };
        let Some(c) = it.next() else {
            return Upvalues::Two([a, b]);
        };
        let mut v = vec![a, b, c];
        v.extend(it);
        Upvalues::Many(v.into_boxed_slice())
    }
}

impl<'gc> From<Vec<UpvalueCell<'gc>>> for Upvalues<'gc> {
    fn from(v: Vec<UpvalueCell<'gc>>) -> Self {
        match *v {
            [] => Upvalues::Zero,
            [a] => Upvalues::One([a]),
            [a, b] => Upvalues::Two([a, b]),
            _ => Upvalues::Many(v.into_boxed_slice()),
        }
    }
}

/// A prototype prepared for running: the plain [`Proto`] (code, lines,
/// debug names) plus its constants as Lua values and its nested prototypes.
#[derive(Collect)]
#[collect(no_drop)]
pub struct ProtoRt<'gc> {
    /// The plain prototype (its `protos` moved into [`ProtoRt::protos`]),
    /// in place: a call reads its code, parameter count and register count
    /// one load nearer the closure than through a box (a frame's entry
    /// chases closure, prototype, code).
    #[collect(require_static)]
    pub proto: Proto,
    /// The chunk name as Lua shows it (`luaO_chunkid`).
    #[collect(require_static)]
    pub chunk_id: Rc<str>,
    /// Part of a library function written in Lua (the table library's
    /// versions for tables with metamethods), which stands for a C function
    /// of PUC Lua: its frames are no stack levels, its errors carry no
    /// position or variable names, hooks do not see it, and functions it
    /// calls count as called from C.
    pub library: bool,
    pub constants: Box<[Value<'gc>]>,
    pub protos: Box<[Gc<'gc, ProtoRt<'gc>>]>,
}

impl<'gc> ProtoRt<'gc> {
    /// Prepares `proto` (already verified) and its nested prototypes.
    /// The interpreter reads registers and constants unchecked on the
    /// strength of that verification.
    pub fn new(ctx: Context<'gc>, proto: Proto) -> Gc<'gc, ProtoRt<'gc>> {
        Self::prepare(ctx, proto, false)
    }

    /// [`Self::new`], for a library function written in Lua when
    /// `library` (see [`ProtoRt::library`]).
    fn prepare(ctx: Context<'gc>, proto: Proto, library: bool) -> Gc<'gc, ProtoRt<'gc>> {
        debug_assert!(verify(&proto).is_ok(), "an unverified prototype");
        let chunk_id: Rc<str> =
            crate::stdlib::base::chunk_display_name(proto.source.as_bytes()).into();
        Self::build(ctx, proto, &chunk_id, library)
    }

    fn build(
        ctx: Context<'gc>,
        mut proto: Proto,
        chunk_id: &Rc<str>,
        library: bool,
    ) -> Gc<'gc, ProtoRt<'gc>> {
        let children = std::mem::take(&mut proto.protos);
        let protos: Box<[_]> = children
            .into_iter()
            .map(|p| Self::build(ctx, p, chunk_id, library))
            .collect();
        let constants: Box<[_]> = proto
            .constants
            .iter()
            .map(|c| match c {
                Constant::Nil => Value::Nil,
                Constant::Boolean(b) => Value::Boolean(*b),
                Constant::Integer(i) => Value::Integer(*i),
                Constant::Float(f) => Value::Number(*f),
                Constant::String(s) => Value::String(ctx.intern(s)),
            })
            .collect();
        Gc::new(
            &ctx,
            ProtoRt {
                proto,
                chunk_id: chunk_id.clone(),
                library,
                constants,
                protos,
            },
        )
    }
}

impl ProtoRt<'_> {
    /// The plain prototype tree again (for `string.dump`).
    pub fn to_proto(&self) -> Proto {
        let mut p = self.proto.clone();
        p.protos = self.protos.iter().map(|c| c.to_proto()).collect();
        p
    }
}

/// A closure of the project's core: a prototype and its upvalues. It is
/// the root of the callback that is its function value ([`ClosureRef`]
/// reaches it there): one collected object per closure, and a call finds
/// the prototype one load from the callback.
#[derive(Collect)]
#[collect(no_drop)]
pub struct LuaClosure<'gc> {
    pub proto: Gc<'gc, ProtoRt<'gc>>,
    pub upvalues: Upvalues<'gc>,
    /// The closure that took this one's place when `debug.upvaluejoin`
    /// changed an upvalue (a closure's upvalue list never changes: the
    /// function value keeps its first closure, and calls follow this chain
    /// to the newest).
    replaced: Lock<Option<ClosureRef<'gc>>>,
    /// For a closure `debug.upvaluejoin` made: the function value it runs
    /// for (`None`: its own callback).
    origin: Option<Callback<'gc>>,
    pool: exec::Pool<'gc>,
}

/// A closure of this core, as the callback that is its function value
/// (whose root is the [`LuaClosure`]).
#[derive(Collect, Clone, Copy, PartialEq, Eq)]
#[collect(no_drop)]
pub struct ClosureRef<'gc>(Callback<'gc>);

impl<'gc> ClosureRef<'gc> {
    /// `cb` when it is a closure of this core.
    #[inline(always)]
    pub(crate) fn of(cb: Callback<'gc>) -> Option<Self> {
        cb.rooted::<Rootable![LuaClosure<'_>]>()
            .is_some()
            .then_some(ClosureRef(cb))
    }

    /// The closure.
    #[inline(always)]
    #[allow(unsafe_code)]
    pub fn get(self) -> &'gc LuaClosure<'gc> {
        // SAFETY: a `ClosureRef` is only made of a callback made by
        // `LuaClosure::alloc`, or checked to be one (`of`).
        unsafe { self.0.rooted_unchecked::<Rootable![LuaClosure<'_>]>() }
    }

    /// The callback that is the function value this closure runs for (its
    /// own, or for a closure `debug.upvaluejoin` made, the joined one's).
    pub fn callback(self) -> Callback<'gc> {
        self.get().origin.unwrap_or(self.0)
    }

    /// The function value this closure runs for ([`Self::callback`]).
    pub fn function(self) -> Function<'gc> {
        Function::Callback(self.callback())
    }
}

impl<'gc> std::ops::Deref for ClosureRef<'gc> {
    type Target = LuaClosure<'gc>;

    #[inline(always)]
    fn deref(&self) -> &LuaClosure<'gc> {
        self.get()
    }
}

impl<'gc> LuaClosure<'gc> {
    /// A closure of `proto` over `upvalues`, with its function value.
    pub fn alloc(
        ctx: Context<'gc>,
        proto: Gc<'gc, ProtoRt<'gc>>,
        upvalues: Upvalues<'gc>,
    ) -> ClosureRef<'gc> {
        Self::alloc_in(ctx, exec::Pool::get(ctx), proto, upvalues, None)
    }

    /// [`Self::alloc`] with the interpreter pool at hand (the `Closure`
    /// instruction), and for `debug.upvaluejoin` the function value the
    /// new closure runs for.
    #[inline]
    fn alloc_in(
        ctx: Context<'gc>,
        pool: exec::Pool<'gc>,
        proto: Gc<'gc, ProtoRt<'gc>>,
        upvalues: Upvalues<'gc>,
        origin: Option<Callback<'gc>>,
    ) -> ClosureRef<'gc> {
        // The interpreter reads upvalues unchecked (`Upvalues::cell_unchecked`):
        // every caller builds one cell per upvalue description.
        assert_eq!(
            upvalues.len(),
            proto.proto.upvalues.len(),
            "a closure needs one cell per upvalue"
        );
        let cb = Callback::from_fn_rooted_self::<Rootable![LuaClosure<'_>], _>(
            &ctx,
            LuaClosure {
                proto,
                upvalues,
                replaced: Lock::new(None),
                origin,
                pool,
            },
            |this, root, ctx, exec, stack| {
                let closure = LuaClosure::current(ClosureRef(this));
                let seq = exec::Entry::start(ctx, &exec, root.pool, closure, stack)?;
                Ok(CallbackReturn::Sequence(BoxSequence::new(&ctx, seq)))
            },
        );
        ClosureRef(cb)
    }

    /// The newest closure in `closure`'s place (see `replaced`).
    #[inline]
    pub(crate) fn current(closure: ClosureRef<'gc>) -> ClosureRef<'gc> {
        let mut c = closure;
        while let Some(next) = c.get().replaced.get() {
            c = next;
        }
        c
    }

    /// The upvalue descriptions of this closure's prototype.
    pub fn upvalue_descs(&self) -> &[UpvalueDesc] {
        &self.proto.proto.upvalues
    }
}

#[derive(Default)]
struct PtrHasher(u64);

impl Hasher for PtrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64 >> 3).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type PtrMap<V> = HashMap<usize, V, BuildHasherDefault<PtrHasher>>;

/// What a registered callback is.
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
enum Kind<'gc> {
    /// A library function the interpreter may call directly
    /// ([`native::NativeFn`]); `true` when its errors get the caller's
    /// position (`luaL_error`).
    Native(#[collect(require_static)] native::NativeFn, bool),
    /// The base library's `pcall`.
    PCall,
    /// The base library's `select` (its native): the interpreter answers
    /// `select('#', ...)` and `select(i, ...)` with `i >= 1` in place.
    Select(#[collect(require_static)] native::NativeFn, bool),
    /// The base library's `next` (its native): the interpreter runs a
    /// generic `for` over it without calling it.
    Next(#[collect(require_static)] native::NativeFn, bool),
    /// `ipairs`' iterator (its native): the interpreter steps generic `for`
    /// loops over it in place.
    INext(#[collect(require_static)] native::NativeFn, bool),
    /// `table.unpack` (its native): the interpreter answers `table.unpack(t)`
    /// of a short table without a metatable in place.
    Unpack(#[collect(require_static)] native::NativeFn, bool),
    /// A library function of one result (`math.sqrt`, `string.sub`,
    /// `tonumber`...): the interpreter answers calls for one result with
    /// [`native::ArgsFn`] when that takes the arguments, and otherwise
    /// calls the native.
    Args(
        #[collect(require_static)] native::NativeFn,
        bool,
        #[collect(require_static)] native::Answer,
    ),
    /// The base library's `type` (its native): the interpreter answers
    /// `type(v)` for one result with a name interned once.
    Type(#[collect(require_static)] native::NativeFn, bool),
    /// The base library's `error`.
    Error,
    /// A library function with upvalues, as PUC Lua's C closures have
    /// (`string.gmatch`'s iterator, `coroutine.wrap`'s function): what
    /// `debug.getupvalue` shows of it, each named "". Held weakly: the
    /// function's own root keeps them (see [`set_c_upvalues`]).
    CClosure(GcWeak<'gc, RefLock<Box<[Value<'gc>]>>>),
}

/// `coroutine.resume` or `coroutine.yield`: resumes and yields made in
/// place ([`crate::stdlib::coroutine::resume_in_place`]).
#[derive(Collect, Clone, Copy, PartialEq, Eq, Debug)]
#[collect(require_static)]
pub(crate) enum Switch {
    Resume,
    Yield,
}

/// What the interpreter finds behind a callback value.
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
pub(crate) enum Callee<'gc> {
    Closure(ClosureRef<'gc>),
    Native(#[collect(require_static)] native::NativeFn, bool),
    /// A library function with upvalues ([`native::closure`]).
    NativeClosure(
        #[collect(require_static)] native::NativeClosureFn,
        native::Upvalues<'gc>,
    ),
    PCall,
    /// `select`: its common forms in place, the rest as its native.
    Select(#[collect(require_static)] native::NativeFn, bool),
    /// `next`: generic `for` loops over it done in place.
    Next(#[collect(require_static)] native::NativeFn, bool),
    /// `ipairs`' iterator: generic `for` loops over it done in place.
    INext(#[collect(require_static)] native::NativeFn, bool),
    /// `table.unpack`: `table.unpack(t)` of a short plain table in place.
    Unpack(#[collect(require_static)] native::NativeFn, bool),
    /// A library function of one result ([`Kind::Args`]).
    Args(
        #[collect(require_static)] native::NativeFn,
        bool,
        #[collect(require_static)] native::Answer,
    ),
    /// `type` ([`Kind::Type`]).
    Type(#[collect(require_static)] native::NativeFn, bool),
    Error,
    Foreign,
}

/// Callback address -> (the callback, weak, and what it is), for library
/// functions (closures of this core are known by their callbacks' roots).
#[derive(Collect, Default)]
#[collect(no_drop)]
struct RegistryState<'gc> {
    map: PtrMap<(GcWeak<'gc, CallbackInner<'gc>>, Kind<'gc>)>,
    prune_at: usize,
    /// Suspended coroutines `coroutine.close` is closing: their entries
    /// unwind (running `__close` handlers) when resumed.
    closing: Vec<GcWeak<'gc, piccolo::thread::ThreadInner<'gc>>>,
    /// Threads with entries running, by address: a thread is here while
    /// entries run on it — which includes every suspended coroutine that
    /// yielded from this core's code, so there may be many (a list scanned
    /// on each new entry, and pruned on each new thread once 64 long, took
    /// starting a coroutine quadratic in the suspended ones alive).
    depth: PtrMap<ThreadEntries<'gc>>,
    /// The record of the thread last given a new entry, by address, kept
    /// out of `depth`: most entries are made on the thread of the entry
    /// before (a sort's comparator, `gsub`'s function, nested `pcall`s),
    /// and a map lookup each way cost ~20 instructions more than the list
    /// did (a `table.sort` with a Lua comparator 1.1-1.3x the time).
    hot: Option<(usize, ThreadEntries<'gc>)>,
    /// `depth`'s size at which entries of dead threads are dropped next.
    #[collect(require_static)]
    depth_prune_at: usize,
    /// Threads inside library calls that PUC Lua makes without a
    /// continuation (a `table.sort` comparator, a `gsub` replacement
    /// function, `__tostring` from `print`...), with how many: a yield there
    /// is "attempt to yield across a C-call boundary". A short list.
    no_yield: Vec<(GcWeak<'gc, piccolo::thread::ThreadInner<'gc>>, usize)>,
    /// `coroutine.resume` and `coroutine.yield`, and their positioned
    /// wrappers (a few library functions, kept alive).
    switches: Vec<(Callback<'gc>, Switch)>,
}

/// The entries of this core on one thread: how many (the C-stack-like
/// limit on nested entries) and those that have waited for a call (oldest
/// first), whose frames `debug.getinfo`/`traceback` walk. An entry that
/// never waits for a call cannot be seen from a library function.
#[derive(Collect)]
#[collect(no_drop)]
struct ThreadEntries<'gc> {
    thread: GcWeak<'gc, piccolo::thread::ThreadInner<'gc>>,
    count: usize,
    visible: Vec<GcWeak<'gc, RefLock<frames::EntryState<'gc>>>>,
}

#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
pub(crate) struct Registry<'gc>(Gc<'gc, RefLock<RegistryState<'gc>>>);

impl<'gc> Singleton<'gc> for Registry<'gc> {
    fn create(ctx: Context<'gc>) -> Self {
        Registry(Gc::new(
            &ctx,
            RefLock::new(RegistryState {
                prune_at: 1024,
                depth_prune_at: 64,
                ..Default::default()
            }),
        ))
    }
}

/// The entry a coroutine's first resume made in place runs
/// (`Thread::start_in_place`, from `coroutine::resume_in_place`): when `f`
/// is a closure of this core and no hook is set, an entry begun on `thread`
/// with the arguments in `args` (taken); `None`, with `args` untouched, for
/// anything else (the executor then starts the coroutine).
pub(crate) fn begin_coroutine<'gc>(
    ctx: Context<'gc>,
    thread: Thread<'gc>,
    f: Function<'gc>,
    args: &mut piccolo::Stack<'gc, '_>,
) -> Option<BoxSequence<'gc>> {
    let Function::Callback(cb) = f else {
        return None;
    };
    let closure = closure_of(cb)?;
    // (With this many arguments beginning could fail after taking them; a
    // failure before, the C-stack limit, leaves them.)
    if args.len() > 1000 || frames::DebugState::get(ctx).any_hooks() {
        return None;
    }
    let entry = exec::Entry::start_on(ctx, thread, closure.pool, closure, args).ok()?;
    Some(BoxSequence::new(&ctx, entry))
}

/// The closure of this core behind `cb` (known by the callback's root,
/// without the registry), if it is one.
#[inline(always)]
pub(crate) fn closure_of(cb: Callback<'_>) -> Option<ClosureRef<'_>> {
    ClosureRef::of(cb).map(LuaClosure::current)
}

impl<'gc> RegistryState<'gc> {
    /// The record of the thread at `key`, if it has entries running.
    #[inline]
    fn thread_entries(&self, key: usize) -> Option<&ThreadEntries<'gc>> {
        match &self.hot {
            Some((k, t)) if *k == key => Some(t),
            _ => self.depth.get(&key),
        }
    }

    /// [`Self::thread_entries`], to change; the record becomes the hot one.
    #[inline(always)]
    fn thread_entries_mut(&mut self, key: usize) -> Option<&mut ThreadEntries<'gc>> {
        if !matches!(self.hot, Some((k, _)) if k == key) && !self.make_hot(key) {
            return None;
        }
        self.hot.as_mut().map(|(_, t)| t)
    }

    /// Moves the record of the thread at `key` from `depth` to `hot` (the
    /// hot one to `depth`); false when it has none.
    #[inline(never)]
    fn make_hot(&mut self, key: usize) -> bool {
        let Some(t) = self.depth.remove(&key) else {
            return false;
        };
        if let Some((k, old)) = self.hot.replace((key, t)) {
            self.depth.insert(k, old);
        }
        true
    }

    /// Forgets the record of the thread at `key`.
    fn drop_thread_entries(&mut self, key: usize) {
        if matches!(self.hot, Some((k, _)) if k == key) {
            self.hot = None;
        } else {
            self.depth.remove(&key);
        }
    }
}

impl<'gc> Registry<'gc> {
    pub(crate) fn get(ctx: Context<'gc>) -> Self {
        *ctx.singleton::<Rootable![Registry<'_>]>()
    }

    /// What `cb` is: a closure of ours, a native library function, or
    /// something else.
    #[inline]
    pub(crate) fn callee(self, mc: &Mutation<'gc>, cb: Callback<'gc>) -> Callee<'gc> {
        if let Some(cl) = closure_of(cb) {
            return Callee::Closure(cl);
        }
        if let Some((f, upvalues)) = native::closure_parts(cb) {
            return Callee::NativeClosure(f, upvalues);
        }
        let inner = cb.into_inner();
        let state = self.0.borrow();
        let Some((wcb, kind)) = state.map.get(&(Gc::as_ptr(inner) as usize)) else {
            return Callee::Foreign;
        };
        match wcb.upgrade(mc) {
            Some(live) if Gc::ptr_eq(live, inner) => {}
            _ => return Callee::Foreign,
        }
        match *kind {
            Kind::Native(f, positioned) => Callee::Native(f, positioned),
            Kind::PCall => Callee::PCall,
            Kind::Select(f, positioned) => Callee::Select(f, positioned),
            Kind::Next(f, positioned) => Callee::Next(f, positioned),
            Kind::INext(f, positioned) => Callee::INext(f, positioned),
            Kind::Unpack(f, positioned) => Callee::Unpack(f, positioned),
            Kind::Type(f, positioned) => Callee::Type(f, positioned),
            Kind::Args(f, positioned, a) => Callee::Args(f, positioned, a),
            Kind::Error => Callee::Error,
            Kind::CClosure(_) => Callee::Foreign,
        }
    }

    /// Whether `cb` is `coroutine.resume` or `coroutine.yield` (or one with
    /// its caller's position added to its errors).
    #[inline]
    pub(crate) fn switch(self, cb: Callback<'gc>) -> Option<Switch> {
        let state = self.0.borrow();
        state
            .switches
            .iter()
            .find(|(f, _)| Gc::ptr_eq(f.into_inner(), cb.into_inner()))
            .map(|&(_, s)| s)
    }

    /// The closure behind `cb` when it is one of ours.
    #[inline]
    pub(crate) fn lookup(self, mc: &Mutation<'gc>, cb: Callback<'gc>) -> Option<ClosureRef<'gc>> {
        match self.callee(mc, cb) {
            Callee::Closure(cl) => Some(cl),
            _ => None,
        }
    }

    fn insert(self, mc: &Mutation<'gc>, cb: Callback<'gc>, kind: Kind<'gc>) {
        let mut state = self.0.borrow_mut(mc);
        let inner = cb.into_inner();
        state
            .map
            .insert(Gc::as_ptr(inner) as usize, (Gc::downgrade(inner), kind));
        if state.map.len() >= state.prune_at {
            state.map.retain(|_, (w, _)| w.upgrade(mc).is_some());
            state.prune_at = (state.map.len() * 2).max(1024);
        }
    }

    /// Counts one more entry on `thread`; false when the limit is reached.
    pub(crate) fn enter(self, mc: &Mutation<'gc>, thread: Thread<'gc>) -> bool {
        let mut state = self.0.borrow_mut(mc);
        let key = thread_key(thread);
        if let Some(t) = state.thread_entries_mut(key) {
            if t.count >= MAX_ENTRY_DEPTH {
                return false;
            }
            t.count += 1;
            return true;
        }
        // Threads that died with entries counted (a coroutine dropped while
        // suspended in one) are forgotten here, each time the map has
        // doubled. (A weak pointer keeps its thread's address from being
        // reused, so an address is one thread while it is here.)
        if state.depth.len() >= state.depth_prune_at {
            state.depth.retain(|_, t| t.thread.upgrade(mc).is_some());
            state.depth_prune_at = (state.depth.len() * 2).max(64);
        }
        let record = ThreadEntries {
            thread: Gc::downgrade(thread.into_inner()),
            count: 1,
            visible: Vec::new(),
        };
        if let Some((k, old)) = state.hot.replace((key, record)) {
            state.depth.insert(k, old);
        }
        true
    }

    fn no_yield_add(self, mc: &Mutation<'gc>, thread: Thread<'gc>, delta: isize) {
        let mut state = self.0.borrow_mut(mc);
        let weak = Gc::downgrade(thread.into_inner());
        let list = &mut state.no_yield;
        match list.iter().position(|(t, _)| GcWeak::ptr_eq(*t, weak)) {
            Some(i) => {
                let n = list[i].1.saturating_add_signed(delta);
                if n == 0 {
                    list.swap_remove(i);
                } else {
                    list[i].1 = n;
                }
            }
            None if delta > 0 => {
                if list.len() >= 64 {
                    list.retain(|(t, _)| t.upgrade(mc).is_some());
                }
                list.push((weak, delta as usize));
            }
            None => {}
        }
    }

    pub(crate) fn yieldable(self, thread: Thread<'gc>) -> bool {
        let weak = Gc::downgrade(thread.into_inner());
        !self
            .0
            .borrow()
            .no_yield
            .iter()
            .any(|(t, _)| GcWeak::ptr_eq(*t, weak))
    }

    /// Marks `thread` (suspended, with entries of this core) as being
    /// closed by `coroutine.close`, or unmarks it.
    pub(crate) fn set_closing(self, mc: &Mutation<'gc>, thread: Thread<'gc>, on: bool) {
        let mut state = self.0.borrow_mut(mc);
        let weak = Gc::downgrade(thread.into_inner());
        state.closing.retain(|w| !GcWeak::ptr_eq(*w, weak));
        if on {
            state.closing.push(weak);
        }
    }

    /// Whether `thread` is being closed; the mark is taken (only the entry
    /// that was waiting when the close began unwinds with [`CloseSignal`];
    /// the entries around it get that error as usual, and `__close`
    /// handlers called while unwinding run normally).
    #[inline]
    pub(crate) fn take_closing(self, mc: &Mutation<'gc>, thread: Thread<'gc>) -> bool {
        if self.0.borrow().closing.is_empty() {
            return false;
        }
        let mut state = self.0.borrow_mut(mc);
        let weak = Gc::downgrade(thread.into_inner());
        match state.closing.iter().position(|w| GcWeak::ptr_eq(*w, weak)) {
            Some(i) => {
                state.closing.swap_remove(i);
                true
            }
            None => false,
        }
    }

    /// Entries running on `thread`.
    pub(crate) fn depth(self, thread: Thread<'gc>) -> usize {
        let state = self.0.borrow();
        state
            .thread_entries(thread_key(thread))
            .map_or(0, |t| t.count)
    }

    /// Counts one entry less on `thread` (and forgets `entry`).
    pub(crate) fn leave(
        self,
        mc: &Mutation<'gc>,
        thread: Thread<'gc>,
        entry: Option<frames::Entry<'gc>>,
    ) {
        let mut state = self.0.borrow_mut(mc);
        let key = thread_key(thread);
        if let Some(t) = state.thread_entries_mut(key) {
            t.count -= 1;
            if let Some(entry) = entry {
                let me = Gc::downgrade(entry);
                if let Some(pos) = t.visible.iter().rposition(|w| GcWeak::ptr_eq(*w, me)) {
                    t.visible.remove(pos);
                }
            }
            if t.count == 0 {
                state.drop_thread_entries(key);
            }
        }
    }

    /// Makes `entry` (the newest entry on `thread`, about to wait for a
    /// call for the first time) visible to the debug library.
    pub(crate) fn show(self, mc: &Mutation<'gc>, thread: Thread<'gc>, entry: frames::Entry<'gc>) {
        let mut state = self.0.borrow_mut(mc);
        if let Some(t) = state.thread_entries_mut(thread_key(thread)) {
            t.visible.push(Gc::downgrade(entry));
        }
    }

    /// Calls `f` on the visible entries of `thread`, newest first, until
    /// it returns `Some`.
    pub(crate) fn find_entry<R>(
        self,
        mc: &Mutation<'gc>,
        thread: Thread<'gc>,
        mut f: impl FnMut(usize, frames::Entry<'gc>) -> Option<R>,
    ) -> Option<R> {
        let state = self.0.borrow();
        let t = state.thread_entries(thread_key(thread))?;
        for (i, w) in t.visible.iter().rev().enumerate() {
            if let Some(e) = w.upgrade(mc) {
                if let Some(r) = f(i, e) {
                    return Some(r);
                }
            }
        }
        None
    }

    /// The live entries on `thread` (those that have waited), newest first.
    pub(crate) fn entries(
        self,
        mc: &Mutation<'gc>,
        thread: Thread<'gc>,
    ) -> Vec<frames::Entry<'gc>> {
        let state = self.0.borrow();
        match state.thread_entries(thread_key(thread)) {
            Some(t) => t
                .visible
                .iter()
                .rev()
                .filter_map(|e| e.upgrade(mc))
                .collect(),
            None => Vec::new(),
        }
    }
}

/// The key of `thread` in [`RegistryState::depth`]: its address.
#[inline]
fn thread_key(thread: Thread<'_>) -> usize {
    Gc::as_ptr(thread.into_inner()) as usize
}

/// Nested entries (through `pcall`, metamethods, library callbacks) per
/// thread at most, like PUC Lua's `LUAI_MAXCCALLS`.
pub const MAX_ENTRY_DEPTH: usize = 200;
/// Register stack slots per entry at most, like PUC Lua's `LUAI_MAXSTACK`.
pub const MAX_STACK_SLOTS: usize = 1_000_000;

/// The memory limit as the own core sees it: at its allocation sites
/// (tables, closures, concatenation, table stores, library calls) it
/// compares the heap with `limit`; past it the entry pauses so the runtime
/// can collect, and when the runtime then finds the heap still too big it
/// sets `over`, and the paused instruction raises "not enough memory" — a
/// Lua error `pcall` catches, as PUC Lua's allocation failure is.
#[derive(Default, Collect)]
#[collect(require_static)]
pub struct MemoryGuard {
    /// Bytes (0: no limit).
    pub limit: std::cell::Cell<usize>,
    /// Set by the runtime: the heap is over the limit after a full
    /// collection; the next allocation site raises.
    pub over: std::cell::Cell<bool>,
}

#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
pub(crate) struct MemoryRoot<'gc>(pub(crate) Gc<'gc, MemoryGuard>);

impl<'gc> Singleton<'gc> for MemoryRoot<'gc> {
    fn create(ctx: Context<'gc>) -> Self {
        MemoryRoot(Gc::new(&ctx, MemoryGuard::default()))
    }
}

/// Gives the library function `cb` the upvalues in `cell` (see
/// [`Kind::CClosure`]); they are for the debug library to show, the
/// function keeps its own state. `cb` must keep `cell` (in its root): the
/// registry holds it weakly, as it holds `cb`. (Held strongly, an upvalue
/// that leads back to `cb` — a suspended coroutine of `coroutine.wrap`,
/// whose stack holds the call of its function — kept both alive for good:
/// the registry's key is weak, but its entry kept the key reachable.)
pub fn set_c_upvalues<'gc>(ctx: Context<'gc>, cb: Callback<'gc>, cell: native::Upvalues<'gc>) {
    Registry::get(ctx).insert(&ctx, cb, Kind::CClosure(Gc::downgrade(cell)));
}

/// The upvalues of the library function `cb`, if it has any (see
/// [`set_c_upvalues`]).
pub fn c_upvalues<'gc>(
    ctx: Context<'gc>,
    cb: Callback<'gc>,
) -> Option<Gc<'gc, RefLock<Box<[Value<'gc>]>>>> {
    if let Some((_, upvalues)) = native::closure_parts(cb) {
        return Some(upvalues);
    }
    let registry = Registry::get(ctx);
    let state = registry.0.borrow();
    let inner = cb.into_inner();
    let (wcb, kind) = state.map.get(&(Gc::as_ptr(inner) as usize))?;
    match (wcb.upgrade(&ctx), kind) {
        (Some(live), Kind::CClosure(cell)) if Gc::ptr_eq(live, inner) => cell.upgrade(&ctx),
        _ => None,
    }
}

/// `debug.upvaluejoin(f1, n1, ...)`: upvalue `n1` (from 0) of `f1`, a
/// function of this core, becomes `cell`. False when `f1` is not one of
/// ours or `n1` is out of range.
pub fn join_upvalue<'gc>(
    ctx: Context<'gc>,
    f1: Callback<'gc>,
    n1: usize,
    cell: UpvalueCell<'gc>,
) -> bool {
    let registry = Registry::get(ctx);
    let Some(cur) = registry.lookup(&ctx, f1) else {
        return false;
    };
    if n1 >= cur.upvalues.len() {
        return false;
    }
    let mut upvalues = cur.upvalues.clone();
    upvalues[n1] = cell;
    let new = LuaClosure::alloc_in(ctx, cur.pool, cur.proto, upvalues, Some(f1));
    Gc::write(&ctx, cur.0.into_inner());
    // SAFETY: the write barrier of the object holding the closure was just
    // taken (`Gc::write` of its callback).
    #[allow(unsafe_code)]
    let w = unsafe { gc_arena::barrier::Write::assume(cur.get()) };
    unlock!(w, LuaClosure, replaced).set(Some(new));
    true
}

/// Records a table write the interpreters' field caches cannot see
/// otherwise (one made around piccolo's `RawTable::set`).
pub fn note_table_write(_ctx: Context<'_>) {
    piccolo::table::note_string_key_write();
}

/// The error the own core raises past the memory limit: `pcall` sees the
/// message "not enough memory"; uncaught, the runtime reports
/// [`crate::ErrorKind::Memory`].
#[derive(Debug, Clone, Copy)]
pub struct MemoryError;

impl std::fmt::Display for MemoryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not enough memory")
    }
}

impl std::error::Error for MemoryError {}

/// What unwinds the entries of a coroutine `coroutine.close` closes: its
/// `__close` handlers get nil as the error, `pcall` does not catch it.
#[derive(Debug, Clone, Copy)]
pub struct CloseSignal;

impl std::fmt::Display for CloseSignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("coroutine closed")
    }
}

impl std::error::Error for CloseSignal {}

/// Whether `e` is a [`CloseSignal`].
pub fn is_close_signal(e: &piccolo::Error<'_>) -> bool {
    matches!(e, piccolo::Error::Runtime(r) if r.0.downcast_ref::<CloseSignal>().is_some())
}

/// Starts closing `thread`, a suspended coroutine whose code (of this
/// core) is waiting in an entry: resumed, its entries unwind and run their
/// `__close` handlers, and the thread ends with [`CloseSignal`] (or the
/// error a handler raised). False when no entry of this core runs on it
/// (then there is nothing to close).
pub fn begin_close<'gc>(ctx: Context<'gc>, thread: Thread<'gc>) -> bool {
    let registry = Registry::get(ctx);
    if registry.depth(thread) == 0 {
        return false;
    }
    registry.set_closing(&ctx, thread, true);
    true
}

/// Ends what [`begin_close`] started.
pub fn end_close<'gc>(ctx: Context<'gc>, thread: Thread<'gc>) {
    Registry::get(ctx).set_closing(&ctx, thread, false);
}

/// Whether `e` is a [`MemoryError`].
pub fn is_memory_error(e: &piccolo::Error<'_>) -> bool {
    matches!(e, piccolo::Error::Runtime(r) if r.0.downcast_ref::<MemoryError>().is_some())
}

/// This state's [`MemoryGuard`].
pub fn memory_guard(ctx: Context<'_>) -> &MemoryGuard {
    let g: Gc<'_, MemoryGuard> = ctx.singleton::<Rootable![MemoryRoot<'_>]>().0;
    Gc::as_ref(g)
}
/// Forgets the entry counts (call when the executor is reset: a stopped
/// run leaves its entries counted).
pub fn reset(ctx: Context<'_>) {
    {
        let mut state = Registry::get(ctx).0.borrow_mut(&ctx);
        state.depth.clear();
        state.hot = None;
    }
    frames::DebugState::get(ctx).reset(&ctx);
    memory_guard(ctx).over.set(false);
}

pub use exec::Sync;

/// Whether a coroutine yield on `thread` is allowed now: not while a library
/// function calls a function the way PUC Lua's C functions do without a
/// continuation ([`CCall`]).
pub fn yieldable<'gc>(ctx: Context<'gc>, thread: Thread<'gc>) -> bool {
    Registry::get(ctx).yieldable(thread)
}

/// A library sequence's call of a function that PUC Lua makes with
/// `lua_call` (no continuation): while it runs, the thread cannot yield
/// ("attempt to yield across a C-call boundary"), as in PUC Lua. The
/// sequence keeps one of these, makes its calls with [`CCall::call`] and
/// calls [`CCall::returned`] first thing in `poll` and in `error`.
#[derive(Collect, Default)]
#[collect(require_static)]
pub struct CCall {
    active: bool,
}

impl CCall {
    /// `SequencePoll::Call` of `function`, counted as a C call of the
    /// current thread.
    pub fn call<'gc>(
        &mut self,
        ctx: Context<'gc>,
        exec: &piccolo::Execution<'gc, '_>,
        function: Function<'gc>,
    ) -> piccolo::SequencePoll<'gc> {
        self.enter(ctx, exec);
        piccolo::SequencePoll::Call {
            function,
            is_tail: false,
        }
    }

    /// Counts a call the caller makes itself (a callback's
    /// `CallbackReturn::Call` with this sequence as `then`).
    pub fn enter<'gc>(&mut self, ctx: Context<'gc>, exec: &piccolo::Execution<'gc, '_>) {
        // The called function is called by a library function, not by the
        // Lua code that called that one (no position, global names in its
        // argument errors, as `pcall`-like callers do).
        frames::DebugState::get(ctx).clear_caller(&ctx);
        if !self.active {
            Registry::get(ctx).no_yield_add(&ctx, exec.current_thread().thread, 1);
            self.active = true;
        }
    }

    /// The call made by [`CCall::call`] returned or raised an error.
    pub fn returned<'gc>(&mut self, ctx: Context<'gc>, exec: &piccolo::Execution<'gc, '_>) {
        if self.active {
            self.active = false;
            Registry::get(ctx).no_yield_add(&ctx, exec.current_thread().thread, -1);
        }
    }
}

/// A function of this core that a library sequence (`table.sort`'s
/// comparator, `gsub`'s replacement) calls in place, looked up once: the
/// sequence keeps it for all its calls, with the interpreter they run on
/// (call [`SyncTarget::release`] when done; a target dropped without it
/// only costs the pool that interpreter).
#[derive(Collect)]
#[collect(no_drop)]
pub struct SyncTarget<'gc> {
    closure: ClosureRef<'gc>,
    warm: exec::Warm<'gc>,
}

impl<'gc> SyncTarget<'gc> {
    /// `f` when it is a closure of this core.
    pub fn of(ctx: Context<'gc>, f: Function<'gc>) -> Option<Self> {
        Some(SyncTarget {
            closure: as_lua_closure(ctx, f)?,
            warm: None,
        })
    }

    /// Calls this function with the arguments on `stack`, right here,
    /// spending `exec`'s fuel (no round trip through the executor); a call
    /// that must wait (out of fuel, a foreign call) comes back as
    /// [`Sync::Suspended`] for the caller to return as a
    /// `SequencePoll::Call` (its results are the call's results).
    pub fn call(
        &mut self,
        ctx: Context<'gc>,
        exec: &mut piccolo::Execution<'gc, '_>,
        stack: &mut piccolo::Stack<'gc, '_>,
    ) -> Result<Sync<'gc>, piccolo::Error<'gc>> {
        exec::Entry::call_sync(
            ctx,
            exec,
            self.closure.pool,
            self.closure,
            &mut self.warm,
            stack,
        )
    }

    /// Gives the interpreter kept for the next call back to the pool.
    pub fn release(&mut self, ctx: Context<'gc>) {
        exec::Entry::release(ctx, &mut self.warm);
    }
}

/// The closure behind `f` when it is a function of this core.
pub fn as_lua_closure<'gc>(ctx: Context<'gc>, f: Function<'gc>) -> Option<ClosureRef<'gc>> {
    match f {
        Function::Callback(cb) => Registry::get(ctx).lookup(&ctx, cb),
        Function::Closure(_) => None,
    }
}

/// Verifies `proto` and makes the main-chunk closure, its first upvalue
/// (`_ENV`) bound to `env`; other upvalues start nil (as `load` does).
pub fn load_proto<'gc>(
    ctx: Context<'gc>,
    proto: Proto,
    env: Value<'gc>,
) -> Result<Function<'gc>, VerifyError> {
    verify(&proto)?;
    main_closure(ctx, ProtoRt::new(ctx, proto), env)
}

/// [`load_proto`] for a library function written in Lua (see
/// [`ProtoRt::library`]).
pub fn load_library_proto<'gc>(
    ctx: Context<'gc>,
    proto: Proto,
    env: Value<'gc>,
) -> Result<Function<'gc>, VerifyError> {
    verify(&proto)?;
    main_closure(ctx, ProtoRt::prepare(ctx, proto, true), env)
}

/// The main-chunk closure of `rt`, `_ENV` bound to `env`.
fn main_closure<'gc>(
    ctx: Context<'gc>,
    rt: Gc<'gc, ProtoRt<'gc>>,
    env: Value<'gc>,
) -> Result<Function<'gc>, VerifyError> {
    let upvalues: Upvalues<'_> = (0..rt.proto.upvalues.len())
        .map(|i| {
            let v = if i == 0 { env } else { Value::Nil };
            Gc::new(&ctx, Lock::new(UpState::Closed(v)))
        })
        .collect();
    Ok(LuaClosure::alloc(ctx, rt, upvalues).function())
}

/// Forgets which entry is calling the running callback: its caller is
/// not Lua code (`pcall`, `coroutine.resume` and friends call this before
/// calling on).
pub(crate) fn set_call_site(ctx: Context<'_>, _site: Option<()>) {
    frames::DebugState::get(ctx).clear_caller(&ctx);
}

/// What library functions keep to ask where the running callback was
/// called from (the entry of this core calling it), and to forget it.
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
pub(crate) struct CallSite<'gc>(frames::DebugState<'gc>);

impl<'gc> CallSite<'gc> {
    pub(crate) fn get(ctx: Context<'gc>) -> Self {
        CallSite(frames::DebugState::get(ctx))
    }

    /// The calling frame of this core (level 1), if the running callback
    /// was called by this core's code, and the index of its call
    /// instruction (for the line and the called name, worked out only when
    /// an error needs them; a frame of a library function written in Lua,
    /// [`ProtoRt::library`], is no Lua caller there).
    #[inline]
    pub(crate) fn caller_call(self) -> Option<(ClosureRef<'gc>, usize)> {
        let entry = self.0.caller()?;
        let st = entry.borrow();
        let f = st.frames.last()?;
        Some((f.closure, f.pc.saturating_sub(1)))
    }

    /// Forgets the caller (only `[None, None]` is meaningful: the caller is
    /// known from the entries themselves).
    #[inline]
    pub(crate) fn set(self, mc: &Mutation<'gc>, sites: [Option<Site<'gc>>; 2]) {
        if sites[0].is_none() {
            self.0.clear_caller(mc);
        }
    }
}

/// A calling closure of this core and the line of the call.
pub(crate) type Site<'gc> = (ClosureRef<'gc>, i64);

/// The `chunk`, `line` of the call this core is making right now, if the
/// running callback was called by this core's code (`luaL_where(L, 1)`).
pub fn call_site(ctx: Context<'_>) -> Option<(Rc<str>, i64)> {
    let (cl, line) = call_site_closure(ctx)?;
    Some((cl.proto.chunk_id.clone(), line))
}

/// The closure of this core calling the running callback, and the line;
/// none for a library function written in Lua ([`ProtoRt::library`]),
/// which stands for a C function.
pub fn call_site_closure<'gc>(ctx: Context<'gc>) -> Option<(ClosureRef<'gc>, i64)> {
    let entry = frames::DebugState::get(ctx).caller()?;
    let st = entry.borrow();
    let f = st.frames.last().filter(|f| !f.closure.proto.library)?;
    Some((
        f.closure,
        f.closure.proto.proto.line_at(f.pc.saturating_sub(1)),
    ))
}

impl<'gc> LuaClosure<'gc> {
    /// Upvalue `i`'s name and current value (`debug.getupvalue`); an open
    /// upvalue whose register stack is in use reads as nil.
    pub fn upvalue(&self, i: usize) -> Option<(&str, Value<'gc>)> {
        let cell = self.upvalues.get(i)?;
        let name = self.proto.proto.upvalues.get(i).map_or("?", |u| {
            if u.name.is_empty() {
                "(no name)"
            } else {
                u.name.as_str()
            }
        });
        let v = match cell.get() {
            UpState::Closed(v) => v,
            UpState::Open { stack, index } => stack
                .try_borrow()
                .ok()
                .and_then(|s| s.get(index).copied())
                .unwrap_or_default(),
        };
        Some((name, v))
    }

    /// Sets upvalue `i` (`debug.setupvalue`); its name, or `None` when out
    /// of range (or its register stack is in use).
    pub fn set_upvalue(&self, mc: &Mutation<'gc>, i: usize, v: Value<'gc>) -> Option<&str> {
        let cell = *self.upvalues.get(i)?;
        match cell.get() {
            UpState::Closed(_) => cell.set(mc, UpState::Closed(v)),
            UpState::Open { stack, index } => {
                let mut s = stack.try_borrow_mut(mc).ok()?;
                *s.get_mut(index)? = v;
            }
        }
        self.upvalue(i).map(|(n, _)| n)
    }

    /// An identity for upvalue `i` (`debug.upvalueid`): equal for closures
    /// that share the variable.
    pub fn upvalue_id(&self, i: usize) -> Option<usize> {
        self.upvalues.get(i).map(|c| Gc::as_ptr(*c) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inline and boxed upvalue lists read back the cells they were built
    /// from, in order, whichever way they were built.
    #[test]
    fn upvalues_keep_their_cells_in_order() {
        let mut lua = piccolo::Lua::core();
        lua.enter(|ctx| {
            for n in 0..6usize {
                let cells: Vec<UpvalueCell<'_>> = (0..n)
                    .map(|i| Gc::new(&ctx, Lock::new(UpState::Closed(Value::Integer(i as i64)))))
                    .collect();
                let a: Upvalues<'_> = cells.iter().copied().collect();
                let mut b: Upvalues<'_> = cells.clone().into();
                for ups in [&a, &b] {
                    assert_eq!(ups.len(), n);
                    for (i, c) in cells.iter().enumerate() {
                        assert!(Gc::ptr_eq(ups[i], *c));
                        // SAFETY: `i < n`.
                        #[allow(unsafe_code)]
                        let u = unsafe { ups.cell_unchecked(i) };
                        assert!(Gc::ptr_eq(u, *c));
                    }
                }
                assert_eq!(
                    matches!(a, Upvalues::Many(_)),
                    n > 2,
                    "up to two cells are kept inline"
                );
                if n > 0 {
                    let fresh = Gc::new(&ctx, Lock::new(UpState::Closed(Value::Nil)));
                    b[n - 1] = fresh;
                    assert!(Gc::ptr_eq(b[n - 1], fresh));
                    assert!(Gc::ptr_eq(a[n - 1], cells[n - 1]), "a clone is separate");
                }
            }
        });
    }
}
