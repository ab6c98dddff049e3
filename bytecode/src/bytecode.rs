//! The project's own Lua 5.4 bytecode: one instruction set and one [`Proto`]
//! shared by the compiler, the verifier, the interpreter, `string.dump` and
//! `_home` function images.
//!
//! The instruction set follows PUC Lua 5.4's register machine (the semantics
//! people know from `luac -l`), as a Rust enum instead of packed 32-bit words.
//! Differences from PUC Lua 5.4:
//!
//! - no `MMBIN`/`MMBINI`/`MMBINK`: an arithmetic instruction whose operands
//!   are not numbers calls the metamethod itself, writing the result to `a`;
//! - no `EXTRAARG` and no `VARARGPREP`: indices are wide enough, and a vararg
//!   function's extra arguments are set aside when its frame is entered;
//! - no `k` flag on `RETURN`: the interpreter closes what is open;
//! - "RK" operands carry an explicit `kc` flag (`true`: constant index).
//!
//! Notation in the docs below: `R[x]` register `x` of the current frame,
//! `K[x]` constant `x`, `U[x]` upvalue `x`, `KS[x]` a string constant,
//! `RK(c)` is `K[c]` when `kc` and `R[c]` otherwise, `top` the end of a
//! variable-length list set by the previous instruction (`CALL` with `c == 0`,
//! `VARARG` with `c == 0`). `pc` has already been incremented when an
//! instruction runs, so jump offsets are relative to the next instruction.

use serde::{Deserialize, Serialize};

/// Registers per frame at most (indices are `u8`).
pub const MAX_REGISTERS: usize = 255;
/// Upvalues per function at most.
pub const MAX_UPVALUES: usize = 255;

