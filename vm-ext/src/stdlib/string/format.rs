//! `string.format`: C `printf` conversions with Lua 5.4's checks, `%q`
//! literals, and `%s` through `tostring` (calling `__tostring` as a
//! [`Sequence`] when a value has one).

use std::cmp::Ordering;

use gc_arena::Collect;
use piccolo::{
    BoxSequence, Callback, CallbackReturn, Context, Error, Execution, Fuel, Sequence, SequencePoll,
    Stack, String as LuaString, Value,
};

use super::{arg_error, new_string, to_num, type_name, CbResult};
use crate::{
    interp::native,
    number::{float_to_i64, fmt_hex_float, Num},
    stdlib::{
        base::{address, tostring_meta, tostring_plain},
        lua_error,
    },
};

const FLAGS_F: &[u8] = b"-+#0 ";
const FLAGS_X: &[u8] = b"-#0";
const FLAGS_I: &[u8] = b"-+0 ";
const FLAGS_U: &[u8] = b"-0";
const FLAGS_C: &[u8] = b"-";
/// Longest conversion spec Lua accepts (`MAX_FORMAT - 10`).
const MAX_SPEC: usize = 22;

/// A parsed conversion: flags, width and precision.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// `-`: left-justify.
    pub minus: bool,
    /// `+`: always a sign.
    pub plus: bool,
    /// ` `: a space where a plus sign would go.
    pub space: bool,
    /// `#`: the alternate form.
    pub alt: bool,
    /// `0`: pad with zeros.
    pub zero: bool,
    /// Minimum field width.
    pub width: usize,
    /// Precision, when given.
    pub prec: Option<usize>,
}

impl Spec {
    /// Parses the text between `%` and the conversion letter (already
    /// validated by Lua's rules).
    pub fn parse(body: &[u8]) -> Spec {
        let mut sp = Spec::default();
        let mut i = 0;
        while i < body.len() {
            match body[i] {
                b'-' => sp.minus = true,
                b'+' => sp.plus = true,
                b' ' => sp.space = true,
                b'#' => sp.alt = true,
                b'0' => sp.zero = true,
                _ => break,
            }
            i += 1;
        }
        while i < body.len() && body[i].is_ascii_digit() {
            sp.width = sp.width * 10 + (body[i] - b'0') as usize;
            i += 1;
        }
        if i < body.len() && body[i] == b'.' {
            i += 1;
            let mut p = 0;
            while i < body.len() && body[i].is_ascii_digit() {
                p = p * 10 + (body[i] - b'0') as usize;
                i += 1;
            }
            sp.prec = Some(p);
        }
        sp
    }

    fn sign(&self, neg: bool) -> &'static str {
        if neg {
            "-"
        } else if self.plus {
            "+"
        } else if self.space {
            " "
        } else {
            ""
        }
    }

    /// Lays out `sign`, `prefix` and `body` in the field.
    fn pad(&self, out: &mut Vec<u8>, sign: &str, prefix: &str, body: &str, zero_ok: bool) {
        let len = sign.len() + prefix.len() + body.len();
        let fill = self.width.saturating_sub(len);
        if self.minus {
            out.extend_from_slice(sign.as_bytes());
            out.extend_from_slice(prefix.as_bytes());
            out.extend_from_slice(body.as_bytes());
            out.resize(out.len() + fill, b' ');
        } else if self.zero && zero_ok {
            out.extend_from_slice(sign.as_bytes());
            out.extend_from_slice(prefix.as_bytes());
            out.resize(out.len() + fill, b'0');
            out.extend_from_slice(body.as_bytes());
        } else {
            out.resize(out.len() + fill, b' ');
            out.extend_from_slice(sign.as_bytes());
            out.extend_from_slice(prefix.as_bytes());
            out.extend_from_slice(body.as_bytes());
        }
    }
}

