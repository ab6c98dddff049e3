//! Argument checking with Lua 5.4's messages
//! (`bad argument #1 to 'insert' (table expected, got nil)`), shared by the
//! libraries in this crate. Argument numbers are 1-based, as Lua shows them.

use gc_arena::{Collect, Gc, Rootable};
use piccolo::{Context, Error, Execution, Function, Singleton, Stack, Table, Value};

use super::lua_error;
use crate::{
    number::float_to_string,
    number::{float_to_i64, str_to_number, Num},
};

/// The most values a library function returns at once (`table.unpack`,
/// `string.byte`): Lua's stack limit (`LUAI_MAXSTACK`, 1,000,000 slots) less
/// the few slots the call itself occupies, so requests Lua refuses with
/// "too many results" / "stack overflow" are refused here too.
pub const MAX_RESULTS: u64 = 1_000_000 - 16;

/// The name Lua uses for `v`'s type in messages: `__name` when the metatable
/// has a string one, else the basic type name.
pub fn type_name<'gc>(ctx: Context<'gc>, v: Value<'gc>) -> String {
    let mt = match v {
        Value::Table(t) => t.metatable(),
        Value::UserData(u) => u.metatable(),
        _ => None,
    };
    if let Some(Value::String(s)) = mt.map(|mt| mt.get(ctx, "__name")) {
        return s.to_str_lossy().into_owned();
    }
    if super::debug::is_light(v) {
        // As `luaL_typeerror` names it.
        return "light userdata".to_string();
    }
    v.type_name().to_string()
}

/// `bad argument #n to 'fname' (msg)`.
pub fn arg_error<'gc>(ctx: Context<'gc>, n: usize, fname: &str, msg: &str) -> Error<'gc> {
    lua_error(ctx, format!("bad argument #{n} to '{fname}' ({msg})"))
}

/// `bad argument #n to 'fname' (EXPECTED expected, got TYPE)`, with
/// `no value` for a missing argument.
pub fn type_error<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    n: usize,
    fname: &str,
    expected: &str,
) -> Error<'gc> {
    let got = if n > stack.len() {
        "no value".to_string()
    } else {
        type_name(ctx, stack.get(n - 1))
    };
    arg_error(ctx, n, fname, &format!("{expected} expected, got {got}"))
}

/// Argument `n`, which must be present (may be nil).
pub fn check_any<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    n: usize,
    fname: &str,
) -> Result<Value<'gc>, Error<'gc>> {
    if n > stack.len() {
        Err(arg_error(ctx, n, fname, "value expected"))
    } else {
        Ok(stack.get(n - 1))
    }
}

/// Argument `n` as a table.
#[inline]
pub fn check_table<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    n: usize,
    fname: &str,
) -> Result<Table<'gc>, Error<'gc>> {
    match stack.get(n - 1) {
        Value::Table(t) => Ok(t),
        _ => Err(not_a(ctx, stack, n, fname, "table")),
    }
}

/// The type error of argument `n`, out of line (the checks' common case
/// is inlined in their callers).
#[cold]
#[inline(never)]
fn not_a<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    n: usize,
    fname: &str,
    expected: &str,
) -> Error<'gc> {
    type_error(ctx, stack, n, fname, expected)
}

/// Argument `n` as a function.
pub fn check_function<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    n: usize,
    fname: &str,
) -> Result<Function<'gc>, Error<'gc>> {
    match stack.get(n - 1) {
        Value::Function(f) => Ok(f),
        _ => Err(type_error(ctx, stack, n, fname, "function")),
    }
}

/// A value converted to a number as Lua's arithmetic does (numbers, and
/// strings that read as numbers).
pub fn to_num(v: Value<'_>) -> Option<Num> {
    match v {
        Value::Integer(i) => Some(Num::Int(i)),
        Value::Number(f) => Some(Num::Float(f)),
        Value::String(s) => str_to_number(s.as_bytes()),
        _ => None,
    }
}

/// A value converted to an integer as `lua_tointegerx` does.
pub fn to_int(v: Value<'_>) -> Option<i64> {
    to_num(v).and_then(Num::to_i64)
}

/// Argument `n` as a number.
pub fn check_number<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    n: usize,
    fname: &str,
) -> Result<Num, Error<'gc>> {
    to_num(stack.get(n - 1)).ok_or_else(|| type_error(ctx, stack, n, fname, "number"))
}

