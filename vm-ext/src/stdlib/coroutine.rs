//! The `coroutine` library over piccolo's threads, with Lua 5.4's statuses
//! and messages. Known gap: `coroutine.close` on a coroutine that died with
//! an error returns `true` (piccolo hands the error to the resumer and keeps
//! no copy), and there are no to-be-closed variables to close.

use gc_arena::Collect;
use piccolo::{
    BoxSequence, Callback, CallbackReturn, Context, Error, Execution, Sequence, SequencePoll,
    Stack, Table, Thread, ThreadMode, Value,
};

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
fn resume_problem(thread: Thread<'_>) -> Option<&'static str> {
    match thread.mode() {
        ThreadMode::Suspended => None,
        ThreadMode::Stopped => Some("cannot resume dead coroutine"),
        _ => Some("cannot resume non-suspended coroutine"),
    }
}

fn with_position<'gc>(ctx: Context<'gc>, exec: &Execution<'gc, '_>, err: Value<'gc>) -> Error<'gc> {
    match err {
        Value::String(s) => {
            let mut msg = caller_position(exec);
            msg.extend_from_slice(s.as_bytes());
            lua_error(ctx, msg)
        }
        v => v.into(),
    }
}

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

/// Installs the `coroutine` library.
pub fn load_coroutine<'gc>(ctx: Context<'gc>) {
    let co = Table::new(&ctx);

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

    co.set(
        ctx,
        "resume",
        Callback::from_fn(&ctx, |ctx, _, mut stack| {
            let thread = check_thread(ctx, &stack, "resume")?;
            if let Some(msg) = resume_problem(thread) {
                stack.replace(ctx, (false, ctx.intern_static(msg.as_bytes())));
                return Ok(CallbackReturn::Return);
            }
            stack.pop_front();
            Ok(CallbackReturn::Resume {
                thread,
                then: Some(BoxSequence::new(&ctx, super::base::PCall)),
            })
        }),
    )
    .unwrap();

    co.set(
        ctx,
        "wrap",
        Callback::from_fn(&ctx, |ctx, _, mut stack| {
            let f = check_function(ctx, &stack, 1, "wrap")?;
            let thread = Thread::new(ctx);
            thread
                .start_suspended(&ctx, f)
                .map_err(|e| lua_error(ctx, e.to_string()))?;
            let wrapped = Callback::from_fn_with(&ctx, thread, |thread, ctx, exec, _| {
                if let Some(msg) = resume_problem(*thread) {
                    let v = Value::String(ctx.intern_static(msg.as_bytes()));
                    return Err(with_position(ctx, &exec, v));
                }
                Ok(CallbackReturn::Resume {
                    thread: *thread,
                    then: Some(BoxSequence::new(&ctx, WrapSeq)),
                })
            });
            stack.replace(ctx, wrapped);
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    co.set(
        ctx,
        "yield",
        Callback::from_fn(&ctx, |ctx, exec, _| {
            if exec.current_thread().is_main {
                return Err(lua_error(ctx, "attempt to yield from outside a coroutine"));
            }
            Ok(CallbackReturn::Yield {
                to_thread: None,
                then: None,
            })
        }),
    )
    .unwrap();

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
                Value::Thread(t) => !(current.is_main && t == current.thread),
                Value::Nil if stack.is_empty() => !current.is_main,
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
        Callback::from_fn(&ctx, |ctx, _, mut stack| {
            let thread = check_thread(ctx, &stack, "close")?;
            match thread.mode() {
                ThreadMode::Suspended | ThreadMode::Result => {
                    thread
                        .reset(&ctx)
                        .map_err(|e| lua_error(ctx, e.to_string()))?;
                    stack.replace(ctx, true);
                }
                ThreadMode::Stopped => stack.replace(ctx, true),
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
