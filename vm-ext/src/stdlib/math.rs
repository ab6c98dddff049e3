//! The `math` library with Lua 5.4's integer/float rules and messages;
//! `random` is xoshiro256** with 5.4's range projection and seeding.

use std::cell::RefCell;

use gc_arena::{Collect, Gc, Rootable};

use piccolo::{Callback, CallbackReturn, Context, Error, Fuel, Singleton, Stack, Table, Value};

use crate::interp::native;

use super::check::{
    arg_error, check_any, check_integer, check_number, float_lt_int, int_lt_float, less_than,
    to_num,
};
use crate::number::{float_to_i64, Num};

/// A float result as an integer when it fits (`math.floor` and friends).
fn float_to_value<'gc>(f: f64) -> Value<'gc> {
    match float_to_i64(f) {
        Some(i) => Value::Integer(i),
        None => Value::Number(f),
    }
}

/// `math.<name>` as a one-result library function the interpreter calls
/// directly (`f` is a closure without captures); `$make` turns the native
/// into the callback (`native::callback` unless given).
macro_rules! math_fn {
    ($ctx:ident, $math:ident, $name:literal, $f:expr) => {
        math_fn!($ctx, $math, $name, $f, native::callback)
    };
    ($ctx:ident, $math:ident, $name:literal, $f:expr, $make:expr) => {{
        fn native<'gc>(
            ctx: Context<'gc>,
            _: &mut Fuel,
            mut stack: Stack<'gc, '_>,
        ) -> Result<CallbackReturn<'gc>, Error<'gc>> {
            let f: fn(Context<'gc>, &Stack<'gc, '_>) -> Result<Value<'gc>, Error<'gc>> = $f;
            let v = f(ctx, &stack)?;
            stack.replace(ctx, v);
            Ok(CallbackReturn::Return)
        }
        $math.set($ctx, $name, $make($ctx, native)).unwrap();
    }};
}

/// `math.<name>` for a function `$u` of one number: the native applies it
/// to its checked argument, and the interpreter also takes its result for
/// a number argument (an [`native::ArgsFn`] made of it).
macro_rules! unary_fn {
    ($ctx:ident, $math:ident, $name:literal, $u:expr) => {{
        fn args<'gc>(_: Context<'gc>, args: &[Value<'gc>]) -> Option<Value<'gc>> {
            let u: fn(Num) -> Value<'gc> = $u;
            match args.first()? {
                Value::Integer(i) => Some(u(Num::Int(*i))),
                Value::Number(f) => Some(u(Num::Float(*f))),
                _ => None,
            }
        }
        math_fn!(
            $ctx,
            $math,
            $name,
            |ctx, stack| {
                let u: fn(Num) -> Value<'gc> = $u;
                Ok(u(check_number(ctx, stack, 1, $name)?))
            },
            |ctx, f| native::with_args(ctx, f, args)
        )
    }};
}

/// `math.<name>` for a function of one float.
macro_rules! float_fn {
    ($ctx:ident, $math:ident, $name:literal, $f:path) => {
        unary_fn!($ctx, $math, $name, |n| Value::Number($f(n.to_f64())))
    };
}

/// xoshiro256** state, as Lua 5.4's `math.random` keeps it.
#[derive(Debug, Clone)]
pub struct Xoshiro([u64; 4]);

impl Xoshiro {
    /// Seeds as `math.randomseed(n1, n2)` does.
    pub fn seeded(n1: u64, n2: u64) -> Self {
        let mut x = Xoshiro([n1, 0xff, n2, 0]);
        for _ in 0..16 {
            x.next_u64();
        }
        x
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let s0 = s[0];
        let s1 = s[1];
        let s2 = s[2] ^ s0;
        let s3 = s[3] ^ s1;
        let res = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        s[0] = s0 ^ s3;
        s[1] = s1 ^ s2;
        s[2] = s2 ^ (s1 << 17);
        s[3] = s3.rotate_left(45);
        res
    }

    /// A random integer in `[0, n]` without bias (Lua's `project`).
    pub fn project(&mut self, mut ran: u64, n: u64) -> u64 {
        if n & n.wrapping_add(1) == 0 {
            return ran & n;
        }
        let mut lim = n;
        lim |= lim >> 1;
        lim |= lim >> 2;
        lim |= lim >> 4;
        lim |= lim >> 8;
        lim |= lim >> 16;
        lim |= lim >> 32;
        loop {
            ran &= lim;
            if ran <= n {
                return ran;
            }
            ran = self.next_u64();
        }
    }
}

fn seed_from_entropy() -> (u64, u64) {
    let addr = &seed_from_entropy as *const _ as usize as u64;
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    (t, addr)
}

/// The generator `math.random` and `math.randomseed` share (one per
/// runtime, seeded at its first use).
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
struct RandomState<'gc>(Gc<'gc, Generator>);

