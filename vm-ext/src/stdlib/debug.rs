//! The `debug` library.
//!
//! On the luahome core (the project's interpreter) the library sees every
//! frame of the running thread and of suspended coroutines through
//! [`crate::interp::frames`]: `getinfo` at any level or of a function,
//! `traceback` in PUC Lua's format, `getlocal`/`setlocal`,
//! `sethook`/`gethook` (call, return, line and count events), plus
//! `getupvalue`/`setupvalue`/`upvalueid`/`upvaluejoin` of its closures.
//! Library functions that are C closures in PUC Lua (`string.gmatch`'s
//! iterator, `coroutine.wrap`'s function) show their upvalues, named "";
//! `upvalueid` gives a light userdata (a userdata of its own kind, which
//! argument errors call "light userdata").
//!
//! On piccolo's core, as far as piccolo 0.3.3 lets a library see its VM:
//! `traceback` names the calling Lua frame only, `getinfo` knows functions
//! and level 1 (deeper levels give a placeholder record), `getupvalue`/
//! `setupvalue` reach closed upvalues only, `getlocal`/`setlocal` give nil
//! and hooks are never called.
//!
//! Both: `getmetatable`/`setmetatable` without `__metatable` protection and
//! for every type, `getregistry`, `getuservalue`/`setuservalue` (userdata
//! have no user values). Missing: `upvaluejoin` of piccolo's closures and
//! `debug.debug` (no console).

use gc_arena::{lock::RefLock, Collect, Gc, GcWeak, Rootable};
use piccolo::{
    closure::UpValueState, compiler::FunctionRef, userdata::UserDataInner, Callback,
    CallbackReturn, Context, Function, Singleton, Stack, Table, UserData, Value,
};

use super::check::{
    arg_error, check_any, check_function, check_integer, metatable_of, opt_integer,
    set_type_metatable, type_error,
};
use crate::interp::frames;

#[derive(Copy, Clone, Collect)]
#[collect(no_drop)]
struct Registry<'gc>(Table<'gc>);

impl<'gc> Singleton<'gc> for Registry<'gc> {
    fn create(ctx: Context<'gc>) -> Self {
        Registry(Table::new(&ctx))
    }
}

/// `source` and `short_src` for a chunk whose display name is `name`.
fn source_of(name: &str) -> (String, String) {
    if name.starts_with("[string ") {
        (name.to_string(), name.to_string())
    } else if name == "?" || name == "=?" {
        ("=?".to_string(), "?".to_string())
    } else {
        (format!("@{name}"), name.to_string())
    }
}

fn info_table<'gc>(ctx: Context<'gc>, fields: &[(&str, Value<'gc>)]) -> Table<'gc> {
    let t = Table::new(&ctx);
    for (k, v) in fields {
        let _ = t.set(ctx, ctx.intern(k.as_bytes()), *v);
    }
    t
}

fn s<'gc>(ctx: Context<'gc>, text: &str) -> Value<'gc> {
    Value::String(ctx.intern(text.as_bytes()))
}

fn function_info<'gc>(ctx: Context<'gc>, f: Function<'gc>) -> Table<'gc> {
    match f {
        Function::Closure(c) => {
            let proto = c.prototype();
            let name = proto.chunk_name.to_str_lossy().into_owned();
            let (source, short_src) = source_of(&name);
            let (what, line) = match proto.reference {
                FunctionRef::Chunk => ("main", 0i64),
                FunctionRef::Named(_, l) | FunctionRef::Expression(l) => ("Lua", l.0 as i64 + 1),
            };
            info_table(
                ctx,
                &[
                    ("source", s(ctx, &source)),
                    ("short_src", s(ctx, &short_src)),
                    ("what", s(ctx, what)),
                    ("linedefined", Value::Integer(line)),
                    ("lastlinedefined", Value::Integer(-1)),
                    ("currentline", Value::Integer(-1)),
                    ("nparams", Value::Integer(proto.fixed_params as i64)),
                    ("isvararg", Value::Boolean(proto.has_varargs)),
                    ("nups", Value::Integer(c.upvalues().len() as i64)),
                    ("istailcall", Value::Boolean(false)),
                    ("func", Value::Function(f)),
                ],
            )
        }
        Function::Callback(_) if crate::interp::as_lua_closure(ctx, f).is_some() => {
            let cl = crate::interp::as_lua_closure(ctx, f).expect("checked");
            own_info(ctx, cl, Some(f))
        }
        Function::Callback(cb) => info_table(
            ctx,
            &[
                ("source", s(ctx, "=[C]")),
                ("short_src", s(ctx, "[C]")),
                ("what", s(ctx, "C")),
                ("linedefined", Value::Integer(-1)),
                ("lastlinedefined", Value::Integer(-1)),
                ("currentline", Value::Integer(-1)),
                ("nparams", Value::Integer(0)),
                ("isvararg", Value::Boolean(true)),
                (
                    "nups",
                    Value::Integer(
                        crate::interp::c_upvalues(ctx, cb).map_or(0, |u| u.borrow().len() as i64),
                    ),
                ),
                ("istailcall", Value::Boolean(false)),
                ("func", Value::Function(f)),
            ],
        ),
    }
}

