//! The Lua 5.4 `string` library: byte strings, `format`, Lua patterns
//! (`find`, `match`, `gmatch`, `gsub`) and `pack`/`unpack`/`packsize`, with
//! the reference implementation's results and error messages.
//!
//! Everything that may call back into Lua (`format` with `__tostring`,
//! `gsub` with a function) is a [`piccolo::Sequence`]; the pattern matcher
//! is depth-bounded like Lua's and charges fuel for its work.

mod format;
mod pack;
mod pattern;

use piccolo::{Callback, CallbackReturn, Context, Error, Fuel, Stack, Table, Value};

use crate::interp::native;

use super::{base::tostring_plain, lua_error};
use crate::number::{str_to_number, Num};

pub use pattern::{Cap, MatchError, Matcher, MAXCAPTURES};

/// The largest string `rep` (and friends) will build, in bytes.
pub const MAX_STRING_SIZE: usize = 1 << 28;

/// Replaces the global `string` table with this library.
pub fn load_string<'gc>(ctx: Context<'gc>) {
    let lib = string_library(ctx);
    // Setting a field of the globals table cannot fail for a string key.
    let _ = ctx.globals().set(ctx, "string", lib);
}

/// A fresh `string` library table (also what a string metatable's
/// `__index` should point at, on a core that supports string metatables).
pub fn string_library<'gc>(ctx: Context<'gc>) -> Table<'gc> {
    let t = Table::new(&ctx);
    let set = |name: &'static str, f: Callback<'gc>| {
        let _ = t.set(ctx, name, f);
    };
    set("len", native::with_args(ctx, str_len, len_args));
    set("sub", native::with_args(ctx, str_sub, sub_args));
    set("upper", native::with_args(ctx, str_upper, upper_args));
    set("lower", native::with_args(ctx, str_lower, lower_args));
    set("reverse", native::callback(ctx, str_reverse));
    set("rep", native::callback(ctx, str_rep));
    set("byte", native::with_args(ctx, str_byte, byte_args));
    set("char", native::with_args(ctx, str_char, char_args));
    set("dump", native::callback(ctx, str_dump));
    set("format", format::callback(ctx));
    set("find", pattern::find_callback(ctx));
    set("match", pattern::match_callback(ctx));
    set("gmatch", pattern::gmatch_callback(ctx));
    set("gsub", pattern::gsub_callback(ctx));
    set("pack", native::callback(ctx, pack::str_pack));
    set("unpack", native::callback(ctx, pack::str_unpack));
    set("packsize", native::callback(ctx, pack::str_packsize));
    super::check::position_all(ctx, t);
    t
}

/// Lua's longest short (internalized) string (`LUAI_MAXSHORTLEN`).
const MAX_SHORT_LEN: usize = 40;

/// A new Lua string; short ones are interned, as Lua internalizes them.
pub(crate) fn new_string<'gc>(ctx: Context<'gc>, b: impl AsRef<[u8]>) -> piccolo::String<'gc> {
    let b = b.as_ref();
    if b.len() <= MAX_SHORT_LEN {
        ctx.intern(b)
    } else {
        piccolo::String::from_slice(&ctx, b)
    }
}

/// The type name Lua shows in argument errors (`__name` when present).
pub(crate) fn type_name<'gc>(ctx: Context<'gc>, v: Value<'gc>) -> String {
    let mt = match v {
        Value::Table(t) => t.metatable(),
        Value::UserData(u) => u.metatable(),
        _ => None,
    };
    if let Some(Value::String(s)) = mt.map(|mt| mt.get(ctx, "__name")) {
        return s.to_str_lossy().into_owned();
    }
    match v {
        Value::Integer(_) | Value::Number(_) => "number".into(),
        Value::UserData(_) => "userdata".into(),
        _ => v.type_name().into(),
    }
}

/// `bad argument #n to 'fname' (msg)`; `n` counts from 1.
pub(crate) fn arg_error<'gc>(ctx: Context<'gc>, n: usize, fname: &str, msg: &str) -> Error<'gc> {
    lua_error(ctx, format!("bad argument #{n} to '{fname}' ({msg})"))
}

fn type_error<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    i: usize,
    fname: &str,
    expected: &str,
) -> Error<'gc> {
    let got = if i >= stack.len() {
        "no value".to_string()
    } else {
        type_name(ctx, stack.get(i))
    };
    arg_error(
        ctx,
        i + 1,
        fname,
        &format!("{expected} expected, got {got}"),
    )
}

/// A string argument (numbers are converted as `tostring` does).
#[inline]
pub(crate) fn check_str<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    i: usize,
    fname: &str,
) -> Result<piccolo::String<'gc>, Error<'gc>> {
    // The common case in the caller, the rest out of line.
    match stack.get(i) {
        Value::String(s) => Ok(s),
        _ => check_str_other(ctx, stack, i, fname),
    }
}

