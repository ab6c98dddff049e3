//! Library functions the interpreter calls directly ("own natives").
//!
//! Calling a piccolo callback needs an `Execution`, which only the
//! executor has, so a call from this core's code to a library function
//! normally leaves the interpreter loop, goes through the executor and comes
//! back (several hundred instructions). Library functions that do not need
//! the `Execution` are written as a [`NativeFn`] instead and registered:
//! piccolo's VM and other callers still see an ordinary callback, and the
//! interpreter calls the function in place, on its own stack.
//!
//! The interpreter calls natives in place both from call instructions and
//! where it would otherwise hand a call to the executor (metamethods,
//! `__close`, `__call` chains). A native runs while the calling entry's
//! register stack is borrowed, so it must not read the open upvalues of
//! running closures (storing a closure in `_home` does: its `__newindex`
//! is a native only for plain values and declines tables and functions).
//!
//! A [`NativeFn`] may return any [`CallbackReturn`]: the interpreter hands
//! anything but `Return` to the executor as it would have. One registered
//! with [`register_fast`] may also [`decline`] (before touching its
//! arguments): the interpreter then calls the full callback through the
//! executor.

use gc_arena::{lock::RefLock, Collect, Gc, Rootable};
use piccolo::{Callback, CallbackReturn, Context, Error, Fuel, Function, Stack, Value};

use super::{Kind, Registry};

/// A library function that needs no `Execution` but its fuel: work it
/// charges there is taken from the caller's slice.
pub type NativeFn =
    for<'gc> fn(Context<'gc>, &mut Fuel, Stack<'gc, '_>) -> Result<CallbackReturn<'gc>, Error<'gc>>;

/// `f` as a callback, registered so the interpreter calls it directly.
pub fn callback<'gc>(ctx: Context<'gc>, f: NativeFn) -> Callback<'gc> {
    let cb = Callback::from_fn_with(&ctx, (), move |_, ctx, mut exec, stack| {
        f(ctx, exec.fuel(), stack)
    });
    register_fast(ctx, cb, f, false);
    cb
}

/// A library function's one result from its arguments, with the context
/// to make a value (a string) but no fuel or `Execution`: `None` when it
/// needs more (a coercion, an error), and its native then runs. It may
/// change a table (`table.insert`), but only once it will not decline:
/// the call is then done. A function of no results gives nil.
pub type ArgsFn = for<'gc> fn(Context<'gc>, &[Value<'gc>]) -> Option<Value<'gc>>;

/// An [`ArgsFn`] and whether its function gives exactly one result
/// whenever the `ArgsFn` answers (`one`), or none (`table.insert`, whose
/// nil stands for no result). A call in tail position keeps all the
/// results, so only a function of one result is answered there.
#[derive(Clone, Copy)]
pub struct Answer {
    pub f: ArgsFn,
    pub one: bool,
}

/// `f` as a callback like [`callback`]'s, which the interpreter answers
/// with `a` when it can ([`ArgsFn`]; `f` gives one result).
pub fn with_args<'gc>(ctx: Context<'gc>, f: NativeFn, a: ArgsFn) -> Callback<'gc> {
    let cb = callback(ctx, f);
    register_args(ctx, cb, f, false, Answer { f: a, one: true });
    cb
}

/// [`register_fast`] with an [`ArgsFn`] the interpreter tries first.
pub fn register_args<'gc>(
    ctx: Context<'gc>,
    full: Callback<'gc>,
    fast: NativeFn,
    positioned: bool,
    a: Answer,
) {
    Registry::get(ctx).insert(&ctx, full, Kind::Args(fast, positioned, a));
}

/// The upvalues of a library function that has them (see [`closure`]).
pub type Upvalues<'gc> = Gc<'gc, RefLock<Box<[Value<'gc>]>>>;

/// A library function with upvalues (PUC Lua's C closure) that needs no
/// `Execution` but its fuel.
pub type NativeClosureFn = for<'gc> fn(
    Context<'gc>,
    &mut Fuel,
    Upvalues<'gc>,
    Stack<'gc, '_>,
) -> Result<CallbackReturn<'gc>, Error<'gc>>;

