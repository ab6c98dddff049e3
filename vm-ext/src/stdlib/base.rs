//! Base library: `print` to the host's output, `tostring` with Lua 5.4
//! number formatting and `__tostring`/`__name`, `error` with positions, and
//! Lua 5.4 versions of `load`, `loadfile`, `dofile`, `pcall`, `xpcall`,
//! `select`, `tonumber`, the raw functions, `getmetatable`/`setmetatable`,
//! `next`/`pairs`/`ipairs`, `assert`, `type`, `warn` and `collectgarbage`.
//!
//! `collectgarbage("collect")` interrupts the slice so the runtime runs a
//! full collection before the script goes on. Known gaps: binary chunks
//! are only those of this runtime's own `string.dump`; errors raised by the
//! VM itself carry no position.

use std::{cell::Cell, rc::Rc};

use gc_arena::{lock::Lock, Collect, Gc, Rootable};
use piccolo::{
    closure::UpValueState, meta_ops, table::NextValue, BoxSequence, Callback, CallbackReturn,
    Closure, Context, Error, Execution, Function, MetaMethod, Sequence, SequencePoll, Singleton,
    Stack, Table, Value,
};

use super::{
    check::{
        arg_error, caller_position, check_any, check_function, check_integer, check_string,
        check_table, error_value, metatable_of, opt_string, raw_equal, type_error,
    },
    lua_error,
};
use crate::{
    number::float_to_string,
    number::{str_to_int_base, str_to_number, Num},
    Host, OutputBuffer,
};

/// Installs the base library into the globals.
pub fn load_base<'gc>(ctx: Context<'gc>, host: &Host) {
    let g = ctx.globals();
    g.set(ctx, "_G", g).unwrap();
    g.set(ctx, "_VERSION", "Lua 5.4").unwrap();
    g.set(ctx, "print", print_callback(ctx, host.output.clone()))
        .unwrap();
    g.set(ctx, "tostring", tostring_callback(ctx)).unwrap();
    let error = error_callback(ctx);
    crate::interp::native::register_error(ctx, error);
    g.set(ctx, "error", error).unwrap();
    let pcall = pcall_callback(ctx);
    crate::interp::native::register_pcall(ctx, pcall);
    g.set(ctx, "pcall", pcall).unwrap();
    g.set(ctx, "xpcall", xpcall_callback(ctx)).unwrap();
    let select = select_callback(ctx);
    crate::interp::native::register_select(ctx, select);
    g.set(ctx, "select", select).unwrap();
    g.set(ctx, "type", type_callback(ctx)).unwrap();
    g.set(ctx, "tonumber", tonumber_callback(ctx)).unwrap();
    g.set(ctx, "assert", assert_callback(ctx)).unwrap();
    g.set(ctx, "rawequal", rawequal_callback(ctx)).unwrap();
    g.set(ctx, "rawlen", rawlen_callback(ctx)).unwrap();
    g.set(ctx, "rawget", rawget_callback(ctx)).unwrap();
    g.set(ctx, "rawset", rawset_callback(ctx)).unwrap();
    g.set(ctx, "getmetatable", getmetatable_callback(ctx))
        .unwrap();
    g.set(ctx, "setmetatable", setmetatable_callback(ctx))
        .unwrap();
    let next = next_callback(ctx);
    crate::interp::native::register_next(ctx, next);
    g.set(ctx, "next", next).unwrap();
    g.set(ctx, "pairs", pairs_callback(ctx)).unwrap();
    g.set(ctx, "ipairs", ipairs_callback(ctx)).unwrap();
    g.set(ctx, "load", load_callback(ctx)).unwrap();
    g.set(ctx, "loadfile", loadfile_callback(ctx, host.clone(), false))
        .unwrap();
    g.set(ctx, "dofile", loadfile_callback(ctx, host.clone(), true))
        .unwrap();
    g.set(ctx, "warn", warn_callback(ctx, host.warnings.clone()))
        .unwrap();
    crate::finalize::set_warn(ctx, g.get(ctx, "warn"));
    g.set(ctx, "collectgarbage", collectgarbage_callback(ctx))
        .unwrap();
    g.set(ctx, "loadstring", Value::Nil).unwrap();
    for name in [
        "tostring",
        "select",
        "type",
        "tonumber",
        "rawequal",
        "rawlen",
        "rawget",
        "rawset",
        "getmetatable",
        "setmetatable",
        "next",
        "pairs",
        "ipairs",
        "load",
        "loadfile",
        "dofile",
        "warn",
        "collectgarbage",
        "xpcall",
    ] {
        if let Value::Function(Function::Callback(cb)) = g.get(ctx, name) {
            g.set(ctx, name, super::check::with_position(ctx, cb))
                .unwrap();
        }
    }
    // `pairs` returns the global `next` itself (as in PUC Lua,
    // `pairs({}) == next`), the wrapper made just above.
    if let Value::Function(Function::Callback(next)) = g.get(ctx, "next") {
        let slot = iterators(ctx).next;
        Gc::write(&ctx, slot).unlock().set(Some(next));
    }
    crate::weak::set_collector(ctx, g.get(ctx, "collectgarbage"));
    for (name, xpcall) in [("pcall", false), ("xpcall", true)] {
        if let Value::Function(Function::Callback(cb)) = g.get(ctx, name) {
            crate::interp::frames::register_catcher(ctx, cb, xpcall);
        }
    }
}

/// The address Lua shows for reference values (`table: 0x...`).
pub fn address(v: Value<'_>) -> Option<*const ()> {
    Some(match v {
        Value::Table(t) => Gc::as_ptr(t.into_inner()) as *const (),
        Value::Function(Function::Closure(c)) => Gc::as_ptr(c.into_inner()) as *const (),
        Value::Function(Function::Callback(c)) => Gc::as_ptr(c.into_inner()) as *const (),
        Value::Thread(t) => Gc::as_ptr(t.into_inner()) as *const (),
        Value::UserData(u) => Gc::as_ptr(u.into_inner()) as *const (),
        _ => return None,
    })
}