/// One instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// `R[a] := R[b]`
    Move {
        a: u8,
        b: u8,
    },
    /// `R[a] := i` (integer)
    LoadI {
        a: u8,
        i: i32,
    },
    /// `R[a] := i as float`
    LoadF {
        a: u8,
        i: i32,
    },
    /// `R[a] := K[k]`
    LoadK {
        a: u8,
        k: u32,
    },
    /// `R[a] := false`
    LoadFalse {
        a: u8,
    },
    /// `R[a] := false; pc++`
    LFalseSkip {
        a: u8,
    },
    /// `R[a] := true`
    LoadTrue {
        a: u8,
    },
    /// `R[a], ..., R[a+n] := nil` (n + 1 registers)
    LoadNil {
        a: u8,
        n: u8,
    },
    /// `R[a] := U[b]`
    GetUpval {
        a: u8,
        b: u8,
    },
    /// `U[b] := R[a]`
    SetUpval {
        a: u8,
        b: u8,
    },
    /// `R[a] := U[up][KS[k]]`
    GetTabUp {
        a: u8,
        up: u8,
        k: u16,
    },
    /// `R[a] := R[b][R[c]]`
    GetTable {
        a: u8,
        b: u8,
        c: u8,
    },
    /// `R[a] := R[b][c]` (integer key)
    GetI {
        a: u8,
        b: u8,
        c: u16,
    },
    /// `R[a] := R[b][KS[k]]`
    GetField {
        a: u8,
        b: u8,
        k: u16,
    },
    /// `U[up][KS[k]] := RK(c)`
    SetTabUp {
        up: u8,
        k: u16,
        c: u16,
        kc: bool,
    },
    /// `R[a][R[b]] := RK(c)`
    SetTable {
        a: u8,
        b: u8,
        c: u16,
        kc: bool,
    },
    /// `R[a][b] := RK(c)` (integer key)
    SetI {
        a: u8,
        b: u16,
        c: u16,
        kc: bool,
    },
    /// `R[a][KS[k]] := RK(c)`
    SetField {
        a: u8,
        k: u16,
        c: u16,
        kc: bool,
    },
    /// `R[a] := {}` with room for `array` array items and `hash` hash items.
    NewTable {
        a: u8,
        hash: u16,
        array: u32,
    },
    /// `R[a+1] := R[b]; R[a] := R[b][RK(c)]` (method lookup for `b:name()`)
    SelfOp {
        a: u8,
        b: u8,
        c: u16,
        kc: bool,
    },

    /// `R[a] := R[b] + i`
    AddI {
        a: u8,
        b: u8,
        i: i16,
    },
    /// `R[a] := R[b] + K[k]` (K[k] a number; likewise the other `*K` ops)
    AddK {
        a: u8,
        b: u8,
        k: u16,
    },
    SubK {
        a: u8,
        b: u8,
        k: u16,
    },
    MulK {
        a: u8,
        b: u8,
        k: u16,
    },
    ModK {
        a: u8,
        b: u8,
        k: u16,
    },
    PowK {
        a: u8,
        b: u8,
        k: u16,
    },
    DivK {
        a: u8,
        b: u8,
        k: u16,
    },
    IDivK {
        a: u8,
        b: u8,
        k: u16,
    },
    /// `R[a] := R[b] & K[k]` (K[k] an integer; likewise `BOrK`, `BXorK`)
    BAndK {
        a: u8,
        b: u8,
        k: u16,
    },
    BOrK {
        a: u8,
        b: u8,
        k: u16,
    },
    BXorK {
        a: u8,
        b: u8,
        k: u16,
    },
    /// `R[a] := R[b] >> i`
    ShrI {
        a: u8,
        b: u8,
        i: i16,
    },
    /// `R[a] := i << R[b]`
    ShlI {
        a: u8,
        b: u8,
        i: i16,
    },
    /// `R[a] := R[b] + R[c]` (and the other binary operators)
    Add {
        a: u8,
        b: u8,
        c: u8,
    },
    Sub {
        a: u8,
        b: u8,
        c: u8,
    },
    Mul {
        a: u8,
        b: u8,
        c: u8,
    },
    Mod {
        a: u8,
        b: u8,
        c: u8,
    },
    Pow {
        a: u8,
        b: u8,
        c: u8,
    },
    Div {
        a: u8,
        b: u8,
        c: u8,
    },
    IDiv {
        a: u8,
        b: u8,
        c: u8,
    },
    BAnd {
        a: u8,
        b: u8,
        c: u8,
    },
    BOr {
        a: u8,
        b: u8,
        c: u8,
    },
    BXor {
        a: u8,
        b: u8,
        c: u8,
    },
    Shl {
        a: u8,
        b: u8,
        c: u8,
    },
    Shr {
        a: u8,
        b: u8,
        c: u8,
    },
    /// `R[a] := -R[b]`
    Unm {
        a: u8,
        b: u8,
    },
    /// `R[a] := ~R[b]`
    BNot {
        a: u8,
        b: u8,
    },
    /// `R[a] := not R[b]`
    Not {
        a: u8,
        b: u8,
    },
    /// `R[a] := #R[b]`
    Len {
        a: u8,
        b: u8,
    },
    /// `R[a] := R[a] .. ... .. R[a+n-1]` (n >= 2)
    Concat {
        a: u8,
        n: u8,
    },

    /// Close upvalues and to-be-closed variables at registers `>= a`.
    Close {
        a: u8,
    },
    /// Mark `R[a]` as a to-be-closed variable (`nil` and `false` are ignored;
    /// any other value without `__close` is an error).
    Tbc {
        a: u8,
    },
    /// `pc += sj`
    Jmp {
        sj: i32,
    },
    /// `if (R[a] == R[b]) ~= k then pc++`
    Eq {
        a: u8,
        b: u8,
        k: bool,
    },
    /// `if (R[a] < R[b]) ~= k then pc++`
    Lt {
        a: u8,
        b: u8,
        k: bool,
    },
    /// `if (R[a] <= R[b]) ~= k then pc++`
    Le {
        a: u8,
        b: u8,
        k: bool,
    },
    /// `if (R[a] == K[c]) ~= k then pc++` (raw equality: K is never a table)
    EqK {
        a: u8,
        c: u16,
        k: bool,
    },
    /// `if (R[a] == i) ~= k then pc++`
    EqI {
        a: u8,
        i: i16,
        k: bool,
    },
    /// `if (R[a] < i) ~= k then pc++`
    LtI {
        a: u8,
        i: i16,
        k: bool,
    },
    /// `if (R[a] <= i) ~= k then pc++`
    LeI {
        a: u8,
        i: i16,
        k: bool,
    },
    /// `if (R[a] > i) ~= k then pc++`
    GtI {
        a: u8,
        i: i16,
        k: bool,
    },
    /// `if (R[a] >= i) ~= k then pc++`
    GeI {
        a: u8,
        i: i16,
        k: bool,
    },
    /// `R[a] := K[k] + R[b]`: a number constant on the left (metamethods
    /// and errors see the operands in source order).
    KAdd {
        a: u8,
        b: u8,
        k: u16,
    },
    /// `R[a] := K[k] * R[b]`
    KMul {
        a: u8,
        b: u8,
        k: u16,
    },
    /// `if (R[a] < f) ~= k then pc++` with `f` the float `i` (`x < 4.0`)
    LtF {
        a: u8,
        i: i16,
        k: bool,
    },
    /// `if (R[a] <= f) ~= k then pc++`
    LeF {
        a: u8,
        i: i16,
        k: bool,
    },
    /// `if (R[a] > f) ~= k then pc++`
    GtF {
        a: u8,
        i: i16,
        k: bool,
    },
    /// `if (R[a] >= f) ~= k then pc++`
    GeF {
        a: u8,
        i: i16,
        k: bool,
    },
    /// `if (not R[a] == k) then pc++` (i.e. skip the next instruction unless
    /// the truth of `R[a]` equals `k`)
    Test {
        a: u8,
        k: bool,
    },
    /// `if (not R[b] == k) then pc++ else R[a] := R[b]`
    TestSet {
        a: u8,
        b: u8,
        k: bool,
    },

    /// `R[a], ..., R[a+c-2] := R[a](R[a+1], ..., R[a+b-1])`; `b == 0`: the
    /// arguments run to `top`; `c == 0`: all results are kept and set `top`.
    Call {
        a: u8,
        b: u8,
        c: u8,
    },
    /// `return R[a](R[a+1], ..., R[a+b-1])` as a proper tail call; `b == 0`:
    /// arguments to `top`.
    TailCall {
        a: u8,
        b: u8,
    },
    /// `return R[a], ..., R[a+b-2]`; `b == 0`: up to `top`.
    Return {
        a: u8,
        b: u8,
    },
    /// `return`
    Return0,
    /// `return R[a]`
    Return1 {
        a: u8,
    },

    /// Numeric `for` loop body end: update the loop state in `R[a..a+2]`;
    /// if the loop continues, copy the new value to `R[a+3]` and `pc -= bx`.
    ForLoop {
        a: u8,
        bx: u32,
    },
    /// Numeric `for` loop start: check and prepare the state in `R[a]`
    /// (initial value), `R[a+1]` (limit), `R[a+2]` (step) following Lua 5.4
    /// (integer loops when init and step are integers: the limit is clipped
    /// and an iteration count precomputed so nothing overflows; "'for'
    /// initial value must be a number" and the like otherwise; a zero step is
    /// "'for' step is zero"); set `R[a+3]` to the first value, or, when the
    /// loop runs zero times, `pc += bx + 1` (past its `ForLoop`).
    ForPrep {
        a: u8,
        bx: u32,
    },
    /// Generic `for` start: mark `R[a+3]` (the closing value) to-be-closed
    /// and `pc += bx` (to the loop's `TForCall`).
    TForPrep {
        a: u8,
        bx: u32,
    },
    /// `R[a+4], ..., R[a+3+c] := R[a](R[a+1], R[a+2])`
    TForCall {
        a: u8,
        c: u8,
    },
    /// `if R[a+4] ~= nil then { R[a+2] := R[a+4]; pc -= bx }`
    TForLoop {
        a: u8,
        bx: u32,
    },

    /// `R[a][c+i] := R[a+i]` for `1 <= i <= b`; `b == 0`: up to `top`.
    SetList {
        a: u8,
        b: u8,
        c: u32,
    },
    /// `R[a] := closure(protos[p])`, capturing upvalues as its
    /// [`UpvalueDesc`]s say.
    Closure {
        a: u8,
        p: u32,
    },
    /// `R[a], ..., R[a+c-2] := ...` (the frame's extra arguments); `c == 0`:
    /// all of them, and set `top`.
    VarArg {
        a: u8,
        c: u8,
    },
}

