//! A `luac -l -l`-style listing of compiled prototypes: what people read in
//! bug reports about code generation.

use std::fmt::Write;

use crate::bytecode::{Constant, Op, Proto};

/// The listing of `proto` and, after it, of its nested functions.
pub fn list(proto: &Proto) -> String {
    let mut out = String::new();
    list_into(proto, &mut out, true);
    out
}

fn constant(c: &Constant) -> String {
    match c {
        Constant::Nil => "nil".into(),
        Constant::Boolean(b) => b.to_string(),
        Constant::Integer(i) => i.to_string(),
        Constant::Float(f) => crate::number::float_to_string(*f),
        Constant::String(s) => format!("{:?}", String::from_utf8_lossy(s)),
    }
}

/// One instruction as `NAME operands` (the Rust variant name, upper-cased).
pub fn op_text(op: &Op) -> String {
    let dbg = format!("{op:?}");
    let (name, rest) = match dbg.find(' ') {
        Some(i) => (&dbg[..i], &dbg[i..]),
        None => (dbg.as_str(), ""),
    };
    let rest = rest
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .trim()
        .replace(": ", "=")
        .replace(',', "");
    format!("{:<10} {}", name.to_uppercase(), rest)
}

fn list_into(p: &Proto, out: &mut String, main: bool) {
    let kind = if main { "main" } else { "function" };
    let _ = writeln!(
        out,
        "{kind} <{}:{},{}> ({} instructions)",
        p.source,
        p.line_defined,
        p.last_line_defined,
        p.code.len()
    );
    let _ = writeln!(
        out,
        "{}{} params, {} slots, {} upvalues, {} locals, {} constants, {} functions",
        p.num_params,
        if p.is_vararg { "+" } else { "" },
        p.max_stack,
        p.upvalues.len(),
        p.locals.len(),
        p.constants.len(),
        p.protos.len()
    );
    for (pc, op) in p.code.iter().enumerate() {
        let mut line = format!("\t{}\t[{}]\t{}", pc + 1, p.line_at(pc), op_text(op));
        let note = match *op {
            Op::LoadK { k, .. } => p.constants.get(k as usize).map(constant),
            Op::GetTabUp { up, k, .. } => Some(format!(
                "{} {}",
                p.upvalues
                    .get(up as usize)
                    .map_or("?".into(), |u| u.name.clone()),
                p.constants.get(k as usize).map_or("?".into(), constant)
            )),
            Op::GetField { k, .. }
            | Op::SetField { k, .. }
            | Op::SetTabUp { k, .. }
            | Op::EqK { c: k, .. } => p.constants.get(k as usize).map(constant),
            Op::Jmp { sj } => Some(format!("to {}", pc as i64 + 2 + sj as i64)),
            Op::ForLoop { bx, .. } | Op::TForLoop { bx, .. } => {
                Some(format!("to {}", pc as i64 + 2 - bx as i64))
            }
            Op::ForPrep { bx, .. } => Some(format!("exit to {}", pc as i64 + 3 + bx as i64)),
            Op::TForPrep { bx, .. } => Some(format!("to {}", pc as i64 + 2 + bx as i64)),
            _ => None,
        };
        if let Some(n) = note {
            line.push_str("\t; ");
            line.push_str(&n);
        }
        out.push_str(&line);
        out.push('\n');
    }
    let _ = writeln!(out, "constants ({}):", p.constants.len());
    for (i, c) in p.constants.iter().enumerate() {
        let _ = writeln!(out, "\t{i}\t{}", constant(c));
    }
    let _ = writeln!(out, "locals ({}):", p.locals.len());
    for (i, l) in p.locals.iter().enumerate() {
        let _ = writeln!(
            out,
            "\t{i}\t{}\t{}\t{}",
            l.name,
            l.start_pc + 1,
            l.end_pc + 1
        );
    }
    let _ = writeln!(out, "upvalues ({}):", p.upvalues.len());
    for (i, u) in p.upvalues.iter().enumerate() {
        let _ = writeln!(out, "\t{i}\t{}\t{}\t{}", u.name, u.in_stack as u8, u.index);
    }
    for child in &p.protos {
        out.push('\n');
        list_into(child, out, false);
    }
}
