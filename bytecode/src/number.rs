//! Numbers as Lua 5.4 reads and prints them: string -> number conversion
//! (`tonumber`, numeric arguments of the libraries) and formatting (`LUAI_NUMFFORMAT` is
//! `%.14g`; a float that looks like an integer gets `.0`).

/// Formats `x` like C's `printf("%.*g", precision, x)`.
pub fn fmt_g(x: f64, precision: usize) -> String {
    let p = precision.max(1);
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Round to `p` significant digits first; the exponent after rounding picks the style.
    let sci = format!("{:.*e}", p - 1, x);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= p as i32 {
        let mantissa = strip_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        strip_zeros(&format!("{:.*}", decimals, x)).to_string()
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// `tostring` of a float: `%.14g`, plus `.0` when the result reads as an integer.
pub fn float_to_string(x: f64) -> String {
    let mut s = fmt_g(x, 14);
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        s.push_str(".0");
    }
    s
}

/// A number read from a string: Lua keeps integers and floats apart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    /// An integer numeral that fits in 64 bits (hex numerals wrap around).
    Int(i64),
    /// Any other numeral.
    Float(f64),
}

impl Num {
    /// The value as a float.
    pub fn to_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    /// The value as an integer, when it has an exact integer representation.
    pub fn to_i64(self) -> Option<i64> {
        match self {
            Num::Int(i) => Some(i),
            Num::Float(f) => float_to_i64(f),
        }
    }
}

/// `f` as an integer when it is integral and in range (Lua's `lua_numbertointeger`).
pub fn float_to_i64(f: f64) -> Option<i64> {
    // 2^63 is exact as a float; the range is [-2^63, 2^63).
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    if f.fract() == 0.0 && (-TWO63..TWO63).contains(&f) {
        Some(f as i64)
    } else {
        None
    }
}

// Lua's integer/float arithmetic rules, shared by the compiler's constant
// folding and the interpreter.

/// Lua's floor modulo for floats (`luai_nummod`).
#[inline]
pub fn float_mod(a: f64, b: f64) -> f64 {
    let m = a % b;
    if (m > 0.0 && b < 0.0) || (m < 0.0 && b > 0.0) {
        m + b
    } else {
        m
    }
}

/// Lua's floor modulo for integers; `b` must not be 0.
#[inline]
pub fn int_mod(a: i64, b: i64) -> i64 {
    if b == -1 {
        return 0;
    }
    let m = a % b;
    if m != 0 && (m ^ b) < 0 {
        m + b
    } else {
        m
    }
}

/// Lua's floor division for integers; `b` must not be 0.
#[inline]
pub fn int_idiv(a: i64, b: i64) -> i64 {
    if b == -1 {
        return a.wrapping_neg();
    }
    let q = a / b;
    if (a % b != 0) && ((a ^ b) < 0) {
        q - 1
    } else {
        q
    }
}

/// Lua's logical shift left (negative `n` shifts right).
#[inline]
pub fn shift_left(x: i64, n: i64) -> i64 {
    if n <= -64 || n >= 64 {
        0
    } else if n >= 0 {
        ((x as u64) << n) as i64
    } else {
        ((x as u64) >> (-n)) as i64
    }
}

fn is_lua_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn trim_lua_space(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_lua_space(b)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&b| !is_lua_space(b))
        .map_or(start, |e| e + 1);
    &s[start..end.max(start)]
}

/// Converts a string to a number exactly as Lua 5.4 does (`luaO_str2num`):
/// surrounding whitespace allowed; decimal or hex integers (hex wraps
/// around, decimal overflow becomes a float); decimal and hex floats with
/// exponents; no `inf`/`nan`.
pub fn str_to_number(s: &[u8]) -> Option<Num> {
    if s.contains(&0) {
        return None;
    }
    let t = trim_lua_space(s);
    if t.is_empty() {
        return None;
    }
    str_to_int(t)
        .map(Num::Int)
        .or_else(|| str_to_float(t).map(Num::Float))
}

fn split_sign(t: &[u8]) -> (bool, &[u8]) {
    match t.first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    }
}

fn hex_prefix(t: &[u8]) -> Option<&[u8]> {
    if t.len() >= 2 && t[0] == b'0' && (t[1] == b'x' || t[1] == b'X') {
        Some(&t[2..])
    } else {
        None
    }
}