/// A constant of a prototype.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Constant {
    Nil,
    Boolean(bool),
    Integer(i64),
    Float(f64),
    /// Bytes: Lua strings need not be UTF-8.
    String(#[serde(with = "serde_bytes_vec")] Vec<u8>),
}

/// Where a closure's upvalue comes from when the closure is created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpvalueDesc {
    /// `true`: the enclosing function's register `index`; `false`: the
    /// enclosing function's upvalue `index`.
    pub in_stack: bool,
    pub index: u8,
    /// The variable's name (debug information; `_ENV` for the environment).
    pub name: String,
}

/// A local variable's name and the instructions during which it is active
/// (`start_pc` inclusive, `end_pc` exclusive), as PUC Lua's `LocVar`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalVar {
    pub name: String,
    pub start_pc: u32,
    pub end_pc: u32,
}

/// A compiled function: plain data, no GC types.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Proto {
    /// The chunk name as given to the compiler (`"=stdin"`, `"@file.lua"`,
    /// or the source text itself for `load` of a string).
    pub source: String,
    /// Line of `function` (0 for a main chunk).
    pub line_defined: u32,
    /// Line of the closing `end` (0 for a main chunk).
    pub last_line_defined: u32,
    pub num_params: u8,
    pub is_vararg: bool,
    /// Registers the function needs (`R[0]` .. `R[max_stack - 1]`).
    pub max_stack: u8,
    pub code: Vec<Op>,
    /// Source line of each instruction (same length as `code`).
    pub lines: Vec<u32>,
    pub constants: Vec<Constant>,
    pub upvalues: Vec<UpvalueDesc>,
    pub protos: Vec<Proto>,
    pub locals: Vec<LocalVar>,
}

impl Proto {
    /// The name of the `n`-th (1-based) local variable active at `pc`, as
    /// PUC Lua's `luaF_getlocalname`.
    pub fn local_name(&self, mut n: usize, pc: usize) -> Option<&str> {
        for var in &self.locals {
            if var.start_pc as usize > pc {
                break;
            }
            if pc < var.end_pc as usize {
                n -= 1;
                if n == 0 {
                    return Some(&var.name);
                }
            }
        }
        None
    }

    /// The source line of instruction `pc`: -1 when there is none (out of
    /// range, or debug information stripped by `string.dump(f, true)`,
    /// which leaves lines 0), as PUC Lua reports it.
    pub fn line_at(&self, pc: usize) -> i64 {
        match self.lines.get(pc) {
            Some(&l) if l > 0 => l as i64,
            _ => -1,
        }
    }
}

mod serde_bytes_vec {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
                Ok(v.as_bytes().to_vec())
            }
        }
        d.deserialize_byte_buf(V)
    }
}
