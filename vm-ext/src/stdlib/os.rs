//! The `os` library. Dates are computed in pure Rust (proleptic Gregorian
//! calendar). Local time is the host's ([`Host::time_zone`]: the browser's
//! and Node's, from JS's `Date`); a host without one has UTC for local time
//! (there is no portable time-zone database without a dependency), so there
//! `os.date("%c")` and `os.date("!%c")` agree except for `%Z`. The clock,
//! environment, exit and files come from the [`Host`]; without them
//! `os.getenv` gives nil and `os.exit`, `os.remove`, `os.rename` and
//! `os.tmpname` report that the host does not provide them.

use std::cell::RefCell;

use gc_arena::{Collect, Rootable};
use piccolo::{Callback, CallbackReturn, Context, Error, Fuel, Stack, Table, Value};

use super::{
    base::os_error_text,
    check::{arg_error, check_integer, check_string, opt_string, to_int},
    lua_error,
};
use crate::{interp::native, Host, TimeZone};

/// A broken-down UTC time (`struct tm` with a full year and 1-based month).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub min: i64,
    pub sec: i64,
    /// Day of the week, 0 = Sunday.
    pub wday: i64,
    /// Day of the year, 1-based.
    pub yday: i64,
}

/// Days since 1970-01-01 of a (normalised) civil date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The civil date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Breaks `t` (seconds since the epoch) into a UTC date.
pub fn to_datetime(t: i64) -> DateTime {
    let days = t.div_euclid(86400);
    let secs = t.rem_euclid(86400);
    let (year, month, day) = civil_from_days(days);
    DateTime {
        year,
        month,
        day,
        hour: secs / 3600,
        min: secs % 3600 / 60,
        sec: secs % 60,
        wday: (days + 4).rem_euclid(7),
        yday: days - days_from_civil(year, 1, 1) + 1,
    }
}

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn weeks_in_year(y: i64) -> i64 {
    let p = |y: i64| (y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400)).rem_euclid(7);
    if p(y) == 4 || p(y - 1) == 3 {
        53
    } else {
        52
    }
}

/// ISO 8601 week-based year and week number.
fn iso_week(dt: &DateTime) -> (i64, i64) {
    let wday_iso = (dt.wday + 6) % 7 + 1;
    let week = (dt.yday - wday_iso + 10) / 7;
    if week < 1 {
        (dt.year - 1, weeks_in_year(dt.year - 1))
    } else if week > weeks_in_year(dt.year) {
        (dt.year + 1, 1)
    } else {
        (dt.year, week)
    }
}

/// The zone of a broken-down time: its offset east of UTC in seconds, and
/// its name (asked for only by `%Z`).
pub struct Zone<'a> {
    pub offset: i64,
    pub name: &'a dyn Fn() -> String,
}

