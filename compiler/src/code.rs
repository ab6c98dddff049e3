//! Code generation helpers: expression descriptors, registers, constants and
//! jump lists, in the shape of PUC Lua 5.4's `lcode.c` (expressions are kept
//! undischarged as long as possible so `a.b.c = x` or `if x < 1` need no
//! temporaries).

use std::collections::HashMap;

use super::fold;
use crate::bytecode::{Constant, LocalVar, Op, Proto, UpvalueDesc, MAX_REGISTERS};

/// "no jump" in jump lists.
pub const NO_JUMP: i32 = -1;
/// "no register" for `patch_test_reg`.
const NO_REG: usize = usize::MAX;
/// Largest immediate in `LoadI`/`LoadF`.
const MAX_SBX: i64 = (1 << 24) - 1;

/// Where an expression's value is, or how to get it.
#[derive(Clone, Debug, PartialEq)]
pub enum ExpKind {
    /// No value (an empty expression list).
    Void,
    Nil,
    True,
    False,
    /// A constant already in the table.
    K(u32),
    KFlt(f64),
    KInt(i64),
    KStr(Box<[u8]>),
    /// In a fixed register.
    NonReloc(usize),
    /// A local variable: its register and index in the active-variable list.
    Local {
        reg: usize,
        vidx: usize,
    },
    /// An upvalue.
    Upval(usize),
    /// A compile-time constant: index in the active-variable list.
    Const(usize),
    /// `R[t][R[key]]`
    Indexed {
        t: usize,
        key: usize,
    },
    /// `U[t][KS[key]]`
    IndexUp {
        t: usize,
        key: usize,
    },
    /// `R[t][key]` with a small non-negative integer key.
    IndexInt {
        t: usize,
        key: usize,
    },
    /// `R[t][KS[key]]`
    IndexStr {
        t: usize,
        key: usize,
    },
    /// A comparison or test: `pc` of its jump.
    Jmp(usize),
    /// The instruction at `pc` can write its result to any register.
    Reloc(usize),
    /// A call at `pc`.
    Call(usize),
    /// A vararg expression at `pc`.
    Vararg(usize),
}

/// An expression descriptor with its "exit when true" and "exit when false"
/// jump lists.
#[derive(Clone, Debug)]
pub struct ExpDesc {
    pub k: ExpKind,
    pub t: i32,
    pub f: i32,
}

impl ExpDesc {
    pub fn new(k: ExpKind) -> Self {
        ExpDesc {
            k,
            t: NO_JUMP,
            f: NO_JUMP,
        }
    }

    fn has_jumps(&self) -> bool {
        self.t != self.f
    }

    pub fn is_multi(&self) -> bool {
        matches!(self.k, ExpKind::Call(_) | ExpKind::Vararg(_))
    }
}

/// Kinds of local variables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarKind {
    Regular,
    /// `<const>` with a run-time value (in a register).
    Const,
    /// `<close>`
    Close,
    /// `<const>` whose value is known at compile time (no register).
    CompileTimeConst,
}

/// An active local variable.
#[derive(Clone, Debug)]
pub struct VarDesc {
    pub name: Box<[u8]>,
    pub kind: VarKind,
    /// Register (for kinds other than `CompileTimeConst`).
    pub reg: usize,
    /// Index in the function's debug `locals`.
    pub pidx: usize,
    /// The value of a compile-time constant.
    pub value: Option<ExpKind>,
}

/// Binary operators, in Lua's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
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
    Concat,
    Eq,
    Lt,
    Le,
    Ne,
    Gt,
    Ge,
    And,
    Or,
}

impl BinOp {
    pub fn is_arith(self) -> bool {
        (self as u8) <= (BinOp::Shr as u8)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Minus,
    BNot,
    Not,
    Len,
}

/// A compile error raised by code generation (turned into `chunk:line:` by
/// the parser).
#[derive(Debug)]
pub struct CodeError(pub String);

pub type CResult<T> = Result<T, CodeError>;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum KKey {
    Nil,
    Bool(bool),
    Int(i64),
    Float(u64),
}

/// The state of one function being compiled.
pub struct FuncState {
    pub f: Proto,
    /// The pc of the last jump target (so `LoadNil` merging and the like do
    /// not cross labels).
    pub last_target: usize,
    /// First free register.
    pub free_reg: usize,
    /// Active local variables of this function (compile-time constants
    /// included).
    pub nactvar: usize,
    /// Index of this function's first variable in the parser's list.
    pub first_local: usize,
    /// Index of this function's first label in the parser's list.
    pub first_label: usize,
    /// Whether a `return` must close upvalues or to-be-closed variables.
    pub needs_close: bool,
    /// Whether this function has upvalue-captured or to-be-closed locals
    /// anywhere (drives `Close` on return).
    kcache: HashMap<KKey, u32>,
    scache: HashMap<Box<[u8]>, u32>,
    /// Line for the next instruction.
    pub line: u32,
    /// The kind of each upvalue (for assignments to `<const>` upvalues).
    pub upkinds: Vec<VarKind>,
    /// The open blocks, innermost last.
    pub blocks: Vec<Block>,
}

/// A block being compiled (`BlockCnt`).
#[derive(Clone, Debug)]
pub struct Block {
    /// Index of the first label of this block in the parser's label list.
    pub first_label: usize,
    /// Index of the first pending goto of this block.
    pub first_goto: usize,
    /// Active locals outside the block.
    pub nactvar: usize,
    /// Whether some variable of the block is captured as an upvalue (or is
    /// to-be-closed).
    pub upval: bool,
    pub is_loop: bool,
    /// Whether the block is inside the scope of a to-be-closed variable.
    pub inside_tbc: bool,
}

impl FuncState {
    pub fn new(source: String, line_defined: u32, first_local: usize, first_label: usize) -> Self {
        FuncState {
            f: Proto {
                source,
                line_defined,
                last_line_defined: 0,
                num_params: 0,
                is_vararg: false,
                max_stack: 2,
                code: Vec::new(),
                lines: Vec::new(),
                constants: Vec::new(),
                upvalues: Vec::new(),
                protos: Vec::new(),
                locals: Vec::new(),
            },
            last_target: 0,
            free_reg: 0,
            nactvar: 0,
            first_local,
            first_label,
            needs_close: false,
            kcache: HashMap::new(),
            scache: HashMap::new(),
            line: 1,
            upkinds: Vec::new(),
            blocks: Vec::new(),
        }
    }

    pub fn pc(&self) -> usize {
        self.f.code.len()
    }

    pub fn code(&mut self, op: Op) -> usize {
        self.f.code.push(op);
        self.f.lines.push(self.line);
        self.f.code.len() - 1
    }

    /// Changes the line of the last instruction (`luaK_fixline`).
    pub fn fix_line(&mut self, line: u32) {
        if let Some(l) = self.f.lines.last_mut() {
            *l = line;
        }
    }

    fn prev_op(&self) -> Option<Op> {
        if self.pc() > self.last_target {
            self.f.code.last().copied()
        } else {
            None
        }
    }

    // ---- registers ----