fn str_to_int(t: &[u8]) -> Option<i64> {
    let (neg, rest) = split_sign(t);
    let mut a: u64 = 0;
    if let Some(hex) = hex_prefix(rest) {
        if hex.is_empty() {
            return None;
        }
        for &b in hex {
            let d = (b as char).to_digit(16)?;
            a = a.wrapping_mul(16).wrapping_add(d as u64);
        }
    } else {
        if rest.is_empty() {
            return None;
        }
        for &b in rest {
            if !b.is_ascii_digit() {
                return None;
            }
            let d = (b - b'0') as u64;
            // Overflow (beyond what a negated minimum allows) makes it a float.
            if a >= i64::MAX as u64 / 10
                && (a > i64::MAX as u64 / 10 || d > i64::MAX as u64 % 10 + neg as u64)
            {
                return None;
            }
            a = a * 10 + d;
        }
    }
    Some(if neg {
        0u64.wrapping_sub(a) as i64
    } else {
        a as i64
    })
}

fn str_to_float(t: &[u8]) -> Option<f64> {
    if t.iter().any(|&b| b == b'n' || b == b'N') {
        return None;
    }
    let (neg, rest) = split_sign(t);
    let v = if let Some(hex) = hex_prefix(rest) {
        hex_float(hex)?
    } else {
        dec_float(rest)?
    };
    Some(if neg { -v } else { v })
}