/// `debug.getinfo` fields of a luahome closure (`func` when known).
fn own_info<'gc>(
    ctx: Context<'gc>,
    cl: crate::interp::ClosureRef<'gc>,
    func: Option<Function<'gc>>,
) -> Table<'gc> {
    let p = &cl.proto.proto;
    let what = if p.line_defined == 0 { "main" } else { "Lua" };
    let active = Table::new(&ctx);
    // (Line 0: no line information, `string.dump(f, true)`.)
    for &l in p.lines.iter().filter(|&&l| l > 0) {
        let _ = active.set(ctx, l as i64, true);
    }
    let t = info_table(
        ctx,
        &[
            ("source", s(ctx, &p.source)),
            ("short_src", s(ctx, &cl.proto.chunk_id)),
            ("what", s(ctx, what)),
            ("linedefined", Value::Integer(p.line_defined as i64)),
            (
                "lastlinedefined",
                Value::Integer(p.last_line_defined as i64),
            ),
            ("currentline", Value::Integer(-1)),
            ("nparams", Value::Integer(p.num_params as i64)),
            ("isvararg", Value::Boolean(p.is_vararg)),
            ("nups", Value::Integer(cl.upvalues.len() as i64)),
            ("istailcall", Value::Boolean(false)),
            ("activelines", Value::Table(active)),
        ],
    );
    if let Some(f) = func {
        let _ = t.set(ctx, "func", f);
    }
    t
}

/// `debug.getregistry()._HOOKKEY`: thread -> hook function, with weak
/// keys, as PUC Lua keeps it (the interpreter reads its own copy).
fn hook_table<'gc>(ctx: Context<'gc>) -> Table<'gc> {
    let reg = ctx.singleton::<Rootable![Registry<'_>]>().0;
    if let Value::Table(t) = reg.get(ctx, "_HOOKKEY") {
        return t;
    }
    let t = Table::new(&ctx);
    let mt = Table::new(&ctx);
    mt.set(ctx, "__mode", "k").ok();
    t.set_metatable(&ctx, Some(mt));
    reg.set(ctx, "_HOOKKEY", t).ok();
    t
}

/// `[thread,]` of a debug function: the thread, whether it is the running
/// one, whether it is the main thread, and how many arguments it took.
fn thread_arg<'gc>(
    exec: &piccolo::Execution<'gc, '_>,
    stack: &mut Stack<'gc, '_>,
) -> (piccolo::Thread<'gc>, bool, bool, usize) {
    let cur = exec.current_thread();
    if let Value::Thread(t) = stack.get(0) {
        stack.pop_front();
        let current = t == cur.thread;
        return (t, current, current && cur.is_main, 1);
    }
    (cur.thread, true, cur.is_main, 0)
}

/// Whether the luahome core's frames answer for this call (not called from
/// piccolo's own VM).
fn own_core(exec: &piccolo::Execution<'_, '_>) -> bool {
    exec.upper_lua_frame().is_none()
}