/// Argument `n` as an integer (floats with an exact integer value and
/// numeric strings are accepted, as in Lua).
#[inline]
pub fn check_integer<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    n: usize,
    fname: &str,
) -> Result<i64, Error<'gc>> {
    match stack.get(n - 1) {
        Value::Integer(i) => Ok(i),
        _ => check_integer_other(ctx, stack, n, fname),
    }
}

/// [`check_integer`] of a value that is not an integer.
#[inline(never)]
fn check_integer_other<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    n: usize,
    fname: &str,
) -> Result<i64, Error<'gc>> {
    match to_num(stack.get(n - 1)) {
        Some(Num::Int(i)) => Ok(i),
        Some(Num::Float(f)) => float_to_i64(f)
            .ok_or_else(|| arg_error(ctx, n, fname, "number has no integer representation")),
        None => Err(type_error(ctx, stack, n, fname, "number")),
    }
}

/// Optional integer argument `n` (absent or nil gives `default`).
#[inline]
pub fn opt_integer<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    n: usize,
    fname: &str,
    default: i64,
) -> Result<i64, Error<'gc>> {
    if stack.get(n - 1).is_nil() {
        Ok(default)
    } else {
        check_integer(ctx, stack, n, fname)
    }
}

/// A number or string as the bytes Lua's `tostring` gives it (`None` for other types).
pub fn to_bytes(v: Value<'_>) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(i) => Some(i.to_string().into_bytes()),
        Value::Number(f) => Some(float_to_string(f).into_bytes()),
        _ => None,
    }
}

/// Argument `n` as a string (numbers are converted).
pub fn check_string<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    n: usize,
    fname: &str,
) -> Result<piccolo::String<'gc>, Error<'gc>> {
    match stack.get(n - 1) {
        Value::String(s) => Ok(s),
        v @ (Value::Integer(_) | Value::Number(_)) => {
            Ok(ctx.intern(&to_bytes(v).unwrap_or_default()))
        }
        _ => Err(type_error(ctx, stack, n, fname, "string")),
    }
}

/// Optional string argument `n`.
pub fn opt_string<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    n: usize,
    fname: &str,
) -> Result<Option<piccolo::String<'gc>>, Error<'gc>> {
    if stack.get(n - 1).is_nil() {
        Ok(None)
    } else {
        check_string(ctx, stack, n, fname).map(Some)
    }
}

/// Lua's `a < b` for numbers and strings (no metamethods).
pub fn less_than<'gc>(ctx: Context<'gc>, a: Value<'gc>, b: Value<'gc>) -> Result<bool, Error<'gc>> {
    match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => Ok(x < y),
        (Value::Number(x), Value::Number(y)) => Ok(x < y),
        (Value::Integer(i), Value::Number(f)) => Ok(int_lt_float(i, f)),
        (Value::Number(f), Value::Integer(i)) => Ok(float_lt_int(f, i)),
        (Value::String(x), Value::String(y)) => Ok(x.as_bytes() < y.as_bytes()),
        _ => Err(compare_error(ctx, a, b)),
    }
}

/// `attempt to compare two table values` / `attempt to compare number with nil`.
pub fn compare_error<'gc>(ctx: Context<'gc>, a: Value<'gc>, b: Value<'gc>) -> Error<'gc> {
    let (ta, tb) = (type_name(ctx, a), type_name(ctx, b));
    if ta == tb {
        lua_error(ctx, format!("attempt to compare two {ta} values"))
    } else {
        lua_error(ctx, format!("attempt to compare {ta} with {tb}"))
    }
}

const TWO63: f64 = 9_223_372_036_854_775_808.0;

/// `i < f` exactly.
pub fn int_lt_float(i: i64, f: f64) -> bool {
    if f.is_nan() {
        false
    } else if f >= TWO63 {
        true
    } else if f > -TWO63 {
        i < f.ceil() as i64
    } else {
        false
    }
}

/// `f < i` exactly.
pub fn float_lt_int(f: f64, i: i64) -> bool {
    if f.is_nan() || f >= TWO63 {
        false
    } else if f >= -TWO63 {
        (f.floor() as i64) < i
    } else {
        true
    }
}

