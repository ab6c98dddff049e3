//! The interpreter's frames as the debug library sees them: stack levels
//! counted like PUC Lua's (level 0 the running library function, level 1
//! its caller, ...), function names from the calling instruction
//! (`funcnamefromcode`), locals, tracebacks, hooks and the traceback of an
//! error that escapes to the host.
//!
//! Each entry (one interpreter sequence) keeps its frames in an
//! [`EntryState`] while it waits for a foreign call, so library functions
//! called from it can walk the frames of every live entry on the thread.
//! The running entry moves its frames out of that state for the length of
//! one poll (an O(1) swap), so the dispatch loop does not pay for this.

use std::rc::Rc;

use gc_arena::{lock::RefLock, Collect, Gc, GcWeak, Mutation, Rootable};
use piccolo::{Callback, Context, Function, Singleton, Table, Thread, Value};

use super::{
    exec::{Frame, NOT_PROTECTED},
    names::getobjname,
    ClosureRef, RegStack, Registry, Regs,
};
use crate::{
    bytecode::{Op, Proto},
    stdlib::check::raw_equal,
};

/// What an entry shows of itself to the debug library.
#[derive(Collect, Default)]
#[collect(no_drop)]
pub(crate) struct EntryState<'gc> {
    /// Its Lua frames, oldest first (empty while it runs).
    pub frames: Vec<Frame<'gc>>,
    /// Its register stack.
    pub regs: Option<RegStack<'gc>>,
    /// The function it is calling through the executor, while it waits.
    pub callee: Option<Function<'gc>>,
    /// Whether that call is a hook.
    pub hook_call: bool,
    /// The library function whose call or return that hook reports.
    pub c_pending: Option<Function<'gc>>,
    /// It is unwinding an error (calling `__close` handlers): its frames
    /// are gone as far as levels go, as in PUC Lua, where the handlers run
    /// from the `pcall` that caught the error.
    pub unwinding: bool,
    /// Its top frame is calling a `__close` handler from the instruction
    /// at its `pc` (not `pc - 1`).
    pub closing: bool,
    /// `ftransfer`, `ntransfer` of the hook event it is reporting.
    pub transfer: (usize, usize),
    /// The arguments or results of the library function `c_pending`.
    pub c_values: Vec<Value<'gc>>,
}

/// One live entry.
pub(crate) type Entry<'gc> = Gc<'gc, RefLock<EntryState<'gc>>>;

/// Hook settings of one thread (`debug.sethook`).
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
pub(crate) struct Hook<'gc> {
    pub func: Function<'gc>,
    /// `MASK_*` bits.
    pub mask: u8,
    pub count: u32,
    /// False while the hook runs (hooks are off inside hooks).
    pub allowed: bool,
    /// Which `debug.sethook` call set it (set by [`DebugState::set_hook`]):
    /// a new one restarts the instruction count, as PUC's
    /// `resethookcount`.
    pub serial: u64,
}

pub(crate) const MASK_CALL: u8 = 1;
pub(crate) const MASK_RET: u8 = 2;
pub(crate) const MASK_LINE: u8 = 4;
pub(crate) const MASK_COUNT: u8 = 8;

type ThreadKey = usize;

#[derive(Collect, Default)]
#[collect(no_drop)]
struct DebugInner<'gc> {
    /// The entry that called the running callback directly (cleared by
    /// `pcall`-like callers).
    caller: Option<Entry<'gc>>,
    /// Hooks per thread.
    hooks: Vec<(
        ThreadKey,
        GcWeak<'gc, piccolo::thread::ThreadInner<'gc>>,
        Hook<'gc>,
    )>,
    /// The traceback of the last error on its way to the host, with the
    /// error value it belongs to.
    traceback: Option<(Value<'gc>, String)>,
    /// Functions that catch errors (`pcall`, `xpcall`).
    catchers: Vec<(Callback<'gc>, bool)>,
    /// The frames an error unwound on its way to an `xpcall` (copies),
    /// shown above the entry that called `xpcall` while its message
    /// handler runs, as if the handler ran at the error (as in PUC Lua).
    /// With the error value they belong to.
    ghost: Option<(Entry<'gc>, Value<'gc>, Vec<Entry<'gc>>)>,
    /// A function that is not ours (a library function) that `xpcall`
    /// called directly and that failed: shown as a level above the entry
    /// that called `xpcall` (below any `ghost` frames) while the message
    /// handler runs, as PUC Lua's handler sees the C function that raised.
    ghost_native: Option<(Entry<'gc>, Function<'gc>)>,
    /// Coroutines that died by an error, with the error and copies of
    /// their frames at the error: `debug.traceback`/`getinfo` of a dead
    /// coroutine see them, as PUC Lua keeps a dead coroutine's stack.
    dead: Vec<DeadStack<'gc>>,
    /// `__gc` finalizers are running ([`set_finalizing`]).
    finalizing: bool,
    /// Threads running a hook (hooks are off there).
    in_hook: Vec<ThreadKey>,
    /// Hooks set so far ([`Hook::serial`]).
    hooks_set: u64,
    /// Records of finished entries, for reuse (entries that wait for a
    /// call, e.g. every function that calls `error`, need one).
    pool: Vec<Entry<'gc>>,
}

/// The frames of a coroutine that died by an error (see `DebugInner::dead`).
type DeadStack<'gc> = (
    GcWeak<'gc, piccolo::thread::ThreadInner<'gc>>,
    Value<'gc>,
    Vec<Entry<'gc>>,
);

/// Debug bookkeeping shared by all entries of one Lua state.
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
pub(crate) struct DebugState<'gc>(Gc<'gc, RefLock<DebugInner<'gc>>>);

impl<'gc> Singleton<'gc> for DebugState<'gc> {
    fn create(ctx: Context<'gc>) -> Self {
        DebugState(Gc::new(&ctx, RefLock::new(DebugInner::default())))
    }
}