    pub fn check_stack(&mut self, n: usize) -> CResult<()> {
        let new = self.free_reg + n;
        if new > self.f.max_stack as usize {
            if new >= MAX_REGISTERS {
                return Err(CodeError(
                    "function or expression needs too many registers".into(),
                ));
            }
            self.f.max_stack = new as u8;
        }
        Ok(())
    }

    pub fn reserve_regs(&mut self, n: usize) -> CResult<()> {
        self.check_stack(n)?;
        self.free_reg += n;
        Ok(())
    }

    /// The number of registers used by active variables (`luaY_nvarstack`).
    fn free_reg_if_temp(&mut self, reg: usize, nvarstack: usize) {
        if reg >= nvarstack {
            self.free_reg -= 1;
            debug_assert_eq!(reg, self.free_reg);
        }
    }

    fn free_exp(&mut self, e: &ExpDesc, nvarstack: usize) {
        if let ExpKind::NonReloc(r) = e.k {
            self.free_reg_if_temp(r, nvarstack);
        }
    }

    /// Frees two registers in the right order.
    fn free_regs(&mut self, r1: usize, r2: usize, nvarstack: usize) {
        if r1 > r2 {
            self.free_reg_if_temp(r1, nvarstack);
            self.free_reg_if_temp(r2, nvarstack);
        } else {
            self.free_reg_if_temp(r2, nvarstack);
            self.free_reg_if_temp(r1, nvarstack);
        }
    }

    fn free_exps(&mut self, e1: &ExpDesc, e2: &ExpDesc, nvarstack: usize) {
        let r1 = match e1.k {
            ExpKind::NonReloc(r) => Some(r),
            _ => None,
        };
        let r2 = match e2.k {
            ExpKind::NonReloc(r) => Some(r),
            _ => None,
        };
        match (r1, r2) {
            (Some(a), Some(b)) => self.free_regs(a, b, nvarstack),
            (Some(a), None) => self.free_reg_if_temp(a, nvarstack),
            (None, Some(b)) => self.free_reg_if_temp(b, nvarstack),
            (None, None) => {}
        }
    }

    // ---- constants ----

    fn add_k(&mut self, key: KKey, c: Constant) -> CResult<u32> {
        if let Some(&i) = self.kcache.get(&key) {
            return Ok(i);
        }
        let i = self.push_k(c)?;
        self.kcache.insert(key, i);
        Ok(i)
    }

    fn push_k(&mut self, c: Constant) -> CResult<u32> {
        if self.f.constants.len() >= (1 << 26) {
            return Err(CodeError("too many constants".into()));
        }
        self.f.constants.push(c);
        Ok((self.f.constants.len() - 1) as u32)
    }

    pub fn string_k(&mut self, s: &[u8]) -> CResult<u32> {
        if let Some(&i) = self.scache.get(s) {
            return Ok(i);
        }
        let i = self.push_k(Constant::String(s.to_vec()))?;
        self.scache.insert(s.into(), i);
        Ok(i)
    }

    pub fn int_k(&mut self, i: i64) -> CResult<u32> {
        self.add_k(KKey::Int(i), Constant::Integer(i))
    }

    pub fn float_k(&mut self, f: f64) -> CResult<u32> {
        self.add_k(KKey::Float(f.to_bits()), Constant::Float(f))
    }

    fn nil_k(&mut self) -> CResult<u32> {
        self.add_k(KKey::Nil, Constant::Nil)
    }

    fn bool_k(&mut self, b: bool) -> CResult<u32> {
        self.add_k(KKey::Bool(b), Constant::Boolean(b))
    }

    // ---- jumps ----

    fn get_jump(&self, pc: usize) -> i32 {
        match self.f.code[pc] {
            Op::Jmp { sj } if sj != NO_JUMP => pc as i32 + 1 + sj,
            _ => NO_JUMP,
        }
    }

    fn fix_jump(&mut self, pc: usize, dest: usize) -> CResult<()> {
        // A jump to itself (`::a:: goto a`) has the offset that also ends a
        // jump list, as in PUC Lua: such a jump is never patched again.
        let offset = dest as i64 - (pc as i64 + 1);
        if !(i32::MIN as i64..=i32::MAX as i64).contains(&offset) {
            return Err(CodeError("control structure too long".into()));
        }
        self.f.code[pc] = Op::Jmp { sj: offset as i32 };
        Ok(())
    }

    /// Appends list `l2` to list `l1`.
    pub fn concat_jumps(&mut self, l1: &mut i32, l2: i32) -> CResult<()> {
        if l2 == NO_JUMP {
            return Ok(());
        }
        if *l1 == NO_JUMP {
            *l1 = l2;
            return Ok(());
        }
        let mut list = *l1 as usize;
        loop {
            let next = self.get_jump(list);
            if next == NO_JUMP {
                break;
            }
            list = next as usize;
        }
        self.fix_jump(list, l2 as usize)
    }

    pub fn jump(&mut self) -> i32 {
        self.code(Op::Jmp { sj: NO_JUMP }) as i32
    }

    pub fn ret(&mut self, first: usize, nret: i32) {
        let op = match nret {
            0 => Op::Return0,
            1 => Op::Return1 { a: first as u8 },
            _ => Op::Return {
                a: first as u8,
                b: (nret + 1) as u8,
            },
        };
        self.code(op);
    }

    fn cond_jump(&mut self, op: Op) -> i32 {
        self.code(op);
        self.jump()
    }

    /// Marks the current pc as a jump target and returns it.
    pub fn get_label(&mut self) -> usize {
        self.last_target = self.pc();
        self.pc()
    }

    fn jump_control(&self, pc: usize) -> usize {
        if pc >= 1 && is_test_op(&self.f.code[pc - 1]) {
            pc - 1
        } else {
            pc
        }
    }

    /// Patches the destination register of a `TestSet` (or turns it into a
    /// `Test` when no value is needed); false when the control is not one.
    fn patch_test_reg(&mut self, node: usize, reg: usize) -> bool {
        let i = self.jump_control(node);
        let Op::TestSet { b, k, .. } = self.f.code[i] else {
            return false;
        };
        self.f.code[i] = if reg != NO_REG && reg != b as usize {
            Op::TestSet { a: reg as u8, b, k }
        } else {
            Op::Test { a: b, k }
        };
        true
    }

    fn remove_values(&mut self, mut list: i32) {
        while list != NO_JUMP {
            self.patch_test_reg(list as usize, NO_REG);
            list = self.get_jump(list as usize);
        }
    }

    fn patch_list_aux(
        &mut self,
        mut list: i32,
        vtarget: usize,
        reg: usize,
        dtarget: usize,
    ) -> CResult<()> {
        while list != NO_JUMP {
            let next = self.get_jump(list as usize);
            if self.patch_test_reg(list as usize, reg) {
                self.fix_jump(list as usize, vtarget)?;
            } else {
                self.fix_jump(list as usize, dtarget)?;
            }
            list = next;
        }
        Ok(())
    }

    pub fn patch_list(&mut self, list: i32, target: usize) -> CResult<()> {
        self.patch_list_aux(list, target, NO_REG, target)
    }

    pub fn patch_to_here(&mut self, list: i32) -> CResult<()> {
        let here = self.get_label();
        self.patch_list(list, here)
    }

