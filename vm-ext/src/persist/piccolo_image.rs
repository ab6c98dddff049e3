//! The piccolo 0.3 core's side of function images: `FunctionPrototype` <->
//! [`FunctionImage`], the byte encoding of piccolo's opcodes, and the verifier
//! that checks a decoded image before it may become a closure.
//!
//! The verifier's rules follow what piccolo's VM indexes without checking
//! (`thread/vm.rs`, `thread/thread.rs`): every register operand is below
//! `stack_size` (including the implicit `base + 1..3` registers of loops and
//! `Method`), constants, upvalues and prototypes are in range, every jump and
//! skip lands inside the code, execution never falls off the end, the line
//! table is well formed, and the "variable stack top" that `...`/multiple
//! results leave is consumed by exactly the next kind of instruction that
//! expects it, at a register below it.

use allocator_api2::vec::Vec as AVec;
use gc_arena::{allocator_api::MetricsAlloc, Gc, Mutation};
use piccolo::{
    compiler::{FunctionRef, LineNumber},
    opcode::{OpCode, Operation, RCIndex},
    types::{
        ConstantIndex16, ConstantIndex8, Opt254, PrototypeIndex, RegisterIndex, UpValueDescriptor,
        UpValueIndex, VarCount,
    },
    Constant, Context, FunctionPrototype,
};
use thiserror::Error;

use super::{
    codec::ByteBuf,
    image::{FunctionImage, ImageConstant, ImageUpvalue},
};

/// The `core` tag of images made here.
pub const CORE: &str = "piccolo-0.3";

/// Deepest prototype nesting accepted.
pub const MAX_NESTING: usize = 200;

/// Why an image was rejected.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum VerifyError {
    /// The image was made by another core.
    #[error("function image is for core {0:?}, expected {CORE:?}")]
    WrongCore(String),
    /// The code bytes do not decode.
    #[error("bad instruction encoding at byte {0}")]
    Encoding(usize),
    /// An instruction is invalid.
    #[error("instruction {pc}: {detail}")]
    Instruction { pc: usize, detail: String },
    /// A prototype-level property is invalid.
    #[error("{0}")]
    Prototype(String),
}

fn perr(detail: impl Into<String>) -> VerifyError {
    VerifyError::Prototype(detail.into())
}

// ---------------------------------------------------------------------------
// Instruction bytes

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn b(&mut self, v: bool) {
        self.0.push(v as u8);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i16(&mut self, v: i16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn r(&mut self, r: RegisterIndex) {
        self.u8(r.0)
    }
    fn rc(&mut self, rc: RCIndex) {
        match rc {
            RCIndex::Register(r) => {
                self.u8(0);
                self.u8(r.0)
            }
            RCIndex::Constant(c) => {
                self.u8(1);
                self.u8(c.0)
            }
        }
    }
    fn vc(&mut self, v: VarCount) {
        self.u8(v.to_constant().unwrap_or(255))
    }
    fn opt(&mut self, v: Opt254) {
        self.u8(v.to_u8().unwrap_or(255))
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

type R<T> = Result<T, VerifyError>;

impl Reader<'_> {
    fn u8(&mut self) -> R<u8> {
        let v = *self
            .bytes
            .get(self.pos)
            .ok_or(VerifyError::Encoding(self.pos))?;
        self.pos += 1;
        Ok(v)
    }
    fn b(&mut self) -> R<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(VerifyError::Encoding(self.pos - 1)),
        }
    }
    fn u16(&mut self) -> R<u16> {
        Ok(u16::from_le_bytes([self.u8()?, self.u8()?]))
    }
    fn i16(&mut self) -> R<i16> {
        Ok(i16::from_le_bytes([self.u8()?, self.u8()?]))
    }
    fn r(&mut self) -> R<RegisterIndex> {
        Ok(RegisterIndex(self.u8()?))
    }
    fn rc(&mut self) -> R<RCIndex> {
        match self.u8()? {
            0 => Ok(RCIndex::Register(RegisterIndex(self.u8()?))),
            1 => Ok(RCIndex::Constant(ConstantIndex8(self.u8()?))),
            _ => Err(VerifyError::Encoding(self.pos - 1)),
        }
    }
    fn vc(&mut self) -> R<VarCount> {
        match self.u8()? {
            255 => Ok(VarCount::variable()),
            c => VarCount::try_constant(c).ok_or(VerifyError::Encoding(self.pos - 1)),
        }
    }
    fn opt(&mut self) -> R<Opt254> {
        match self.u8()? {
            255 => Ok(Opt254::none()),
            c => Opt254::try_some(c).ok_or(VerifyError::Encoding(self.pos - 1)),
        }
    }
}