/// Formats an integer conversion (`d i u o x X`) like C's printf.
pub fn format_int(out: &mut Vec<u8>, sp: &Spec, conv: u8, n: i64) {
    let (neg, mut digits) = match conv {
        b'd' | b'i' => (n < 0, n.unsigned_abs().to_string()),
        b'u' => (false, (n as u64).to_string()),
        b'o' => (false, format!("{:o}", n as u64)),
        b'x' => (false, format!("{:x}", n as u64)),
        _ => (false, format!("{:X}", n as u64)),
    };
    if let Some(p) = sp.prec {
        if p == 0 && n == 0 {
            digits.clear();
        }
        if digits.len() < p {
            digits = format!("{}{}", "0".repeat(p - digits.len()), digits);
        }
    }
    let mut prefix = "";
    if sp.alt {
        match conv {
            b'o' if !digits.starts_with('0') => digits.insert(0, '0'),
            b'x' if n != 0 => prefix = "0x",
            b'X' if n != 0 => prefix = "0X",
            _ => {}
        }
    }
    let sign = if matches!(conv, b'd' | b'i') {
        sp.sign(neg)
    } else {
        ""
    };
    sp.pad(out, sign, prefix, &digits, sp.prec.is_none());
}

/// `a` (finite, not negative) times 10^`d`, rounded to an integer with ties
/// to even as printf rounds, computed exactly in 128 bits; `None` where that
/// does not fit (then Rust's exact formatting, whose fallback is a bignum
/// algorithm: most of `string.format("%.2f")`'s time in wasm).
fn scaled(a: f64, d: i32) -> Option<u128> {
    if !(-22..=22).contains(&d) || !a.is_finite() || a < 0.0 {
        return None;
    }
    if a == 0.0 {
        return Some(0);
    }
    // a = m * 2^e exactly, m < 2^53.
    let bits = a.to_bits();
    let be = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (m, e) = if be == 0 {
        (frac as u128, -1074)
    } else {
        ((frac | 1 << 52) as u128, be - 1075)
    };
    // < 2^74.
    let p10 = 10u128.pow(d.unsigned_abs());
    // num / den, rounded to nearest, ties to even.
    let round = |num: u128, den: u128| {
        let q = num / den;
        let r = num - q * den;
        // (den <= 2^127: 2r does not overflow.)
        match (2 * r).cmp(&den) {
            Ordering::Less => q,
            Ordering::Greater => q + 1,
            Ordering::Equal => q + (q & 1),
        }
    };
    if d >= 0 {
        let num = m * p10; // < 2^127
        if e >= 0 {
            return (e < num.leading_zeros() as i32).then(|| num << e);
        }
        let k = -e;
        if k >= 127 {
            // num < 2^127 <= half of 2^k: rounds to 0.
            return Some(0);
        }
        Some(round(num, 1u128 << k))
    } else if e >= 0 {
        (e < 74).then(|| round(m << e, p10))
    } else {
        let k = -e;
        if k + 1 >= p10.leading_zeros() as i32 {
            // den = p10 * 2^k > 2^126 > 2m: rounds to 0.
            return Some(0);
        }
        Some(round(m, p10 << k))
    }
}

/// `a`'s first `p` significant digits, rounded as printf's `%.{p-1}e`, and
/// its decimal exponent, exactly (`None`: outside [`scaled`]'s range).
fn sig_digits(a: f64, p: usize) -> Option<(String, i32)> {
    if p > 21 {
        return None;
    }
    if a == 0.0 {
        return Some(("0".repeat(p), 0));
    }
    let (lo, hi) = (10u128.pow(p as u32 - 1), 10u128.pow(p as u32));
    // log10 is a guess that may be one off either way near a power of ten,
    // and rounding may carry into a new digit: checked by the digit count.
    let mut e10 = a.log10().floor() as i32;
    for _ in 0..4 {
        let q = scaled(a, p as i32 - 1 - e10)?;
        if q >= hi {
            e10 += 1;
        } else if q < lo {
            e10 -= 1;
        } else {
            return Some((q.to_string(), e10));
        }
    }
    None
}

/// `a` with `prec` digits after the point, as printf's `%.{prec}f`.
fn fixed_form(a: f64, prec: usize) -> String {
    match scaled(a, prec as i32) {
        Some(q) => {
            let mut s = q.to_string();
            if prec > 0 {
                if s.len() <= prec {
                    s.insert_str(0, &"0".repeat(prec + 1 - s.len()));
                }
                s.insert(s.len() - prec, '.');
            }
            s
        }
        None => format!("{:.*}", prec, a),
    }
}