impl<'gc> DebugState<'gc> {
    pub(crate) fn get(ctx: Context<'gc>) -> Self {
        *ctx.singleton::<Rootable![DebugState<'_>]>()
    }

    /// Records that `entry` is calling a function through the executor.
    #[inline]
    pub(crate) fn set_caller(self, mc: &Mutation<'gc>, entry: Entry<'gc>) {
        let same = matches!(self.0.borrow().caller, Some(e) if Gc::ptr_eq(e, entry));
        if !same {
            self.0.borrow_mut(mc).caller = Some(entry);
        }
    }

    pub(crate) fn clear_caller(self, mc: &Mutation<'gc>) {
        if self.0.borrow().caller.is_some() {
            self.0.borrow_mut(mc).caller = None;
        }
    }

    pub(crate) fn caller(self) -> Option<Entry<'gc>> {
        self.0.borrow().caller
    }

    /// A cleared entry record (reused when one is free).
    pub(crate) fn new_entry(self, mc: &Mutation<'gc>, regs: RegStack<'gc>) -> Entry<'gc> {
        let reused = self.0.borrow_mut(mc).pool.pop();
        match reused {
            Some(e) => {
                e.borrow_mut(mc).regs = Some(regs);
                e
            }
            None => Gc::new(
                mc,
                RefLock::new(EntryState {
                    regs: Some(regs),
                    ..EntryState::default()
                }),
            ),
        }
    }

    /// Takes back the record of a finished entry.
    pub(crate) fn free_entry(self, mc: &Mutation<'gc>, entry: Entry<'gc>) {
        {
            let mut st = entry.borrow_mut(mc);
            st.frames.clear();
            st.regs = None;
            st.callee = None;
            st.hook_call = false;
            st.c_pending = None;
            st.unwinding = false;
            st.closing = false;
            st.transfer = (0, 0);
            st.c_values.clear();
        }
        let mut s = self.0.borrow_mut(mc);
        if matches!(s.caller, Some(c) if Gc::ptr_eq(c, entry)) {
            s.caller = None;
        }
        if s.pool.len() < 32 {
            s.pool.push(entry);
        }
    }

    pub(crate) fn reset(self, mc: &Mutation<'gc>) {
        let mut s = self.0.borrow_mut(mc);
        s.caller = None;
        s.traceback = None;
        s.in_hook.clear();
    }

    /// Whether any thread has a hook set (checked once per poll).
    #[inline]
    pub(crate) fn any_hooks(self) -> bool {
        !self.0.borrow().hooks.is_empty()
    }

    pub(crate) fn hook(self, thread: Thread<'gc>) -> Option<Hook<'gc>> {
        let key = Gc::as_ptr(thread.into_inner()) as usize;
        let s = self.0.borrow();
        s.hooks
            .iter()
            .find(|(k, w, _)| *k == key && GcWeak::ptr_eq(*w, Gc::downgrade(thread.into_inner())))
            .map(|(_, _, h)| Hook {
                allowed: !s.in_hook.contains(&key),
                ..*h
            })
    }

    pub(crate) fn set_hook(self, mc: &Mutation<'gc>, thread: Thread<'gc>, hook: Option<Hook<'gc>>) {
        let key = Gc::as_ptr(thread.into_inner()) as usize;
        let mut s = self.0.borrow_mut(mc);
        s.hooks
            .retain(|(k, w, _)| *k != key && w.upgrade(mc).is_some());
        if let Some(mut h) = hook {
            s.hooks_set += 1;
            h.serial = s.hooks_set;
            s.hooks.push((key, Gc::downgrade(thread.into_inner()), h));
        }
    }

    /// Turns the hooks of `thread` back on (`true`) or off while a hook
    /// runs (PUC's `allowhook`, kept apart from the hook itself, so a hook
    /// that sets a new hook still runs without hooks).
    pub(crate) fn allow_hook(self, mc: &Mutation<'gc>, thread: Thread<'gc>, allowed: bool) {
        let key = Gc::as_ptr(thread.into_inner()) as usize;
        let mut s = self.0.borrow_mut(mc);
        if allowed {
            if let Some(pos) = s.in_hook.iter().position(|k| *k == key) {
                s.in_hook.swap_remove(pos);
            }
        } else if !s.in_hook.contains(&key) {
            s.in_hook.push(key);
        }
    }

    /// Marks `cb` as a function that catches errors (`pcall`, `xpcall`).
    pub(crate) fn add_catcher(self, mc: &Mutation<'gc>, cb: Callback<'gc>, xpcall: bool) {
        self.0.borrow_mut(mc).catchers.push((cb, xpcall));
    }

    /// 1 for `pcall`, 2 for `xpcall`, 0 for anything else.
    fn catcher(self, f: Function<'gc>) -> u8 {
        match f {
            Function::Callback(cb) => match self.0.borrow().catchers.iter().find(|c| c.0 == cb) {
                Some((_, false)) => 1,
                Some((_, true)) => 2,
                None => 0,
            },
            Function::Closure(_) => 0,
        }
    }

    fn ghost_of(self, entry: Entry<'gc>) -> Option<Vec<Entry<'gc>>> {
        match &self.0.borrow().ghost {
            Some((anchor, _, ghosts)) if Gc::ptr_eq(*anchor, entry) => Some(ghosts.clone()),
            _ => None,
        }
    }

    fn ghost_native_of(self, entry: Entry<'gc>) -> Option<Function<'gc>> {
        match self.0.borrow().ghost_native {
            Some((anchor, f)) if Gc::ptr_eq(anchor, entry) => Some(f),
            _ => None,
        }
    }
}

/// Forgets the frames kept for an `xpcall` message handler (the `xpcall`
/// is done with them).
pub fn clear_ghost(ctx: Context<'_>) {
    let dbg = DebugState::get(ctx);
    let kept = {
        let inner = dbg.0.borrow();
        inner.ghost.is_some() || inner.ghost_native.is_some()
    };
    if kept {
        let mut inner = dbg.0.borrow_mut(&ctx);
        inner.ghost = None;
        inner.ghost_native = None;
    }
}

/// `xpcall` on `thread` called `f` directly and `f` failed: when `f` is
/// not a Lua function of ours, it is shown as a level above the caller of
/// `xpcall` while the message handler runs (a Lua function's frames are
/// kept by [`capture_traceback`] instead). The caller is the thread's top
/// entry when Lua code called `xpcall`; when a library function did
/// (`pcall(xpcall, f, h)`), nothing is recorded.
pub fn note_xpcall_failure<'gc>(ctx: Context<'gc>, thread: Thread<'gc>, f: Function<'gc>) {
    if super::as_lua_closure(ctx, f).is_some() {
        return;
    }
    let dbg = DebugState::get(ctx);
    let Some(top) = Registry::get(ctx).find_entry(&ctx, thread, |_, e| Some(e)) else {
        return;
    };
    let callee = top.borrow().callee;
    if callee.is_some_and(|c| dbg.catcher(c) == 2) {
        dbg.0.borrow_mut(&ctx).ghost_native = Some((top, f));
    }
}

impl<'gc> DebugState<'gc> {}

/// Marks `cb` as a function that catches errors, so an error raised below
/// it is known not to reach the host.
pub fn register_catcher<'gc>(ctx: Context<'gc>, cb: Callback<'gc>, xpcall: bool) {
    DebugState::get(ctx).add_catcher(&ctx, cb, xpcall);
}