macro_rules! binops {
    ($m:ident) => {
        $m! {
            Add = 30, Sub = 31, Mul = 32, Div = 33, IDiv = 34, Mod = 35, Pow = 36,
            BitAnd = 37, BitOr = 38, BitXor = 39, ShiftLeft = 40, ShiftRight = 41
        }
    };
}

macro_rules! unops {
    ($m:ident) => {
        $m! { Length = 26, Not = 27, Minus = 28, BitNot = 29 }
    };
}

/// Appends the byte encoding of one operation.
fn write_op(w: &mut Writer, op: Operation) {
    macro_rules! enc_bin {
        ($($name:ident = $tag:expr),*) => {
            match op {
                $(Operation::$name { dest, left, right } => {
                    w.u8($tag); w.r(dest); w.rc(left); w.rc(right); return;
                })*
                _ => {}
            }
        };
    }
    macro_rules! enc_un {
        ($($name:ident = $tag:expr),*) => {
            match op {
                $(Operation::$name { dest, source } => {
                    w.u8($tag); w.r(dest); w.r(source); return;
                })*
                _ => {}
            }
        };
    }
    binops!(enc_bin);
    unops!(enc_un);
    match op {
        Operation::Move { dest, source } => {
            w.u8(0);
            w.r(dest);
            w.r(source);
        }
        Operation::LoadConstant { dest, constant } => {
            w.u8(1);
            w.r(dest);
            w.u16(constant.0);
        }
        Operation::LoadBool {
            dest,
            value,
            skip_next,
        } => {
            w.u8(2);
            w.r(dest);
            w.b(value);
            w.b(skip_next);
        }
        Operation::LoadNil { dest, count } => {
            w.u8(3);
            w.r(dest);
            w.u8(count);
        }
        Operation::NewTable {
            dest,
            array_size,
            map_size,
        } => {
            w.u8(4);
            w.r(dest);
            w.u8(array_size);
            w.u8(map_size);
        }
        Operation::GetTable { dest, table, key } => {
            w.u8(5);
            w.r(dest);
            w.r(table);
            w.rc(key);
        }
        Operation::SetTable { table, key, value } => {
            w.u8(6);
            w.r(table);
            w.rc(key);
            w.rc(value);
        }
        Operation::GetUpTable { dest, table, key } => {
            w.u8(7);
            w.r(dest);
            w.u8(table.0);
            w.rc(key);
        }
        Operation::SetUpTable { table, key, value } => {
            w.u8(8);
            w.u8(table.0);
            w.rc(key);
            w.rc(value);
        }
        Operation::SetList { base, count } => {
            w.u8(9);
            w.r(base);
            w.vc(count);
        }
        Operation::Call {
            func,
            args,
            returns,
        } => {
            w.u8(10);
            w.r(func);
            w.vc(args);
            w.vc(returns);
        }
        Operation::TailCall { func, args } => {
            w.u8(11);
            w.r(func);
            w.vc(args);
        }
        Operation::Return { start, count } => {
            w.u8(12);
            w.r(start);
            w.vc(count);
        }
        Operation::VarArgs { dest, count } => {
            w.u8(13);
            w.r(dest);
            w.vc(count);
        }
        Operation::Jump {
            offset,
            close_upvalues,
        } => {
            w.u8(14);
            w.i16(offset);
            w.opt(close_upvalues);
        }
        Operation::Test { value, is_true } => {
            w.u8(15);
            w.r(value);
            w.b(is_true);
        }
        Operation::TestSet {
            dest,
            value,
            is_true,
        } => {
            w.u8(16);
            w.r(dest);
            w.r(value);
            w.b(is_true);
        }
        Operation::Closure { dest, proto } => {
            w.u8(17);
            w.r(dest);
            w.u8(proto.0);
        }
        Operation::NumericForPrep { base, jump } => {
            w.u8(18);
            w.r(base);
            w.i16(jump);
        }
        Operation::NumericForLoop { base, jump } => {
            w.u8(19);
            w.r(base);
            w.i16(jump);
        }
        Operation::GenericForCall { base, var_count } => {
            w.u8(20);
            w.r(base);
            w.u8(var_count);
        }
        Operation::GenericForLoop { base, jump } => {
            w.u8(21);
            w.r(base);
            w.i16(jump);
        }
        Operation::Method { base, table, key } => {
            w.u8(22);
            w.r(base);
            w.r(table);
            w.rc(key);
        }
        Operation::Concat {
            dest,
            source,
            count,
        } => {
            w.u8(23);
            w.r(dest);
            w.r(source);
            w.u8(count);
        }
        Operation::GetUpValue { dest, source } => {
            w.u8(24);
            w.r(dest);
            w.u8(source.0);
        }
        Operation::SetUpValue { dest, source } => {
            w.u8(25);
            w.u8(dest.0);
            w.r(source);
        }
        Operation::Eq {
            skip_if,
            left,
            right,
        } => {
            w.u8(42);
            w.b(skip_if);
            w.rc(left);
            w.rc(right);
        }
        Operation::Less {
            skip_if,
            left,
            right,
        } => {
            w.u8(43);
            w.b(skip_if);
            w.rc(left);
            w.rc(right);
        }
        Operation::LessEq {
            skip_if,
            left,
            right,
        } => {
            w.u8(44);
            w.b(skip_if);
            w.rc(left);
            w.rc(right);
        }
        // Binary and unary operations were written above.
        _ => {}
    }
}