/// [`check_str`] of a value that is not a string.
#[inline(never)]
fn check_str_other<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    i: usize,
    fname: &str,
) -> Result<piccolo::String<'gc>, Error<'gc>> {
    match stack.get(i) {
        Value::String(s) => Ok(s),
        v @ (Value::Integer(_) | Value::Number(_)) => match tostring_plain(ctx, v) {
            Value::String(s) => Ok(s),
            _ => Err(type_error(ctx, stack, i, fname, "string")),
        },
        _ => Err(type_error(ctx, stack, i, fname, "string")),
    }
}

/// An optional string argument.
pub(crate) fn opt_str<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    i: usize,
    fname: &str,
) -> Result<Option<piccolo::String<'gc>>, Error<'gc>> {
    if stack.get(i).is_nil() {
        Ok(None)
    } else {
        check_str(ctx, stack, i, fname).map(Some)
    }
}

/// A value as a number, as Lua's arithmetic conversions see it.
pub(crate) fn to_num(v: Value<'_>) -> Option<Num> {
    match v {
        Value::Integer(i) => Some(Num::Int(i)),
        Value::Number(f) => Some(Num::Float(f)),
        Value::String(s) => str_to_number(s.as_bytes()),
        _ => None,
    }
}

/// An integer argument (`luaL_checkinteger`); `i` counts from 0.
#[inline]
pub(crate) fn check_int<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    i: usize,
    fname: &str,
) -> Result<i64, Error<'gc>> {
    super::check::check_integer(ctx, stack, i + 1, fname)
}

/// An optional integer argument (`luaL_optinteger`); `i` counts from 0.
#[inline]
pub(crate) fn opt_int<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    i: usize,
    fname: &str,
    default: i64,
) -> Result<i64, Error<'gc>> {
    super::check::opt_integer(ctx, stack, i + 1, fname, default)
}

/// A number argument (`luaL_checknumber`).
pub(crate) fn check_num<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    i: usize,
    fname: &str,
) -> Result<f64, Error<'gc>> {
    to_num(stack.get(i))
        .map(Num::to_f64)
        .ok_or_else(|| type_error(ctx, stack, i, fname, "number"))
}

/// Lua 5.4's `posrelatI`: a 1-based start position, negatives from the end,
/// clamped below at 1.
pub(crate) fn posrelat_start(pos: i64, len: usize) -> usize {
    if pos > 0 {
        pos as usize
    } else if pos == 0 || pos < -(len as i64) {
        1
    } else {
        (len as i64 + pos + 1) as usize
    }
}

/// Lua 5.4's `getendpos`: an end position, clamped to the length.
fn posrelat_end(pos: i64, len: usize) -> usize {
    if pos > len as i64 {
        len
    } else if pos >= 0 {
        pos as usize
    } else if pos < -(len as i64) {
        0
    } else {
        (len as i64 + pos + 1) as usize
    }
}

fn ret_bytes<'gc>(
    ctx: Context<'gc>,
    mut stack: Stack<'gc, '_>,
    b: &[u8],
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    stack.replace(ctx, new_string(ctx, b));
    Ok(CallbackReturn::Return)
}

type CbResult<'gc> = Result<CallbackReturn<'gc>, Error<'gc>>;

fn str_len<'gc>(ctx: Context<'gc>, _: &mut Fuel, mut stack: Stack<'gc, '_>) -> CbResult<'gc> {
    let s = check_str(ctx, &stack, 0, "len")?;
    stack.replace(ctx, s.len());
    Ok(CallbackReturn::Return)
}

fn str_sub<'gc>(ctx: Context<'gc>, _: &mut Fuel, stack: Stack<'gc, '_>) -> CbResult<'gc> {
    let s = check_str(ctx, &stack, 0, "sub")?;
    let i = check_int(ctx, &stack, 1, "sub")?;
    let j = opt_int(ctx, &stack, 2, "sub", -1)?;
    ret_bytes(ctx, stack, sub_bytes(s.as_bytes(), i, j))
}

/// `string.sub`'s part of `b` from `i` to `j` (Lua positions: negative
/// from the end, clamped).
fn sub_bytes(b: &[u8], i: i64, j: i64) -> &[u8] {
    let (i, j) = (posrelat_start(i, b.len()), posrelat_end(j, b.len()));
    if i > j {
        &b[..0]
    } else {
        &b[i - 1..j]
    }
}