/// One stack level.
#[derive(Clone, Copy)]
pub(crate) enum Level<'gc> {
    /// Frame `index` of `entry`.
    Lua { entry: Entry<'gc>, index: usize },
    /// A function that is not ours (a library function, a host function,
    /// or an unknown native), called by frame `.1` of entry `.0` if known.
    C {
        func: Option<Function<'gc>>,
        caller: Option<(Entry<'gc>, usize)>,
    },
}

/// A snapshot of one Lua frame.
pub(crate) struct FrameView<'gc> {
    pub closure: ClosureRef<'gc>,
    /// The instruction running (the call being made).
    pub pc: usize,
    pub base: usize,
    pub nvarargs: usize,
    pub tail: bool,
    pub regs: Option<RegStack<'gc>>,
    /// End of the frame's live registers.
    pub limit: usize,
}

fn view<'gc>(entry: Entry<'gc>, index: usize) -> Option<FrameView<'gc>> {
    let st = entry.borrow();
    let f = st.frames.get(index)?;
    let pc = if st.closing && index + 1 == st.frames.len() {
        f.pc
    } else {
        f.pc.saturating_sub(1)
    };
    let p = &f.closure.proto.proto;
    let limit = match st.frames.get(index + 1) {
        Some(next) => next.func,
        None => match p.code.get(pc) {
            Some(Op::Call { a, .. }) | Some(Op::TailCall { a, .. }) => f.base + *a as usize,
            Some(Op::TForCall { a, .. }) => f.base + *a as usize + 4,
            Some(Op::Return { .. } | Op::Return1 { .. }) => st
                .regs
                .and_then(|r| r.try_borrow().ok().map(|r| r.len()))
                .unwrap_or(f.base),
            _ => f.base + p.max_stack as usize,
        },
    };
    Some(FrameView {
        closure: f.closure,
        pc,
        base: f.base,
        nvarargs: f.nvarargs,
        tail: f.tail,
        regs: st.regs,
        limit,
    })
}