/// `tostring` without `__tostring`: numbers as Lua 5.4 prints them, and
/// `NAME: 0x...` using the metatable's `__name` when it is a string.
pub fn tostring_plain<'gc>(ctx: Context<'gc>, v: Value<'gc>) -> Value<'gc> {
    let s = match v {
        Value::String(_) => return v,
        Value::Nil => "nil".to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Number(n) => float_to_string(n),
        _ => {
            let name = match metatable(v).map(|mt| mt.get(ctx, "__name")) {
                Some(Value::String(s)) => s.to_str_lossy().into_owned(),
                _ => v.type_name().to_string(),
            };
            format!("{name}: {:p}", address(v).unwrap_or(std::ptr::null()))
        }
    };
    ctx.intern(s.as_bytes()).into()
}

fn metatable<'gc>(v: Value<'gc>) -> Option<Table<'gc>> {
    match v {
        Value::Table(t) => t.metatable(),
        Value::UserData(u) => u.metatable(),
        _ => None,
    }
}

/// The `__tostring` metamethod of `v`, if it has one.
pub fn tostring_meta<'gc>(ctx: Context<'gc>, v: Value<'gc>) -> Option<Value<'gc>> {
    let m = metatable(v)?.get(ctx, MetaMethod::ToString);
    (!m.is_nil()).then_some(m)
}

fn tostring_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    #[derive(Collect)]
    #[collect(require_static)]
    struct CheckString;

    impl<'gc> Sequence<'gc> for CheckString {
        fn poll(
            &mut self,
            ctx: Context<'gc>,
            _exec: Execution<'gc, '_>,
            mut stack: Stack<'gc, '_>,
        ) -> Result<SequencePoll<'gc>, Error<'gc>> {
            match stack.get(0) {
                Value::String(s) => stack.replace(ctx, s),
                // (A number is a string to `luaL_tolstring`, converted.)
                v @ (Value::Integer(_) | Value::Number(_)) => {
                    stack.replace(ctx, tostring_plain(ctx, v))
                }
                _ => {
                    return Err(lua_error(ctx, "'__tostring' must return a string"));
                }
            }
            Ok(SequencePoll::Return)
        }
    }

    crate::interp::native::with_args(
        ctx,
        |ctx, _, mut stack| {
            if stack.is_empty() {
                return Err(lua_error(
                    ctx,
                    "bad argument #1 to 'tostring' (value expected)",
                ));
            }
            let v = stack.get(0);
            if let Some(m) = tostring_meta(ctx, v) {
                stack.replace(ctx, v);
                return Ok(CallbackReturn::Call {
                    function: piccolo::meta_ops::call(ctx, m)?,
                    then: Some(BoxSequence::new(&ctx, CheckString)),
                });
            }
            stack.replace(ctx, tostring_plain(ctx, v));
            Ok(CallbackReturn::Return)
        },
        tostring_args,
    )
}

fn print_callback<'gc>(ctx: Context<'gc>, out: OutputBuffer) -> Callback<'gc> {
    #[derive(Collect)]
    #[collect(no_drop)]
    struct Print<'gc> {
        values: Vec<Value<'gc>>,
        next: usize,
        line: Vec<u8>,
        #[collect(require_static)]
        out: OutputBuffer,
        /// The `__tostring` call: no yield across it.
        c_call: crate::interp::CCall,
    }

    impl<'gc> Print<'gc> {
        fn push(&mut self, s: Value<'gc>) {
            if self.next > 1 {
                self.line.push(b'\t');
            }
            if let Value::String(s) = s {
                self.line.extend_from_slice(s.as_bytes());
            }
        }
    }

    impl<'gc> Sequence<'gc> for Print<'gc> {
        fn poll(
            &mut self,
            ctx: Context<'gc>,
            exec: Execution<'gc, '_>,
            mut stack: Stack<'gc, '_>,
        ) -> Result<SequencePoll<'gc>, Error<'gc>> {
            self.c_call.returned(ctx, &exec);
            // Called first with `next == 0`, then after each `__tostring` call.
            if self.next > 0 {
                match stack.get(0) {
                    s @ Value::String(_) => self.push(s),
                    _ => return Err(lua_error(ctx, "'__tostring' must return a string")),
                }
            }
            stack.clear();
            while self.next < self.values.len() {
                let v = self.values[self.next];
                self.next += 1;
                if let Some(m) = tostring_meta(ctx, v) {
                    stack.push_back(v);
                    return Ok(self
                        .c_call
                        .call(ctx, &exec, piccolo::meta_ops::call(ctx, m)?));
                }
                self.push(tostring_plain(ctx, v));
            }
            self.line.push(b'\n');
            self.out.write(&self.line);
            Ok(SequencePoll::Return)
        }

        fn error(
            &mut self,
            ctx: Context<'gc>,
            exec: Execution<'gc, '_>,
            error: Error<'gc>,
            _stack: Stack<'gc, '_>,
        ) -> Result<SequencePoll<'gc>, Error<'gc>> {
            self.c_call.returned(ctx, &exec);
            Err(error)
        }
    }

    Callback::from_fn_with(&ctx, (), move |_, ctx, _, mut stack| {
        let values: Vec<Value<'_>> = stack.drain(..).collect();
        Ok(CallbackReturn::Sequence(BoxSequence::new(
            &ctx,
            Print {
                values,
                next: 0,
                line: Vec::new(),
                out: out.clone(),
                c_call: Default::default(),
            },
        )))
    })
}

/// `error(message [, level])`: a string message gets the `chunk:line:` of
/// stack level `level` (1, the default: the function that called `error`;
/// 2 its caller, ...) when that level is Lua code.
fn error_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    Callback::from_fn(&ctx, |ctx, exec, stack| {
        let msg = stack.get(0);
        let level = match stack.get(1) {
            Value::Nil => 1,
            _ => check_integer(ctx, &stack, 2, "error")?,
        };
        if let (Value::String(s), 1) = (msg, level) {
            let mut text = caller_position(ctx, &exec);
            if !text.is_empty() {
                text.extend_from_slice(s.as_bytes());
                return Err(lua_error(ctx, text));
            }
        }
        // Deeper levels on the luahome core: its frames are walkable.
        if let (Value::String(s), 2.., None) = (msg, level, exec.upper_lua_frame()) {
            let thread = exec.current_thread().thread;
            if let Some((chunk, line)) =
                crate::interp::frames::where_at(ctx, thread, level as usize)
            {
                let mut text = format!("{chunk}:{line}: ").into_bytes();
                text.extend_from_slice(s.as_bytes());
                return Err(lua_error(ctx, text));
            }
        }
        Err(msg.into())
    })
}

