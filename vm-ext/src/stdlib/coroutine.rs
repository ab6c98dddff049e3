//! The `coroutine` library over piccolo's threads, with Lua 5.4's statuses
//! and messages. piccolo hands a coroutine's error to its resumer and keeps
//! no copy, so `resume` records it (see [`DeadErrors`]) for
//! `coroutine.close` to return. Known gap: there are no to-be-closed
//! variables to close.

use gc_arena::{lock::RefLock, Collect, Gc, GcWeak, Rootable};
use piccolo::{
    thread::ThreadInner, BoxSequence, Callback, CallbackReturn, Context, Error, Execution,
    Sequence, SequencePoll, Singleton, Stack, Table, Thread, ThreadMode, Value,
};

use crate::interp::{Registry, Switch};

use super::{
    check::{caller_position, check_function, error_value, type_error},
    lua_error,
};

fn check_thread<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    fname: &str,
) -> Result<Thread<'gc>, Error<'gc>> {
    match stack.get(0) {
        Value::Thread(t) => Ok(t),
        _ => Err(type_error(ctx, stack, 1, fname, "thread")),
    }
}

fn status_name(mode: ThreadMode) -> &'static str {
    match mode {
        ThreadMode::Stopped => "dead",
        ThreadMode::Running => "running",
        ThreadMode::Normal | ThreadMode::Waiting => "normal",
        ThreadMode::Suspended | ThreadMode::Result => "suspended",
    }
}

/// Why `thread` cannot be resumed, if it cannot.
/// How deep coroutines may resume one another (PUC Lua counts resumes
/// against its C-stack limit, `LUAI_MAXCCALLS`, 200).
const MAX_NESTED_RESUMES: usize = 200;

/// Why `thread` cannot be resumed from an execution `depth` threads deep.
fn resume_problem(thread: Thread<'_>, depth: usize) -> Option<&'static str> {
    match thread.mode() {
        ThreadMode::Suspended if depth >= MAX_NESTED_RESUMES => Some("C stack overflow"),
        ThreadMode::Suspended => None,
        ThreadMode::Stopped => Some("cannot resume dead coroutine"),
        _ => Some("cannot resume non-suspended coroutine"),
    }
}

fn with_position<'gc>(ctx: Context<'gc>, exec: &Execution<'gc, '_>, err: Value<'gc>) -> Error<'gc> {
    match err {
        Value::String(s) => {
            let mut msg = caller_position(ctx, exec);
            msg.extend_from_slice(s.as_bytes());
            lua_error(ctx, msg)
        }
        v => v.into(),
    }
}

/// The error each coroutine that died with one raised, until
/// `coroutine.close` takes it. Threads are held weakly; entries of collected
/// threads are dropped whenever a new error is recorded. (An error value
/// that refers to its own coroutine keeps that coroutine alive until
/// `close` is called on it.)
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
struct DeadErrors<'gc>(Gc<'gc, RefLock<Vec<DeadError<'gc>>>>);

/// A dead coroutine (held weakly) and the error it died with.
type DeadError<'gc> = (GcWeak<'gc, ThreadInner<'gc>>, Value<'gc>);

impl<'gc> Singleton<'gc> for DeadErrors<'gc> {
    fn create(ctx: Context<'gc>) -> Self {
        DeadErrors(Gc::new(&ctx, RefLock::new(Vec::new())))
    }
}

fn dead_errors<'gc>(ctx: Context<'gc>) -> DeadErrors<'gc> {
    *ctx.singleton::<Rootable![DeadErrors<'_>]>()
}

/// Remembers `err` as the error `thread` died with (if it is dead).
fn record_death<'gc>(ctx: Context<'gc>, thread: Thread<'gc>, err: Value<'gc>) {
    if thread.mode() != ThreadMode::Stopped {
        return;
    }
    let weak = Gc::downgrade(thread.into_inner());
    let mut list = dead_errors(ctx).0.borrow_mut(&ctx);
    list.retain(|(w, _)| w.upgrade(&ctx).is_some() && !GcWeak::ptr_eq(*w, weak));
    list.push((weak, err));
}

/// Takes the error `thread` died with, if one was recorded.
fn take_death<'gc>(ctx: Context<'gc>, thread: Thread<'gc>) -> Option<Value<'gc>> {
    let weak = Gc::downgrade(thread.into_inner());
    let mut list = dead_errors(ctx).0.borrow_mut(&ctx);
    let i = list.iter().position(|(w, _)| GcWeak::ptr_eq(*w, weak))?;
    Some(list.swap_remove(i).1)
}