/// The stack levels of `thread`, level 0 first. For the running thread
/// (`current`), level 0 is the running library function.
pub(crate) fn stack_levels<'gc>(
    ctx: Context<'gc>,
    thread: Thread<'gc>,
    current: bool,
    is_main: bool,
) -> Vec<Level<'gc>> {
    let entries = Registry::get(ctx).entries(&ctx, thread);
    let mut out = Vec::new();
    let Some(&top) = entries.first() else {
        if let Some(frames) = (!current).then(|| dead_frames(ctx, thread)).flatten() {
            push_entries(ctx, &mut out, &frames);
        } else if current {
            out.push(Level::C {
                func: None,
                caller: None,
            });
        }
        return out;
    };
    if current {
        let direct = DebugState::get(ctx)
            .caller()
            .is_some_and(|e| Gc::ptr_eq(e, top));
        if !direct {
            out.push(Level::C {
                func: None,
                caller: None,
            });
        }
    }
    let dbg = DebugState::get(ctx);
    for &entry in &entries {
        if let Some(ghosts) = dbg.ghost_of(entry) {
            push_entries(ctx, &mut out, &ghosts);
        }
        if let Some(f) = dbg.ghost_native_of(entry) {
            out.push(Level::C {
                func: Some(f),
                caller: None,
            });
        }
        push_entries(ctx, &mut out, &[entry]);
    }
    if current && is_main {
        out.push(Level::C {
            func: None,
            caller: None,
        });
    }
    out
}

/// The levels of `entries` (newest first): each one's pending call to a
/// function that is not ours, then its frames.
fn push_entries<'gc>(ctx: Context<'gc>, out: &mut Vec<Level<'gc>>, entries: &[Entry<'gc>]) {
    for &entry in entries {
        let (callee, mut n, c_pending, total) = {
            let st = entry.borrow();
            (st.callee, st.frames.len(), st.c_pending, st.frames.len())
        };
        let mut unwound_pcall = None;
        if entry.borrow().unwinding {
            // Unwinding to the innermost `pcall` run in place (its frames
            // are gone, `pcall` is on top), or out of the entry.
            let st = entry.borrow();
            n = 0;
            if let Some(p) = st
                .frames
                .iter()
                .rposition(|f| f.pcall_want != NOT_PROTECTED)
            {
                n = p;
                unwound_pcall = Some(p);
            }
        }
        let top = total.checked_sub(1).map(|i| (entry, i));
        if let Some(f) = callee {
            if super::as_lua_closure(ctx, f).is_none() {
                out.push(Level::C {
                    func: Some(f),
                    caller: top,
                });
            }
        }
        if let Some(f) = c_pending {
            out.push(Level::C {
                func: Some(f),
                caller: top,
            });
        }
        if let Some(p) = unwound_pcall.filter(|&p| p > 0) {
            let st = entry.borrow();
            let f = st.frames[p];
            let pcall = st
                .regs
                .and_then(|r| r.try_borrow().ok().and_then(|r| r.get(f.func - 1).copied()));
            out.push(Level::C {
                func: match pcall {
                    Some(Value::Function(pf)) => Some(pf),
                    _ => None,
                },
                caller: Some((entry, p - 1)),
            });
        }
        for index in (0..n).rev() {
            // A library function written in Lua is no level (PUC Lua's C
            // function it stands for is the library function's own level).
            if entry.borrow().frames[index].closure.proto.library {
                continue;
            }
            out.push(Level::Lua { entry, index });
            // A function `pcall` runs in place: `pcall` is a level below it.
            let st = entry.borrow();
            let f = st.frames[index];
            if f.pcall_want != NOT_PROTECTED && index > 0 {
                let pcall = st
                    .regs
                    .and_then(|r| r.try_borrow().ok().and_then(|r| r.get(f.func - 1).copied()));
                let func = match pcall {
                    Some(Value::Function(pf)) => Some(pf),
                    _ => None,
                };
                out.push(Level::C {
                    func,
                    caller: Some((entry, index - 1)),
                });
            }
        }
    }
}