/// Formats `dt`, a time in `zone`, like C's `strftime` in the "C" locale.
/// `Err` names an invalid conversion (`%Ez`).
pub fn strftime(fmt: &[u8], dt: &DateTime, zone: &Zone<'_>) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        i += 1;
        if c != b'%' {
            out.push(c);
            continue;
        }
        let Some(&conv) = fmt.get(i) else {
            return Err("%".into());
        };
        i += 1;
        let conv = match conv {
            b'E' => match fmt.get(i) {
                Some(&c2) if b"cCxXyY".contains(&c2) => {
                    i += 1;
                    c2
                }
                other => {
                    let mut s = "%E".to_string();
                    if let Some(&o) = other {
                        s.push(o as char);
                    }
                    return Err(s);
                }
            },
            b'O' => match fmt.get(i) {
                Some(&c2) if b"deHImMSuUVwWy".contains(&c2) => {
                    i += 1;
                    c2
                }
                other => {
                    let mut s = "%O".to_string();
                    if let Some(&o) = other {
                        s.push(o as char);
                    }
                    return Err(s);
                }
            },
            c => c,
        };
        let text = match conv {
            b'a' => DAYS[dt.wday as usize][..3].to_string(),
            b'A' => DAYS[dt.wday as usize].to_string(),
            b'b' | b'h' => MONTHS[(dt.month - 1) as usize][..3].to_string(),
            b'B' => MONTHS[(dt.month - 1) as usize].to_string(),
            b'c' => {
                let s = strftime(b"%a %b %e %H:%M:%S %Y", dt, zone)?;
                String::from_utf8_lossy(&s).into_owned()
            }
            b'C' => format!("{:02}", dt.year.div_euclid(100)),
            b'd' => format!("{:02}", dt.day),
            b'D' | b'x' => format!(
                "{:02}/{:02}/{:02}",
                dt.month,
                dt.day,
                dt.year.rem_euclid(100)
            ),
            b'e' => format!("{:2}", dt.day),
            b'F' => format!("{}-{:02}-{:02}", dt.year, dt.month, dt.day),
            b'g' => format!("{:02}", iso_week(dt).0.rem_euclid(100)),
            b'G' => iso_week(dt).0.to_string(),
            b'H' => format!("{:02}", dt.hour),
            b'I' => format!("{:02}", (dt.hour + 11) % 12 + 1),
            b'j' => format!("{:03}", dt.yday),
            b'm' => format!("{:02}", dt.month),
            b'M' => format!("{:02}", dt.min),
            b'n' => "\n".into(),
            b'p' => if dt.hour < 12 { "AM" } else { "PM" }.into(),
            b'r' => format!(
                "{:02}:{:02}:{:02} {}",
                (dt.hour + 11) % 12 + 1,
                dt.min,
                dt.sec,
                if dt.hour < 12 { "AM" } else { "PM" }
            ),
            b'R' => format!("{:02}:{:02}", dt.hour, dt.min),
            b'S' => format!("{:02}", dt.sec),
            b't' => "\t".into(),
            b'T' | b'X' => format!("{:02}:{:02}:{:02}", dt.hour, dt.min, dt.sec),
            b'u' => ((dt.wday + 6) % 7 + 1).to_string(),
            b'U' => format!("{:02}", (dt.yday - 1 + 7 - dt.wday) / 7),
            b'V' => format!("{:02}", iso_week(dt).1),
            b'w' => dt.wday.to_string(),
            b'W' => format!("{:02}", (dt.yday - 1 + 7 - (dt.wday + 6) % 7) / 7),
            b'y' => format!("{:02}", dt.year.rem_euclid(100)),
            b'Y' => dt.year.to_string(),
            b'z' => {
                let m = zone.offset.abs() / 60;
                let sign = if zone.offset < 0 { '-' } else { '+' };
                format!("{sign}{:02}{:02}", m / 60, m % 60)
            }
            b'Z' => (zone.name)(),
            b'%' => "%".into(),
            other => return Err(format!("%{}", other as char)),
        };
        out.extend_from_slice(text.as_bytes());
    }
    Ok(out)
}

type Clock = std::rc::Rc<dyn Fn() -> f64>;

/// The host's clocks, kept with the Lua state so that `os.time` and
/// `os.clock` are functions the interpreter calls in place (see
/// [`crate::interp::native`]; through the executor a call of either took
/// ~2,000 instructions).
#[derive(Collect, Default)]
#[collect(require_static)]
struct Clocks {
    wall: RefCell<Option<Clock>>,
    cpu: RefCell<Option<Clock>>,
    zone: RefCell<Option<std::rc::Rc<dyn TimeZone>>>,
}

/// The local offset east of UTC at `t` (seconds since the epoch): the
/// host's zone's, else 0 (UTC).
fn local_offset(ctx: Context<'_>, t: i64) -> i64 {
    clocks(ctx)
        .zone
        .borrow()
        .as_ref()
        .map_or(0, |z| z.offset(t))
}

/// The local zone's name at `t`: the host's, else "UTC".
fn zone_name(ctx: Context<'_>, t: i64) -> String {
    match &*clocks(ctx).zone.borrow() {
        Some(z) => z.name(t),
        None => "UTC".into(),
    }
}

/// Whether daylight saving time is on at a time of `year` whose local
/// offset is `offset`: the offset is above the lower of those at the
/// year's first of January and first of July (standard time is the lower
/// one, north and south of the equator).
fn is_dst(ctx: Context<'_>, year: i64, offset: i64) -> bool {
    if clocks(ctx).zone.borrow().is_none() {
        return false;
    }
    let at = |month| days_from_civil(year, month, 1).saturating_mul(86400);
    offset > local_offset(ctx, at(1)).min(local_offset(ctx, at(7)))
}

fn clocks<'gc>(ctx: Context<'gc>) -> &'gc Clocks {
    ctx.singleton::<Rootable![Clocks]>()
}

