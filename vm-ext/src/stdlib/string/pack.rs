//! `string.pack`, `string.unpack` and `string.packsize` (Lua 5.4 binary
//! formats: sizes, alignment, endianness and the reference's errors).

use piccolo::{CallbackReturn, Context, Error, Fuel, Stack, Value};

use super::{
    arg_error, check_int, check_num, check_str, new_string, opt_int, posrelat_start, CbResult,
    MAX_STRING_SIZE,
};
use crate::stdlib::lua_error;

/// Largest integer size a format may ask for.
const MAXINTSIZE: usize = 16;
/// Size of a Lua integer.
const SZINT: usize = 8;
/// Native maximum alignment (`offsetof(struct cD, u)`).
const NATIVE_ALIGN: usize = 8;
/// Lua's `MAXSIZE` for sizes in formats (`INT_MAX`).
const MAXSIZE: usize = i32::MAX as usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum K {
    Int,
    Uint,
    Float,
    Number,
    Double,
    Char,
    Str,
    Zstr,
    Padding,
    PadAlign,
    Nop,
}

struct Header<'a> {
    fmt: &'a [u8],
    pos: usize,
    little: bool,
    maxalign: usize,
}

impl<'a> Header<'a> {
    fn new(fmt: &'a [u8]) -> Self {
        Header {
            fmt,
            pos: 0,
            little: true,
            maxalign: 1,
        }
    }

    fn done(&self) -> bool {
        self.pos >= self.fmt.len()
    }

    fn getnum(&mut self, df: usize) -> usize {
        if !self.fmt.get(self.pos).is_some_and(|c| c.is_ascii_digit()) {
            return df;
        }
        let mut a = 0usize;
        loop {
            a = a * 10 + (self.fmt[self.pos] - b'0') as usize;
            self.pos += 1;
            if !(self.fmt.get(self.pos).is_some_and(|c| c.is_ascii_digit())
                && a <= (MAXSIZE - 9) / 10)
            {
                return a;
            }
        }
    }

    fn getnumlimit(&mut self, df: usize) -> Result<usize, String> {
        let sz = self.getnum(df);
        if sz > MAXINTSIZE || sz == 0 {
            return Err(format!(
                "integral size ({sz}) out of limits [1,{MAXINTSIZE}]"
            ));
        }
        Ok(sz)
    }

    fn getoption(&mut self) -> Result<(K, usize), String> {
        let opt = self.fmt[self.pos];
        self.pos += 1;
        Ok(match opt {
            b'b' => (K::Int, 1),
            b'B' => (K::Uint, 1),
            b'h' => (K::Int, 2),
            b'H' => (K::Uint, 2),
            b'l' | b'j' => (K::Int, 8),
            b'L' | b'J' | b'T' => (K::Uint, 8),
            b'f' => (K::Float, 4),
            b'n' => (K::Number, 8),
            b'd' => (K::Double, 8),
            b'i' => (K::Int, self.getnumlimit(4)?),
            b'I' => (K::Uint, self.getnumlimit(4)?),
            b's' => (K::Str, self.getnumlimit(8)?),
            b'c' => {
                if !self.fmt.get(self.pos).is_some_and(|c| c.is_ascii_digit()) {
                    return Err("missing size for format option 'c'".into());
                }
                (K::Char, self.getnum(0))
            }
            b'z' => (K::Zstr, 0),
            b'x' => (K::Padding, 1),
            b'X' => (K::PadAlign, 0),
            b' ' => (K::Nop, 0),
            b'<' | b'=' => {
                self.little = true;
                (K::Nop, 0)
            }
            b'>' => {
                self.little = false;
                (K::Nop, 0)
            }
            b'!' => {
                self.maxalign = self.getnumlimit(NATIVE_ALIGN)?;
                (K::Nop, 0)
            }
            c => return Err(format!("invalid format option '{}'", c as char)),
        })
    }

    /// The next option, its size and the padding needed before it.
    fn getdetails(&mut self, total: usize) -> Result<(K, usize, usize), DetailError> {
        let (opt, size) = self.getoption().map_err(DetailError::Plain)?;
        let mut align = size;
        if opt == K::PadAlign {
            if self.done() {
                return Err(DetailError::Arg("invalid next option for option 'X'"));
            }
            let (next, nsize) = self.getoption().map_err(DetailError::Plain)?;
            align = nsize;
            if next == K::Char || align == 0 {
                return Err(DetailError::Arg("invalid next option for option 'X'"));
            }
        }
        let ntoalign = if align <= 1 || opt == K::Char {
            0
        } else {
            let align = align.min(self.maxalign);
            if !align.is_power_of_two() {
                return Err(DetailError::Arg("format asks for alignment not power of 2"));
            }
            (align - (total & (align - 1))) & (align - 1)
        };
        Ok((opt, size, ntoalign))
    }
}