/// Returns `true` followed by the results of a call; a failed call returns
/// `false` and the error value (internal errors as strings).
#[derive(Collect)]
#[collect(require_static)]
pub(super) struct PCall;

impl<'gc> Sequence<'gc> for PCall {
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
        // A coroutine being closed unwinds through pcall.
        if crate::interp::is_close_signal(&error) {
            return Err(error);
        }
        stack.replace(ctx, (false, error_value(ctx, &error)));
        Ok(SequencePoll::Return)
    }
}

fn pcall_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    Callback::from_fn(&ctx, |ctx, _, mut stack| {
        let f = check_any(ctx, &stack, 1, "pcall")?;
        match meta_ops::call(ctx, f) {
            Ok(function) => {
                stack.pop_front();
                // The called function's caller is pcall, not Lua code.
                crate::interp::set_call_site(ctx, None);
                Ok(CallbackReturn::Call {
                    function,
                    then: Some(BoxSequence::new(&ctx, PCall)),
                })
            }
            Err(_) => {
                let msg = format!(
                    "attempt to call a {} value",
                    super::check::type_name(ctx, f)
                );
                stack.replace(ctx, (false, ctx.intern(msg.as_bytes())));
                Ok(CallbackReturn::Return)
            }
        }
    })
}

/// How many times a failing message handler is re-run on its own error
/// before `xpcall` gives up with "error in error handling".
const MAX_HANDLER_DEPTH: u8 = 100;

#[derive(Collect)]
#[collect(no_drop)]
struct XPCall<'gc> {
    handler: Function<'gc>,
    /// The function `xpcall` called (`None` once the handler runs).
    called: Option<Function<'gc>>,
    depth: u8,
    /// The handler is handling a stack overflow (counted in
    /// [`OverflowHandlers`] while it runs).
    #[collect(require_static)]
    overflow: bool,
}

/// How many message handlers are handling a stack overflow right now. In
/// PUC Lua such a handler runs on top of the overflowed stack, so a stack
/// overflow inside it is "error in error handling"; here the interpreter
/// asks [`handling_overflow`].
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
struct OverflowHandlers<'gc>(Gc<'gc, Lock<u32>>);

impl<'gc> Singleton<'gc> for OverflowHandlers<'gc> {
    fn create(ctx: Context<'gc>) -> Self {
        OverflowHandlers(Gc::new(&ctx, Lock::new(0)))
    }
}

fn overflow_handlers(ctx: Context<'_>) -> Gc<'_, Lock<u32>> {
    ctx.singleton::<Rootable![OverflowHandlers<'_>]>().0
}

/// Whether an `xpcall` message handler is handling a stack overflow (see
/// [`OverflowHandlers`]).
pub fn handling_overflow(ctx: Context<'_>) -> bool {
    overflow_handlers(ctx).get() > 0
}

impl<'gc> XPCall<'gc> {
    fn done_handling(&mut self, ctx: Context<'gc>) {
        if std::mem::take(&mut self.overflow) {
            let n = overflow_handlers(ctx);
            n.set(&ctx, n.get().saturating_sub(1));
        }
    }
}

impl<'gc> Sequence<'gc> for XPCall<'gc> {
    fn poll(
        &mut self,
        ctx: Context<'gc>,
        _exec: Execution<'gc, '_>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        crate::interp::frames::clear_ghost(ctx);
        self.done_handling(ctx);
        if self.depth == 0 {
            stack.push_front(Value::Boolean(true));
        } else {
            let v = stack.get(0);
            stack.replace(ctx, (false, v));
        }
        Ok(SequencePoll::Return)
    }

    fn error(
        &mut self,
        ctx: Context<'gc>,
        exec: Execution<'gc, '_>,
        error: Error<'gc>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        if let Some(f) = self.called.take() {
            crate::interp::frames::note_xpcall_failure(ctx, exec.current_thread().thread, f);
        }
        if self.depth >= MAX_HANDLER_DEPTH {
            // (The frames kept for the handlers go too: a later `xpcall`'s
            // handler showed them.)
            crate::interp::frames::clear_ghost(ctx);
            self.done_handling(ctx);
            stack.replace(ctx, (false, ctx.intern(b"error in error handling")));
            return Ok(SequencePoll::Return);
        }
        self.depth += 1;
        let ev = error_value(ctx, &error);
        if !self.overflow
            && matches!(ev, Value::String(s) if s.as_bytes().ends_with(b"stack overflow"))
        {
            self.overflow = true;
            let n = overflow_handlers(ctx);
            n.set(&ctx, n.get() + 1);
        }
        stack.replace(ctx, ev);
        Ok(SequencePoll::Call {
            function: self.handler,
            is_tail: false,
        })
    }
}

fn xpcall_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    Callback::from_fn(&ctx, |ctx, _, mut stack| {
        let handler = check_function(ctx, &stack, 2, "xpcall")?;
        let f = stack.get(0);
        stack.drain(..2.min(stack.len()));
        crate::interp::set_call_site(ctx, None);
        match meta_ops::call(ctx, f) {
            Ok(function) => Ok(CallbackReturn::Call {
                function,
                then: Some(BoxSequence::new(
                    &ctx,
                    XPCall {
                        handler,
                        called: Some(function),
                        depth: 0,
                        overflow: false,
                    },
                )),
            }),
            Err(_) => {
                let msg = format!(
                    "attempt to call a {} value",
                    super::check::type_name(ctx, f)
                );
                stack.replace(ctx, ctx.intern(msg.as_bytes()));
                Ok(CallbackReturn::Call {
                    function: handler,
                    then: Some(BoxSequence::new(
                        &ctx,
                        XPCall {
                            handler,
                            called: None,
                            depth: 1,
                            overflow: false,
                        },
                    )),
                })
            }
        }
    })
}

