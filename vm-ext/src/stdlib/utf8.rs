//! The `utf8` library (Lua 5.4): `char`, `charpattern`, `codes`,
//! `codepoint`, `len`, `offset`, with strict and lax decoding.

use piccolo::{Callback, CallbackReturn, Context, Table, Value};

use super::{
    check::{arg_error, check_integer, check_string, opt_integer},
    lua_error,
};

const MAXUNICODE: u32 = 0x10FFFF;
const MAXUTF: u32 = 0x7FFF_FFFF;
const INVALID: &str = "invalid UTF-8 code";

/// Decodes one (extended, up to 6 bytes) UTF-8 sequence at `s[i..]`:
/// the code point and its length. `strict` refuses surrogates and values
/// above U+10FFFF.
pub fn decode(s: &[u8], i: usize, strict: bool) -> Option<(u32, usize)> {
    const LIMITS: [u32; 6] = [u32::MAX, 0x80, 0x800, 0x1_0000, 0x20_0000, 0x400_0000];
    let mut c = *s.get(i)? as u32;
    if c < 0x80 {
        return Some((c, 1));
    }
    let mut res: u32 = 0;
    let mut count = 0usize;
    while c & 0x40 != 0 {
        count += 1;
        let cc = *s.get(i + count)? as u32;
        if cc & 0xC0 != 0x80 {
            return None;
        }
        res = (res << 6) | (cc & 0x3F);
        c <<= 1;
        if count > 5 {
            return None;
        }
    }
    res |= (c & 0x7F).checked_shl(count as u32 * 5).unwrap_or(0);
    if count > 5 || res > MAXUTF || res < LIMITS[count] {
        return None;
    }
    if strict && (res > MAXUNICODE || (0xD800..=0xDFFF).contains(&res)) {
        return None;
    }
    Some((res, count + 1))
}

/// Encodes `x` (at most 0x7FFFFFFF) as (extended) UTF-8.
pub fn encode(mut x: u32) -> Vec<u8> {
    if x < 0x80 {
        return vec![x as u8];
    }
    let mut buf = Vec::with_capacity(6);
    let mut mfb: u32 = 0x3f;
    loop {
        buf.push(0x80 | (x & 0x3f) as u8);
        x >>= 6;
        mfb >>= 1;
        if x <= mfb {
            break;
        }
    }
    buf.push(((!mfb << 1) | x) as u8);
    buf.reverse();
    buf
}

fn is_cont(s: &[u8], i: usize) -> bool {
    s.get(i).is_some_and(|&b| b & 0xC0 == 0x80)
}

/// Lua's `u_posrelat`: a negative position counts from the end.
fn posrelat(pos: i64, len: usize) -> i64 {
    if pos >= 0 {
        pos
    } else if pos.unsigned_abs() > len as u64 {
        0
    } else {
        len as i64 + pos + 1
    }
}

fn iter_aux<'gc>(ctx: Context<'gc>, strict: bool) -> Callback<'gc> {
    Callback::from_fn(&ctx, move |ctx, _, mut stack| {
        let s = check_string(ctx, &stack, 1, "for iterator")?;
        let s = s.as_bytes();
        let mut n = super::check::to_int(stack.get(1)).unwrap_or(0) as u64;
        let len = s.len() as u64;
        if n < len {
            while is_cont(s, n as usize) {
                n += 1;
            }
        }
        if n >= len {
            stack.replace(ctx, Value::Nil);
            return Ok(CallbackReturn::Return);
        }
        match decode(s, n as usize, strict) {
            Some((code, l)) if !is_cont(s, n as usize + l) => {
                stack.replace(ctx, (n as i64 + 1, code as i64));
                Ok(CallbackReturn::Return)
            }
            _ => Err(lua_error(ctx, INVALID)),
        }
    })
}