enum DetailError {
    Plain(String),
    Arg(&'static str),
}

fn detail_err<'gc>(ctx: Context<'gc>, fname: &str, e: DetailError) -> Error<'gc> {
    match e {
        DetailError::Plain(m) => lua_error(ctx, m),
        DetailError::Arg(m) => arg_error(ctx, 1, fname, m),
    }
}

fn pack_int(out: &mut Vec<u8>, n: u64, little: bool, size: usize, neg: bool) {
    let mut bytes = vec![0u8; size];
    let mut v = n;
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = if i < SZINT {
            let byte = v as u8;
            v >>= 8;
            byte
        } else if neg {
            0xff
        } else {
            0
        };
    }
    if !little {
        bytes.reverse();
    }
    out.extend_from_slice(&bytes);
}

fn put_bytes(out: &mut Vec<u8>, le: &[u8], little: bool) {
    if little {
        out.extend_from_slice(le);
    } else {
        out.extend(le.iter().rev());
    }
}

/// `string.pack(fmt, v1, v2, ...)`.
pub fn str_pack<'gc>(
    ctx: Context<'gc>,
    fuel: &mut Fuel,
    mut stack: Stack<'gc, '_>,
) -> CbResult<'gc> {
    let fmt = check_str(ctx, &stack, 0, "pack")?;
    // Like Lua, a nil follows the arguments (so a missing one reads as nil).
    stack.push_back(Value::Nil);
    let mut h = Header::new(fmt.as_bytes());
    let mut out = Vec::new();
    let mut arg = 0usize;
    while !h.done() {
        let (opt, size, ntoalign) = h
            .getdetails(out.len())
            .map_err(|e| detail_err(ctx, "pack", e))?;
        if out.len() + ntoalign + size > MAX_STRING_SIZE {
            return Err(lua_error(ctx, "resulting string too large"));
        }
        out.resize(out.len() + ntoalign, 0);
        arg += 1;
        match opt {
            K::Int => {
                let n = check_int(ctx, &stack, arg, "pack")?;
                if size < SZINT {
                    let lim = 1i64 << (size * 8 - 1);
                    if !(-lim <= n && n < lim) {
                        return Err(arg_error(ctx, arg + 1, "pack", "integer overflow"));
                    }
                }
                pack_int(&mut out, n as u64, h.little, size, n < 0);
            }
            K::Uint => {
                let n = check_int(ctx, &stack, arg, "pack")?;
                if size < SZINT && (n as u64) >= 1u64 << (size * 8) {
                    return Err(arg_error(ctx, arg + 1, "pack", "unsigned overflow"));
                }
                pack_int(&mut out, n as u64, h.little, size, false);
            }
            K::Float => {
                let x = check_num(ctx, &stack, arg, "pack")? as f32;
                put_bytes(&mut out, &x.to_le_bytes(), h.little);
            }
            K::Number | K::Double => {
                let x = check_num(ctx, &stack, arg, "pack")?;
                put_bytes(&mut out, &x.to_le_bytes(), h.little);
            }
            K::Char => {
                let s = check_str(ctx, &stack, arg, "pack")?.as_bytes();
                if s.len() > size {
                    return Err(arg_error(
                        ctx,
                        arg + 1,
                        "pack",
                        "string longer than given size",
                    ));
                }
                out.extend_from_slice(s);
                out.resize(out.len() + size - s.len(), 0);
            }
            K::Str => {
                let s = check_str(ctx, &stack, arg, "pack")?.as_bytes();
                if size < 8 && s.len() as u64 >= 1u64 << (size * 8) {
                    return Err(arg_error(
                        ctx,
                        arg + 1,
                        "pack",
                        "string length does not fit in given size",
                    ));
                }
                if out.len() + size + s.len() > MAX_STRING_SIZE {
                    return Err(lua_error(ctx, "resulting string too large"));
                }
                pack_int(&mut out, s.len() as u64, h.little, size, false);
                out.extend_from_slice(s);
            }
            K::Zstr => {
                let s = check_str(ctx, &stack, arg, "pack")?.as_bytes();
                if s.contains(&0) {
                    return Err(arg_error(ctx, arg + 1, "pack", "string contains zeros"));
                }
                out.extend_from_slice(s);
                out.push(0);
            }
            K::Padding => {
                out.push(0);
                arg -= 1;
            }
            K::PadAlign | K::Nop => arg -= 1,
        }
    }
    fuel.consume((out.len() / 32) as i32);
    stack.replace(ctx, new_string(ctx, out));
    Ok(CallbackReturn::Return)
}