fn dec_float(s: &[u8]) -> Option<f64> {
    let mut i = 0;
    let digits = |i: &mut usize| {
        let st = *i;
        while *i < s.len() && s[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - st
    };
    let mut n = digits(&mut i);
    if i < s.len() && s[i] == b'.' {
        i += 1;
        n += digits(&mut i);
    }
    if n == 0 {
        return None;
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        i += 1;
        if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if i != s.len() {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse::<f64>().ok()
}

fn hex_float(s: &[u8]) -> Option<f64> {
    let mut mant: u64 = 0;
    let mut exp: i64 = 0;
    let mut any = false;
    let mut i = 0;
    let mut seen_dot = false;
    while i < s.len() {
        let b = s[i];
        if b == b'.' {
            if seen_dot {
                return None;
            }
            seen_dot = true;
        } else if let Some(d) = (b as char).to_digit(16) {
            any = true;
            if mant >> 56 == 0 {
                mant = mant * 16 + d as u64;
                if seen_dot {
                    exp -= 4;
                }
            } else {
                // Too many digits: drop them, but keep track of the scale
                // (a sticky bit keeps rounding honest).
                if d != 0 {
                    mant |= 1;
                }
                if !seen_dot {
                    exp += 4;
                }
            }
        } else {
            break;
        }
        i += 1;
    }
    if !any {
        return None;
    }
    if i < s.len() && (s[i] == b'p' || s[i] == b'P') {
        i += 1;
        let (eneg, erest) = split_sign(&s[i..]);
        if erest.is_empty() {
            return None;
        }
        let mut e: i64 = 0;
        for &b in erest {
            if !b.is_ascii_digit() {
                return None;
            }
            e = (e * 10 + (b - b'0') as i64).min(1 << 20);
        }
        exp += if eneg { -e } else { e };
        i = s.len();
    }
    if i != s.len() {
        return None;
    }
    Some(ldexp(mant as f64, exp))
}

/// `x * 2^e` without intermediate overflow or underflow.
pub fn ldexp(mut x: f64, mut e: i64) -> f64 {
    while e > 1000 {
        x *= 2f64.powi(1000);
        e -= 1000;
        if x.is_infinite() {
            return x;
        }
    }
    while e < -1000 {
        x *= 2f64.powi(-1000);
        e += 1000;
        if x == 0.0 {
            return x;
        }
    }
    x * 2f64.powi(e as i32)
}

/// `tonumber(s, base)`: an integer written in `base` (2..=36), with optional
/// surrounding whitespace and a leading `-`; wraps around on overflow.
pub fn str_to_int_base(s: &[u8], base: u32) -> Option<i64> {
    // As `lbaselib.c`'s `b_str2int`: spaces, an optional sign, digits.
    let t = trim_lua_space(s);
    let (neg, body) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if body.is_empty() {
        return None;
    }
    let mut acc: i64 = 0;
    for &b in body {
        let d = (b as char).to_digit(36)?;
        if d >= base {
            return None;
        }
        acc = acc.wrapping_mul(base as i64).wrapping_add(d as i64);
    }
    Some(if neg { acc.wrapping_neg() } else { acc })
}

/// Formats `x` like C's `printf("%a")` (glibc style): `0x1.8p+1`, with
/// `precision` hex digits after the point when given (rounded to nearest
/// even), trailing zeros dropped otherwise. `upper` gives `%A`.
/// Infinities and NaN are left to the caller.
pub fn fmt_hex_float(x: f64, precision: Option<usize>, alt: bool, upper: bool) -> String {
    let bits = x.to_bits();
    let neg = bits >> 63 != 0;
    let exp_bits = ((bits >> 52) & 0x7ff) as i64;
    let frac = bits & ((1u64 << 52) - 1);
    let (mut lead, exp) = if exp_bits == 0 {
        if frac == 0 {
            (0u64, 0i64)
        } else {
            (0u64, -1022)
        }
    } else {
        (1u64, exp_bits - 1023)
    };
    let mut frac = frac;
    let mut ndigits = 13usize;
    if let Some(p) = precision {
        if p < 13 {
            let drop = (13 - p) * 4;
            let rem = frac & ((1u64 << drop) - 1);
            let half = 1u64 << (drop - 1);
            frac >>= drop;
            let odd = if p == 0 { lead & 1 == 1 } else { frac & 1 == 1 };
            if rem > half || (rem == half && odd) {
                frac += 1;
                if frac >> (p * 4) != 0 {
                    frac &= (1u64 << (p * 4)) - 1;
                    lead += 1;
                }
            }
            ndigits = p;
        }
    }
    let mut digits = if ndigits == 0 {
        String::new()
    } else {
        format!("{:0width$x}", frac, width = ndigits)
    };
    match precision {
        Some(p) => {
            while digits.len() < p {
                digits.push('0');
            }
        }
        None => {
            while digits.ends_with('0') {
                digits.pop();
            }
        }
    }
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    s.push_str("0x");
    s.push_str(&lead.to_string());
    if !digits.is_empty() || alt {
        s.push('.');
    }
    s.push_str(&digits);
    s.push_str(&format!(
        "p{}{}",
        if exp < 0 { '-' } else { '+' },
        exp.unsigned_abs()
    ));
    if upper {
        s = s.to_ascii_uppercase();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_lua() {
        assert_eq!(float_to_string(3.0), "3.0");
        assert_eq!(float_to_string(-0.0), "-0.0");
        assert_eq!(float_to_string(1024.0), "1024.0");
        assert_eq!(float_to_string(0.1), "0.1");
        assert_eq!(float_to_string(1.0 / 3.0), "0.33333333333333");
        assert_eq!(float_to_string(1e100), "1e+100");
        assert_eq!(float_to_string(1e15), "1e+15");
        assert_eq!(float_to_string(123456789012345.0), "1.2345678901234e+14");
        assert_eq!(float_to_string(2.5e-5), "2.5e-05");
        assert_eq!(float_to_string(f64::INFINITY), "inf");
        assert_eq!(float_to_string(f64::NEG_INFINITY), "-inf");
        assert_eq!(float_to_string(2f64.powi(63)), "9.2233720368548e+18");
    }

    #[test]
    fn fmt_g_matches_printf() {
        assert_eq!(fmt_g(100000.0, 6), "100000");
        assert_eq!(fmt_g(1000000.0, 6), "1e+06");
        assert_eq!(fmt_g(0.0001, 6), "0.0001");
        assert_eq!(fmt_g(0.00001, 6), "1e-05");
        assert_eq!(fmt_g(9.9999999, 3), "10");
        assert_eq!(fmt_g(2.5001, 1), "3");
    }

    #[test]
    fn str_to_number_like_lua() {
        assert_eq!(str_to_number(b" 10 "), Some(Num::Int(10)));
        assert_eq!(str_to_number(b"0x10"), Some(Num::Int(16)));
        assert_eq!(str_to_number(b"0xffffffffffffffff"), Some(Num::Int(-1)));
        assert_eq!(
            str_to_number(b"-9223372036854775808"),
            Some(Num::Int(i64::MIN))
        );
        assert_eq!(
            str_to_number(b"9223372036854775808"),
            Some(Num::Float(2f64.powi(63)))
        );
        assert_eq!(str_to_number(b"1e2"), Some(Num::Float(100.0)));
        assert_eq!(str_to_number(b".5"), Some(Num::Float(0.5)));
        assert_eq!(str_to_number(b"5."), Some(Num::Float(5.0)));
        assert_eq!(str_to_number(b"0x1p4"), Some(Num::Float(16.0)));
        assert_eq!(str_to_number(b"0x.8"), Some(Num::Float(0.5)));
        assert_eq!(str_to_number(b"inf"), None);
        assert_eq!(str_to_number(b"1e"), None);
        assert_eq!(str_to_number(b""), None);
        assert_eq!(str_to_number(b"0x"), None);
        assert_eq!(str_to_number(b"1 2"), None);
        assert_eq!(str_to_number(b"1\0"), None);
    }

    #[test]
    fn hex_floats_like_glibc() {
        assert_eq!(fmt_hex_float(1.0, None, false, false), "0x1p+0");
        assert_eq!(
            fmt_hex_float(0.1, None, false, false),
            "0x1.999999999999ap-4"
        );
        assert_eq!(fmt_hex_float(0.0, None, false, false), "0x0p+0");
        assert_eq!(fmt_hex_float(-3.0, None, false, true), "-0X1.8P+1");
        assert_eq!(fmt_hex_float(1.5, Some(0), false, false), "0x2p+0");
        assert_eq!(fmt_hex_float(1.0, Some(3), false, false), "0x1.000p+0");
        assert_eq!(
            fmt_hex_float(5e-324, None, false, false),
            "0x0.0000000000001p-1022"
        );
    }

    #[test]
    fn integers_and_floats() {
        assert_eq!(str_to_number(b"  10  "), Some(Num::Int(10)));
        assert_eq!(str_to_number(b"-0x10"), Some(Num::Int(-16)));
        assert_eq!(str_to_number(b"0xffffffffffffffff"), Some(Num::Int(-1)));
        assert_eq!(
            str_to_number(b"9223372036854775807"),
            Some(Num::Int(i64::MAX))
        );
        assert_eq!(
            str_to_number(b"-9223372036854775808"),
            Some(Num::Int(i64::MIN))
        );
        assert_eq!(
            str_to_number(b"9223372036854775808"),
            Some(Num::Float(9223372036854775808.0))
        );
        assert_eq!(str_to_number(b"1e1"), Some(Num::Float(10.0)));
        assert_eq!(str_to_number(b".5"), Some(Num::Float(0.5)));
        assert_eq!(str_to_number(b"5."), Some(Num::Float(5.0)));
        assert_eq!(str_to_number(b"0x.8"), Some(Num::Float(0.5)));
        assert_eq!(str_to_number(b"0x1p4"), Some(Num::Float(16.0)));
        assert_eq!(str_to_number(b"0xA.8P-1"), Some(Num::Float(5.25)));
        assert_eq!(str_to_number(b"1E+2"), Some(Num::Float(100.0)));
        for bad in [
            &b""[..],
            b"0x",
            b"1e",
            b"inf",
            b"nan",
            b"1 2",
            b"- 1",
            b".",
            b"0x.p1",
            b"1e+",
            b"infinity",
        ] {
            assert_eq!(
                str_to_number(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn bases() {
        assert_eq!(str_to_int_base(b"ff", 16), Some(255));
        assert_eq!(str_to_int_base(b" -z ", 36), Some(-35));
        assert_eq!(str_to_int_base(b"7fffffffffffffff", 16), Some(i64::MAX));
        assert_eq!(str_to_int_base(b"ffffffffffffffffff", 16), Some(-1));
        assert_eq!(str_to_int_base(b"0x10", 10), None);
        assert_eq!(str_to_int_base(b"2", 2), None);
        assert_eq!(str_to_int_base(b"", 10), None);
        assert_eq!(str_to_int_base(b"  +1Z  ", 36), Some(71));
        assert_eq!(str_to_int_base(b"+", 36), None);
    }

    #[test]
    fn float_int_conversion() {
        assert_eq!(float_to_i64(3.0), Some(3));
        assert_eq!(float_to_i64(3.5), None);
        assert_eq!(float_to_i64(9223372036854775808.0), None);
        assert_eq!(float_to_i64(-9223372036854775808.0), Some(i64::MIN));
        assert_eq!(float_to_i64(f64::NAN), None);
    }
}
