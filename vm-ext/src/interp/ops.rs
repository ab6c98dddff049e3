//! Lua 5.4 arithmetic, bitwise and comparison semantics on raw values (no
//! metamethods): integer wraparound, floor division and modulo, exact
//! integer/float comparisons, string coercion.

use gc_arena::Gc;
use piccolo::{String as LuaString, Value};

use crate::{
    number::{float_to_i64, str_to_number, Num},
    stdlib::check::{float_lt_int, int_lt_float},
};

/// A binary or unary arithmetic/bitwise operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Mod,
    Pow,
    Div,
    IDiv,
    BAnd,
    BOr,
    BXor,
    Shl,
    Shr,
    Unm,
    BNot,
}

impl ArithOp {
    /// The metamethod event name.
    pub fn event(self) -> &'static str {
        match self {
            ArithOp::Add => "__add",
            ArithOp::Sub => "__sub",
            ArithOp::Mul => "__mul",
            ArithOp::Mod => "__mod",
            ArithOp::Pow => "__pow",
            ArithOp::Div => "__div",
            ArithOp::IDiv => "__idiv",
            ArithOp::BAnd => "__band",
            ArithOp::BOr => "__bor",
            ArithOp::BXor => "__bxor",
            ArithOp::Shl => "__shl",
            ArithOp::Shr => "__shr",
            ArithOp::Unm => "__unm",
            ArithOp::BNot => "__bnot",
        }
    }

    pub fn is_bitwise(self) -> bool {
        matches!(
            self,
            ArithOp::BAnd
                | ArithOp::BOr
                | ArithOp::BXor
                | ArithOp::Shl
                | ArithOp::Shr
                | ArithOp::BNot
        )
    }
}

/// Why a raw arithmetic operation did not produce a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithFail {
    /// An operand is not a number (nor a numeric string): try metamethods.
    NotNumber,
    /// A bitwise operand is a number without an integer value.
    NoInteger,
    /// Integer `%` by zero.
    ModZero,
    /// Integer `//` by zero.
    DivZero,
}

/// A value as a number (numbers, and strings that read as numbers).
#[inline]
pub fn to_num(v: Value<'_>) -> Option<Num> {
    match v {
        Value::Integer(i) => Some(Num::Int(i)),
        Value::Number(f) => Some(Num::Float(f)),
        Value::String(s) => str_to_number(s.as_bytes()),
        _ => None,
    }
}

/// Integer `a % b` with Lua's floor rule.
#[inline]
pub fn imod(a: i64, b: i64) -> Result<i64, ArithFail> {
    if b == 0 {
        return Err(ArithFail::ModZero);
    }
    Ok(crate::number::int_mod(a, b))
}

/// Integer `a // b` with Lua's floor rule.
#[inline]
pub fn idiv(a: i64, b: i64) -> Result<i64, ArithFail> {
    if b == 0 {
        return Err(ArithFail::DivZero);
    }
    Ok(crate::number::int_idiv(a, b))
}

/// Float `a % b` as Lua's `luai_nummod`.
pub use crate::number::float_mod as fmod;
/// `x << y` as Lua's `luaV_shiftl` (negative `y` shifts right, logical).
pub use crate::number::shift_left;

fn to_int_operand(n: Num) -> Result<i64, ArithFail> {
    match n {
        Num::Int(i) => Ok(i),
        Num::Float(f) => float_to_i64(f).ok_or(ArithFail::NoInteger),
    }
}

/// `a op b` on numbers (after string coercion).
pub fn arith_num<'gc>(op: ArithOp, a: Num, b: Num) -> Result<Value<'gc>, ArithFail> {
    use ArithOp::*;
    if op.is_bitwise() {
        let x = to_int_operand(a)?;
        let y = to_int_operand(b)?;
        return Ok(Value::Integer(match op {
            BAnd => x & y,
            BOr => x | y,
            BXor => x ^ y,
            Shl => shift_left(x, y),
            Shr => shift_left(x, y.checked_neg().unwrap_or(i64::MAX)),
            BNot => !x,
            _ => unreachable!("bitwise op"),
        }));
    }
    Ok(match (a, b) {
        (Num::Int(x), Num::Int(y)) => match op {
            Add => Value::Integer(x.wrapping_add(y)),
            Sub => Value::Integer(x.wrapping_sub(y)),
            Mul => Value::Integer(x.wrapping_mul(y)),
            Mod => Value::Integer(imod(x, y)?),
            IDiv => Value::Integer(idiv(x, y)?),
            Unm => Value::Integer(x.wrapping_neg()),
            Pow => Value::Number((x as f64).powf(y as f64)),
            Div => Value::Number(x as f64 / y as f64),
            _ => unreachable!("arith op"),
        },
        _ => {
            let (x, y) = (a.to_f64(), b.to_f64());
            Value::Number(match op {
                Add => x + y,
                Sub => x - y,
                Mul => x * y,
                Mod => fmod(x, y),
                IDiv => (x / y).floor(),
                Unm => -x,
                Pow => {
                    if y == 2.0 {
                        x * x
                    } else {
                        x.powf(y)
                    }
                }
                Div => x / y,
                _ => unreachable!("arith op"),
            })
        }
    })
}