/// `string.packsize(fmt)`.
pub fn str_packsize<'gc>(
    ctx: Context<'gc>,
    _: &mut Fuel,
    mut stack: Stack<'gc, '_>,
) -> CbResult<'gc> {
    let fmt = check_str(ctx, &stack, 0, "packsize")?;
    let mut h = Header::new(fmt.as_bytes());
    let mut total = 0usize;
    while !h.done() {
        let (opt, size, ntoalign) = h
            .getdetails(total)
            .map_err(|e| detail_err(ctx, "packsize", e))?;
        if opt == K::Str || opt == K::Zstr {
            return Err(arg_error(ctx, 1, "packsize", "variable-length format"));
        }
        let size = size + ntoalign;
        if total > MAXSIZE - size.min(MAXSIZE) || size > MAXSIZE {
            return Err(arg_error(ctx, 1, "packsize", "format result too large"));
        }
        total += size;
    }
    stack.replace(ctx, total as i64);
    Ok(CallbackReturn::Return)
}

fn unpack_int<'gc>(
    ctx: Context<'gc>,
    data: &[u8],
    little: bool,
    size: usize,
    signed: bool,
) -> Result<i64, Error<'gc>> {
    let byte = |i: usize| if little { data[i] } else { data[size - 1 - i] };
    let limit = size.min(SZINT);
    let mut res: u64 = 0;
    for i in (0..limit).rev() {
        res = (res << 8) | byte(i) as u64;
    }
    if size < SZINT {
        if signed {
            let mask = 1u64 << (size * 8 - 1);
            res = (res ^ mask).wrapping_sub(mask);
        }
    } else if size > SZINT {
        let fill = if !signed || (res as i64) >= 0 {
            0
        } else {
            0xff
        };
        for i in limit..size {
            if byte(i) != fill {
                return Err(lua_error(
                    ctx,
                    format!("{size}-byte integer does not fit into Lua Integer"),
                ));
            }
        }
    }
    Ok(res as i64)
}

/// `string.unpack(fmt, s [, pos])`.
pub fn str_unpack<'gc>(
    ctx: Context<'gc>,
    fuel: &mut Fuel,
    mut stack: Stack<'gc, '_>,
) -> CbResult<'gc> {
    let fmt = check_str(ctx, &stack, 0, "unpack")?;
    let data = check_str(ctx, &stack, 1, "unpack")?.as_bytes();
    let ld = data.len();
    let mut pos = posrelat_start(opt_int(ctx, &stack, 2, "unpack", 1)?, ld) - 1;
    if pos > ld {
        return Err(arg_error(
            ctx,
            3,
            "unpack",
            "initial position out of string",
        ));
    }
    let mut h = Header::new(fmt.as_bytes());
    let mut results: Vec<Value<'gc>> = Vec::new();
    while !h.done() {
        let (opt, size, ntoalign) = h
            .getdetails(pos)
            .map_err(|e| detail_err(ctx, "unpack", e))?;
        if ntoalign + size > ld - pos {
            return Err(arg_error(ctx, 2, "unpack", "data string too short"));
        }
        pos += ntoalign;
        let at = &data[pos..];
        match opt {
            K::Int | K::Uint => results.push(Value::Integer(unpack_int(
                ctx,
                at,
                h.little,
                size,
                opt == K::Int,
            )?)),
            K::Float => {
                let mut b = [0u8; 4];
                b.copy_from_slice(&at[..4]);
                if !h.little {
                    b.reverse();
                }
                results.push(Value::Number(f32::from_le_bytes(b) as f64));
            }
            K::Number | K::Double => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&at[..8]);
                if !h.little {
                    b.reverse();
                }
                results.push(Value::Number(f64::from_le_bytes(b)));
            }
            K::Char => results.push(Value::String(new_string(ctx, &at[..size]))),
            K::Str => {
                let len = unpack_int(ctx, at, h.little, size, false)? as u64;
                if len > (ld - pos - size) as u64 {
                    return Err(arg_error(ctx, 2, "unpack", "data string too short"));
                }
                let len = len as usize;
                results.push(Value::String(new_string(ctx, &at[size..size + len])));
                pos += len;
            }
            K::Zstr => {
                let Some(len) = at.iter().position(|&b| b == 0) else {
                    return Err(arg_error(
                        ctx,
                        2,
                        "unpack",
                        "unfinished string for format 'z'",
                    ));
                };
                results.push(Value::String(new_string(ctx, &at[..len])));
                pos += len + 1;
            }
            K::PadAlign | K::Padding | K::Nop => {}
        }
        pos += size;
    }
    fuel.consume((results.len() / 4) as i32);
    stack.clear();
    stack.extend(results);
    stack.push_back(Value::Integer(pos as i64 + 1));
    Ok(CallbackReturn::Return)
}
