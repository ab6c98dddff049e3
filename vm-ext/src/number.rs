//! Number formatting exactly as Lua 5.4 prints numbers (`LUAI_NUMFFORMAT` is
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
}