fn exp_form(x: f64, prec: usize, alt: bool, upper: bool) -> (String, i32) {
    let (mut m, exp) = match sig_digits(x, prec + 1) {
        Some((mut digits, exp)) => {
            if prec > 0 {
                digits.insert(1, '.');
            }
            (digits, exp)
        }
        None => {
            let s = format!("{:.*e}", prec, x);
            let (mant, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
            (mant.to_string(), exp.parse().unwrap_or(0))
        }
    };
    if alt && prec == 0 {
        m.push('.');
    }
    let e = if upper { 'E' } else { 'e' };
    (
        format!(
            "{m}{e}{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        ),
        exp,
    )
}

fn strip_frac_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// Formats a float conversion (`e E f F g G a A`) like C's printf.
pub fn format_float(out: &mut Vec<u8>, sp: &Spec, conv: u8, x: f64) {
    let upper = conv.is_ascii_uppercase();
    let neg = x.is_sign_negative();
    let sign = sp.sign(neg);
    let a = x.abs();
    if !x.is_finite() {
        let body = if x.is_nan() { "nan" } else { "inf" };
        let body = if upper {
            body.to_ascii_uppercase()
        } else {
            body.to_string()
        };
        sp.pad(out, sign, "", &body, false);
        return;
    }
    match conv.to_ascii_lowercase() {
        b'e' => {
            let (body, _) = exp_form(a, sp.prec.unwrap_or(6), sp.alt, upper);
            sp.pad(out, sign, "", &body, true);
        }
        b'f' => {
            let mut body = fixed_form(a, sp.prec.unwrap_or(6));
            if sp.alt && sp.prec == Some(0) {
                body.push('.');
            }
            sp.pad(out, sign, "", &body, true);
        }
        b'g' => {
            let p = sp.prec.unwrap_or(6).max(1);
            let (e_body, exp) = exp_form(a, p - 1, sp.alt, upper);
            let body = if exp < -4 || exp >= p as i32 {
                if sp.alt {
                    e_body
                } else {
                    let (m, e) = e_body.split_at(e_body.find(['e', 'E']).unwrap_or(e_body.len()));
                    format!("{}{}", strip_frac_zeros(m), e)
                }
            } else {
                // The %e digits are exactly the P significant digits the
                // fixed form needs: move the point instead of reformatting.
                let digits: String = e_body
                    .split(['e', 'E'])
                    .next()
                    .unwrap_or("")
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect();
                let mut f = if exp >= 0 {
                    let k = (exp as usize + 1).min(digits.len());
                    format!("{}.{}", &digits[..k], &digits[k..])
                } else {
                    format!("0.{}{}", "0".repeat((-exp - 1) as usize), digits)
                };
                if sp.alt {
                    f
                } else {
                    if f.ends_with('.') {
                        f.pop();
                    }
                    strip_frac_zeros(&f)
                }
            };
            sp.pad(out, sign, "", &body, true);
        }
        _ => {
            let s = fmt_hex_float(a, sp.prec, sp.alt, upper);
            let (prefix, body) = s.split_at(2);
            sp.pad(out, sign, prefix, body, true);
        }
    }
}

/// Appends `s` as a Lua string literal (`%q`).
pub fn add_quoted(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for (i, &c) in s.iter().enumerate() {
        if c == b'"' || c == b'\\' || c == b'\n' {
            out.push(b'\\');
            out.push(c);
        } else if c.is_ascii_control() {
            let next_digit = s.get(i + 1).is_some_and(|d| d.is_ascii_digit());
            let esc = if next_digit {
                format!("\\{c:03}")
            } else {
                format!("\\{c}")
            };
            out.extend_from_slice(esc.as_bytes());
        } else {
            out.push(c);
        }
    }
    out.push(b'"');
}

fn check_spec(form: &[u8], flags: &[u8], precision: bool) -> Result<(), String> {
    let mut i = 1;
    while i < form.len() && flags.contains(&form[i]) {
        i += 1;
    }
    let digits2 = |i: &mut usize| {
        for _ in 0..2 {
            if *i < form.len() && form[*i].is_ascii_digit() {
                *i += 1;
            }
        }
    };
    if form.get(i) != Some(&b'0') {
        digits2(&mut i);
        if form.get(i) == Some(&b'.') && precision {
            i += 1;
            digits2(&mut i);
        }
    }
    if form.get(i).is_some_and(|c| c.is_ascii_alphabetic()) {
        Ok(())
    } else {
        Err(format!(
            "invalid conversion specification: '{}'",
            String::from_utf8_lossy(form)
        ))
    }
}

/// The `format` state: resumable after a `__tostring` call.
#[derive(Collect)]
#[collect(no_drop)]
struct Format<'gc> {
    fmt: LuaString<'gc>,
    args: Vec<Value<'gc>>,
    pos: usize,
    arg: usize,
    out: Vec<u8>,
    /// The `%s` spec waiting for a `__tostring` result.
    pending: Option<Vec<u8>>,
    /// The `__tostring` call: no yield across it.
    c_call: crate::interp::CCall,
}

enum Next<'gc> {
    Done,
    ToString(piccolo::Function<'gc>, Value<'gc>),
}

