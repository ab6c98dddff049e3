//! Checks that every register, constant, upvalue, prototype and jump index
//! of a [`Proto`] is in range, so the interpreter can trust the code it runs.
//! Every prototype goes through here before it becomes a closure.

use crate::bytecode::{Constant, Op, Proto, MAX_REGISTERS, MAX_UPVALUES};

/// Why a prototype was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid prototype ({path}, instruction {pc}): {reason}")]
pub struct VerifyError {
    /// Which nested function (`main`, `main/2/0`, ...).
    pub path: String,
    pub pc: usize,
    pub reason: String,
}

/// Verifies `proto` and all its nested prototypes.
pub fn verify(proto: &Proto) -> Result<(), VerifyError> {
    verify_one(proto, None, "main")
}

fn verify_one(p: &Proto, parent: Option<&Proto>, path: &str) -> Result<(), VerifyError> {
    let fail = |pc: usize, reason: String| VerifyError {
        path: path.to_string(),
        pc,
        reason,
    };
    let max = p.max_stack as usize;
    if max > MAX_REGISTERS {
        return Err(fail(0, format!("max_stack {max} too large")));
    }
    if (p.num_params as usize) > max {
        return Err(fail(0, "more parameters than registers".into()));
    }
    if p.upvalues.len() > MAX_UPVALUES {
        return Err(fail(0, "too many upvalues".into()));
    }
    if p.lines.len() != p.code.len() {
        return Err(fail(0, "line table length differs from code length".into()));
    }
    if p.code.is_empty() {
        return Err(fail(0, "empty code".into()));
    }
    for (i, up) in p.upvalues.iter().enumerate() {
        match parent {
            Some(parent) => {
                let ok = if up.in_stack {
                    (up.index as usize) < parent.max_stack as usize
                } else {
                    (up.index as usize) < parent.upvalues.len()
                };
                if !ok {
                    return Err(fail(0, format!("upvalue {i} refers out of range")));
                }
            }
            None => {}
        }
    }
    let len = p.code.len();
    let nk = p.constants.len();
    let nup = p.upvalues.len();
    for (pc, op) in p.code.iter().enumerate() {
        let reg = |r: usize| -> Result<(), VerifyError> {
            if r < max {
                Ok(())
            } else {
                Err(fail(
                    pc,
                    format!("register {r} out of range (max_stack {max})"),
                ))
            }
        };
        let regs = |a: usize, n: usize| -> Result<(), VerifyError> {
            if n == 0 || a + n <= max {
                Ok(())
            } else {
                Err(fail(pc, format!("registers {a}..{} out of range", a + n)))
            }
        };
        let konst = |k: usize| -> Result<&Constant, VerifyError> {
            p.constants
                .get(k)
                .ok_or_else(|| fail(pc, format!("constant {k} out of range ({nk})")))
        };
        let kstr = |k: usize| -> Result<(), VerifyError> {
            match konst(k)? {
                Constant::String(_) => Ok(()),
                _ => Err(fail(pc, format!("constant {k} is not a string"))),
            }
        };
        let knum = |k: usize| -> Result<(), VerifyError> {
            match konst(k)? {
                Constant::Integer(_) | Constant::Float(_) => Ok(()),
                _ => Err(fail(pc, format!("constant {k} is not a number"))),
            }
        };
        let rk = |c: u16, kc: bool| -> Result<(), VerifyError> {
            if kc {
                konst(c as usize).map(|_| ())
            } else {
                reg(c as usize)
            }
        };
        let up = |u: u8| -> Result<(), VerifyError> {
            if (u as usize) < nup {
                Ok(())
            } else {
                Err(fail(pc, format!("upvalue {u} out of range ({nup})")))
            }
        };
        let target = |t: i64| -> Result<(), VerifyError> {
            if t >= 0 && (t as usize) < len {
                Ok(())
            } else {
                Err(fail(pc, format!("jump target {t} out of range")))
            }
        };
        let next = pc as i64 + 1;
        use Op::*;
        match *op {
            Move { a, b } => {
                reg(a as usize)?;
                reg(b as usize)?;
            }
            LoadI { a, .. } | LoadF { a, .. } | LoadFalse { a } | LoadTrue { a } => {
                reg(a as usize)?
            }
            LFalseSkip { a } => {
                reg(a as usize)?;
                target(next + 1)?;
            }
            LoadK { a, k } => {
                reg(a as usize)?;
                konst(k as usize)?;
            }
            LoadNil { a, n } => regs(a as usize, n as usize + 1)?,
            GetUpval { a, b } | SetUpval { a, b } => {
                reg(a as usize)?;
                up(b)?;
            }
            GetTabUp { a, up: u, k } => {
                reg(a as usize)?;
                up(u)?;
                kstr(k as usize)?;
            }
            GetTable { a, b, c } => {
                reg(a as usize)?;
                reg(b as usize)?;
                reg(c as usize)?;
            }
            GetI { a, b, .. } => {
                reg(a as usize)?;
                reg(b as usize)?;
            }
            GetField { a, b, k } => {
                reg(a as usize)?;
                reg(b as usize)?;
                kstr(k as usize)?;
            }
            SetTabUp { up: u, k, c, kc } => {
                up(u)?;
                kstr(k as usize)?;
                rk(c, kc)?;
            }
            SetTable { a, b, c, kc } => {
                reg(a as usize)?;
                reg(b as usize)?;
                rk(c, kc)?;
            }
            SetI { a, c, kc, .. } => {
                reg(a as usize)?;
                rk(c, kc)?;
            }
            SetField { a, k, c, kc } => {
                reg(a as usize)?;
                kstr(k as usize)?;
                rk(c, kc)?;
            }
            NewTable { a, .. } => reg(a as usize)?,
            SelfOp { a, b, c, kc } => {
                regs(a as usize, 2)?;
                reg(b as usize)?;
                rk(c, kc)?;
            }
            AddI { a, b, .. } | ShrI { a, b, .. } | ShlI { a, b, .. } => {
                reg(a as usize)?;
                reg(b as usize)?;
            }
            AddK { a, b, k }
            | SubK { a, b, k }
            | MulK { a, b, k }
            | ModK { a, b, k }
            | PowK { a, b, k }
            | DivK { a, b, k }
            | IDivK { a, b, k }
            | BAndK { a, b, k }
            | BOrK { a, b, k }
            | BXorK { a, b, k } => {
                reg(a as usize)?;
                reg(b as usize)?;
                knum(k as usize)?;
            }
            Add { a, b, c }
            | Sub { a, b, c }
            | Mul { a, b, c }
            | Mod { a, b, c }
            | Pow { a, b, c }
            | Div { a, b, c }
            | IDiv { a, b, c }
            | BAnd { a, b, c }
            | BOr { a, b, c }
            | BXor { a, b, c }
            | Shl { a, b, c }
            | Shr { a, b, c } => {
                reg(a as usize)?;
                reg(b as usize)?;
                reg(c as usize)?;
            }
            Unm { a, b } | BNot { a, b } | Not { a, b } | Len { a, b } => {
                reg(a as usize)?;
                reg(b as usize)?;
            }
            Concat { a, n } => {
                if n == 0 {
                    return Err(fail(pc, "empty concatenation".into()));
                }
                regs(a as usize, n as usize)?
            }
            Close { a } => {
                if a as usize > max {
                    return Err(fail(pc, "close level out of range".into()));
                }
            }
            Tbc { a } => reg(a as usize)?,
            Jmp { sj } => target(next + sj as i64)?,
            Eq { a, b, .. } | Lt { a, b, .. } | Le { a, b, .. } => {
                reg(a as usize)?;
                reg(b as usize)?;
                target(next + 1)?;
            }
            EqK { a, c, .. } => {
                reg(a as usize)?;
                konst(c as usize)?;
                target(next + 1)?;
            }
            EqI { a, .. } | LtI { a, .. } | LeI { a, .. } | GtI { a, .. } | GeI { a, .. } => {
                reg(a as usize)?;
                target(next + 1)?;
            }
            Test { a, .. } => {
                reg(a as usize)?;
                target(next + 1)?;
            }
            TestSet { a, b, .. } => {
                reg(a as usize)?;
                reg(b as usize)?;
                target(next + 1)?;
            }
            Call { a, b, c } => {
                reg(a as usize)?;
                if b > 0 {
                    regs(a as usize, b as usize)?;
                }
                if c > 1 {
                    regs(a as usize, c as usize - 1)?;
                }
            }
            TailCall { a, b } => {
                reg(a as usize)?;
                if b > 0 {
                    regs(a as usize, b as usize)?;
                }
            }
            Return { a, b } => {
                if b == 0 {
                    if a as usize > max {
                        return Err(fail(pc, "return base out of range".into()));
                    }
                } else {
                    regs(a as usize, b as usize - 1)?;
                }
            }
            Return0 => {}
            Return1 { a } => reg(a as usize)?,
            ForLoop { a, bx } => {
                regs(a as usize, 4)?;
                target(next - bx as i64)?;
            }
            ForPrep { a, bx } => {
                regs(a as usize, 4)?;
                // Skipping the loop lands past its ForLoop (may be the end).
                let t = next + bx as i64 + 1;
                if t < 0 || t as usize > len {
                    return Err(fail(pc, format!("jump target {t} out of range")));
                }
            }
            TForPrep { a, bx } => {
                regs(a as usize, 4)?;
                target(next + bx as i64)?;
            }
            TForCall { a, c } => regs(a as usize, 4 + c as usize)?,
            TForLoop { a, bx } => {
                regs(a as usize, 5)?;
                target(next - bx as i64)?;
            }
            SetList { a, b, .. } => regs(a as usize, b as usize + 1)?,
            Closure { a, p: i } => {
                reg(a as usize)?;
                if i as usize >= p.protos.len() {
                    return Err(fail(pc, format!("prototype {i} out of range")));
                }
            }
            VarArg { a, c } => {
                if c > 1 {
                    regs(a as usize, c as usize - 1)?;
                } else if a as usize > max {
                    return Err(fail(pc, "vararg base out of range".into()));
                }
            }
        }
    }
    for (i, child) in p.protos.iter().enumerate() {
        verify_one(child, Some(p), &format!("{path}/{i}"))?;
    }
    Ok(())
}