    // ---- loading values ----

    pub fn nil(&mut self, from: usize, n: usize) {
        if let Some(Op::LoadNil { a, n: pn }) = self.prev_op() {
            let pfrom = a as usize;
            let pl = pfrom + pn as usize;
            let l = from + n - 1;
            if (pfrom <= from && from <= pl + 1) || (from <= pfrom && pfrom <= l + 1) {
                let nf = pfrom.min(from);
                let nl = pl.max(l);
                if let Some(last) = self.f.code.last_mut() {
                    *last = Op::LoadNil {
                        a: nf as u8,
                        n: (nl - nf) as u8,
                    };
                }
                return;
            }
        }
        self.code(Op::LoadNil {
            a: from as u8,
            n: (n - 1) as u8,
        });
    }

    fn load_int(&mut self, reg: usize, i: i64) -> CResult<()> {
        if (-MAX_SBX..=MAX_SBX).contains(&i) {
            self.code(Op::LoadI {
                a: reg as u8,
                i: i as i32,
            });
        } else {
            let k = self.int_k(i)?;
            self.code(Op::LoadK { a: reg as u8, k });
        }
        Ok(())
    }

    fn load_float(&mut self, reg: usize, f: f64) -> CResult<()> {
        let fi = f as i64;
        if fi as f64 == f
            && (-MAX_SBX..=MAX_SBX).contains(&fi)
            && !(f == 0.0 && f.is_sign_negative())
        {
            self.code(Op::LoadF {
                a: reg as u8,
                i: fi as i32,
            });
        } else {
            let k = self.float_k(f)?;
            self.code(Op::LoadK { a: reg as u8, k });
        }
        Ok(())
    }

    /// Makes a multi-result expression return `nresults` (-1: all).
    pub fn set_returns(&mut self, e: &ExpDesc, nresults: i32) -> CResult<()> {
        match e.k {
            ExpKind::Call(pc) => {
                if let Op::Call { a, b, .. } = self.f.code[pc] {
                    self.f.code[pc] = Op::Call {
                        a,
                        b,
                        c: (nresults + 1) as u8,
                    };
                }
            }
            ExpKind::Vararg(pc) => {
                let fr = self.free_reg;
                self.f.code[pc] = Op::VarArg {
                    a: fr as u8,
                    c: (nresults + 1) as u8,
                };
                self.reserve_regs(1)?;
            }
            _ => {}
        }
        Ok(())
    }

    pub fn set_mult_ret(&mut self, e: &ExpDesc) -> CResult<()> {
        self.set_returns(e, -1)
    }

    /// Makes a multi-result expression give exactly one value.
    pub fn set_one_ret(&mut self, e: &mut ExpDesc) {
        match e.k {
            ExpKind::Call(pc) => {
                if let Op::Call { a, .. } = self.f.code[pc] {
                    e.k = ExpKind::NonReloc(a as usize);
                }
            }
            ExpKind::Vararg(pc) => {
                self.f.code[pc] = Op::VarArg { a: 0, c: 2 };
                e.k = ExpKind::Reloc(pc);
            }
            _ => {}
        }
    }

    /// Turns a variable or indexing into a value (not yet in a register).
    pub fn discharge_vars(&mut self, e: &mut ExpDesc, vars: &[VarDesc], nvarstack: usize) {
        match e.k.clone() {
            ExpKind::Const(vidx) => {
                e.k = vars[vidx].value.clone().unwrap_or(ExpKind::Nil);
            }
            ExpKind::Local { reg, .. } => e.k = ExpKind::NonReloc(reg),
            ExpKind::Upval(u) => {
                let pc = self.code(Op::GetUpval { a: 0, b: u as u8 });
                e.k = ExpKind::Reloc(pc);
            }
            ExpKind::IndexUp { t, key } => {
                let pc = self.code(Op::GetTabUp {
                    a: 0,
                    up: t as u8,
                    k: key as u16,
                });
                e.k = ExpKind::Reloc(pc);
            }
            ExpKind::IndexInt { t, key } => {
                self.free_reg_if_temp(t, nvarstack);
                let pc = self.code(Op::GetI {
                    a: 0,
                    b: t as u8,
                    c: key as u16,
                });
                e.k = ExpKind::Reloc(pc);
            }
            ExpKind::IndexStr { t, key } => {
                self.free_reg_if_temp(t, nvarstack);
                let pc = self.code(Op::GetField {
                    a: 0,
                    b: t as u8,
                    k: key as u16,
                });
                e.k = ExpKind::Reloc(pc);
            }
            ExpKind::Indexed { t, key } => {
                self.free_regs(t, key, nvarstack);
                let pc = self.code(Op::GetTable {
                    a: 0,
                    b: t as u8,
                    c: key as u8,
                });
                e.k = ExpKind::Reloc(pc);
            }
            ExpKind::Vararg(_) | ExpKind::Call(_) => self.set_one_ret(e),
            _ => {}
        }
    }

    fn discharge_to_reg(
        &mut self,
        e: &mut ExpDesc,
        reg: usize,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        self.discharge_vars(e, vars, nvarstack);
        match e.k.clone() {
            ExpKind::Nil => self.nil(reg, 1),
            ExpKind::False => {
                self.code(Op::LoadFalse { a: reg as u8 });
            }
            ExpKind::True => {
                self.code(Op::LoadTrue { a: reg as u8 });
            }
            ExpKind::KStr(s) => {
                let k = self.string_k(&s)?;
                self.code(Op::LoadK { a: reg as u8, k });
            }
            ExpKind::K(k) => {
                self.code(Op::LoadK { a: reg as u8, k });
            }
            ExpKind::KFlt(f) => self.load_float(reg, f)?,
            ExpKind::KInt(i) => self.load_int(reg, i)?,
            ExpKind::Reloc(pc) => set_a(&mut self.f.code[pc], reg as u8),
            ExpKind::NonReloc(r) => {
                if r != reg {
                    self.code(Op::Move {
                        a: reg as u8,
                        b: r as u8,
                    });
                }
            }
            ExpKind::Jmp(_) => return Ok(()),
            _ => return Ok(()),
        }
        e.k = ExpKind::NonReloc(reg);
        Ok(())
    }

    fn discharge_to_any_reg(
        &mut self,
        e: &mut ExpDesc,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        if !matches!(e.k, ExpKind::NonReloc(_)) {
            self.reserve_regs(1)?;
            let r = self.free_reg - 1;
            self.discharge_to_reg(e, r, vars, nvarstack)?;
        }
        Ok(())
    }

    fn code_load_bool(&mut self, a: usize, op: fn(u8) -> Op) -> usize {
        self.get_label();
        self.code(op(a as u8))
    }

    fn need_value(&self, mut list: i32) -> bool {
        while list != NO_JUMP {
            let i = self.jump_control(list as usize);
            if !matches!(self.f.code[i], Op::TestSet { .. }) {
                return true;
            }
            list = self.get_jump(list as usize);
        }
        false
    }

