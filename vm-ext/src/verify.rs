//! The bytecode verifier: every loader of the own core's bytecode
//! (`load` of a dump, `_home` function images) passes a [`Proto`] through
//! [`verify`] before it becomes a closure, so the interpreter can trust that
//! every register, constant, upvalue, prototype and jump index is in range
//! and that execution cannot run off the end of the code.
//!
//! What is checked, per function: `max_stack <= 255`, `num_params <=
//! max_stack`, one line per instruction; for each instruction the registers
//! it touches are below `max_stack`, constant indices are in range and of the
//! kind the instruction needs (string keys, numeric arithmetic operands, no
//! table constants), upvalue and prototype indices exist, jump targets lie
//! inside the code, test instructions are followed by a jump, `for` loop
//! instructions pair up, and no instruction falls through past the end.
//! Nested prototypes are checked against their parent's registers and
//! upvalues. What the interpreter still checks at run time: variable-length
//! lists (`top`), which depend on the values.

use crate::bytecode::{Constant, Op, Proto, MAX_REGISTERS};

/// Deepest nesting of functions accepted (PUC Lua's parser limit).
pub const MAX_DEPTH: usize = 200;

/// Why a prototype was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct VerifyError(pub String);

/// Checks `proto` (a main function: its upvalues are bound by the loader)
/// and everything nested in it.
pub fn verify(proto: &Proto) -> Result<(), VerifyError> {
    verify_at(proto, None, 0)
}

fn err<T>(msg: String) -> Result<T, VerifyError> {
    Err(VerifyError(msg))
}

/// The enclosing function's register count and upvalue count.
#[derive(Clone, Copy)]
struct Parent {
    max_stack: usize,
    upvalues: usize,
}

fn verify_at(p: &Proto, parent: Option<Parent>, depth: usize) -> Result<(), VerifyError> {
    if depth > MAX_DEPTH {
        return err("functions nested too deeply".into());
    }
    let ms = p.max_stack as usize;
    if ms > MAX_REGISTERS {
        return err(format!("{ms} registers"));
    }
    if p.num_params as usize > ms {
        return err(format!("{} parameters in {ms} registers", p.num_params));
    }
    if p.lines.len() != p.code.len() {
        return err("line information does not match the code".into());
    }
    if p.code.is_empty() {
        return err("empty function".into());
    }
    if let Some(parent) = parent {
        for (i, u) in p.upvalues.iter().enumerate() {
            let limit = if u.in_stack {
                parent.max_stack
            } else {
                parent.upvalues
            };
            if u.index as usize >= limit {
                return err(format!("upvalue {i} refers to a missing slot {}", u.index));
            }
        }
    }
    if p.upvalues.len() > crate::bytecode::MAX_UPVALUES {
        return err("too many upvalues".into());
    }
    for l in &p.locals {
        if l.start_pc > l.end_pc || l.end_pc as usize > p.code.len() {
            return err(format!("local '{}' has a bad range", l.name));
        }
    }
    let v = Checker { p, ms };
    for (pc, op) in p.code.iter().enumerate() {
        v.check(pc, op)
            .map_err(|e| VerifyError(format!("{} at instruction {}", e.0, pc + 1)))?;
    }
    let me = Parent {
        max_stack: ms,
        upvalues: p.upvalues.len(),
    };
    for child in &p.protos {
        verify_at(child, Some(me), depth + 1)?;
    }
    Ok(())
}

struct Checker<'a> {
    p: &'a Proto,
    ms: usize,
}