fn select_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    crate::interp::native::callback(ctx, |ctx, _, mut stack| {
        let n = stack.len() as i64 - 1;
        if let Value::String(s) = stack.get(0) {
            if s.as_bytes() == b"#" {
                stack.replace(ctx, n.max(0));
                return Ok(CallbackReturn::Return);
            }
        }
        let i = check_integer(ctx, &stack, 1, "select")?;
        let first = if i < 0 {
            let k = n + i;
            if k < 0 {
                return Err(arg_error(ctx, 1, "select", "index out of range"));
            }
            k + 1
        } else if i == 0 {
            return Err(arg_error(ctx, 1, "select", "index out of range"));
        } else {
            i.min(n + 1)
        };
        stack.drain(..first as usize);
        Ok(CallbackReturn::Return)
    })
}

fn type_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    let cb = crate::interp::native::callback(ctx, |ctx, _, mut stack| {
        let v = check_any(ctx, &stack, 1, "type")?;
        stack.replace(ctx, ctx.intern_static(v.type_name().as_bytes()));
        Ok(CallbackReturn::Return)
    });
    crate::interp::native::register_type(ctx, cb);
    cb
}

fn num_value<'gc>(n: Num) -> Value<'gc> {
    match n {
        Num::Int(i) => Value::Integer(i),
        Num::Float(f) => Value::Number(f),
    }
}

/// `tonumber(v)` without a base, for the interpreter
/// ([`crate::interp::native::ArgsFn`]).
fn tonumber_args<'gc>(_: Context<'gc>, args: &[Value<'gc>]) -> Option<Value<'gc>> {
    if args.get(1).is_some_and(|b| !b.is_nil()) {
        return None;
    }
    Some(to_number(*args.first()?))
}

/// `tonumber(v)` without a base: a number itself, a numeral string's
/// number, nil for anything else.
fn to_number(v: Value<'_>) -> Value<'_> {
    match v {
        Value::Integer(_) | Value::Number(_) => v,
        Value::String(s) => str_to_number(s.as_bytes()).map_or(Value::Nil, num_value),
        _ => Value::Nil,
    }
}

fn tonumber_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    crate::interp::native::with_args(ctx, tonumber_native, tonumber_args)
}

fn tonumber_native<'gc>(
    ctx: Context<'gc>,
    _: &mut piccolo::Fuel,
    mut stack: Stack<'gc, '_>,
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    let result = if stack.get(1).is_nil() {
        to_number(check_any(ctx, &stack, 1, "tonumber")?)
    } else {
        let base = check_integer(ctx, &stack, 2, "tonumber")?;
        let Value::String(s) = stack.get(0) else {
            return Err(type_error(ctx, &stack, 1, "tonumber", "string"));
        };
        if !(2..=36).contains(&base) {
            return Err(arg_error(ctx, 2, "tonumber", "base out of range"));
        }
        str_to_int_base(s.as_bytes(), base as u32).map_or(Value::Nil, Value::Integer)
    };
    stack.replace(ctx, result);
    Ok(CallbackReturn::Return)
}

fn assert_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    let full = Callback::from_fn(&ctx, |ctx, exec, stack| {
        let v = check_any(ctx, &stack, 1, "assert")?;
        if v.to_bool() {
            Ok(CallbackReturn::Return)
        } else if stack.len() < 2 {
            let mut msg = caller_position(ctx, &exec);
            msg.extend_from_slice(b"assertion failed!");
            Err(lua_error(ctx, msg))
        } else {
            // As `error` at level 1 (PUC's `luaB_assert` calls it): a
            // string gets the calling Lua code's position.
            match stack.get(1) {
                Value::String(s) => {
                    let mut msg = caller_position(ctx, &exec);
                    msg.extend_from_slice(s.as_bytes());
                    Err(lua_error(ctx, msg))
                }
                v => Err(v.into()),
            }
        }
    });
    crate::interp::native::register_fast(ctx, full, assert_fast, false);
    full
}

/// `assert` called in place by the interpreter (it went through the
/// executor at every call); a missing argument or a failure with a string
/// message or none, which need the caller's position, go to the full
/// callback.
fn assert_fast<'gc>(
    ctx: Context<'gc>,
    _: &mut piccolo::Fuel,
    stack: Stack<'gc, '_>,
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    if !stack.is_empty() && stack.get(0).to_bool() {
        // Its results are its arguments.
        Ok(CallbackReturn::Return)
    } else if stack.len() >= 2 && !matches!(stack.get(1), Value::String(_)) {
        Err(stack.get(1).into())
    } else {
        crate::interp::native::decline(ctx)
    }
}

fn rawequal_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    crate::interp::native::with_args(
        ctx,
        |ctx, _, mut stack| {
            let a = check_any(ctx, &stack, 1, "rawequal")?;
            let b = check_any(ctx, &stack, 2, "rawequal")?;
            stack.replace(ctx, raw_equal(a, b));
            Ok(CallbackReturn::Return)
        },
        rawequal_args,
    )
}

fn rawlen_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    crate::interp::native::with_args(
        ctx,
        |ctx, _, mut stack| {
            let Some(n) = raw_length(ctx, stack.get(0)) else {
                return Err(type_error(ctx, &stack, 1, "rawlen", "table or string"));
            };
            stack.replace(ctx, n);
            Ok(CallbackReturn::Return)
        },
        rawlen_args,
    )
}

fn rawget_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    crate::interp::native::with_args(
        ctx,
        |ctx, _, mut stack| {
            let t = check_table(ctx, &stack, 1, "rawget")?;
            let k = check_any(ctx, &stack, 2, "rawget")?;
            stack.replace(ctx, crate::weak::raw_get(ctx, t, k));
            Ok(CallbackReturn::Return)
        },
        rawget_args,
    )
}

/// `t[k] = v` without metamethods, with Lua's messages for bad keys.
pub fn raw_set<'gc>(
    ctx: Context<'gc>,
    t: Table<'gc>,
    k: Value<'gc>,
    v: Value<'gc>,
) -> Result<(), Error<'gc>> {
    match crate::weak::raw_set(ctx, t, k, v) {
        Ok(_) => Ok(()),
        Err(piccolo::table::InvalidTableKey::IsNaN) => Err(lua_error(ctx, "table index is NaN")),
        Err(piccolo::table::InvalidTableKey::IsNil) => Err(lua_error(ctx, "table index is nil")),
    }
}