fn read_op(r: &mut Reader<'_>) -> R<Operation> {
    let at = r.pos;
    let tag = r.u8()?;
    macro_rules! dec_bin {
        ($($name:ident = $tag:expr),*) => {
            match tag {
                $($tag => return Ok(Operation::$name { dest: r.r()?, left: r.rc()?, right: r.rc()? }),)*
                _ => {}
            }
        };
    }
    macro_rules! dec_un {
        ($($name:ident = $tag:expr),*) => {
            match tag {
                $($tag => return Ok(Operation::$name { dest: r.r()?, source: r.r()? }),)*
                _ => {}
            }
        };
    }
    binops!(dec_bin);
    unops!(dec_un);
    Ok(match tag {
        0 => Operation::Move {
            dest: r.r()?,
            source: r.r()?,
        },
        1 => Operation::LoadConstant {
            dest: r.r()?,
            constant: ConstantIndex16(r.u16()?),
        },
        2 => Operation::LoadBool {
            dest: r.r()?,
            value: r.b()?,
            skip_next: r.b()?,
        },
        3 => Operation::LoadNil {
            dest: r.r()?,
            count: r.u8()?,
        },
        4 => Operation::NewTable {
            dest: r.r()?,
            array_size: r.u8()?,
            map_size: r.u8()?,
        },
        5 => Operation::GetTable {
            dest: r.r()?,
            table: r.r()?,
            key: r.rc()?,
        },
        6 => Operation::SetTable {
            table: r.r()?,
            key: r.rc()?,
            value: r.rc()?,
        },
        7 => Operation::GetUpTable {
            dest: r.r()?,
            table: UpValueIndex(r.u8()?),
            key: r.rc()?,
        },
        8 => Operation::SetUpTable {
            table: UpValueIndex(r.u8()?),
            key: r.rc()?,
            value: r.rc()?,
        },
        9 => Operation::SetList {
            base: r.r()?,
            count: r.vc()?,
        },
        10 => Operation::Call {
            func: r.r()?,
            args: r.vc()?,
            returns: r.vc()?,
        },
        11 => Operation::TailCall {
            func: r.r()?,
            args: r.vc()?,
        },
        12 => Operation::Return {
            start: r.r()?,
            count: r.vc()?,
        },
        13 => Operation::VarArgs {
            dest: r.r()?,
            count: r.vc()?,
        },
        14 => Operation::Jump {
            offset: r.i16()?,
            close_upvalues: r.opt()?,
        },
        15 => Operation::Test {
            value: r.r()?,
            is_true: r.b()?,
        },
        16 => Operation::TestSet {
            dest: r.r()?,
            value: r.r()?,
            is_true: r.b()?,
        },
        17 => Operation::Closure {
            dest: r.r()?,
            proto: PrototypeIndex(r.u8()?),
        },
        18 => Operation::NumericForPrep {
            base: r.r()?,
            jump: r.i16()?,
        },
        19 => Operation::NumericForLoop {
            base: r.r()?,
            jump: r.i16()?,
        },
        20 => Operation::GenericForCall {
            base: r.r()?,
            var_count: r.u8()?,
        },
        21 => Operation::GenericForLoop {
            base: r.r()?,
            jump: r.i16()?,
        },
        22 => Operation::Method {
            base: r.r()?,
            table: r.r()?,
            key: r.rc()?,
        },
        23 => Operation::Concat {
            dest: r.r()?,
            source: r.r()?,
            count: r.u8()?,
        },
        24 => Operation::GetUpValue {
            dest: r.r()?,
            source: UpValueIndex(r.u8()?),
        },
        25 => Operation::SetUpValue {
            dest: UpValueIndex(r.u8()?),
            source: r.r()?,
        },
        42 => Operation::Eq {
            skip_if: r.b()?,
            left: r.rc()?,
            right: r.rc()?,
        },
        43 => Operation::Less {
            skip_if: r.b()?,
            left: r.rc()?,
            right: r.rc()?,
        },
        44 => Operation::LessEq {
            skip_if: r.b()?,
            left: r.rc()?,
            right: r.rc()?,
        },
        _ => return Err(VerifyError::Encoding(at)),
    })
}