/// `(namewhat, name)` of the function called by instruction `pc` of `p`
/// (PUC's `funcnamefromcode`).
pub(crate) fn funcnamefromcode(p: &Proto, pc: usize) -> Option<(&'static str, String)> {
    let tm = match *p.code.get(pc)? {
        Op::Call { a, .. } | Op::TailCall { a, .. } => return getobjname(p, pc, a),
        Op::TForCall { .. } => return Some(("for iterator", "for iterator".to_string())),
        Op::SelfOp { .. }
        | Op::GetTabUp { .. }
        | Op::GetTable { .. }
        | Op::GetI { .. }
        | Op::GetField { .. } => "index",
        Op::SetTabUp { .. } | Op::SetTable { .. } | Op::SetI { .. } | Op::SetField { .. } => {
            "newindex"
        }
        Op::AddI { .. } | Op::AddK { .. } | Op::KAdd { .. } | Op::Add { .. } => "add",
        Op::SubK { .. } | Op::Sub { .. } => "sub",
        Op::MulK { .. } | Op::KMul { .. } | Op::Mul { .. } => "mul",
        Op::ModK { .. } | Op::Mod { .. } => "mod",
        Op::PowK { .. } | Op::Pow { .. } => "pow",
        Op::DivK { .. } | Op::Div { .. } => "div",
        Op::IDivK { .. } | Op::IDiv { .. } => "idiv",
        Op::BAndK { .. } | Op::BAnd { .. } => "band",
        Op::BOrK { .. } | Op::BOr { .. } => "bor",
        Op::BXorK { .. } | Op::BXor { .. } => "bxor",
        Op::ShrI { .. } | Op::Shr { .. } => "shr",
        Op::ShlI { .. } | Op::Shl { .. } => "shl",
        Op::Unm { .. } => "unm",
        Op::BNot { .. } => "bnot",
        Op::Len { .. } => "len",
        Op::Concat { .. } => "concat",
        Op::Eq { .. } | Op::EqK { .. } | Op::EqI { .. } => "eq",
        Op::Lt { .. } | Op::LtI { .. } | Op::GtI { .. } | Op::LtF { .. } | Op::GtF { .. } => "lt",
        Op::Le { .. } | Op::LeI { .. } | Op::GeI { .. } | Op::LeF { .. } | Op::GeF { .. } => "le",
        Op::Close { .. } | Op::Return { .. } | Op::Return0 | Op::Return1 { .. } => "close",
        _ => return None,
    };
    Some(("metamethod", tm.to_string()))
}

/// What `debug.getinfo` reports about one level or function.
pub(crate) struct Info<'gc> {
    pub source: String,
    pub short_src: String,
    pub what: &'static str,
    pub line_defined: i64,
    pub last_line_defined: i64,
    pub current_line: i64,
    pub name: Option<(&'static str, String)>,
    pub nups: i64,
    pub nparams: i64,
    pub is_vararg: bool,
    pub is_tail: bool,
    /// `ftransfer`, `ntransfer`.
    pub transfer: (usize, usize),
    pub func: Option<Function<'gc>>,
    /// Active lines (Lua functions only).
    pub lines: Option<Vec<u32>>,
}

/// `debug.getinfo` of a function (no level).
pub(crate) fn function_info<'gc>(ctx: Context<'gc>, f: Function<'gc>) -> Info<'gc> {
    match super::as_lua_closure(ctx, f) {
        Some(cl) => closure_info(cl, Some(f), -1),
        None => {
            let mut info = c_info(Some(f));
            if let Function::Callback(cb) = f {
                info.nups = super::c_upvalues(ctx, cb).map_or(0, |u| u.borrow().len() as i64);
            }
            info
        }
    }
}

fn c_info<'gc>(func: Option<Function<'gc>>) -> Info<'gc> {
    Info {
        source: "=[C]".into(),
        short_src: "[C]".into(),
        what: "C",
        line_defined: -1,
        last_line_defined: -1,
        current_line: -1,
        name: None,
        nups: 0,
        nparams: 0,
        is_vararg: true,
        is_tail: false,
        transfer: (0, 0),
        func,
        lines: None,
    }
}

fn closure_info<'gc>(
    cl: ClosureRef<'gc>,
    func: Option<Function<'gc>>,
    current_line: i64,
) -> Info<'gc> {
    let p = &cl.proto.proto;
    Info {
        source: p.source.clone(),
        short_src: cl.proto.chunk_id.to_string(),
        what: if p.line_defined == 0 { "main" } else { "Lua" },
        line_defined: p.line_defined as i64,
        last_line_defined: p.last_line_defined as i64,
        current_line,
        name: None,
        nups: cl.upvalues.len() as i64,
        nparams: p.num_params as i64,
        is_vararg: p.is_vararg,
        is_tail: false,
        transfer: (0, 0),
        func,
        lines: Some(p.lines.clone()),
    }
}

/// The name the caller of `levels[i]` gives it.
fn level_name<'gc>(
    ctx: Context<'gc>,
    levels: &[Level<'gc>],
    i: usize,
) -> Option<(&'static str, String)> {
    let calling_frame = match levels[i] {
        Level::Lua { entry, index } => {
            let v = view(entry, index)?;
            if v.tail || entry.borrow().frames[index].pcall_want != NOT_PROTECTED {
                return None;
            }
            if index > 0 {
                view(entry, index - 1)?
            } else {
                // The entry's first frame: named by the entry below when
                // that one called it directly.
                if DebugState::get(ctx).0.borrow().finalizing
                    && !levels[i + 1..]
                        .iter()
                        .any(|l| matches!(l, Level::Lua { .. }))
                {
                    return Some(("metamethod", "__gc".into()));
                }
                match levels.get(i + 1)? {
                    Level::Lua {
                        entry: below,
                        index,
                    } => {
                        let st = below.borrow();
                        if st.hook_call {
                            return Some(("hook", "?".into()));
                        }
                        drop(st);
                        view(*below, *index)?
                    }
                    Level::C { .. } => return None,
                }
            }
        }
        Level::C { caller, func } => {
            let func = func?;
            let (entry, n) = caller?;
            let st = entry.borrow();
            if st.hook_call && st.callee == Some(func) && n + 1 == st.frames.len() {
                return Some(("hook", "?".into()));
            }
            drop(st);
            view(entry, n)?
        }
    };
    // Called by a library function written in Lua: called from C, unnamed.
    if calling_frame.closure.proto.library {
        return None;
    }
    funcnamefromcode(&calling_frame.closure.proto.proto, calling_frame.pc)
}