/// `a < b` for two numbers.
pub fn num_lt(a: Num, b: Num) -> bool {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x < y,
        (Num::Float(x), Num::Float(y)) => x < y,
        (Num::Int(i), Num::Float(f)) => int_lt_float(i, f),
        (Num::Float(f), Num::Int(i)) => float_lt_int(f, i),
    }
}

/// Lua's raw equality (`rawequal`): numbers by value across subtypes,
/// strings by content, everything else by identity.
pub fn raw_equal(a: Value<'_>, b: Value<'_>) -> bool {
    match (a, b) {
        (Value::Integer(x), Value::Number(y)) | (Value::Number(y), Value::Integer(x)) => {
            float_to_i64(y) == Some(x)
        }
        (Value::Nil, Value::Nil) => true,
        (Value::Boolean(x), Value::Boolean(y)) => x == y,
        (Value::Integer(x), Value::Integer(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::String(x), Value::String(y)) => x.as_bytes() == y.as_bytes(),
        _ => match (super::base::address(a), super::base::address(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

/// Metatables of the types that share one per type (`string`, `number`, ...),
/// as `debug.setmetatable` installs them. The piccolo VM does not consult
/// them; `getmetatable` and the libraries do.
#[derive(Copy, Clone, Collect)]
#[collect(no_drop)]
pub struct TypeMetatables<'gc>(pub Table<'gc>);

impl<'gc> Singleton<'gc> for TypeMetatables<'gc> {
    fn create(ctx: Context<'gc>) -> Self {
        TypeMetatables(Table::new(&ctx))
    }
}

/// The metatable of any value (tables and userdata their own, other types
/// the shared per-type one). Strings get `{__index = string}` on first use.
pub fn metatable_of<'gc>(ctx: Context<'gc>, v: Value<'gc>) -> Option<Table<'gc>> {
    match v {
        Value::Table(t) => t.metatable(),
        Value::UserData(u) => u.metatable(),
        _ => {
            let per_type = ctx.singleton::<Rootable![TypeMetatables<'_>]>().0;
            match per_type.get(ctx, v.type_name()) {
                Value::Table(mt) => Some(mt),
                _ if matches!(v, Value::String(_)) && per_type.get(ctx, "@string").is_nil() => {
                    let mt = Table::new(&ctx);
                    mt.set(ctx, "__index", ctx.get_global("string")).ok()?;
                    per_type.set(ctx, "string", mt).ok()?;
                    per_type.set(ctx, "@string", true).ok()?;
                    Some(mt)
                }
                _ => None,
            }
        }
    }
}

/// Sets the shared metatable of a non-table, non-userdata type.
pub fn set_type_metatable<'gc>(ctx: Context<'gc>, v: Value<'gc>, mt: Option<Table<'gc>>) {
    let per_type = ctx.singleton::<Rootable![TypeMetatables<'_>]>().0;
    if matches!(v, Value::String(_)) {
        let _ = per_type.set(ctx, "@string", true);
    }
    let _ = per_type.set(ctx, v.type_name(), mt.map_or(Value::Nil, Value::Table));
}

/// The error value Lua code sees for `err`: the raised value, or the message
/// of an internal (Rust-side) error as a string.
pub fn error_value<'gc>(ctx: Context<'gc>, err: &Error<'gc>) -> Value<'gc> {
    match err {
        Error::Lua(v) => v.0,
        Error::Runtime(e) => Value::String(ctx.intern(e.to_string().as_bytes())),
    }
}

/// `chunk:line: ` of the Lua code that called the running callback (Lua's
/// `luaL_where(L, 1)`); empty when the caller is not Lua code (for example
/// when called directly through `pcall`). Code of the project's core
/// records its call site before each call ([`crate::interp`]).
pub fn caller_position<'gc>(ctx: Context<'gc>, exec: &Execution<'gc, '_>) -> Vec<u8> {
    position_text(
        exec.upper_lua_frame()
            .map(|f| (f.chunk_name, f.current_line)),
        crate::interp::call_site_closure(ctx),
    )
}

/// `chunk:line: ` of a piccolo caller (`upper`) or else of a caller of the
/// own core (`own`); empty when neither is known.
fn position_text<'gc, L: std::fmt::Display>(
    upper: Option<(piccolo::String<'gc>, L)>,
    own: Option<(crate::interp::ClosureRef<'gc>, i64)>,
) -> Vec<u8> {
    match (upper, own) {
        (Some((chunk, line)), _) => {
            let mut p = chunk.as_bytes().to_vec();
            p.extend_from_slice(format!(":{line}: ").as_bytes());
            p
        }
        (None, Some((cl, line))) => format!("{}:{line}: ", cl.proto.chunk_id).into_bytes(),
        (None, None) => Vec::new(),
    }
}

/// Wraps a library function so that the errors it raises itself (Lua
/// strings) get the `chunk:line:` of the Lua code that called it, as
/// `luaL_error` does. Called from a C-like context (e.g. through `pcall`
/// directly) no position is added, as in Lua.
pub fn with_position<'gc>(
    ctx: Context<'gc>,
    inner: piccolo::Callback<'gc>,
) -> piccolo::Callback<'gc> {
    let wrapper = positioned_wrapper(ctx, inner, Some(crate::interp::CallSite::get(ctx)));
    crate::interp::native::wrapped_positioned(ctx, inner, wrapper);
    wrapper
}

/// [`with_position`] for a callback that is not a registered native (no
/// registry or singleton lookup: usable while a singleton is being created).
pub fn with_position_foreign<'gc>(
    ctx: Context<'gc>,
    inner: piccolo::Callback<'gc>,
) -> piccolo::Callback<'gc> {
    positioned_wrapper(ctx, inner, None)
}