/// Encodes operations into image code bytes.
pub fn encode_code(ops: impl IntoIterator<Item = Operation>) -> Vec<u8> {
    let mut w = Writer(Vec::new());
    for op in ops {
        write_op(&mut w, op);
    }
    w.0
}

/// Number of operations the code bytes hold, if they decode.
pub fn count_code(bytes: &[u8]) -> Result<usize, VerifyError> {
    let mut r = Reader { bytes, pos: 0 };
    let mut n = 0;
    while r.pos < bytes.len() {
        read_op(&mut r)?;
        n += 1;
    }
    Ok(n)
}

/// Decodes image code bytes into exactly `len` operations.
pub fn decode_code(bytes: &[u8], len: usize) -> Result<Vec<Operation>, VerifyError> {
    let mut r = Reader { bytes, pos: 0 };
    let mut ops = Vec::with_capacity(len.min(bytes.len()));
    while r.pos < bytes.len() {
        ops.push(read_op(&mut r)?);
    }
    if ops.len() != len {
        return Err(perr(format!(
            "code holds {} instructions, header says {len}",
            ops.len()
        )));
    }
    Ok(ops)
}

// ---------------------------------------------------------------------------
// Verification

/// Checks a whole image tree; see the module docs for the rules.
pub fn verify_image(image: &FunctionImage) -> Result<(), VerifyError> {
    verify_rec(image, 0).map(|_| ())
}