/// The wall clock in whole seconds since the epoch (`os.time()`, and
/// `os.date`'s default time).
fn now(ctx: Context<'_>) -> Result<i64, Error<'_>> {
    let secs = if let Some(clock) = &*clocks(ctx).wall.borrow() {
        Ok(clock())
    } else if cfg!(target_arch = "wasm32") {
        Err("no clock in this host".to_string())
    } else {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .map_err(|e| e.to_string())
    };
    secs.map(|s| s.floor() as i64)
        .map_err(|e| lua_error(ctx, e))
}

fn cpu_clock(ctx: Context<'_>) -> f64 {
    if let Some(clock) = &*clocks(ctx).cpu.borrow() {
        return clock();
    }
    if cfg!(target_arch = "wasm32") {
        return 0.0;
    }
    use std::sync::OnceLock;
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
}

fn os_time<'gc>(
    ctx: Context<'gc>,
    _: &mut Fuel,
    mut stack: Stack<'gc, '_>,
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    let t = match stack.get(0) {
        Value::Nil => now(ctx)?,
        Value::Table(t) => time_from_table(ctx, t)?,
        _ => return Err(super::check::type_error(ctx, &stack, 1, "time", "table")),
    };
    stack.replace(ctx, t);
    Ok(CallbackReturn::Return)
}

fn os_clock<'gc>(
    ctx: Context<'gc>,
    _: &mut Fuel,
    mut stack: Stack<'gc, '_>,
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    stack.replace(ctx, cpu_clock(ctx));
    Ok(CallbackReturn::Return)
}

fn get_field<'gc>(
    ctx: Context<'gc>,
    t: Table<'gc>,
    key: &'static str,
    default: Option<i64>,
    delta: i64,
) -> Result<i64, Error<'gc>> {
    let v = t.get(ctx, key);
    let res = match to_int(v) {
        Some(i) => i,
        None => {
            if !v.is_nil() {
                return Err(lua_error(ctx, format!("field '{key}' is not an integer")));
            }
            match default {
                Some(d) => return Ok(d),
                None => {
                    return Err(lua_error(
                        ctx,
                        format!("field '{key}' missing in date table"),
                    ))
                }
            }
        }
    };
    let ok = if res >= 0 {
        res - delta <= i32::MAX as i64
    } else {
        i32::MIN as i64 + delta <= res
    };
    if !ok {
        return Err(lua_error(ctx, format!("field '{key}' is out-of-bound")));
    }
    Ok(res)
}

fn set_all_fields<'gc>(
    ctx: Context<'gc>,
    t: Table<'gc>,
    dt: &DateTime,
    dst: bool,
) -> Result<(), Error<'gc>> {
    t.set(ctx, "year", dt.year)?;
    t.set(ctx, "month", dt.month)?;
    t.set(ctx, "day", dt.day)?;
    t.set(ctx, "hour", dt.hour)?;
    t.set(ctx, "min", dt.min)?;
    t.set(ctx, "sec", dt.sec)?;
    t.set(ctx, "yday", dt.yday)?;
    t.set(ctx, "wday", dt.wday + 1)?;
    t.set(ctx, "isdst", dst)?;
    Ok(())
}

fn time_from_table<'gc>(ctx: Context<'gc>, t: Table<'gc>) -> Result<i64, Error<'gc>> {
    let year = get_field(ctx, t, "year", None, 1900)?;
    let month = get_field(ctx, t, "month", None, 1)?;
    let day = get_field(ctx, t, "day", None, 0)?;
    let hour = get_field(ctx, t, "hour", Some(12), 0)?;
    let min = get_field(ctx, t, "min", Some(0), 0)?;
    let sec = get_field(ctx, t, "sec", Some(0), 0)?;
    let y = year + (month - 1).div_euclid(12);
    let m = (month - 1).rem_euclid(12) + 1;
    let days = days_from_civil(y, m, 1) + day - 1;
    let unrepresentable = || {
        lua_error(
            ctx,
            "time result cannot be represented in this installation",
        )
    };
    // The fields are a local time (C's `mktime`, `isdst` as -1: the
    // zone's own rule decides): its seconds as if it were UTC, less the
    // offset in force then (asked again at the instant found, so that a
    // time on the far side of a change of offset gets its own).
    let local = days
        .checked_mul(86400)
        .and_then(|s| s.checked_add(hour * 3600 + min * 60 + sec))
        .ok_or_else(unrepresentable)?;
    let first = local.saturating_sub(local_offset(ctx, local));
    let secs = local.saturating_sub(local_offset(ctx, first));
    let offset = local_offset(ctx, secs);
    let dt = to_datetime(secs.saturating_add(offset));
    if dt.year - 1900 > i32::MAX as i64 || dt.year - 1900 < i32::MIN as i64 {
        return Err(unrepresentable());
    }
    set_all_fields(ctx, t, &dt, is_dst(ctx, dt.year, offset))?;
    Ok(secs)
}