/// Installs the `utf8` library.
pub fn load_utf8<'gc>(ctx: Context<'gc>) {
    let utf8 = Table::new(&ctx);
    utf8.set(
        ctx,
        "charpattern",
        ctx.intern(b"[\0-\x7F\xC2-\xFD][\x80-\xBF]*"),
    )
    .unwrap();

    utf8.set(
        ctx,
        "char",
        crate::interp::native::callback(ctx, |ctx, _, mut stack| {
            let mut out = Vec::new();
            for i in 1..=stack.len() {
                let code = check_integer(ctx, &stack, i, "char")?;
                if code as u64 > MAXUTF as u64 {
                    return Err(arg_error(ctx, i, "char", "value out of range"));
                }
                out.extend_from_slice(&encode(code as u32));
            }
            stack.replace(ctx, ctx.intern(&out));
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    utf8.set(
        ctx,
        "codepoint",
        crate::interp::native::callback(ctx, |ctx, _, mut stack| {
            let s = check_string(ctx, &stack, 1, "codepoint")?.as_bytes();
            let len = s.len();
            let posi = posrelat(opt_integer(ctx, &stack, 2, "codepoint", 1)?, len);
            let pose = posrelat(opt_integer(ctx, &stack, 3, "codepoint", posi)?, len);
            let strict = !stack.get(3).to_bool();
            if posi < 1 {
                return Err(arg_error(ctx, 2, "codepoint", "out of bounds"));
            }
            if pose > len as i64 {
                return Err(arg_error(ctx, 3, "codepoint", "out of bounds"));
            }
            stack.clear();
            if posi > pose {
                return Ok(CallbackReturn::Return);
            }
            if pose - posi >= i32::MAX as i64 {
                return Err(lua_error(ctx, "string slice too long"));
            }
            let mut i = posi as usize - 1;
            let end = pose as usize;
            while i < end {
                match decode(s, i, strict) {
                    Some((code, l)) => {
                        stack.push_back(Value::Integer(code as i64));
                        i += l;
                    }
                    None => return Err(lua_error(ctx, INVALID)),
                }
            }
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    utf8.set(
        ctx,
        "len",
        crate::interp::native::callback(ctx, |ctx, _, mut stack| {
            let s = check_string(ctx, &stack, 1, "len")?.as_bytes();
            let len = s.len() as i64;
            let mut posi = posrelat(opt_integer(ctx, &stack, 2, "len", 1)?, len as usize);
            let mut posj = posrelat(opt_integer(ctx, &stack, 3, "len", -1)?, len as usize);
            let strict = !stack.get(3).to_bool();
            if !(1 <= posi && posi - 1 <= len) {
                return Err(arg_error(ctx, 2, "len", "initial position out of bounds"));
            }
            posi -= 1;
            posj -= 1;
            if posj >= len {
                return Err(arg_error(ctx, 3, "len", "final position out of bounds"));
            }
            let mut n: i64 = 0;
            while posi <= posj {
                match decode(s, posi as usize, strict) {
                    Some((_, l)) => {
                        posi += l as i64;
                        n += 1;
                    }
                    None => {
                        stack.replace(ctx, (Value::Nil, posi + 1));
                        return Ok(CallbackReturn::Return);
                    }
                }
            }
            stack.replace(ctx, n);
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    utf8.set(
        ctx,
        "offset",
        crate::interp::native::callback(ctx, |ctx, _, mut stack| {
            let s = check_string(ctx, &stack, 1, "offset")?.as_bytes();
            let len = s.len() as i64;
            let mut n = check_integer(ctx, &stack, 2, "offset")?;
            let def = if n >= 0 { 1 } else { len + 1 };
            let mut posi = posrelat(opt_integer(ctx, &stack, 3, "offset", def)?, len as usize);
            if !(1 <= posi && posi - 1 <= len) {
                return Err(arg_error(ctx, 3, "offset", "position out of bounds"));
            }
            posi -= 1;
            let cont = |p: i64| is_cont(s, p as usize);
            if n == 0 {
                while posi > 0 && cont(posi) {
                    posi -= 1;
                }
            } else {
                if cont(posi) {
                    return Err(lua_error(ctx, "initial position is a continuation byte"));
                }
                if n < 0 {
                    while n < 0 && posi > 0 {
                        loop {
                            posi -= 1;
                            if !(posi > 0 && cont(posi)) {
                                break;
                            }
                        }
                        n += 1;
                    }
                } else {
                    n -= 1;
                    while n > 0 && posi < len {
                        loop {
                            posi += 1;
                            if !cont(posi) {
                                break;
                            }
                        }
                        n -= 1;
                    }
                }
            }
            if n == 0 {
                stack.replace(ctx, posi + 1);
            } else {
                stack.replace(ctx, Value::Nil);
            }
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    let strict_iter = iter_aux(ctx, true);
    let lax_iter = iter_aux(ctx, false);
    utf8.set(
        ctx,
        "codes",
        Callback::from_fn_with(
            &ctx,
            (strict_iter, lax_iter),
            |(strict_iter, lax_iter), ctx, _, mut stack| {
                let s = check_string(ctx, &stack, 1, "codes")?;
                if is_cont(s.as_bytes(), 0) {
                    return Err(arg_error(ctx, 1, "codes", INVALID));
                }
                let iter = if stack.get(1).to_bool() {
                    *lax_iter
                } else {
                    *strict_iter
                };
                stack.replace(ctx, (iter, s, 0));
                Ok(CallbackReturn::Return)
            },
        ),
    )
    .unwrap();

    super::check::position_all(ctx, utf8);
    ctx.set_global("utf8", utf8).unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for c in [
            0u32,
            0x7f,
            0x80,
            0x7ff,
            0x800,
            0xffff,
            0x10000,
            0x10ffff,
            0x7fff_ffff,
        ] {
            let e = encode(c);
            assert_eq!(decode(&e, 0, false), Some((c, e.len())), "{c:x}");
        }
        assert_eq!(decode("€".as_bytes(), 0, true), Some((0x20ac, 3)));
        assert_eq!(decode(b"\xed\xa0\x80", 0, true), None); // surrogate
        assert_eq!(decode(b"\xed\xa0\x80", 0, false), Some((0xd800, 3)));
        assert_eq!(decode(b"\xc0\x80", 0, false), None); // overlong
        assert_eq!(decode(b"\x80", 0, false), None);
        assert_eq!(decode(b"\xe2\x82", 0, false), None);
    }
}