/// `a op b` on raw values: numbers and numeric strings.
#[inline]
pub fn arith<'gc>(op: ArithOp, a: Value<'gc>, b: Value<'gc>) -> Result<Value<'gc>, ArithFail> {
    if op.is_bitwise() {
        // Strings are not coerced for bitwise operators (Lua 5.4's string
        // metatable only has the arithmetic ones).
        let num = |v: Value<'gc>| match v {
            Value::Integer(i) => Some(Num::Int(i)),
            Value::Number(f) => Some(Num::Float(f)),
            _ => None,
        };
        return match (num(a), num(b)) {
            (Some(x), Some(y)) => arith_num(op, x, y),
            _ => Err(ArithFail::NotNumber),
        };
    }
    match (to_num(a), to_num(b)) {
        (Some(x), Some(y)) => arith_num(op, x, y),
        _ => Err(ArithFail::NotNumber),
    }
}

/// Two strings' equality: the same object, or the same stored hash and bytes
/// (`String`'s own `==` compares the bytes whatever the objects).
#[inline(always)]
pub fn str_eq<'gc>(x: LuaString<'gc>, y: LuaString<'gc>) -> bool {
    Gc::ptr_eq(x.into_inner(), y.into_inner())
        || (x.stored_hash() == y.stored_hash() && same_bytes(x, y))
}

/// The byte comparison of [`str_eq`], out of line: two objects with the
/// same hash are rare on the paths that inline `str_eq` (the field cache's
/// check, `==`), and each inlined copy grew the dispatch function.
#[inline(never)]
fn same_bytes(x: LuaString<'_>, y: LuaString<'_>) -> bool {
    x.as_bytes() == y.as_bytes()
}

/// Raw equality as Lua's `==` without `__eq`: `None` when both are tables
/// (or both userdata) of different identity, where `__eq` may decide.
#[inline]
pub fn raw_eq<'gc>(a: Value<'gc>, b: Value<'gc>) -> Option<bool> {
    Some(match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Boolean(x), Value::Boolean(y)) => x == y,
        (Value::Integer(x), Value::Integer(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::Integer(i), Value::Number(f)) | (Value::Number(f), Value::Integer(i)) => {
            float_to_i64(f) == Some(i)
        }
        (Value::String(x), Value::String(y)) => str_eq(x, y),
        (Value::Table(x), Value::Table(y)) => {
            if x == y {
                true
            } else {
                return None;
            }
        }
        (Value::UserData(x), Value::UserData(y)) => {
            if x == y {
                true
            } else {
                return None;
            }
        }
        (Value::Function(x), Value::Function(y)) => x == y,
        (Value::Thread(x), Value::Thread(y)) => x == y,
        _ => false,
    })
}

/// `a < b` (or `a <= b` when `le`) for numbers and strings; `None` when a
/// metamethod must decide.
#[inline]
pub fn raw_lt<'gc>(a: Value<'gc>, b: Value<'gc>, le: bool) -> Option<bool> {
    Some(match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => {
            if le {
                x <= y
            } else {
                x < y
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            if le {
                x <= y
            } else {
                x < y
            }
        }
        (Value::Integer(i), Value::Number(f)) => {
            if le {
                !f.is_nan() && !float_lt_int(f, i)
            } else {
                int_lt_float(i, f)
            }
        }
        (Value::Number(f), Value::Integer(i)) => {
            if le {
                !f.is_nan() && !int_lt_float(i, f)
            } else {
                float_lt_int(f, i)
            }
        }
        (Value::String(x), Value::String(y)) => {
            if le {
                x.as_bytes() <= y.as_bytes()
            } else {
                x.as_bytes() < y.as_bytes()
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_rules() {
        assert_eq!(idiv(-7, 2), Ok(-4));
        assert_eq!(imod(-7, 2), Ok(1));
        assert_eq!(imod(7, -2), Ok(-1));
        assert_eq!(idiv(i64::MIN, -1), Ok(i64::MIN));
        assert_eq!(imod(i64::MIN, -1), Ok(0));
        assert_eq!(idiv(1, 0), Err(ArithFail::DivZero));
        assert_eq!(imod(1, 0), Err(ArithFail::ModZero));
        assert_eq!(fmod(-7.0, 2.0), 1.0);
        assert_eq!(fmod(5.5, -2.0), -0.5);
    }

    #[test]
    fn shifts() {
        assert_eq!(shift_left(1, 63), i64::MIN);
        assert_eq!(shift_left(1, 64), 0);
        assert_eq!(shift_left(-1, -1), i64::MAX);
        assert_eq!(shift_left(5, -64), 0);
    }
}