#[derive(Collect)]
#[collect(require_static)]
struct Generator(RefCell<Xoshiro>);

impl<'gc> Singleton<'gc> for RandomState<'gc> {
    fn create(ctx: Context<'gc>) -> Self {
        let (s1, s2) = entropy();
        RandomState(Gc::new(
            &ctx,
            Generator(RefCell::new(Xoshiro::seeded(s1, s2))),
        ))
    }
}

fn generator(ctx: Context<'_>) -> Gc<'_, Generator> {
    ctx.singleton::<Rootable![RandomState<'_>]>().0
}

/// `math.random([m [, n]])`.
fn random<'gc>(
    ctx: Context<'gc>,
    _: &mut Fuel,
    mut stack: Stack<'gc, '_>,
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    let g = generator(ctx);
    let mut st = g.0.borrow_mut();
    let rv = st.next_u64();
    let (low, up) = match stack.len() {
        0 => {
            stack.replace(ctx, (rv >> 11) as f64 * 2f64.powi(-53));
            return Ok(CallbackReturn::Return);
        }
        1 => {
            let up = check_integer(ctx, &stack, 1, "random")?;
            if up == 0 {
                stack.replace(ctx, rv as i64);
                return Ok(CallbackReturn::Return);
            }
            (1, up)
        }
        2 => (
            check_integer(ctx, &stack, 1, "random")?,
            check_integer(ctx, &stack, 2, "random")?,
        ),
        _ => return Err(super::lua_error(ctx, "wrong number of arguments")),
    };
    if low > up {
        return Err(arg_error(ctx, 1, "random", "interval is empty"));
    }
    let r = st.project(rv, (up as u64).wrapping_sub(low as u64));
    stack.replace(ctx, r.wrapping_add(low as u64) as i64);
    Ok(CallbackReturn::Return)
}

/// [`random`] for the interpreter ([`native::ArgsFn`]): its success path
/// for integer arguments, the generator advanced only once the call cannot
/// fail (the native advances it first, then checks).
fn random_args<'gc>(ctx: Context<'gc>, args: &[Value<'gc>]) -> Option<Value<'gc>> {
    let range = match *args {
        [] => None,
        [Value::Integer(0)] => Some((0, 0)),
        [Value::Integer(up)] => Some((1, up)),
        [Value::Integer(low), Value::Integer(up)] => Some((low, up)),
        _ => return None,
    };
    if range.is_some_and(|(low, up)| low > up) {
        return None;
    }
    let g = generator(ctx);
    let mut st = g.0.borrow_mut();
    let rv = st.next_u64();
    Some(match range {
        None => Value::Number((rv >> 11) as f64 * 2f64.powi(-53)),
        Some((0, 0)) if args.len() == 1 => Value::Integer(rv as i64),
        Some((low, up)) => {
            let r = st.project(rv, (up as u64).wrapping_sub(low as u64));
            Value::Integer(r.wrapping_add(low as u64) as i64)
        }
    })
}

/// A seed for `math.random`: the system's random source (the browser's
/// `crypto.getRandomValues` on wasm), else the time and an address as PUC
/// Lua's `luai_makeseed`, so every state (and every page load) gets its
/// own sequence.
fn entropy() -> (u64, u64) {
    let mut buf = [0u8; 16];
    if getrandom::fill(&mut buf).is_ok() {
        let (a, b) = buf.split_at(8);
        let word = |s: &[u8]| u64::from_le_bytes(s.try_into().unwrap_or([0; 8]));
        return (word(a), word(b));
    }
    if cfg!(target_arch = "wasm32") {
        // No clock without a host on wasm32-unknown-unknown.
        let local = 0u8;
        (&local as *const u8 as u64, 0x9e37_79b9_7f4a_7c15)
    } else {
        seed_from_entropy()
    }
}

/// Installs the `math` library.
pub fn load_math<'gc>(ctx: Context<'gc>) {
    let math = Table::new(&ctx);
    math.set(ctx, "pi", std::f64::consts::PI).unwrap();
    math.set(ctx, "huge", f64::INFINITY).unwrap();
    math.set(ctx, "maxinteger", i64::MAX).unwrap();
    math.set(ctx, "mininteger", i64::MIN).unwrap();

    fn abs<'gc>(n: Num) -> Value<'gc> {
        match n {
            Num::Int(i) => Value::Integer(i.wrapping_abs()),
            Num::Float(f) => Value::Number(f.abs()),
        }
    }
    fn floor<'gc>(n: Num) -> Value<'gc> {
        match n {
            Num::Int(i) => Value::Integer(i),
            Num::Float(f) => float_to_value(f.floor()),
        }
    }
    fn ceil<'gc>(n: Num) -> Value<'gc> {
        match n {
            Num::Int(i) => Value::Integer(i),
            Num::Float(f) => float_to_value(f.ceil()),
        }
    }
    unary_fn!(ctx, math, "abs", abs);
    unary_fn!(ctx, math, "floor", floor);
    unary_fn!(ctx, math, "ceil", ceil);
    float_fn!(ctx, math, "sqrt", f64::sqrt);
    float_fn!(ctx, math, "sin", f64::sin);
    float_fn!(ctx, math, "cos", f64::cos);
    float_fn!(ctx, math, "tan", f64::tan);
    float_fn!(ctx, math, "asin", f64::asin);
    float_fn!(ctx, math, "acos", f64::acos);
    float_fn!(ctx, math, "exp", f64::exp);
    float_fn!(ctx, math, "rad", f64::to_radians);
    float_fn!(ctx, math, "deg", f64::to_degrees);
    math_fn!(ctx, math, "atan", |ctx, stack| {
        let y = check_number(ctx, stack, 1, "atan")?.to_f64();
        let x = if stack.get(1).is_nil() {
            1.0
        } else {
            check_number(ctx, stack, 2, "atan")?.to_f64()
        };
        Ok(Value::Number(y.atan2(x)))
    });
    math_fn!(ctx, math, "log", |ctx, stack| {
        let x = check_number(ctx, stack, 1, "log")?.to_f64();
        Ok(Value::Number(if stack.get(1).is_nil() {
            x.ln()
        } else {
            let b = check_number(ctx, stack, 2, "log")?.to_f64();
            if b == 2.0 {
                x.log2()
            } else if b == 10.0 {
                x.log10()
            } else {
                x.ln() / b.ln()
            }
        }))
    });
    math_fn!(ctx, math, "fmod", |ctx, stack| {
        let a = check_number(ctx, stack, 1, "fmod")?;
        let b = check_number(ctx, stack, 2, "fmod")?;
        Ok(match (a, b) {
            (Num::Int(m), Num::Int(d)) => {
                if d == 0 {
                    return Err(arg_error(ctx, 2, "fmod", "zero"));
                }
                // d == -1 would overflow for mininteger; the result is 0.
                Value::Integer(if d == -1 { 0 } else { m % d })
            }
            (a, b) => Value::Number(a.to_f64() % b.to_f64()),
        })
    });
    math.set(
        ctx,
        "modf",
        native::callback(ctx, |ctx, _, mut stack| {
            let r: (Value<'_>, Value<'_>) = match check_number(ctx, &stack, 1, "modf")? {
                Num::Int(i) => (Value::Integer(i), Value::Number(0.0)),
                Num::Float(n) => {
                    let ip = if n < 0.0 { n.ceil() } else { n.floor() };
                    let frac = if n == ip { 0.0 } else { n - ip };
                    (float_to_value(ip), Value::Number(frac))
                }
            };
            stack.replace(ctx, r);
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();
    math_fn!(ctx, math, "tointeger", |ctx, stack| {
        let v = check_any(ctx, stack, 1, "tointeger")?;
        Ok(match v {
            Value::Integer(i) => Value::Integer(i),
            Value::Number(f) => float_to_i64(f).map_or(Value::Nil, Value::Integer),
            Value::String(_) => to_num(v)
                .and_then(Num::to_i64)
                .map_or(Value::Nil, Value::Integer),
            _ => Value::Nil,
        })
    });
    math_fn!(ctx, math, "type", |ctx, stack| {
        Ok(match check_any(ctx, stack, 1, "type")? {
            Value::Integer(_) => Value::String(ctx.intern_static(b"integer")),
            Value::Number(_) => Value::String(ctx.intern_static(b"float")),
            _ => Value::Nil,
        })
    });
    math_fn!(ctx, math, "ult", |ctx, stack| {
        let a = check_integer(ctx, stack, 1, "ult")?;
        let b = check_integer(ctx, stack, 2, "ult")?;
        Ok(Value::Boolean((a as u64) < (b as u64)))
    });
    /// `a < b` for two numbers (`None` for anything else: `minmax`).
    fn num_lt(a: Value<'_>, b: Value<'_>) -> Option<bool> {
        Some(match (a, b) {
            (Value::Integer(x), Value::Integer(y)) => x < y,
            (Value::Number(x), Value::Number(y)) => x < y,
            (Value::Integer(i), Value::Number(f)) => int_lt_float(i, f),
            (Value::Number(f), Value::Integer(i)) => float_lt_int(f, i),
            _ => return None,
        })
    }
    // (`minmax` of numbers: the first unless a later one compares better,
    // each returned as it is; one argument goes to the native, which
    // returns it whatever it is.)
    fn minmax_args<'gc>(args: &[Value<'gc>], max: bool) -> Option<Value<'gc>> {
        let (&first, rest) = args.split_first().filter(|(_, r)| !r.is_empty())?;
        rest.iter().try_fold(first, |best, &v| {
            let better = if max {
                num_lt(best, v)?
            } else {
                num_lt(v, best)?
            };
            Some(if better { v } else { best })
        })
    }
    math_fn!(
        ctx,
        math,
        "max",
        |ctx, stack| minmax(ctx, stack, "max", true),
        |ctx, f| native::with_args(ctx, f, |_, args| minmax_args(args, true))
    );
    math_fn!(
        ctx,
        math,
        "min",
        |ctx, stack| minmax(ctx, stack, "min", false),
        |ctx, f| native::with_args(ctx, f, |_, args| minmax_args(args, false))
    );

    // (Called in place: a callback capturing the generator went through
    // the executor at every call.)
    math.set(ctx, "random", native::with_args(ctx, random, random_args))
        .unwrap();
    math.set(
        ctx,
        "randomseed",
        Callback::from_fn(&ctx, move |ctx, _, mut stack| {
            let (n1, n2) = if stack.is_empty() {
                let (a, b) = entropy();
                (a as i64, b as i64)
            } else {
                let n1 = check_integer(ctx, &stack, 1, "randomseed")?;
                let n2 = super::check::opt_integer(ctx, &stack, 2, "randomseed", 0)?;
                (n1, n2)
            };
            *generator(ctx).0.borrow_mut() = Xoshiro::seeded(n1 as u64, n2 as u64);
            stack.replace(ctx, (n1, n2));
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    super::check::position_all(ctx, math);
    ctx.set_global("math", math).unwrap();
}

/// `math.max`/`math.min`: Lua compares the arguments with `<` (numbers
/// or strings) and returns the winning argument unchanged.
fn minmax<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    name: &str,
    max: bool,
) -> Result<Value<'gc>, Error<'gc>> {
    if stack.is_empty() {
        return Err(arg_error(ctx, 1, name, "value expected"));
    }
    let mut best = stack.get(0);
    for i in 1..stack.len() {
        let v = stack.get(i);
        let better = if max {
            less_than(ctx, best, v)?
        } else {
            less_than(ctx, v, best)?
        };
        if better {
            best = v;
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoshiro_matches_lua_5_4() {
        // `math.randomseed(42); print(math.random(0))` in Lua 5.4.
        let mut x = Xoshiro::seeded(42, 0);
        assert_eq!(x.next_u64() as i64, -1276290044721465627);
    }
}