fn verify_rec(image: &FunctionImage, depth: usize) -> Result<Vec<Operation>, VerifyError> {
    if depth > MAX_NESTING {
        return Err(perr("prototypes nested too deeply"));
    }
    if image.core != CORE {
        return Err(VerifyError::WrongCore(image.core.clone()));
    }
    let ops = decode_code(&image.code.0, image.code_len as usize)?;
    verify_proto(image, &ops)?;
    for (i, p) in image.protos.iter().enumerate() {
        verify_rec(p, depth + 1).map_err(|e| perr(format!("nested prototype {i}: {e}")))?;
        for (u, desc) in p.upvalues.iter().enumerate() {
            match *desc {
                ImageUpvalue::Env => {}
                ImageUpvalue::ParentLocal(r) => {
                    if r as usize >= image.stack_size as usize {
                        return Err(perr(format!(
                            "nested prototype {i} upvalue {u} names register {r} of {}",
                            image.stack_size
                        )));
                    }
                }
                ImageUpvalue::Outer(o) => {
                    if o as usize >= image.upvalues.len() {
                        return Err(perr(format!(
                            "nested prototype {i} upvalue {u} names upvalue {o} of {}",
                            image.upvalues.len()
                        )));
                    }
                }
            }
        }
    }
    Ok(ops)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Top {
    Fixed,
    /// The stack ends at this register plus a variable number of values.
    Variable(usize),
}

fn verify_proto(image: &FunctionImage, ops: &[Operation]) -> Result<(), VerifyError> {
    let n = ops.len();
    let s = image.stack_size as usize;
    if n == 0 {
        return Err(perr("empty code"));
    }
    if s > 256 {
        return Err(perr(format!("stack size {s} exceeds 256 registers")));
    }
    if image.params as usize > s {
        return Err(perr("more parameters than registers"));
    }
    if image.constants.len() > u16::MAX as usize + 1 {
        return Err(perr("too many constants"));
    }
    if image.upvalues.len() > 255 || image.protos.len() > 256 {
        return Err(perr("too many upvalues or prototypes"));
    }
    // Line table: non-empty, starts at 0, strictly ascending, inside the code.
    match image.lines.first() {
        Some((0, _)) => {}
        _ => return Err(perr("line table must start at instruction 0")),
    }
    for w in image.lines.windows(2) {
        if w[0].0 >= w[1].0 {
            return Err(perr("line table is not ascending"));
        }
    }
    if image.lines.iter().any(|(pc, _)| *pc as usize >= n) {
        return Err(perr("line table names an instruction past the end"));
    }

    let c = image.constants.len();
    let u = image.upvalues.len();
    let p = image.protos.len();

    let mut tops: Vec<Option<Top>> = vec![None; n];
    let mut work = vec![(0usize, Top::Fixed)];
    // Operand checks for every instruction, reachable or not.
    for (pc, op) in ops.iter().enumerate() {
        check_operands(*op, s, c, u, p)
            .map_err(|detail| VerifyError::Instruction { pc, detail })?;
    }
    while let Some((pc, top)) = work.pop() {
        let ierr = |detail: String| VerifyError::Instruction { pc, detail };
        match tops[pc] {
            Some(t) if t == top => continue,
            Some(_) => return Err(ierr("reached with different stack tops".into())),
            None => tops[pc] = Some(top),
        }
        let op = ops[pc];
        let (next_top, succ) = flow(op, pc, top).map_err(ierr)?;
        for target in succ {
            let t = target.ok_or_else(|| ierr("jump or skip leaves the code".into()))?;
            if t >= n {
                return Err(ierr("jump, skip or fall-through leaves the code".into()));
            }
            work.push((t, next_top));
        }
    }
    Ok(())
}

fn target(pc: usize, offset: i16) -> Option<usize> {
    (pc as i64 + 1 + offset as i64).try_into().ok()
}

/// The stack top after `op` and its successors.
fn flow(op: Operation, pc: usize, top: Top) -> Result<(Top, Vec<Option<usize>>), String> {
    let next = Some(pc + 1);
    let skip = Some(pc + 2);
    let need_fixed = |what: &str| -> Result<(), String> {
        match top {
            Top::Fixed => Ok(()),
            Top::Variable(_) => Err(format!("{what} while a variable result list is pending")),
        }
    };
    // A variable count must be consumed right where it is pending, at a
    // register that keeps the count non-negative.
    let consume = |var: bool, reg: usize, slack: usize| -> Result<(), String> {
        match (var, top) {
            (false, Top::Fixed) => Ok(()),
            (true, Top::Variable(t)) if reg + slack <= t => Ok(()),
            (true, Top::Variable(_)) => Err("variable results start below the consumer".into()),
            (true, Top::Fixed) => Err("variable count without pending results".into()),
            (false, Top::Variable(_)) => Err("pending variable results not consumed".into()),
        }
    };
    Ok(match op {
        Operation::Call {
            func,
            args,
            returns,
        } => {
            consume(args.is_variable(), func.0 as usize, 1)?;
            let t = if returns.is_variable() {
                Top::Variable(func.0 as usize)
            } else {
                Top::Fixed
            };
            (t, vec![next])
        }
        Operation::TailCall { func, args } => {
            consume(args.is_variable(), func.0 as usize, 1)?;
            (Top::Fixed, vec![])
        }
        Operation::Return { start, count } => {
            consume(count.is_variable(), start.0 as usize, 0)?;
            (Top::Fixed, vec![])
        }
        Operation::SetList { base, count } => {
            consume(count.is_variable(), base.0 as usize, 2)?;
            (Top::Fixed, vec![next])
        }
        Operation::VarArgs { dest, count } => {
            need_fixed("VarArgs")?;
            let t = if count.is_variable() {
                Top::Variable(dest.0 as usize)
            } else {
                Top::Fixed
            };
            (t, vec![next])
        }
        other => {
            need_fixed("instruction")?;
            let succ = match other {
                Operation::Jump { offset, .. } => vec![target(pc, offset)],
                Operation::LoadBool { skip_next, .. } => {
                    if skip_next {
                        vec![skip]
                    } else {
                        vec![next]
                    }
                }
                Operation::Test { .. }
                | Operation::TestSet { .. }
                | Operation::Eq { .. }
                | Operation::Less { .. }
                | Operation::LessEq { .. } => vec![next, skip],
                Operation::NumericForPrep { jump, .. } => vec![target(pc, jump)],
                Operation::NumericForLoop { jump, .. } | Operation::GenericForLoop { jump, .. } => {
                    vec![next, target(pc, jump)]
                }
                _ => vec![next],
            };
            (Top::Fixed, succ)
        }
    })
}

fn check_operands(op: Operation, s: usize, c: usize, u: usize, p: usize) -> Result<(), String> {
    let reg = |r: RegisterIndex, extra: usize, what: &str| -> Result<(), String> {
        if (r.0 as usize) + extra < s {
            Ok(())
        } else {
            Err(format!(
                "{what} register {} (+{extra}) outside stack of {s}",
                r.0
            ))
        }
    };
    let span = |r: RegisterIndex, count: usize, what: &str| -> Result<(), String> {
        if r.0 as usize + count <= s {
            Ok(())
        } else {
            Err(format!(
                "{what} registers {}..+{count} outside stack of {s}",
                r.0
            ))
        }
    };
    let rc = |x: RCIndex| -> Result<(), String> {
        match x {
            RCIndex::Register(r) => reg(r, 0, "operand"),
            RCIndex::Constant(k) => {
                if (k.0 as usize) < c {
                    Ok(())
                } else {
                    Err(format!("constant {} of {c}", k.0))
                }
            }
        }
    };
    let upv = |i: UpValueIndex| -> Result<(), String> {
        if (i.0 as usize) < u {
            Ok(())
        } else {
            Err(format!("upvalue {} of {u}", i.0))
        }
    };
    match op {
        Operation::Move { dest, source } => {
            reg(dest, 0, "dest")?;
            reg(source, 0, "source")
        }
        Operation::LoadConstant { dest, constant } => {
            reg(dest, 0, "dest")?;
            if (constant.0 as usize) < c {
                Ok(())
            } else {
                Err(format!("constant {} of {c}", constant.0))
            }
        }
        Operation::LoadBool { dest, .. } => reg(dest, 0, "dest"),
        Operation::LoadNil { dest, count } => {
            reg(dest, 0, "dest")?;
            span(dest, count as usize, "nil")
        }
        Operation::NewTable { dest, .. } => reg(dest, 0, "dest"),
        Operation::GetTable { dest, table, key } => {
            reg(dest, 0, "dest")?;
            reg(table, 0, "table")?;
            rc(key)
        }
        Operation::SetTable { table, key, value } => {
            reg(table, 0, "table")?;
            rc(key)?;
            rc(value)
        }
        Operation::GetUpTable { dest, table, key } => {
            reg(dest, 0, "dest")?;
            upv(table)?;
            rc(key)
        }
        Operation::SetUpTable { table, key, value } => {
            upv(table)?;
            rc(key)?;
            rc(value)
        }
        Operation::SetList { base, count } => {
            reg(base, 1, "list")?;
            match count.to_constant() {
                Some(k) => span(base, 2 + k as usize, "list"),
                None => Ok(()),
            }
        }
        Operation::Call {
            func,
            args,
            returns,
        } => {
            reg(func, 0, "function")?;
            if let Some(a) = args.to_constant() {
                span(func, 1 + a as usize, "arguments")?;
            }
            if let Some(r) = returns.to_constant() {
                span(func, r as usize, "results")?;
            }
            Ok(())
        }
        Operation::TailCall { func, args } => {
            reg(func, 0, "function")?;
            match args.to_constant() {
                Some(a) => span(func, 1 + a as usize, "arguments"),
                None => Ok(()),
            }
        }
        Operation::Return { start, count } => match count.to_constant() {
            Some(k) => span(start, k as usize, "results"),
            None => span(start, 0, "results"),
        },
        Operation::VarArgs { dest, count } => match count.to_constant() {
            Some(k) => span(dest, k as usize, "varargs"),
            None => span(dest, 0, "varargs"),
        },
        Operation::Jump { close_upvalues, .. } => match close_upvalues.to_u8() {
            Some(r) => span(RegisterIndex(r), 0, "close"),
            None => Ok(()),
        },
        Operation::Test { value, .. } => reg(value, 0, "test"),
        Operation::TestSet { dest, value, .. } => {
            reg(dest, 0, "dest")?;
            reg(value, 0, "test")
        }
        Operation::Closure { dest, proto } => {
            reg(dest, 0, "dest")?;
            if (proto.0 as usize) < p {
                Ok(())
            } else {
                Err(format!("prototype {} of {p}", proto.0))
            }
        }
        Operation::NumericForPrep { base, .. } => reg(base, 2, "for"),
        Operation::NumericForLoop { base, .. } => reg(base, 3, "for"),
        Operation::GenericForCall { base, var_count } => {
            reg(base, 2, "for")?;
            span(base, 3 + var_count as usize, "for results")
        }
        Operation::GenericForLoop { base, .. } => reg(base, 1, "for"),
        Operation::Method { base, table, key } => {
            reg(base, 1, "method")?;
            reg(table, 0, "table")?;
            rc(key)
        }
        Operation::Concat {
            dest,
            source,
            count,
        } => {
            reg(dest, 0, "dest")?;
            span(source, count as usize, "concat")
        }
        Operation::GetUpValue { dest, source } => {
            reg(dest, 0, "dest")?;
            upv(source)
        }
        Operation::SetUpValue { dest, source } => {
            upv(dest)?;
            reg(source, 0, "source")
        }
        Operation::Length { dest, source }
        | Operation::Not { dest, source }
        | Operation::Minus { dest, source }
        | Operation::BitNot { dest, source } => {
            reg(dest, 0, "dest")?;
            reg(source, 0, "source")
        }
        Operation::Eq { left, right, .. }
        | Operation::Less { left, right, .. }
        | Operation::LessEq { left, right, .. } => {
            rc(left)?;
            rc(right)
        }
        Operation::Add { dest, left, right }
        | Operation::Sub { dest, left, right }
        | Operation::Mul { dest, left, right }
        | Operation::Div { dest, left, right }
        | Operation::IDiv { dest, left, right }
        | Operation::Mod { dest, left, right }
        | Operation::Pow { dest, left, right }
        | Operation::BitAnd { dest, left, right }
        | Operation::BitOr { dest, left, right }
        | Operation::BitXor { dest, left, right }
        | Operation::ShiftLeft { dest, left, right }
        | Operation::ShiftRight { dest, left, right } => {
            reg(dest, 0, "dest")?;
            rc(left)?;
            rc(right)
        }
    }
}

// ---------------------------------------------------------------------------
// Prototype <-> image

/// Makes the image of a piccolo prototype tree.
pub fn image_of(proto: &FunctionPrototype<'_>) -> FunctionImage {
    let (name, line_defined) = match proto.reference {
        FunctionRef::Named(n, l) => (Some(ByteBuf(n.as_bytes().to_vec())), l.0 + 1),
        FunctionRef::Expression(l) => (None, l.0 + 1),
        FunctionRef::Chunk => (None, 0),
    };
    FunctionImage {
        core: CORE.to_string(),
        chunk_name: ByteBuf(proto.chunk_name.as_bytes().to_vec()),
        name,
        line_defined,
        params: proto.fixed_params,
        varargs: proto.has_varargs,
        stack_size: proto.stack_size,
        constants: proto
            .constants
            .iter()
            .map(|c| match c {
                Constant::Nil => ImageConstant::Nil,
                Constant::Boolean(b) => ImageConstant::Bool(*b),
                Constant::Integer(i) => ImageConstant::Int(*i),
                Constant::Number(n) => ImageConstant::Float(*n),
                Constant::String(s) => ImageConstant::Str(ByteBuf(s.as_bytes().to_vec())),
            })
            .collect(),
        code: ByteBuf(encode_code(proto.opcodes.iter().map(|op| op.decode()))),
        code_len: proto.opcodes.len() as u32,
        lines: proto
            .opcode_line_numbers
            .iter()
            .map(|(pc, l)| (*pc as u64, l.0))
            .collect(),
        upvalues: proto
            .upvalues
            .iter()
            .map(|u| match u {
                UpValueDescriptor::Environment => ImageUpvalue::Env,
                UpValueDescriptor::ParentLocal(r) => ImageUpvalue::ParentLocal(r.0),
                UpValueDescriptor::Outer(o) => ImageUpvalue::Outer(o.0),
            })
            .collect(),
        protos: proto.prototypes.iter().map(|p| image_of(p)).collect(),
    }
}

/// Verifies `image` and builds the piccolo prototype tree from it.
pub fn prototype_of<'gc>(
    ctx: Context<'gc>,
    image: &FunctionImage,
) -> Result<Gc<'gc, FunctionPrototype<'gc>>, VerifyError> {
    verify_image(image)?;
    Ok(build(ctx, image))
}