    fn exp_to_reg(
        &mut self,
        e: &mut ExpDesc,
        reg: usize,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        self.discharge_to_reg(e, reg, vars, nvarstack)?;
        if let ExpKind::Jmp(pc) = e.k {
            let mut t = e.t;
            self.concat_jumps(&mut t, pc as i32)?;
            e.t = t;
        }
        if e.has_jumps() {
            let mut p_f = NO_JUMP;
            let mut p_t = NO_JUMP;
            if self.need_value(e.t) || self.need_value(e.f) {
                let fj = if matches!(e.k, ExpKind::Jmp(_)) {
                    NO_JUMP
                } else {
                    self.jump()
                };
                p_f = self.code_load_bool(reg, |a| Op::LFalseSkip { a }) as i32;
                p_t = self.code_load_bool(reg, |a| Op::LoadTrue { a }) as i32;
                self.patch_to_here(fj)?;
            }
            let end = self.get_label();
            self.patch_list_aux(e.f, end, reg, p_f as usize)?;
            self.patch_list_aux(e.t, end, reg, p_t as usize)?;
        }
        e.f = NO_JUMP;
        e.t = NO_JUMP;
        e.k = ExpKind::NonReloc(reg);
        Ok(())
    }

    /// Puts the value in the next free register.
    pub fn exp_to_next_reg(
        &mut self,
        e: &mut ExpDesc,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        self.discharge_vars(e, vars, nvarstack);
        self.free_exp(e, nvarstack);
        self.reserve_regs(1)?;
        let r = self.free_reg - 1;
        self.exp_to_reg(e, r, vars, nvarstack)
    }