fn rawset_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    crate::interp::native::callback(ctx, |ctx, _, mut stack| {
        let t = check_table(ctx, &stack, 1, "rawset")?;
        let k = check_any(ctx, &stack, 2, "rawset")?;
        let v = check_any(ctx, &stack, 3, "rawset")?;
        raw_set(ctx, t, k, v)?;
        crate::interp::note_table_write(ctx);
        stack.replace(ctx, t);
        Ok(CallbackReturn::Return)
    })
}

// The functions below that the interpreter answers itself for one result
// (`crate::interp::native::ArgsFn`), each doing what its native does when
// that raises no error, and declining otherwise.

fn getmetatable_args<'gc>(ctx: Context<'gc>, args: &[Value<'gc>]) -> Option<Value<'gc>> {
    Some(visible_metatable(ctx, *args.first()?))
}

/// `getmetatable(v)`: `v`'s metatable, or its `__metatable` field when set.
fn visible_metatable<'gc>(ctx: Context<'gc>, v: Value<'gc>) -> Value<'gc> {
    match metatable_of(ctx, v) {
        Some(mt) => match mt.get(ctx, "__metatable") {
            Value::Nil => Value::Table(mt),
            protected => protected,
        },
        None => Value::Nil,
    }
}

/// Whether `t`'s metatable is protected (has a `__metatable` field), so
/// `setmetatable` must refuse to change it.
fn metatable_protected<'gc>(ctx: Context<'gc>, t: Table<'gc>) -> bool {
    t.metatable()
        .is_some_and(|old| !old.get(ctx, "__metatable").is_nil())
}

fn rawget_args<'gc>(ctx: Context<'gc>, args: &[Value<'gc>]) -> Option<Value<'gc>> {
    match args {
        [Value::Table(t), k, ..] => Some(crate::weak::raw_get(ctx, *t, *k)),
        _ => None,
    }
}

fn rawlen_args<'gc>(ctx: Context<'gc>, args: &[Value<'gc>]) -> Option<Value<'gc>> {
    raw_length(ctx, *args.first()?).map(Value::Integer)
}

/// `rawlen(v)` of a table or string (`None` for anything else).
fn raw_length<'gc>(ctx: Context<'gc>, v: Value<'gc>) -> Option<i64> {
    match v {
        Value::Table(t) => Some(crate::weak::raw_len(ctx, t)),
        Value::String(s) => Some(s.len()),
        _ => None,
    }
}

fn rawequal_args<'gc>(_: Context<'gc>, args: &[Value<'gc>]) -> Option<Value<'gc>> {
    match args {
        [a, b, ..] => Some(Value::Boolean(raw_equal(*a, *b))),
        _ => None,
    }
}

fn tostring_args<'gc>(ctx: Context<'gc>, args: &[Value<'gc>]) -> Option<Value<'gc>> {
    let v = *args.first()?;
    if tostring_meta(ctx, v).is_some() {
        return None;
    }
    Some(tostring_plain(ctx, v))
}

fn setmetatable_args<'gc>(ctx: Context<'gc>, args: &[Value<'gc>]) -> Option<Value<'gc>> {
    let (t, mt) = match args {
        [Value::Table(t), Value::Table(mt), ..] => (*t, Some(*mt)),
        [Value::Table(t), Value::Nil, ..] => (*t, None),
        _ => return None,
    };
    if metatable_protected(ctx, t) {
        return None;
    }
    crate::weak::set_metatable(ctx, t, mt);
    Some(Value::Table(t))
}

fn getmetatable_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    crate::interp::native::with_args(
        ctx,
        |ctx, _, mut stack| {
            let v = check_any(ctx, &stack, 1, "getmetatable")?;
            stack.replace(ctx, visible_metatable(ctx, v));
            Ok(CallbackReturn::Return)
        },
        getmetatable_args,
    )
}

fn setmetatable_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    crate::interp::native::with_args(
        ctx,
        |ctx, _, mut stack| {
            let t = check_table(ctx, &stack, 1, "setmetatable")?;
            let mt = match stack.get(1) {
                Value::Table(mt) => Some(mt),
                Value::Nil if stack.len() >= 2 => None,
                _ => return Err(type_error(ctx, &stack, 2, "setmetatable", "nil or table")),
            };
            if metatable_protected(ctx, t) {
                return Err(lua_error(ctx, "cannot change a protected metatable"));
            }
            crate::weak::set_metatable(ctx, t, mt);
            stack.replace(ctx, t);
            Ok(CallbackReturn::Return)
        },
        setmetatable_args,
    )
}

/// Returns `a, b` (the iterators' results, pushed as they are: cheaper
/// than a tuple through `Stack::replace`).
#[inline]
fn put2<'gc>(stack: &mut Stack<'gc, '_>, a: Value<'gc>, b: Value<'gc>) {
    stack.clear();
    stack.push_back(a);
    stack.push_back(b);
}

fn next_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    crate::interp::native::callback(ctx, |ctx, _, mut stack| {
        let t = check_table(ctx, &stack, 1, "next")?;
        match crate::weak::raw_next(ctx, t, stack.get(1)) {
            NextValue::Found { key, value } => put2(&mut stack, key, value),
            NextValue::Last => stack.replace(ctx, Value::Nil),
            NextValue::NotFound => return Err(lua_error(ctx, "invalid key to 'next'")),
        }
        Ok(CallbackReturn::Return)
    })
}

/// Keeps the first `n` values of a call's results.
#[derive(Collect)]
#[collect(require_static)]
struct Truncate(usize);

impl<'gc> Sequence<'gc> for Truncate {
    fn poll(
        &mut self,
        _ctx: Context<'gc>,
        _exec: Execution<'gc, '_>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        stack.resize(self.0);
        Ok(SequencePoll::Return)
    }
}

/// The iterators `pairs` and `ipairs` return, set by `load_base`: the
/// global `next` as it made it, and `ipairs`' one iterator function (as in
/// PUC Lua).
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
struct Iterators<'gc> {
    next: Gc<'gc, Lock<Option<Callback<'gc>>>>,
    inext: Gc<'gc, Lock<Option<Callback<'gc>>>>,
}