/// `debug.getinfo`'s table for `info`, with the fields `opts` asks for.
fn info_to_table<'gc>(ctx: Context<'gc>, info: &frames::Info<'gc>, opts: &[u8]) -> Table<'gc> {
    let t = Table::new(&ctx);
    let set = |k: &'static str, v: Value<'gc>| {
        let _ = t.set(ctx, k, v);
    };
    for &o in opts {
        match o {
            b'S' => {
                set("source", s(ctx, &info.source));
                set("short_src", s(ctx, &info.short_src));
                set("what", s(ctx, info.what));
                set("linedefined", Value::Integer(info.line_defined));
                set("lastlinedefined", Value::Integer(info.last_line_defined));
            }
            b'l' => set("currentline", Value::Integer(info.current_line)),
            b'u' => {
                set("nups", Value::Integer(info.nups));
                set("nparams", Value::Integer(info.nparams));
                set("isvararg", Value::Boolean(info.is_vararg));
            }
            b'n' => match &info.name {
                Some((what, name)) => {
                    set("name", s(ctx, name));
                    set("namewhat", s(ctx, what));
                }
                None => set("namewhat", s(ctx, "")),
            },
            b'r' => {
                set("ftransfer", Value::Integer(info.transfer.0 as i64));
                set("ntransfer", Value::Integer(info.transfer.1 as i64));
            }
            b't' => set("istailcall", Value::Boolean(info.is_tail)),
            b'L' => {
                if let Some(lines) = &info.lines {
                    let active = Table::new(&ctx);
                    for &l in lines.iter().filter(|&&l| l > 0) {
                        let _ = active.set(ctx, l as i64, true);
                    }
                    set("activelines", Value::Table(active));
                }
            }
            b'f' => {
                if let Some(f) = info.func {
                    set("func", Value::Function(f));
                }
            }
            _ => {}
        }
    }
    t
}

/// `(closure, index)` when argument 1 is a function of the luahome core
/// (index range not checked).
fn own_upvalue<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    fname: &str,
) -> Result<Option<(crate::interp::ClosureRef<'gc>, usize)>, piccolo::Error<'gc>> {
    let Value::Function(f) = stack.get(0) else {
        return Ok(None);
    };
    let Some(cl) = crate::interp::as_lua_closure(ctx, f) else {
        return Ok(None);
    };
    let n = check_integer(ctx, stack, 2, fname)?;
    Ok(Some((cl, if n >= 1 { n as usize - 1 } else { usize::MAX })))
}

/// The upvalues of a library function given as argument 1 and the index
/// (argument 2, from 0) when it is in range: PUC Lua's C closures.
#[allow(clippy::type_complexity)]
fn c_upvalue<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    fname: &str,
) -> Result<Option<(Gc<'gc, RefLock<Box<[Value<'gc>]>>>, usize)>, piccolo::Error<'gc>> {
    let Value::Function(Function::Callback(cb)) = stack.get(0) else {
        return Ok(None);
    };
    let n = check_integer(ctx, stack, 2, fname)?;
    Ok(crate::interp::c_upvalues(ctx, cb).and_then(|ups| {
        let len = ups.borrow().len();
        usize::try_from(n)
            .ok()
            .filter(|&n| n >= 1 && n <= len)
            .map(|n| (ups, n - 1))
    }))
}

/// `checkupval` of PUC's debug library: the identity of upvalue
/// `stack[arg]` of function `stack[arg - 1]` (`arg` from 1, the function's
/// position), or `None` for an index out of range; a type error for
/// anything but a function and an integer.
fn upvalue_id<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    arg: usize,
    fname: &str,
) -> Result<Option<usize>, piccolo::Error<'gc>> {
    let n = check_integer(ctx, stack, arg + 1, fname)?;
    let Value::Function(f) = stack.get(arg - 1) else {
        return Err(type_error(ctx, stack, arg, fname, "function"));
    };
    let Some(i) = usize::try_from(n).ok().and_then(|n| n.checked_sub(1)) else {
        return Ok(None);
    };
    Ok(match f {
        Function::Closure(c) => c
            .upvalues()
            .get(i)
            .map(|u| Gc::as_ptr(u.into_inner()) as usize),
        Function::Callback(cb) => match crate::interp::as_lua_closure(ctx, f) {
            Some(cl) => cl.upvalue_id(i),
            None => crate::interp::c_upvalues(ctx, cb).and_then(|ups| {
                let ups = ups.borrow();
                ups.get(i).map(|v| v as *const Value<'gc> as usize)
            }),
        },
    })
}

/// A light userdata (PUC Lua's raw `void*` value, here only made by
/// `debug.upvalueid`): a userdata holding the address, the same value for
/// the same address while one is alive.
pub(crate) struct Light(
    #[allow(dead_code)] // (the identity is the point; kept for debugging)
    pub  usize,
);

