//! `__gc` finalizers (Lua 5.4 manual §2.5.3), on the vendored piccolo's
//! finalization queue (`vendor/piccolo/PATCHES.md`, patch 7).
//!
//! `setmetatable` and `debug.setmetatable` with a metatable that has a
//! `__gc` field mark the object for finalization (a `__gc` added to the
//! metatable later does not, as in Lua). A collection that finds a marked
//! object unreachable keeps it, and everything it refers to, alive and
//! queues it. Between slices the runtime ([`crate::runtime`]) takes the
//! queue and runs the `__gc` metamethods on an executor of their own, to
//! completion before the script goes on — PUC Lua also calls them between
//! instructions of the running code — the most recently marked object
//! first. An error in a finalizer becomes the warning
//! `error in __gc (message)` (shown once warnings are on, `warn("@on")`);
//! a finalizer cannot yield. An object is finalized once unless its
//! metatable is set again; it is freed by a later collection once nothing
//! refers to it.
//!
//! Weak values found dead are cleared before the objects are resurrected
//! for their finalizers (see [`crate::weak`]). At the end, as `lua_close`
//! does, [`crate::Runtime::close_finalizers`] finalizes every object still
//! marked, reachable or not.

use gc_arena::{
    lock::{Lock, RefLock},
    Collect, Gc, Rootable,
};
use piccolo::{
    meta_ops, BoxSequence, Callback, CallbackReturn, Context, Error, Execution, Executor, Fuel,
    Function, Sequence, SequencePoll, Singleton, Stack, StashedExecutor, Table, Value,
};

/// Marks `v` for finalization when `mt` (its new metatable) has `__gc`.
pub fn note_metatable<'gc>(ctx: Context<'gc>, v: Value<'gc>, mt: Option<Table<'gc>>) {
    if let Some(mt) = mt {
        note_gc_metatable(ctx, &crate::weak::shared(ctx), v, mt);
    }
}

/// [`note_metatable`] with the shared weak-table state at hand
/// (`setmetatable`'s path).
#[inline]
pub(crate) fn note_gc_metatable<'gc>(
    ctx: Context<'gc>,
    sh: &crate::weak::Shared<'gc>,
    v: Value<'gc>,
    mt: Table<'gc>,
) {
    if !mt.get_value(Value::String(sh.gc_name())).is_nil()
        && ctx.finalizers().register_object(&ctx, v)
    {
        sh.note_finalizer();
    }
}

/// Whether unreachable objects wait for their finalizers.
pub fn pending(ctx: Context<'_>) -> bool {
    ctx.finalizers().has_pending()
}

/// Runs queued finalizers for `fuel`: on `running` (the runtime's
/// finalizer executor, started here when objects wait and it is idle).
/// Returns whether there were finalizers to run; `running` is emptied
/// once they all ran.
pub fn step_pending<'gc>(
    ctx: Context<'gc>,
    running: &mut Option<StashedExecutor>,
    fuel: &mut Fuel,
) -> bool {
    if running.is_none() && pending(ctx) {
        *running = runner(ctx).map(|e| ctx.stash(e));
    }
    let Some(fin) = running.as_ref() else {
        return false;
    };
    crate::interp::frames::set_finalizing(ctx, true);
    if ctx.fetch(fin).step(ctx, fuel) {
        *running = None;
    }
    crate::interp::frames::set_finalizing(ctx, false);
    true
}

/// An executor that runs the finalizers of the objects waiting for them
/// (see the module documentation), or `None` when none wait.
pub fn runner<'gc>(ctx: Context<'gc>) -> Option<Executor<'gc>> {
    let mut objects = ctx.finalizers().take_pending(&ctx);
    if objects.is_empty() {
        return None;
    }
    // Popped from the end: the first to run last.
    objects.reverse();
    let warn = ctx.singleton::<Rootable![WarnFn<'_>]>().0.get();
    let seq = RunFinalizers {
        objects,
        warn,
        failed: None,
    };
    let seq = Gc::new(&ctx, RefLock::new(Some(seq)));
    let start = Callback::from_fn_with(&ctx, seq, |seq, ctx, _, _| {
        match seq.borrow_mut(&ctx).take() {
            Some(seq) => Ok(CallbackReturn::Sequence(BoxSequence::new(&ctx, seq))),
            None => Ok(CallbackReturn::Return),
        }
    });
    Some(Executor::start(ctx, Function::Callback(start), ()))
}

/// Remembers the base library's `warn`, which finalizer errors go to.
pub fn set_warn<'gc>(ctx: Context<'gc>, warn: Value<'gc>) {
    if let Value::Function(f) = warn {
        ctx.singleton::<Rootable![WarnFn<'_>]>()
            .0
            .set(&ctx, Some(f));
    }
}

#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
struct WarnFn<'gc>(Gc<'gc, Lock<Option<Function<'gc>>>>);

impl<'gc> Singleton<'gc> for WarnFn<'gc> {
    fn create(ctx: Context<'gc>) -> Self {
        WarnFn(Gc::new(&ctx, Lock::new(None)))
    }
}

/// Calls each object's `__gc` in turn; errors become warnings.
#[derive(Collect)]
#[collect(no_drop)]
struct RunFinalizers<'gc> {
    /// Objects left, the next last.
    objects: Vec<Value<'gc>>,
    warn: Option<Function<'gc>>,
    /// Why the last finalizer failed: warned about before the next one.
    #[collect(require_static)]
    failed: Option<Vec<u8>>,
}

impl<'gc> Sequence<'gc> for RunFinalizers<'gc> {
    fn poll(
        &mut self,
        ctx: Context<'gc>,
        _exec: Execution<'gc, '_>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        stack.clear();
        loop {
            if let (Some(cause), Some(warn)) = (self.failed.take(), self.warn) {
                let mut text = b"error in __gc (".to_vec();
                text.extend_from_slice(&cause);
                text.push(b')');
                stack.push_back(Value::String(ctx.intern(&text)));
                return Ok(SequencePoll::Call {
                    function: warn,
                    is_tail: false,
                });
            }
            let Some(obj) = self.objects.pop() else {
                return Ok(SequencePoll::Return);
            };
            let gc = match obj {
                Value::Table(t) => t.metatable(),
                Value::UserData(u) => u.metatable(),
                _ => None,
            }
            .map_or(Value::Nil, |mt| mt.get(ctx, "__gc"));
            if gc.is_nil() {
                continue;
            }
            match meta_ops::call(ctx, gc) {
                Ok(function) => {
                    stack.push_back(obj);
                    return Ok(SequencePoll::Call {
                        function,
                        is_tail: false,
                    });
                }
                Err(_) => {
                    let kind = crate::stdlib::string::type_name(ctx, gc);
                    self.failed = Some(format!("attempt to call a {kind} value").into_bytes());
                }
            }
        }
    }

    fn error(
        &mut self,
        ctx: Context<'gc>,
        exec: Execution<'gc, '_>,
        error: Error<'gc>,
        stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        self.failed = Some(match crate::stdlib::check::error_value(ctx, &error) {
            Value::String(s) => s.as_bytes().to_vec(),
            _ => b"error object is not a string".to_vec(),
        });
        self.poll(ctx, exec, stack)
    }
}
