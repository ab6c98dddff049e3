//! Lua-exact string -> number conversion (`tonumber`, numeric arguments of
//! the libraries): decimal and hexadecimal integers and floats, hex floats
//! with `p` exponents, surrounding whitespace, decimal integers that overflow
//! becoming floats, hexadecimal integers wrapping around.

/// A Lua number: integer or float subtype.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    Int(i64),
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

    /// The value as an integer if it has an exact integer representation.
    pub fn to_i64(self) -> Option<i64> {
        match self {
            Num::Int(i) => Some(i),
            Num::Float(f) => float_to_int(f),
        }
    }
}

/// `f` as an integer when it is integral and in range.
pub fn float_to_int(f: f64) -> Option<i64> {
    // 2^63 is exactly representable; the valid range is [-2^63, 2^63).
    if f.floor() == f && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
        Some(f as i64)
    } else {
        None
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_space(b)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&b| !is_space(b))
        .map_or(start, |e| e + 1);
    &s[start..end.max(start)]
}

/// Converts a string the way Lua's `lua_stringtonumber` does.
pub fn str_to_number(s: &[u8]) -> Option<Num> {
    let t = trim(s);
    if let Some(i) = str_to_int(t) {
        return Some(Num::Int(i));
    }
    str_to_float(t).map(Num::Float)
}

fn split_sign(s: &[u8]) -> (bool, &[u8]) {
    match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

fn hex_prefix(s: &[u8]) -> Option<&[u8]> {
    if s.len() >= 2 && s[0] == b'0' && (s[1] == b'x' || s[1] == b'X') {
        Some(&s[2..])
    } else {
        None
    }
}

fn str_to_int(s: &[u8]) -> Option<i64> {
    let (neg, body) = split_sign(s);
    let mut acc: u64 = 0;
    if let Some(hex) = hex_prefix(body) {
        if hex.is_empty() {
            return None;
        }
        for &b in hex {
            let d = (b as char).to_digit(16)?;
            acc = acc.wrapping_mul(16).wrapping_add(d as u64);
        }
    } else {
        if body.is_empty() {
            return None;
        }
        for &b in body {
            if !b.is_ascii_digit() {
                return None;
            }
            let d = (b - b'0') as u64;
            // Overflow: the numeral becomes a float instead.
            if acc > (i64::MAX as u64) / 10
                || (acc == (i64::MAX as u64) / 10 && d > (i64::MAX as u64) % 10 + neg as u64)
            {
                return None;
            }
            acc = acc * 10 + d;
        }
    }
    let v = acc as i64;
    Some(if neg { v.wrapping_neg() } else { v })
}

fn str_to_float(s: &[u8]) -> Option<f64> {
    let (neg, body) = split_sign(s);
    let v = if let Some(hex) = hex_prefix(body) {
        hex_float(hex)?
    } else {
        dec_float(body)?
    };
    Some(if neg { -v } else { v })
}

fn dec_float(s: &[u8]) -> Option<f64> {
    // digits [. digits] [(e|E) [sign] digits], at least one mantissa digit.
    let mut i = 0;
    let mut digits = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        i += 1;
        if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    if i != s.len() {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse::<f64>().ok()
}

fn hex_float(s: &[u8]) -> Option<f64> {
    let mut mantissa: u64 = 0;
    let mut exp: i64 = 0;
    let mut any = false;
    let mut sticky = false;
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
            if mantissa >> 56 == 0 {
                mantissa = mantissa * 16 + d as u64;
                if seen_dot {
                    exp -= 4;
                }
            } else {
                sticky |= d != 0;
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
        let (eneg, rest) = split_sign(&s[i..]);
        if rest.is_empty() {
            return None;
        }
        let mut e: i64 = 0;
        for &b in rest {
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
    if sticky {
        mantissa |= 1;
    }
    Some(ldexp(mantissa as f64, exp))
}

fn ldexp(mut x: f64, mut e: i64) -> f64 {
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
    let t = trim(s);
    let (neg, body) = match t.first() {
        Some(b'-') => (true, &t[1..]),
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

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn float_int_conversion() {
        assert_eq!(float_to_int(3.0), Some(3));
        assert_eq!(float_to_int(3.5), None);
        assert_eq!(float_to_int(9223372036854775808.0), None);
        assert_eq!(float_to_int(-9223372036854775808.0), Some(i64::MIN));
        assert_eq!(float_to_int(f64::NAN), None);
    }
}