impl<'gc> Singleton<'gc> for Iterators<'gc> {
    fn create(ctx: Context<'gc>) -> Self {
        Iterators {
            next: Gc::new(&ctx, Lock::new(None)),
            inext: Gc::new(&ctx, Lock::new(None)),
        }
    }
}

fn iterators(ctx: Context<'_>) -> Iterators<'_> {
    *ctx.singleton::<Rootable![Iterators<'_>]>()
}

/// `pairs` of a value without a metatable, or whose metatable has no
/// `__pairs`, called in place by the interpreter (no executor round trip);
/// anything else goes to the full callback.
fn pairs_fast<'gc>(
    ctx: Context<'gc>,
    _: &mut piccolo::Fuel,
    mut stack: Stack<'gc, '_>,
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    let t = stack.get(0);
    if stack.is_empty() || metatable(t).is_some_and(|mt| !mt.get(ctx, MetaMethod::Pairs).is_nil()) {
        return crate::interp::native::decline(ctx);
    }
    let Some(next) = global_next(ctx) else {
        return crate::interp::native::decline(ctx);
    };
    stack.replace(ctx, (next, t, Value::Nil));
    Ok(CallbackReturn::Return)
}

/// The global `next` `pairs` returns (`None` only before `load_base` ends).
fn global_next(ctx: Context<'_>) -> Option<Callback<'_>> {
    iterators(ctx).next.get()
}

fn pairs_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    let full = Callback::from_fn(&ctx, |ctx, _, mut stack| {
        let t = check_any(ctx, &stack, 1, "pairs")?;
        if let Some(mt) = metatable(t) {
            let pairs = mt.get(ctx, MetaMethod::Pairs);
            if !pairs.is_nil() {
                stack.replace(ctx, t);
                return Ok(CallbackReturn::Call {
                    function: meta_ops::call(ctx, pairs)?,
                    then: Some(BoxSequence::new(&ctx, Truncate(3))),
                });
            }
        }
        let next = global_next(ctx)
            .ok_or_else(|| lua_error(ctx, "internal error: pairs called before 'next' exists"))?;
        stack.replace(ctx, (next, t, Value::Nil));
        Ok(CallbackReturn::Return)
    });
    crate::interp::native::register_fast(ctx, full, pairs_fast, false);
    full
}

fn ipairs_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    let slot = iterators(ctx).inext;
    Gc::write(&ctx, slot)
        .unlock()
        .set(Some(inext_callback(ctx)));
    // `ipairs` needs nothing of the executor: called in place, it finds
    // its iterator in [`Iterators`] (it went through the executor at every
    // call).
    crate::interp::native::callback(ctx, |ctx, _, mut stack| {
        let t = check_any(ctx, &stack, 1, "ipairs")?;
        let Some(inext) = iterators(ctx).inext.get() else {
            return Err(lua_error(ctx, "ipairs: the base library is not loaded"));
        };
        stack.replace(ctx, (inext, t, 0));
        Ok(CallbackReturn::Return)
    })
}

/// The rest of `ipairs`' step after an `__index` call: its result.
#[derive(Collect)]
#[collect(require_static)]
struct INext(i64);

impl<'gc> Sequence<'gc> for INext {
    fn poll(
        &mut self,
        ctx: Context<'gc>,
        _exec: Execution<'gc, '_>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        let v = stack.get(0);
        if v.is_nil() {
            stack.replace(ctx, Value::Nil);
        } else {
            put2(&mut stack, Value::Integer(self.0), v);
        }
        Ok(SequencePoll::Return)
    }
}

/// `ipairs`' iterator: `t[i + 1]` with `__index`, ending at the first nil.
/// (The interpreter steps loops over a table without a metatable itself:
/// `register_inext`.)
fn inext_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    let inext = inext_native(ctx);
    crate::interp::native::register_inext(ctx, inext);
    inext
}

fn inext_native<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    crate::interp::native::callback(ctx, |ctx, _, mut stack| {
        let t = stack.get(0);
        let i = check_integer(ctx, &stack, 2, "ipairs")?.wrapping_add(1);
        if let Value::Table(tt) = t {
            let v = crate::weak::raw_get(ctx, tt, Value::Integer(i));
            if !v.is_nil() || tt.metatable().is_none() {
                if v.is_nil() {
                    stack.replace(ctx, Value::Nil);
                } else {
                    put2(&mut stack, Value::Integer(i), v);
                }
                return Ok(CallbackReturn::Return);
            }
        }
        match meta_ops::index(ctx, t, Value::Integer(i))? {
            meta_ops::MetaResult::Value(v) => {
                if v.is_nil() {
                    stack.replace(ctx, Value::Nil);
                } else {
                    put2(&mut stack, Value::Integer(i), v);
                }
                Ok(CallbackReturn::Return)
            }
            meta_ops::MetaResult::Call(call) => {
                stack.clear();
                stack.extend(call.args);
                Ok(CallbackReturn::Call {
                    function: call.function,
                    then: Some(BoxSequence::new(&ctx, INext(i))),
                })
            }
        }
    })
}

pub use crate::compiler::chunk_id as chunk_display_name;

/// Compiles `source` as a chunk named `chunkname` (Lua's raw form: `=name`,
/// `@file` or the source text) with `_ENV` set to `env` (the globals when
/// `None`), on this state's engine ([`crate::engine::engine`]). `mode` is
/// `load`'s mode string. Errors are Lua's messages.
pub fn load_chunk<'gc>(
    ctx: Context<'gc>,
    source: &[u8],
    chunkname: &[u8],
    mode: &[u8],
    env: Option<Value<'gc>>,
) -> Result<Function<'gc>, String> {
    let binary = source.first() == Some(&0x1b);
    let (kind, letter) = if binary {
        ("binary", b'b')
    } else {
        ("text", b't')
    };
    if !mode.contains(&letter) {
        return Err(format!(
            "attempt to load a {kind} chunk (mode is '{}')",
            String::from_utf8_lossy(mode)
        ));
    }
    if binary {
        return load_binary(ctx, source, chunkname, env);
    }
    crate::engine::load_text(ctx, crate::engine::engine(ctx), source, chunkname, env)
}