fn build<'gc>(ctx: Context<'gc>, image: &FunctionImage) -> Gc<'gc, FunctionPrototype<'gc>> {
    let mc: &Mutation<'gc> = &ctx;
    let alloc = MetricsAlloc::new(mc);
    // Verified: decoding succeeds.
    let ops = decode_code(&image.code.0, image.code_len as usize).unwrap_or_default();
    let mut constants = AVec::new_in(alloc.clone());
    constants.extend(image.constants.iter().map(|c| match c {
        ImageConstant::Nil => Constant::Nil,
        ImageConstant::Bool(b) => Constant::Boolean(*b),
        ImageConstant::Int(i) => Constant::Integer(*i),
        ImageConstant::Float(f) => Constant::Number(*f),
        ImageConstant::Str(s) => Constant::String(ctx.intern(&s.0)),
    }));
    let mut opcodes = AVec::new_in(alloc.clone());
    opcodes.extend(ops.into_iter().map(OpCode::encode));
    let mut lines = AVec::new_in(alloc.clone());
    lines.extend(
        image
            .lines
            .iter()
            .map(|(pc, l)| (*pc as usize, LineNumber(*l))),
    );
    let mut upvalues = AVec::new_in(alloc.clone());
    upvalues.extend(image.upvalues.iter().map(|u| match u {
        ImageUpvalue::Env => UpValueDescriptor::Environment,
        ImageUpvalue::ParentLocal(r) => UpValueDescriptor::ParentLocal(RegisterIndex(*r)),
        ImageUpvalue::Outer(o) => UpValueDescriptor::Outer(UpValueIndex(*o)),
    }));
    let mut protos = AVec::new_in(alloc);
    protos.extend(image.protos.iter().map(|p| build(ctx, p)));
    let reference = match (&image.name, image.line_defined) {
        (Some(n), l) => FunctionRef::Named(ctx.intern(&n.0), LineNumber(l.saturating_sub(1))),
        (None, 0) => FunctionRef::Chunk,
        (None, l) => FunctionRef::Expression(LineNumber(l - 1)),
    };
    Gc::new(
        mc,
        FunctionPrototype {
            chunk_name: ctx.intern(&image.chunk_name.0),
            reference,
            fixed_params: image.params,
            has_varargs: image.varargs,
            stack_size: image.stack_size,
            constants: constants.into_boxed_slice(),
            opcodes: opcodes.into_boxed_slice(),
            opcode_line_numbers: lines.into_boxed_slice(),
            upvalues: upvalues.into_boxed_slice(),
            prototypes: protos.into_boxed_slice(),
        },
    )
}

/// A prototype that returns the values of its `n` upvalues (`n <= 200`): the
/// host reads upvalues that are still open on the running thread by calling
/// a closure made from it.
pub fn upvalue_reader<'gc>(ctx: Context<'gc>, n: u8) -> Gc<'gc, FunctionPrototype<'gc>> {
    let mut ops: Vec<Operation> = (0..n)
        .map(|i| Operation::GetUpValue {
            dest: RegisterIndex(i),
            source: UpValueIndex(i),
        })
        .collect();
    ops.push(Operation::Return {
        start: RegisterIndex(0),
        count: VarCount::constant(n),
    });
    let image = FunctionImage {
        core: CORE.to_string(),
        chunk_name: ByteBuf(b"=[home]".to_vec()),
        name: None,
        line_defined: 0,
        params: 0,
        varargs: false,
        stack_size: (n as u16).max(1),
        constants: Vec::new(),
        code_len: ops.len() as u32,
        code: ByteBuf(encode_code(ops)),
        lines: vec![(0, 0)],
        upvalues: (0..n).map(ImageUpvalue::Outer).collect(),
        protos: Vec::new(),
    };
    build(ctx, &image)
}
