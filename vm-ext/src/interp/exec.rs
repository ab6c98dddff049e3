//! The interpreter loop: one [`Interp`] sequence per entry from outside.

use gc_arena::{
    allocator_api::MetricsAlloc,
    lock::{Lock, RefLock},
    Collect, Gc,
};
use piccolo::{
    table::string_key_writes, table::NextValue, Callback, CallbackReturn, Context, Error,
    Execution, Fuel, Function, Sequence, SequencePoll, Stack, String as LuaString, Table, Thread,
    Value,
};

use super::{
    frames::{self, DebugState, EntryState},
    names::{varinfo, VarRef},
    native,
    ops::{self, ArithFail, ArithOp},
    tag::{int_of, num_of, tag, INT, NUM},
    Callee, ClosureRef, LuaClosure, ProtoRt, RegStack, Registry, Regs, UpState, UpvalueCell,
    MAX_STACK_SLOTS,
};
use crate::{
    bytecode::Op,
    number::float_to_string,
    stdlib::check::{metatable_of, type_name},
};

/// `__index`/`__newindex` chains longer than this are an error (PUC's MAXTAGLOOP).
const MAX_TAG_LOOP: usize = 2000;

#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
pub(crate) struct Frame<'gc> {
    pub(crate) closure: ClosureRef<'gc>,
    /// Absolute index of `R[0]`.
    pub(crate) base: usize,
    /// Absolute index of the called function (results go here).
    pub(crate) func: usize,
    /// Next instruction.
    pub(crate) pc: usize,
    /// Extra arguments, stored just below `base`.
    pub(crate) nvarargs: usize,
    /// Results the caller wants (`-1`: all).
    want: i32,
    /// Entered by a tail call.
    pub(crate) tail: bool,
    /// A metamethod called in place: its result goes where the
    /// continuation on [`Interp::mm`] says.
    pub(crate) mm: bool,
    /// The frame may have open upvalues or to-be-closed variables of its
    /// own: set when it makes a closure over its registers
    /// ([`Interp::find_upvalue`]) or marks a variable to be closed
    /// ([`Interp::mark_tbc`]) (and kept by a tail call), never cleared, so
    /// a return without it needs no look at [`Interp::open`] or
    /// [`Interp::tbc`] (`simple_top`).
    pub(crate) closes: bool,
    /// For a function called by `pcall` in place: the results `pcall`'s
    /// caller wants (`-1`: all); [`NOT_PROTECTED`] otherwise. `pcall` itself
    /// sits at `func - 1`.
    pub(crate) pcall_want: i32,
}

/// [`Frame::pcall_want`] of an ordinary frame.
pub(crate) const NOT_PROTECTED: i32 = i32::MIN;

impl Frame<'_> {
    /// `chunk:line: ` of this frame's current instruction, then `msg` (a
    /// position as `luaL_where`/`luaL_error` write it).
    fn where_msg(&self, msg: &[u8]) -> Vec<u8> {
        let proto = &self.closure.proto;
        let line = proto.proto.line_at(self.pc.saturating_sub(1));
        let mut text = format!("{}:{}: ", proto.chunk_id, line).into_bytes();
        text.extend_from_slice(msg);
        text
    }
}

/// An argument error of a library function called in place by `frame`,
/// named as PUC Lua's `luaL_argerror` names it from the call instruction
/// (`calling 'sub' on bad self`, `bad argument #1 to 'rep'` for
/// `("x"):rep()`); None when unchanged.
#[cold]
fn native_arg_error_name(frame: &Frame<'_>, msg: &[u8]) -> Option<Vec<u8>> {
    let called =
        super::frames::funcnamefromcode(&frame.closure.proto.proto, frame.pc.checked_sub(1)?);
    crate::stdlib::check::rename_arg_error(msg, called, || None)
}

/// What to do with the results of a call made through the executor.
#[derive(Collect, Clone, Copy, Debug)]
#[collect(require_static)]
enum Cont {
    None,
    /// Results to `R[dest..]` (absolute), `want` of them (`-1`: all, sets top);
    /// `then_return`: then return them from the current frame (a tail call).
    Call {
        dest: usize,
        want: i32,
        then_return: bool,
    },
    /// First result to the absolute register `dest`.
    Store {
        dest: usize,
    },
    /// First result's truth decides a conditional jump: skip the next
    /// instruction unless `truth ^ negate == k`.
    Cond {
        k: bool,
        negate: bool,
    },
    /// Results are dropped.
    Discard,
    /// A `__close` handler called by the instruction at the frame's `pc`
    /// (re-run after it); results are dropped.
    Close,
    /// A `__concat` result: store to `R[a + k - 1]` (absolute `a`) and go on
    /// concatenating `R[a .. a + k]`.
    Concat {
        a: usize,
        k: usize,
    },
    /// A `__close` handler called while unwinding an error.
    Unwind,
    /// A hook function; then go on with the instruction at `pc` of the
    /// current frame.
    Hook {
        pc: usize,
    },
    /// A hook function called for a library function's call (`ret`: its
    /// return); then make that call (deliver its results) as set aside.
    HookC {
        ret: bool,
    },
}

/// How an error message names the failing operand.
enum Fail<'gc> {
    /// A message that still needs `chunk:line:`.
    Msg(String),
    /// `attempt to <op> a <type> value<varinfo>`.
    Typed {
        op: &'static str,
        value: Value<'gc>,
        var: VarRef,
    },
    /// `number<varinfo> has no integer representation`.
    NoInt(VarRef),
    /// An error value to raise as it is.
    Raw(Error<'gc>),
}

impl<'gc> From<Error<'gc>> for Fail<'gc> {
    fn from(e: Error<'gc>) -> Self {
        Fail::Raw(e)
    }
}

/// What the dispatch loop stopped for.
enum Outcome<'gc> {
    /// The entry returned; its results are on the piccolo stack.
    Return,
    /// Call this function through the executor with the piccolo stack as
    /// arguments; the continuation is set.
    Call(Function<'gc>),
    /// Out of fuel.
    Pending,
    /// Over the memory limit: pause for the runtime to collect (and
    /// maybe set [`super::MemoryGuard::over`]).
    MemoryCheck,
}

/// Result of a step that may need a foreign call.
enum Flow<'gc> {
    Next,
    Call(Function<'gc>),
    /// A direct call of a native ended the entry (a tail call from the
    /// entry's first frame).
    Out(Outcome<'gc>),
}

#[derive(Collect)]
#[collect(no_drop)]
pub(super) struct Interp<'gc> {
    regs: RegStack<'gc>,
    frames: Vec<Frame<'gc>>,
    /// Open upvalues of this entry's stack, sorted by register index.
    open: Vec<(usize, UpvalueCell<'gc>)>,
    /// Registers marked to-be-closed, in marking order.
    tbc: Vec<usize>,
    /// End of the last variable-length list.
    top: usize,
    cont: Cont,
    /// The error being propagated while `__close` handlers run.
    unwinding: Option<Error<'gc>>,
    thread: Thread<'gc>,
    counted: bool,
    registry: Registry<'gc>,
    /// Recently called callbacks of this core and their closures (saves
    /// the callee lookup on hot calls).
    cache: [Option<(Callback<'gc>, Callee<'gc>)>; CACHE_SIZE],
    /// Whether `cache` may hold anything (set on each write).
    #[collect(require_static)]
    cached: bool,
    names: Gc<'gc, MetaNames<'gc>>,
    /// The metatables of the types without their own, by type name
    /// ([`crate::stdlib::check::TypeMetatables`]).
    types: Table<'gc>,
    pool: Pool<'gc>,
    /// Protected frames (`pcall` in place) on `frames`.
    protected: usize,
    /// The metamethod frames on `frames` (by index, oldest first) and what
    /// to do with each one's result ([`Self::mm_in_place`]).
    #[collect(require_static)]
    mm: Vec<(usize, Cont)>,
    memory: Gc<'gc, super::MemoryGuard>,
    /// Whether weak tables exist (their entries are outside the raw table).
    weak: Gc<'gc, crate::weak::Shared<'gc>>,
    /// Field cache: recent `table[string]` reads and writes of this entry
    /// (see [`KEntry`]); empty until first used.
    kcache: Vec<KEntry<'gc>>,
    /// `kcache`'s length less one: its length is always a power of two
    /// (1 when nothing is cached: one entry that holds nothing), so a slot
    /// masked with this is in range (see [`kslot`]).
    #[collect(require_static)]
    kmask: usize,
    /// Entries the field cache took since it last grew (see [`KCACHE_START`]).
    #[collect(require_static)]
    kfills: usize,
    /// Entries with another stamp are stale (bumping it empties the cache).
    #[collect(require_static)]
    kstamp: u64,
    /// [`piccolo::table::string_key_writes`] when the cache was last known good.
    #[collect(require_static)]
    kseen: u64,
    /// What the debug library sees of this entry (its frames while it
    /// waits), made when it first waits for a call.
    rec: Option<frames::Entry<'gc>>,
    dbg: DebugState<'gc>,
    /// Hook bookkeeping (only used while a hook is set).
    #[collect(require_static)]
    hk: HookRun,
    /// A library function called while hooks are on (for its return event).
    c_call: Option<Function<'gc>>,
    /// The call (function and arguments) or the results a C-function hook
    /// event set aside, and their continuation.
    c_saved: Vec<Value<'gc>>,
    #[collect(require_static)]
    c_cont: Cont,
    /// The library function (called in place) that raised the error being
    /// handled, for the traceback's first level.
    raised_by: Option<Function<'gc>>,
    /// What a run for a resume made in place ([`Entry::resume_in_place`])
    /// returned when it was not a yield, and the values it left: the
    /// executor's usual resume of the thread follows at once, and the next
    /// poll hands these over as if it had run then.
    replay: Option<Box<(Replay<'gc>, Vec<Value<'gc>>)>>,
    /// Running for a resume made in place: the executor's current thread
    /// is the resumer's, not this entry's.
    #[collect(require_static)]
    switched: bool,
}

/// A poll's result kept by [`Interp::replay`].
#[derive(Collect)]
#[collect(no_drop)]
enum Replay<'gc> {
    Return,
    Pending,
    Call(Function<'gc>),
    Err(Error<'gc>),
}

/// Where the hooks of an entry stand.
#[derive(Default)]
struct HookRun {
    /// Hooks were on at the last poll.
    active: bool,
    /// The entry has been polled before (else its first frame is new).
    polled: bool,
    /// The last step was a tail call into a new function.
    tail: bool,
    /// A new function is starting (its first instruction gets a line event).
    first: bool,
    /// Frames at the last step (a deeper stack: a call happened).
    depth: usize,
    /// Instruction of the last line event (PUC's `oldpc`).
    oldpc: usize,
    /// `ftransfer`, `ntransfer` of the hook event being reported.
    transfer: (usize, usize),
    /// Instructions left until the next count event.
    count_left: u32,
    /// The [`frames::Hook::serial`] `count_left` counts for.
    serial: u64,
    /// Events of the instruction at the top frame's pc already delivered:
    /// 0 none, 1 call, 2 count, 3 line, 4 return.
    stage: u8,
}

const CACHE_SIZE: usize = 32;

/// The callee cache's slot for `cb`.
#[inline(always)]
fn cslot(cb: Callback<'_>) -> usize {
    // The callee cache is two-way: `cb` is in one of the pair of slots
    // starting here, the most recently added first (one way missed on two
    // functions called in turn that shared a slot: `json 2` 12,566 times).
    ((Gc::as_ptr(cb.into_inner()) as usize >> 4) % (CACHE_SIZE / 2)) * 2
}

/// Slots of the field cache at most (a power of two).
const KCACHE_SIZE: usize = 256;

/// Slots of a new field cache (a power of two). It grows 4-fold each time
/// it has taken twice as many new entries as it has slots, up to
/// [`KCACHE_SIZE`]: a busy interpreter has the full cache after ~160
/// misses, and a coroutine that does little keeps a small one (all 256
/// slots were ~12 KB of every suspended coroutine that had read a field:
/// 10,000 of them took 131 MB against PUC Lua's 14 MB).
const KCACHE_START: usize = 16;

/// One slot of the field cache: `t[k]` was `v` (nil included) when the
/// entry's stamp was current. A table's raw entries change only through
/// this interpreter's own writes (which update the cache) while its
/// dispatch loop runs; everything else that may write (another entry, the
/// host, a library function that writes or runs Lua) happens outside the
/// loop, or bumps [`piccolo::table::string_key_writes`], and empties the cache. Slots are
/// chosen by the table's address and the key's content hash, so keys that
/// are equal strings but distinct objects share a slot; `t[k]` may sit in
/// its home slot (`kslot`) or, when another entry at home there took it,
/// in the neighbour, so that two hot fields that share a home do not
/// evict each other on every read (in n-body, depending on where the
/// tables were allocated, up to ~a quarter of the field reads missed with
/// one slot per field).
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
struct KEntry<'gc> {
    t: Table<'gc>,
    k: LuaString<'gc>,
    v: Value<'gc>,
    #[collect(require_static)]
    stamp: u64,
    /// The index of `t[k]`'s bucket in the table's map part when it was
    /// last read or written ([`NO_BUCKET`]: not known), for the write of
    /// an existing field without a probe (`Table::replace_string_at`,
    /// which checks that the bucket still holds the key).
    #[collect(require_static)]
    at: u32,
}

/// The most items [`Interp::unpack_here`] writes itself (a longer table
/// is the native's).
const UNPACK_HERE: i64 = 64;

/// [`KEntry::at`] when the bucket is not known.
const NO_BUCKET: u32 = u32::MAX;

impl<'gc> KEntry<'gc> {
    /// The entry of a cache that holds nothing (stamp 0 is never current).
    fn unused(t: Table<'gc>, k: LuaString<'gc>) -> Self {
        KEntry {
            t,
            k,
            v: Value::Nil,
            stamp: 0,
            at: NO_BUCKET,
        }
    }

    /// Whether this slot holds `t[k]` under the cache's current `stamp`.
    #[inline(always)]
    fn holds(&self, t: Table<'gc>, k: LuaString<'gc>, stamp: u64) -> bool {
        self.stamp == stamp
            && Gc::ptr_eq(self.t.into_inner(), t.into_inner())
            && ops::str_eq(self.k, k)
    }
}

/// The slot of a field cache of `mask + 1` slots that is `t[k]`'s home;
/// its other slot is the home's neighbour, `kslot(t, k, mask) ^ 1` (only
/// in a cache of 2 slots or more). The cache's length is always a power of
/// two (one unused entry, or [`KCACHE_START`], 4 times that, or
/// [`KCACHE_SIZE`] entries: `kslot_checked`), and `Interp::kmask` its
/// length less one, so the home slot is always in range: `kget` and
/// `kcached` read it without a bounds check. (The mask taken from the
/// length cost ~5 instructions a field read more than the constant mask
/// of a cache that was always full size.)
#[inline(always)]
fn kslot(t: Table<'_>, k: LuaString<'_>, mask: usize) -> usize {
    ((Gc::as_ptr(t.into_inner()) as usize >> 5) ^ (k.stored_hash() as usize)) & mask
}

/// Whether `len` and `mask` are a field cache's length and mask as `kslot`
/// relies on: a power of two at most [`KCACHE_SIZE`], and that less one.
fn kslot_checked(len: usize, mask: usize) -> bool {
    len.is_power_of_two() && len <= KCACHE_SIZE && mask == len - 1
}

/// Clears the registers of the running frame (at `base`, running `p`)
/// that are dead at instruction `pc`, an allocating instruction
/// (`NewTable`, `Closure`) whose target is register `a`: those above both
/// the target and the active local variables. PUC Lua's collector does not
/// see them there either (it sees the stack up to the target), so a
/// finalizer or a weak entry does not wait on a value left in a dead
/// temporary. Only once weak tables or finalizers exist, and only for
/// functions with debug information (which says where locals live).
#[cold]
#[inline(never)]
fn clear_dead(
    regs: &mut [Value<'_>],
    p: &crate::bytecode::Proto,
    pc: usize,
    base: usize,
    a: usize,
) {
    if p.locals.is_empty() {
        return;
    }
    let active = p
        .locals
        .iter()
        .filter(|v| v.start_pc as usize <= pc && pc < v.end_pc as usize)
        .count();
    let from = base + (a + 1).max(active);
    let to = (base + p.max_stack as usize).min(regs.len());
    if from < to {
        regs[from..to].fill(Value::Nil);
    }
}

fn truthy(v: Value<'_>) -> bool {
    !matches!(v, Value::Nil | Value::Boolean(false))
}

fn metamethod<'gc>(ctx: Context<'gc>, v: Value<'gc>, event: LuaString<'gc>) -> Value<'gc> {
    let event = Value::String(event);
    match v {
        Value::Table(t) => match t.metatable() {
            Some(mt) => mt.get_value(event),
            None => Value::Nil,
        },
        Value::UserData(u) => match u.metatable() {
            Some(mt) => mt.get_value(event),
            None => Value::Nil,
        },
        _ => match metatable_of(ctx, v) {
            Some(mt) => mt.get_value(event),
            None => Value::Nil,
        },
    }
}

/// Metamethod event names, interned once per Lua state.
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
pub(super) struct MetaNames<'gc> {
    index: LuaString<'gc>,
    newindex: LuaString<'gc>,
    call: LuaString<'gc>,
    close: LuaString<'gc>,
    eq: LuaString<'gc>,
    lt: LuaString<'gc>,
    le: LuaString<'gc>,
    len: LuaString<'gc>,
    concat: LuaString<'gc>,
    arith: [LuaString<'gc>; 14],
    /// `"string"`, the strings' key in [`Interp::types`].
    string: LuaString<'gc>,
    /// What `type` returns for each kind of value ([`Self::type_of`]).
    types: [LuaString<'gc>; 8],
}

/// The singleton holding [`MetaNames`] (a pointer, so an entry carries 8 bytes).
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
struct MetaNamesRoot<'gc>(Gc<'gc, MetaNames<'gc>>);

impl<'gc> piccolo::Singleton<'gc> for MetaNamesRoot<'gc> {
    fn create(ctx: Context<'gc>) -> Self {
        MetaNamesRoot(Gc::new(&ctx, MetaNames::new(ctx)))
    }
}

impl<'gc> MetaNames<'gc> {
    fn new(ctx: Context<'gc>) -> Self {
        let i = |s: &'static str| ctx.intern_static(s.as_bytes());
        use ArithOp::*;
        let ops = [
            Add, Sub, Mul, Mod, Pow, Div, IDiv, BAnd, BOr, BXor, Shl, Shr, Unm, BNot,
        ];
        MetaNames {
            index: i("__index"),
            newindex: i("__newindex"),
            call: i("__call"),
            close: i("__close"),
            eq: i("__eq"),
            lt: i("__lt"),
            le: i("__le"),
            len: i("__len"),
            concat: i("__concat"),
            arith: ops.map(|op| i(op.event())),
            string: i("string"),
            types: [
                "nil", "boolean", "number", "string", "table", "function", "thread", "userdata",
            ]
            .map(i),
        }
    }

    /// `type(v)`: the name of `v`'s type, interned once.
    #[inline(always)]
    fn type_of(&self, v: Value<'gc>) -> LuaString<'gc> {
        self.types[match v {
            Value::Nil => 0,
            Value::Boolean(_) => 1,
            Value::Integer(_) | Value::Number(_) => 2,
            Value::String(_) => 3,
            Value::Table(_) => 4,
            Value::Function(_) => 5,
            Value::Thread(_) => 6,
            Value::UserData(_) => 7,
        }]
    }
}

impl<'gc> MetaNames<'gc> {
    pub(super) fn get(ctx: Context<'gc>) -> Gc<'gc, Self> {
        ctx.singleton::<gc_arena::Rootable![MetaNamesRoot<'_>]>().0
    }

    fn arith(&self, op: ArithOp) -> LuaString<'gc> {
        self.arith[op as usize]
    }
}

#[inline(always)]
fn ensure_len(regs: &mut Regs<'_>, len: usize) -> bool {
    // (`regs` never grows past MAX_STACK_SLOTS, so a long enough stack is
    // within the limit.)
    regs.len() >= len || grow_regs(regs, len)
}

#[cold]
#[inline(never)]
fn grow_regs(regs: &mut Regs<'_>, len: usize) -> bool {
    if len > MAX_STACK_SLOTS {
        return false;
    }
    regs.resize(len, Value::Nil);
    true
}

/// Gives `regs` back at least the length `saved` it had before a native
/// ran on it (cut off above its arguments, see `call_native`): the slots
/// above the native's results are given back as they are when the buffer
/// did not move, nils otherwise. `buf` is the buffer's address before.
#[inline(always)]
#[allow(unsafe_code)]
fn restore_len<'gc>(regs: &mut Regs<'gc>, saved: usize, buf: *const Value<'gc>) {
    if regs.len() >= saved {
        return;
    }
    if core::ptr::eq(regs.as_ptr(), buf) && regs.capacity() >= saved {
        // SAFETY: every slot below `saved` held a value before the native
        // ran, and the buffer is the same: no operation the native's
        // `Stack` offers writes past the length or gives memory back
        // without moving the buffer (`truncate` and `pop` leave the slots
        // as they are), so each slot still holds a value, the one from
        // before or one the native wrote there. None of them was collected
        // (a collection runs only between slices, never inside a native).
        // They are dead registers, seen only by the collector until they
        // are overwritten.
        unsafe { regs.set_len(saved) }
    } else {
        regs.resize(saved, Value::Nil);
    }
}

/// Gives `regs` exactly the length `saved` it had before a native ran on
/// it, whatever the native left (see [`restore_len`]).
#[inline(always)]
fn reset_len<'gc>(regs: &mut Regs<'gc>, saved: usize, buf: *const Value<'gc>) {
    regs.truncate(saved);
    restore_len(regs, saved, buf);
}

/// `regs[dest..dest+n] = regs[src..src+n]` with `dest <= src`.
#[inline]
fn copy_down(regs: &mut [Value<'_>], src: usize, dest: usize, n: usize) {
    if n <= 4 {
        for i in 0..n {
            regs[dest + i] = regs[src + i];
        }
    } else {
        regs.copy_within(src..src + n, dest);
    }
}

/// Largest array part a constructor's size hint makes at once (a hint is
/// bytecode, which a `load`ed binary chunk could set to anything); larger
/// constructors grow as they fill.
const MAX_PRESIZED_ARRAY: u32 = 1 << 16;

/// The table of `NewTable`: with the array slots and hash room the
/// constructor counted, as PUC Lua's `OP_NEWTABLE` (so `{10, 20}` has two
/// array slots and skips the growth steps).
#[inline]
fn new_table(ctx: Context<'_>, array: u32, hash: u16) -> Table<'_> {
    if array == 0 && hash == 0 {
        return Table::new(&ctx);
    }
    let raw = piccolo::table::RawTable::with_sizes(
        &ctx,
        array.min(MAX_PRESIZED_ARRAY) as usize,
        hash as usize,
    );
    Table::from_parts(&ctx, raw, None)
}

/// Before `SetList` stores a constructor's items up to index `last`: the
/// array part made that long at once, as PUC Lua's `OP_SETLIST` (only for
/// lengths a constructor reaches; hostile bytecode gets item-by-item growth).
#[inline]
fn presize_list<'gc>(ctx: Context<'gc>, t: Table<'gc>, last: usize) {
    if last > 1 && last <= MAX_PRESIZED_ARRAY as usize * 64 {
        t.into_inner().borrow_mut(&ctx).raw_table.grow_array(last);
    }
}

fn raw_set<'gc>(
    ctx: Context<'gc>,
    t: Table<'gc>,
    k: Value<'gc>,
    v: Value<'gc>,
) -> Result<(), Fail<'gc>> {
    t.set_value(&ctx, k, v)
        .map(|_| ())
        .map_err(|e| bad_key(k, e))
}

fn bad_key<'gc>(k: Value<'gc>, _: piccolo::table::InvalidTableKey) -> Fail<'gc> {
    Fail::Msg(
        match k {
            Value::Nil => "index is nil",
            _ => "index is NaN",
        }
        .to_string(),
    )
}

/// Results of a failed `pcall` at `dest`: `false, err`, as many as `want`
/// (`-1`: both, setting `top`).
fn pcall_failed<'gc>(
    regs: &mut [Value<'gc>],
    dest: usize,
    want: i32,
    err: Value<'gc>,
    top: &mut usize,
) {
    regs[dest] = Value::Boolean(false);
    regs[dest + 1] = err;
    if want < 0 {
        *top = dest + 2;
    } else {
        for slot in regs.iter_mut().take(dest + want as usize).skip(dest + 2) {
            *slot = Value::Nil;
        }
    }
}

