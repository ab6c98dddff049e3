//! Variable descriptions for error messages, derived from bytecode the way
//! PUC Lua 5.4's `getobjname` does: `(local 'cfg')`, `(global 'f')`,
//! `(field 'x')`, `(upvalue 'n')`, `(method 'm')`, `(constant 'k')`.

use crate::bytecode::{Constant, Op, Proto};

/// What an error message says about the operand that failed.
#[derive(Clone, Copy, Debug)]
pub enum VarRef {
    None,
    /// Register of the current frame.
    Reg(u8),
    /// Upvalue of the current closure.
    Up(u8),
    /// A constant.
    K(u32),
}

fn kstr(p: &Proto, k: u32) -> Option<String> {
    match p.constants.get(k as usize) {
        Some(Constant::String(s)) => Some(String::from_utf8_lossy(s).into_owned()),
        _ => None,
    }
}

fn upval_name(p: &Proto, up: u8) -> String {
    p.upvalues
        .get(up as usize)
        .map_or_else(|| "?".to_string(), |u| u.name.clone())
}

/// Whether instruction `op` sets register `a` (PUC's `testAMode`).
fn sets_a(op: &Op) -> Option<u8> {
    use Op::*;
    Some(match *op {
        Move { a, .. }
        | LoadI { a, .. }
        | LoadF { a, .. }
        | LoadK { a, .. }
        | LoadFalse { a }
        | LFalseSkip { a }
        | LoadTrue { a }
        | GetUpval { a, .. }
        | GetTabUp { a, .. }
        | GetTable { a, .. }
        | GetI { a, .. }
        | GetField { a, .. }
        | NewTable { a, .. }
        | SelfOp { a, .. }
        | AddI { a, .. }
        | AddK { a, .. }
        | SubK { a, .. }
        | MulK { a, .. }
        | KAdd { a, .. }
        | KMul { a, .. }
        | ModK { a, .. }
        | PowK { a, .. }
        | DivK { a, .. }
        | IDivK { a, .. }
        | BAndK { a, .. }
        | BOrK { a, .. }
        | BXorK { a, .. }
        | ShrI { a, .. }
        | ShlI { a, .. }
        | Add { a, .. }
        | Sub { a, .. }
        | Mul { a, .. }
        | Mod { a, .. }
        | Pow { a, .. }
        | Div { a, .. }
        | IDiv { a, .. }
        | BAnd { a, .. }
        | BOr { a, .. }
        | BXor { a, .. }
        | Shl { a, .. }
        | Shr { a, .. }
        | Unm { a, .. }
        | BNot { a, .. }
        | Not { a, .. }
        | Len { a, .. }
        | Concat { a, .. }
        | TestSet { a, .. }
        | Closure { a, .. }
        | VarArg { a, .. } => a,
        _ => return None,
    })
}

/// The last instruction before `lastpc` that certainly set `reg`.
fn find_set_reg(p: &Proto, lastpc: usize, reg: u8) -> Option<usize> {
    let mut setreg = None;
    let mut jmptarget = 0usize;
    for (pc, op) in p.code.iter().enumerate().take(lastpc) {
        let change = match *op {
            Op::LoadNil { a, n } => a <= reg && reg as usize <= a as usize + n as usize,
            Op::TForCall { a, .. } => reg as usize >= a as usize + 2,
            Op::Call { a, .. } | Op::TailCall { a, .. } => reg >= a,
            Op::Jmp { sj } => {
                let dest = pc as i64 + 1 + sj as i64;
                if dest >= 0 && (dest as usize) <= lastpc && dest as usize > jmptarget {
                    jmptarget = dest as usize;
                }
                false
            }
            ref other => sets_a(other) == Some(reg),
        };
        if change {
            setreg = if pc < jmptarget { None } else { Some(pc) };
        }
    }
    setreg
}

/// Name of the register (only constants give names here, as PUC's `rname`).
fn rname(p: &Proto, pc: usize, reg: u8) -> String {
    match getobjname(p, pc, reg) {
        Some(("constant", name)) => name,
        _ => "?".to_string(),
    }
}

fn is_env_reg(p: &Proto, pc: usize, reg: u8) -> &'static str {
    let name = match p.local_name(reg as usize + 1, pc) {
        Some(n) => Some(n.to_string()),
        None => match find_set_reg(p, pc, reg).map(|i| p.code[i]) {
            Some(Op::GetUpval { b, .. }) => Some(upval_name(p, b)),
            _ => None,
        },
    };
    if name.as_deref() == Some("_ENV") {
        "global"
    } else {
        "field"
    }
}

/// `(kind, name)` of register `reg` at instruction `lastpc`.
pub fn getobjname(p: &Proto, lastpc: usize, reg: u8) -> Option<(&'static str, String)> {
    if let Some(name) = p.local_name(reg as usize + 1, lastpc) {
        return Some(("local", name.to_string()));
    }
    let pc = find_set_reg(p, lastpc, reg)?;
    match p.code[pc] {
        Op::Move { a, b } if b < a => getobjname(p, pc, b),
        Op::GetTabUp { up, k, .. } => {
            let kind = if upval_name(p, up) == "_ENV" {
                "global"
            } else {
                "field"
            };
            Some((kind, kstr(p, k as u32)?))
        }
        Op::GetTable { b, c, .. } => Some((is_env_reg(p, pc, b), rname(p, pc, c))),
        Op::GetI { .. } => Some(("field", "integer index".to_string())),
        Op::GetField { b, k, .. } => Some((is_env_reg(p, pc, b), kstr(p, k as u32)?)),
        Op::GetUpval { b, .. } => Some(("upvalue", upval_name(p, b))),
        Op::LoadK { k, .. } => Some(("constant", kstr(p, k)?)),
        Op::SelfOp { c, kc, .. } => {
            let name = if kc {
                kstr(p, c as u32)?
            } else {
                rname(p, pc, c as u8)
            };
            Some(("method", name))
        }
        _ => None,
    }
}

/// ` (kind 'name')` for `var` at instruction `lastpc`, or empty.
pub fn varinfo(p: &Proto, lastpc: usize, var: VarRef) -> String {
    let found = match var {
        VarRef::None => None,
        VarRef::Reg(r) => getobjname(p, lastpc, r),
        VarRef::Up(u) => Some(("upvalue", upval_name(p, u))),
        VarRef::K(k) => kstr(p, k).map(|s| ("constant", s)),
    };
    match found {
        Some((kind, name)) => format!(" ({kind} '{name}')"),
        None => String::new(),
    }
}