/// `debug.getinfo` of `levels[i]`.
pub(crate) fn level_info<'gc>(
    ctx: Context<'gc>,
    levels: &[Level<'gc>],
    i: usize,
) -> Option<Info<'gc>> {
    let level = levels.get(i)?;
    let mut info = match *level {
        Level::Lua { entry, index } => {
            let v = view(entry, index)?;
            let line = v.closure.proto.proto.line_at(v.pc);
            // (A closure of this core is its function value.)
            let f = Some(v.closure.function());
            let mut info = closure_info(v.closure, f, line);
            info.is_tail = v.tail;
            let st = entry.borrow();
            if st.hook_call && st.c_pending.is_none() && index + 1 == st.frames.len() {
                info.transfer = st.transfer;
            }
            info
        }
        Level::C { func, caller } => {
            let mut info = c_info(func);
            if let (Some(f), Some((entry, n))) = (func, caller) {
                let st = entry.borrow();
                if st.c_pending == Some(f) && n + 1 == st.frames.len() {
                    info.transfer = st.transfer;
                }
            }
            info
        }
    };
    info.name = level_name(ctx, levels, i);
    Some(info)
}

/// `chunk:line:` of level `i`, when it is a Lua frame (`luaL_where`).
pub(crate) fn level_where(levels: &[Level<'_>], i: usize) -> Option<(Rc<str>, i64)> {
    let Level::Lua { entry, index } = *levels.get(i)? else {
        return None;
    };
    let v = view(entry, index)?;
    let line = v.closure.proto.proto.line_at(v.pc);
    Some((v.closure.proto.chunk_id.clone(), line))
}

/// `chunk:line:` of stack level `level` of the running thread.
pub fn where_at<'gc>(
    ctx: Context<'gc>,
    thread: Thread<'gc>,
    level: usize,
) -> Option<(Rc<str>, i64)> {
    let levels = stack_levels(ctx, thread, true, false);
    level_where(&levels, level)
}

/// The global name of `f` (PUC's `pushglobalfuncname`): `name` for a
/// field of `_G`, `mod.name` for a field of another loaded module.
fn global_name<'gc>(ctx: Context<'gc>, f: Function<'gc>) -> Option<String> {
    let target = Value::Function(f);
    let loaded = match ctx.globals().get(ctx, "package") {
        Value::Table(pkg) => match pkg.get(ctx, "loaded") {
            Value::Table(l) => Some(l),
            _ => None,
        },
        _ => None,
    };
    let search = |t: Table<'gc>| -> Option<String> {
        for (k, v) in t.iter() {
            if raw_equal(v, target) {
                if let Value::String(s) = k {
                    return Some(s.to_str_lossy().into_owned());
                }
            }
        }
        None
    };
    if let Some(loaded) = loaded {
        let mut found: Option<String> = None;
        for (k, v) in loaded.iter() {
            let (Value::String(m), Value::Table(t)) = (k, v) else {
                continue;
            };
            if let Some(name) = search(t) {
                let m = m.to_str_lossy();
                let full = if m == "_G" {
                    name
                } else {
                    format!("{m}.{name}")
                };
                // Prefer the `_G` name, as PUC's does after stripping "_G.".
                if found.is_none() || m == "_G" {
                    found = Some(full);
                }
            }
        }
        return found;
    }
    search(ctx.globals())
}

/// One traceback line's description (PUC's `pushfuncname`).
fn describe<'gc>(ctx: Context<'gc>, info: &Info<'gc>) -> String {
    if let Some(name) = info.func.and_then(|f| global_name(ctx, f)) {
        return format!("function '{name}'");
    }
    if let Some((what, name)) = &info.name {
        return format!("{what} '{name}'");
    }
    match info.what {
        "main" => "main chunk".to_string(),
        "C" => "?".to_string(),
        _ => format!("function <{}:{}>", info.short_src, info.line_defined),
    }
}

/// PUC's `luaL_traceback` text from `level` on (without the message).
pub(crate) fn traceback_text<'gc>(
    ctx: Context<'gc>,
    levels: &[Level<'gc>],
    level: usize,
) -> String {
    const LEVELS1: i64 = 10;
    const LEVELS2: i64 = 11;
    let mut out = String::from("stack traceback:");
    let last = levels.len() as i64 - 1;
    let mut level = level as i64;
    let mut limit2show = if last - level > LEVELS1 + LEVELS2 {
        LEVELS1
    } else {
        -1
    };
    while level >= 0 && (level as usize) < levels.len() {
        let cur = level as usize;
        level += 1;
        if limit2show == 0 {
            limit2show -= 1;
            let n = last - level - LEVELS2 + 1;
            out.push_str(&format!("\n\t...\t(skipping {n} levels)"));
            level += n;
            continue;
        }
        limit2show -= 1;
        let Some(info) = level_info(ctx, levels, cur) else {
            break;
        };
        if info.current_line <= 0 {
            out.push_str(&format!("\n\t{}: in ", info.short_src));
        } else {
            out.push_str(&format!(
                "\n\t{}:{}: in ",
                info.short_src, info.current_line
            ));
        }
        out.push_str(&describe(ctx, &info));
        if info.is_tail {
            out.push_str("\n\t(...tail calls...)");
        }
    }
    out
}