fn closable<'gc>(ctx: Context<'gc>, names: &MetaNames<'gc>, v: Value<'gc>) -> bool {
    !metamethod(ctx, v, names.close).is_nil()
}

impl<'gc> Interp<'gc> {
    /// An idle interpreter (its stacks empty).
    fn new(ctx: Context<'gc>, thread: Thread<'gc>, pool: Pool<'gc>) -> Self {
        let Shared {
            names,
            types,
            registry,
            dbg,
            memory,
            weak,
        } = pool.shared(ctx);
        Interp {
            regs: Gc::new(&ctx, RefLock::new(Regs::new_in(MetricsAlloc::new(&ctx)))),
            frames: Vec::new(),
            open: Vec::new(),
            tbc: Vec::new(),
            top: 0,
            cont: Cont::None,
            unwinding: None,
            thread,
            counted: false,
            registry,
            cache: [None; CACHE_SIZE],
            cached: false,
            names,
            pool,
            protected: 0,
            mm: Vec::new(),
            rec: None,
            dbg,
            types,
            hk: HookRun::default(),
            c_call: None,
            c_saved: Vec::new(),
            c_cont: Cont::None,
            raised_by: None,
            replay: None,
            switched: false,
            memory,
            weak,
            kcache: vec![KEntry::unused(types, names.index)],
            kmask: 0,
            kfills: 0,
            kstamp: 1,
            kseen: 0,
        }
    }