#[derive(Collect)]
#[collect(no_drop)]
struct LightValues<'gc>(Gc<'gc, RefLock<LightMap<'gc>>>);

type LightMap<'gc> = std::collections::HashMap<usize, GcWeak<'gc, UserDataInner<'gc>>>;

impl<'gc> Singleton<'gc> for LightValues<'gc> {
    fn create(ctx: Context<'gc>) -> Self {
        LightValues(Gc::new(&ctx, RefLock::default()))
    }
}

fn light_userdata<'gc>(ctx: Context<'gc>, addr: usize) -> UserData<'gc> {
    let map = ctx.singleton::<Rootable![LightValues<'_>]>().0;
    if let Some(u) = map.borrow().get(&addr).and_then(|w| w.upgrade(&ctx)) {
        return UserData::from_inner(u);
    }
    let u = UserData::new_static(&ctx, Light(addr));
    let mut map = map.borrow_mut(&ctx);
    if map.len() >= 64 && map.len().is_power_of_two() {
        map.retain(|_, w| w.upgrade(&ctx).is_some());
    }
    map.insert(addr, Gc::downgrade(u.into_inner()));
    u
}

/// Whether `v` is a light userdata (see [`Light`]).
pub(crate) fn is_light(v: Value<'_>) -> bool {
    matches!(v, Value::UserData(u) if u.is_static::<Light>())
}