/// The wrapper of [`with_position`]: the caller is noted before the call
/// (a callback calling Lua changes the record) but written out only for an
/// error. Without `site` the call-site record is looked up at the call.
fn positioned_wrapper<'gc>(
    ctx: Context<'gc>,
    inner: piccolo::Callback<'gc>,
    site: Option<crate::interp::CallSite<'gc>>,
) -> piccolo::Callback<'gc> {
    // The wrapper itself, for its name in `package.loaded` (set below).
    let this = Gc::new(
        &ctx,
        gc_arena::lock::Lock::new(None::<piccolo::Callback<'gc>>),
    );
    let wrapper = piccolo::Callback::from_fn_with(
        &ctx,
        (inner, site, this),
        |(inner, site, this), ctx, exec, stack| {
            let caller = ErrorSite::of_caller(
                &exec,
                site.unwrap_or_else(|| crate::interp::CallSite::get(ctx)),
            );
            inner.call(ctx, exec, stack).map_err(|e| match e {
                Error::Lua(v) => match v.0 {
                    Value::String(s) => caller.error(ctx, s, || this.get().map(Function::from)),
                    other => Error::Lua(other.into()),
                },
                e => e,
            })
        },
    );
    this.set(&ctx, Some(wrapper));
    wrapper
}

/// Where a library function was called from, noted before it runs (a
/// callback calling Lua changes the record): what the errors it raises
/// itself need for `luaL_error`'s position and `luaL_argerror`'s naming.
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
pub(crate) struct ErrorSite<'gc> {
    /// A calling frame of piccolo's VM: its chunk and line.
    upper: Option<(piccolo::String<'gc>, piccolo::compiler::LineNumber)>,
    /// A calling frame of the project's core and its call instruction.
    own: Option<(crate::interp::ClosureRef<'gc>, usize)>,
}

impl<'gc> ErrorSite<'gc> {
    /// The caller of the running callback: a frame of piccolo's VM
    /// (`exec`'s upper frame), else the frame of the project's core that
    /// `site` records.
    pub(crate) fn of_caller(exec: &Execution<'gc, '_>, site: crate::interp::CallSite<'gc>) -> Self {
        ErrorSite {
            upper: exec
                .upper_lua_frame()
                .map(|f| (f.chunk_name, f.current_line)),
            own: site.caller_call(),
        }
    }

    /// The error the library function raises with message `s`: with the
    /// caller's `chunk:line: ` (none when no Lua code called it, for
    /// example `pcall` directly, or a library function written in Lua), an
    /// argument error named as the calling instruction names the function,
    /// or by its global name (of `this()`, the function called) when no Lua
    /// code called it.
    pub(crate) fn error(
        self,
        ctx: Context<'gc>,
        s: piccolo::String<'gc>,
        this: impl FnOnce() -> Option<Function<'gc>>,
    ) -> Error<'gc> {
        let own = self.own.filter(|(cl, _)| !cl.proto.library);
        let own_line = own.map(|(cl, pc)| (cl, cl.proto.proto.line_at(pc)));
        let called =
            own.and_then(|(cl, pc)| crate::interp::frames::funcnamefromcode(&cl.proto.proto, pc));
        let mut pos = position_text(self.upper, own_line);
        let from_c = pos.is_empty() && self.upper.is_none();
        let renamed = if self.upper.is_some() {
            None
        } else {
            rename_arg_error(s.as_bytes(), called, || {
                if from_c {
                    this().and_then(|f| global_func_name(ctx, f.into()))
                } else {
                    None
                }
            })
        };
        let msg = renamed.as_deref().unwrap_or(s.as_bytes());
        if pos.is_empty() {
            return match renamed {
                Some(m) => lua_error(ctx, m),
                None => Error::Lua(Value::String(s).into()),
            };
        }
        pos.extend_from_slice(msg);
        lua_error(ctx, pos)
    }
}