/// `(name, value)` of local `n` of level `i` (`debug.getlocal`).
pub(crate) fn get_local<'gc>(
    levels: &[Level<'gc>],
    i: usize,
    n: i64,
) -> Option<(String, Value<'gc>)> {
    if let Some(v) = c_local(levels, i, n) {
        return Some(("(C temporary)".into(), v));
    }
    let (name, slot, regs) = local_slot(levels, i, n)?;
    let v = regs
        .try_borrow()
        .ok()
        .and_then(|r| r.get(slot).copied())
        .unwrap_or_default();
    Some((name, v))
}

/// Sets local `n` of level `i`; its name (`debug.setlocal`).
pub(crate) fn set_local<'gc>(
    mc: &Mutation<'gc>,
    levels: &[Level<'gc>],
    i: usize,
    n: i64,
    v: Value<'gc>,
) -> Option<String> {
    let (name, slot, regs) = local_slot(levels, i, n)?;
    let mut r = regs.try_borrow_mut(mc).ok()?;
    *r.get_mut(slot)? = v;
    Some(name)
}

/// Local `n` of a `[C]` level whose call or return a hook reports: the
/// arguments or results, as `(C temporary)`.
fn c_local<'gc>(levels: &[Level<'gc>], i: usize, n: i64) -> Option<Value<'gc>> {
    let Level::C {
        func: Some(f),
        caller: Some((entry, top)),
    } = *levels.get(i)?
    else {
        return None;
    };
    let st = entry.borrow();
    if st.c_pending != Some(f) || top + 1 != st.frames.len() || n < 1 {
        return None;
    }
    st.c_values.get(n as usize - 1).copied()
}

fn local_slot<'gc>(
    levels: &[Level<'gc>],
    i: usize,
    n: i64,
) -> Option<(String, usize, RegStack<'gc>)> {
    let Level::Lua { entry, index } = *levels.get(i)? else {
        return None;
    };
    let v = view(entry, index)?;
    let regs = v.regs?;
    let p = &v.closure.proto.proto;
    if n < 0 {
        let k = n.unsigned_abs() as usize;
        if !p.is_vararg || k > v.nvarargs {
            return None;
        }
        return Some(("(vararg)".into(), v.base - v.nvarargs + k - 1, regs));
    }
    if n == 0 {
        return None;
    }
    let n = n as usize;
    let name = match p.local_name(n, v.pc) {
        Some(name) => name.to_string(),
        None => {
            if v.limit.saturating_sub(v.base) >= n {
                "(temporary)".to_string()
            } else {
                return None;
            }
        }
    };
    Some((name, v.base + n - 1, regs))
}

/// Called where an error is raised (frames still in place, in the top
/// entry of `thread`): keeps copies of the frames for an `xpcall` message
/// handler when `xpcall` is the nearest catcher, and records the traceback
/// when the error goes to the host (the main thread, no catcher below).
/// `running`: the register stack of the entry raising it, when that is
/// borrowed by its loop, and its contents.
pub(crate) fn capture_traceback<'gc>(
    ctx: Context<'gc>,
    registry: Registry<'gc>,
    dbg: DebugState<'gc>,
    thread: Thread<'gc>,
    is_main: bool,
    error: Value<'gc>,
    running: Option<(RegStack<'gc>, &[Value<'gc>])>,
) {
    // The nearest catcher below the top entry (no allocation for `pcall`).
    let catcher = registry.find_entry(&ctx, thread, |i, e| {
        if i == 0 {
            return None;
        }
        let st = e.borrow();
        match st.callee.map_or(0, |f| dbg.catcher(f)) {
            0 if st.frames.iter().any(|f| f.pcall_want != NOT_PROTECTED) => Some((i, e, 1)),
            0 => None,
            kind => Some((i, e, kind)),
        }
    });
    if let Some((i, anchor, kind)) = catcher {
        if kind == 2 {
            let entries = registry.entries(&ctx, thread);
            // The same error met again on its way (leaving a library
            // function that ran an entry of ours, a `sort` comparator):
            // the first copies have the frames it was raised in.
            let seen = matches!(&dbg.0.borrow().ghost,
                Some((a, v, _)) if Gc::ptr_eq(*a, anchor) && raw_equal(*v, error));
            if !seen {
                let ghosts = copies(ctx, &entries[..i.min(entries.len())], running);
                dbg.0.borrow_mut(&ctx).ghost = Some((anchor, error, ghosts));
            }
        }
        return;
    }
    let entries = registry.entries(&ctx, thread);
    if !is_main {
        // Unless code below catches it, the error kills the coroutine: its
        // frames stay visible (the first entry to see the error records
        // them, with the most frames).
        let weak = Gc::downgrade(thread.into_inner());
        let mut inner = dbg.0.borrow_mut(&ctx);
        let known = inner
            .dead
            .iter()
            .any(|(t, v, _)| GcWeak::ptr_eq(*t, weak) && raw_equal(*v, error));
        if !known {
            inner
                .dead
                .retain(|(t, _, _)| !GcWeak::ptr_eq(*t, weak) && t.upgrade(&ctx).is_some());
            drop(inner);
            let frames = copies(ctx, &entries, running);
            dbg.0.borrow_mut(&ctx).dead.push((weak, error, frames));
        }
        return;
    }
    if let Some((v, _)) = &dbg.0.borrow().traceback {
        if raw_equal(*v, error) {
            return;
        }
    }
    let mut levels = Vec::new();
    push_entries(ctx, &mut levels, &entries);
    levels.push(Level::C {
        func: None,
        caller: None,
    });
    let text = traceback_text(ctx, &levels, 0);
    dbg.0.borrow_mut(&ctx).traceback = Some((error, text));
}