fn upvalue<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    fname: &str,
) -> Result<Option<(piccolo::Closure<'gc>, usize)>, piccolo::Error<'gc>> {
    let n = check_integer(ctx, stack, 2, fname)?;
    match stack.get(0) {
        Value::Function(Function::Closure(c)) => {
            if n >= 1 && (n as usize) <= c.upvalues().len() {
                Ok(Some((c, n as usize - 1)))
            } else {
                Ok(None)
            }
        }
        Value::Function(Function::Callback(_)) => Ok(None),
        _ => Err(type_error(ctx, stack, 1, fname, "function")),
    }
}

fn upvalue_name(c: piccolo::Closure<'_>, i: usize) -> &'static str {
    match c.prototype().upvalues.get(i) {
        Some(piccolo::types::UpValueDescriptor::Environment) => "_ENV",
        _ => "(no name)",
    }
}

/// Installs the `debug` library.
pub fn load_debug<'gc>(ctx: Context<'gc>) {
    let debug = Table::new(&ctx);

    debug
        .set(
            ctx,
            "traceback",
            Callback::from_fn(&ctx, |ctx, exec, mut stack| {
                let (thread, current, is_main, _) = thread_arg(&exec, &mut stack);
                let msg = stack.get(0);
                if !matches!(
                    msg,
                    Value::Nil | Value::String(_) | Value::Integer(_) | Value::Number(_)
                ) {
                    stack.replace(ctx, msg);
                    return Ok(CallbackReturn::Return);
                }
                let mut out = super::check::to_bytes(msg).unwrap_or_default();
                if !out.is_empty() {
                    out.push(b'\n');
                }
                if own_core(&exec) {
                    let default = if current { 1 } else { 0 };
                    let level = match stack.get(1) {
                        Value::Nil => default,
                        _ => check_integer(ctx, &stack, 2, "traceback")?,
                    };
                    let levels = frames::stack_levels(ctx, thread, current, is_main);
                    let text = frames::traceback_text(ctx, &levels, level.max(0) as usize);
                    out.extend_from_slice(text.as_bytes());
                    stack.replace(ctx, ctx.intern(&out));
                    return Ok(CallbackReturn::Return);
                }
                out.extend_from_slice(b"stack traceback:");
                if let Some(frame) = exec.upper_lua_frame() {
                    let what = match frame.current_function {
                        FunctionRef::Chunk => "in main chunk".to_string(),
                        FunctionRef::Named(name, _) => {
                            format!("in function '{}'", name.to_str_lossy())
                        }
                        FunctionRef::Expression(line) => {
                            format!("in function <{}:{}>", frame.chunk_name.to_str_lossy(), line)
                        }
                    };
                    out.extend_from_slice(
                        format!(
                            "\n\t{}:{}: {what}",
                            frame.chunk_name.to_str_lossy(),
                            frame.current_line
                        )
                        .as_bytes(),
                    );
                }
                out.extend_from_slice(b"\n\t[C]: in ?");
                stack.replace(ctx, ctx.intern(&out));
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();

    debug
        .set(
            ctx,
            "getinfo",
            Callback::from_fn(&ctx, |ctx, exec, mut stack| {
                let (thread, current, is_main, shift) = thread_arg(&exec, &mut stack);
                let opts: Vec<u8> = match stack.get(1) {
                    Value::Nil => b"flnSrtu".to_vec(),
                    Value::String(o) => o.as_bytes().to_vec(),
                    _ => return Err(type_error(ctx, &stack, 2 + shift, "getinfo", "string")),
                };
                if opts.first() == Some(&b'>') {
                    return Err(arg_error(ctx, 2 + shift, "getinfo", "invalid option '>'"));
                }
                if !opts.iter().all(|c| b"SlnrutfL".contains(c)) {
                    return Err(arg_error(ctx, 2 + shift, "getinfo", "invalid option"));
                }
                let own_f = matches!(stack.get(0), Value::Function(Function::Callback(_)));
                if own_core(&exec) || own_f {
                    let info = match stack.get(0) {
                        Value::Function(f) => Some(frames::function_info(ctx, f)),
                        Value::Integer(_) | Value::Number(_) => {
                            let level = check_integer(ctx, &stack, 1, "getinfo")?;
                            let levels = frames::stack_levels(ctx, thread, current, is_main);
                            usize::try_from(level)
                                .ok()
                                .and_then(|l| frames::level_info(ctx, &levels, l))
                        }
                        _ => {
                            return Err(arg_error(
                                ctx,
                                1 + shift,
                                "getinfo",
                                "function or level expected",
                            ))
                        }
                    };
                    match info {
                        Some(info) => stack.replace(ctx, info_to_table(ctx, &info, &opts)),
                        None => stack.replace(ctx, Value::Nil),
                    }
                    return Ok(CallbackReturn::Return);
                }
                let result = match stack.get(0) {
                    Value::Function(f) => Value::Table(function_info(ctx, f)),
                    Value::Integer(_) | Value::Number(_) => {
                        let level = check_integer(ctx, &stack, 1, "getinfo")?;
                        match level {
                            0 => info_table(
                                ctx,
                                &[
                                    ("source", s(ctx, "=[C]")),
                                    ("short_src", s(ctx, "[C]")),
                                    ("what", s(ctx, "C")),
                                    ("name", s(ctx, "getinfo")),
                                    ("namewhat", s(ctx, "field")),
                                    ("currentline", Value::Integer(-1)),
                                    ("linedefined", Value::Integer(-1)),
                                    ("nparams", Value::Integer(0)),
                                    ("isvararg", Value::Boolean(true)),
                                    ("nups", Value::Integer(0)),
                                ],
                            )
                            .into(),
                            1 => match exec.upper_lua_frame() {
                                Some(frame) => {
                                    let name = frame.chunk_name.to_str_lossy().into_owned();
                                    let (source, short_src) = source_of(&name);
                                    let (what, line) = match frame.current_function {
                                        FunctionRef::Chunk => ("main", 0),
                                        FunctionRef::Named(_, l) | FunctionRef::Expression(l) => {
                                            ("Lua", l.0 as i64 + 1)
                                        }
                                    };
                                    let t = info_table(
                                        ctx,
                                        &[
                                            ("source", s(ctx, &source)),
                                            ("short_src", s(ctx, &short_src)),
                                            ("what", s(ctx, what)),
                                            (
                                                "currentline",
                                                Value::Integer(frame.current_line.0 as i64 + 1),
                                            ),
                                            ("linedefined", Value::Integer(line)),
                                            ("lastlinedefined", Value::Integer(-1)),
                                            ("namewhat", s(ctx, "")),
                                            ("istailcall", Value::Boolean(false)),
                                        ],
                                    );
                                    if let FunctionRef::Named(n, _) = frame.current_function {
                                        let _ = t.set(ctx, "name", n);
                                    }
                                    t.into()
                                }
                                None => match crate::interp::call_site_closure(ctx) {
                                    // Called from the luahome core: its calling frame.
                                    Some((cl, line)) => {
                                        let t = own_info(ctx, cl, None);
                                        let _ = t.set(ctx, "currentline", line);
                                        let _ = t.set(ctx, "namewhat", s(ctx, ""));
                                        t.into()
                                    }
                                    None => Value::Nil,
                                },
                            },
                            2..=255 => info_table(
                                ctx,
                                &[
                                    ("source", s(ctx, "=?")),
                                    ("short_src", s(ctx, "?")),
                                    ("what", s(ctx, "Lua")),
                                    ("currentline", Value::Integer(-1)),
                                    ("linedefined", Value::Integer(-1)),
                                    ("lastlinedefined", Value::Integer(-1)),
                                    ("namewhat", s(ctx, "")),
                                ],
                            )
                            .into(),
                            _ => Value::Nil,
                        }
                    }
                    _ => return Err(arg_error(ctx, 1, "getinfo", "function or level expected")),
                };
                stack.replace(ctx, result);
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();

    debug
        .set(
            ctx,
            "getmetatable",
            Callback::from_fn(&ctx, |ctx, _, mut stack| {
                let v = check_any(ctx, &stack, 1, "getmetatable")?;
                stack.replace(ctx, metatable_of(ctx, v).map_or(Value::Nil, Value::Table));
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();

    debug
        .set(
            ctx,
            "setmetatable",
            Callback::from_fn(&ctx, |ctx, _, mut stack| {
                let v = stack.get(0);
                let mt = match stack.get(1) {
                    Value::Table(t) => Some(t),
                    Value::Nil => None,
                    _ => return Err(type_error(ctx, &stack, 2, "setmetatable", "nil or table")),
                };
                match v {
                    Value::Table(t) => {
                        crate::weak::set_metatable(ctx, t, mt);
                    }
                    Value::UserData(u) => {
                        u.set_metatable(&ctx, mt);
                        crate::finalize::note_metatable(ctx, v, mt);
                    }
                    _ => set_type_metatable(ctx, v, mt),
                }
                stack.replace(ctx, v);
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();

    debug
        .set(
            ctx,
            "getupvalue",
            Callback::from_fn(&ctx, |ctx, _, mut stack| {
                if let Some((cl, i)) = own_upvalue(ctx, &stack, "getupvalue")? {
                    match cl.upvalue(i) {
                        Some((name, v)) => stack.replace(ctx, (ctx.intern(name.as_bytes()), v)),
                        None => stack.clear(),
                    }
                    return Ok(CallbackReturn::Return);
                }
                if let Some((ups, i)) = c_upvalue(ctx, &stack, "getupvalue")? {
                    let v = ups.borrow()[i];
                    stack.replace(ctx, (ctx.intern_static(b""), v));
                    return Ok(CallbackReturn::Return);
                }
                match upvalue(ctx, &stack, "getupvalue")? {
                    Some((c, i)) => {
                        // An open upvalue may live on the running thread, whose
                        // stack piccolo keeps borrowed: its value is not readable here.
                        let v = match c.upvalues()[i].get() {
                            UpValueState::Closed(v) => v,
                            UpValueState::Open(_) => Value::Nil,
                        };
                        stack.replace(ctx, (ctx.intern_static(upvalue_name(c, i).as_bytes()), v));
                    }
                    None => stack.clear(),
                }
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();

    debug
        .set(
            ctx,
            "setupvalue",
            Callback::from_fn(&ctx, |ctx, _, mut stack| {
                check_any(ctx, &stack, 3, "setupvalue")?;
                let v = stack.get(2);
                if let Some((cl, i)) = own_upvalue(ctx, &stack, "setupvalue")? {
                    match cl.set_upvalue(&ctx, i, v) {
                        Some(name) => {
                            let name = ctx.intern(name.as_bytes());
                            stack.replace(ctx, name)
                        }
                        None => stack.clear(),
                    }
                    return Ok(CallbackReturn::Return);
                }
                if let Some((ups, i)) = c_upvalue(ctx, &stack, "setupvalue")? {
                    // (Shown by `getupvalue`; the function keeps its own state.)
                    ups.borrow_mut(&ctx)[i] = v;
                    stack.replace(ctx, ctx.intern_static(b""));
                    return Ok(CallbackReturn::Return);
                }
                match upvalue(ctx, &stack, "setupvalue")? {
                    Some((c, i)) => {
                        let up = c.upvalues()[i];
                        match up.get() {
                            UpValueState::Closed(_) => {
                                up.set(&ctx, UpValueState::Closed(v));
                                stack
                                    .replace(ctx, ctx.intern_static(upvalue_name(c, i).as_bytes()));
                            }
                            // See `getupvalue`: open upvalues cannot be reached safely.
                            UpValueState::Open(_) => stack.clear(),
                        }
                    }
                    None => stack.clear(),
                }
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();

    debug
        .set(
            ctx,
            "upvalueid",
            Callback::from_fn(&ctx, |ctx, _, mut stack| {
                // An invalid index gives fail, as in Lua 5.4.8.
                let id = upvalue_id(ctx, &stack, 1, "upvalueid")?;
                stack.replace(
                    ctx,
                    id.map_or(Value::Nil, |id| light_userdata(ctx, id).into()),
                );
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();

    debug
        .set(
            ctx,
            "upvaluejoin",
            Callback::from_fn(&ctx, |ctx, _, stack| {
                // Upvalue indices (from 0), checked as `checkupval` does.
                let mut index = [0usize; 2];
                for (slot, arg) in index.iter_mut().zip([1, 3]) {
                    if upvalue_id(ctx, &stack, arg, "upvaluejoin")?.is_none() {
                        return Err(arg_error(
                            ctx,
                            arg + 1,
                            "upvaluejoin",
                            "invalid upvalue index",
                        ));
                    }
                    *slot = check_integer(ctx, &stack, arg + 1, "upvaluejoin")? as usize - 1;
                }
                let own = |arg: usize| match stack.get(arg - 1) {
                    Value::Function(Function::Callback(cb)) => {
                        crate::interp::as_lua_closure(ctx, Function::Callback(cb))
                            .map(|cl| (cb, cl))
                    }
                    _ => None,
                };
                let (Some((f1, _)), Some((_, f2))) = (own(1), own(3)) else {
                    let arg = if own(1).is_none() { 1 } else { 3 };
                    let msg = match stack.get(arg - 1) {
                        // piccolo's closures never change their upvalues.
                        Value::Function(Function::Closure(_)) => {
                            "Lua function of this core expected"
                        }
                        _ => "Lua function expected",
                    };
                    return Err(arg_error(ctx, arg, "upvaluejoin", msg));
                };
                let cell = f2.upvalues[index[1]];
                crate::interp::join_upvalue(ctx, f1, index[0], cell);
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();

    debug
        .set(
            ctx,
            "getlocal",
            Callback::from_fn(&ctx, |ctx, exec, mut stack| {
                let args: Vec<Value<'_>> = (0..stack.len()).map(|i| stack.get(i)).collect();
                let (thread, current, is_main, shift) = thread_arg(&exec, &mut stack);
                let n = check_integer(ctx, &stack, 2, "getlocal")?;
                if current && own_core(&exec) && matches!(stack.get(0), Value::Integer(0)) {
                    // Level 0 is `getlocal` itself: its slots are its arguments.
                    match usize::try_from(n)
                        .ok()
                        .filter(|&n| n >= 1 && n <= args.len())
                    {
                        Some(n) => stack.replace(ctx, (s(ctx, "(C temporary)"), args[n - 1])),
                        None => stack.replace(ctx, Value::Nil),
                    }
                    return Ok(CallbackReturn::Return);
                }
                if let Value::Function(f) = stack.get(0) {
                    // Parameter names of a function (no values).
                    let name = crate::interp::as_lua_closure(ctx, f).and_then(|cl| {
                        let p = &cl.proto.proto;
                        usize::try_from(n)
                            .ok()
                            .filter(|&n| n >= 1)
                            .and_then(|n| p.local_name(n, 0).map(|s| s.to_string()))
                    });
                    match name {
                        Some(name) => stack.replace(ctx, s(ctx, &name)),
                        None => stack.replace(ctx, Value::Nil),
                    }
                    return Ok(CallbackReturn::Return);
                }
                let level = check_integer(ctx, &stack, 1, "getlocal")?;
                let levels = frames::stack_levels(ctx, thread, current, is_main);
                let level = usize::try_from(level).ok().filter(|&l| l < levels.len());
                let Some(level) = level else {
                    return Err(arg_error(ctx, 1 + shift, "getlocal", "level out of range"));
                };
                match frames::get_local(&levels, level, n) {
                    Some((name, v)) => stack.replace(ctx, (s(ctx, &name), v)),
                    None => stack.replace(ctx, Value::Nil),
                }
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();

    debug
        .set(
            ctx,
            "setlocal",
            Callback::from_fn(&ctx, |ctx, exec, mut stack| {
                let (thread, current, is_main, shift) = thread_arg(&exec, &mut stack);
                let level = check_integer(ctx, &stack, 1, "setlocal")?;
                let n = check_integer(ctx, &stack, 2, "setlocal")?;
                check_any(ctx, &stack, 3, "setlocal")?;
                let v = stack.get(2);
                let levels = frames::stack_levels(ctx, thread, current, is_main);
                let level = usize::try_from(level).ok().filter(|&l| l < levels.len());
                let Some(level) = level else {
                    return Err(arg_error(ctx, 1 + shift, "setlocal", "level out of range"));
                };
                match frames::set_local(&ctx, &levels, level, n, v) {
                    Some(name) => stack.replace(ctx, s(ctx, &name)),
                    None => stack.replace(ctx, Value::Nil),
                }
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();

    debug
        .set(
            ctx,
            "sethook",
            Callback::from_fn(&ctx, |ctx, exec, mut stack| {
                let (thread, _, _, shift) = thread_arg(&exec, &mut stack);
                let dbg = frames::DebugState::get(ctx);
                if stack.get(0).is_nil() {
                    dbg.set_hook(&ctx, thread, None);
                    hook_table(ctx).set(ctx, thread, Value::Nil).ok();
                    stack.clear();
                    return Ok(CallbackReturn::Return);
                }
                let func = check_function(ctx, &stack, 1, "sethook")?;
                let mask_str = match stack.get(1) {
                    Value::String(m) => m.as_bytes().to_vec(),
                    _ => return Err(type_error(ctx, &stack, 2 + shift, "sethook", "string")),
                };
                let count = opt_integer(ctx, &stack, 3, "sethook", 0)?;
                let mut mask = 0u8;
                for &c in &mask_str {
                    mask |= match c {
                        b'c' => frames::MASK_CALL,
                        b'r' => frames::MASK_RET,
                        b'l' => frames::MASK_LINE,
                        _ => 0,
                    };
                }
                if count > 0 {
                    mask |= frames::MASK_COUNT;
                }
                let hook = (mask != 0).then_some(frames::Hook {
                    func,
                    mask,
                    count: count.clamp(0, u32::MAX as i64) as u32,
                    allowed: true,
                    serial: 0,
                });
                dbg.set_hook(&ctx, thread, hook);
                hook_table(ctx).set(ctx, thread, hook.map(|h| h.func)).ok();
                stack.clear();
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();

    debug
        .set(
            ctx,
            "gethook",
            Callback::from_fn(&ctx, |ctx, exec, mut stack| {
                let (thread, _, _, _) = thread_arg(&exec, &mut stack);
                match frames::DebugState::get(ctx).hook(thread) {
                    Some(h) => {
                        let mut m = String::new();
                        if h.mask & frames::MASK_CALL != 0 {
                            m.push('c');
                        }
                        if h.mask & frames::MASK_RET != 0 {
                            m.push('r');
                        }
                        if h.mask & frames::MASK_LINE != 0 {
                            m.push('l');
                        }
                        stack.replace(ctx, (h.func, s(ctx, &m), h.count as i64));
                    }
                    None => stack.replace(ctx, Value::Nil),
                }
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();

    debug
        .set(
            ctx,
            "getregistry",
            Callback::from_fn(&ctx, |ctx, _, mut stack| {
                let r = ctx.singleton::<Rootable![Registry<'_>]>().0;
                stack.replace(ctx, r);
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();

    debug
        .set(
            ctx,
            "getuservalue",
            Callback::from_fn(&ctx, |ctx, _, mut stack| {
                stack.replace(ctx, (Value::Nil, false));
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();

    debug
        .set(
            ctx,
            "setuservalue",
            Callback::from_fn(&ctx, |ctx, _, mut stack| {
                let u = stack.get(0);
                if !matches!(u, Value::UserData(_)) || is_light(u) {
                    return Err(type_error(ctx, &stack, 1, "setuservalue", "userdata"));
                }
                // Userdata here have no user values: setting one fails (nil),
                // as PUC's does for an index out of range.
                stack.replace(ctx, Value::Nil);
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();

    debug
        .set(
            ctx,
            "debug",
            Callback::from_fn(&ctx, |_, _, _| Ok(CallbackReturn::Return)),
        )
        .unwrap();

    super::check::position_all(ctx, debug);
    ctx.set_global("debug", debug).unwrap();
}