/// `coroutine.resume`'s continuation: `true` and the results, or `false`
/// and the error, which is also recorded for `coroutine.close`.
#[derive(Collect)]
#[collect(no_drop)]
struct ResumeSeq<'gc>(Thread<'gc>);

impl<'gc> Sequence<'gc> for ResumeSeq<'gc> {
    fn poll(
        &mut self,
        _ctx: Context<'gc>,
        _exec: Execution<'gc, '_>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        stack.push_front(Value::Boolean(true));
        Ok(SequencePoll::Return)
    }

    fn error(
        &mut self,
        ctx: Context<'gc>,
        _exec: Execution<'gc, '_>,
        error: Error<'gc>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        let err = error_value(ctx, &error);
        record_death(ctx, self.0, err);
        stack.replace(ctx, (false, err));
        Ok(SequencePoll::Return)
    }
}

/// `coroutine.close`'s continuation for a coroutine suspended in code of
/// the own core: `true` once its `__close` handlers ran, or `false` and
/// the error one of them raised.
#[derive(Collect)]
#[collect(no_drop)]
struct CloseSeq<'gc>(Thread<'gc>);

impl<'gc> Sequence<'gc> for CloseSeq<'gc> {
    fn poll(
        &mut self,
        ctx: Context<'gc>,
        _exec: Execution<'gc, '_>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        crate::interp::end_close(ctx, self.0);
        stack.replace(ctx, true);
        Ok(SequencePoll::Return)
    }

    fn error(
        &mut self,
        ctx: Context<'gc>,
        _exec: Execution<'gc, '_>,
        error: Error<'gc>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        crate::interp::end_close(ctx, self.0);
        if crate::interp::is_close_signal(&error) {
            stack.replace(ctx, true);
        } else {
            stack.replace(ctx, (false, error_value(ctx, &error)));
        }
        Ok(SequencePoll::Return)
    }
}

/// `coroutine.wrap`'s continuation. A failing coroutine is closed, as
/// Lua 5.4's `auxwrap` does, so its error is not kept for `close`.
#[derive(Collect)]
#[collect(require_static)]
struct WrapSeq;

impl<'gc> Sequence<'gc> for WrapSeq {
    fn poll(
        &mut self,
        _ctx: Context<'gc>,
        _exec: Execution<'gc, '_>,
        _stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        Ok(SequencePoll::Return)
    }

    fn error(
        &mut self,
        ctx: Context<'gc>,
        exec: Execution<'gc, '_>,
        error: Error<'gc>,
        _stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        Err(with_position(ctx, &exec, error_value(ctx, &error)))
    }
}

/// The root of a `coroutine.wrap` function, which [`resume_in_place`]
/// knows it by.
#[derive(Collect)]
#[collect(no_drop)]
struct WrapRoot<'gc> {
    thread: Thread<'gc>,
    site: crate::interp::CallSite<'gc>,
    /// What `debug.getupvalue` shows of the function: the coroutine, as
    /// PUC Lua's C closure has it (the registry holds this weakly).
    upvalues: crate::interp::native::Upvalues<'gc>,
}

/// Makes the call of `cb` (`coroutine.resume` or a `coroutine.wrap`
/// function; its arguments on `stack`) in place when the coroutine is
/// suspended in a yield of code of the own core (no hooks): the coroutine
/// runs from here, and when it yields again `stack` holds the call's
/// results (`true` first for `resume`) and true is returned. Otherwise the
/// call is left to the executor (false, `stack` unchanged); a coroutine
/// that ran but did something other than yield (called a library function
/// that needs the executor, returned, raised, ran out of fuel) replays
/// that at the executor's resume, which follows at once.
pub(crate) fn resume_in_place<'gc>(
    ctx: Context<'gc>,
    exec: &mut Execution<'gc, '_>,
    registry: Registry<'gc>,
    site: crate::interp::CallSite<'gc>,
    cb: Callback<'gc>,
    stack: &mut Stack<'gc, '_>,
) -> bool {
    let (thread, skip, prefix) = if let Some(root) = cb.rooted::<Rootable![WrapRoot<'_>]>() {
        (root.thread, 0, None)
    } else if registry.switch(cb) == Some(Switch::Resume) {
        let Value::Thread(thread) = stack.get(0) else {
            return false;
        };
        (thread, 1, Some(Value::Boolean(true)))
    } else {
        return false;
    };
    // (A resume that fails is the call's to report.)
    if resume_problem(thread, exec.thread_depth()).is_some() || !exec.fuel().should_continue() {
        return false;
    }
    // What the call does before resuming.
    site.set(&ctx, [None, None]);
    exec.fuel().consume(FUEL_PER_RESUME);
    // (A coroutine that has not started yet is started in place when its
    // function is a closure of the own core.)
    thread.resume_in_place(ctx, exec.reborrow(), stack, skip, prefix)
        || thread.start_in_place(ctx, exec.reborrow(), stack, skip, prefix, |f, args| {
            crate::interp::begin_coroutine(ctx, thread, f, args)
        })
}