    /// Sets up this (idle) interpreter to run `closure` with the arguments
    /// in `stack`.
    fn begin(
        &mut self,
        ctx: Context<'gc>,
        thread: Thread<'gc>,
        closure: ClosureRef<'gc>,
        stack: &mut Stack<'gc, '_>,
    ) -> Result<(), Error<'gc>> {
        if !self.registry.enter(&ctx, thread) {
            let msg = match super::call_site(ctx) {
                Some((chunk, line)) => format!("{chunk}:{line}: C stack overflow"),
                None => "C stack overflow".to_string(),
            };
            return Err(crate::stdlib::lua_error(ctx, msg));
        }
        self.thread = thread;
        self.counted = true;
        self.top = 0;
        self.cont = Cont::None;
        self.unwinding = None;
        self.protected = 0;
        self.mm.clear();
        // What the last entry cached would keep its functions alive while
        // this interpreter is pooled: emptied here, only when used (a
        // comparator `table.sort` calls 10^5 times never fills it, and the
        // 32 slots cost more to wipe than its comparison to run).
        self.forget_callees();
        self.rec = None;
        self.hk = HookRun::default();
        self.c_call = None;
        self.c_saved.clear();
        self.c_cont = Cont::None;
        self.raised_by = None;
        let nargs = stack.len();
        let regs_gc = self.regs;
        let mut regs = regs_gc.borrow_mut(&ctx);
        // The function slot, the arguments and room for either kind of
        // frame (a vararg one starts above the arguments), made in one go:
        // `push_frame` then has no need to grow the stack.
        // The registers the last entry left are kept when no collection
        // can be observed (valid values, which compiled code writes before
        // it reads them, as PUC Lua's stack slots): filling them with nil
        // was ~35 instructions of each call of a sort's comparator.
        let need = (nargs + closure.proto.proto.max_stack as usize + 2)
            .min(MAX_STACK_SLOTS)
            .max(nargs + 1);
        if self.weak.observable() {
            regs.clear();
        }
        regs.truncate(need);
        regs.resize(need, Value::Nil);
        regs[0] = Value::Nil;
        regs[1..=nargs].copy_from_slice(&stack[..]);
        stack.clear();
        if let Err(f) = self.push_frame(&mut regs, closure, 0, nargs, -1) {
            regs.clear();
            drop(regs);
            self.leave(ctx);
            return Err(match f {
                Fail::Raw(e) => e,
                _ => crate::stdlib::lua_error(ctx, "stack overflow"),
            });
        }
        Ok(())
    }

    /// Drops the values a pooled interpreter would keep alive for nothing:
    /// its registers, and once a collection can be observed (finalizers,
    /// weak tables) its field and callee caches.
    fn scrub(&mut self, mc: &gc_arena::Mutation<'gc>) {
        if let Ok(mut regs) = self.regs.try_borrow_mut(mc) {
            regs.clear();
        }
        if self.weak.observable() {
            self.kreset();
            self.forget_callees();
        }
    }

    /// Empties the callee cache (a no-op when nothing was cached since).
    fn forget_callees(&mut self) {
        if self.cached {
            self.cache = [None; CACHE_SIZE];
            self.cached = false;
        }
    }

    /// Whether this interpreter is idle again (its entry ended cleanly)
    /// with stacks small enough to keep for the next entry.
    fn reusable(&self) -> bool {
        !self.counted
            && self.frames.is_empty()
            && self.open.is_empty()
            && self.tbc.is_empty()
            && self.unwinding.is_none()
            && self.frames.capacity() <= 256
            && self.regs.try_borrow().is_ok_and(|r| r.capacity() <= 4096)
    }

    fn leave(&mut self, ctx: Context<'gc>) {
        if self.counted {
            self.counted = false;
            self.registry.leave(&ctx, self.thread, self.rec);
            if let Some(rec) = self.rec.take() {
                self.dbg.free_entry(&ctx, rec);
            }
        }
    }

    /// This entry's record for the debug library (made and shown on first use).
    #[cold]
    fn make_rec(&mut self, ctx: Context<'gc>) -> frames::Entry<'gc> {
        match self.rec {
            Some(rec) => rec,
            None => {
                let rec = self.dbg.new_entry(&ctx, self.regs);
                self.registry.show(&ctx, self.thread, rec);
                self.rec = Some(rec);
                rec
            }
        }
    }

    /// Sets up a frame for `closure` called at `func` with `nargs` arguments
    /// above it.
    #[inline(always)]
    fn push_frame(
        &mut self,
        regs: &mut Regs<'gc>,
        closure: ClosureRef<'gc>,
        func: usize,
        nargs: usize,
        want: i32,
    ) -> Result<(), Fail<'gc>> {
        let p = &closure.proto.proto;
        let np = p.num_params as usize;
        if p.is_vararg && nargs > np {
            return self.push_vararg_frame(regs, closure, func, nargs, want);
        }
        let base = func + 1;
        // (No count of frames is needed: each frame's base is above its
        // caller's, so the frames are never more than the registers,
        // which `ensure_len` keeps within the limit as they grow.)
        if !ensure_len(regs, base + p.max_stack as usize + 1) {
            return Err(Fail::Msg("stack overflow".into()));
        }
        debug_assert!(self.frames.len() <= regs.len());
        for i in nargs..np {
            regs[base + i] = Value::Nil;
        }
        self.frames.push(Frame {
            closure,
            base,
            func,
            pc: 0,
            nvarargs: 0,
            want,
            pcall_want: NOT_PROTECTED,
            tail: false,
            mm: false,
            closes: false,
        });
        Ok(())
    }

    /// [`Self::push_frame`] for a vararg function given extra arguments:
    /// the fixed parameters are copied above them.
    #[inline(never)]
    fn push_vararg_frame(
        &mut self,
        regs: &mut Regs<'gc>,
        closure: ClosureRef<'gc>,
        func: usize,
        nargs: usize,
        want: i32,
    ) -> Result<(), Fail<'gc>> {
        let p = &closure.proto.proto;
        let np = p.num_params as usize;
        let base = func + 1 + nargs;
        if !ensure_len(regs, base + p.max_stack as usize + 1) {
            return Err(Fail::Msg("stack overflow".into()));
        }
        for i in 0..np {
            regs[base + i] = regs[func + 1 + i];
        }
        self.frames.push(Frame {
            closure,
            base,
            func,
            pc: 0,
            nvarargs: nargs - np,
            want,
            pcall_want: NOT_PROTECTED,
            tail: false,
            mm: false,
            closes: false,
        });
        Ok(())
    }

    /// `pcall(f, ...)` at `func` with `f` a closure of ours: runs `f` in a
    /// protected frame of this entry. False when that is not possible (the
    /// caller then calls `pcall` through the executor).
    fn pcall_in_place(
        &mut self,
        ctx: Context<'gc>,
        regs: &mut Regs<'gc>,
        cl: ClosureRef<'gc>,
        func: usize,
        nargs: usize,
        want: i32,
    ) -> bool {
        if self.protected + self.mm.len() + self.registry.depth(self.thread)
            >= super::MAX_ENTRY_DEPTH
        {
            // As deep as PUC's C stack allows: this pcall fails.
            let msg = "C stack overflow";
            let err = Value::String(ctx.intern(msg.as_bytes()));
            pcall_failed(regs, func, want, err, &mut self.top);
            return true;
        }
        let callee_want = if want > 0 { want - 1 } else { want };
        if self
            .push_frame(regs, cl, func + 1, nargs - 1, callee_want)
            .is_err()
        {
            return false;
        }
        if let Some(f) = self.frames.last_mut() {
            f.pcall_want = want;
        }
        self.protected += 1;
        true
    }

    /// After an error: if a protected frame is on the stack (with no
    /// to-be-closed variables left above it), ends its `pcall` with
    /// `false, err` and returns true.
    fn recover(&mut self, ctx: Context<'gc>, regs: &mut [Value<'gc>], err: &Error<'gc>) -> bool {
        if self.protected == 0 || super::is_close_signal(err) {
            return false;
        }
        let Some(p) = self
            .frames
            .iter()
            .rposition(|f| f.pcall_want != NOT_PROTECTED)
        else {
            return false;
        };
        let (func, want) = (self.frames[p].func, self.frames[p].pcall_want);
        self.close_upvalues(ctx, regs, func);
        self.protected -= self
            .frames
            .drain(p..)
            .filter(|f| f.pcall_want != NOT_PROTECTED)
            .count();
        while self.mm.last().is_some_and(|&(i, _)| i >= p) {
            self.mm.pop();
        }
        let ev = crate::stdlib::check::error_value(ctx, err);
        pcall_failed(regs, func - 1, want, ev, &mut self.top);
        true
    }

    /// The level the error being propagated unwinds to: the base of the
    /// innermost protected frame (to-be-closed variables at or above it
    /// are closed), or 0.
    fn unwind_level(&self) -> usize {
        if self.protected == 0 {
            return 0;
        }
        if let Some(e) = &self.unwinding {
            if super::is_close_signal(e) {
                return 0;
            }
        }
        self.frames
            .iter()
            .rfind(|f| f.pcall_want != NOT_PROTECTED)
            .map_or(0, |f| f.func)
    }

    /// Turns a [`Fail`] into the error value, with the current frame's position.
    fn error_of(&self, ctx: Context<'gc>, fail: Fail<'gc>) -> Error<'gc> {
        let (msg, var, value, op) = match fail {
            Fail::Raw(e) => return e,
            // Overflowing again while a handler handles an overflow (PUC
            // Lua's LUA_ERRERR: no position).
            Fail::Msg(m)
                if m == "stack overflow" && crate::stdlib::base::handling_overflow(ctx) =>
            {
                return crate::stdlib::lua_error(ctx, "error in error handling")
            }
            Fail::Msg(m) => (m, VarRef::None, Value::Nil, None),
            Fail::NoInt(var) => (String::new(), var, Value::Nil, Some("")),
            Fail::Typed { op, value, var } => (String::new(), var, value, Some(op)),
        };
        let Some(frame) = self.frames.last() else {
            return crate::stdlib::lua_error(ctx, msg);
        };
        let proto = &frame.closure.proto;
        let p = &proto.proto;
        let lastpc = frame.pc.saturating_sub(1);
        // A library function written in Lua stands for a C function of PUC
        // Lua: no variable names, no position.
        let library = proto.library;
        let var = if library { VarRef::None } else { var };
        let msg = match op {
            Some("") => {
                let info = varinfo(p, lastpc, var);
                format!("number{info} has no integer representation")
            }
            Some(op) if op.starts_with("'for' ") => {
                format!("bad {op} (number expected, got {})", type_name(ctx, value))
            }
            Some(op) => {
                let mut info = varinfo(p, lastpc, var);
                if op == "call" && info.is_empty() && !library {
                    // A metamethod or iterator that is not callable: named
                    // by the instruction that calls it (PUC's `funcnamefromcall`).
                    if let Some((kind, name)) = frames::funcnamefromcode(p, lastpc) {
                        info = format!(" ({kind} '{name}')");
                    }
                }
                format!("attempt to {op} a {} value{info}", type_name(ctx, value))
            }
            None => msg,
        };
        if library {
            return crate::stdlib::lua_error(ctx, msg);
        }
        let text = format!("{}:{}: {msg}", proto.chunk_id, p.line_at(lastpc));
        crate::stdlib::lua_error(ctx, text)
    }

    // ---- upvalues -------------------------------------------------------

    /// The open upvalue of register `index` of the running frame (made
    /// when there is none); the frame is marked as one that `closes`.
    fn find_upvalue(&mut self, ctx: Context<'gc>, index: usize) -> UpvalueCell<'gc> {
        if let Some(f) = self.frames.last_mut() {
            f.closes = true;
        }
        let pos = self.open.partition_point(|(i, _)| *i < index);
        if let Some((i, cell)) = self.open.get(pos) {
            if *i == index {
                return *cell;
            }
        }
        let cell = Gc::new(
            &ctx,
            Lock::new(UpState::Open {
                stack: self.regs,
                index,
            }),
        );
        self.open.insert(pos, (index, cell));
        cell
    }

    fn close_upvalues(&mut self, ctx: Context<'gc>, regs: &[Value<'gc>], level: usize) {
        while let Some(&(i, cell)) = self.open.last() {
            if i < level {
                break;
            }
            let v = regs.get(i).copied().unwrap_or_default();
            cell.set(&ctx, UpState::Closed(v));
            self.open.pop();
        }
    }

    // (Always inlined: in an `opt-level = "s"` wasm build it was a call of
    // its own, 5 % of `fib` in Node.)
    #[inline(always)]
    fn get_upvalue(&self, regs: &[Value<'gc>], cell: UpvalueCell<'gc>) -> Value<'gc> {
        match cell.get() {
            UpState::Closed(v) => v,
            UpState::Open { stack, index } => {
                if Gc::ptr_eq(stack, self.regs) {
                    regs[index]
                } else {
                    stack.borrow().get(index).copied().unwrap_or_default()
                }
            }
        }
    }

    fn set_upvalue(
        &self,
        ctx: Context<'gc>,
        regs: &mut [Value<'gc>],
        cell: UpvalueCell<'gc>,
        v: Value<'gc>,
    ) {
        match cell.get() {
            UpState::Closed(_) => cell.set(&ctx, UpState::Closed(v)),
            UpState::Open { stack, index } => {
                if Gc::ptr_eq(stack, self.regs) {
                    regs[index] = v;
                } else if let Some(slot) = stack.borrow_mut(&ctx).get_mut(index) {
                    *slot = v;
                }
            }
        }
    }

    // ---- calls through the executor ------------------------------------

    fn foreign_call(
        &mut self,
        stack: &mut Stack<'gc, '_>,
        f: Value<'gc>,
        args: &[Value<'gc>],
        cont: Cont,
    ) -> Result<Flow<'gc>, Fail<'gc>> {
        let Value::Function(function) = f else {
            return Err(Fail::Typed {
                op: "call",
                value: f,
                var: VarRef::None,
            });
        };
        stack.clear();
        stack.extend_from_slice(args);
        self.cont = cont;
        Ok(Flow::Call(function))
    }

    /// Delivers the results of a foreign call (on `stack`) as `self.cont` says.
    fn deliver(
        &mut self,
        ctx: Context<'gc>,
        regs: &mut Regs<'gc>,
        stack: &mut Stack<'gc, '_>,
    ) -> Result<Option<Outcome<'gc>>, Fail<'gc>> {
        let cont = std::mem::replace(&mut self.cont, Cont::None);
        let first = stack.get(0);
        match cont {
            Cont::None | Cont::Discard | Cont::Close | Cont::Unwind | Cont::HookC { .. } => {}
            Cont::Hook { pc } => {
                if let Some(f) = self.frames.last_mut() {
                    f.pc = pc;
                }
            }
            Cont::Store { dest } => regs[dest] = first,
            Cont::Cond { k, negate } => {
                if (truthy(first) ^ negate) != k {
                    if let Some(f) = self.frames.last_mut() {
                        f.pc += 1;
                    }
                }
            }
            Cont::Call {
                dest,
                want,
                then_return,
            } => {
                let n = self.place_results(regs, stack, dest, want)?;
                if then_return {
                    return self.do_return(ctx, regs, stack, dest, n);
                }
            }
            Cont::Concat { a, k } => {
                regs[a + k - 1] = first;
                if let Flow::Call(f) = self.concat(ctx, regs, stack, a, k)? {
                    return Ok(Some(Outcome::Call(f)));
                }
            }
        }
        stack.clear();
        Ok(None)
    }

    /// Puts a call's results (the piccolo stack, emptied) at `dest` as a
    /// call wanting `want` of them takes them (`-1`: all, setting `top`);
    /// how many there were.
    #[inline(always)]
    fn place_results(
        &mut self,
        regs: &mut Regs<'gc>,
        stack: &mut Stack<'gc, '_>,
        dest: usize,
        want: i32,
    ) -> Result<usize, Fail<'gc>> {
        let n = stack.len();
        let count = if want < 0 { n } else { want as usize };
        if !ensure_len(regs, dest + count.max(1)) {
            return Err(Fail::Msg("stack overflow".into()));
        }
        let k = count.min(n);
        regs[dest..dest + k].copy_from_slice(&stack[..k]);
        for slot in &mut regs[dest + k..dest + count] {
            *slot = Value::Nil;
        }
        if want < 0 {
            self.top = dest + n;
        }
        stack.clear();
        Ok(n)
    }

    // ---- returns and closing -------------------------------------------

    /// Marks register `index` of the running frame to be closed; the frame
    /// is marked as one that `closes`.
    fn mark_tbc(&mut self, index: usize) {
        self.tbc.push(index);
        if let Some(f) = self.frames.last_mut() {
            f.closes = true;
        }
    }

    /// Whether the current frame has to-be-closed variables at or above `level`.
    fn has_tbc(&self, level: usize) -> bool {
        self.tbc.last().is_some_and(|&i| i >= level)
    }

    /// Calls the `__close` of the last to-be-closed variable (at or above
    /// `level`), with `err` as its error argument.
    fn close_one(
        &mut self,
        ctx: Context<'gc>,
        regs: &mut Regs<'gc>,
        stack: &mut Stack<'gc, '_>,
        err: Value<'gc>,
        cont: Cont,
    ) -> Result<Flow<'gc>, Fail<'gc>> {
        let idx = self.tbc.pop().expect("close_one needs a tbc variable");
        self.close_upvalues(ctx, regs, idx);
        let v = regs[idx];
        let h = metamethod(ctx, v, self.names.close);
        if h.is_nil() {
            return Err(Fail::Msg(
                "attempt to call a nil value (metamethod 'close')".into(),
            ));
        }
        self.foreign_call(stack, h, &[v, err], cont)
    }

    /// Returns `n` values at `regs[start..]` from the current frame.
    fn do_return(
        &mut self,
        ctx: Context<'gc>,
        regs: &mut Regs<'gc>,
        stack: &mut Stack<'gc, '_>,
        start: usize,
        n: usize,
    ) -> Result<Option<Outcome<'gc>>, Fail<'gc>> {
        let frame = self.frames.pop().expect("return needs a frame");
        self.close_upvalues(ctx, regs, frame.base);
        if self.frames.is_empty() {
            stack.clear();
            stack.extend_from_slice(&regs[start..start + n]);
            // (The registers stay for the next entry on this interpreter,
            // `begin`, unless a collection can be observed.)
            if self.weak.observable() {
                regs.clear();
            }
            return Ok(Some(Outcome::Return));
        }
        if frame.mm {
            return self.mm_return(ctx, regs, stack, start, n);
        }
        let dest = frame.func;
        if frame.pcall_want != NOT_PROTECTED {
            regs[dest - 1] = Value::Boolean(true);
            self.protected -= 1;
        }
        self.move_results(regs, start, dest, n, frame.want);
        Ok(None)
    }

    /// Moves `n` results at `regs[start..]` down to `dest` for a caller
    /// that wants `want` of them (`-1`: all, then `self.top` marks their
    /// end): the missing ones are nil. The slots up to `dest + want` exist.
    #[inline(always)]
    fn move_results(
        &mut self,
        regs: &mut [Value<'gc>],
        start: usize,
        dest: usize,
        n: usize,
        want: i32,
    ) {
        if want == 1 {
            // One result wanted, most calls: moved here, not through an
            // out-of-line `copy_down` (~50 instructions a library call in
            // V8). (Two stores, not one of a value picked from two: that one
            // goes through memory.)
            if n > 0 {
                regs[dest] = regs[start];
            } else {
                regs[dest] = Value::Nil;
            }
        } else if want < 0 {
            copy_down(regs, start, dest, n);
            self.top = dest + n;
        } else {
            let want = want as usize;
            let k = n.min(want);
            copy_down(regs, start, dest, k);
            for slot in &mut regs[dest + k..dest + want] {
                *slot = Value::Nil;
            }
        }
    }

    /// A metamethod call an instruction's slow path asked for (`f`, its
    /// arguments on `stack`, what becomes of its result in `self.cont`),
    /// made in place when `f` is a closure of ours: a frame above the
    /// current one's registers, whose return hands its first result to
    /// that continuation ([`Self::mm_return`]). Through the executor each
    /// such call was a new entry (`p.x` with an `__index` function took ~10
    /// times PUC Lua's time). False when it cannot be made here (then the
    /// executor makes it): not a closure of ours, hooks on, or as deep in
    /// nested calls as PUC's C stack allows (the executor's entry then
    /// raises "C stack overflow").
    #[inline(never)]
    fn mm_in_place(
        &mut self,
        regs: &mut Regs<'gc>,
        stack: &mut Stack<'gc, '_>,
        f: Function<'gc>,
    ) -> bool {
        if !matches!(
            self.cont,
            Cont::Store { .. } | Cont::Cond { .. } | Cont::Discard | Cont::Concat { .. }
        ) {
            return false;
        }
        let cont = std::mem::replace(&mut self.cont, Cont::None);
        if self.mm_frame(regs, f, &stack[..], cont) {
            stack.clear();
            return true;
        }
        self.cont = cont;
        false
    }

    /// [`Self::mm_in_place`] of `f` with `args`, its result for `cont`
    /// (which is not `self.cont`): false, nothing changed, when `f` is not
    /// a closure of ours, hooks are on, or the calls are as deep as PUC's
    /// C stack allows.
    fn mm_frame(
        &mut self,
        regs: &mut Regs<'gc>,
        f: Function<'gc>,
        args: &[Value<'gc>],
        cont: Cont,
    ) -> bool {
        if self.hk.active {
            return false;
        }
        let Function::Callback(cb) = f else {
            return false;
        };
        let Some(closure) = super::closure_of(cb) else {
            return false;
        };
        if self.mm.len() + self.protected + self.registry.depth(self.thread)
            >= super::MAX_ENTRY_DEPTH
        {
            return false;
        }
        let Some(top) = self.frames.last() else {
            return false;
        };
        let func = top.base + top.closure.proto.proto.max_stack as usize;
        let nargs = args.len();
        if !ensure_len(regs, func + nargs + 1) {
            return false;
        }
        regs[func] = Value::Function(f);
        regs[func + 1..func + 1 + nargs].copy_from_slice(args);
        if self.push_frame(regs, closure, func, nargs, 1).is_err() {
            return false;
        }
        let i = self.frames.len() - 1;
        self.frames[i].mm = true;
        self.mm.push((i, cont));
        true
    }

    /// `return v` from a metamethod frame whose result goes to a register
    /// (an `__index` function's, [`Self::mm_frame`]), when it needs nothing
    /// else (the caller found it so: [`Self::simple_top`]): done here, not
    /// in `do_return` and `mm_return` (a read through an `__index` function
    /// was ~1,000 instructions natively, PUC Lua's ~420).
    #[inline(always)]
    fn mm_store_return(&mut self, regs: &mut [Value<'gc>], v: Value<'gc>) -> bool {
        let Some(&(i, Cont::Store { dest })) = self.mm.last() else {
            return false;
        };
        if i + 1 != self.frames.len() {
            return false;
        }
        debug_assert!(self.frames[i].mm);
        regs[dest] = v;
        self.mm.pop();
        self.frames.pop();
        true
    }

    /// The return of a metamethod frame ([`Self::mm_in_place`], already
    /// popped): its first result (of `n` at `regs[start..]`) goes to its
    /// continuation, as a call through the executor delivers it.
    #[inline(never)]
    fn mm_return(
        &mut self,
        ctx: Context<'gc>,
        regs: &mut Regs<'gc>,
        stack: &mut Stack<'gc, '_>,
        start: usize,
        n: usize,
    ) -> Result<Option<Outcome<'gc>>, Fail<'gc>> {
        let (_, cont) = self
            .mm
            .pop()
            .expect("a metamethod frame has its continuation");
        let first = if n > 0 { regs[start] } else { Value::Nil };
        // The usual ones here, the rest as `deliver` does them (through
        // `stack`: 0.083 -> 0.077 s for 10^6 reads through an `__index`
        // function natively).
        match cont {
            Cont::Store { dest } => regs[dest] = first,
            Cont::Discard => {}
            _ => {
                stack.clear();
                stack.push_back(first);
                self.cont = cont;
                return self.deliver(ctx, regs, stack);
            }
        }
        Ok(None)
    }

    // ---- metamethod-aware operations -------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn index(
        &mut self,
        ctx: Context<'gc>,
        stack: &mut Stack<'gc, '_>,
        mut obj: Value<'gc>,
        key: Value<'gc>,
        dest: usize,
        var: VarRef,
        regs: &mut Regs<'gc>,
    ) -> Result<Flow<'gc>, Fail<'gc>> {
        for depth in 0..MAX_TAG_LOOP {
            let handler = match obj {
                Value::Table(t) => {
                    // (String keys and the metatable's `__index` through the
                    // field cache: an `__index` function's read was two
                    // probes of ~80 instructions.)
                    let v = self.raw_get(t, key);
                    if !v.is_nil() {
                        regs[dest] = v;
                        return Ok(Flow::Next);
                    }
                    match t.metatable() {
                        None => Value::Nil,
                        Some(mt) => {
                            if self.weak.any() {
                                let v = crate::weak::weak_get(ctx, t, key);
                                if !v.is_nil() {
                                    regs[dest] = v;
                                    return Ok(Flow::Next);
                                }
                            }
                            self.kget(mt, self.names.index)
                        }
                    }
                }
                _ => {
                    let h = metamethod(ctx, obj, self.names.index);
                    if h.is_nil() {
                        return Err(Fail::Typed {
                            op: "index",
                            value: obj,
                            var: if depth == 0 { var } else { VarRef::None },
                        });
                    }
                    h
                }
            };
            match handler {
                Value::Nil => {
                    regs[dest] = Value::Nil;
                    return Ok(Flow::Next);
                }
                Value::Function(f) => {
                    // A closure of ours runs in a frame of this entry (the
                    // dispatch loop goes on with it).
                    if self.mm_frame(regs, f, &[obj, key], Cont::Store { dest }) {
                        return Ok(Flow::Next);
                    }
                    return self.foreign_call(stack, handler, &[obj, key], Cont::Store { dest });
                }
                other => obj = other,
            }
        }
        Err(Fail::Msg("'__index' chain too long; possible loop".into()))
    }

    fn new_index(
        &mut self,
        ctx: Context<'gc>,
        stack: &mut Stack<'gc, '_>,
        mut obj: Value<'gc>,
        key: Value<'gc>,
        val: Value<'gc>,
        var: VarRef,
    ) -> Result<Flow<'gc>, Fail<'gc>> {
        for depth in 0..MAX_TAG_LOOP {
            let handler = match obj {
                Value::Table(t) => {
                    let h = match t.metatable() {
                        None => Value::Nil,
                        Some(mt) => {
                            // (Through the field cache, as in `index`.)
                            if self.raw_get(t, key).is_nil()
                                && (!self.weak.any() || crate::weak::weak_get(ctx, t, key).is_nil())
                            {
                                self.kget(mt, self.names.newindex)
                            } else {
                                Value::Nil
                            }
                        }
                    };
                    if h.is_nil() {
                        if self.weak.any() {
                            if let Some(r) = crate::weak::weak_store_set(ctx, t, key, val) {
                                // (Not cached: the field cache holds values
                                // strongly, and its entry for a weak table
                                // stays the raw table's nil.)
                                r.map_err(|e| bad_key(key, e))?;
                                return Ok(Flow::Next);
                            }
                        }
                        self.kset(ctx, t, key, val)?;
                        return Ok(Flow::Next);
                    }
                    h
                }
                _ => {
                    let h = metamethod(ctx, obj, self.names.newindex);
                    if h.is_nil() {
                        return Err(Fail::Typed {
                            op: "index",
                            value: obj,
                            var: if depth == 0 { var } else { VarRef::None },
                        });
                    }
                    h
                }
            };
            match handler {
                Value::Function(_) => {
                    return self.foreign_call(stack, handler, &[obj, key, val], Cont::Discard);
                }
                other => obj = other,
            }
        }
        Err(Fail::Msg(
            "'__newindex' chain too long; possible loop".into(),
        ))
    }

    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn arith_slow(
        &mut self,
        ctx: Context<'gc>,
        stack: &mut Stack<'gc, '_>,
        op: ArithOp,
        a: Value<'gc>,
        b: Value<'gc>,
        dest: usize,
        vars: (VarRef, VarRef),
        regs: &mut [Value<'gc>],
    ) -> Result<Flow<'gc>, Fail<'gc>> {
        let fail = match ops::arith(op, a, b) {
            Ok(v) => {
                regs[dest] = v;
                return Ok(Flow::Next);
            }
            Err(f) => f,
        };
        match fail {
            ArithFail::ModZero => return Err(Fail::Msg("attempt to perform 'n%0'".into())),
            ArithFail::DivZero => return Err(Fail::Msg("attempt to divide by zero".into())),
            _ => {}
        }
        let mut h = metamethod(ctx, a, self.names.arith(op));
        if h.is_nil() {
            h = metamethod(ctx, b, self.names.arith(op));
        }
        if !h.is_nil() {
            return self.foreign_call(stack, h, &[a, b], Cont::Store { dest });
        }
        let is_num = |v: Value<'_>| matches!(v, Value::Integer(_) | Value::Number(_));
        if op.is_bitwise() {
            if is_num(a) && is_num(b) {
                // Name the operand without an integer value.
                let bad_a = ops::to_num(a).and_then(|n| n.to_i64()).is_none();
                let var = if bad_a { vars.0 } else { vars.1 };
                return Err(self.int_error(var));
            }
            let (value, var) = if !is_num(a) { (a, vars.0) } else { (b, vars.1) };
            return Err(Fail::Typed {
                op: "perform bitwise operation on",
                value,
                var,
            });
        }
        let (value, var) = if !is_num(a) && ops::to_num(a).is_none() {
            (a, vars.0)
        } else {
            (b, vars.1)
        };
        Err(Fail::Typed {
            op: "perform arithmetic on",
            value,
            var,
        })
    }

    fn int_error(&self, var: VarRef) -> Fail<'gc> {
        Fail::NoInt(var)
    }

    /// `R[a .. a+k]` concatenated into `R[a]`, right to left, with `__concat`.
    fn concat(
        &mut self,
        ctx: Context<'gc>,
        regs: &mut [Value<'gc>],
        stack: &mut Stack<'gc, '_>,
        a: usize,
        mut k: usize,
    ) -> Result<Flow<'gc>, Fail<'gc>> {
        let is_strnum =
            |v: Value<'_>| matches!(v, Value::String(_) | Value::Integer(_) | Value::Number(_));
        while k > 1 {
            let top = a + k;
            let (l, r) = (regs[top - 2], regs[top - 1]);
            if is_strnum(l) && is_strnum(r) {
                let mut j = top - 2;
                while j > a && is_strnum(regs[j - 1]) {
                    j -= 1;
                }
                let mut buf = Vec::new();
                for v in &regs[j..top] {
                    match *v {
                        Value::String(s) => buf.extend_from_slice(s.as_bytes()),
                        Value::Integer(i) => buf.extend_from_slice(i.to_string().as_bytes()),
                        Value::Number(f) => buf.extend_from_slice(float_to_string(f).as_bytes()),
                        _ => unreachable!("checked string or number"),
                    }
                }
                regs[j] = Value::String(LuaString::from_slice(&ctx, &buf));
                k = j - a + 1;
                continue;
            }
            let mut h = metamethod(ctx, l, self.names.concat);
            if h.is_nil() {
                h = metamethod(ctx, r, self.names.concat);
            }
            if h.is_nil() {
                let (value, reg) = if is_strnum(l) {
                    (r, top - 1)
                } else {
                    (l, top - 2)
                };
                let var = match self.frames.last() {
                    Some(f) if reg >= f.base && reg - f.base < 256 => {
                        VarRef::Reg((reg - f.base) as u8)
                    }
                    _ => VarRef::None,
                };
                return Err(Fail::Typed {
                    op: "concatenate",
                    value,
                    var,
                });
            }
            return self.foreign_call(stack, h, &[l, r], Cont::Concat { a, k: k - 1 });
        }
        Ok(Flow::Next)
    }

    fn len(
        &mut self,
        ctx: Context<'gc>,
        stack: &mut Stack<'gc, '_>,
        v: Value<'gc>,
        dest: usize,
        var: VarRef,
        regs: &mut [Value<'gc>],
    ) -> Result<Flow<'gc>, Fail<'gc>> {
        match v {
            Value::String(s) => {
                regs[dest] = Value::Integer(s.len());
                Ok(Flow::Next)
            }
            _ => {
                let h = metamethod(ctx, v, self.names.len);
                if !h.is_nil() {
                    return self.foreign_call(stack, h, &[v, v], Cont::Store { dest });
                }
                match v {
                    Value::Table(t) => {
                        regs[dest] = Value::Integer(if self.weak.any() {
                            crate::weak::raw_len(ctx, t)
                        } else {
                            t.length()
                        });
                        Ok(Flow::Next)
                    }
                    _ => Err(Fail::Typed {
                        op: "get length of",
                        value: v,
                        var,
                    }),
                }
            }
        }
    }

    /// `a == b` with `__eq`; `Some` when decided without a call.
    fn equal(
        &mut self,
        ctx: Context<'gc>,
        stack: &mut Stack<'gc, '_>,
        a: Value<'gc>,
        b: Value<'gc>,
        k: bool,
    ) -> Result<Result<bool, Function<'gc>>, Fail<'gc>> {
        if let Some(r) = ops::raw_eq(a, b) {
            return Ok(Ok(r));
        }
        let mut h = metamethod(ctx, a, self.names.eq);
        if h.is_nil() {
            h = metamethod(ctx, b, self.names.eq);
        }
        if h.is_nil() {
            return Ok(Ok(false));
        }
        match self.foreign_call(stack, h, &[a, b], Cont::Cond { k, negate: false })? {
            Flow::Call(f) => Ok(Err(f)),
            // (a foreign call never ends the entry)
            Flow::Next | Flow::Out(_) => Ok(Ok(false)),
        }
    }

    /// `a < b` (`le`: `a <= b`) with `__lt`/`__le`.
    fn less(
        &mut self,
        ctx: Context<'gc>,
        stack: &mut Stack<'gc, '_>,
        a: Value<'gc>,
        b: Value<'gc>,
        le: bool,
        k: bool,
    ) -> Result<Result<bool, Function<'gc>>, Fail<'gc>> {
        if let Some(r) = ops::raw_lt(a, b, le) {
            return Ok(Ok(r));
        }
        let event = if le { self.names.le } else { self.names.lt };
        let mut h = metamethod(ctx, a, event);
        if h.is_nil() {
            h = metamethod(ctx, b, event);
        }
        if h.is_nil() {
            let (ta, tb) = (type_name(ctx, a), type_name(ctx, b));
            return Err(Fail::Msg(if ta == tb {
                format!("attempt to compare two {ta} values")
            } else {
                format!("attempt to compare {ta} with {tb}")
            }));
        }
        match self.foreign_call(stack, h, &[a, b], Cont::Cond { k, negate: false })? {
            Flow::Call(f) => Ok(Err(f)),
            // (a foreign call never ends the entry)
            Flow::Next | Flow::Out(_) => Ok(Ok(false)),
        }
    }

    /// Calls the value at `regs[func]` with `nargs` arguments above it: a
    /// frame for our closures, the executor for anything else.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn call(
        &mut self,
        ctx: Context<'gc>,
        regs: &mut Regs<'gc>,
        stack: &mut Stack<'gc, '_>,
        func: usize,
        mut nargs: usize,
        want: i32,
        then_return: bool,
        var: VarRef,
        fuel: &mut i32,
    ) -> Result<Flow<'gc>, Fail<'gc>> {
        for depth in 0..MAX_TAG_LOOP {
            let f = regs[func];
            match f {
                Value::Function(function) => {
                    let callee = match function {
                        Function::Callback(cb) => self.callee(ctx, cb),
                        Function::Closure(_) => Callee::Foreign,
                    };
                    let cont = Cont::Call {
                        dest: func,
                        want,
                        then_return,
                    };
                    match callee {
                        Callee::Closure(cl) => {
                            if then_return {
                                // Proper tail call: replace the current frame.
                                let frame = self.frames.pop().expect("tail call needs a frame");
                                self.close_upvalues(ctx, regs, frame.base);
                                regs.copy_within(func..func + nargs + 1, frame.func);
                                if let Err(e) =
                                    self.push_frame(regs, cl, frame.func, nargs, frame.want)
                                {
                                    if frame.pcall_want != NOT_PROTECTED {
                                        self.protected -= 1;
                                    }
                                    return Err(e);
                                }
                                if let Some(f) = self.frames.last_mut() {
                                    f.pcall_want = frame.pcall_want;
                                    f.mm = frame.mm;
                                    f.closes = frame.closes;
                                    f.tail = true;
                                }
                            } else {
                                self.push_frame(regs, cl, func, nargs, want)?;
                            }
                            return Ok(Flow::Next);
                        }
                        Callee::Select(..)
                        | Callee::Next(..)
                        | Callee::INext(..)
                        | Callee::Unpack(..)
                        | Callee::Args(..)
                        | Callee::Type(..)
                        | Callee::Native(..)
                        | Callee::NativeClosure(..)
                            if !self.hk.active && !then_return =>
                        {
                            // (The dispatch loop answers these itself before
                            // it calls `call_native`.)
                            if matches!(callee, Callee::Select(..))
                                && self.select_in_place(regs, func, nargs, want)
                            {
                                return Ok(Flow::Next);
                            }
                            return self.call_native(
                                ctx, regs, stack, callee, function, func, nargs, want, fuel,
                            );
                        }
                        Callee::Native(..)
                        | Callee::NativeClosure(..)
                        | Callee::Select(..)
                        | Callee::Next(..)
                        | Callee::INext(..)
                        | Callee::Unpack(..)
                        | Callee::Args(..)
                        | Callee::Type(..)
                            if !self.hk.active =>
                        {
                            stack.clear();
                            stack.extend_from_slice(&regs[func + 1..func + 1 + nargs]);
                            let answer = self.run_native(ctx, callee, function, stack, fuel);
                            return match answer.unwrap_or(Ok(Some(function)))? {
                                None if !then_return => {
                                    // The results straight into place.
                                    self.place_results(regs, stack, func, want)?;
                                    Ok(Flow::Next)
                                }
                                None => {
                                    self.cont = cont;
                                    match self.deliver(ctx, regs, stack)? {
                                        Some(o) => Ok(Flow::Out(o)),
                                        None => Ok(Flow::Next),
                                    }
                                }
                                Some(g) => {
                                    self.cont = cont;
                                    Ok(Flow::Call(g))
                                }
                            };
                        }
                        Callee::PCall if !then_return && nargs > 0 && !self.hk.active => {
                            if let Value::Function(Function::Callback(fcb)) = regs[func + 1] {
                                let answer = match self.callee(ctx, fcb) {
                                    Callee::Closure(cl) => {
                                        if self.pcall_in_place(ctx, regs, cl, func, nargs, want) {
                                            return Ok(Flow::Next);
                                        }
                                        None
                                    }
                                    // `pcall(f, ...)` of a library function
                                    // answered in place (`true` and its
                                    // result); when it declines, the call goes
                                    // on as before (the executor's, which
                                    // catches its errors).
                                    other if (0..=2).contains(&want) => {
                                        self.answer_here(ctx, other, regs, func + 2, nargs - 1)
                                    }
                                    _ => None,
                                };
                                if let Some(v) = answer {
                                    regs[func] = Value::Boolean(true);
                                    if want == 2 {
                                        regs[func + 1] = v;
                                    }
                                    return Ok(Flow::Next);
                                }
                            }
                        }
                        Callee::Error if !self.hk.active => {
                            if let Some(e) = self.error_in_place(ctx, regs, func, nargs) {
                                self.raised_by = Some(function);
                                return Err(Fail::Raw(e));
                            }
                        }
                        Callee::Native(..)
                        | Callee::NativeClosure(..)
                        | Callee::Select(..)
                        | Callee::Next(..)
                        | Callee::INext(..)
                        | Callee::Unpack(..)
                        | Callee::Args(..)
                        | Callee::Type(..)
                        | Callee::Error
                        | Callee::PCall
                        | Callee::Foreign => {}
                    }
                    stack.clear();
                    stack.extend_from_slice(&regs[func + 1..func + 1 + nargs]);
                    if self.weak.observable() {
                        self.before_collect(function, &mut regs[func + 1 + nargs..]);
                    }
                    self.cont = cont;
                    return Ok(Flow::Call(function));
                }
                _ => {
                    let h = metamethod(ctx, f, self.names.call);
                    if h.is_nil() {
                        return Err(Fail::Typed {
                            op: "call",
                            value: f,
                            var: if depth == 0 { var } else { VarRef::None },
                        });
                    }
                    if !ensure_len(regs, func + nargs + 2) {
                        return Err(Fail::Msg("stack overflow".into()));
                    }
                    regs.copy_within(func..func + nargs + 1, func + 1);
                    regs[func] = h;
                    nargs += 1;
                }
            }
        }
        Err(Fail::Msg("'__call' chain too long; possible loop".into()))
    }

    /// Runs `callee` (the callback `f`), when it is a native, in place on
    /// `stack` (its arguments); `None` for any other callee. Then
    /// `Ok(None)`: it returned, its results on `stack`; `Ok(Some(g))`: `g`
    /// is for the executor (`f` itself when the native declined, or what
    /// stands for its answer when that is a call or a sequence); `Err`: its
    /// error, with the caller's position when the native is registered so.
    #[inline(always)]
    fn run_native(
        &mut self,
        ctx: Context<'gc>,
        callee: Callee<'gc>,
        f: Function<'gc>,
        stack: &mut Stack<'gc, '_>,
        fuel: &mut i32,
    ) -> Option<Result<Option<Function<'gc>>, Fail<'gc>>> {
        let mut budget = Fuel::with(*fuel);
        let (r, positioned) = match callee {
            Callee::Native(nf, positioned)
            | Callee::Select(nf, positioned)
            | Callee::Next(nf, positioned)
            | Callee::INext(nf, positioned)
            | Callee::Unpack(nf, positioned) => {
                (nf(ctx, &mut budget, stack.sub_stack(0)), positioned)
            }
            Callee::Args(nf, positioned, _) | Callee::Type(nf, positioned) => {
                (nf(ctx, &mut budget, stack.sub_stack(0)), positioned)
            }
            Callee::NativeClosure(nf, ups) => {
                (nf(ctx, &mut budget, ups, stack.sub_stack(0)), false)
            }
            _ => return None,
        };
        *fuel = budget.remaining();
        if string_key_writes() != self.kseen {
            self.kclear();
        }
        // The plain return, most calls, first and without dropping `r`: a
        // match arm leaves it to an out-of-line `drop_in_place` of the whole
        // `Result` (~25 instructions a native call in V8, though `Return`
        // owns nothing).
        if matches!(r, Ok(CallbackReturn::Return)) {
            core::mem::forget(r);
            return Some(Ok(None));
        }
        Some(self.native_outcome(ctx, r, f, positioned, stack))
    }

    /// What a native's answer other than a plain return means (see
    /// [`Self::run_native`]); out of line, the plain return stays short.
    #[inline(never)]
    fn native_outcome(
        &mut self,
        ctx: Context<'gc>,
        r: Result<CallbackReturn<'gc>, Error<'gc>>,
        f: Function<'gc>,
        positioned: bool,
        stack: &mut Stack<'gc, '_>,
    ) -> Result<Option<Function<'gc>>, Fail<'gc>> {
        match r {
            Ok(CallbackReturn::Return) => Ok(None),
            Ok(ret) => Ok(Some(
                if matches!(ret, CallbackReturn::Call { function: mark, then: None }
                    if native::is_decline(ctx, mark))
                {
                    f
                } else {
                    native::forward(ctx, ret)
                },
            )),
            Err(e) => {
                stack.clear();
                self.raised_by = Some(f);
                Err(Fail::Raw(if positioned {
                    self.positioned(ctx, e, f)
                } else {
                    e
                }))
            }
        }
    }

    /// A call the loop would hand to the executor (a metamethod, `__close`,
    /// a library function reached through `__call`...): made in place when
    /// `f` is a native, as [`Self::run_native`] says, its results then on
    /// `stack` for `self.cont`. (A native that declined at a call
    /// instruction is asked again here: the check it declines on runs
    /// twice, and `string.format` formats up to a `%s` of a value with
    /// `__tostring` twice, rare enough not to scan every call's arguments.)
    fn native_in_place(
        &mut self,
        ctx: Context<'gc>,
        stack: &mut Stack<'gc, '_>,
        f: Function<'gc>,
        fuel: &mut i32,
    ) -> Result<Option<Function<'gc>>, Fail<'gc>> {
        let Function::Callback(cb) = f else {
            return Ok(Some(f));
        };
        let callee = self.callee(ctx, cb);
        self.run_native(ctx, callee, f, stack, fuel)
            .unwrap_or(Ok(Some(f)))
    }

    /// What the callee cache knows of `cb`.
    #[inline(always)]
    fn cached(&self, cb: Callback<'gc>) -> Option<Callee<'gc>> {
        let slot = cslot(cb);
        match self.cache[slot] {
            Some((c, callee)) if c == cb => Some(callee),
            _ => match self.cache[slot + 1] {
                Some((c, callee)) if c == cb => Some(callee),
                _ => None,
            },
        }
    }

    /// Puts `cb` in the callee cache, first of its pair of slots (the
    /// other one's entry dropped, the first one's moved there).
    #[inline(always)]
    fn cache_callee(&mut self, cb: Callback<'gc>, callee: Callee<'gc>) {
        let slot = cslot(cb);
        self.cache[slot + 1] = self.cache[slot];
        self.cache[slot] = Some((cb, callee));
        self.cached = true;
    }

    /// The one result of a call of `callee` with the `nargs` arguments at
    /// `regs[at..]` when it can be given without the library function's
    /// native: its `ArgsFn` takes the arguments, or it is `type` with an
    /// argument (the name interned once, where the native interns it at
    /// each call). `None` otherwise.
    #[inline(always)]
    fn answer_here(
        &mut self,
        ctx: Context<'gc>,
        callee: Callee<'gc>,
        regs: &[Value<'gc>],
        at: usize,
        nargs: usize,
    ) -> Option<Value<'gc>> {
        match callee {
            Callee::Args(_, _, a) => {
                let v = (a.f)(ctx, &regs[at..at + nargs]);
                // An `ArgsFn` that moved string keys (`setmetatable` making
                // a table weak, or plain again) said so: the field cache
                // is emptied, as after a native's call.
                if string_key_writes() != self.kseen {
                    self.kclear();
                }
                v
            }
            Callee::Type(..) if nargs >= 1 => Some(Value::String(self.names.type_of(regs[at]))),
            _ => None,
        }
    }

    /// Whether the cache knows `cb` as the library's `next`.
    #[inline(always)]
    fn cached_next(&self, cb: Callback<'gc>) -> bool {
        matches!(self.cached(cb), Some(Callee::Next(..)))
    }

    /// A step of a generic `for` over `ipairs`' iterator on the table `t`
    /// (its values at `regs[ra..]`, `c` wanted), taken here: `t[i + 1]`,
    /// or the loop's end at the first nil when `t` has no metatable (with
    /// one, an `__index` may answer: then the iterator is called, as when
    /// this returns false). Each step was a call of the native (10^6
    /// steps natively 0.036 s against PUC Lua 5.4.8's 0.021).
    #[inline(never)]
    fn inext_here(
        &mut self,
        ctx: Context<'gc>,
        regs: &mut Regs<'gc>,
        t: Table<'gc>,
        ra: usize,
        c: usize,
    ) -> bool {
        let Value::Integer(i) = regs[ra + 2] else {
            return false;
        };
        let i = i.wrapping_add(1);
        let v = if self.weak.any() {
            // (A weak table's entries are outside its raw table.)
            crate::weak::raw_get(ctx, t, Value::Integer(i))
        } else {
            t.get_int(i)
        };
        // The results of a call wanting `c`: the index and the value, or
        // one nil; nil for any more.
        let w = &mut regs[ra + 4..];
        if v.is_nil() {
            if t.metatable().is_some() {
                return false;
            }
            for slot in w.iter_mut().take(c.max(1)) {
                *slot = Value::Nil;
            }
        } else {
            w[0] = Value::Integer(i);
            if c >= 2 {
                w[1] = v;
                for slot in w.iter_mut().take(c).skip(2) {
                    *slot = Value::Nil;
                }
            }
        }
        true
    }

    /// Whether the callee cache knows `cb` as `ipairs`' iterator.
    #[inline(always)]
    fn cached_inext(&self, cb: Callback<'gc>) -> bool {
        matches!(self.cached(cb), Some(Callee::INext(..)))
    }

    /// The callee `cb` when the cache knows it as a native.
    #[inline(always)]
    fn cached_native(&self, cb: Callback<'gc>) -> Option<Callee<'gc>> {
        let slot = cslot(cb);
        for way in [slot, slot + 1] {
            if let Some((
                c,
                callee @ (Callee::Native(..)
                | Callee::NativeClosure(..)
                | Callee::Select(..)
                | Callee::Next(..)
                | Callee::INext(..)
                | Callee::Unpack(..)
                | Callee::Args(..)
                | Callee::Type(..)),
            )) = self.cache[way]
            {
                if c == cb {
                    return Some(callee);
                }
            }
        }
        None
    }

    /// Calls the native `callee` (the function `f`, at `func` with `nargs`
    /// arguments) in place: `Flow::Next` with its results in place for
    /// `want`, or `Flow::Call` of what the executor must run (the native
    /// declined, or answered with a call or a sequence) with `self.cont`
    /// set. Without hooks (see [`Self::call`]). `select`'s common forms are
    /// answered without the native ([`Self::select_in_place`]).
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn call_native(
        &mut self,
        ctx: Context<'gc>,
        regs: &mut Regs<'gc>,
        stack: &mut Stack<'gc, '_>,
        callee: Callee<'gc>,
        f: Function<'gc>,
        func: usize,
        nargs: usize,
        want: i32,
        fuel: &mut i32,
    ) -> Result<Flow<'gc>, Fail<'gc>> {
        // `table.unpack(t)` of a short table without a metatable, its items
        // written in place (through the native ~600 instructions for six).
        // (Here rather than in the dispatch loop, where the check alone
        // made fib's calls ~6 instructions dearer: register allocation.)
        if let (Callee::Unpack(..), 1) = (callee, nargs) {
            if let Value::Table(t) = regs[func + 1] {
                if self.unpack_here(regs, t, func, want) {
                    return Ok(Flow::Next);
                }
            }
        }
        // The native works on the register stack itself: its stack is the
        // arguments, at `func + 1` with everything above them cut off (dead
        // registers: the call's own temporaries, and those of callers'
        // frames reaching past the call), its results land there.
        stack.clear();
        let saved = regs.len();
        let buf = regs.as_ptr();
        regs.truncate(func + 1 + nargs);
        // The native called here, not through `run_native`: its answer then
        // stays where the call wrote it (~20 instructions a call in V8; a
        // shared helper returning `Option<Result<..>>` measured +23).
        let mut budget = Fuel::with(*fuel);
        let positioned;
        let r = match callee {
            Callee::Native(nf, p)
            | Callee::Select(nf, p)
            | Callee::Next(nf, p)
            | Callee::INext(nf, p)
            | Callee::Unpack(nf, p) => {
                positioned = p;
                nf(ctx, &mut budget, Stack::new(regs, func + 1))
            }
            Callee::Args(nf, p, _) | Callee::Type(nf, p) => {
                positioned = p;
                nf(ctx, &mut budget, Stack::new(regs, func + 1))
            }
            Callee::NativeClosure(nf, ups) => {
                positioned = false;
                nf(ctx, &mut budget, ups, Stack::new(regs, func + 1))
            }
            // (Not a native after all: `f` goes to the executor, as in `call`.)
            _ => return Ok(self.hand_over(regs, stack, func, want, saved, buf, f)),
        };
        *fuel = budget.remaining();
        if string_key_writes() != self.kseen {
            self.kclear();
        }
        let n = regs.len() - (func + 1);
        let r = if matches!(r, Ok(CallbackReturn::Return)) {
            core::mem::forget(r);
            Ok(None)
        } else {
            let mut args = Stack::new(regs, func + 1);
            self.native_outcome(ctx, r, f, positioned, &mut args)
        };
        match r {
            Ok(None) => {
                // The results moved down into place.
                let count = if want < 0 { n } else { want as usize };
                let need = func + count.max(1);
                if need > MAX_STACK_SLOTS {
                    reset_len(regs, saved, buf);
                    return Err(Fail::Msg("stack overflow".into()));
                }
                restore_len(regs, saved, buf);
                ensure_len(regs, need);
                self.move_results(regs, func + 1, func, n, want);
                if regs.len() > MAX_STACK_SLOTS {
                    regs.truncate(saved.max(need));
                }
                Ok(Flow::Next)
            }
            Ok(Some(g)) => Ok(self.hand_over(regs, stack, func, want, saved, buf, g)),
            Err(e) => {
                reset_len(regs, saved, buf);
                Err(e)
            }
        }
    }

    /// [`Self::call_native`]'s call of `g` by the executor: what the native
    /// left above `func` (or the arguments, when it did not run) is the
    /// call's arguments, its results for `want` at `func`.
    #[allow(clippy::too_many_arguments)]
    fn hand_over(
        &mut self,
        regs: &mut Regs<'gc>,
        stack: &mut Stack<'gc, '_>,
        func: usize,
        want: i32,
        saved: usize,
        buf: *const Value<'gc>,
        g: Function<'gc>,
    ) -> Flow<'gc> {
        stack.extend_from_slice(&regs[func + 1..]);
        reset_len(regs, saved, buf);
        self.cont = Cont::Call {
            dest: func,
            want,
            then_return: false,
        };
        Flow::Call(g)
    }

    /// [`Self::select_in_place`] out of line, for the dispatch loop.
    #[inline(never)]
    fn select_here(&mut self, regs: &mut Regs<'gc>, func: usize, nargs: usize, want: i32) -> bool {
        self.select_in_place(regs, func, nargs, want)
    }

    /// `select('#', ...)` or `select(i, ...)` with an integer `i >= 1`,
    /// called at `func` with `nargs` arguments, answered in place with its
    /// results placed for `want`: true when done, false for every other
    /// form (a negative or non-integer index, no arguments: the native
    /// then runs, with its errors).
    #[inline]
    fn select_in_place(
        &mut self,
        regs: &mut Regs<'gc>,
        func: usize,
        nargs: usize,
        want: i32,
    ) -> bool {
        if nargs == 0 {
            return false;
        }
        let n = nargs - 1;
        let (from, count) = match regs[func + 1] {
            Value::String(s) if s.as_bytes() == b"#" => {
                regs[func + 1] = Value::Integer(n as i64);
                (func + 1, 1)
            }
            Value::Integer(i) if i >= 1 => {
                let i = usize::try_from(i).unwrap_or(usize::MAX).min(n + 1);
                (func + 1 + i, n + 1 - i)
            }
            _ => return false,
        };
        let wanted = if want < 0 { count } else { want as usize };
        if !ensure_len(regs, func + wanted.max(1)) {
            return false;
        }
        self.move_results(regs, from, func, count, want);
        true
    }

    /// `table.unpack(t)` called at `func` with `t` a table without a
    /// metatable and at most [`UNPACK_HERE`] items: `t[1]`..`t[#t]` placed
    /// for `want` as the native's results would be. False (nothing
    /// changed) for a longer table, which the native unpacks.
    #[inline]
    fn unpack_here(&mut self, regs: &mut Regs<'gc>, t: Table<'gc>, func: usize, want: i32) -> bool {
        if t.metatable().is_some() {
            return false;
        }
        let n = t.length();
        if !(0..=UNPACK_HERE).contains(&n) {
            return false;
        }
        let n = n as usize;
        let wanted = if want < 0 { n } else { want as usize };
        if !ensure_len(regs, func + wanted.max(1)) {
            return false;
        }
        let m = n.min(wanted);
        for (k, slot) in regs[func..func + m].iter_mut().enumerate() {
            *slot = t.get_int(k as i64 + 1);
        }
        for slot in &mut regs[func + m..func + wanted] {
            *slot = Value::Nil;
        }
        if want < 0 {
            self.top = func + n;
        }
        true
    }

    /// `return v` (`v` the value of a register) from a frame that is not
    /// the entry's first, not protected, with no open upvalues or
    /// to-be-closed variables of its own ([`Self::simple_top`]), a
    /// metamethod's frame when its value goes to a register: done here;
    /// false for every other case (then [`Self::do_return`]).
    #[inline(always)]
    #[allow(unsafe_code)]
    fn return1_fast(&mut self, regs: &mut [Value<'gc>], v: Value<'gc>) -> bool {
        let Some(frame) = self.simple_top() else {
            return false;
        };
        if frame.mm {
            return self.mm_store_return(regs, v);
        }
        let (dest, want) = (frame.func, frame.want);
        debug_assert!(dest < frame.base && dest < regs.len());
        // SAFETY: a frame's function sits below its base, which is within
        // the registers while the frame runs.
        *unsafe { regs.get_unchecked_mut(dest) } = v;
        if want < 0 {
            self.top = dest + 1;
        } else if want > 1 {
            for slot in &mut regs[dest + 1..dest + want as usize] {
                *slot = Value::Nil;
            }
        }
        self.frames.pop();
        true
    }

    /// `return` with no values from a frame [`Self::return1_fast`] would
    /// take: done here (procedures returned through `do_return`: a counter
    /// `inc()` of one upvalue took 2.1x PUC Lua's time natively).
    #[inline(always)]
    fn return0_fast(&mut self, regs: &mut [Value<'gc>]) -> bool {
        let Some(frame) = self.simple_top().filter(|f| !f.mm) else {
            return false;
        };
        let (dest, want) = (frame.func, frame.want);
        debug_assert!(dest < frame.base);
        if want < 0 {
            self.top = dest;
        } else {
            for slot in &mut regs[dest..dest + want as usize] {
                *slot = Value::Nil;
            }
        }
        self.frames.pop();
        true
    }

    /// The top frame when its return needs nothing but handing its results
    /// on: not the entry's first frame, not protected, with no open
    /// upvalues or to-be-closed variables of its own.
    #[inline(always)]
    fn simple_top(&self) -> Option<&Frame<'gc>> {
        let n = self.frames.len();
        if n < 2 {
            return None;
        }
        let frame = &self.frames[n - 1];
        if frame.pcall_want != NOT_PROTECTED || frame.closes {
            return None;
        }
        debug_assert!(self.open.last().is_none_or(|&(i, _)| i < frame.base));
        debug_assert!(!self.has_tbc(frame.base));
        Some(frame)
    }

    /// A missing key of a table with metatable `mt`, looked up through a
    /// chain of `__index` tables (classes and their bases): the value, or
    /// `None` when a handler is a function or not a table, or the chain is
    /// long, or once weak tables exist (then [`Self::index`] does it all,
    /// with its errors).
    #[inline(always)]
    fn index_chain(&mut self, mut mt: Table<'gc>, key: Value<'gc>) -> Option<Value<'gc>> {
        if self.weak.any() {
            // A weak table's entries are outside its raw table: `index`.
            return None;
        }
        for _ in 0..8 {
            let Value::Table(class) = self.kget(mt, self.names.index) else {
                return None;
            };
            let v = self.raw_get(class, key);
            if !v.is_nil() {
                return Some(v);
            }
            mt = match class.metatable() {
                None => return Some(Value::Nil),
                Some(m) => m,
            };
        }
        None
    }

    /// `t[key]` for `GetField` and `SelfOp` when no call is needed: a
    /// table's own field, or one found along a chain of `__index` tables
    /// ([`Self::index_chain`]); `None` leaves it to [`Self::index`].
    #[inline(always)]
    fn field_fast(&mut self, t: Value<'gc>, key: Value<'gc>) -> Option<Value<'gc>> {
        let Value::Table(tt) = t else {
            // (Strings apart from tables: as one `match`, reads of a table's
            // fields took ~8 instructions more a method call natively.)
            return if matches!(t, Value::String(_)) {
                self.string_method(key)
            } else {
                None
            };
        };
        let v = self.raw_get(tt, key);
        if !v.is_nil() {
            return Some(v);
        }
        match tt.metatable() {
            None => Some(v),
            Some(mt) => self.index_chain(mt, key),
        }
    }

    /// `s[key]` of a string `s` when the strings' metatable has a table
    /// `__index` (the string library) holding `key`: `s:sub(...)` without
    /// the slow path (which looked the metatable up by the type's name
    /// each time: `s:byte(3)` 2.6x PUC Lua's time natively). `None` for
    /// anything else, which the slow path does in full.
    #[inline(never)]
    fn string_method(&mut self, key: Value<'gc>) -> Option<Value<'gc>> {
        let Value::String(k) = key else {
            return None;
        };
        if self.weak.any() {
            // (Raw reads miss a weak table's entries: see `index_chain`.)
            return None;
        }
        let Value::Table(mt) = self.kget(self.types, self.names.string) else {
            return None;
        };
        let Value::Table(lib) = self.kget(mt, self.names.index) else {
            return None;
        };
        let v = self.kget(lib, k);
        (!v.is_nil()).then_some(v)
    }

    /// Whether `t[key] = v` on a table with metatable `mt` is a raw set:
    /// the key is present, or `mt` has no `__newindex` (never once weak
    /// tables exist).
    /// (Out of line: for `SetTable` and `SetI`, whose keys take any of
    /// `raw_get`'s paths; inlined, it was a fifth of those arms, in a
    /// dispatch function that V8 compiles whole before a page runs at
    /// full speed.)
    #[inline(never)]
    fn set_is_raw(&mut self, t: Table<'gc>, mt: Table<'gc>, key: Value<'gc>) -> bool {
        // (A weak table's entries are outside its raw table: `new_index`.)
        !self.weak.any()
            && (!self.raw_get(t, key).is_nil() || self.kget(mt, self.names.newindex).is_nil())
    }

    /// [`Self::set_is_raw`] for a string key (`SetField`'s constant), inline.
    #[inline(always)]
    fn field_set_is_raw(&mut self, t: Table<'gc>, mt: Table<'gc>, k: LuaString<'gc>) -> bool {
        !self.weak.any()
            && (!self.kget(t, k).is_nil() || self.kget(mt, self.names.newindex).is_nil())
    }

    /// Empties the field cache, so that nothing is kept alive by it (one
    /// unused entry is left; the memory stays for its regrowth).
    fn kreset(&mut self) {
        self.kcache.clear();
        self.kcache
            .push(KEntry::unused(self.types, self.names.index));
        self.kmask = 0;
        self.kfills = 0;
    }

    /// Empties the field cache.
    #[inline]
    fn kclear(&mut self) {
        self.kstamp = self.kstamp.wrapping_add(1);
        self.kseen = string_key_writes();
    }

    /// `t[k]` (raw), through the field cache.
    #[inline(always)]
    #[allow(unsafe_code)]
    fn kget(&mut self, t: Table<'gc>, k: LuaString<'gc>) -> Value<'gc> {
        let slot = kslot(t, k, self.kmask);
        debug_assert!(kslot_checked(self.kcache.len(), self.kmask));
        // SAFETY: `slot <= kmask < kcache.len()` (see `kslot`).
        let e = unsafe { self.kcache.get_unchecked(slot) };
        if e.holds(t, k, self.kstamp) {
            return e.v;
        }
        self.kget_miss(slot, t, k)
    }

    /// `t[k]` when the field cache's first slot for it holds it (what
    /// [`Self::kget`] returns without a call).
    #[inline(always)]
    // (A reference: copied from the cache to a register directly, where a
    // copy returned went through the wasm build's shadow stack.)
    #[allow(unsafe_code)]
    fn kcached(&self, t: Table<'gc>, k: LuaString<'gc>) -> Option<&Value<'gc>> {
        debug_assert!(kslot_checked(self.kcache.len(), self.kmask));
        // SAFETY: the slot is at most `kmask`, below `kcache.len()` (see `kslot`).
        let e = unsafe { self.kcache.get_unchecked(kslot(t, k, self.kmask)) };
        e.holds(t, k, self.kstamp).then_some(&e.v)
    }

    /// [`Self::kget`] when `t[k]` is not in its first slot: in the second,
    /// or read from the table and cached.
    #[inline(never)]
    fn kget_miss(&mut self, slot: usize, t: Table<'gc>, k: LuaString<'gc>) -> Value<'gc> {
        if let Some(e) = self.kcache.get(slot ^ 1) {
            if e.holds(t, k, self.kstamp) {
                return e.v;
            }
        }
        let (v, at) = t.get_string_index(k);
        self.kinsert(slot, t, k, v, at);
        v
    }

    /// Caches `t[k] = v` after a write: in place when either slot of the
    /// pair holds `t[k]`, so that the pair never holds it twice.
    #[inline(always)]
    fn kput(&mut self, slot: usize, t: Table<'gc>, k: LuaString<'gc>, v: Value<'gc>, at: u32) {
        let stamp = self.kstamp;
        if let Some(e) = self.kcache.get_mut(slot) {
            if e.holds(t, k, stamp) {
                e.v = v;
                e.at = at;
                return;
            }
        }
        if let Some(e) = self.kcache.get_mut(slot ^ 1) {
            if e.holds(t, k, stamp) {
                e.v = v;
                e.at = at;
                return;
            }
        }
        self.kinsert(slot, t, k, v, at);
    }

    /// Caches `t[k] = v`, held by neither of its slots, in its home slot.
    /// An entry at home there moves to the neighbour unless one at home in
    /// the neighbour holds it (entries that are not at home are dropped
    /// first).
    #[inline(always)]
    fn kinsert(&mut self, slot: usize, t: Table<'gc>, k: LuaString<'gc>, v: Value<'gc>, at: u32) {
        let stamp = self.kstamp;
        let e = KEntry { t, k, v, stamp, at };
        if self.kcache.len() != KCACHE_SIZE {
            return self.kinsert_growing(e);
        }
        let old = self.kcache[slot];
        if old.stamp == stamp && kslot(old.t, old.k, KCACHE_SIZE - 1) == slot {
            let next = self.kcache[slot ^ 1];
            if next.stamp != stamp || kslot(next.t, next.k, KCACHE_SIZE - 1) != slot ^ 1 {
                self.kcache[slot ^ 1] = old;
            }
        }
        self.kcache[slot] = e;
    }

    /// [`Self::kinsert`] while the cache is smaller than its full size:
    /// grows it (emptied) when it has taken twice as many entries as it has
    /// slots, and puts `e` in its home slot. The first cache has one slot
    /// and becomes [`KCACHE_START`] slots at its third entry: a coroutine
    /// made per use (`coroutine.wrap(function() coroutine.yield(1) end)`)
    /// reads two fields and made a 16-slot cache it never used (~500
    /// instructions and 768 bytes each).
    #[cold]
    #[inline(never)]
    fn kinsert_growing(&mut self, e: KEntry<'gc>) {
        let len = self.kcache.len();
        self.kfills += 1;
        if self.kfills > 2 * len {
            let grown = if len == 1 {
                KCACHE_START
            } else {
                (4 * len).min(KCACHE_SIZE)
            };
            self.kcache.clear();
            self.kcache.resize(grown, KEntry::unused(e.t, e.k));
            self.kmask = grown - 1;
            self.kfills = 0;
        }
        debug_assert!(kslot_checked(self.kcache.len(), self.kmask));
        let slot = kslot(e.t, e.k, self.kmask);
        self.kcache[slot] = e;
    }

    /// `t[key] = v` (raw), keeping the field cache up to date: inline,
    /// the overwrite of a field the cache holds, of an item of the array
    /// part and of an existing integer key of the map; the rest in
    /// [`Self::kset_slow`]. `SetField`, `SetTabUp` and `SetI` inline only
    /// their own key's case ([`Self::kset_field`], [`Self::kset_item`]).
    /// (Inlined whole at the four table-writing instructions, the write
    /// was ~2.7 KB of the dispatch function each: a larger function,
    /// which V8's optimizing compiler takes longer to compile on every
    /// page load while the page runs its slow baseline code.)
    #[inline(always)]
    fn kset(
        &mut self,
        ctx: Context<'gc>,
        t: Table<'gc>,
        key: Value<'gc>,
        v: Value<'gc>,
    ) -> Result<(), Fail<'gc>> {
        let done = match key {
            Value::String(k) => self.kset_hit(ctx, t, k, v),
            Value::Integer(i) => {
                t.set_array(&ctx, i, v) || (!v.is_nil() && t.replace_int(&ctx, i, v))
            }
            _ => false,
        };
        if done {
            return Ok(());
        }
        self.kset_slow(ctx, t, key, v, true)
    }

    /// [`Self::kset`] for the constant key of `SetField` and `SetTabUp`
    /// (a string).
    #[inline(always)]
    fn kset_field(
        &mut self,
        ctx: Context<'gc>,
        t: Table<'gc>,
        key: Value<'gc>,
        v: Value<'gc>,
    ) -> Result<(), Fail<'gc>> {
        if let Value::String(k) = key {
            if self.kset_hit(ctx, t, k, v) {
                return Ok(());
            }
        }
        self.kset_slow(ctx, t, key, v, false)
    }

    /// [`Self::kset`] for the constant integer key of `SetI`.
    #[inline(always)]
    fn kset_item(
        &mut self,
        ctx: Context<'gc>,
        t: Table<'gc>,
        i: i64,
        v: Value<'gc>,
    ) -> Result<(), Fail<'gc>> {
        if t.set_array(&ctx, i, v) {
            return Ok(());
        }
        self.kset_slow(ctx, t, Value::Integer(i), v, false)
    }

    /// `t[k] = v` when the field cache holds `t[k]` and `v` is not nil:
    /// written in the bucket the cache knows, checked
    /// (`replace_string_at`); `false` when nothing was written.
    #[inline(always)]
    #[allow(unsafe_code)]
    fn kset_hit(
        &mut self,
        ctx: Context<'gc>,
        t: Table<'gc>,
        k: LuaString<'gc>,
        v: Value<'gc>,
    ) -> bool {
        if v.is_nil() {
            return false;
        }
        let fresh = self.kseen == string_key_writes();
        let slot = kslot(t, k, self.kmask);
        debug_assert!(kslot_checked(self.kcache.len(), self.kmask));
        // SAFETY: the slot is at most `kmask`, below `kcache.len()` (see `kslot`).
        let e = unsafe { self.kcache.get_unchecked_mut(slot) };
        if e.holds(t, k, self.kstamp) && t.replace_string_at(&ctx, e.at, k, v) {
            e.v = v;
            if fresh {
                // The cache has this write: still good.
                self.kseen = string_key_writes();
            }
            return true;
        }
        false
    }

    /// [`Self::kset`] when the write is not an overwrite in place: a field
    /// found by a probe or added, a nil written, an integer key outside
    /// the array part, any other key. Nothing has been written yet; an
    /// integer key's array item was tried, and with `in_map` its existing
    /// key in the map too (`SetTable`'s inline case), so neither is tried
    /// again.
    #[inline(never)]
    fn kset_slow(
        &mut self,
        ctx: Context<'gc>,
        t: Table<'gc>,
        key: Value<'gc>,
        v: Value<'gc>,
        in_map: bool,
    ) -> Result<(), Fail<'gc>> {
        let fresh = self.kseen == string_key_writes();
        if let Value::String(k) = key {
            let slot = kslot(t, k, self.kmask);
            let at = if v.is_nil() {
                None
            } else {
                t.replace_string_index(&ctx, k, v)
            };
            if at.is_none() {
                raw_set(ctx, t, key, v)?;
            }
            self.kput(slot, t, k, v, at.unwrap_or(NO_BUCKET));
            if fresh {
                // The cache has this write: still good.
                self.kseen = string_key_writes();
            }
        } else if let Value::Integer(i) = key {
            // An existing key of the map: in place.
            if in_map || v.is_nil() || !t.replace_int(&ctx, i, v) {
                raw_set(ctx, t, key, v)?;
            }
        } else {
            raw_set(ctx, t, key, v)?;
        }
        Ok(())
    }

    /// `t[key]` (raw): through the field cache for string keys.
    #[inline(always)]
    fn raw_get(&mut self, t: Table<'gc>, key: Value<'gc>) -> Value<'gc> {
        match key {
            Value::String(k) => self.kget(t, k),
            Value::Integer(i) => t.get_int(i),
            _ => t.get_value(key),
        }
    }

    /// Before a call through the executor once weak tables exist: when it
    /// is `collectgarbage`, drops the values only this entry's leftovers
    /// keep alive (dead registers above the call, the field and callee
    /// caches).
    #[cold]
    #[inline(never)]
    fn before_collect(&mut self, f: Function<'gc>, dead: &mut [Value<'gc>]) {
        if self.weak.scrub_for(f, dead) {
            // The field and callee caches hold values strongly.
            self.kreset();
            self.forget_callees();
        }
    }

    /// Between slices once a collection can be observed (weak tables,
    /// finalizers): drops what only speed keeps — the field and callee
    /// caches and the registers above the top frame, left by calls that
    /// returned — so that the collector, which runs between slices, sees
    /// what PUC Lua's sees.
    #[cold]
    #[inline(never)]
    fn forget_leftovers(&mut self, regs: &mut Regs<'gc>) {
        self.kreset();
        self.forget_callees();
        let frame_end = |f: &Frame<'gc>| f.base + f.closure.proto.proto.max_stack as usize;
        let end = self.frames.last().map_or(0, frame_end).max(self.top);
        if regs.len() <= end {
            return;
        }
        // A caller's frame may reach past its callee's: those registers are
        // dead (above the call) but must stay in the stack, with the spare
        // slot `push_frame` keeps above each frame.
        let keep = (self.frames.iter().map(frame_end).max().unwrap_or(0) + 1).max(end);
        if keep < regs.len() {
            regs.truncate(keep);
        }
        regs[end..].fill(Value::Nil);
    }

    /// What `cb` is (cached).
    #[inline]
    fn callee(&mut self, ctx: Context<'gc>, cb: Callback<'gc>) -> Callee<'gc> {
        // (A closure of ours is known by its root: not cached.)
        if let Some(cl) = super::closure_of(cb) {
            return Callee::Closure(cl);
        }
        if let Some(callee) = self.cached(cb) {
            return callee;
        }
        let callee = self.registry.callee(&ctx, cb);
        self.cache_callee(cb, callee);
        callee
    }

    /// `error(msg [, level])` called at `func`, raised here: the error,
    /// or `None` when the library function must handle it (an odd level).
    #[cold]
    fn error_in_place(
        &self,
        ctx: Context<'gc>,
        regs: &[Value<'gc>],
        func: usize,
        nargs: usize,
    ) -> Option<Error<'gc>> {
        let msg = if nargs >= 1 {
            regs[func + 1]
        } else {
            Value::Nil
        };
        let level = match if nargs >= 2 {
            regs[func + 2]
        } else {
            Value::Nil
        } {
            Value::Nil => 1,
            Value::Integer(i) => i,
            _ => return None,
        };
        let Value::String(s) = msg else {
            return Some(Error::Lua(msg.into()));
        };
        let n = self.frames.len();
        let frame = match level {
            1 => self.frames.last(),
            // The caller of the function calling `error`: known when it is
            // a frame of this entry (not `pcall`).
            2 if n >= 2 && self.frames[n - 1].pcall_want == NOT_PROTECTED => self.frames.get(n - 2),
            2 if n >= 2 => None,
            // Beyond this entry's frames: `error` walks the levels itself.
            _ => return None,
        };
        // A library function written in Lua has no position (a C function).
        let Some(f) = frame.filter(|f| !f.closure.proto.library) else {
            return Some(Error::Lua(msg.into()));
        };
        Some(crate::stdlib::lua_error(ctx, f.where_msg(s.as_bytes())))
    }

    /// `e`, raised by the native `f` called in place, with the current
    /// line's `chunk:line: ` in front, when it is a string (what
    /// `luaL_error` does for library errors).
    #[cold]
    fn positioned(&self, ctx: Context<'gc>, e: Error<'gc>, f: Function<'gc>) -> Error<'gc> {
        let Error::Lua(v) = &e else { return e };
        let (Value::String(s), Some(frame)) = (v.0, self.frames.last()) else {
            return e;
        };
        if frame.closure.proto.library {
            // Called by a library function written in Lua, as by a C
            // function: no position, the function's global name.
            let global = || crate::stdlib::check::global_func_name(ctx, f.into());
            return match crate::stdlib::check::rename_arg_error(s.as_bytes(), None, global) {
                Some(m) => crate::stdlib::lua_error(ctx, m),
                None => e,
            };
        }
        let renamed = native_arg_error_name(frame, s.as_bytes());
        crate::stdlib::lua_error(
            ctx,
            frame.where_msg(renamed.as_deref().unwrap_or(s.as_bytes())),
        )
    }

    // ---- the loop ---------------------------------------------------------

    /// What a run for a resume made in place returned (see
    /// [`Self::replay`]), handed over now, at the executor's resume.
    fn replayed(
        &mut self,
        ctx: Context<'gc>,
        (replay, values): (Replay<'gc>, Vec<Value<'gc>>),
        stack: &mut Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        stack.clear();
        stack.extend(values);
        match replay {
            Replay::Return => Ok(SequencePoll::Return),
            Replay::Pending => Ok(SequencePoll::Pending),
            Replay::Call(function) => {
                // (The resume called since forgot the caller.)
                if let Some(rec) = self.rec {
                    self.dbg.set_caller(&ctx, rec);
                }
                Ok(SequencePoll::Call {
                    function,
                    is_tail: false,
                })
            }
            Replay::Err(e) => Err(e),
        }
    }

    fn run(
        &mut self,
        ctx: Context<'gc>,
        exec: &mut Execution<'gc, '_>,
        stack: &mut Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        self.run_from(ctx, exec, stack, None)
    }

    /// [`Self::run`] of an entry just begun, for [`Entry::call_sync`]:
    /// without hooks, a function that returns within the fuel (a
    /// `table.sort` comparator, a `gsub` replacement) skips the loop's
    /// bookkeeping (~1/6 of such a call); anything else goes on in
    /// [`Self::run_from`] with what the first dispatch returned.
    fn run_sync(
        &mut self,
        ctx: Context<'gc>,
        exec: &mut Execution<'gc, '_>,
        stack: &mut Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        if self.dbg.any_hooks() {
            return self.run(ctx, exec, stack);
        }
        let regs_gc = self.regs;
        let mut guard = regs_gc.borrow_mut(&ctx);
        let mut fuel = exec.fuel().remaining().max(1);
        let start_fuel = fuel;
        let r = self.dispatch::<false>(ctx, &mut guard, stack, &mut fuel);
        let returned = matches!(r, Ok(Outcome::Return));
        if returned && self.weak.observable() {
            self.forget_leftovers(&mut guard);
        }
        drop(guard);
        exec.fuel().consume(start_fuel - fuel);
        if !returned {
            return self.run_from(ctx, exec, stack, Some(r));
        }
        self.hk.polled = true;
        self.leave(ctx);
        Ok(SequencePoll::Return)
    }

    /// The loop of [`Self::run`]; `first`, when given, is what a dispatch
    /// of this entry (without hooks) returned before ([`Self::run_sync`]):
    /// it is handled first, as if the loop had just dispatched.
    fn run_from(
        &mut self,
        ctx: Context<'gc>,
        exec: &mut Execution<'gc, '_>,
        stack: &mut Stack<'gc, '_>,
        mut first: Option<Result<Outcome<'gc>, Fail<'gc>>>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        let mut prev_callee = None;
        if let Some(rec) = self.rec {
            let mut st = rec.borrow_mut(&ctx);
            self.frames = std::mem::take(&mut st.frames);
            prev_callee = st.callee.take();
        }
        if let Cont::Hook { .. } | Cont::HookC { .. } = self.cont {
            self.dbg.allow_hook(&ctx, self.thread, true);
        }
        // (No hook when `first` was dispatched without one: one set since
        // starts at the next poll, as when `run` dispatched.)
        let hook = if first.is_none() && self.dbg.any_hooks() {
            self.dbg.hook(self.thread).filter(|h| h.allowed)
        } else {
            None
        };
        if hook.is_none() {
            self.hk.active = false;
        } else if !self.hk.active {
            if self.hk.polled && !matches!(self.cont, Cont::None | Cont::Hook { .. }) {
                // The library function that set the hook returns: its
                // return event (as PUC's `rethook` after `sethook`).
                self.c_call = prev_callee.filter(|f| super::as_lua_closure(ctx, *f).is_none());
            }
            self.hk = if self.hk.polled {
                // As PUC's return hook of `sethook` does: the caller's
                // current line is not a new line.
                HookRun {
                    active: true,
                    polled: true,
                    depth: self.frames.len(),
                    oldpc: self.frames.last().map_or(0, |f| f.pc.saturating_sub(1)),
                    ..HookRun::default()
                }
            } else {
                HookRun {
                    active: true,
                    ..HookRun::default()
                }
            };
        }
        if first.is_none()
            && !matches!(self.cont, Cont::None)
            && self.registry.take_closing(&ctx, self.thread)
        {
            // coroutine.close: unwind instead of taking the results.
            self.cont = Cont::None;
            stack.clear();
            self.unwinding = Some(piccolo::Error::Runtime(super::CloseSignal.into()));
        }
        let regs_gc = self.regs;
        let mut guard = regs_gc.borrow_mut(&ctx);
        let regs: &mut Regs<'gc> = &mut guard;
        let mut fuel = exec.fuel().remaining().max(1);
        let start_fuel = fuel;
        let outcome = loop {
            if let Some(err) = self.unwinding.clone() {
                self.cont = Cont::None;
                if self.has_tbc(self.unwind_level()) {
                    let ev = if super::is_close_signal(&err) {
                        Value::Nil
                    } else {
                        crate::stdlib::check::error_value(ctx, &err)
                    };
                    match self.close_one(ctx, regs, stack, ev, Cont::Unwind) {
                        Ok(Flow::Call(f)) => break Ok(Outcome::Call(f)),
                        Ok(Flow::Out(o)) => break Ok(o),
                        Ok(Flow::Next) => continue,
                        Err(fail) => {
                            let e = self.error_of(ctx, fail);
                            self.unwinding = Some(e);
                            continue;
                        }
                    }
                }
                if self.recover(ctx, regs, &err) {
                    self.unwinding = None;
                    continue;
                }
                self.close_upvalues(ctx, regs, 0);
                self.frames.clear();
                self.mm.clear();
                regs.clear();
                self.unwinding = None;
                break Err(err);
            }
            let r = if let Some(r) = first.take() {
                r
            } else {
                let r = if !matches!(self.cont, Cont::None) {
                    match self.c_call {
                        Some(f) => match self.c_hook_step(ctx, stack, hook, f) {
                            Some(o) => Ok(Some(o)),
                            None => self.deliver(ctx, regs, stack),
                        },
                        None => self.deliver(ctx, regs, stack),
                    }
                } else {
                    Ok(None)
                };
                match r {
                    Ok(Some(o)) => Ok(o),
                    Ok(None) => match hook {
                        None => self.dispatch::<false>(ctx, regs, stack, &mut fuel),
                        Some(h) => self.traced(ctx, regs, stack, &mut fuel, h),
                    },
                    Err(f) => Err(f),
                }
            };
            let r = match r {
                // A native met outside a call instruction: in place too.
                Ok(Outcome::Call(f)) if hook.is_none() => {
                    match self.native_in_place(ctx, stack, f, &mut fuel) {
                        Ok(None) => continue,
                        Ok(Some(g)) => Ok(Outcome::Call(g)),
                        Err(fail) => Err(fail),
                    }
                }
                r => r,
            };
            match r {
                Ok(o) => break Ok(o),
                Err(fail) => {
                    let e = self.error_of(ctx, fail);
                    self.cont = Cont::None;
                    let is_main = exec.current_thread().is_main && !self.switched;
                    self.capture(ctx, is_main, &e, regs);
                    self.unwinding = Some(e);
                }
            }
        };
        if self.weak.observable() {
            self.forget_leftovers(regs);
        }
        drop(guard);
        let used = start_fuel - fuel;
        exec.fuel().consume(used);
        self.hk.polled = true;
        let (callee, hook_call) = match outcome {
            Ok(Outcome::Call(f)) => (
                Some(f),
                matches!(self.cont, Cont::Hook { .. } | Cont::HookC { .. }),
            ),
            _ => (None, false),
        };
        let c_pending = match self.cont {
            Cont::HookC { .. } if callee.is_some() => self.c_call,
            _ => None,
        };
        let rec = match (self.rec, callee) {
            (Some(rec), _) => Some(rec),
            (None, Some(_)) => Some(self.make_rec(ctx)),
            (None, None) => None,
        };
        if let Some(rec) = rec {
            let mut st = rec.borrow_mut(&ctx);
            st.frames = std::mem::take(&mut self.frames);
            st.callee = callee;
            let special = hook_call || matches!(self.cont, Cont::Unwind | Cont::Close);
            if special || st.hook_call || st.unwinding || st.closing || st.c_pending.is_some() {
                self.mark_rec(&mut st, hook_call, c_pending);
            }
        }
        match outcome {
            Ok(Outcome::Return) => {
                self.leave(ctx);
                Ok(SequencePoll::Return)
            }
            Ok(Outcome::Pending) => Ok(SequencePoll::Pending),
            Ok(Outcome::MemoryCheck) => {
                // Back to the runtime now, whatever fuel is left.
                exec.fuel().interrupt();
                Ok(SequencePoll::Pending)
            }
            Ok(Outcome::Call(function)) => {
                if let Some(rec) = rec {
                    self.dbg.set_caller(&ctx, rec);
                }
                Ok(SequencePoll::Call {
                    function,
                    is_tail: false,
                })
            }
            Err(e) => {
                self.leave(ctx);
                Err(e)
            }
        }
    }

    /// What the debug library needs to know of an unusual wait: a hook
    /// call, an error being unwound, a `__close` handler.
    #[cold]
    fn mark_rec(
        &self,
        st: &mut EntryState<'gc>,
        hook_call: bool,
        c_pending: Option<Function<'gc>>,
    ) {
        st.hook_call = hook_call;
        st.c_pending = c_pending;
        st.unwinding = matches!(self.cont, Cont::Unwind);
        st.closing = matches!(self.cont, Cont::Close);
        st.transfer = if hook_call { self.hk.transfer } else { (0, 0) };
        st.c_values.clear();
        if c_pending.is_some() {
            st.c_values.extend_from_slice(&self.c_saved);
        }
    }

    /// Records the traceback of `e`, raised in this entry, if it goes to
    /// the host (the frames are still in place); a `pcall` run in place
    /// catches it here.
    #[cold]
    fn capture(&mut self, ctx: Context<'gc>, is_main: bool, e: &Error<'gc>, regs: &Regs<'gc>) {
        let raised_by = self.raised_by.take();
        if self.protected > 0 {
            return;
        }
        let rec = self.make_rec(ctx);
        {
            let mut st = rec.borrow_mut(&ctx);
            std::mem::swap(&mut self.frames, &mut st.frames);
            st.callee = raised_by;
        }
        let ev = crate::stdlib::check::error_value(ctx, e);
        frames::capture_traceback(
            ctx,
            self.registry,
            self.dbg,
            self.thread,
            is_main,
            ev,
            Some((self.regs, &regs[..])),
        );
        let mut st = rec.borrow_mut(&ctx);
        std::mem::swap(&mut self.frames, &mut st.frames);
        st.callee = None;
    }

    /// The closure behind `f` when it is one of ours (slow paths: hooks
    /// and errors).
    #[inline(never)]
    fn lookup_fn(&self, ctx: Context<'gc>, f: Function<'gc>) -> Option<ClosureRef<'gc>> {
        super::as_lua_closure(ctx, f)
    }

    // ---- hooks -------------------------------------------------------------

    /// Runs instructions one at a time, calling the hook before each as
    /// its mask asks (PUC's `luaG_traceexec`).
    #[cold]
    #[inline(never)]
    fn traced(
        &mut self,
        ctx: Context<'gc>,
        regs: &mut Regs<'gc>,
        stack: &mut Stack<'gc, '_>,
        fuel: &mut i32,
        hook: frames::Hook<'gc>,
    ) -> Result<Outcome<'gc>, Fail<'gc>> {
        loop {
            if *fuel <= 0 {
                return Ok(Outcome::Pending);
            }
            // Hooks do not see a library function written in Lua (a C
            // function of PUC Lua), nor the library functions it calls.
            let library = self.frames.last().is_some_and(|f| f.closure.proto.library);
            if !library {
                if let Some(f) = self.hook_event(ctx, stack, hook) {
                    return Ok(Outcome::Call(f));
                }
            }
            let depth = self.frames.len();
            let is_tail_op = self.frames.last().is_some_and(|f| {
                matches!(
                    f.closure.proto.proto.code.get(f.pc),
                    Some(Op::TailCall { .. })
                )
            });
            let mut one = 1;
            let r = self.dispatch::<true>(ctx, regs, stack, &mut one);
            *fuel -= 1 - one;
            if let Ok(Outcome::Call(f)) = r {
                if !library
                    && self.lookup_fn(ctx, f).is_none()
                    && hook.mask & (frames::MASK_CALL | frames::MASK_RET) != 0
                {
                    self.hk.stage = 0;
                    self.c_call = Some(f);
                    if hook.mask & frames::MASK_CALL != 0 {
                        return Ok(Outcome::Call(self.fire_c_hook(ctx, stack, hook, false)));
                    }
                }
            }
            self.hk.stage = 0;
            let n = self.frames.len();
            if n < depth {
                if let Some(f) = self.frames.last() {
                    self.hk.oldpc = f.pc.saturating_sub(1);
                }
                self.hk.depth = n;
            } else if is_tail_op && n == depth && self.frames.last().is_some_and(|f| f.pc == 0) {
                self.hk.tail = true;
            }
            match r {
                Ok(Outcome::Pending) => {}
                other => return other,
            }
        }
    }

    /// Sets the pending call's arguments (or the finished call's results)
    /// aside and calls the hook for a library function's call or return.
    fn fire_c_hook(
        &mut self,
        ctx: Context<'gc>,
        stack: &mut Stack<'gc, '_>,
        hook: frames::Hook<'gc>,
        ret: bool,
    ) -> Function<'gc> {
        self.c_saved.clear();
        self.c_saved.extend(stack.drain(..));
        self.c_cont = std::mem::replace(&mut self.cont, Cont::HookC { ret });
        let event = if ret { "return" } else { "call" };
        self.hk.transfer = (1, self.c_saved.len());
        stack.push_back(Value::String(ctx.intern_static(event.as_bytes())));
        stack.push_back(Value::Nil);
        self.dbg.allow_hook(&ctx, self.thread, false);
        hook.func
    }

    /// Hook events of a library function called while hooks are on: after
    /// the call hook, the call itself; after the call, the return hook;
    /// after that, its results (`None`: deliver them now).
    #[cold]
    fn c_hook_step(
        &mut self,
        ctx: Context<'gc>,
        stack: &mut Stack<'gc, '_>,
        hook: Option<frames::Hook<'gc>>,
        f: Function<'gc>,
    ) -> Option<Outcome<'gc>> {
        match self.cont {
            Cont::HookC { ret } => {
                stack.clear();
                stack.extend(self.c_saved.drain(..));
                self.cont = std::mem::replace(&mut self.c_cont, Cont::None);
                if ret {
                    self.c_call = None;
                    None
                } else {
                    Some(Outcome::Call(f))
                }
            }
            _ => match hook {
                Some(h) if h.mask & frames::MASK_RET != 0 => {
                    Some(Outcome::Call(self.fire_c_hook(ctx, stack, h, true)))
                }
                _ => {
                    self.c_call = None;
                    None
                }
            },
        }
    }

    /// The next hook call due before the instruction at the top frame's pc.
    fn hook_event(
        &mut self,
        ctx: Context<'gc>,
        stack: &mut Stack<'gc, '_>,
        hook: frames::Hook<'gc>,
    ) -> Option<Function<'gc>> {
        let n = self.frames.len();
        let top = self.frames.last()?;
        let pc = top.pc;
        let base = top.base;
        let p: &crate::bytecode::Proto = &top.closure.proto.proto;
        let mut event: Option<(&'static str, Option<i64>)> = None;
        while event.is_none() && self.hk.stage < 4 {
            self.hk.stage += 1;
            match self.hk.stage {
                1 => {
                    let new = n > self.hk.depth || self.hk.tail;
                    if new {
                        self.hk.oldpc = 0;
                        self.hk.first = true;
                        if hook.mask & frames::MASK_CALL != 0 {
                            let e = if self.hk.tail { "tail call" } else { "call" };
                            event = Some((e, None));
                        }
                    }
                    self.hk.tail = false;
                    self.hk.depth = n;
                }
                2 => {
                    if hook.mask & frames::MASK_COUNT != 0 && hook.count > 0 {
                        if self.hk.serial != hook.serial {
                            // A new `debug.sethook`: the count starts afresh.
                            self.hk.serial = hook.serial;
                            self.hk.count_left = 0;
                        }
                        if self.hk.count_left == 0 {
                            self.hk.count_left = hook.count;
                        }
                        self.hk.count_left -= 1;
                        if self.hk.count_left == 0 {
                            event = Some(("count", None));
                        }
                    }
                }
                3 => {
                    if hook.mask & frames::MASK_LINE != 0 {
                        let oldpc = if self.hk.oldpc < p.code.len() {
                            self.hk.oldpc
                        } else {
                            0
                        };
                        let first = std::mem::take(&mut self.hk.first);
                        if first || pc <= oldpc || p.line_at(pc) != p.line_at(oldpc) {
                            event = Some(("line", Some(p.line_at(pc)).filter(|&l| l >= 0)));
                        }
                        self.hk.oldpc = pc;
                    }
                }
                _ => {
                    let returning = matches!(
                        p.code.get(pc),
                        Some(Op::Return { .. } | Op::Return0 | Op::Return1 { .. })
                    );
                    if hook.mask & frames::MASK_RET != 0 && returning && !self.has_tbc(base) {
                        event = Some(("return", None));
                    }
                }
            }
        }
        let (name, line) = event?;
        // The values the event transfers, as local indices (`ftransfer`,
        // `ntransfer`): the parameters of a call, the results of a return.
        self.hk.transfer = match name {
            "call" | "tail call" => (1, p.num_params as usize),
            "return" => match p.code.get(pc) {
                Some(Op::Return { a, b }) => {
                    let start = base + *a as usize;
                    let n = if *b == 0 {
                        self.top.saturating_sub(start)
                    } else {
                        *b as usize - 1
                    };
                    (*a as usize + 1, n)
                }
                Some(Op::Return1 { a }) => (*a as usize + 1, 1),
                _ => (1, 0),
            },
            _ => (0, 0),
        };
        if let Some(f) = self.frames.last_mut() {
            f.pc = pc + 1;
        }
        stack.clear();
        stack.push_back(Value::String(ctx.intern_static(name.as_bytes())));
        stack.push_back(line.map_or(Value::Nil, Value::Integer));
        self.cont = Cont::Hook { pc };
        self.dbg.allow_hook(&ctx, self.thread, false);
        Some(hook.func)
    }

    /// An allocating instruction found the heap past the memory limit
    /// (the frame's `pc` is past it): pause before the instruction so the
    /// runtime collects, or raise "not enough memory" when the runtime
    /// found the heap still too big after collecting.
    #[cold]
    #[inline(never)]
    fn memory_over(&mut self) -> Result<Outcome<'gc>, Fail<'gc>> {
        if self.memory.over.replace(false) {
            return Err(Fail::Raw(piccolo::Error::Runtime(
                super::MemoryError.into(),
            )));
        }
        if let Some(f) = self.frames.last_mut() {
            f.pc -= 1;
        }
        Ok(Outcome::MemoryCheck)
    }

    /// The full semantics of an instruction whose inline fast path in
    /// [`Self::dispatch`] declined: metamethods, coercions, `__close`
    /// handlers and errors. The current frame's `pc` is saved (past the
    /// instruction); a comparison skips the next instruction by moving it.
    /// Out of line so that the dispatch loop stays small: V8 runs wasm
    /// in its baseline tier until its optimizing compiler has compiled the
    /// whole function, and that compile time grows with the function.
    #[inline(never)]
    fn slow_op(
        &mut self,
        ctx: Context<'gc>,
        stack: &mut Stack<'gc, '_>,
        regs: &mut Regs<'gc>,
    ) -> Result<Flow<'gc>, Fail<'gc>> {
        let fi = self.frames.len() - 1;
        let frame = &self.frames[fi];
        let cl: &'gc LuaClosure<'gc> = frame.closure.get();
        // The instruction is read again rather than passed: an `Op` argument
        // goes through memory in wasm, and `dispatch` stored every
        // instruction it ran for this rare call. (Every `break 'slow` leaves
        // the saved pc just past its instruction.)
        let op = cl.proto.proto.code[frame.pc - 1];
        let k: &'gc [Value<'gc>] = &Gc::as_ref(cl.proto).constants;
        let base = frame.base;
        macro_rules! r {
            ($x:expr) => {
                regs[base + $x as usize]
            };
        }
        let int = |i: i64| Value::Integer(i);
        let kv = |kk: u16| VarRef::K(kk as u32);
        use VarRef::Reg;
        // Arithmetic: operator, destination, operands and what the
        // operands are called in an error.
        let (aop, a, x, y, vars) = match op {
            Op::AddI { a, b, i } => (
                ArithOp::Add,
                a,
                r!(b),
                int(i as i64),
                (Reg(b), VarRef::None),
            ),
            Op::AddK { a, b, k: kk } => (ArithOp::Add, a, r!(b), k[kk as usize], (Reg(b), kv(kk))),
            Op::KAdd { a, b, k: kk } => (ArithOp::Add, a, k[kk as usize], r!(b), (kv(kk), Reg(b))),
            Op::KMul { a, b, k: kk } => (ArithOp::Mul, a, k[kk as usize], r!(b), (kv(kk), Reg(b))),
            Op::SubK { a, b, k: kk } => (ArithOp::Sub, a, r!(b), k[kk as usize], (Reg(b), kv(kk))),
            Op::MulK { a, b, k: kk } => (ArithOp::Mul, a, r!(b), k[kk as usize], (Reg(b), kv(kk))),
            Op::ModK { a, b, k: kk } => (ArithOp::Mod, a, r!(b), k[kk as usize], (Reg(b), kv(kk))),
            Op::PowK { a, b, k: kk } => (ArithOp::Pow, a, r!(b), k[kk as usize], (Reg(b), kv(kk))),
            Op::DivK { a, b, k: kk } => (ArithOp::Div, a, r!(b), k[kk as usize], (Reg(b), kv(kk))),
            Op::IDivK { a, b, k: kk } => {
                (ArithOp::IDiv, a, r!(b), k[kk as usize], (Reg(b), kv(kk)))
            }
            Op::BAndK { a, b, k: kk } => {
                (ArithOp::BAnd, a, r!(b), k[kk as usize], (Reg(b), kv(kk)))
            }
            Op::BOrK { a, b, k: kk } => (ArithOp::BOr, a, r!(b), k[kk as usize], (Reg(b), kv(kk))),
            Op::BXorK { a, b, k: kk } => {
                (ArithOp::BXor, a, r!(b), k[kk as usize], (Reg(b), kv(kk)))
            }
            Op::ShrI { a, b, i } => (
                ArithOp::Shr,
                a,
                r!(b),
                int(i as i64),
                (Reg(b), VarRef::None),
            ),
            Op::ShlI { a, b, i } => (
                ArithOp::Shl,
                a,
                int(i as i64),
                r!(b),
                (VarRef::None, Reg(b)),
            ),
            Op::Add { a, b, c } => (ArithOp::Add, a, r!(b), r!(c), (Reg(b), Reg(c))),
            Op::Sub { a, b, c } => (ArithOp::Sub, a, r!(b), r!(c), (Reg(b), Reg(c))),
            Op::Mul { a, b, c } => (ArithOp::Mul, a, r!(b), r!(c), (Reg(b), Reg(c))),
            Op::Mod { a, b, c } => (ArithOp::Mod, a, r!(b), r!(c), (Reg(b), Reg(c))),
            Op::Pow { a, b, c } => (ArithOp::Pow, a, r!(b), r!(c), (Reg(b), Reg(c))),
            Op::Div { a, b, c } => (ArithOp::Div, a, r!(b), r!(c), (Reg(b), Reg(c))),
            Op::IDiv { a, b, c } => (ArithOp::IDiv, a, r!(b), r!(c), (Reg(b), Reg(c))),
            Op::BAnd { a, b, c } => (ArithOp::BAnd, a, r!(b), r!(c), (Reg(b), Reg(c))),
            Op::BOr { a, b, c } => (ArithOp::BOr, a, r!(b), r!(c), (Reg(b), Reg(c))),
            Op::BXor { a, b, c } => (ArithOp::BXor, a, r!(b), r!(c), (Reg(b), Reg(c))),
            Op::Shl { a, b, c } => (ArithOp::Shl, a, r!(b), r!(c), (Reg(b), Reg(c))),
            Op::Shr { a, b, c } => (ArithOp::Shr, a, r!(b), r!(c), (Reg(b), Reg(c))),
            Op::Unm { a, b } => (ArithOp::Unm, a, r!(b), r!(b), (Reg(b), Reg(b))),
            Op::BNot { a, b } => (ArithOp::BNot, a, r!(b), r!(b), (Reg(b), Reg(b))),
            _ => return self.slow_other(ctx, stack, regs, op),
        };
        self.arith_slow(ctx, stack, aop, x, y, base + a as usize, vars, regs)
    }

    /// `Closure`: a new closure of prototype `p` of the running function
    /// (`pc`: past the instruction).
    #[inline(never)]
    fn op_closure(&mut self, ctx: Context<'gc>, regs: &mut Regs<'gc>, pc: usize, a: u8, p: u32) {
        let frame = &self.frames[self.frames.len() - 1];
        let cl: &'gc LuaClosure<'gc> = frame.closure.get();
        let proto: &'gc ProtoRt<'gc> = Gc::as_ref(cl.proto);
        let base = frame.base;
        if self.weak.observable() {
            clear_dead(regs, &proto.proto, pc - 1, base, a as usize);
        }
        let child = proto.protos[p as usize];
        let ups = child.proto.upvalues.iter().map(|desc| {
            if desc.in_stack {
                self.find_upvalue(ctx, base + desc.index as usize)
            } else {
                cl.upvalues[desc.index as usize]
            }
        });
        let ups = ups.collect();
        let closure = LuaClosure::alloc_in(ctx, self.pool, child, ups, None);
        regs[base + a as usize] = Value::Function(closure.function());
    }

    /// `SetList`: `R[a][c + i] = R[a + i]` for `i` in `1..=b` (up to the
    /// top when `b` is 0).
    #[inline(never)]
    fn op_setlist(
        &mut self,
        ctx: Context<'gc>,
        regs: &mut Regs<'gc>,
        ra: usize,
        b: u8,
        c: u32,
    ) -> Result<(), Fail<'gc>> {
        let n = if b == 0 {
            self.top.saturating_sub(ra + 1)
        } else {
            b as usize
        };
        if let Value::Table(t) = regs[ra] {
            presize_list(ctx, t, c as usize + n);
            for i in 1..=n {
                let v = regs.get(ra + i).copied().unwrap_or_default();
                let key = Value::Integer(c as i64 + i as i64);
                self.kset(ctx, t, key, v)?;
            }
        }
        Ok(())
    }

    /// `VarArg`: `c - 1` of the running function's extra arguments (all
    /// when `c` is 0) to `R[a]` on.
    #[inline(never)]
    fn op_vararg(&mut self, regs: &mut Regs<'gc>, a: u8, c: u8) -> Result<(), Fail<'gc>> {
        let frame = &self.frames[self.frames.len() - 1];
        let base = frame.base;
        let ra = base + a as usize;
        let nv = frame.nvarargs;
        let vstart = base - nv;
        let n = if c == 0 { nv } else { c as usize - 1 };
        if !ensure_len(regs, ra + n + 1) {
            return Err(Fail::Msg("stack overflow".into()));
        }
        // The varargs sit below the frame's base, so below `ra`: one copy
        // between disjoint slices, then nils for what is missing.
        let m = n.min(nv);
        let (below, from_ra) = regs.split_at_mut(ra);
        let (to, from) = (&mut from_ra[..m], &below[vstart..vstart + m]);
        if m <= 8 {
            // A few values (the usual case) copied in a loop: `memcpy` is
            // a call of the C library, ~40 instructions for one value.
            #[allow(clippy::manual_memcpy)]
            for i in 0..m {
                to[i] = from[i];
            }
        } else {
            to.copy_from_slice(from);
        }
        from_ra[m..n].fill(Value::Nil);
        if c == 0 {
            self.top = ra + n;
        }
        Ok(())
    }

    /// [`Self::slow_op`] for the instructions other than arithmetic, and
    /// the instructions seldom hot enough to be worth a place in the
    /// dispatch loop (`Tbc`, `TForPrep`).
    #[inline(never)]
    fn slow_other(
        &mut self,
        ctx: Context<'gc>,
        stack: &mut Stack<'gc, '_>,
        regs: &mut Regs<'gc>,
        op: Op,
    ) -> Result<Flow<'gc>, Fail<'gc>> {
        let fi = self.frames.len() - 1;
        let frame = &self.frames[fi];
        let cl: &'gc LuaClosure<'gc> = frame.closure.get();
        let proto: &'gc ProtoRt<'gc> = Gc::as_ref(cl.proto);
        let k: &'gc [Value<'gc>] = &proto.constants;
        let base = frame.base;
        // Past this instruction.
        let pc = frame.pc;
        macro_rules! r {
            ($x:expr) => {
                regs[base + $x as usize]
            };
        }
        macro_rules! rk {
            ($c:expr, $kc:expr) => {
                if $kc {
                    k[$c as usize]
                } else {
                    regs[base + $c as usize]
                }
            };
        }
        let num = |i: i64, float: bool| {
            if float {
                Value::Number(i as f64)
            } else {
                Value::Integer(i)
            }
        };
        // Comparisons: `l < r` (`le`: `<=`), or `l == r` (`eq`); then
        // skip the jump unless the result is `k`.
        let (l, r, le, eq, kk) = match op {
            Op::GetTabUp { a, up, k: kk } => {
                let t = self.get_upvalue(regs, cl.upvalues[up as usize]);
                let dest = base + a as usize;
                return self.index(ctx, stack, t, k[kk as usize], dest, VarRef::Up(up), regs);
            }
            Op::GetTable { a, b, c } => {
                let (t, key) = (r!(b), r!(c));
                return self.index(ctx, stack, t, key, base + a as usize, VarRef::Reg(b), regs);
            }
            Op::GetI { a, b, c } => {
                let (t, key) = (r!(b), Value::Integer(c as i64));
                return self.index(ctx, stack, t, key, base + a as usize, VarRef::Reg(b), regs);
            }
            Op::GetField { a, b, k: kk } => {
                let (t, key) = (r!(b), k[kk as usize]);
                return self.index(ctx, stack, t, key, base + a as usize, VarRef::Reg(b), regs);
            }
            Op::SelfOp { a, b, c, kc } => {
                let (t, key) = (r!(b), rk!(c, kc));
                return self.index(ctx, stack, t, key, base + a as usize, VarRef::Reg(b), regs);
            }
            Op::SetTabUp { up, k: kk, c, kc } => {
                let t = self.get_upvalue(regs, cl.upvalues[up as usize]);
                let v = rk!(c, kc);
                return self.new_index(ctx, stack, t, k[kk as usize], v, VarRef::Up(up));
            }
            Op::SetTable { a, b, c, kc } => {
                let (t, key, v) = (r!(a), r!(b), rk!(c, kc));
                return self.new_index(ctx, stack, t, key, v, VarRef::Reg(a));
            }
            Op::SetI { a, b, c, kc } => {
                let (t, key, v) = (r!(a), Value::Integer(b as i64), rk!(c, kc));
                return self.new_index(ctx, stack, t, key, v, VarRef::Reg(a));
            }
            Op::SetField { a, k: kk, c, kc } => {
                let (t, key, v) = (r!(a), k[kk as usize], rk!(c, kc));
                return self.new_index(ctx, stack, t, key, v, VarRef::Reg(a));
            }
            Op::Len { a, b } => {
                let v = r!(b);
                return self.len(ctx, stack, v, base + a as usize, VarRef::Reg(b), regs);
            }
            Op::Concat { a, n } => {
                return self.concat(ctx, regs, stack, base + a as usize, n as usize);
            }
            // A pending `__close`: run it, then the instruction again.
            Op::Close { a } => {
                self.frames[fi].pc -= 1;
                self.close_upvalues(ctx, regs, base + a as usize);
                return self.close_one(ctx, regs, stack, Value::Nil, Cont::Close);
            }
            Op::Return { .. } | Op::Return0 | Op::Return1 { .. } => {
                self.frames[fi].pc -= 1;
                self.close_upvalues(ctx, regs, base);
                return self.close_one(ctx, regs, stack, Value::Nil, Cont::Close);
            }
            Op::Tbc { a } => {
                let v = r!(a);
                if truthy(v) {
                    if !closable(ctx, &self.names, v) {
                        let name = proto
                            .proto
                            .local_name(a as usize + 1, pc - 1)
                            .unwrap_or("?");
                        return Err(Fail::Msg(format!(
                            "variable '{name}' got a non-closable value"
                        )));
                    }
                    self.mark_tbc(base + a as usize);
                }
                return Ok(Flow::Next);
            }
            Op::TForPrep { a, bx } => {
                let ra = base + a as usize;
                let v = regs[ra + 3];
                if truthy(v) {
                    if !closable(ctx, &self.names, v) {
                        return Err(Fail::Msg(
                            "variable '(for state)' got a non-closable value".into(),
                        ));
                    }
                    self.mark_tbc(ra + 3);
                }
                self.frames[fi].pc += bx as usize;
                return Ok(Flow::Next);
            }
            Op::Eq { a, b, k: kk } => (r!(a), r!(b), false, true, kk),
            Op::Lt { a, b, k: kk } => (r!(a), r!(b), false, false, kk),
            Op::Le { a, b, k: kk } => (r!(a), r!(b), true, false, kk),
            Op::LtI { a, i, k: kk } => (r!(a), num(i as i64, false), false, false, kk),
            Op::LeI { a, i, k: kk } => (r!(a), num(i as i64, false), true, false, kk),
            Op::GtI { a, i, k: kk } => (num(i as i64, false), r!(a), false, false, kk),
            Op::GeI { a, i, k: kk } => (num(i as i64, false), r!(a), true, false, kk),
            Op::LtF { a, i, k: kk } => (r!(a), num(i as i64, true), false, false, kk),
            Op::LeF { a, i, k: kk } => (r!(a), num(i as i64, true), true, false, kk),
            Op::GtF { a, i, k: kk } => (num(i as i64, true), r!(a), false, false, kk),
            Op::GeF { a, i, k: kk } => (num(i as i64, true), r!(a), true, false, kk),
            _ => return Err(Fail::Msg("internal error: no slow path".into())),
        };
        let res = if eq {
            self.equal(ctx, stack, l, r, kk)?
        } else {
            self.less(ctx, stack, l, r, le, kk)?
        };
        match res {
            Ok(r) => {
                if r != kk {
                    self.frames[fi].pc += 1;
                }
                Ok(Flow::Next)
            }
            Err(f) => Ok(Flow::Call(f)),
        }
    }

    /// Runs instructions from the top frame until a call, a return, an
    /// error or the fuel ends the run ([`Self::run_ops`]).
    fn dispatch<const STEP: bool>(
        &mut self,
        ctx: Context<'gc>,
        regs: &mut Regs<'gc>,
        stack: &mut Stack<'gc, '_>,
        fuel: &mut i32,
    ) -> Result<Outcome<'gc>, Fail<'gc>> {
        // The loop counts fuel in a local of its own, which the compiler
        // keeps on the stack or in a register (through the caller's
        // pointer, each charge was a load of the pointer, a load and a
        // store), and gives it back however the loop ends.
        let mut left = *fuel;
        let r = self.run_ops::<STEP>(ctx, regs, stack, &mut left);
        *fuel = left;
        r
    }

    // The core's `unsafe` (with `return1_fast`, `Upvalues::cell_unchecked`
    // and `tag.rs`): register, constant and instruction reads the verifier
    // has proved in range (see `r!`, `kst!`). With
    // bounds checks the function was ~19 % larger, which costs V8's
    // optimizing compiler time on every page load.
    #[allow(unsafe_code)]
    #[inline(always)]
    fn run_ops<const STEP: bool>(
        &mut self,
        ctx: Context<'gc>,
        regs: &mut Regs<'gc>,
        stack: &mut Stack<'gc, '_>,
        fuel: &mut i32,
    ) -> Result<Outcome<'gc>, Fail<'gc>> {
        // Other code may have written string keys since the loop last ran.
        if string_key_writes() != self.kseen {
            self.kclear();
        }

        'frames: loop {
            let fi = self.frames.len() - 1;
            let frame = &self.frames[fi];
            let cl: &'gc LuaClosure<'gc> = frame.closure.get();
            let proto: &'gc ProtoRt<'gc> = Gc::as_ref(cl.proto);
            let code: &'gc [Op] = &proto.proto.code;
            let k: &'gc [Value<'gc>] = &proto.constants;
            let base = frame.base;
            // The next instruction, as a pointer (`pc_now!` gives its
            // index): one value fewer live through the loop than the code's
            // address and an index, and no address computed per instruction.
            let mut ip: *const Op = code.as_ptr().wrapping_add(frame.pc);
            macro_rules! pc_now {
                () => {
                    // SAFETY: `ip` points into `code` or just past it.
                    unsafe { ip.offset_from(code.as_ptr()) as usize }
                };
            }
            debug_assert!(regs.len() > base + proto.proto.max_stack as usize);
            // This frame's `R[0]`: registers are read and written through
            // it (as `base + x` into the vector, each access reloaded the
            // vector's pointer, which a register write might have changed
            // as far as the compiler knows, and added the base: ~3
            // instructions more; natively loops -9 %, in V8's code for the
            // wasm loops 0.87x and fannkuch 0.87x the instructions). Taken
            // again (`sync!`) after anything else writes through `regs` or
            // may move it, before the next `r!`.
            // SAFETY: `base` is within `regs` (asserted above).
            let mut rp: *mut Value<'gc> = unsafe { regs.as_mut_ptr().add(base) };
            macro_rules! sync {
                () => {
                    // SAFETY: as above (the frame's base is unchanged, and
                    // the stack only grows while the frame runs).
                    rp = unsafe { regs.as_mut_ptr().add(base) };
                };
            }

            // Register `x` of this frame and constant `x` of this function,
            // unchecked (`x` an operand of the running instruction).
            // SAFETY (both forms): every prototype is verified before it
            // becomes a closure (`verify`: each register an instruction
            // names is below `max_stack`), and while a frame runs the
            // register stack holds at least `base + max_stack + 1` slots
            // (`push_frame` grows it; it shrinks only to the largest live
            // frame's end, `forget_leftovers`, or when no frame is left,
            // `do_return`), asserted above the loop; `rp` is taken again
            // after every other write through `regs` and every call that
            // may grow it (`sync!`).
            macro_rules! r {
                ($x:expr) => {
                    *{
                        let i = $x as usize;
                        debug_assert!(i < proto.proto.max_stack as usize);
                        debug_assert!(rp == regs.as_mut_ptr().wrapping_add(base));
                        unsafe { &mut *rp.add(i) }
                    }
                };
            }
            macro_rules! kst {
                ($x:expr) => {{
                    let i = $x as usize;
                    debug_assert!(i < k.len());
                    // SAFETY: `verify` checks each constant index an
                    // instruction names against the prototype's constants,
                    // which `ProtoRt` keeps one for one.
                    *unsafe { k.get_unchecked(i) }
                }};
            }

            // Upvalue `x` of this closure, unchecked (`x` an operand of
            // the running instruction).
            macro_rules! up {
                ($x:expr) => {
                    // SAFETY: `verify` checks each upvalue index an
                    // instruction names against the prototype's upvalue
                    // descriptions, and `LuaClosure::alloc` asserts one cell
                    // per description.
                    unsafe { cl.upvalues.cell_unchecked($x) }
                };
            }
            macro_rules! save {
                () => {
                    debug_assert!(fi < self.frames.len());
                    // SAFETY: `fi` is the top frame (frames change only
                    // between `'frames` iterations).
                    unsafe { self.frames.get_unchecked_mut(fi) }.pc = pc_now!();
                };
            }
            macro_rules! t {
                ($e:expr) => {
                    match $e {
                        Ok(v) => v,
                        Err(f) => {
                            save!();
                            return Err(f);
                        }
                    }
                };
            }
            // The inline fast paths: an instruction whose fast path
            // declines breaks to the label given (`'slow`), and `slow_op`
            // runs it in full (metamethods, coercions, errors).
            // (Operands are told apart by their first byte, `tag`: one
            // compare each, where a `match` on the value computed its
            // variant first; `int_of`/`num_of` then read the payload. A
            // `match` on the values lets the compiler test a range of
            // variants first: in V8's code for the wasm, 3 more
            // instructions for each operand of an `ADD`.)
            macro_rules! arith {
                ($slow:lifetime, $a:expr, $x:expr, $y:expr, $ii:expr, $ff:expr $(,)?) => {{
                    let (x, y) = ($x, $y);
                    // SAFETY (each `int_of`/`num_of`): the arm's tags.
                    let v = unsafe {
                        match (tag(&x), tag(&y)) {
                            (INT, INT) => $ii(int_of(x), int_of(y)),
                            (NUM, NUM) => Value::Number($ff(num_of(x), num_of(y))),
                            (INT, NUM) => Value::Number($ff(int_of(x) as f64, num_of(y))),
                            (NUM, INT) => Value::Number($ff(num_of(x), int_of(y) as f64)),
                            _ => break $slow,
                        }
                    };
                    r!($a) = v;
                }};
            }
            // Integer and float fast paths that may decline (division by
            // zero, a float without an integer value).
            // `mixed`: mixed integer/float operands are converted to floats
            // (`/`, `%`, `//`, `^`); not for bitwise operators.
            macro_rules! arith_try {
                ($slow:lifetime, $mixed:literal, $a:expr, $x:expr, $y:expr, $ii:expr, $ff:expr $(,)?) => {{
                    let (x, y) = ($x, $y);
                    // SAFETY (each `int_of`/`num_of`): the arm's tags.
                    let fast: Option<Value<'gc>> = unsafe {
                        match (tag(&x), tag(&y)) {
                            (INT, INT) => $ii(int_of(x), int_of(y)),
                            (NUM, NUM) => $ff(num_of(x), num_of(y)),
                            (INT, NUM) if $mixed => $ff(int_of(x) as f64, num_of(y)),
                            (NUM, INT) if $mixed => $ff(num_of(x), int_of(y) as f64),
                            _ => None,
                        }
                    };
                    match fast {
                        Some(v) => r!($a) = v,
                        None => break $slow,
                    }
                }};
            }
            // Skips the next instruction (the jump) unless `res == k`, and
            // otherwise takes that jump here, as PUC's `donextjump` does: a
            // dispatch fewer (`verify` makes every test's next instruction
            // its jump; when hooks step through instructions, the jump runs
            // as an instruction of its own, as before).
            macro_rules! cond {
                ($res:expr, $k:expr) => {{
                    if $res != $k {
                        ip = ip.wrapping_add(1);
                    } else if !STEP {
                        debug_assert!(pc_now!() < code.len());
                        // SAFETY: as the instruction fetch's (a test is
                        // never the last instruction).
                        if let Op::Jmp { sj } = *unsafe { &*ip } {
                            ip = ip.wrapping_add(1);
                            jump!(sj);
                        }
                    }
                }};
            }
            // `R[a] < R[b]` (`<=` when `le`): two integers or two floats
            // here, two strings or an integer and a float out of line
            // (`lt_out`), anything else (metamethods, errors) slow.
            macro_rules! order {
                ($slow:lifetime, $a:expr, $b:expr, $cmp:tt, $le:expr, $kk:expr) => {{
                    let (x, y) = (r!($a), r!($b));
                    // SAFETY (each `int_of`/`num_of`): the arm's tags.
                    let r = unsafe {
                        match (tag(&x), tag(&y)) {
                            (INT, INT) => int_of(x) $cmp int_of(y),
                            (NUM, NUM) => num_of(x) $cmp num_of(y),
                            _ => match lt_out(x, y, $le) {
                                Some(r) => r,
                                None => break $slow,
                            },
                        }
                    };
                    cond!(r, $kk)
                }};
            }
            // `R[a] cmp i` with the small integral immediate `i` (exact for
            // integer and float registers alike).
            macro_rules! order_imm {
                ($slow:lifetime, $a:expr, $i:expr, $cmp:tt, $kk:expr) => {{
                    let x = r!($a);
                    // SAFETY (each `int_of`/`num_of`): the arm's tag.
                    let r = unsafe {
                        match tag(&x) {
                            INT => int_of(x) $cmp $i as i64,
                            NUM => num_of(x) $cmp $i as f64,
                            _ => break $slow,
                        }
                    };
                    cond!(r, $kk)
                }};
            }

            // At an allocation site: past the memory limit, pause before
            // the instruction (the runtime collects), or raise when the
            // runtime found the heap still too big.
            macro_rules! mem_check {
                () => {{
                    let limit = self.memory.limit.get();
                    if limit != 0 && ctx.metrics().total_allocation() > limit {
                        save!();
                        return self.memory_over();
                    }
                }};
            }

            // Fuel is spent where control goes back or changes frames: a
            // backward jump pays for the instructions it jumps over (a
            // loop's body), a call, a return or a slow instruction pays one
            // on its way to the top of `'frames` (`next_frame!`), and a
            // return also pays for how far into its function it came. Code
            // between those points runs straight through (at most its
            // function's length), so a slice still ends within a bounded
            // number of instructions of its fuel running out, and each
            // entry runs at least one instruction (a slice always moves
            // on). Per instruction this was ~7 instructions natively (a
            // load, compare and store through `fuel`); loops -10 %.
            // (`STEP`, for hooks: one instruction, one unit of fuel, as
            // every instruction paid before.)
            macro_rules! charge {
                ($n:expr) => {{
                    if !STEP {
                        *fuel -= $n as i32;
                        if *fuel <= 0 {
                            save!();
                            return Ok(Outcome::Pending);
                        }
                    }
                }};
            }

            // `JMP sj` with `pc` past it: a backward jump pays for the
            // instructions it jumps over (`Jmp`, and a test taking its
            // jump, `cond!`).
            macro_rules! jump {
                ($sj:expr) => {{
                    let sj = $sj;
                    ip = ip.wrapping_offset(sj as isize);
                    if sj < 0 {
                        charge!(-sj);
                    }
                }};
            }

            // A read whose value is at hand, written to register `a` and
            // the instruction done: a field the field cache's first slot
            // holds (not nil), or an item of a table's array part (not nil).
            // (Each writes the register itself: in the wasm build, V8 passed
            // values that the general lookups' paths merged, and those a
            // function returned, through memory.)
            macro_rules! cached_field {
                ($ops:lifetime, $a:expr, $t:expr, $k:expr) => {{
                    if let Some(v) = self.kcached($t, $k) {
                        if !v.is_nil() {
                            r!($a) = *v;
                            continue $ops;
                        }
                    }
                }};
            }
            macro_rules! array_item {
                ($ops:lifetime, $a:expr, $t:expr, $i:expr) => {{
                    if let Some(v) = $t.get_array($i) {
                        if !v.is_nil() {
                            r!($a) = v;
                            continue $ops;
                        }
                    }
                }};
            }

            // To the top of `'frames` after a call, a return or a slow
            // instruction, paying one unit (the frame's `pc` is saved).
            macro_rules! next_frame {
                () => {{
                    if !STEP {
                        *fuel -= 1;
                        if *fuel <= 0 {
                            return Ok(Outcome::Pending);
                        }
                    }
                    continue 'frames;
                }};
            }

            'ops: loop {
                if STEP {
                    if *fuel <= 0 {
                        save!();
                        return Ok(Outcome::Pending);
                    }
                    *fuel -= 1;
                }
                debug_assert!(pc_now!() < code.len());
                // The instruction is matched where it lies, not copied out
                // first: from a copy, LLVM read every operand field before
                // the jump table (one set of loads for all arms), which kept
                // them live into each arm; in V8's code two of them were
                // stored to the stack and loaded back at every instruction.
                // Matched in place, each arm reads its own operands
                // (callgrind natively: loops 0.82x, fannkuch 0.87x, nbody
                // 0.91x, fib 0.94x; in V8's code loops 0.89x, nbody 0.93x).
                let at = ip;
                ip = ip.wrapping_add(1);
                // Instructions done inline `continue`; the rest break to
                // `'slow` with `pc` just past the instruction (`slow_op`
                // reads it from there).
                let (func, nargs, want, tail, var) = 'call: {
                    'slow: {
                        // SAFETY: `at` points into `code`: verified code
                        // jumps only to its own instructions, a test is
                        // always followed by its jump, and no instruction
                        // falls through past the end (`verify`); every
                        // other `pc` (a resumed frame, a continuation) was
                        // saved from here.
                        match *unsafe { &*at } {
                            Op::Move { a, b } => r!(a) = r!(b),
                            Op::LoadI { a, i } => r!(a) = Value::Integer(i as i64),
                            Op::LoadF { a, i } => r!(a) = Value::Number(i as f64),
                            Op::LoadK { a, k: kk } => r!(a) = kst!(kk),
                            Op::LoadFalse { a } => r!(a) = Value::Boolean(false),
                            Op::LFalseSkip { a } => {
                                r!(a) = Value::Boolean(false);
                                ip = ip.wrapping_add(1);
                            }
                            Op::LoadTrue { a } => r!(a) = Value::Boolean(true),
                            Op::LoadNil { a, n } => {
                                for i in a as usize..=a as usize + n as usize {
                                    r!(i) = Value::Nil;
                                }
                            }
                            Op::GetUpval { a, b } => {
                                // `get_upvalue`, each case writing the
                                // register itself, from the cell in place
                                // (wasm: V8 merged the two cases' values, and
                                // copied the cell's state, through memory).
                                // SAFETY: the state is read and copied at
                                // once; nothing writes the cell meanwhile.
                                let cell = up!(b as usize);
                                match unsafe { &*cell.as_ptr() } {
                                    UpState::Closed(v) => r!(a) = *v,
                                    &UpState::Open { stack, index }
                                        if Gc::ptr_eq(stack, self.regs) =>
                                    {
                                        let v = regs[index];
                                        r!(a) = v;
                                    }
                                    &UpState::Open { stack, index } => {
                                        let v =
                                            stack.borrow().get(index).copied().unwrap_or_default();
                                        r!(a) = v;
                                    }
                                }
                            }
                            Op::SetUpval { a, b } => {
                                let v = r!(a);
                                self.set_upvalue(ctx, regs, up!(b as usize), v);
                                sync!();
                            }
                            Op::GetTabUp { a, up, k: kk } => {
                                let t = self.get_upvalue(regs, up!(up as usize));
                                let key = kst!(kk);
                                if let Value::Table(tt) = t {
                                    if let Value::String(ks) = key {
                                        cached_field!('ops, a, tt, ks);
                                    }
                                    let v = self.raw_get(tt, key);
                                    if !v.is_nil() || tt.metatable().is_none() {
                                        r!(a) = v;
                                        continue 'ops;
                                    }
                                }
                                break 'slow;
                            }
                            Op::GetTable { a, b, c } => {
                                let t = r!(b);
                                let key = r!(c);
                                if let Value::Table(tt) = t {
                                    if let Value::Integer(i) = key {
                                        array_item!('ops, a, tt, i);
                                    }
                                    let v = self.raw_get(tt, key);
                                    if !v.is_nil() || tt.metatable().is_none() {
                                        r!(a) = v;
                                        continue 'ops;
                                    }
                                }
                                break 'slow;
                            }
                            Op::GetI { a, b, c } => {
                                let t = r!(b);
                                let key = Value::Integer(c as i64);
                                if let Value::Table(tt) = t {
                                    array_item!('ops, a, tt, c as i64);
                                    let v = self.raw_get(tt, key);
                                    if !v.is_nil() || tt.metatable().is_none() {
                                        r!(a) = v;
                                        continue 'ops;
                                    }
                                }
                                break 'slow;
                            }
                            Op::GetField { a, b, k: kk } => {
                                if let (Value::Table(tt), Value::String(ks)) = (r!(b), kst!(kk)) {
                                    cached_field!('ops, a, tt, ks);
                                }
                                match self.field_fast(r!(b), kst!(kk)) {
                                    Some(v) => r!(a) = v,
                                    None => break 'slow,
                                }
                            }
                            Op::SetTabUp { up, k: kk, c, kc } => {
                                let t = self.get_upvalue(regs, up!(up as usize));
                                let key = kst!(kk);
                                let v = if kc { kst!(c) } else { r!(c) };
                                if let Value::Table(tt) = t {
                                    if tt.metatable().is_none() {
                                        t!(self.kset_field(ctx, tt, key, v));
                                        continue 'ops;
                                    }
                                }
                                break 'slow;
                            }
                            Op::SetTable { a, b, c, kc } => {
                                mem_check!();
                                let t = r!(a);
                                let key = r!(b);
                                let v = if kc { kst!(c) } else { r!(c) };
                                if let Value::Table(tt) = t {
                                    let raw = match tt.metatable() {
                                        None => true,
                                        Some(mt) => self.set_is_raw(tt, mt, key),
                                    };
                                    if raw {
                                        t!(self.kset(ctx, tt, key, v));
                                        continue 'ops;
                                    }
                                }
                                break 'slow;
                            }
                            Op::SetI { a, b, c, kc } => {
                                mem_check!();
                                let t = r!(a);
                                let key = Value::Integer(b as i64);
                                let v = if kc { kst!(c) } else { r!(c) };
                                if let Value::Table(tt) = t {
                                    let raw = match tt.metatable() {
                                        None => true,
                                        Some(mt) => self.set_is_raw(tt, mt, key),
                                    };
                                    if raw {
                                        t!(self.kset_item(ctx, tt, b as i64, v));
                                        continue 'ops;
                                    }
                                }
                                break 'slow;
                            }
                            Op::SetField { a, k: kk, c, kc } => {
                                let t = r!(a);
                                let key = kst!(kk);
                                let v = if kc { kst!(c) } else { r!(c) };
                                if let (Value::Table(tt), Value::String(ks)) = (t, key) {
                                    let raw = match tt.metatable() {
                                        None => true,
                                        Some(mt) => self.field_set_is_raw(tt, mt, ks),
                                    };
                                    if raw {
                                        t!(self.kset_field(ctx, tt, key, v));
                                        continue 'ops;
                                    }
                                }
                                break 'slow;
                            }
                            Op::NewTable { a, hash, array } => {
                                mem_check!();
                                if self.weak.observable() {
                                    clear_dead(regs, &proto.proto, pc_now!() - 1, base, a as usize);
                                    sync!();
                                }
                                r!(a) = Value::Table(new_table(ctx, array, hash));
                            }
                            Op::SelfOp { a, b, c, kc } => {
                                let obj = r!(b);
                                let key = if kc { kst!(c) } else { r!(c) };
                                r!(a as usize + 1) = obj;
                                match self.field_fast(obj, key) {
                                    Some(v) => r!(a) = v,
                                    None => break 'slow,
                                }
                            }

                            Op::AddI { a, b, i } => arith!(
                                'slow,
                                a,
                                r!(b),
                                Value::Integer(i as i64),
                                |x: i64, y: i64| Value::Integer(x.wrapping_add(y)),
                                |x: f64, y: f64| x + y,
                            ),
                            Op::AddK { a, b, k: kk } => arith!(
                                'slow,
                                a,
                                r!(b),
                                kst!(kk),
                                |x: i64, y: i64| Value::Integer(x.wrapping_add(y)),
                                |x: f64, y: f64| x + y,
                            ),
                            Op::KAdd { a, b, k: kk } => arith!(
                                'slow,
                                a,
                                kst!(kk),
                                r!(b),
                                |x: i64, y: i64| Value::Integer(x.wrapping_add(y)),
                                |x: f64, y: f64| x + y,
                            ),
                            Op::KMul { a, b, k: kk } => arith!(
                                'slow,
                                a,
                                kst!(kk),
                                r!(b),
                                |x: i64, y: i64| Value::Integer(x.wrapping_mul(y)),
                                |x: f64, y: f64| x * y,
                            ),
                            Op::SubK { a, b, k: kk } => arith!(
                                'slow,
                                a,
                                r!(b),
                                kst!(kk),
                                |x: i64, y: i64| Value::Integer(x.wrapping_sub(y)),
                                |x: f64, y: f64| x - y,
                            ),
                            Op::MulK { a, b, k: kk } => arith!(
                                'slow,
                                a,
                                r!(b),
                                kst!(kk),
                                |x: i64, y: i64| Value::Integer(x.wrapping_mul(y)),
                                |x: f64, y: f64| x * y,
                            ),
                            Op::ModK { a, b, k: kk } => arith_try!(
                                'slow,
                                true,
                                a,
                                r!(b),
                                kst!(kk),
                                |x: i64, y: i64| ops::imod(x, y).ok().map(Value::Integer),
                                |x: f64, y: f64| Some(Value::Number(ops::fmod(x, y))),
                            ),
                            Op::PowK { a, b, k: kk } => arith_try!(
                                'slow,
                                true,
                                a,
                                r!(b),
                                kst!(kk),
                                |x: i64, y: i64| Some(Value::Number((x as f64).powf(y as f64))),
                                |x: f64, y: f64| Some(Value::Number(if y == 2.0 {
                                    x * x
                                } else {
                                    x.powf(y)
                                })),
                            ),
                            Op::DivK { a, b, k: kk } => arith_try!(
                                'slow,
                                true,
                                a,
                                r!(b),
                                kst!(kk),
                                |x: i64, y: i64| Some(Value::Number(x as f64 / y as f64)),
                                |x: f64, y: f64| Some(Value::Number(x / y)),
                            ),
                            Op::IDivK { a, b, k: kk } => arith_try!(
                                'slow,
                                true,
                                a,
                                r!(b),
                                kst!(kk),
                                |x: i64, y: i64| ops::idiv(x, y).ok().map(Value::Integer),
                                |x: f64, y: f64| Some(Value::Number((x / y).floor())),
                            ),
                            Op::BAndK { a, b, k: kk } => arith_try!(
                                'slow,
                                false,
                                a,
                                r!(b),
                                kst!(kk),
                                |x: i64, y: i64| Some(Value::Integer(x & y)),
                                |_: f64, _: f64| None,
                            ),
                            Op::BOrK { a, b, k: kk } => arith_try!(
                                'slow,
                                false,
                                a,
                                r!(b),
                                kst!(kk),
                                |x: i64, y: i64| Some(Value::Integer(x | y)),
                                |_: f64, _: f64| None,
                            ),
                            Op::BXorK { a, b, k: kk } => arith_try!(
                                'slow,
                                false,
                                a,
                                r!(b),
                                kst!(kk),
                                |x: i64, y: i64| Some(Value::Integer(x ^ y)),
                                |_: f64, _: f64| None,
                            ),
                            Op::ShrI { a, b, i } => arith_try!(
                                'slow,
                                false,
                                a,
                                r!(b),
                                Value::Integer(i as i64),
                                |x: i64, y: i64| Some(Value::Integer(ops::shift_left(
                                    x,
                                    y.checked_neg().unwrap_or(i64::MAX)
                                ))),
                                |_: f64, _: f64| None,
                            ),
                            Op::ShlI { a, b, i } => arith_try!(
                                'slow,
                                false,
                                a,
                                Value::Integer(i as i64),
                                r!(b),
                                |x: i64, y: i64| Some(Value::Integer(ops::shift_left(x, y))),
                                |_: f64, _: f64| None,
                            ),
                            Op::Add { a, b, c } => arith!(
                                'slow,
                                a,
                                r!(b),
                                r!(c),
                                |x: i64, y: i64| Value::Integer(x.wrapping_add(y)),
                                |x: f64, y: f64| x + y,
                            ),
                            Op::Sub { a, b, c } => arith!(
                                'slow,
                                a,
                                r!(b),
                                r!(c),
                                |x: i64, y: i64| Value::Integer(x.wrapping_sub(y)),
                                |x: f64, y: f64| x - y,
                            ),
                            Op::Mul { a, b, c } => arith!(
                                'slow,
                                a,
                                r!(b),
                                r!(c),
                                |x: i64, y: i64| Value::Integer(x.wrapping_mul(y)),
                                |x: f64, y: f64| x * y,
                            ),
                            Op::Mod { a, b, c } => arith_try!(
                                'slow,
                                true,
                                a,
                                r!(b),
                                r!(c),
                                |x: i64, y: i64| ops::imod(x, y).ok().map(Value::Integer),
                                |x: f64, y: f64| Some(Value::Number(ops::fmod(x, y))),
                            ),
                            Op::Pow { a, b, c } => arith_try!(
                                'slow,
                                true,
                                a,
                                r!(b),
                                r!(c),
                                |x: i64, y: i64| Some(Value::Number((x as f64).powf(y as f64))),
                                |x: f64, y: f64| Some(Value::Number(if y == 2.0 {
                                    x * x
                                } else {
                                    x.powf(y)
                                })),
                            ),
                            Op::Div { a, b, c } => arith!(
                                'slow,
                                a,
                                r!(b),
                                r!(c),
                                |x: i64, y: i64| Value::Number(x as f64 / y as f64),
                                |x: f64, y: f64| x / y,
                            ),
                            Op::IDiv { a, b, c } => arith_try!(
                                'slow,
                                true,
                                a,
                                r!(b),
                                r!(c),
                                |x: i64, y: i64| ops::idiv(x, y).ok().map(Value::Integer),
                                |x: f64, y: f64| Some(Value::Number((x / y).floor())),
                            ),
                            Op::BAnd { a, b, c } => arith_try!(
                                'slow,
                                false,
                                a,
                                r!(b),
                                r!(c),
                                |x: i64, y: i64| Some(Value::Integer(x & y)),
                                |_: f64, _: f64| None,
                            ),
                            Op::BOr { a, b, c } => arith_try!(
                                'slow,
                                false,
                                a,
                                r!(b),
                                r!(c),
                                |x: i64, y: i64| Some(Value::Integer(x | y)),
                                |_: f64, _: f64| None,
                            ),
                            Op::BXor { a, b, c } => arith_try!(
                                'slow,
                                false,
                                a,
                                r!(b),
                                r!(c),
                                |x: i64, y: i64| Some(Value::Integer(x ^ y)),
                                |_: f64, _: f64| None,
                            ),
                            Op::Shl { a, b, c } => arith_try!(
                                'slow,
                                false,
                                a,
                                r!(b),
                                r!(c),
                                |x: i64, y: i64| Some(Value::Integer(ops::shift_left(x, y))),
                                |_: f64, _: f64| None,
                            ),
                            Op::Shr { a, b, c } => arith_try!(
                                'slow,
                                false,
                                a,
                                r!(b),
                                r!(c),
                                |x: i64, y: i64| Some(Value::Integer(ops::shift_left(
                                    x,
                                    y.checked_neg().unwrap_or(i64::MAX)
                                ))),
                                |_: f64, _: f64| None,
                            ),
                            Op::Unm { a, b } => {
                                let v = r!(b);
                                match v {
                                    Value::Integer(i) => r!(a) = Value::Integer(i.wrapping_neg()),
                                    Value::Number(f) => r!(a) = Value::Number(-f),
                                    _ => break 'slow,
                                }
                            }
                            Op::BNot { a, b } => {
                                let v = r!(b);
                                match v {
                                    Value::Integer(i) => r!(a) = Value::Integer(!i),
                                    _ => break 'slow,
                                }
                            }
                            Op::Not { a, b } => r!(a) = Value::Boolean(!truthy(r!(b))),
                            Op::Len { a, b } => match r!(b) {
                                Value::String(s) => r!(a) = Value::Integer(s.len()),
                                Value::Table(t) if t.metatable().is_none() && !self.weak.any() => {
                                    r!(a) = Value::Integer(t.length())
                                }
                                _ => break 'slow,
                            },
                            Op::Concat { .. } => {
                                mem_check!();
                                break 'slow;
                            }

                            Op::Close { a } => {
                                let level = base + a as usize;
                                self.close_upvalues(ctx, regs, level);
                                if self.has_tbc(level) {
                                    // Re-run this instruction after the handler.
                                    break 'slow;
                                }
                            }
                            Op::Tbc { .. } | Op::TForPrep { .. } => break 'slow,
                            Op::Jmp { sj } => jump!(sj),
                            Op::Eq { a, b, k: kk } => {
                                let r = match (r!(a), r!(b)) {
                                    (Value::Integer(x), Value::Integer(y)) => x == y,
                                    (Value::Number(x), Value::Number(y)) => x == y,
                                    // Decided without `__eq`, or the slow path.
                                    (x, y) => match ops::raw_eq(x, y) {
                                        Some(r) => r,
                                        None => break 'slow,
                                    },
                                };
                                cond!(r, kk)
                            }
                            Op::Lt { a, b, k: kk } => order!('slow, a, b, <, false, kk),
                            Op::Le { a, b, k: kk } => order!('slow, a, b, <=, true, kk),
                            Op::EqK { a, c, k: kk } => {
                                let r = match (r!(a), kst!(c)) {
                                    (Value::String(x), Value::String(y)) => ops::str_eq(x, y),
                                    (Value::Integer(x), Value::Integer(y)) => x == y,
                                    (x, y) => ops::raw_eq(x, y).unwrap_or(false),
                                };
                                if r != kk {
                                    ip = ip.wrapping_add(1);
                                }
                            }
                            Op::EqI { a, i, k: kk } => {
                                // (`i` is small: exact as a float.)
                                let r = match r!(a) {
                                    Value::Integer(x) => x == i as i64,
                                    Value::Number(f) => f == i as f64,
                                    _ => false,
                                };
                                if r != kk {
                                    ip = ip.wrapping_add(1);
                                }
                            }
                            Op::LtI { a, i, k: kk } => {
                                order_imm!('slow, a, i, <, kk)
                            }
                            Op::LeI { a, i, k: kk } => {
                                order_imm!('slow, a, i, <=, kk)
                            }
                            Op::GtI { a, i, k: kk } => {
                                order_imm!('slow, a, i, >, kk)
                            }
                            Op::GeI { a, i, k: kk } => {
                                order_imm!('slow, a, i, >=, kk)
                            }
                            Op::LtF { a, i, k: kk } => {
                                order_imm!('slow, a, i, <, kk)
                            }
                            Op::LeF { a, i, k: kk } => {
                                order_imm!('slow, a, i, <=, kk)
                            }
                            Op::GtF { a, i, k: kk } => {
                                order_imm!('slow, a, i, >, kk)
                            }
                            Op::GeF { a, i, k: kk } => {
                                order_imm!('slow, a, i, >=, kk)
                            }
                            Op::Test { a, k: kk } => {
                                if truthy(r!(a)) != kk {
                                    ip = ip.wrapping_add(1);
                                }
                            }
                            Op::TestSet { a, b, k: kk } => {
                                let v = r!(b);
                                if truthy(v) != kk {
                                    ip = ip.wrapping_add(1);
                                } else {
                                    r!(a) = v;
                                }
                            }

                            Op::Call { a, b, c } => {
                                let func = base + a as usize;
                                let nargs = if b == 0 {
                                    self.top.saturating_sub(func + 1)
                                } else {
                                    b as usize - 1
                                };
                                save!();
                                // The common case: a closure of ours, known by its
                                // callback's root (which is the closure).
                                if let Value::Function(Function::Callback(cb)) = r!(a) {
                                    if let Some(cl) = super::closure_of(cb) {
                                        self.push_frame(regs, cl, func, nargs, c as i32 - 1)?;
                                        next_frame!();
                                    }
                                }
                                break 'call (func, nargs, c as i32 - 1, false, VarRef::Reg(a));
                            }
                            Op::TailCall { a, b } => {
                                let func = base + a as usize;
                                let nargs = if b == 0 {
                                    self.top.saturating_sub(func + 1)
                                } else {
                                    b as usize - 1
                                };
                                break 'call (func, nargs, -1, true, VarRef::Reg(a));
                            }
                            Op::Return { a, b } => {
                                if !STEP {
                                    *fuel -= pc_now!() as i32;
                                }
                                let start = base + a as usize;
                                let n = if b == 0 {
                                    self.top.saturating_sub(start)
                                } else {
                                    b as usize - 1
                                };
                                if self.has_tbc(base) {
                                    // Closes, then runs this instruction again.
                                    break 'slow;
                                }
                                save!();
                                if let Some(o) = self.do_return(ctx, regs, stack, start, n)? {
                                    return Ok(o);
                                }
                                next_frame!();
                            }
                            Op::Return0 => {
                                if !STEP {
                                    *fuel -= pc_now!() as i32;
                                }
                                if self.return0_fast(regs) {
                                    next_frame!();
                                }
                                if self.has_tbc(base) {
                                    // Closes, then runs this instruction again.
                                    break 'slow;
                                }
                                save!();
                                if let Some(o) = self.do_return(ctx, regs, stack, base, 0)? {
                                    return Ok(o);
                                }
                                next_frame!();
                            }
                            Op::Return1 { a } => {
                                if !STEP {
                                    *fuel -= pc_now!() as i32;
                                }
                                let v = r!(a);
                                if self.return1_fast(regs, v) {
                                    next_frame!();
                                }
                                if self.has_tbc(base) {
                                    // Closes, then runs this instruction again.
                                    break 'slow;
                                }
                                save!();
                                if let Some(o) =
                                    self.do_return(ctx, regs, stack, base + a as usize, 1)?
                                {
                                    return Ok(o);
                                }
                                next_frame!();
                            }

                            Op::ForLoop { a, bx } => {
                                match (r!(a), r!(a as usize + 1), r!(a as usize + 2)) {
                                    (
                                        Value::Integer(idx),
                                        Value::Integer(count),
                                        Value::Integer(step),
                                    ) => {
                                        let count = count as u64;
                                        if count > 0 {
                                            let idx = idx.wrapping_add(step);
                                            r!(a as usize + 1) = Value::Integer((count - 1) as i64);
                                            r!(a) = Value::Integer(idx);
                                            r!(a as usize + 3) = Value::Integer(idx);
                                            ip = ip.wrapping_sub(bx as usize);
                                            charge!(bx);
                                        }
                                    }
                                    (
                                        Value::Number(idx),
                                        Value::Number(limit),
                                        Value::Number(step),
                                    ) => {
                                        let idx = idx + step;
                                        let go = if step > 0.0 {
                                            idx <= limit
                                        } else {
                                            limit <= idx
                                        };
                                        if go {
                                            r!(a) = Value::Number(idx);
                                            r!(a as usize + 3) = Value::Number(idx);
                                            ip = ip.wrapping_sub(bx as usize);
                                            charge!(bx);
                                        }
                                    }
                                    _ => {
                                        t!(Err(Fail::Msg("internal error: bad 'for' state".into())))
                                    }
                                }
                            }
                            Op::ForPrep { a, bx } => {
                                // A loop over integers (the common one) prepared
                                // here (`for_prep` is a call of its own: ~70
                                // instructions at every loop's start); a zero step,
                                // floats and coercions go to it.
                                let (x, y, z) = (r!(a), r!(a as usize + 1), r!(a as usize + 2));
                                if (tag(&x), tag(&y), tag(&z)) == (INT, INT, INT) {
                                    // SAFETY: the three tags.
                                    let (init, limit, step) =
                                        unsafe { (int_of(x), int_of(y), int_of(z)) };
                                    if step != 0 {
                                        match int_loop_count(init, limit, step) {
                                            None => ip = ip.wrapping_add(bx as usize + 1),
                                            Some(count) => {
                                                r!(a as usize + 1) = Value::Integer(count as i64);
                                                r!(a as usize + 3) = Value::Integer(init);
                                            }
                                        }
                                        continue 'ops;
                                    }
                                }
                                let ra = base + a as usize;
                                let skip = t!(for_prep(regs, ra));
                                sync!();
                                if skip {
                                    ip = ip.wrapping_add(bx as usize + 1);
                                }
                            }
                            Op::TForCall { a, c } => {
                                let ra = base + a as usize;
                                if !ensure_len(regs, ra + 7) {
                                    t!(Err(Fail::Msg("stack overflow".into())));
                                }
                                sync!();
                                // `pairs`' iterator, the library's `next`, over a
                                // table: its step taken here, with no call (only
                                // without hooks, which would see the call; an
                                // invalid key goes to the call, which raises it).
                                if let (Value::Function(Function::Callback(cb)), Value::Table(t)) =
                                    (regs[ra], regs[ra + 1])
                                {
                                    if !self.hk.active && self.cached_next(cb) {
                                        if let Some((key, value)) = next_step(ctx, t, regs[ra + 2])
                                        {
                                            // The results of a call wanting `c`: the
                                            // key, the value, nil for any more.
                                            let w = &mut regs[ra + 4..];
                                            w[0] = key;
                                            if c >= 2 {
                                                w[1] = value;
                                                for slot in w.iter_mut().take(c as usize).skip(2) {
                                                    *slot = Value::Nil;
                                                }
                                            }
                                            sync!();
                                            continue 'ops;
                                        }
                                    }
                                    if !self.hk.active
                                        && self.cached_inext(cb)
                                        && self.inext_here(ctx, regs, t, ra, c as usize)
                                    {
                                        sync!();
                                        continue 'ops;
                                    }
                                }
                                let w = &mut regs[ra..ra + 7];
                                w[4] = w[0];
                                w[5] = w[1];
                                w[6] = w[2];
                                // (Named "for iterator" by the instruction.)
                                break 'call (ra + 4, 2, c as i32, false, VarRef::None);
                            }
                            Op::TForLoop { a, bx } => {
                                let v = r!(a as usize + 4);
                                if !v.is_nil() {
                                    r!(a as usize + 2) = v;
                                    ip = ip.wrapping_sub(bx as usize);
                                    charge!(bx);
                                }
                            }

                            Op::SetList { a, b, c } => {
                                mem_check!();
                                t!(self.op_setlist(ctx, regs, base + a as usize, b, c));
                                sync!();
                            }
                            Op::Closure { a, p } => {
                                mem_check!();
                                self.op_closure(ctx, regs, pc_now!(), a, p);
                                sync!();
                            }
                            Op::VarArg { a, c } => {
                                t!(self.op_vararg(regs, a, c));
                                sync!();
                            }
                        }
                        continue 'ops;
                    }
                    save!();
                    match self.slow_op(ctx, stack, regs) {
                        Ok(Flow::Next) => next_frame!(),
                        Ok(Flow::Call(f)) => {
                            if self.mm_in_place(regs, stack, f) {
                                next_frame!();
                            }
                            return Ok(Outcome::Call(f));
                        }
                        Ok(Flow::Out(o)) => return Ok(o),
                        Err(f) => return Err(f),
                    }
                };
                // A call that is not of a cached closure of ours: of a
                // cached native, made here, and this frame goes on (its
                // state is still loaded: a native cannot change frames).
                save!();
                if !self.hk.active {
                    if let Value::Function(function @ Function::Callback(cb)) = regs[func] {
                        if let Some(callee) = self.cached_native(cb) {
                            // `select('#', ...)` and `select(i, ...)` answered
                            // here, without `call_native`'s set-up for a
                            // native (~70 instructions a call in V8).
                            // (In tail position all results are kept, as below.)
                            if matches!(callee, Callee::Select(..))
                                && self.select_here(regs, func, nargs, if tail { -1 } else { want })
                            {
                                sync!();
                                continue 'ops;
                            }
                            // `next(t [, k])` for up to two results, as the
                            // library's `next` (an invalid key: its error).
                            if let (Callee::Next(..), Value::Table(t)) = (callee, regs[func + 1]) {
                                if !tail && (0..=2).contains(&want) && (nargs == 1 || nargs == 2) {
                                    let k = if nargs == 2 {
                                        regs[func + 2]
                                    } else {
                                        Value::Nil
                                    };
                                    if let Some((key, value)) = next_step(ctx, t, k) {
                                        let w = &mut regs[func..func + 2];
                                        w[0] = key;
                                        if want == 2 {
                                            w[1] = value;
                                        }
                                        continue 'ops;
                                    }
                                }
                            }
                            // `math.sqrt(x)`, `s:sub(i, j)`, `type(v)`... for one
                            // result or none, answered here when the function
                            // can be (`answer_here`; the native's call cost ~200
                            // instructions natively); in tail position
                            // (`return setmetatable(o, C)`) too when the function
                            // gives one result, which the `RETURN a 0` after the
                            // call returns.
                            let here = if tail {
                                one_result(callee)
                            } else {
                                want == 0 || want == 1
                            };
                            if here {
                                if let Some(v) =
                                    self.answer_here(ctx, callee, regs, func + 1, nargs)
                                {
                                    if tail {
                                        regs[func] = v;
                                        self.top = func + 1;
                                    } else if want == 1 {
                                        regs[func] = v;
                                    }
                                    continue 'ops;
                                }
                            }
                            // `return f(...)` of a native: called here as `f(...)`
                            // keeping all its results, and the `RETURN a 0` the
                            // compiler puts after every `TAILCALL` returns them
                            // (PUC Lua too calls a C function in tail position and
                            // then returns; only a Lua function replaces the frame).
                            let want = if tail { -1 } else { want };
                            match self.call_native(
                                ctx, regs, stack, callee, function, func, nargs, want, fuel,
                            ) {
                                Ok(Flow::Next) => {
                                    sync!();
                                    continue 'ops;
                                }
                                Ok(Flow::Call(f)) => return Ok(Outcome::Call(f)),
                                Ok(Flow::Out(o)) => return Ok(o),
                                Err(f) => return Err(f),
                            }
                        }
                    }
                }
                match self.call(ctx, regs, stack, func, nargs, want, tail, var, fuel) {
                    Ok(Flow::Next) => next_frame!(),
                    Ok(Flow::Call(f)) => return Ok(Outcome::Call(f)),
                    Ok(Flow::Out(o)) => return Ok(o),
                    Err(f) => return Err(f),
                }
            }
        }
    }
}

/// Whether [`Interp::answer_here`] may answer a call of `callee` whose
/// results are all kept (a call in tail position): its function gives
/// exactly one result whenever it answers.
#[inline(always)]
fn one_result(callee: Callee<'_>) -> bool {
    match callee {
        Callee::Args(_, _, a) => a.one,
        Callee::Type(..) => true,
        _ => false,
    }
}

/// A step of the library's `next` over `t` from `k`: the key and value
/// (two nils after the last), or `None` for an invalid key (the library's
/// call then raises its error). For the dispatch loop's generic `for` and
/// direct calls of `next`.
#[inline(always)]
fn next_step<'gc>(
    ctx: Context<'gc>,
    t: Table<'gc>,
    k: Value<'gc>,
) -> Option<(Value<'gc>, Value<'gc>)> {
    match crate::weak::raw_next(ctx, t, k) {
        NextValue::Found { key, value } => Some((key, value)),
        NextValue::Last => Some((Value::Nil, Value::Nil)),
        NextValue::NotFound => None,
    }
}

/// [`ops::raw_lt`] out of line, for the dispatch loop's `<` and `<=` of
/// anything but two integers or two floats: two strings (`a.name < b.name`
/// in a sort's comparator) were compared by the slow path, 2.4x PUC Lua's
/// time natively.
#[inline(never)]
fn lt_out<'gc>(x: Value<'gc>, y: Value<'gc>, le: bool) -> Option<bool> {
    ops::raw_lt(x, y, le)
}

/// `bad 'for' limit (number expected, got table)` (the type as
/// [`Interp::error_of`] names it: `__name` of a userdata's metatable).
#[cold]
fn for_error<'gc>(what: &str, v: Value<'gc>) -> Fail<'gc> {
    let op = match what {
        "limit" => "'for' limit",
        "step" => "'for' step",
        _ => "'for' initial value",
    };
    Fail::Typed {
        op,
        value: v,
        var: VarRef::None,
    }
}

/// The iterations after the first of an integer `for` loop (`step` not
/// zero), as PUC Lua's `forprep` counts them (unsigned, so the whole
/// integer range fits); `None` when it runs zero times.
#[inline(always)]
fn int_loop_count(init: i64, limit: i64, step: i64) -> Option<u64> {
    if if step > 0 { init > limit } else { init < limit } {
        return None;
    }
    Some(if step == 1 {
        // (No division for the usual step.)
        (limit as u64).wrapping_sub(init as u64)
    } else if step > 0 {
        (limit as u64).wrapping_sub(init as u64) / step as u64
    } else {
        let s = (step.wrapping_add(1)).wrapping_neg() as u64 + 1;
        (init as u64).wrapping_sub(limit as u64) / s
    })
}

/// Prepares a numeric `for` loop at `regs[ra..ra+3]`; true when it runs zero times.
#[inline(never)]
fn for_prep<'gc>(regs: &mut [Value<'gc>], ra: usize) -> Result<bool, Fail<'gc>> {
    let (init, limit, step) = (regs[ra], regs[ra + 1], regs[ra + 2]);
    if let (Value::Integer(init), Value::Integer(step)) = (init, step) {
        if step == 0 {
            return Err(Fail::Msg("'for' step is zero".into()));
        }
        let limit = match limit {
            Value::Integer(l) => l,
            other => match ops::to_num(other) {
                None => return Err(for_error("limit", other)),
                Some(n) => {
                    let f = n.to_f64();
                    let fl = if step < 0 { f.ceil() } else { f.floor() };
                    match crate::number::float_to_i64(fl) {
                        Some(i) => i,
                        None => {
                            if f.is_nan() {
                                return Ok(true);
                            }
                            if f > 0.0 {
                                if step < 0 {
                                    return Ok(true);
                                }
                                i64::MAX
                            } else {
                                if step > 0 {
                                    return Ok(true);
                                }
                                i64::MIN
                            }
                        }
                    }
                }
            },
        };
        let Some(count) = int_loop_count(init, limit, step) else {
            return Ok(true);
        };
        regs[ra + 1] = Value::Integer(count as i64);
        regs[ra + 3] = Value::Integer(init);
        return Ok(false);
    }
    let to_f = |v: Value<'gc>, what: &str| -> Result<f64, Fail<'gc>> {
        ops::to_num(v)
            .map(|n| n.to_f64())
            .ok_or_else(|| for_error(what, v))
    };
    let flimit = to_f(limit, "limit")?;
    let fstep = to_f(step, "step")?;
    let finit = to_f(init, "initial value")?;
    if fstep == 0.0 {
        return Err(Fail::Msg("'for' step is zero".into()));
    }
    regs[ra] = Value::Number(finit);
    regs[ra + 1] = Value::Number(flimit);
    regs[ra + 2] = Value::Number(fstep);
    regs[ra + 3] = Value::Number(finit);
    Ok(if fstep > 0.0 {
        flimit < finit
    } else {
        finit < flimit
    })
}

/// Idle interpreters kept for the next entries: starting an entry then
/// allocates only the small [`Entry`] box, not a new interpreter and
/// register stack (fewer allocations, so less garbage-collector work when
/// library functions call Lua functions in a loop, as `table.sort` with a
/// comparator does).
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
pub(super) struct Pool<'gc>(Gc<'gc, RefLock<PoolState<'gc>>>);

#[derive(Collect)]
#[collect(no_drop)]
pub(super) struct PoolState<'gc> {
    idle: Vec<Gc<'gc, RefLock<Interp<'gc>>>>,
    /// The singletons a new interpreter holds, looked up at the first.
    shared: Option<Shared<'gc>>,
}