/// The root of a callback made by [`closure`]: [`super::Registry::callee`]
/// finds it on the callback (`Callback::rooted`), without a lookup.
#[derive(Collect)]
#[collect(no_drop)]
pub(crate) struct NativeClosureRoot<'gc> {
    #[collect(require_static)]
    pub(crate) f: NativeClosureFn,
    pub(crate) upvalues: Upvalues<'gc>,
}

/// `f` over `upvalues` as a callback: a C closure, whose upvalues
/// `debug.getupvalue`/`setupvalue` see (each named ""), and which the
/// interpreter calls directly. `f` finds its state in the upvalues and
/// must check what it finds there (`debug.setupvalue` may replace them).
pub fn closure<'gc>(
    ctx: Context<'gc>,
    f: NativeClosureFn,
    upvalues: &[Value<'gc>],
) -> Callback<'gc> {
    let root = NativeClosureRoot {
        f,
        upvalues: Gc::new(&ctx, RefLock::new(upvalues.into())),
    };
    Callback::from_fn_rooted::<Rootable![NativeClosureRoot<'_>], _>(
        &ctx,
        root,
        |root, ctx, mut exec, stack| (root.f)(ctx, exec.fuel(), root.upvalues, stack),
    )
}

/// The function and upvalues of a callback made by [`closure`].
#[inline]
pub(crate) fn closure_parts<'gc>(cb: Callback<'gc>) -> Option<(NativeClosureFn, Upvalues<'gc>)> {
    cb.rooted::<Rootable![NativeClosureRoot<'_>]>()
        .map(|r| (r.f, r.upvalues))
}

/// Registers `fast` as the direct-call version of `full` (which keeps
/// serving every other caller). `positioned`: errors `fast` raises as
/// strings get the calling line's `chunk:line: ` prefix, as `full` (made
/// by `stdlib::check::with_position`) adds it.
pub fn register_fast<'gc>(
    ctx: Context<'gc>,
    full: Callback<'gc>,
    fast: NativeFn,
    positioned: bool,
) {
    Registry::get(ctx).insert(&ctx, full, Kind::Native(fast, positioned));
}

/// Marks `pcall` (the base library's): the interpreter runs a closure of
/// this core called through it in a protected frame of its own.
pub fn register_pcall<'gc>(ctx: Context<'gc>, pcall: Callback<'gc>) {
    Registry::get(ctx).insert(&ctx, pcall, Kind::PCall);
}

/// Marks `select` (the base library's, made by [`callback`]): the
/// interpreter answers its common forms in place.
pub fn register_select<'gc>(ctx: Context<'gc>, select: Callback<'gc>) {
    mark_native(ctx, select, Kind::Select);
}

/// Registers `cb`, a native made by [`callback`], as the `kind` of native
/// the interpreter knows by name (its function and position flag kept).
fn mark_native<'gc>(ctx: Context<'gc>, cb: Callback<'gc>, kind: fn(NativeFn, bool) -> Kind<'gc>) {
    let registry = Registry::get(ctx);
    if let super::Callee::Native(f, positioned) = registry.callee(&ctx, cb) {
        registry.insert(&ctx, cb, kind(f, positioned));
    }
}

/// Marks `type` (the base library's, made by [`callback`]): the
/// interpreter answers `type(v)` in place.
pub fn register_type<'gc>(ctx: Context<'gc>, ty: Callback<'gc>) {
    mark_native(ctx, ty, Kind::Type);
}

/// Marks `next` (the base library's, made by [`callback`]): the
/// interpreter steps generic `for` loops over it in place.
pub fn register_next<'gc>(ctx: Context<'gc>, next: Callback<'gc>) {
    mark_native(ctx, next, Kind::Next);
}

/// Marks `ipairs`' iterator (made by [`callback`]): the interpreter steps
/// generic `for` loops over it in place.
pub fn register_inext<'gc>(ctx: Context<'gc>, inext: Callback<'gc>) {
    mark_native(ctx, inext, Kind::INext);
}