/// Rebuilds a function from a `string.dump` chunk. As in Lua 5.4, its
/// upvalues start out nil except the first, which is `env` (the globals
/// when `env` is not given) whatever variable it was; the function keeps
/// the chunk name it was compiled with. Any other binary (reference Lua
/// bytecode, a truncated or altered chunk) is an error naming the chunk as
/// Lua's undump does.
fn load_binary<'gc>(
    ctx: Context<'gc>,
    source: &[u8],
    chunkname: &[u8],
    env: Option<Value<'gc>>,
) -> Result<Function<'gc>, String> {
    use crate::persist::{codec, own_image, piccolo_image};
    let name = match chunkname.first() {
        Some(b'@' | b'=') => String::from_utf8_lossy(&chunkname[1..]).into_owned(),
        Some(0x1b) => "binary string".to_string(),
        _ => String::from_utf8_lossy(chunkname).into_owned(),
    };
    let bad = |detail: String| format!("{name}: bad binary format ({detail})");
    let image = codec::decode_dump(source).map_err(|e| bad(e.to_string()))?;
    if image.core == own_image::CORE {
        let proto = own_image::prototype_of(&image).map_err(|e| bad(e.to_string()))?;
        let env = env.unwrap_or(Value::Table(ctx.globals()));
        return crate::interp::load_proto(ctx, proto, env).map_err(|e| bad(e.to_string()));
    }
    let proto = piccolo_image::prototype_of(ctx, &image).map_err(|e| bad(e.to_string()))?;
    let mut upvalues =
        allocator_api2::vec::Vec::new_in(gc_arena::allocator_api::MetricsAlloc::new(&ctx));
    for i in 0..proto.upvalues.len() {
        let v = match (i, env) {
            (0, Some(env)) => env,
            (0, None) => Value::Table(ctx.globals()),
            _ => Value::Nil,
        };
        upvalues.push(piccolo::closure::UpValue::new(
            &ctx,
            UpValueState::Closed(v),
        ));
    }
    Ok(Function::Closure(Closure::from_parts(
        &ctx, proto, upvalues,
    )))
}

#[derive(Collect)]
#[collect(no_drop)]
struct LoadReader<'gc> {
    reader: Function<'gc>,
    #[collect(require_static)]
    source: Vec<u8>,
    #[collect(require_static)]
    chunkname: Vec<u8>,
    #[collect(require_static)]
    mode: Vec<u8>,
    env: Option<Value<'gc>>,
    started: bool,
    /// The reader's call: no yield across it.
    c_call: crate::interp::CCall,
}

impl<'gc> Sequence<'gc> for LoadReader<'gc> {
    fn poll(
        &mut self,
        ctx: Context<'gc>,
        exec: Execution<'gc, '_>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        self.c_call.returned(ctx, &exec);
        if self.started {
            let piece = match stack.get(0) {
                Value::Nil => None,
                Value::String(s) if s.as_bytes().is_empty() => None,
                v => match super::check::to_bytes(v) {
                    Some(b) => Some(b),
                    None => {
                        stack.replace(
                            ctx,
                            (
                                Value::Nil,
                                ctx.intern(b"reader function must return a string"),
                            ),
                        );
                        return Ok(SequencePoll::Return);
                    }
                },
            };
            match piece {
                Some(b) => self.source.extend_from_slice(&b),
                None => {
                    let result =
                        load_chunk(ctx, &self.source, &self.chunkname, &self.mode, self.env);
                    match result {
                        Ok(c) => stack.replace(ctx, c),
                        Err(msg) => stack.replace(ctx, (Value::Nil, ctx.intern(msg.as_bytes()))),
                    }
                    return Ok(SequencePoll::Return);
                }
            }
        }
        self.started = true;
        stack.clear();
        Ok(self.c_call.call(ctx, &exec, self.reader))
    }

    fn error(
        &mut self,
        ctx: Context<'gc>,
        exec: Execution<'gc, '_>,
        error: Error<'gc>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        self.c_call.returned(ctx, &exec);
        stack.replace(ctx, (Value::Nil, error_value(ctx, &error)));
        Ok(SequencePoll::Return)
    }
}

fn load_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    Callback::from_fn(&ctx, |ctx, _, mut stack| {
        let chunk = stack.get(0);
        let chunkname = opt_string(ctx, &stack, 2, "load")?.map(|s| s.as_bytes().to_vec());
        let mode =
            opt_string(ctx, &stack, 3, "load")?.map_or(b"bt".to_vec(), |s| s.as_bytes().to_vec());
        let env = (stack.len() >= 4).then(|| stack.get(3));
        match chunk {
            Value::String(_) | Value::Integer(_) | Value::Number(_) => {
                let source = super::check::to_bytes(chunk).unwrap_or_default();
                let name = chunkname.unwrap_or_else(|| source.clone());
                match load_chunk(ctx, &source, &name, &mode, env) {
                    Ok(c) => stack.replace(ctx, c),
                    Err(msg) => stack.replace(ctx, (Value::Nil, ctx.intern(msg.as_bytes()))),
                }
                Ok(CallbackReturn::Return)
            }
            Value::Function(reader) => Ok(CallbackReturn::Sequence(BoxSequence::new(
                &ctx,
                LoadReader {
                    reader,
                    source: Vec::new(),
                    chunkname: chunkname.unwrap_or_else(|| b"=(load)".to_vec()),
                    mode,
                    env,
                    started: false,
                    c_call: Default::default(),
                },
            ))),
            _ => Err(type_error(ctx, &stack, 1, "load", "function")),
        }
    })
}

/// The text C's `strerror` would give for an I/O error.
pub fn os_error_text(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "No such file or directory".into(),
        K::PermissionDenied => "Permission denied".into(),
        K::AlreadyExists => "File exists".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

/// Reads a Lua source file through the host (stdin when `path` is `None`),
/// dropping a first line that starts with `#`. Errors read like Lua's
/// (`cannot open x.lua: No such file or directory`).
pub fn read_source_file(host: &Host, path: Option<&str>) -> Result<(Vec<u8>, Vec<u8>), String> {
    let (mut data, chunkname) = match path {
        Some(p) => {
            let fs = host
                .fs
                .as_ref()
                .ok_or_else(|| format!("cannot open {p}: no file system in this host"))?;
            let data = fs
                .read_all(p)
                .map_err(|e| format!("cannot open {p}: {}", os_error_text(&e)))?;
            (data, format!("@{p}").into_bytes())
        }
        None => {
            let stdin = host
                .stdin
                .as_ref()
                .ok_or_else(|| "cannot read stdin: no standard input in this host".to_string())?;
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut *stdin.borrow_mut(), &mut data)
                .map_err(|e| format!("cannot read stdin: {}", os_error_text(&e)))?;
            (data, b"=stdin".to_vec())
        }
    };
    let skipped = data.len() - crate::compiler::skip_hash_line(&data).len();
    data.drain(..skipped);
    Ok((data, chunkname))
}