    /// Puts the value in some register and returns it.
    pub fn exp_to_any_reg(
        &mut self,
        e: &mut ExpDesc,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<usize> {
        self.discharge_vars(e, vars, nvarstack);
        if let ExpKind::NonReloc(r) = e.k {
            if !e.has_jumps() {
                return Ok(r);
            }
            if r >= nvarstack {
                self.exp_to_reg(e, r, vars, nvarstack)?;
                return Ok(r);
            }
        }
        self.exp_to_next_reg(e, vars, nvarstack)?;
        match e.k {
            ExpKind::NonReloc(r) => Ok(r),
            _ => Err(CodeError("internal: expression not in a register".into())),
        }
    }

    /// Like `exp_to_any_reg`, but upvalues may stay where they are.
    pub fn exp_to_any_reg_up(
        &mut self,
        e: &mut ExpDesc,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        if !matches!(e.k, ExpKind::Upval(_)) || e.has_jumps() {
            self.exp_to_any_reg(e, vars, nvarstack)?;
        }
        Ok(())
    }

    /// Makes `e` a value: in a register or a constant.
    pub fn exp_to_val(
        &mut self,
        e: &mut ExpDesc,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        // A pending comparison is materialised too (Lua 5.4.8's fix for
        // `_ENV[1 < 2]`).
        if matches!(e.k, ExpKind::Jmp(_)) || e.has_jumps() {
            self.exp_to_any_reg(e, vars, nvarstack)?;
        } else {
            self.discharge_vars(e, vars, nvarstack);
        }
        Ok(())
    }

    /// Tries to make `e` a constant-table entry (index fits `u16`).
    fn exp_to_k(&mut self, e: &mut ExpDesc) -> CResult<bool> {
        if e.has_jumps() {
            return Ok(false);
        }
        let k = match &e.k {
            ExpKind::True => self.bool_k(true)?,
            ExpKind::False => self.bool_k(false)?,
            ExpKind::Nil => self.nil_k()?,
            ExpKind::KInt(i) => self.int_k(*i)?,
            ExpKind::KFlt(f) => self.float_k(*f)?,
            ExpKind::KStr(s) => {
                let s = s.clone();
                self.string_k(&s)?
            }
            ExpKind::K(k) => *k,
            _ => return Ok(false),
        };
        if k <= u16::MAX as u32 {
            e.k = ExpKind::K(k);
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// `RK` operand: a constant index (`kc = true`) or a register.
    fn exp_to_rk(
        &mut self,
        e: &mut ExpDesc,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<(u16, bool)> {
        if self.exp_to_k(e)? {
            if let ExpKind::K(k) = e.k {
                return Ok((k as u16, true));
            }
        }
        let r = self.exp_to_any_reg(e, vars, nvarstack)?;
        Ok((r as u16, false))
    }

    /// Stores `ex` into the variable `var`.
    pub fn store_var(
        &mut self,
        var: &ExpDesc,
        ex: &mut ExpDesc,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        match var.k {
            ExpKind::Local { reg, .. } => {
                self.free_exp(ex, nvarstack);
                return self.exp_to_reg(ex, reg, vars, nvarstack);
            }
            ExpKind::Upval(u) => {
                let e = self.exp_to_any_reg(ex, vars, nvarstack)?;
                self.code(Op::SetUpval {
                    a: e as u8,
                    b: u as u8,
                });
            }
            ExpKind::IndexUp { t, key } => {
                let (c, kc) = self.exp_to_rk(ex, vars, nvarstack)?;
                self.code(Op::SetTabUp {
                    up: t as u8,
                    k: key as u16,
                    c,
                    kc,
                });
            }
            ExpKind::IndexInt { t, key } => {
                let (c, kc) = self.exp_to_rk(ex, vars, nvarstack)?;
                self.code(Op::SetI {
                    a: t as u8,
                    b: key as u16,
                    c,
                    kc,
                });
            }
            ExpKind::IndexStr { t, key } => {
                let (c, kc) = self.exp_to_rk(ex, vars, nvarstack)?;
                self.code(Op::SetField {
                    a: t as u8,
                    k: key as u16,
                    c,
                    kc,
                });
            }
            ExpKind::Indexed { t, key } => {
                let (c, kc) = self.exp_to_rk(ex, vars, nvarstack)?;
                self.code(Op::SetTable {
                    a: t as u8,
                    b: key as u8,
                    c,
                    kc,
                });
            }
            _ => return Err(CodeError("internal: invalid assignment target".into())),
        }
        self.free_exp(ex, nvarstack);
        Ok(())
    }

    /// `e:key` method lookup: `R[a] := e[key]; R[a+1] := e`.
    pub fn self_op(
        &mut self,
        e: &mut ExpDesc,
        key: &mut ExpDesc,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        let ereg = self.exp_to_any_reg(e, vars, nvarstack)?;
        self.free_exp(e, nvarstack);
        let base = self.free_reg;
        e.k = ExpKind::NonReloc(base);
        self.reserve_regs(2)?;
        let (c, kc) = self.exp_to_rk(key, vars, nvarstack)?;
        self.code(Op::SelfOp {
            a: base as u8,
            b: ereg as u8,
            c,
            kc,
        });
        self.free_exp(key, nvarstack);
        Ok(())
    }

    fn negate_condition(&mut self, e: &ExpDesc) {
        if let ExpKind::Jmp(pc) = e.k {
            let i = self.jump_control(pc);
            negate(&mut self.f.code[i]);
        }
    }

    fn jump_on_cond(
        &mut self,
        e: &mut ExpDesc,
        cond: bool,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<i32> {
        if let ExpKind::Reloc(pc) = e.k {
            if let Op::Not { b, .. } = self.f.code[pc] {
                // Remove the `not` and jump on the opposite condition.
                self.f.code.pop();
                self.f.lines.pop();
                return Ok(self.cond_jump(Op::Test { a: b, k: !cond }));
            }
        }
        self.discharge_to_any_reg(e, vars, nvarstack)?;
        self.free_exp(e, nvarstack);
        let r = match e.k {
            ExpKind::NonReloc(r) => r,
            _ => 0,
        };
        Ok(self.cond_jump(Op::TestSet {
            a: NO_REG_U8,
            b: r as u8,
            k: cond,
        }))
    }

    /// Emits code to go through if `e` is true, jump otherwise.
    pub fn go_if_true(
        &mut self,
        e: &mut ExpDesc,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        self.discharge_vars(e, vars, nvarstack);
        let pc = match e.k {
            ExpKind::Jmp(pc) => {
                self.negate_condition(e);
                pc as i32
            }
            ExpKind::K(_)
            | ExpKind::KFlt(_)
            | ExpKind::KInt(_)
            | ExpKind::KStr(_)
            | ExpKind::True => NO_JUMP,
            _ => self.jump_on_cond(e, false, vars, nvarstack)?,
        };
        let mut f = e.f;
        self.concat_jumps(&mut f, pc)?;
        e.f = f;
        self.patch_to_here(e.t)?;
        e.t = NO_JUMP;
        Ok(())
    }

    /// Emits code to go through if `e` is false, jump otherwise.
    pub fn go_if_false(
        &mut self,
        e: &mut ExpDesc,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        self.discharge_vars(e, vars, nvarstack);
        let pc = match e.k {
            ExpKind::Jmp(pc) => pc as i32,
            ExpKind::Nil | ExpKind::False => NO_JUMP,
            _ => self.jump_on_cond(e, true, vars, nvarstack)?,
        };
        let mut t = e.t;
        self.concat_jumps(&mut t, pc)?;
        e.t = t;
        self.patch_to_here(e.f)?;
        e.f = NO_JUMP;
        Ok(())
    }

    fn code_not(&mut self, e: &mut ExpDesc, vars: &[VarDesc], nvarstack: usize) -> CResult<()> {
        match e.k {
            ExpKind::Nil | ExpKind::False => e.k = ExpKind::True,
            ExpKind::K(_)
            | ExpKind::KFlt(_)
            | ExpKind::KInt(_)
            | ExpKind::KStr(_)
            | ExpKind::True => e.k = ExpKind::False,
            ExpKind::Jmp(_) => self.negate_condition(e),
            _ => {
                self.discharge_to_any_reg(e, vars, nvarstack)?;
                self.free_exp(e, nvarstack);
                let r = match e.k {
                    ExpKind::NonReloc(r) => r,
                    _ => 0,
                };
                let pc = self.code(Op::Not { a: 0, b: r as u8 });
                e.k = ExpKind::Reloc(pc);
            }
        }
        std::mem::swap(&mut e.f, &mut e.t);
        self.remove_values(e.f);
        self.remove_values(e.t);
        Ok(())
    }

    /// `t[k]`: `t` must already be a local, an upvalue or in a register.
    pub fn indexed(
        &mut self,
        t: &mut ExpDesc,
        k: &mut ExpDesc,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        if let ExpKind::KStr(s) = &k.k {
            let s = s.clone();
            let idx = self.string_k(&s)?;
            k.k = ExpKind::K(idx);
        }
        let k_str = match k.k {
            ExpKind::K(i) if !k.has_jumps() && i <= u16::MAX as u32 => {
                matches!(self.f.constants[i as usize], Constant::String(_)).then_some(i as usize)
            }
            _ => None,
        };
        if let ExpKind::Upval(u) = t.k {
            if let Some(key) = k_str {
                t.k = ExpKind::IndexUp { t: u, key };
                return Ok(());
            }
            // Not a constant string key: put the upvalue in a register.
            self.exp_to_any_reg(t, vars, nvarstack)?;
        }
        let treg = match t.k {
            ExpKind::Local { reg, .. } | ExpKind::NonReloc(reg) => reg,
            _ => self.exp_to_any_reg(t, vars, nvarstack)?,
        };
        if let Some(key) = k_str {
            t.k = ExpKind::IndexStr { t: treg, key };
        } else if let (ExpKind::KInt(i), false) = (&k.k, k.has_jumps()) {
            if (0..=u16::MAX as i64).contains(i) {
                t.k = ExpKind::IndexInt {
                    t: treg,
                    key: *i as usize,
                };
            } else {
                let key = self.exp_to_any_reg(k, vars, nvarstack)?;
                t.k = ExpKind::Indexed { t: treg, key };
            }
        } else {
            let key = self.exp_to_any_reg(k, vars, nvarstack)?;
            t.k = ExpKind::Indexed { t: treg, key };
        }
        Ok(())
    }

    /// Numeric value of a constant expression, for folding.
    fn numeral(e: &ExpDesc) -> Option<fold::Num> {
        if e.has_jumps() {
            return None;
        }
        match e.k {
            ExpKind::KInt(i) => Some(fold::Num::Int(i)),
            ExpKind::KFlt(f) => Some(fold::Num::Flt(f)),
            _ => None,
        }
    }

    fn const_fold(op: BinOp, e1: &mut ExpDesc, e2: &ExpDesc) -> bool {
        let (Some(a), Some(b)) = (Self::numeral(e1), Self::numeral(e2)) else {
            return false;
        };
        match fold::fold(op, a, b) {
            Some(fold::Num::Int(i)) => {
                e1.k = ExpKind::KInt(i);
                true
            }
            Some(fold::Num::Flt(f)) => {
                if f.is_nan() || f == 0.0 {
                    // Folding would lose -0.0 or produce NaN keys.
                    return false;
                }
                e1.k = ExpKind::KFlt(f);
                true
            }
            None => false,
        }
    }

    pub fn prefix(
        &mut self,
        op: UnOp,
        e: &mut ExpDesc,
        line: u32,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        self.discharge_vars(e, vars, nvarstack);
        match op {
            UnOp::Minus | UnOp::BNot => {
                if let Some(n) = Self::numeral(e) {
                    if let Some(r) = fold::fold_unary(op, n) {
                        match r {
                            fold::Num::Int(i) => {
                                e.k = ExpKind::KInt(i);
                                return Ok(());
                            }
                            fold::Num::Flt(f) if f != 0.0 && !f.is_nan() => {
                                e.k = ExpKind::KFlt(f);
                                return Ok(());
                            }
                            _ => {}
                        }
                    }
                }
                self.code_unexp(op, e, line, vars, nvarstack)
            }
            UnOp::Len => self.code_unexp(op, e, line, vars, nvarstack),
            UnOp::Not => self.code_not(e, vars, nvarstack),
        }
    }

    fn code_unexp(
        &mut self,
        op: UnOp,
        e: &mut ExpDesc,
        line: u32,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        let r = self.exp_to_any_reg(e, vars, nvarstack)? as u8;
        self.free_exp(e, nvarstack);
        let ins = match op {
            UnOp::Minus => Op::Unm { a: 0, b: r },
            UnOp::BNot => Op::BNot { a: 0, b: r },
            UnOp::Len => Op::Len { a: 0, b: r },
            UnOp::Not => Op::Not { a: 0, b: r },
        };
        let pc = self.code(ins);
        e.k = ExpKind::Reloc(pc);
        self.fix_line(line);
        Ok(())
    }

    /// Processes the first operand of a binary operator before the second
    /// is read.
    pub fn infix(
        &mut self,
        op: BinOp,
        v: &mut ExpDesc,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        self.discharge_vars(v, vars, nvarstack);
        match op {
            BinOp::And => self.go_if_true(v, vars, nvarstack)?,
            BinOp::Or => self.go_if_false(v, vars, nvarstack)?,
            BinOp::Concat => self.exp_to_next_reg(v, vars, nvarstack)?,
            BinOp::Add
            | BinOp::Sub
            | BinOp::Mul
            | BinOp::Div
            | BinOp::Mod
            | BinOp::IDiv
            | BinOp::Pow
            | BinOp::BAnd
            | BinOp::BOr
            | BinOp::BXor
            | BinOp::Shl
            | BinOp::Shr => {
                if Self::numeral(v).is_none() {
                    self.exp_to_any_reg(v, vars, nvarstack)?;
                }
            }
            BinOp::Eq | BinOp::Ne => {
                if Self::numeral(v).is_none() {
                    self.exp_to_rk_keep(v, vars, nvarstack)?;
                }
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                if Self::cmp_imm(v).is_none() {
                    self.exp_to_any_reg(v, vars, nvarstack)?;
                }
            }
        }
        Ok(())
    }

    /// For `==`: keep constants as constants, otherwise a register.
    fn exp_to_rk_keep(
        &mut self,
        e: &mut ExpDesc,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        if !self.exp_to_k(e)? {
            self.exp_to_any_reg(e, vars, nvarstack)?;
        }
        Ok(())
    }

    /// An operand of an order comparison that fits an immediate: the
    /// integer, and whether the numeral was a float with an integral value
    /// (`x > 4.0`), as PUC Lua's `isSCnumber`.
    fn cmp_imm(e: &ExpDesc) -> Option<(i16, bool)> {
        match Self::numeral(e) {
            Some(fold::Num::Int(i)) if (i16::MIN as i64..=i16::MAX as i64).contains(&i) => {
                Some((i as i16, false))
            }
            Some(fold::Num::Flt(f))
                if f.fract() == 0.0 && (i16::MIN as f64..=i16::MAX as f64).contains(&f) =>
            {
                Some((f as i16, true))
            }
            _ => None,
        }
    }

    fn imm_operand(e: &ExpDesc) -> Option<i16> {
        match Self::cmp_imm(e) {
            Some((i, false)) => Some(i),
            _ => None,
        }
    }

    /// Finishes a binary operation once both operands are read.
    pub fn posfix(
        &mut self,
        op: BinOp,
        e1: &mut ExpDesc,
        e2: &mut ExpDesc,
        line: u32,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        self.discharge_vars(e2, vars, nvarstack);
        if op.is_arith() && Self::const_fold(op, e1, e2) {
            return Ok(());
        }
        match op {
            BinOp::And => {
                let mut f = e2.f;
                self.concat_jumps(&mut f, e1.f)?;
                e2.f = f;
                *e1 = e2.clone();
            }
            BinOp::Or => {
                let mut t = e2.t;
                self.concat_jumps(&mut t, e1.t)?;
                e2.t = t;
                *e1 = e2.clone();
            }
            BinOp::Concat => {
                self.exp_to_next_reg(e2, vars, nvarstack)?;
                self.code_concat(e1, e2, line, nvarstack)?;
            }
            BinOp::Add | BinOp::Mul => self.code_commutative(op, e1, e2, line, vars, nvarstack)?,
            // `x - i` stays `SubK` (not `AddI` of `-i`): a metamethod must see `__sub`.
            BinOp::Sub => self.code_arith(op, e1, e2, line, vars, nvarstack)?,
            BinOp::Div | BinOp::IDiv | BinOp::Mod | BinOp::Pow => {
                self.code_arith(op, e1, e2, line, vars, nvarstack)?
            }
            BinOp::BAnd | BinOp::BOr | BinOp::BXor => {
                self.code_bitwise(op, e1, e2, line, vars, nvarstack)?
            }
            BinOp::Shl => {
                if let Some(i) = Self::imm_operand(e1) {
                    // `i << x`: the immediate is the first operand.
                    std::mem::swap(e1, e2);
                    self.code_bin_imm(e1, e2, line, vars, nvarstack, |a, b| Op::ShlI { a, b, i })?;
                } else {
                    self.code_bin_rr(op, e1, e2, line, vars, nvarstack)?;
                }
            }
            BinOp::Shr => {
                if let Some(i) = Self::imm_operand(e2) {
                    self.code_bin_imm(e1, e2, line, vars, nvarstack, |a, b| Op::ShrI { a, b, i })?;
                } else {
                    self.code_bin_rr(op, e1, e2, line, vars, nvarstack)?;
                }
            }
            BinOp::Eq | BinOp::Ne => self.code_eq(op, e1, e2, vars, nvarstack)?,
            BinOp::Gt | BinOp::Ge => {
                // `a > b` is `b < a`, unless `a` can use an immediate form.
                if let Some((i, float)) = Self::cmp_imm(e2) {
                    let r1 = self.exp_to_any_reg(e1, vars, nvarstack)? as u8;
                    self.free_exp(e1, nvarstack);
                    let (a, k) = (r1, true);
                    let ins = match (op == BinOp::Gt, float) {
                        (true, false) => Op::GtI { a, i, k },
                        (false, false) => Op::GeI { a, i, k },
                        (true, true) => Op::GtF { a, i, k },
                        (false, true) => Op::GeF { a, i, k },
                    };
                    e1.k = ExpKind::Jmp(self.cond_jump(ins) as usize);
                } else {
                    std::mem::swap(e1, e2);
                    let op = if op == BinOp::Gt {
                        BinOp::Lt
                    } else {
                        BinOp::Le
                    };
                    self.code_order(op, e1, e2, vars, nvarstack)?;
                }
            }
            BinOp::Lt | BinOp::Le => self.code_order(op, e1, e2, vars, nvarstack)?,
        }
        Ok(())
    }

    fn code_concat(
        &mut self,
        e1: &mut ExpDesc,
        e2: &ExpDesc,
        line: u32,
        nvarstack: usize,
    ) -> CResult<()> {
        let r1 = match e1.k {
            ExpKind::NonReloc(r) => r,
            _ => return Err(CodeError("internal: concat operand".into())),
        };
        if let Some(Op::Concat { a, n }) = self.f.code.last().copied() {
            if a as usize == r1 + 1 && self.pc() > self.last_target {
                // Merge `e1 .. (a .. b)` into one instruction.
                self.free_exp(e2, nvarstack);
                if let Some(last) = self.f.code.last_mut() {
                    *last = Op::Concat {
                        a: r1 as u8,
                        n: n + 1,
                    };
                }
                return Ok(());
            }
        }
        self.code(Op::Concat { a: r1 as u8, n: 2 });
        self.free_exp(e2, nvarstack);
        self.fix_line(line);
        Ok(())
    }

    fn finish_bin(&mut self, e1: &mut ExpDesc, e2: &ExpDesc, ins: Op, line: u32, nvarstack: usize) {
        self.free_exps(e1, e2, nvarstack);
        let pc = self.code(ins);
        e1.k = ExpKind::Reloc(pc);
        self.fix_line(line);
    }

    fn code_bin_rr(
        &mut self,
        op: BinOp,
        e1: &mut ExpDesc,
        e2: &mut ExpDesc,
        line: u32,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        let r2 = self.exp_to_any_reg(e2, vars, nvarstack)? as u8;
        let r1 = self.exp_to_any_reg(e1, vars, nvarstack)? as u8;
        let (a, b, c) = (0, r1, r2);
        let ins = match op {
            BinOp::Add => Op::Add { a, b, c },
            BinOp::Sub => Op::Sub { a, b, c },
            BinOp::Mul => Op::Mul { a, b, c },
            BinOp::Mod => Op::Mod { a, b, c },
            BinOp::Pow => Op::Pow { a, b, c },
            BinOp::Div => Op::Div { a, b, c },
            BinOp::IDiv => Op::IDiv { a, b, c },
            BinOp::BAnd => Op::BAnd { a, b, c },
            BinOp::BOr => Op::BOr { a, b, c },
            BinOp::BXor => Op::BXor { a, b, c },
            BinOp::Shl => Op::Shl { a, b, c },
            BinOp::Shr => Op::Shr { a, b, c },
            _ => return Err(CodeError("internal: not an arithmetic operator".into())),
        };
        self.finish_bin(e1, e2, ins, line, nvarstack);
        Ok(())
    }

    fn code_bin_imm(
        &mut self,
        e1: &mut ExpDesc,
        e2: &mut ExpDesc,
        line: u32,
        vars: &[VarDesc],
        nvarstack: usize,
        make: impl FnOnce(u8, u8) -> Op,
    ) -> CResult<()> {
        let r1 = self.exp_to_any_reg(e1, vars, nvarstack)? as u8;
        let ins = make(0, r1);
        self.finish_bin(e1, e2, ins, line, nvarstack);
        Ok(())
    }

    /// `e1 op K` when `e2` is a numeric constant that fits the `*K` forms.
    fn try_code_bin_k(
        &mut self,
        op: BinOp,
        e1: &mut ExpDesc,
        e2: &mut ExpDesc,
        line: u32,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<bool> {
        let Some(n) = Self::numeral(e2) else {
            return Ok(false);
        };
        let k = match n {
            fold::Num::Int(i) => self.int_k(i)?,
            fold::Num::Flt(f) => self.float_k(f)?,
        };
        if k > u16::MAX as u32 {
            return Ok(false);
        }
        if matches!(op, BinOp::BAnd | BinOp::BOr | BinOp::BXor) && !matches!(n, fold::Num::Int(_)) {
            return Ok(false);
        }
        let k = k as u16;
        let r1 = self.exp_to_any_reg(e1, vars, nvarstack)? as u8;
        let (a, b) = (0, r1);
        let ins = match op {
            BinOp::Add => Op::AddK { a, b, k },
            BinOp::Sub => Op::SubK { a, b, k },
            BinOp::Mul => Op::MulK { a, b, k },
            BinOp::Mod => Op::ModK { a, b, k },
            BinOp::Pow => Op::PowK { a, b, k },
            BinOp::Div => Op::DivK { a, b, k },
            BinOp::IDiv => Op::IDivK { a, b, k },
            BinOp::BAnd => Op::BAndK { a, b, k },
            BinOp::BOr => Op::BOrK { a, b, k },
            BinOp::BXor => Op::BXorK { a, b, k },
            _ => return Ok(false),
        };
        self.finish_bin(e1, e2, ins, line, nvarstack);
        Ok(true)
    }

    fn code_arith(
        &mut self,
        op: BinOp,
        e1: &mut ExpDesc,
        e2: &mut ExpDesc,
        line: u32,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        if self.try_code_bin_k(op, e1, e2, line, vars, nvarstack)? {
            return Ok(());
        }
        self.code_bin_rr(op, e1, e2, line, vars, nvarstack)
    }

    fn code_commutative(
        &mut self,
        op: BinOp,
        e1: &mut ExpDesc,
        e2: &mut ExpDesc,
        line: u32,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        // A number constant on the left (`2.0 * x`): `KAdd`/`KMul`, which
        // keep the operands in source order for metamethods and errors
        // (PUC Lua swaps them and flags the metamethod call instead).
        if Self::numeral(e2).is_none() {
            if let Some(n) = Self::numeral(e1) {
                let k = match n {
                    fold::Num::Int(i) => self.int_k(i)?,
                    fold::Num::Flt(f) => self.float_k(f)?,
                };
                if let Ok(k) = u16::try_from(k) {
                    let b = self.exp_to_any_reg(e2, vars, nvarstack)? as u8;
                    let ins = if op == BinOp::Add {
                        Op::KAdd { a: 0, b, k }
                    } else {
                        Op::KMul { a: 0, b, k }
                    };
                    self.finish_bin(e1, e2, ins, line, nvarstack);
                    return Ok(());
                }
            }
        }
        if op == BinOp::Add {
            if let Some(i) = Self::imm_operand(e2) {
                return self.code_bin_imm(e1, e2, line, vars, nvarstack, |a, b| Op::AddI {
                    a,
                    b,
                    i,
                });
            }
        }
        self.code_arith(op, e1, e2, line, vars, nvarstack)
    }

    fn code_bitwise(
        &mut self,
        op: BinOp,
        e1: &mut ExpDesc,
        e2: &mut ExpDesc,
        line: u32,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        if self.try_code_bin_k(op, e1, e2, line, vars, nvarstack)? {
            return Ok(());
        }
        self.code_bin_rr(op, e1, e2, line, vars, nvarstack)
    }

    fn code_order(
        &mut self,
        op: BinOp,
        e1: &mut ExpDesc,
        e2: &mut ExpDesc,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        let ins = if let Some((i, float)) = Self::cmp_imm(e2) {
            let a = self.exp_to_any_reg(e1, vars, nvarstack)? as u8;
            let k = true;
            match (op == BinOp::Lt, float) {
                (true, false) => Op::LtI { a, i, k },
                (false, false) => Op::LeI { a, i, k },
                (true, true) => Op::LtF { a, i, k },
                (false, true) => Op::LeF { a, i, k },
            }
        } else if let Some((i, float)) = Self::cmp_imm(e1) {
            // `i < x` is `x > i`
            let a = self.exp_to_any_reg(e2, vars, nvarstack)? as u8;
            let k = true;
            match (op == BinOp::Lt, float) {
                (true, false) => Op::GtI { a, i, k },
                (false, false) => Op::GeI { a, i, k },
                (true, true) => Op::GtF { a, i, k },
                (false, true) => Op::GeF { a, i, k },
            }
        } else {
            let r2 = self.exp_to_any_reg(e2, vars, nvarstack)? as u8;
            let r1 = self.exp_to_any_reg(e1, vars, nvarstack)? as u8;
            if op == BinOp::Lt {
                Op::Lt {
                    a: r1,
                    b: r2,
                    k: true,
                }
            } else {
                Op::Le {
                    a: r1,
                    b: r2,
                    k: true,
                }
            }
        };
        self.free_exps(e1, e2, nvarstack);
        e1.k = ExpKind::Jmp(self.cond_jump(ins) as usize);
        Ok(())
    }

    fn code_eq(
        &mut self,
        op: BinOp,
        e1: &mut ExpDesc,
        e2: &mut ExpDesc,
        vars: &[VarDesc],
        nvarstack: usize,
    ) -> CResult<()> {
        if !matches!(e1.k, ExpKind::NonReloc(_)) {
            // e1 is a constant: swap so the register operand comes first.
            std::mem::swap(e1, e2);
        }
        let r1 = self.exp_to_any_reg(e1, vars, nvarstack)? as u8;
        let k = op == BinOp::Eq;
        let ins = if let Some(i) = Self::imm_operand(e2) {
            Op::EqI { a: r1, i, k }
        } else if self.exp_to_k(e2)? {
            match e2.k {
                ExpKind::K(c) => Op::EqK {
                    a: r1,
                    c: c as u16,
                    k,
                },
                _ => return Err(CodeError("internal: eq constant".into())),
            }
        } else {
            let r2 = self.exp_to_any_reg(e2, vars, nvarstack)? as u8;
            Op::Eq { a: r1, b: r2, k }
        };
        self.free_exps(e1, e2, nvarstack);
        e1.k = ExpKind::Jmp(self.cond_jump(ins) as usize);
        Ok(())
    }

    /// `SetList` for a table constructor.
    pub fn set_list(&mut self, base: usize, nelems: usize, tostore: i32) -> CResult<()> {
        let b = if tostore == -1 { 0 } else { tostore as u8 };
        self.code(Op::SetList {
            a: base as u8,
            b,
            c: nelems as u32,
        });
        self.free_reg = base + 1;
        Ok(())
    }

    /// Final pass (`luaK_finish`): jumps to jumps go straight to their
    /// final target.
    pub fn finish(&mut self) -> CResult<()> {
        for i in 0..self.f.code.len() {
            if let Op::Jmp { .. } = self.f.code[i] {
                let target = self.final_target(i);
                self.fix_jump(i, target)?;
            }
        }
        Ok(())
    }

    fn final_target(&self, mut i: usize) -> usize {
        for _ in 0..100 {
            match self.f.code.get(i) {
                Some(Op::Jmp { sj }) => {
                    let dest = i as i64 + 1 + *sj as i64;
                    if dest < 0 || dest as usize >= self.f.code.len() {
                        break;
                    }
                    i = dest as usize;
                }
                _ => break,
            }
        }
        i
    }

    /// Records a new local variable's debug entry; returns its index.
    pub fn register_local(&mut self, name: &[u8]) -> usize {
        self.f.locals.push(LocalVar {
            name: String::from_utf8_lossy(name).into_owned(),
            start_pc: self.pc() as u32,
            end_pc: 0,
        });
        self.f.locals.len() - 1
    }

    pub fn new_upvalue(
        &mut self,
        name: &[u8],
        in_stack: bool,
        index: usize,
        kind: VarKind,
    ) -> CResult<usize> {
        if self.f.upvalues.len() >= crate::bytecode::MAX_UPVALUES {
            return Err(CodeError("too many upvalues".into()));
        }
        self.f.upvalues.push(UpvalueDesc {
            in_stack,
            index: index as u8,
            name: String::from_utf8_lossy(name).into_owned(),
        });
        self.upkinds.push(kind);
        Ok(self.f.upvalues.len() - 1)
    }
}

/// The placeholder destination of a `TestSet` until it is patched.
const NO_REG_U8: u8 = u8::MAX;

fn is_test_op(op: &Op) -> bool {
    matches!(
        op,
        Op::Eq { .. }
            | Op::Lt { .. }
            | Op::Le { .. }
            | Op::EqK { .. }
            | Op::EqI { .. }
            | Op::LtI { .. }
            | Op::LeI { .. }
            | Op::GtI { .. }
            | Op::GeI { .. }
            | Op::LtF { .. }
            | Op::LeF { .. }
            | Op::GtF { .. }
            | Op::GeF { .. }
            | Op::Test { .. }
            | Op::TestSet { .. }
    )
}

fn negate(op: &mut Op) {
    match op {
        Op::Eq { k, .. }
        | Op::Lt { k, .. }
        | Op::Le { k, .. }
        | Op::EqK { k, .. }
        | Op::EqI { k, .. }
        | Op::LtI { k, .. }
        | Op::LeI { k, .. }
        | Op::GtI { k, .. }
        | Op::GeI { k, .. }
        | Op::LtF { k, .. }
        | Op::LeF { k, .. }
        | Op::GtF { k, .. }
        | Op::GeF { k, .. }
        | Op::Test { k, .. }
        | Op::TestSet { k, .. } => *k = !*k,
        _ => {}
    }
}

/// Sets the destination register of a relocatable instruction.
pub fn set_a(op: &mut Op, reg: u8) {
    match op {
        Op::Move { a, .. }
        | Op::LoadI { a, .. }
        | Op::LoadF { a, .. }
        | Op::LoadK { a, .. }
        | Op::LoadFalse { a }
        | Op::LFalseSkip { a }
        | Op::LoadTrue { a }
        | Op::LoadNil { a, .. }
        | Op::GetUpval { a, .. }
        | Op::GetTabUp { a, .. }
        | Op::GetTable { a, .. }
        | Op::GetI { a, .. }
        | Op::GetField { a, .. }
        | Op::NewTable { a, .. }
        | Op::AddI { a, .. }
        | Op::AddK { a, .. }
        | Op::SubK { a, .. }
        | Op::MulK { a, .. }
        | Op::KAdd { a, .. }
        | Op::KMul { a, .. }
        | Op::ModK { a, .. }
        | Op::PowK { a, .. }
        | Op::DivK { a, .. }
        | Op::IDivK { a, .. }
        | Op::BAndK { a, .. }
        | Op::BOrK { a, .. }
        | Op::BXorK { a, .. }
        | Op::ShrI { a, .. }
        | Op::ShlI { a, .. }
        | Op::Add { a, .. }
        | Op::Sub { a, .. }
        | Op::Mul { a, .. }
        | Op::Mod { a, .. }
        | Op::Pow { a, .. }
        | Op::Div { a, .. }
        | Op::IDiv { a, .. }
        | Op::BAnd { a, .. }
        | Op::BOr { a, .. }
        | Op::BXor { a, .. }
        | Op::Shl { a, .. }
        | Op::Shr { a, .. }
        | Op::Unm { a, .. }
        | Op::BNot { a, .. }
        | Op::Not { a, .. }
        | Op::Len { a, .. }
        | Op::Closure { a, .. }
        | Op::VarArg { a, .. } => *a = reg,
        _ => {}
    }
}