/// `string.sub(s, i [, j])` of a string and integers, for the interpreter
/// ([`native::ArgsFn`]); anything else goes to [`str_sub`].
fn sub_args<'gc>(ctx: Context<'gc>, args: &[Value<'gc>]) -> Option<Value<'gc>> {
    let (Some(Value::String(s)), Some(Value::Integer(i))) = (args.first(), args.get(1)) else {
        return None;
    };
    let j = match args.get(2) {
        None | Some(Value::Nil) => -1,
        Some(Value::Integer(j)) => *j,
        Some(_) => return None,
    };
    Some(Value::String(new_string(
        ctx,
        sub_bytes(s.as_bytes(), *i, j),
    )))
}

/// `string.upper(s)` of a string, for the interpreter.
fn upper_args<'gc>(ctx: Context<'gc>, args: &[Value<'gc>]) -> Option<Value<'gc>> {
    case_args(ctx, args, <[u8]>::to_ascii_uppercase)
}

/// `string.lower(s)` of a string, for the interpreter.
fn lower_args<'gc>(ctx: Context<'gc>, args: &[Value<'gc>]) -> Option<Value<'gc>> {
    case_args(ctx, args, <[u8]>::to_ascii_lowercase)
}

/// `upper_args`/`lower_args`: `case` of the first argument, a string.
fn case_args<'gc>(
    ctx: Context<'gc>,
    args: &[Value<'gc>],
    case: fn(&[u8]) -> Vec<u8>,
) -> Option<Value<'gc>> {
    match args.first()? {
        Value::String(s) => Some(Value::String(new_string(ctx, case(s.as_bytes())))),
        _ => None,
    }
}

fn str_upper<'gc>(ctx: Context<'gc>, _: &mut Fuel, stack: Stack<'gc, '_>) -> CbResult<'gc> {
    let s = check_str(ctx, &stack, 0, "upper")?;
    ret_bytes(ctx, stack, &s.as_bytes().to_ascii_uppercase())
}

fn str_lower<'gc>(ctx: Context<'gc>, _: &mut Fuel, stack: Stack<'gc, '_>) -> CbResult<'gc> {
    let s = check_str(ctx, &stack, 0, "lower")?;
    ret_bytes(ctx, stack, &s.as_bytes().to_ascii_lowercase())
}

fn str_reverse<'gc>(ctx: Context<'gc>, _: &mut Fuel, stack: Stack<'gc, '_>) -> CbResult<'gc> {
    let s = check_str(ctx, &stack, 0, "reverse")?;
    let mut v = s.as_bytes().to_vec();
    v.reverse();
    ret_bytes(ctx, stack, &v)
}

fn str_rep<'gc>(ctx: Context<'gc>, fuel: &mut Fuel, stack: Stack<'gc, '_>) -> CbResult<'gc> {
    let s = check_str(ctx, &stack, 0, "rep")?.as_bytes();
    let n = check_int(ctx, &stack, 1, "rep")?;
    let sep = opt_str(ctx, &stack, 2, "rep")?.map_or(&b""[..], |s| s.as_bytes());
    if n <= 0 {
        return ret_bytes(ctx, stack, b"");
    }
    let unit = s.len() + sep.len();
    if unit != 0 && unit as u128 * n as u128 > MAX_STRING_SIZE as u128 {
        return Err(lua_error(ctx, "resulting string too large"));
    }
    if unit == 0 {
        return ret_bytes(ctx, stack, b"");
    }
    let n = n as usize;
    let total = n * s.len() + (n - 1) * sep.len();
    fuel.consume((total / 64).min(i32::MAX as usize) as i32);
    let mut out = Vec::with_capacity(total);
    for k in 0..n {
        if k > 0 {
            out.extend_from_slice(sep);
        }
        out.extend_from_slice(s);
    }
    ret_bytes(ctx, stack, &out)
}

/// `string.len(s)` of a string, for the interpreter ([`native::ArgsFn`]).
fn len_args<'gc>(_: Context<'gc>, args: &[Value<'gc>]) -> Option<Value<'gc>> {
    match args.first()? {
        Value::String(s) => Some(Value::Integer(s.as_bytes().len() as i64)),
        _ => None,
    }
}

/// `string.byte(s [, i])` (`i` 1 when nil) of a string and an index within
/// it, for the interpreter ([`native::ArgsFn`]); other indices (from the
/// end, out of range, floats) and an end position go to [`str_byte`].
fn byte_args<'gc>(_: Context<'gc>, args: &[Value<'gc>]) -> Option<Value<'gc>> {
    let Value::String(s) = args.first()? else {
        return None;
    };
    let i = match args.get(1..) {
        Some([]) | Some([Value::Nil]) => 1,
        Some(&[Value::Integer(i)]) => i,
        _ => return None,
    };
    let b = s.as_bytes();
    let at = (i as u64).wrapping_sub(1);
    (at < b.len() as u64).then(|| Value::Integer(b[at as usize] as i64))
}

fn str_byte<'gc>(ctx: Context<'gc>, _: &mut Fuel, mut stack: Stack<'gc, '_>) -> CbResult<'gc> {
    let s = check_str(ctx, &stack, 0, "byte")?.as_bytes();
    let pi = opt_int(ctx, &stack, 1, "byte", 1)?;
    let i = posrelat_start(pi, s.len());
    let j = posrelat_end(opt_int(ctx, &stack, 2, "byte", pi)?, s.len());
    stack.clear();
    if i > j {
        return Ok(CallbackReturn::Return);
    }
    if (j - i) as u64 >= super::check::MAX_RESULTS {
        return Err(lua_error(ctx, "stack overflow (string slice too long)"));
    }
    for &b in &s[i - 1..j] {
        stack.push_back(Value::Integer(b as i64));
    }
    Ok(CallbackReturn::Return)
}