fn loadfile_callback<'gc>(ctx: Context<'gc>, host: Host, run: bool) -> Callback<'gc> {
    let fname = if run { "dofile" } else { "loadfile" };
    Callback::from_fn(&ctx, move |ctx, _, mut stack| {
        let path = opt_string(ctx, &stack, 1, fname)?.map(|s| s.to_str_lossy().into_owned());
        let mode = if run {
            b"bt".to_vec()
        } else {
            opt_string(ctx, &stack, 2, fname)?.map_or(b"bt".to_vec(), |s| s.as_bytes().to_vec())
        };
        let env = (!run && stack.len() >= 3).then(|| stack.get(2));
        let loaded = read_source_file(&host, path.as_deref())
            .and_then(|(src, name)| load_chunk(ctx, &src, &name, &mode, env));
        match (loaded, run) {
            (Ok(c), false) => {
                stack.replace(ctx, c);
                Ok(CallbackReturn::Return)
            }
            (Ok(c), true) => {
                stack.clear();
                Ok(CallbackReturn::Call {
                    function: c,
                    then: None,
                })
            }
            (Err(msg), false) => {
                stack.replace(ctx, (Value::Nil, ctx.intern(msg.as_bytes())));
                Ok(CallbackReturn::Return)
            }
            (Err(msg), true) => Err(lua_error(ctx, msg)),
        }
    })
}

fn warn_callback<'gc>(ctx: Context<'gc>, out: OutputBuffer) -> Callback<'gc> {
    let on = Rc::new(Cell::new(false));
    Callback::from_fn(&ctx, move |ctx, _, mut stack| {
        check_string(ctx, &stack, 1, "warn")?;
        let mut msg = Vec::new();
        for i in 1..=stack.len() {
            msg.extend_from_slice(check_string(ctx, &stack, i, "warn")?.as_bytes());
        }
        stack.clear();
        if stack_is_control(&msg) {
            match &msg[..] {
                b"@on" => on.set(true),
                b"@off" => on.set(false),
                _ => {}
            }
        } else if on.get() {
            out.write(b"Lua warning: ");
            out.write(&msg);
            out.write(b"\n");
        }
        Ok(CallbackReturn::Return)
    })
}

fn stack_is_control(msg: &[u8]) -> bool {
    msg.first() == Some(&b'@')
}

fn collectgarbage_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    let running = Rc::new(Cell::new(true));
    let generational = Rc::new(Cell::new(false));
    let pause = Rc::new(Cell::new(200i64));
    let stepmul = Rc::new(Cell::new(100i64));
    Callback::from_fn(&ctx, move |ctx, mut exec, mut stack| {
        let opt = opt_string(ctx, &stack, 1, "collectgarbage")?
            .map_or(b"collect".to_vec(), |s| s.as_bytes().to_vec());
        if crate::interp::frames::is_finalizing(ctx) {
            // The collector is not reentrant: inside a finalizer every
            // option gives fail (nil), as lua_gc's -1 does.
            stack.replace(ctx, Value::Nil);
            return Ok(CallbackReturn::Return);
        }
        let result: Value<'gc> = match &opt[..] {
            b"collect" => {
                // A full collection, between this call and the caller's
                // next instruction: the runtime collects once the slice
                // is interrupted (weak tables lose their dead entries).
                crate::weak::request_collect(ctx);
                exec.fuel().interrupt();
                Value::Integer(0)
            }
            b"stop" => {
                // The collector sleeps until an impossible amount has been
                // allocated (from the end of the cycle under way).
                running.set(false);
                ctx.metrics()
                    .set_pacing(crate::runtime::gc_pacing().with_min_sleep(usize::MAX));
                Value::Integer(0)
            }
            b"restart" => {
                // The sleep set while stopped lasts until a cycle ends: end
                // one now (a full collection), then the usual pacing applies.
                if !running.replace(true) {
                    ctx.metrics().set_pacing(crate::runtime::gc_pacing());
                    crate::weak::request_collect(ctx);
                    exec.fuel().interrupt();
                }
                Value::Integer(0)
            }
            b"count" => Value::Number(ctx.metrics().total_allocation() as f64 / 1024.0),
            b"step" => {
                // Each step completes a cycle: a full collection, as for
                // "collect".
                crate::weak::request_collect(ctx);
                exec.fuel().interrupt();
                Value::Boolean(true)
            }
            b"isrunning" => Value::Boolean(running.get()),
            b"incremental" | b"generational" => {
                let was = if generational.get() {
                    "generational"
                } else {
                    "incremental"
                };
                generational.set(&opt[..] == b"generational");
                Value::String(ctx.intern_static(was.as_bytes()))
            }
            b"setpause" => {
                let new = super::check::opt_integer(ctx, &stack, 2, "collectgarbage", 0)?;
                Value::Integer(pause.replace(new))
            }
            b"setstepmul" => {
                let new = super::check::opt_integer(ctx, &stack, 2, "collectgarbage", 0)?;
                Value::Integer(stepmul.replace(new))
            }
            other => {
                return Err(arg_error(
                    ctx,
                    1,
                    "collectgarbage",
                    &format!("invalid option '{}'", String::from_utf8_lossy(other)),
                ))
            }
        };
        stack.replace(ctx, result);
        Ok(CallbackReturn::Return)
    })
}

/// Used by other libraries to show numbers as `tostring` does.
pub fn number_to_string(v: Value<'_>) -> Option<String> {
    match v {
        Value::Integer(i) => Some(i.to_string()),
        Value::Number(f) => Some(float_to_string(f)),
        _ => None,
    }
}