/// Fuel a resume made in place costs (the executor's steps it saves cost
/// about as much).
const FUEL_PER_RESUME: i32 = 8;

/// Installs the `coroutine` library.
pub fn load_coroutine<'gc>(ctx: Context<'gc>) {
    let co = Table::new(&ctx);
    let site = crate::interp::CallSite::get(ctx);

    co.set(
        ctx,
        "create",
        Callback::from_fn(&ctx, |ctx, _, mut stack| {
            let f = check_function(ctx, &stack, 1, "create")?;
            let thread = Thread::new(ctx);
            thread
                .start_suspended(&ctx, f)
                .map_err(|e| lua_error(ctx, e.to_string()))?;
            stack.replace(ctx, thread);
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    let resume = Callback::from_fn_with(&ctx, site, |site, ctx, exec, mut stack| {
        let thread = check_thread(ctx, &stack, "resume")?;
        if let Some(msg) = resume_problem(thread, exec.thread_depth()) {
            stack.replace(ctx, (false, ctx.intern_static(msg.as_bytes())));
            return Ok(CallbackReturn::Return);
        }
        stack.pop_front();
        site.set(&ctx, [None, None]);
        Ok(CallbackReturn::Resume {
            thread,
            then: Some(BoxSequence::new(&ctx, ResumeSeq(thread))),
        })
    });
    crate::interp::native::register_switch(ctx, resume, Switch::Resume);
    co.set(ctx, "resume", resume).unwrap();

    co.set(
        ctx,
        "wrap",
        Callback::from_fn_with(&ctx, site, |site, ctx, _, mut stack| {
            let f = check_function(ctx, &stack, 1, "wrap")?;
            let thread = Thread::new(ctx);
            thread
                .start_suspended(&ctx, f)
                .map_err(|e| lua_error(ctx, e.to_string()))?;
            // PUC Lua's function is a C closure over the coroutine.
            let upvalues = Gc::new(&ctx, RefLock::new([Value::Thread(thread)].into()));
            let root = WrapRoot {
                thread,
                site: *site,
                upvalues,
            };
            let wrapped = Callback::from_fn_rooted::<Rootable![WrapRoot<'_>], _>(
                &ctx,
                root,
                |WrapRoot { thread, site, .. }, ctx, exec, _| {
                    if let Some(msg) = resume_problem(*thread, exec.thread_depth()) {
                        let v = Value::String(ctx.intern_static(msg.as_bytes()));
                        return Err(with_position(ctx, &exec, v));
                    }
                    site.set(&ctx, [None, None]);
                    Ok(CallbackReturn::Resume {
                        thread: *thread,
                        then: Some(BoxSequence::new(&ctx, WrapSeq)),
                    })
                },
            );
            crate::interp::set_c_upvalues(ctx, wrapped, upvalues);
            stack.replace(ctx, wrapped);
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    // (The registry kept by the callback: looking it up, a singleton, was
    // 2 % of a resume/yield round trip.)
    let yield_ = Callback::from_fn_with(&ctx, Registry::get(ctx), |registry, ctx, exec, _| {
        let current = exec.current_thread();
        if current.is_main {
            return Err(lua_error(ctx, "attempt to yield from outside a coroutine"));
        }
        if !registry.yieldable(current.thread) {
            return Err(lua_error(ctx, "attempt to yield across a C-call boundary"));
        }
        Ok(CallbackReturn::Yield {
            to_thread: None,
            then: None,
        })
    });
    crate::interp::native::register_switch(ctx, yield_, Switch::Yield);
    co.set(ctx, "yield", yield_).unwrap();

    co.set(
        ctx,
        "status",
        Callback::from_fn(&ctx, |ctx, _, mut stack| {
            let thread = check_thread(ctx, &stack, "status")?;
            stack.replace(
                ctx,
                ctx.intern_static(status_name(thread.mode()).as_bytes()),
            );
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    co.set(
        ctx,
        "running",
        Callback::from_fn(&ctx, |ctx, exec, mut stack| {
            let current = exec.current_thread();
            stack.replace(ctx, (current.thread, current.is_main));
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    co.set(
        ctx,
        "isyieldable",
        Callback::from_fn(&ctx, |ctx, exec, mut stack| {
            let current = exec.current_thread();
            let yieldable = match stack.get(0) {
                Value::Thread(t) => {
                    !(current.is_main && t == current.thread) && crate::interp::yieldable(ctx, t)
                }
                Value::Nil if stack.is_empty() => {
                    !current.is_main && crate::interp::yieldable(ctx, current.thread)
                }
                _ => return Err(type_error(ctx, &stack, 1, "isyieldable", "thread")),
            };
            stack.replace(ctx, yieldable);
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    co.set(
        ctx,
        "close",
        Callback::from_fn(&ctx, |ctx, exec, mut stack| {
            let thread = check_thread(ctx, &stack, "close")?;
            // A closed coroutine has no stack left to show.
            crate::interp::frames::forget_dead(ctx, thread);
            if thread.mode() == ThreadMode::Suspended && exec.thread_depth() >= MAX_NESTED_RESUMES {
                // Its __close handlers would run too deep (PUC Lua's C
                // stack): the coroutine dies with the error.
                thread
                    .reset(&ctx)
                    .map_err(|e| lua_error(ctx, e.to_string()))?;
                stack.replace(ctx, (false, ctx.intern_static(b"C stack overflow")));
                return Ok(CallbackReturn::Return);
            }
            match thread.mode() {
                // Suspended inside code of the own core: resume it to run
                // its pending __close handlers.
                ThreadMode::Suspended if crate::interp::begin_close(ctx, thread) => {
                    stack.clear();
                    return Ok(CallbackReturn::Resume {
                        thread,
                        then: Some(BoxSequence::new(&ctx, CloseSeq(thread))),
                    });
                }
                ThreadMode::Suspended | ThreadMode::Result => {
                    thread
                        .reset(&ctx)
                        .map_err(|e| lua_error(ctx, e.to_string()))?;
                    stack.replace(ctx, true);
                }
                ThreadMode::Stopped => match take_death(ctx, thread) {
                    Some(err) => stack.replace(ctx, (false, err)),
                    None => stack.replace(ctx, true),
                },
                mode => {
                    return Err(lua_error(
                        ctx,
                        format!("cannot close a {} coroutine", status_name(mode)),
                    ))
                }
            }
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    let yield_fn = co.get(ctx, "yield");
    super::check::position_all(ctx, co);
    co.set(ctx, "yield", yield_fn).unwrap();
    ctx.set_global("coroutine", co).unwrap();
}

#[cfg(test)]
mod tests {
    use super::dead_errors;
    use crate::{Runtime, StepResult};

    #[test]
    fn records_of_collected_coroutines_are_dropped() {
        let mut rt = Runtime::new(Default::default());
        let src = b"for i = 1, 20000 do coroutine.resume(coroutine.create(error), i) end
            kept = coroutine.create(error)
            coroutine.resume(kept, 'kept')";
        rt.load(src, "many").unwrap();
        loop {
            match rt.step(2_000) {
                StepResult::Running => {}
                StepResult::Finished(_) => break,
                other => panic!("{other:?}"),
            }
        }
        let kept = rt.lua_mut().enter(|ctx| dead_errors(ctx).0.borrow().len());
        assert!((1..5_000).contains(&kept), "{kept} records kept");
        rt.load(
            b"local ok, e = coroutine.close(kept) assert(not ok and e == 'kept')",
            "close",
        )
        .unwrap();
        assert!(matches!(rt.run_to_end(|| false), StepResult::Finished(_)));
    }

    /// A `coroutine.wrap` function dropped while its coroutine is suspended
    /// is collected with the coroutine (the registry kept both for good
    /// while it held the function's upvalues strongly). (The luahome core
    /// only: on piccolo's, `collectgarbage()` inside a chunk collects
    /// nothing, weak tables included.)
    #[test]
    fn suspended_wrap_coroutines_are_collected() {
        {
            let mut rt = Runtime::new(Default::default());
            let src = b"local seen = setmetatable({}, {__mode = 'k'})
                for i = 1, 3000 do
                  local f = coroutine.wrap(function()
                    seen[coroutine.running()] = true
                    coroutine.yield(i)
                  end)
                  assert(f() == i)
                end
                local kept = coroutine.wrap(function()
                  seen[coroutine.running()] = true
                  coroutine.yield(0)
                end)
                kept()
                collectgarbage()
                collectgarbage()
                local n = 0
                for _ in pairs(seen) do n = n + 1 end
                assert(n == 1, n .. ' coroutines kept')
                local name, co = debug.getupvalue(kept, 1)
                assert(name == '' and seen[co])";
            rt.load(src, "wrap").unwrap();
            let r = rt.run_to_end(|| false);
            assert!(matches!(r, StepResult::Finished(_)), "{r:?}");
        }
    }
}
