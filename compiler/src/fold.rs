//! Constant folding with Lua 5.4's integer/float rules. An operation that
//! would raise an error at run time (division by zero of integers, bitwise
//! operations on non-integral floats) is not folded.

use super::code::{BinOp, UnOp};
use crate::number::{float_mod, float_to_i64, int_idiv, int_mod, shift_left};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    Int(i64),
    Flt(f64),
}

impl Num {
    fn to_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Flt(f) => f,
        }
    }

    fn to_int(self) -> Option<i64> {
        match self {
            Num::Int(i) => Some(i),
            Num::Flt(f) => float_to_i64(f),
        }
    }
}

pub fn fold(op: BinOp, a: Num, b: Num) -> Option<Num> {
    use BinOp::*;
    match op {
        Add | Sub | Mul => match (a, b) {
            (Num::Int(x), Num::Int(y)) => Some(Num::Int(match op {
                Add => x.wrapping_add(y),
                Sub => x.wrapping_sub(y),
                _ => x.wrapping_mul(y),
            })),
            _ => {
                let (x, y) = (a.to_f64(), b.to_f64());
                Some(Num::Flt(match op {
                    Add => x + y,
                    Sub => x - y,
                    _ => x * y,
                }))
            }
        },
        Div => {
            let y = b.to_f64();
            if y == 0.0 {
                return None;
            }
            Some(Num::Flt(a.to_f64() / y))
        }
        Pow => Some(Num::Flt(a.to_f64().powf(b.to_f64()))),
        IDiv | Mod => match (a, b) {
            (Num::Int(_), Num::Int(0)) => None,
            (Num::Int(x), Num::Int(y)) => Some(Num::Int(if op == IDiv {
                int_idiv(x, y)
            } else {
                int_mod(x, y)
            })),
            _ => {
                let (x, y) = (a.to_f64(), b.to_f64());
                if y == 0.0 {
                    return None;
                }
                Some(Num::Flt(if op == IDiv {
                    (x / y).floor()
                } else {
                    float_mod(x, y)
                }))
            }
        },
        BAnd | BOr | BXor | Shl | Shr => {
            let (x, y) = (a.to_int()?, b.to_int()?);
            Some(Num::Int(match op {
                BAnd => x & y,
                BOr => x | y,
                BXor => x ^ y,
                Shl => shift_left(x, y),
                _ => shift_left(x, y.wrapping_neg()),
            }))
        }
        _ => None,
    }
}

pub fn fold_unary(op: UnOp, a: Num) -> Option<Num> {
    match op {
        UnOp::Minus => Some(match a {
            Num::Int(i) => Num::Int(i.wrapping_neg()),
            Num::Flt(f) => Num::Flt(-f),
        }),
        UnOp::BNot => Some(Num::Int(!a.to_int()?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_rules() {
        assert_eq!(int_idiv(-7, 2), -4);
        assert_eq!(int_mod(-7, 2), 1);
        assert_eq!(int_mod(7, -2), -1);
        assert_eq!(int_idiv(i64::MIN, -1), i64::MIN);
        assert_eq!(int_mod(i64::MIN, -1), 0);
        assert_eq!(float_mod(-7.0, 2.0), 1.0);
        assert_eq!(float_mod(5.5, -2.0), -0.5);
        assert_eq!(shift_left(1, 64), 0);
        assert_eq!(shift_left(-1, -1), i64::MAX);
        assert_eq!(fold(BinOp::IDiv, Num::Int(1), Num::Int(0)), None);
        assert_eq!(fold(BinOp::BAnd, Num::Flt(1.5), Num::Int(1)), None);
        assert_eq!(
            fold(BinOp::BOr, Num::Flt(2.0), Num::Int(1)),
            Some(Num::Int(3))
        );
    }
}