/// `string.char(...)` of integers from 0 to 255 (up to 16), for the
/// interpreter ([`native::ArgsFn`]).
fn char_args<'gc>(ctx: Context<'gc>, args: &[Value<'gc>]) -> Option<Value<'gc>> {
    let mut out = [0u8; 16];
    let out = out.get_mut(..args.len())?;
    for (b, v) in out.iter_mut().zip(args) {
        match v {
            Value::Integer(c @ 0..=255) => *b = *c as u8,
            _ => return None,
        }
    }
    Some(Value::String(new_string(ctx, &*out)))
}

fn str_char<'gc>(ctx: Context<'gc>, _: &mut Fuel, stack: Stack<'gc, '_>) -> CbResult<'gc> {
    let mut out = Vec::with_capacity(stack.len());
    for i in 0..stack.len() {
        let c = check_int(ctx, &stack, i, "char")?;
        if !(0..=255).contains(&c) {
            return Err(arg_error(ctx, i + 1, "char", "value out of range"));
        }
        out.push(c as u8);
    }
    ret_bytes(ctx, stack, &out)
}

/// `string.dump(f [, strip])`: the function's prototype tree in the
/// project's verified format (see [`crate::persist::codec::encode_dump`]),
/// which `load` accepts; native functions cannot be dumped.
fn str_dump<'gc>(ctx: Context<'gc>, _: &mut Fuel, mut stack: Stack<'gc, '_>) -> CbResult<'gc> {
    let f = super::check::check_function(ctx, &stack, 1, "dump")?;
    let strip = stack.get(1).to_bool();
    let image = match f {
        piccolo::Function::Closure(closure) => {
            let mut image = crate::persist::piccolo_image::image_of(&closure.prototype());
            if strip {
                image.strip_debug();
            }
            image
        }
        piccolo::Function::Callback(_) => {
            let Some(closure) = crate::interp::as_lua_closure(ctx, f) else {
                return Err(lua_error(ctx, "unable to dump given function"));
            };
            let mut proto = closure.proto.to_proto();
            if strip {
                crate::persist::own_image::strip_debug(&mut proto);
            }
            crate::persist::own_image::image_of(&proto)
        }
    };
    let bytes = crate::persist::codec::encode_dump(&image);
    stack.replace(ctx, new_string(ctx, bytes));
    Ok(CallbackReturn::Return)
}

#[cfg(test)]
mod tests {
    use crate::{HostValue, Runtime, StepResult};

    fn run(src: &str) -> StepResult {
        let mut rt = Runtime::new(Default::default());
        rt.load(src.as_bytes(), "test").expect("compiles");
        loop {
            match rt.step(100_000) {
                StepResult::Running => continue,
                other => return other,
            }
        }
    }

    #[test]
    fn rep_of_empty_strings_is_instant() {
        let r = run(r#"return string.rep("", math.maxinteger, "") == """#);
        assert_eq!(r, StepResult::Finished(vec![HostValue::Boolean(true)]));
    }

    #[test]
    fn pathological_find_ends_with_an_error() {
        let r = run(
            r#"local ok, e = pcall(string.find, string.rep("a", 3000), string.rep("a-", 15) .. "b")
               return e"#,
        );
        assert_eq!(
            r,
            StepResult::Finished(vec![HostValue::String(b"pattern too complex".to_vec())])
        );
    }

    #[test]
    fn long_scans_pause_between_slices() {
        let mut rt = Runtime::new(Default::default());
        rt.load(
            br#"return (string.find(string.rep("a", 3000), ".-b"))"#,
            "t",
        )
        .expect("compiles");
        let mut slices = 0;
        let r = loop {
            match rt.step(10_000) {
                StepResult::Running => slices += 1,
                other => break other,
            }
        };
        assert_eq!(r, StepResult::Finished(vec![HostValue::Nil]));
        assert!(slices > 10, "only {slices} slices");
    }
}