/// Marks `table.unpack` (made by [`register_fast`]): the interpreter
/// answers `table.unpack(t)` of a short table without a metatable in place.
pub fn register_unpack<'gc>(ctx: Context<'gc>, unpack: Callback<'gc>) {
    mark_native(ctx, unpack, Kind::Unpack);
}

/// Marks `error` (the base library's): the interpreter raises the error
/// in place, with the position of the calling frame.
pub fn register_error<'gc>(ctx: Context<'gc>, error: Callback<'gc>) {
    Registry::get(ctx).insert(&ctx, error, Kind::Error);
}

/// Marks `coroutine.resume` or `coroutine.yield`.
pub(crate) fn register_switch<'gc>(ctx: Context<'gc>, cb: Callback<'gc>, role: super::Switch) {
    Registry::get(ctx)
        .0
        .borrow_mut(&ctx)
        .switches
        .push((cb, role));
}

/// When `inner` is a native, registers `wrapper` (the same function with
/// the caller's position added to its errors) as one too.
pub(crate) fn wrapped_positioned<'gc>(
    ctx: Context<'gc>,
    inner: Callback<'gc>,
    wrapper: Callback<'gc>,
) {
    match Registry::get(ctx).callee(&ctx, inner) {
        super::Callee::Native(f, _) => register_fast(ctx, wrapper, f, true),
        super::Callee::Select(f, _) => {
            Registry::get(ctx).insert(&ctx, wrapper, Kind::Select(f, true));
        }
        super::Callee::Next(f, _) => {
            Registry::get(ctx).insert(&ctx, wrapper, Kind::Next(f, true));
        }
        super::Callee::INext(f, _) => {
            Registry::get(ctx).insert(&ctx, wrapper, Kind::INext(f, true));
        }
        super::Callee::Unpack(f, _) => {
            Registry::get(ctx).insert(&ctx, wrapper, Kind::Unpack(f, true));
        }
        super::Callee::Args(f, _, a) => {
            Registry::get(ctx).insert(&ctx, wrapper, Kind::Args(f, true, a));
        }
        super::Callee::Type(f, _) => {
            Registry::get(ctx).insert(&ctx, wrapper, Kind::Type(f, true));
        }
        super::Callee::Foreign => {
            if let Some(role) = Registry::get(ctx).switch(inner) {
                register_switch(ctx, wrapper, role);
            }
        }
        _ => {}
    }
}

#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
struct DeclineMark<'gc>(Callback<'gc>);

impl<'gc> piccolo::Singleton<'gc> for DeclineMark<'gc> {
    fn create(ctx: Context<'gc>) -> Self {
        DeclineMark(Callback::from_fn(&ctx, |ctx, _, _| {
            Err(crate::stdlib::lua_error(
                ctx,
                "internal error: a declining native was called through the executor",
            ))
        }))
    }
}

fn decline_mark(ctx: Context<'_>) -> Callback<'_> {
    ctx.singleton::<gc_arena::Rootable![DeclineMark<'_>]>().0
}

/// What a fast version returns, with its arguments untouched, to have the
/// full callback called instead (for example when a metamethod is involved).
pub fn decline<'gc>(ctx: Context<'gc>) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    Ok(CallbackReturn::Call {
        function: decline_mark(ctx).into(),
        then: None,
    })
}

/// Whether `f` is the mark [`decline`] returns.
pub(super) fn is_decline<'gc>(ctx: Context<'gc>, f: Function<'gc>) -> bool {
    matches!(f, Function::Callback(cb) if cb == decline_mark(ctx))
}

/// A callback that, called once, returns `ret`: how a direct call's
/// non-`Return` answer (a call, a sequence, a yield) goes to the executor.
pub(super) fn forward<'gc>(ctx: Context<'gc>, ret: CallbackReturn<'gc>) -> Function<'gc> {
    let cell = Gc::new(&ctx, RefLock::new(Some(ret)));
    Callback::from_fn_with(&ctx, cell, |cell, ctx, _, _| {
        cell.borrow_mut(&ctx).take().ok_or_else(|| {
            crate::stdlib::lua_error(ctx, "internal error: forwarded call made twice")
        })
    })
    .into()
}