/// PUC Lua's `luaL_argerror` naming of a library function's argument
/// error, applied to our "bad argument #N to 'F' (...)" text: the name the
/// calling instruction gives the function (`called`: local 'r' is 'r'); in
/// a method call the arguments count from the one after self, and a bad
/// self is "calling 'F' on bad self (...)"; without a name (called from a
/// library function) the function's global name (`string.rep`, from
/// `global`). None when `msg` is not an argument error or nothing changes.
pub(crate) fn rename_arg_error(
    msg: &[u8],
    called: Option<(&'static str, String)>,
    global: impl FnOnce() -> Option<String>,
) -> Option<Vec<u8>> {
    let rest = msg.strip_prefix(b"bad argument #")?;
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    let n: usize = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
    let rest = rest[digits..].strip_prefix(b" to '")?;
    let end = rest.iter().position(|&c| c == b'\'')?;
    let tail = rest[end + 1..].strip_prefix(b" ")?;
    let (n, name) = match called {
        Some(("method", name)) => {
            if n == 1 {
                let mut out = format!("calling '{name}' on bad self ").into_bytes();
                out.extend_from_slice(tail);
                return Some(out);
            }
            (n - 1, name)
        }
        Some((_, name)) => (n, name),
        None => (n, global()?),
    };
    let mut out = format!("bad argument #{n} to '{name}' ").into_bytes();
    out.extend_from_slice(tail);
    (out != msg).then_some(out)
}

/// `lib.name` (or `name` for `_G`) of `f` in `package.loaded`, as PUC
/// Lua's `pushglobalfuncname` finds it.
pub(crate) fn global_func_name<'gc>(ctx: Context<'gc>, f: Value<'gc>) -> Option<String> {
    let Value::Table(package) = ctx.get_global("package") else {
        return None;
    };
    let Value::Table(loaded) = package.get(ctx, "loaded") else {
        return None;
    };
    let mut found: Option<String> = None;
    for (modname, module) in loaded.iter() {
        let (Value::String(modname), Value::Table(module)) = (modname, module) else {
            continue;
        };
        for (k, v) in module.iter() {
            if let Value::String(k) = k {
                if matches!((v, f), (Value::Function(a), Value::Function(b)) if a == b) {
                    let k = String::from_utf8_lossy(k.as_bytes());
                    let name = if modname.as_bytes() == b"_G" {
                        k.into_owned()
                    } else {
                        format!("{}.{k}", String::from_utf8_lossy(modname.as_bytes()))
                    };
                    // `_G.print` wins over another module's copy.
                    if modname.as_bytes() == b"_G" || found.is_none() {
                        found = Some(name);
                    }
                }
            }
        }
    }
    found
}

/// Applies [`with_position`] to every function in `lib`.
pub fn position_all<'gc>(ctx: Context<'gc>, lib: Table<'gc>) {
    let entries: Vec<_> = lib.iter().collect();
    for (k, v) in entries {
        if let Value::Function(piccolo::Function::Callback(cb)) = v {
            let _ = lib.set(ctx, k, with_position(ctx, cb));
        }
    }
}