fn file_result<'gc>(
    ctx: Context<'gc>,
    stack: &mut Stack<'gc, '_>,
    r: std::io::Result<()>,
    name: Option<&str>,
) {
    match r {
        Ok(()) => stack.replace(ctx, true),
        Err(e) => {
            let msg = match name {
                Some(n) => format!("{n}: {}", os_error_text(&e)),
                None => os_error_text(&e),
            };
            let errno = match e.kind() {
                std::io::ErrorKind::NotFound => 2,
                std::io::ErrorKind::PermissionDenied => 13,
                _ => e.raw_os_error().unwrap_or(0) as i64,
            };
            stack.replace(ctx, (Value::Nil, ctx.intern(msg.as_bytes()), errno));
        }
    }
}

/// Installs the `os` library.
pub fn load_os<'gc>(ctx: Context<'gc>, host: &Host) {
    let os = Table::new(&ctx);

    let c = clocks(ctx);
    *c.wall.borrow_mut() = host.clock.clone();
    *c.cpu.borrow_mut() = host.cpu_clock.clone();
    *c.zone.borrow_mut() = host.time_zone.clone();
    os.set(ctx, "time", native::callback(ctx, os_time)).unwrap();
    os.set(ctx, "clock", native::callback(ctx, os_clock))
        .unwrap();

    os.set(
        ctx,
        "date",
        Callback::from_fn(&ctx, |ctx, _, mut stack| {
            let fmt = opt_string(ctx, &stack, 1, "date")?
                .map_or(b"%c".to_vec(), |s| s.as_bytes().to_vec());
            let t = if stack.get(1).is_nil() {
                now(ctx)?
            } else {
                check_integer(ctx, &stack, 2, "date")?
            };
            let (utc, fmt) = match fmt.strip_prefix(b"!") {
                Some(rest) => (true, rest),
                None => (false, &fmt[..]),
            };
            let offset = if utc { 0 } else { local_offset(ctx, t) };
            let dt = to_datetime(t.saturating_add(offset));
            if dt.year - 1900 > i32::MAX as i64 || dt.year - 1900 < i32::MIN as i64 {
                return Err(lua_error(
                    ctx,
                    "date result cannot be represented in this installation",
                ));
            }
            if fmt.starts_with(b"*t") {
                let table = Table::new(&ctx);
                let dst = !utc && is_dst(ctx, dt.year, offset);
                set_all_fields(ctx, table, &dt, dst)?;
                stack.replace(ctx, table);
            } else {
                let name = || if utc { "GMT".into() } else { zone_name(ctx, t) };
                let zone = Zone {
                    offset,
                    name: &name,
                };
                let s = strftime(fmt, &dt, &zone).map_err(|spec| {
                    arg_error(
                        ctx,
                        1,
                        "date",
                        &format!("invalid conversion specifier '{spec}'"),
                    )
                })?;
                stack.replace(ctx, ctx.intern(&s));
            }
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    os.set(
        ctx,
        "difftime",
        Callback::from_fn(&ctx, |ctx, _, mut stack| {
            let t1 = check_integer(ctx, &stack, 1, "difftime")?;
            let t2 = check_integer(ctx, &stack, 2, "difftime")?;
            stack.replace(ctx, t1 as f64 - t2 as f64);
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    let h = host.clone();
    os.set(
        ctx,
        "getenv",
        Callback::from_fn(&ctx, move |ctx, _, mut stack| {
            let name = check_string(ctx, &stack, 1, "getenv")?;
            let v = h
                .env
                .as_ref()
                .and_then(|env| env(&name.to_str_lossy()))
                .map_or(Value::Nil, |v| Value::String(ctx.intern(v.as_bytes())));
            stack.replace(ctx, v);
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    let h = host.clone();
    os.set(
        ctx,
        "exit",
        Callback::from_fn(&ctx, move |ctx, _, stack| {
            let code = match stack.get(0) {
                Value::Nil | Value::Boolean(true) => 0,
                Value::Boolean(false) => 1,
                _ => check_integer(ctx, &stack, 1, "exit")? as i32,
            };
            let Some(exit) = &h.exit else {
                return Err(lua_error(ctx, "os.exit is not available in this host"));
            };
            // C's exit writes what open files buffered.
            super::io::flush_open_files();
            exit(code);
            Err(lua_error(ctx, format!("os.exit({code})")))
        }),
    )
    .unwrap();

    let h = host.clone();
    os.set(
        ctx,
        "remove",
        Callback::from_fn(&ctx, move |ctx, _, mut stack| {
            let name = check_string(ctx, &stack, 1, "remove")?
                .to_str_lossy()
                .into_owned();
            let r = match &h.fs {
                Some(fs) => fs.remove(&name),
                None => Err(no_fs()),
            };
            file_result(ctx, &mut stack, r, Some(&name));
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    let h = host.clone();
    os.set(
        ctx,
        "rename",
        Callback::from_fn(&ctx, move |ctx, _, mut stack| {
            let from = check_string(ctx, &stack, 1, "rename")?
                .to_str_lossy()
                .into_owned();
            let to = check_string(ctx, &stack, 2, "rename")?
                .to_str_lossy()
                .into_owned();
            let r = match &h.fs {
                Some(fs) => fs.rename(&from, &to),
                None => Err(no_fs()),
            };
            file_result(ctx, &mut stack, r, None);
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    let h = host.clone();
    os.set(
        ctx,
        "tmpname",
        Callback::from_fn(&ctx, move |ctx, _, mut stack| {
            let name =
                h.fs.as_ref()
                    .ok_or_else(no_fs)
                    .and_then(|fs| fs.tmpname())
                    .map_err(|_| lua_error(ctx, "unable to generate a unique filename"))?;
            stack.replace(ctx, ctx.intern(name.as_bytes()));
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    os.set(
        ctx,
        "setlocale",
        Callback::from_fn(&ctx, |ctx, _, mut stack| {
            let l = opt_string(ctx, &stack, 1, "setlocale")?;
            let v = match l.map(|s| s.as_bytes()) {
                None | Some(b"") | Some(b"C") | Some(b"POSIX") => {
                    Value::String(ctx.intern_static(b"C"))
                }
                _ => Value::Nil,
            };
            stack.replace(ctx, v);
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    super::check::position_all(ctx, os);
    ctx.set_global("os", os).unwrap();
}

/// The error for file operations in a host without a file system.
pub fn no_fs() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "no file system in this host",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-800_000i64, -1, 0, 1, 59, 365, 10_957, 19_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 1, 1), 10_957);
    }

    #[test]
    fn strftime_c_locale() {
        let (gmt, utc, ist, nst) = (
            || "GMT".to_string(),
            || "UTC".to_string(),
            || "IST".to_string(),
            || "NST".to_string(),
        );
        fn zone(offset: i64, name: &dyn Fn() -> String) -> Zone<'_> {
            Zone { offset, name }
        }
        let (gmt, utc) = (zone(0, &gmt), zone(0, &utc));
        let dt = to_datetime(0);
        assert_eq!(
            strftime(b"%c", &dt, &gmt).unwrap(),
            b"Thu Jan  1 00:00:00 1970"
        );
        assert_eq!(
            strftime(b"%x %X %p %Z %z %j %U %W %V %G %u %w", &dt, &gmt).unwrap(),
            b"01/01/70 00:00:00 AM GMT +0000 001 00 00 01 1970 4 4"
        );
        // 2021-01-03 is a Sunday in ISO week 53 of 2020.
        let dt = to_datetime(days_from_civil(2021, 1, 3) * 86400 + 13 * 3600 + 5 * 60 + 9);
        assert_eq!(
            strftime(b"%G-W%V-%u %I:%M:%S %r %y %C %e %D %F %T", &dt, &utc).unwrap(),
            b"2020-W53-7 01:05:09 01:05:09 PM 21 20  3 01/03/21 2021-01-03 13:05:09"
        );
        assert_eq!(strftime(b"%Ez", &dt, &utc), Err("%Ez".to_string()));
        assert_eq!(strftime(b"%Q", &dt, &utc), Err("%Q".to_string()));
        assert_eq!(strftime(b"%Ey%Od%%", &dt, &utc).unwrap(), b"2103%");
        // %z of offsets east and west, with minutes.
        assert_eq!(
            strftime(b"%z %Z", &dt, &zone(19800, &ist)).unwrap(),
            b"+0530 IST"
        );
        assert_eq!(strftime(b"%z", &dt, &zone(-12600, &nst)).unwrap(), b"-0330");
    }
}