/// The frames of `thread` if it died by an error (see `DebugInner::dead`),
/// else `None`. `coroutine.close` forgets them ([`forget_dead`]).
fn dead_frames<'gc>(ctx: Context<'gc>, thread: Thread<'gc>) -> Option<Vec<Entry<'gc>>> {
    if matches!(
        thread.mode(),
        piccolo::ThreadMode::Suspended | piccolo::ThreadMode::Running | piccolo::ThreadMode::Normal
    ) {
        return None;
    }
    let weak = Gc::downgrade(thread.into_inner());
    let inner = DebugState::get(ctx).0;
    let inner = inner.borrow();
    inner
        .dead
        .iter()
        .find(|(t, _, _)| GcWeak::ptr_eq(*t, weak))
        .map(|(_, _, frames)| frames.clone())
}

/// Records whether the runtime is running `__gc` finalizers: the
/// outermost Lua function then is named as PUC Lua names a finalizer
/// (`metamethod '__gc'`).
pub fn set_finalizing(ctx: Context<'_>, on: bool) {
    let dbg = DebugState::get(ctx);
    if dbg.0.borrow().finalizing != on {
        dbg.0.borrow_mut(&ctx).finalizing = on;
    }
}

/// Whether `__gc` finalizers are running ([`set_finalizing`]).
pub fn is_finalizing(ctx: Context<'_>) -> bool {
    DebugState::get(ctx).0.borrow().finalizing
}

/// Forgets the frames kept for `thread` (`coroutine.close`).
pub fn forget_dead<'gc>(ctx: Context<'gc>, thread: Thread<'gc>) {
    let dbg = DebugState::get(ctx);
    let weak = Gc::downgrade(thread.into_inner());
    if dbg
        .0
        .borrow()
        .dead
        .iter()
        .any(|(t, _, _)| GcWeak::ptr_eq(*t, weak))
    {
        dbg.0
            .borrow_mut(&ctx)
            .dead
            .retain(|(t, _, _)| !GcWeak::ptr_eq(*t, weak));
    }
}

/// Most register slots an entry's copy takes with it ([`copies`]): beyond
/// that (a stack overflow) the copy shares the registers, which unwinding
/// empties, and the locals of its frames are gone.
const MAX_COPIED_REGS: usize = 1 << 16;

/// Copies of `entries` with their frames and registers, as they are now:
/// the unwinding that follows does not change them, so `debug.getlocal`
/// in an `xpcall` handler or on a dead coroutine sees the locals at the
/// error, as in PUC Lua. `running`: see [`capture_traceback`].
fn copies<'gc>(
    ctx: Context<'gc>,
    entries: &[Entry<'gc>],
    running: Option<(RegStack<'gc>, &[Value<'gc>])>,
) -> Vec<Entry<'gc>> {
    let snapshot = |regs: &[Value<'gc>]| {
        (regs.len() <= MAX_COPIED_REGS).then(|| {
            let mut copy = Regs::new_in(gc_arena::allocator_api::MetricsAlloc::new(&ctx));
            copy.extend_from_slice(regs);
            Gc::new(&ctx, RefLock::new(copy))
        })
    };
    entries
        .iter()
        .map(|g| {
            let st = g.borrow();
            let regs = st.regs.map(|r| {
                let copy = match running {
                    Some((live, values)) if Gc::ptr_eq(live, r) => snapshot(values),
                    _ => r.try_borrow().ok().and_then(|values| snapshot(&values)),
                };
                copy.unwrap_or(r)
            });
            Gc::new(
                &ctx,
                RefLock::new(EntryState {
                    frames: st.frames.clone(),
                    regs,
                    callee: st.callee,
                    hook_call: st.hook_call,
                    c_pending: st.c_pending,
                    unwinding: st.unwinding,
                    closing: st.closing,
                    transfer: st.transfer,
                    c_values: st.c_values.clone(),
                }),
            )
        })
        .collect()
}

/// The traceback recorded for `error` on its way out, if any (taken).
pub fn take_traceback<'gc>(ctx: Context<'gc>, error: &piccolo::Error<'gc>) -> Option<String> {
    let dbg = DebugState::get(ctx);
    let (v, text) = dbg.0.borrow_mut(&ctx).traceback.take()?;
    let ev = crate::stdlib::check::error_value(ctx, error);
    raw_equal(v, ev).then_some(text)
}