/// The runtime's singletons each interpreter holds: looked up once per
/// pool, not per new interpreter (a coroutine made per use needs a new
/// one each time, as its entry never finishes: the six look-ups were ~700
/// of its ~9,600 instructions).
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
struct Shared<'gc> {
    names: Gc<'gc, MetaNames<'gc>>,
    types: Table<'gc>,
    registry: Registry<'gc>,
    dbg: DebugState<'gc>,
    memory: Gc<'gc, super::MemoryGuard>,
    weak: Gc<'gc, crate::weak::Shared<'gc>>,
}

impl<'gc> Pool<'gc> {
    pub(super) fn get(ctx: Context<'gc>) -> Self {
        *ctx.singleton::<gc_arena::Rootable![Pool<'_>]>()
    }

    /// The singletons for a new interpreter.
    fn shared(self, ctx: Context<'gc>) -> Shared<'gc> {
        if let Some(shared) = self.0.borrow().shared {
            return shared;
        }
        let shared = Shared {
            names: MetaNames::get(ctx),
            types: ctx
                .singleton::<gc_arena::Rootable![crate::stdlib::check::TypeMetatables<'_>]>()
                .0,
            registry: Registry::get(ctx),
            dbg: DebugState::get(ctx),
            memory: ctx
                .singleton::<gc_arena::Rootable![super::MemoryRoot<'_>]>()
                .0,
            weak: crate::weak::shared(ctx),
        };
        self.0.borrow_mut(&ctx).shared = Some(shared);
        shared
    }
}

impl<'gc> piccolo::Singleton<'gc> for Pool<'gc> {
    fn create(ctx: Context<'gc>) -> Self {
        Pool(Gc::new(
            &ctx,
            RefLock::new(PoolState {
                idle: Vec::new(),
                shared: None,
            }),
        ))
    }
}

/// Interpreters kept idle at most.
const POOL_SIZE: usize = 16;

/// One entry from outside: the sequence the executor polls, running a
/// (pooled) interpreter.
#[derive(Collect)]
#[collect(no_drop)]
pub(super) struct Entry<'gc>(Gc<'gc, RefLock<Interp<'gc>>>);

impl<'gc> Entry<'gc> {
    /// A new entry running `closure` with the arguments in `stack`.
    pub(super) fn start(
        ctx: Context<'gc>,
        exec: &Execution<'gc, '_>,
        pool: Pool<'gc>,
        closure: ClosureRef<'gc>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<Self, Error<'gc>> {
        Self::start_on(ctx, exec.current_thread().thread, pool, closure, &mut stack)
    }

    /// A new entry running `closure` on `thread` with the arguments in
    /// `stack` ([`Self::start`]'s, and a coroutine's started in place,
    /// whose thread is not the executor's current one).
    pub(super) fn start_on(
        ctx: Context<'gc>,
        thread: Thread<'gc>,
        pool: Pool<'gc>,
        closure: ClosureRef<'gc>,
        stack: &mut Stack<'gc, '_>,
    ) -> Result<Self, Error<'gc>> {
        let idle = pool.0.borrow_mut(&ctx).idle.pop();
        let interp =
            idle.unwrap_or_else(|| Gc::new(&ctx, RefLock::new(Interp::new(ctx, thread, pool))));
        Self::begin_on(ctx, thread, interp, closure, stack.sub_stack(0))
    }

    /// A new entry running `closure` on the idle `interp` (back to the pool
    /// if it cannot begin).
    fn begin_on(
        ctx: Context<'gc>,
        thread: Thread<'gc>,
        interp: Gc<'gc, RefLock<Interp<'gc>>>,
        closure: ClosureRef<'gc>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<Self, Error<'gc>> {
        let r = interp
            .borrow_mut(&ctx)
            .begin(ctx, thread, closure, &mut stack);
        match r {
            Ok(()) => Ok(Entry(interp)),
            Err(e) => {
                Self::recycle(ctx, interp);
                Err(e)
            }
        }
    }

    /// Puts `warm`'s interpreter back into the pool.
    pub(super) fn release(ctx: Context<'gc>, warm: &mut Warm<'gc>) {
        if let Some(interp) = warm.take() {
            Self::recycle(ctx, interp);
        }
    }

    fn recycle(ctx: Context<'gc>, interp: Gc<'gc, RefLock<Interp<'gc>>>) {
        let pool = interp.borrow().pool;
        let mut pool = pool.0.borrow_mut(&ctx);
        if pool.idle.len() < POOL_SIZE && interp.borrow().reusable() {
            interp.borrow_mut(&ctx).scrub(&ctx);
            pool.idle.push(interp);
        }
    }

    fn done(
        &self,
        ctx: Context<'gc>,
        r: Result<SequencePoll<'gc>, Error<'gc>>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        if matches!(r, Ok(SequencePoll::Return) | Err(_)) {
            Self::recycle(ctx, self.0);
        }
        r
    }
}

/// What [`SyncTarget::call`](super::SyncTarget::call) did.
pub enum Sync<'gc> {
    /// The function returned; its results are on the stack.
    Done,
    /// The executor has to go on: call this function with the stack as
    /// arguments, and its results are the call's results.
    Suspended(Function<'gc>),
}

/// An idle interpreter a library sequence keeps between its calls of
/// the same function ([`super::SyncTarget`]): each call then skips the
/// pool (~1/8 of a `table.sort` comparator call).
pub(super) type Warm<'gc> = Option<Gc<'gc, RefLock<Interp<'gc>>>>;

impl<'gc> Entry<'gc> {
    /// Runs `closure` with the arguments on `stack` in place, until it
    /// returns or needs the executor; on `warm`'s interpreter if there is
    /// one, which is kept there again when the call returns.
    pub(super) fn call_sync(
        ctx: Context<'gc>,
        exec: &mut Execution<'gc, '_>,
        pool: Pool<'gc>,
        closure: ClosureRef<'gc>,
        warm: &mut Warm<'gc>,
        stack: &mut Stack<'gc, '_>,
    ) -> Result<Sync<'gc>, Error<'gc>> {
        let entry = match warm.take() {
            Some(interp) => Entry::begin_on(
                ctx,
                exec.current_thread().thread,
                interp,
                closure,
                stack.sub_stack(0),
            )?,
            None => Entry::start(ctx, exec, pool, closure, stack.sub_stack(0))?,
        };
        let r = entry.0.borrow_mut(&ctx).run_sync(ctx, exec, stack);
        if let Ok(SequencePoll::Return) = r {
            if entry.0.borrow().reusable() {
                *warm = Some(entry.0);
            }
            return Ok(Sync::Done);
        }
        match entry.done(ctx, r)? {
            SequencePoll::Return => Ok(Sync::Done),
            SequencePoll::Call { function, .. } => Ok(Sync::Suspended(native::forward(
                ctx,
                CallbackReturn::Call {
                    function,
                    then: Some(piccolo::BoxSequence::new(&ctx, entry)),
                },
            ))),
            _ => {
                stack.clear();
                Ok(Sync::Suspended(native::forward(
                    ctx,
                    CallbackReturn::Sequence(piccolo::BoxSequence::new(&ctx, entry)),
                )))
            }
        }
    }
}

impl<'gc> Sequence<'gc> for Entry<'gc> {
    fn poll(
        &mut self,
        ctx: Context<'gc>,
        mut exec: Execution<'gc, '_>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        let mut r = {
            let mut interp = self.0.borrow_mut(&ctx);
            match interp.replay.take() {
                Some(replay) => interp.replayed(ctx, *replay, &mut stack),
                None => interp.run(ctx, &mut exec, &mut stack),
            }
        };
        // A resume of a coroutine suspended in code of this core goes on in
        // place when it can (the executor's resume, the yield and the
        // return to this entry are ~3/4 of a round trip through it).
        while let Ok(SequencePoll::Call {
            function: Function::Callback(cb),
            is_tail: false,
        }) = r
        {
            let (registry, site) = {
                let interp = self.0.borrow();
                (interp.registry, super::CallSite(interp.dbg))
            };
            if !crate::stdlib::coroutine::resume_in_place(
                ctx, &mut exec, registry, site, cb, &mut stack,
            ) {
                break;
            }
            r = self.0.borrow_mut(&ctx).run(ctx, &mut exec, &mut stack);
        }
        self.done(ctx, r)
    }

    fn resume_in_place(
        &mut self,
        ctx: Context<'gc>,
        mut exec: Execution<'gc, '_>,
        mut stack: Stack<'gc, '_>,
    ) -> bool {
        let mut interp = self.0.borrow_mut(&ctx);
        if interp.replay.is_some()
            || interp.dbg.any_hooks()
            || interp.unwinding.is_some()
            || interp.c_call.is_some()
            // (`None`: an entry that has not run yet, a coroutine started in
            // place, `Thread::start_in_place`; the resume values are not its.)
            || !matches!(interp.cont, Cont::Call { .. } | Cont::Discard | Cont::None)
        {
            return false;
        }
        interp.switched = true;
        let r = interp.run(ctx, &mut exec, &mut stack);
        interp.switched = false;
        let replay = match r {
            Ok(SequencePoll::Call {
                function: Function::Callback(cb),
                is_tail: false,
            }) if interp.registry.switch(cb) == Some(super::Switch::Yield)
                && interp.registry.yieldable(interp.thread) =>
            {
                return true;
            }
            Ok(SequencePoll::Call { function, .. }) => Replay::Call(function),
            Ok(SequencePoll::Return) => Replay::Return,
            Ok(_) => Replay::Pending,
            Err(e) => Replay::Err(e),
        };
        interp.replay = Some(Box::new((replay, stack.drain(..).collect())));
        false
    }

    fn error(
        &mut self,
        ctx: Context<'gc>,
        mut exec: Execution<'gc, '_>,
        error: Error<'gc>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        let r = {
            let mut interp = self.0.borrow_mut(&ctx);
            // A failing __close handler replaces the error being propagated.
            let cont = std::mem::replace(&mut interp.cont, Cont::None);
            if let Cont::Hook { .. } | Cont::HookC { .. } = cont {
                interp.dbg.allow_hook(&ctx, interp.thread, true);
            }
            interp.c_call = None;
            interp.c_saved.clear();
            if !matches!(cont, Cont::Unwind) && interp.protected == 0 {
                // Raised by a library function this entry called (an entry
                // of ours called here has recorded its own frames already);
                // also off the main thread, for `xpcall` handlers.
                let callee = interp.rec.and_then(|r| r.borrow().callee);
                if callee.is_some_and(|f| super::as_lua_closure(ctx, f).is_none()) {
                    let ev = crate::stdlib::check::error_value(ctx, &error);
                    let is_main = exec.current_thread().is_main;
                    frames::capture_traceback(
                        ctx,
                        interp.registry,
                        interp.dbg,
                        interp.thread,
                        is_main,
                        ev,
                        None,
                    );
                }
            }
            stack.clear();
            interp.unwinding = Some(error);
            interp.run(ctx, &mut exec, &mut stack)
        };
        self.done(ctx, r)
    }
}