impl<'gc> Format<'gc> {
    fn err(&self, ctx: Context<'gc>, msg: &str) -> Error<'gc> {
        arg_error(ctx, self.arg + 1, "format", msg)
    }

    fn int_arg(&self, ctx: Context<'gc>) -> Result<i64, Error<'gc>> {
        let v = self.args[self.arg];
        match to_num(v) {
            Some(Num::Int(n)) => Ok(n),
            Some(Num::Float(f)) => {
                float_to_i64(f).ok_or_else(|| self.err(ctx, "number has no integer representation"))
            }
            None => Err(self.err(ctx, &format!("number expected, got {}", type_name(ctx, v)))),
        }
    }

    fn num_arg(&self, ctx: Context<'gc>) -> Result<f64, Error<'gc>> {
        let v = self.args[self.arg];
        to_num(v)
            .map(Num::to_f64)
            .ok_or_else(|| self.err(ctx, &format!("number expected, got {}", type_name(ctx, v))))
    }

    fn add_string(&mut self, ctx: Context<'gc>, form: &[u8], s: &[u8]) -> Result<(), Error<'gc>> {
        if form.len() == 2 {
            self.out.extend_from_slice(s);
            return Ok(());
        }
        if s.contains(&0) {
            return Err(self.err(ctx, "string contains zeros"));
        }
        check_spec(form, FLAGS_C, true).map_err(|m| lua_error(ctx, m))?;
        let sp = Spec::parse(&form[1..form.len() - 1]);
        if sp.prec.is_none() && s.len() >= 100 {
            self.out.extend_from_slice(s);
            return Ok(());
        }
        let s = &s[..sp.prec.unwrap_or(s.len()).min(s.len())];
        let fill = sp.width.saturating_sub(s.len());
        if !sp.minus {
            self.out.resize(self.out.len() + fill, b' ');
        }
        self.out.extend_from_slice(s);
        if sp.minus {
            self.out.resize(self.out.len() + fill, b' ');
        }
        Ok(())
    }

    fn add_literal(&mut self, ctx: Context<'gc>) -> Result<(), Error<'gc>> {
        match self.args[self.arg] {
            Value::String(s) => add_quoted(&mut self.out, s.as_bytes()),
            Value::Integer(n) => {
                let text = if n == i64::MIN {
                    format!("0x{:x}", n)
                } else {
                    n.to_string()
                };
                self.out.extend_from_slice(text.as_bytes());
            }
            Value::Number(f) => {
                let text = if f == f64::INFINITY {
                    "1e9999".to_string()
                } else if f == f64::NEG_INFINITY {
                    "-1e9999".to_string()
                } else if f.is_nan() {
                    "(0/0)".to_string()
                } else {
                    let h = fmt_hex_float(f.abs(), None, false, false);
                    if f.is_sign_negative() {
                        format!("-{h}")
                    } else {
                        h
                    }
                };
                self.out.extend_from_slice(text.as_bytes());
            }
            v @ (Value::Nil | Value::Boolean(_)) => {
                if let Value::String(s) = tostring_plain(ctx, v) {
                    self.out.extend_from_slice(s.as_bytes());
                }
            }
            _ => return Err(self.err(ctx, "value has no literal form")),
        }
        Ok(())
    }

    fn run(&mut self, ctx: Context<'gc>, fuel: &mut Fuel) -> Result<Next<'gc>, Error<'gc>> {
        let fmt = self.fmt.as_bytes();
        while self.pos < fmt.len() {
            let c = fmt[self.pos];
            self.pos += 1;
            if c != b'%' {
                self.out.push(c);
                continue;
            }
            if fmt.get(self.pos) == Some(&b'%') {
                self.out.push(b'%');
                self.pos += 1;
                continue;
            }
            self.arg += 1;
            if self.arg >= self.args.len() {
                return Err(self.err(ctx, "no value"));
            }
            // Flags, width and precision, then the conversion letter.
            let start = self.pos;
            let mut len = fmt[start..]
                .iter()
                .take_while(|b| b"-+#0 123456789.".contains(b))
                .count();
            len += 1;
            if len >= MAX_SPEC {
                return Err(lua_error(ctx, "invalid format (too long)"));
            }
            let end = (start + len).min(fmt.len());
            let mut form = Vec::with_capacity(len + 1);
            form.push(b'%');
            form.extend_from_slice(&fmt[start..end]);
            self.pos = end;
            let conv = if start + len <= fmt.len() {
                fmt[start + len - 1]
            } else {
                0
            };
            let body = &form[1..form.len().saturating_sub(1).max(1)];
            let checked = |flags: &[u8], prec: bool| {
                check_spec(&form, flags, prec).map_err(|m| lua_error(ctx, m))
            };
            match conv {
                b'c' => {
                    checked(FLAGS_C, false)?;
                    let n = self.int_arg(ctx)?;
                    let sp = Spec::parse(body);
                    let fill = sp.width.saturating_sub(1);
                    if !sp.minus {
                        self.out.resize(self.out.len() + fill, b' ');
                    }
                    self.out.push(n as u8);
                    if sp.minus {
                        self.out.resize(self.out.len() + fill, b' ');
                    }
                }
                b'd' | b'i' | b'u' | b'o' | b'x' | b'X' => {
                    let n = self.int_arg(ctx)?;
                    let flags = match conv {
                        b'd' | b'i' => FLAGS_I,
                        b'u' => FLAGS_U,
                        _ => FLAGS_X,
                    };
                    checked(flags, true)?;
                    format_int(&mut self.out, &Spec::parse(body), conv, n);
                }
                b'a' | b'A' | b'e' | b'E' | b'f' | b'g' | b'G' => {
                    let x = self.num_arg(ctx)?;
                    checked(FLAGS_F, true)?;
                    format_float(&mut self.out, &Spec::parse(body), conv, x);
                }
                b'p' => {
                    checked(FLAGS_C, false)?;
                    let v = self.args[self.arg];
                    let ptr = match v {
                        Value::String(s) => Some(s.as_bytes().as_ptr() as *const ()),
                        v => address(v),
                    };
                    let text = match ptr {
                        Some(p) => format!("{p:p}"),
                        None => "(null)".to_string(),
                    };
                    let sp = Spec::parse(body);
                    sp.pad(&mut self.out, "", "", &text, false);
                }
                b'q' => {
                    if form.len() > 2 {
                        return Err(lua_error(ctx, "specifier '%q' cannot have modifiers"));
                    }
                    self.add_literal(ctx)?;
                }
                b's' => {
                    let v = self.args[self.arg];
                    if let Some(m) = tostring_meta(ctx, v) {
                        self.pending = Some(form);
                        return Ok(Next::ToString(piccolo::meta_ops::call(ctx, m)?, v));
                    }
                    if let Value::String(s) = tostring_plain(ctx, v) {
                        self.add_string(ctx, &form, s.as_bytes())?;
                    }
                }
                _ => {
                    return Err(lua_error(
                        ctx,
                        format!(
                            "invalid conversion '{}' to 'format'",
                            String::from_utf8_lossy(&form)
                        ),
                    ));
                }
            }
        }
        fuel.consume((self.out.len() / 32) as i32);
        Ok(Next::Done)
    }

    fn finish(&mut self, ctx: Context<'gc>, stack: &mut Stack<'gc, '_>) {
        let out = std::mem::take(&mut self.out);
        stack.replace(ctx, new_string(ctx, out));
    }
}

impl<'gc> Sequence<'gc> for Format<'gc> {
    fn poll(
        &mut self,
        ctx: Context<'gc>,
        mut exec: Execution<'gc, '_>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        self.c_call.returned(ctx, &exec);
        if let Some(form) = self.pending.take() {
            match stack.get(0) {
                Value::String(s) => self.add_string(ctx, &form, s.as_bytes())?,
                v @ (Value::Integer(_) | Value::Number(_)) => {
                    if let Value::String(s) = tostring_plain(ctx, v) {
                        self.add_string(ctx, &form, s.as_bytes())?;
                    }
                }
                _ => return Err(lua_error(ctx, "'__tostring' must return a string")),
            }
        }
        match self.run(ctx, exec.fuel())? {
            Next::Done => {
                self.finish(ctx, &mut stack);
                Ok(SequencePoll::Return)
            }
            Next::ToString(function, v) => {
                stack.replace(ctx, v);
                Ok(self.c_call.call(ctx, &exec, function))
            }
        }
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

impl<'gc> Format<'gc> {
    fn new(fmt: piccolo::String<'gc>, args: Vec<Value<'gc>>) -> Self {
        Format {
            fmt,
            args,
            pos: 0,
            arg: 0,
            out: Vec::new(),
            pending: None,
            c_call: Default::default(),
        }
    }
}

/// `string.format` called directly by the interpreter: all of it but a
/// `%s` of a value with `__tostring`, for which it declines (its
/// arguments untouched) and the full callback runs.
fn format_fast<'gc>(
    ctx: Context<'gc>,
    fuel: &mut Fuel,
    mut stack: Stack<'gc, '_>,
) -> CbResult<'gc> {
    let fmt = super::check_str(ctx, &stack, 0, "format")?;
    let args = (0..stack.len()).map(|i| stack.get(i)).collect();
    let mut f = Format::new(fmt, args);
    match f.run(ctx, fuel)? {
        Next::Done => {
            f.finish(ctx, &mut stack);
            Ok(CallbackReturn::Return)
        }
        Next::ToString(..) => native::decline(ctx),
    }
}

/// `string.format(fmt, ...)`.
pub fn callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    let full = Callback::from_fn(&ctx, |ctx, mut exec, mut stack| {
        let fmt = super::check_str(ctx, &stack, 0, "format")?;
        let args: Vec<Value<'gc>> = stack.drain(..).collect();
        let mut f = Format::new(fmt, args);
        match f.run(ctx, exec.fuel())? {
            Next::Done => {
                f.finish(ctx, &mut stack);
                Ok(CallbackReturn::Return)
            }
            Next::ToString(function, v) => {
                stack.replace(ctx, v);
                f.c_call.enter(ctx, &exec);
                Ok(CallbackReturn::Call {
                    function,
                    then: Some(BoxSequence::new(&ctx, f)),
                })
            }
        }
    });
    native::register_fast(ctx, full, format_fast, false);
    full
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fi(spec: &str, conv: u8, n: i64) -> String {
        let mut out = Vec::new();
        format_int(&mut out, &Spec::parse(spec.as_bytes()), conv, n);
        String::from_utf8(out).unwrap()
    }

    fn ff(spec: &str, conv: u8, x: f64) -> String {
        let mut out = Vec::new();
        format_float(&mut out, &Spec::parse(spec.as_bytes()), conv, x);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn integers_like_printf() {
        assert_eq!(fi(".3", b'd', 7), "007");
        assert_eq!(fi("+.0", b'd', 0), "+");
        assert_eq!(fi(" ", b'd', 5), " 5");
        assert_eq!(fi("#", b'o', 8), "010");
        assert_eq!(fi("#", b'x', 0), "0");
        assert_eq!(fi("#.0", b'o', 0), "0");
        assert_eq!(fi("5.3", b'x', 10), "  00a");
        assert_eq!(fi("08", b'd', -42), "-0000042");
        assert_eq!(fi("-08", b'd', 7), "7       ");
        assert_eq!(fi("", b'd', i64::MIN), "-9223372036854775808");
        assert_eq!(fi("", b'u', -1), "18446744073709551615");
    }

    #[test]
    fn floats_like_printf() {
        assert_eq!(ff("#", b'g', 1.0), "1.00000");
        assert_eq!(ff("", b'g', 1e-5), "1e-05");
        assert_eq!(ff("#.0", b'e', 3.0), "3.e+00");
        assert_eq!(ff("#.0", b'f', 3.0), "3.");
        assert_eq!(ff("-+8.2", b'e', 12345.678), "+1.23e+04");
        assert_eq!(ff("08.3", b'f', -3.14259), "-003.143");
        assert_eq!(ff("05.1", b'f', f64::NAN), "  nan");
        assert_eq!(ff("", b'E', f64::NEG_INFINITY), "-INF");
        assert_eq!(ff("", b'G', 1e20), "1E+20");
        assert_eq!(ff("10.2", b'a', 1.0 / 3.0), " 0x1.55p-2");
        assert_eq!(ff("012", b'a', 3.0), "0x00001.8p+1");
        assert_eq!(ff("", b'A', 255.5), "0X1.FFP+7");
        assert_eq!(ff(".3", b'g', 0.0001234), "0.000123");
        assert_eq!(ff("", b'g', 100000.0), "100000");
        assert_eq!(ff("", b'g', 1e6), "1e+06");
    }

    /// The exact fast paths (`fixed_form`, `sig_digits`) against Rust's
    /// exact formatting, which rounds ties to even as printf does: random
    /// doubles over the whole range (subnormals and huge ones take the
    /// fallback or must agree), and ties and carries on purpose.
    #[test]
    fn fast_float_digits_match_exact_formatting() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed >> 12;
            seed ^= seed << 25;
            seed ^= seed >> 27;
            seed.wrapping_mul(0x2545_f491_4f6c_dd1d)
        };
        let mut values = vec![
            0.0,
            0.5,
            1.5,
            2.5,
            0.125,
            0.375,
            1e-5,
            9.9999995,
            0.05,
            0.15,
            0.25,
            1e15,
            1e21,
            1e22,
            123456.5,
            5e-324,
            2.2250738585072014e-308,
            9007199254740993.0,
            0.0001234,
            99.995,
        ];
        for i in 0..4000 {
            let v = match i % 4 {
                // Any finite double.
                0 => f64::from_bits(next() >> 1),
                // Typical magnitudes.
                1 => (next() >> 11) as f64 / (1u64 << (next() % 60)) as f64,
                // Integers and halves, quarters, eighths: exact ties.
                2 => (next() % 100_000) as f64 / [1.0, 2.0, 4.0, 8.0][(next() % 4) as usize],
                _ => (next() % 1000) as f64 / 7.0,
            };
            if v.is_finite() {
                values.push(v.abs());
            }
        }
        let mut fast = 0;
        for &v in &values {
            for prec in 0..=22usize {
                if let Some(q) = scaled(v, prec as i32) {
                    fast += 1;
                    assert_eq!(
                        fixed_form(v, prec),
                        format!("{:.*}", prec, v),
                        "{v:e} %.{prec}f ({q})"
                    );
                }
                if let Some((digits, exp)) = sig_digits(v, prec + 1) {
                    let want = format!("{:.*e}", prec, v);
                    let (m, e) = want.split_once('e').unwrap();
                    assert_eq!(digits, m.replace('.', ""), "{v:e} %.{prec}e");
                    assert_eq!(exp, e.parse::<i32>().unwrap(), "{v:e} %.{prec}e");
                }
            }
        }
        // Most of the cases took the fast path.
        assert!(fast > values.len() * 23 / 2, "{fast}");
    }

    #[test]
    fn quoted_like_lua() {
        let mut out = Vec::new();
        add_quoted(&mut out, b"a\0b\r\n\x01x\x019\"\\");
        assert_eq!(out, b"\"a\\0b\\13\\\n\\1x\\0019\\\"\\\\\"");
    }

    #[test]
    fn spec_checks() {
        assert!(check_spec(b"%5.2f", FLAGS_F, true).is_ok());
        assert!(check_spec(b"%100d", FLAGS_I, true).is_err());
        assert!(check_spec(b"%.123d", FLAGS_I, true).is_err());
        assert!(check_spec(b"%0.5c", FLAGS_C, false).is_err());
        assert!(check_spec(b"%#d", FLAGS_I, true).is_err());
    }
}