impl Checker<'_> {
    /// Registers `first .. first + count` exist.
    fn regs(&self, first: usize, count: usize) -> Result<(), VerifyError> {
        if first + count > self.ms {
            return err(format!("register {} out of range", first + count - 1));
        }
        Ok(())
    }

    fn reg(&self, r: u8) -> Result<(), VerifyError> {
        self.regs(r as usize, 1)
    }

    fn constant(&self, k: usize) -> Result<&Constant, VerifyError> {
        self.p
            .constants
            .get(k)
            .ok_or_else(|| VerifyError(format!("constant {k} out of range")))
    }

    fn string_k(&self, k: usize) -> Result<(), VerifyError> {
        match self.constant(k)? {
            Constant::String(_) => Ok(()),
            _ => err(format!("constant {k} is not a string")),
        }
    }

    fn number_k(&self, k: usize) -> Result<(), VerifyError> {
        match self.constant(k)? {
            Constant::Integer(_) | Constant::Float(_) => Ok(()),
            _ => err(format!("constant {k} is not a number")),
        }
    }

    fn rk(&self, c: u16, kc: bool) -> Result<(), VerifyError> {
        if kc {
            self.constant(c as usize).map(|_| ())
        } else if c as usize >= self.ms {
            err(format!("register {c} out of range"))
        } else {
            Ok(())
        }
    }

    fn upval(&self, u: u8) -> Result<(), VerifyError> {
        if u as usize >= self.p.upvalues.len() {
            return err(format!("upvalue {u} out of range"));
        }
        Ok(())
    }

    /// `pc` + 1 + `offset` is an instruction.
    fn target(&self, pc: usize, offset: i64) -> Result<usize, VerifyError> {
        let t = pc as i64 + 1 + offset;
        if t < 0 || t as usize >= self.p.code.len() {
            return err(format!("jump to {} out of range", t + 1));
        }
        Ok(t as usize)
    }

    /// The next instruction exists (no fall-through past the end).
    fn next(&self, pc: usize) -> Result<(), VerifyError> {
        if pc + 1 >= self.p.code.len() {
            return err("code runs past its end".into());
        }
        Ok(())
    }

    fn check(&self, pc: usize, op: &Op) -> Result<(), VerifyError> {
        let code = &self.p.code;
        match *op {
            Op::Move { a, b } => {
                self.reg(a)?;
                self.reg(b)?;
            }
            Op::LoadI { a, .. }
            | Op::LoadF { a, .. }
            | Op::LoadFalse { a }
            | Op::LoadTrue { a }
            | Op::Close { a }
            | Op::Tbc { a } => self.reg(a)?,
            Op::LFalseSkip { a } => {
                self.reg(a)?;
                self.next(pc + 1)?;
            }
            Op::LoadK { a, k } => {
                self.reg(a)?;
                self.constant(k as usize)?;
            }
            Op::LoadNil { a, n } => self.regs(a as usize, n as usize + 1)?,
            Op::GetUpval { a, b } | Op::SetUpval { a, b } => {
                self.reg(a)?;
                self.upval(b)?;
            }
            Op::GetTabUp { a, up, k } => {
                self.reg(a)?;
                self.upval(up)?;
                self.string_k(k as usize)?;
            }
            Op::GetTable { a, b, c } => {
                self.reg(a)?;
                self.reg(b)?;
                self.reg(c)?;
            }
            Op::GetI { a, b, .. } => {
                self.reg(a)?;
                self.reg(b)?;
            }
            Op::GetField { a, b, k } => {
                self.reg(a)?;
                self.reg(b)?;
                self.string_k(k as usize)?;
            }
            Op::SetTabUp { up, k, c, kc } => {
                self.upval(up)?;
                self.string_k(k as usize)?;
                self.rk(c, kc)?;
            }
            Op::SetTable { a, b, c, kc } => {
                self.reg(a)?;
                self.reg(b)?;
                self.rk(c, kc)?;
            }
            Op::SetI { a, c, kc, .. } => {
                self.reg(a)?;
                self.rk(c, kc)?;
            }
            Op::SetField { a, k, c, kc } => {
                self.reg(a)?;
                self.string_k(k as usize)?;
                self.rk(c, kc)?;
            }
            Op::NewTable { a, .. } => self.reg(a)?,
            Op::SelfOp { a, b, c, kc } => {
                self.regs(a as usize, 2)?;
                self.reg(b)?;
                self.rk(c, kc)?;
            }
            Op::AddI { a, b, .. } | Op::ShrI { a, b, .. } | Op::ShlI { a, b, .. } => {
                self.reg(a)?;
                self.reg(b)?;
            }
            Op::AddK { a, b, k }
            | Op::SubK { a, b, k }
            | Op::MulK { a, b, k }
            | Op::KAdd { a, b, k }
            | Op::KMul { a, b, k }
            | Op::ModK { a, b, k }
            | Op::PowK { a, b, k }
            | Op::DivK { a, b, k }
            | Op::IDivK { a, b, k }
            | Op::BAndK { a, b, k }
            | Op::BOrK { a, b, k }
            | Op::BXorK { a, b, k } => {
                self.reg(a)?;
                self.reg(b)?;
                self.number_k(k as usize)?;
            }
            Op::Add { a, b, c }
            | Op::Sub { a, b, c }
            | Op::Mul { a, b, c }
            | Op::Mod { a, b, c }
            | Op::Pow { a, b, c }
            | Op::Div { a, b, c }
            | Op::IDiv { a, b, c }
            | Op::BAnd { a, b, c }
            | Op::BOr { a, b, c }
            | Op::BXor { a, b, c }
            | Op::Shl { a, b, c }
            | Op::Shr { a, b, c } => {
                self.reg(a)?;
                self.reg(b)?;
                self.reg(c)?;
            }
            Op::Unm { a, b } | Op::BNot { a, b } | Op::Not { a, b } | Op::Len { a, b } => {
                self.reg(a)?;
                self.reg(b)?;
            }
            Op::Concat { a, n } => {
                if n < 2 {
                    return err("concatenation of fewer than two values".into());
                }
                self.regs(a as usize, n as usize)?;
            }
            Op::Jmp { sj } => {
                self.target(pc, sj as i64)?;
            }
            Op::Eq { a, b, .. } | Op::Lt { a, b, .. } | Op::Le { a, b, .. } => {
                self.reg(a)?;
                self.reg(b)?;
                self.test_then_jump(pc)?;
            }
            Op::EqK { a, c, .. } => {
                self.reg(a)?;
                self.constant(c as usize)?;
                self.test_then_jump(pc)?;
            }
            Op::EqI { a, .. }
            | Op::LtI { a, .. }
            | Op::LeI { a, .. }
            | Op::GtI { a, .. }
            | Op::GeI { a, .. }
            | Op::LtF { a, .. }
            | Op::LeF { a, .. }
            | Op::GtF { a, .. }
            | Op::GeF { a, .. }
            | Op::Test { a, .. } => {
                self.reg(a)?;
                self.test_then_jump(pc)?;
            }
            Op::TestSet { a, b, .. } => {
                self.reg(a)?;
                self.reg(b)?;
                self.test_then_jump(pc)?;
            }
            Op::Call { a, b, c } => {
                self.regs(a as usize, (b as usize).max(1))?;
                if c > 1 {
                    self.regs(a as usize, c as usize - 1)?;
                }
            }
            Op::TailCall { a, b } => self.regs(a as usize, (b as usize).max(1))?,
            Op::Return { a, b } => {
                if b > 1 {
                    self.regs(a as usize, b as usize - 1)?;
                } else {
                    self.regs(a as usize, 0)?;
                }
            }
            Op::Return0 => {}
            Op::Return1 { a } => self.reg(a)?,
            Op::ForPrep { a, bx } => {
                self.regs(a as usize, 4)?;
                let lp = self.target(pc, bx as i64)?;
                match code[lp] {
                    Op::ForLoop { a: la, bx: lbx }
                        if la == a && (lp + 1).checked_sub(lbx as usize) == Some(pc + 1) => {}
                    _ => return err("numeric for without its loop".into()),
                }
                self.next(lp)?;
            }
            Op::ForLoop { a, bx } => {
                self.regs(a as usize, 4)?;
                self.target(pc, -(bx as i64))?;
            }
            Op::TForPrep { a, bx } => {
                self.regs(a as usize, 4)?;
                let call = self.target(pc, bx as i64)?;
                match (code.get(call), code.get(call + 1)) {
                    (Some(Op::TForCall { a: ca, .. }), Some(Op::TForLoop { a: la, .. }))
                        if *ca == a && *la == a => {}
                    _ => return err("generic for without its call and loop".into()),
                }
            }
            Op::TForCall { a, c } => self.regs(a as usize, 4 + c as usize)?,
            Op::TForLoop { a, bx } => {
                self.regs(a as usize, 5)?;
                self.target(pc, -(bx as i64))?;
            }
            Op::SetList { a, b, .. } => self.regs(a as usize, b as usize + 1)?,
            Op::Closure { a, p } => {
                self.reg(a)?;
                if p as usize >= self.p.protos.len() {
                    return err(format!("function {p} out of range"));
                }
            }
            Op::VarArg { a, c } => {
                if c > 1 {
                    self.regs(a as usize, c as usize - 1)?;
                } else {
                    self.regs(a as usize, 0)?;
                }
            }
        }
        let falls_through = !matches!(
            op,
            Op::Jmp { .. } | Op::Return { .. } | Op::Return0 | Op::Return1 { .. }
        );
        if falls_through {
            self.next(pc)?;
        }
        Ok(())
    }

    /// A test skips the next instruction, which must be a jump.
    fn test_then_jump(&self, pc: usize) -> Result<(), VerifyError> {
        match self.p.code.get(pc + 1) {
            Some(Op::Jmp { .. }) => Ok(()),
            _ => err("test not followed by a jump".into()),
        }
    }
}
