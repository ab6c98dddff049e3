//! A deliberately simple evaluator of the project's bytecode, used only to
//! test the compiler alone: Rust recursion for calls, `Rc` cells for
//! registers (closing a register swaps in a fresh cell, so closures see
//! exactly the sharing the compiler's `Close` instructions create), no
//! metamethods, a handful of globals. Independent of the real interpreter,
//! so a code-generation bug cannot hide behind a matching interpreter bug.

use std::{cell::RefCell, collections::HashMap, fmt, rc::Rc};

use vm_ext::bytecode::{Constant, Op, Proto};
use vm_ext::number::{float_mod, int_idiv, int_mod, shift_left};

#[derive(Clone)]
pub enum V {
    Nil,
    Bool(bool),
    Int(i64),
    Flt(f64),
    Str(Rc<[u8]>),
    Table(Rc<RefCell<Table>>),
    Func(Rc<Closure>),
    Native(fn(&mut Ctx, Vec<V>) -> Result<Vec<V>, String>),
}

#[derive(Default)]
pub struct Table {
    map: HashMap<Key, V>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Bool(bool),
    Int(i64),
    Flt(u64),
    Str(Rc<[u8]>),
    Ptr(usize),
}

pub struct Closure {
    proto: Rc<Proto>,
    upvals: Vec<Rc<RefCell<V>>>,
}

pub struct Ctx {
    pub out: String,
    depth: usize,
}

impl fmt::Display for V {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            V::Nil => write!(f, "nil"),
            V::Bool(b) => write!(f, "{b}"),
            V::Int(i) => write!(f, "{i}"),
            V::Flt(x) => write!(f, "{}", vm_ext::number::float_to_string(*x)),
            V::Str(s) => write!(f, "{}", String::from_utf8_lossy(s)),
            V::Table(_) => write!(f, "table"),
            V::Func(_) | V::Native(_) => write!(f, "function"),
        }
    }
}

impl V {
    fn truthy(&self) -> bool {
        !matches!(self, V::Nil | V::Bool(false))
    }

    fn key(&self) -> Result<Option<Key>, String> {
        Ok(Some(match self {
            V::Nil => return Ok(None),
            V::Bool(b) => Key::Bool(*b),
            V::Int(i) => Key::Int(*i),
            V::Flt(f) => {
                if f.is_nan() {
                    return Err("table index is NaN".into());
                }
                match vm_ext::number::float_to_i64(*f) {
                    Some(i) => Key::Int(i),
                    None => Key::Flt(f.to_bits()),
                }
            }
            V::Str(s) => Key::Str(s.clone()),
            V::Table(t) => Key::Ptr(Rc::as_ptr(t) as *const u8 as usize),
            V::Func(c) => Key::Ptr(Rc::as_ptr(c) as *const u8 as usize),
            V::Native(n) => Key::Ptr(*n as usize),
        }))
    }

    fn num(&self) -> Option<f64> {
        match self {
            V::Int(i) => Some(*i as f64),
            V::Flt(f) => Some(*f),
            _ => None,
        }
    }

    fn int(&self) -> Option<i64> {
        match self {
            V::Int(i) => Some(*i),
            V::Flt(f) => vm_ext::number::float_to_i64(*f),
            _ => None,
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            V::Nil => "nil",
            V::Bool(_) => "boolean",
            V::Int(_) | V::Flt(_) => "number",
            V::Str(_) => "string",
            V::Table(_) => "table",
            V::Func(_) | V::Native(_) => "function",
        }
    }
}

fn raw_eq(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::Nil, V::Nil) => true,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Int(x), V::Int(y)) => x == y,
        (V::Int(_) | V::Flt(_), V::Int(_) | V::Flt(_)) => a.num() == b.num(),
        (V::Str(x), V::Str(y)) => x == y,
        (V::Table(x), V::Table(y)) => Rc::ptr_eq(x, y),
        (V::Func(x), V::Func(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

fn less(a: &V, b: &V, or_eq: bool) -> Result<bool, String> {
    match (a, b) {
        (V::Int(x), V::Int(y)) => Ok(if or_eq { x <= y } else { x < y }),
        (V::Str(x), V::Str(y)) => Ok(if or_eq { x <= y } else { x < y }),
        _ => match (a.num(), b.num()) {
            (Some(x), Some(y)) => Ok(if or_eq { x <= y } else { x < y }),
            _ => Err(format!(
                "attempt to compare {} with {}",
                a.type_name(),
                b.type_name()
            )),
        },
    }
}

fn k(c: &Constant) -> V {
    match c {
        Constant::Nil => V::Nil,
        Constant::Boolean(b) => V::Bool(*b),
        Constant::Integer(i) => V::Int(*i),
        Constant::Float(f) => V::Flt(*f),
        Constant::String(s) => V::Str(s.as_slice().into()),
    }
}

fn arith(op: &str, a: &V, b: &V) -> Result<V, String> {
    let err = || format!("attempt to perform arithmetic on a {} value", a.type_name());
    match op {
        "band" | "bor" | "bxor" | "shl" | "shr" => {
            let (x, y) = (a.int().ok_or_else(err)?, b.int().ok_or_else(err)?);
            return Ok(V::Int(match op {
                "band" => x & y,
                "bor" => x | y,
                "bxor" => x ^ y,
                "shl" => shift_left(x, y),
                _ => shift_left(x, y.wrapping_neg()),
            }));
        }
        _ => {}
    }
    if let (V::Int(x), V::Int(y)) = (a, b) {
        let (x, y) = (*x, *y);
        match op {
            "add" => return Ok(V::Int(x.wrapping_add(y))),
            "sub" => return Ok(V::Int(x.wrapping_sub(y))),
            "mul" => return Ok(V::Int(x.wrapping_mul(y))),
            "idiv" | "mod" if y == 0 => return Err("attempt to perform 'n//0'".into()),
            "idiv" => return Ok(V::Int(int_idiv(x, y))),
            "mod" => return Ok(V::Int(int_mod(x, y))),
            _ => {}
        }
    }
    let (x, y) = (
        a.num().ok_or_else(err)?,
        b.num()
            .ok_or_else(|| format!("attempt to perform arithmetic on a {} value", b.type_name()))?,
    );
    Ok(V::Flt(match op {
        "add" => x + y,
        "sub" => x - y,
        "mul" => x * y,
        "div" => x / y,
        "pow" => x.powf(y),
        "idiv" => (x / y).floor(),
        "mod" => float_mod(x, y),
        _ => return Err(format!("bad op {op}")),
    }))
}

fn index(t: &V, key: &V) -> Result<V, String> {
    match t {
        V::Table(tb) => Ok(match key.key()? {
            Some(k) => tb.borrow().map.get(&k).cloned().unwrap_or(V::Nil),
            None => V::Nil,
        }),
        _ => Err(format!("attempt to index a {} value", t.type_name())),
    }
}

fn set_index(t: &V, key: &V, v: V) -> Result<(), String> {
    match t {
        V::Table(tb) => {
            let Some(k) = key.key()? else {
                return Err("table index is nil".into());
            };
            if matches!(v, V::Nil) {
                tb.borrow_mut().map.remove(&k);
            } else {
                tb.borrow_mut().map.insert(k, v);
            }
            Ok(())
        }
        _ => Err(format!("attempt to index a {} value", t.type_name())),
    }
}

fn length(v: &V) -> Result<V, String> {
    match v {
        V::Str(s) => Ok(V::Int(s.len() as i64)),
        V::Table(t) => {
            let t = t.borrow();
            let mut n = 0;
            while t.map.contains_key(&Key::Int(n + 1)) {
                n += 1;
            }
            Ok(V::Int(n))
        }
        _ => Err(format!(
            "attempt to get length of a {} value",
            v.type_name()
        )),
    }
}

fn tostr(v: &V) -> Option<Vec<u8>> {
    match v {
        V::Str(s) => Some(s.to_vec()),
        V::Int(_) | V::Flt(_) => Some(v.to_string().into_bytes()),
        _ => None,
    }
}

pub fn call(ctx: &mut Ctx, f: &V, args: Vec<V>) -> Result<Vec<V>, String> {
    match f {
        V::Native(n) => n(ctx, args),
        V::Func(c) => {
            ctx.depth += 1;
            if ctx.depth > 180 {
                return Err("stack overflow".into());
            }
            let r = run(ctx, c, args);
            ctx.depth -= 1;
            r
        }
        _ => Err(format!("attempt to call a {} value", f.type_name())),
    }
}

fn run(ctx: &mut Ctx, cl: &Rc<Closure>, mut args: Vec<V>) -> Result<Vec<V>, String> {
    let p = &cl.proto;
    let np = p.num_params as usize;
    let varargs: Vec<V> = if args.len() > np {
        args.split_off(np)
    } else {
        Vec::new()
    };
    let mut regs: Vec<Rc<RefCell<V>>> = (0..p.max_stack as usize + 1)
        .map(|_| Rc::new(RefCell::new(V::Nil)))
        .collect();
    for (i, a) in args.into_iter().enumerate() {
        *regs[i].borrow_mut() = a;
    }
    // Values above the fixed registers set by multi-result instructions.
    let mut top: usize = 0;
    let mut pc = 0usize;
    macro_rules! r {
        ($i:expr) => {
            regs[$i as usize].borrow().clone()
        };
    }
    macro_rules! set {
        ($i:expr, $v:expr) => {{
            let v = $v;
            let i = $i as usize;
            while regs.len() <= i {
                regs.push(Rc::new(RefCell::new(V::Nil)));
            }
            *regs[i].borrow_mut() = v;
        }};
    }
    macro_rules! rk {
        ($c:expr, $kc:expr) => {
            if $kc {
                k(&p.constants[$c as usize])
            } else {
                r!($c)
            }
        };
    }
    loop {
        let op = p.code[pc];
        pc += 1;
        let line = p.lines[pc - 1];
        let e = |m: String| format!("{}:{}: {}", p.source, line, m);
        match op {
            Op::Move { a, b } => set!(a, r!(b)),
            Op::LoadI { a, i } => set!(a, V::Int(i as i64)),
            Op::LoadF { a, i } => set!(a, V::Flt(i as f64)),
            Op::LoadK { a, k: kk } => set!(a, k(&p.constants[kk as usize])),
            Op::LoadFalse { a } => set!(a, V::Bool(false)),
            Op::LFalseSkip { a } => {
                set!(a, V::Bool(false));
                pc += 1;
            }
            Op::LoadTrue { a } => set!(a, V::Bool(true)),
            Op::LoadNil { a, n } => {
                for i in 0..=n as usize {
                    set!(a as usize + i, V::Nil);
                }
            }
            Op::GetUpval { a, b } => set!(a, cl.upvals[b as usize].borrow().clone()),
            Op::SetUpval { a, b } => *cl.upvals[b as usize].borrow_mut() = r!(a),
            Op::GetTabUp { a, up, k: kk } => {
                let t = cl.upvals[up as usize].borrow().clone();
                set!(a, index(&t, &k(&p.constants[kk as usize])).map_err(e)?)
            }
            Op::GetTable { a, b, c } => set!(a, index(&r!(b), &r!(c)).map_err(e)?),
            Op::GetI { a, b, c } => set!(a, index(&r!(b), &V::Int(c as i64)).map_err(e)?),
            Op::GetField { a, b, k: kk } => {
                set!(a, index(&r!(b), &k(&p.constants[kk as usize])).map_err(e)?)
            }
            Op::SetTabUp { up, k: kk, c, kc } => {
                let t = cl.upvals[up as usize].borrow().clone();
                set_index(&t, &k(&p.constants[kk as usize]), rk!(c, kc)).map_err(e)?
            }
            Op::SetTable { a, b, c, kc } => set_index(&r!(a), &r!(b), rk!(c, kc)).map_err(e)?,
            Op::SetI { a, b, c, kc } => {
                set_index(&r!(a), &V::Int(b as i64), rk!(c, kc)).map_err(e)?
            }
            Op::SetField { a, k: kk, c, kc } => {
                set_index(&r!(a), &k(&p.constants[kk as usize]), rk!(c, kc)).map_err(e)?
            }
            Op::NewTable { a, .. } => set!(a, V::Table(Rc::new(RefCell::new(Table::default())))),
            Op::SelfOp { a, b, c, kc } => {
                let obj = r!(b);
                let m = index(&obj, &rk!(c, kc)).map_err(e)?;
                set!(a as usize + 1, obj);
                set!(a, m);
            }
            Op::AddI { a, b, i } => set!(a, arith("add", &r!(b), &V::Int(i as i64)).map_err(e)?),
            Op::AddK { a, b, k: kk } => set!(
                a,
                arith("add", &r!(b), &k(&p.constants[kk as usize])).map_err(e)?
            ),
            Op::KAdd { a, b, k: kk } => set!(
                a,
                arith("add", &k(&p.constants[kk as usize]), &r!(b)).map_err(e)?
            ),
            Op::KMul { a, b, k: kk } => set!(
                a,
                arith("mul", &k(&p.constants[kk as usize]), &r!(b)).map_err(e)?
            ),
            Op::SubK { a, b, k: kk } => set!(
                a,
                arith("sub", &r!(b), &k(&p.constants[kk as usize])).map_err(e)?
            ),
            Op::MulK { a, b, k: kk } => set!(
                a,
                arith("mul", &r!(b), &k(&p.constants[kk as usize])).map_err(e)?
            ),
            Op::ModK { a, b, k: kk } => set!(
                a,
                arith("mod", &r!(b), &k(&p.constants[kk as usize])).map_err(e)?
            ),
            Op::PowK { a, b, k: kk } => set!(
                a,
                arith("pow", &r!(b), &k(&p.constants[kk as usize])).map_err(e)?
            ),
            Op::DivK { a, b, k: kk } => set!(
                a,
                arith("div", &r!(b), &k(&p.constants[kk as usize])).map_err(e)?
            ),
            Op::IDivK { a, b, k: kk } => set!(
                a,
                arith("idiv", &r!(b), &k(&p.constants[kk as usize])).map_err(e)?
            ),
            Op::BAndK { a, b, k: kk } => set!(
                a,
                arith("band", &r!(b), &k(&p.constants[kk as usize])).map_err(e)?
            ),
            Op::BOrK { a, b, k: kk } => set!(
                a,
                arith("bor", &r!(b), &k(&p.constants[kk as usize])).map_err(e)?
            ),
            Op::BXorK { a, b, k: kk } => set!(
                a,
                arith("bxor", &r!(b), &k(&p.constants[kk as usize])).map_err(e)?
            ),
            Op::ShrI { a, b, i } => set!(a, arith("shr", &r!(b), &V::Int(i as i64)).map_err(e)?),
            Op::ShlI { a, b, i } => set!(a, arith("shl", &V::Int(i as i64), &r!(b)).map_err(e)?),
            Op::Add { a, b, c } => set!(a, arith("add", &r!(b), &r!(c)).map_err(e)?),
            Op::Sub { a, b, c } => set!(a, arith("sub", &r!(b), &r!(c)).map_err(e)?),
            Op::Mul { a, b, c } => set!(a, arith("mul", &r!(b), &r!(c)).map_err(e)?),
            Op::Mod { a, b, c } => set!(a, arith("mod", &r!(b), &r!(c)).map_err(e)?),
            Op::Pow { a, b, c } => set!(a, arith("pow", &r!(b), &r!(c)).map_err(e)?),
            Op::Div { a, b, c } => set!(a, arith("div", &r!(b), &r!(c)).map_err(e)?),
            Op::IDiv { a, b, c } => set!(a, arith("idiv", &r!(b), &r!(c)).map_err(e)?),
            Op::BAnd { a, b, c } => set!(a, arith("band", &r!(b), &r!(c)).map_err(e)?),
            Op::BOr { a, b, c } => set!(a, arith("bor", &r!(b), &r!(c)).map_err(e)?),
            Op::BXor { a, b, c } => set!(a, arith("bxor", &r!(b), &r!(c)).map_err(e)?),
            Op::Shl { a, b, c } => set!(a, arith("shl", &r!(b), &r!(c)).map_err(e)?),
            Op::Shr { a, b, c } => set!(a, arith("shr", &r!(b), &r!(c)).map_err(e)?),
            Op::Unm { a, b } => {
                let v = r!(b);
                set!(
                    a,
                    match v {
                        V::Int(i) => V::Int(i.wrapping_neg()),
                        V::Flt(f) => V::Flt(-f),
                        _ => return Err(e("attempt to perform arithmetic".into())),
                    }
                )
            }
            Op::BNot { a, b } => set!(a, V::Int(!r!(b).int().ok_or_else(|| e("bnot".into()))?)),
            Op::Not { a, b } => set!(a, V::Bool(!r!(b).truthy())),
            Op::Len { a, b } => set!(a, length(&r!(b)).map_err(e)?),
            Op::Concat { a, n } => {
                let mut s = Vec::new();
                for i in 0..n as usize {
                    let v = r!(a as usize + i);
                    s.extend(tostr(&v).ok_or_else(|| {
                        e(format!("attempt to concatenate a {} value", v.type_name()))
                    })?);
                }
                set!(a, V::Str(s.into()));
            }
            Op::Close { a } => {
                for r in regs.iter_mut().skip(a as usize) {
                    let v = r.borrow().clone();
                    *r = Rc::new(RefCell::new(v));
                }
            }
            Op::Tbc { .. } => {}
            Op::Jmp { sj } => pc = (pc as i64 + sj as i64) as usize,
            Op::Eq { a, b, k } => {
                if raw_eq(&r!(a), &r!(b)) != k {
                    pc += 1
                }
            }
            Op::Lt { a, b, k } => {
                if less(&r!(a), &r!(b), false).map_err(e)? != k {
                    pc += 1
                }
            }
            Op::Le { a, b, k } => {
                if less(&r!(a), &r!(b), true).map_err(e)? != k {
                    pc += 1
                }
            }
            Op::EqK { a, c, k: kf } => {
                if raw_eq(&r!(a), &k(&p.constants[c as usize])) != kf {
                    pc += 1
                }
            }
            Op::EqI { a, i, k } => {
                if raw_eq(&r!(a), &V::Int(i as i64)) != k {
                    pc += 1
                }
            }
            Op::LtI { a, i, k } => {
                if less(&r!(a), &V::Int(i as i64), false).map_err(e)? != k {
                    pc += 1
                }
            }
            Op::LeI { a, i, k } => {
                if less(&r!(a), &V::Int(i as i64), true).map_err(e)? != k {
                    pc += 1
                }
            }
            Op::GtI { a, i, k } => {
                if less(&V::Int(i as i64), &r!(a), false).map_err(e)? != k {
                    pc += 1
                }
            }
            Op::GeI { a, i, k } => {
                if less(&V::Int(i as i64), &r!(a), true).map_err(e)? != k {
                    pc += 1
                }
            }
            Op::LtF { a, i, k } => {
                if less(&r!(a), &V::Flt(i as f64), false).map_err(e)? != k {
                    pc += 1
                }
            }
            Op::LeF { a, i, k } => {
                if less(&r!(a), &V::Flt(i as f64), true).map_err(e)? != k {
                    pc += 1
                }
            }
            Op::GtF { a, i, k } => {
                if less(&V::Flt(i as f64), &r!(a), false).map_err(e)? != k {
                    pc += 1
                }
            }
            Op::GeF { a, i, k } => {
                if less(&V::Flt(i as f64), &r!(a), true).map_err(e)? != k {
                    pc += 1
                }
            }
            Op::Test { a, k } => {
                if r!(a).truthy() != k {
                    pc += 1
                }
            }
            Op::TestSet { a, b, k } => {
                let v = r!(b);
                if v.truthy() != k {
                    pc += 1
                } else {
                    set!(a, v)
                }
            }
            Op::Call { a, b, c } => {
                let n = if b == 0 {
                    top - a as usize - 1
                } else {
                    b as usize - 1
                };
                let args: Vec<V> = (0..n).map(|i| r!(a as usize + 1 + i)).collect();
                let res = call(ctx, &r!(a), args)?;
                if c == 0 {
                    top = a as usize + res.len();
                    for (i, v) in res.into_iter().enumerate() {
                        set!(a as usize + i, v);
                    }
                } else {
                    for i in 0..c as usize - 1 {
                        set!(a as usize + i, res.get(i).cloned().unwrap_or(V::Nil));
                    }
                }
            }
            Op::TailCall { a, b } => {
                let n = if b == 0 {
                    top - a as usize - 1
                } else {
                    b as usize - 1
                };
                let args: Vec<V> = (0..n).map(|i| r!(a as usize + 1 + i)).collect();
                return call(ctx, &r!(a), args);
            }
            Op::Return { a, b } => {
                let n = if b == 0 {
                    top - a as usize
                } else {
                    b as usize - 1
                };
                return Ok((0..n).map(|i| r!(a as usize + i)).collect());
            }
            Op::Return0 => return Ok(vec![]),
            Op::Return1 { a } => return Ok(vec![r!(a)]),
            Op::ForPrep { a, bx } => {
                let (init, limit, step) = (r!(a), r!(a as usize + 1), r!(a as usize + 2));
                let run = match (&init, &step) {
                    (V::Int(i), V::Int(s)) => {
                        if *s == 0 {
                            return Err(e("'for' step is zero".into()));
                        }
                        let l = match limit {
                            V::Int(l) => l,
                            V::Flt(f) => {
                                if *s > 0 {
                                    f.floor().min(i64::MAX as f64) as i64
                                } else {
                                    f.ceil().max(i64::MIN as f64) as i64
                                }
                            }
                            _ => return Err(e("'for' limit must be a number".into())),
                        };
                        set!(a as usize + 1, V::Int(l));
                        if *s > 0 {
                            i <= &l
                        } else {
                            i >= &l
                        }
                    }
                    _ => {
                        let (i, l, s) = (
                            init.num()
                                .ok_or_else(|| e("'for' initial value must be a number".into()))?,
                            limit
                                .num()
                                .ok_or_else(|| e("'for' limit must be a number".into()))?,
                            step.num()
                                .ok_or_else(|| e("'for' step must be a number".into()))?,
                        );
                        if s == 0.0 {
                            return Err(e("'for' step is zero".into()));
                        }
                        set!(a, V::Flt(i));
                        set!(a as usize + 1, V::Flt(l));
                        set!(a as usize + 2, V::Flt(s));
                        if s > 0.0 {
                            i <= l
                        } else {
                            i >= l
                        }
                    }
                };
                if run {
                    set!(a as usize + 3, r!(a));
                } else {
                    pc += bx as usize + 1;
                }
            }
            Op::ForLoop { a, bx } => {
                let (i, l, s) = (r!(a), r!(a as usize + 1), r!(a as usize + 2));
                let next = match (i, l, s) {
                    (V::Int(i), V::Int(l), V::Int(s)) => {
                        let (n, o) = i.overflowing_add(s);
                        (!o && if s > 0 { n <= l } else { n >= l }).then_some(V::Int(n))
                    }
                    (V::Flt(i), V::Flt(l), V::Flt(s)) => {
                        let n = i + s;
                        (if s > 0.0 { n <= l } else { n >= l }).then_some(V::Flt(n))
                    }
                    _ => None,
                };
                if let Some(n) = next {
                    set!(a, n.clone());
                    set!(a as usize + 3, n);
                    pc -= bx as usize;
                }
            }
            Op::TForPrep { bx, .. } => pc += bx as usize,
            Op::TForCall { a, c } => {
                let f = r!(a);
                let res = call(ctx, &f, vec![r!(a as usize + 1), r!(a as usize + 2)])?;
                for i in 0..c as usize {
                    set!(a as usize + 4 + i, res.get(i).cloned().unwrap_or(V::Nil));
                }
            }
            Op::TForLoop { a, bx } => {
                let v = r!(a as usize + 4);
                if !matches!(v, V::Nil) {
                    set!(a as usize + 2, v);
                    pc -= bx as usize;
                }
            }
            Op::SetList { a, b, c } => {
                let n = if b == 0 {
                    top - a as usize - 1
                } else {
                    b as usize
                };
                let t = r!(a);
                for i in 1..=n {
                    set_index(&t, &V::Int(c as i64 + i as i64), r!(a as usize + i)).map_err(e)?;
                }
            }
            Op::Closure { a, p: pi } => {
                let child = Rc::new(p.protos[pi as usize].clone());
                let upvals = child
                    .upvalues
                    .iter()
                    .map(|u| {
                        if u.in_stack {
                            regs[u.index as usize].clone()
                        } else {
                            cl.upvals[u.index as usize].clone()
                        }
                    })
                    .collect();
                set!(
                    a,
                    V::Func(Rc::new(Closure {
                        proto: child,
                        upvals
                    }))
                );
            }
            Op::VarArg { a, c } => {
                if c == 0 {
                    top = a as usize + varargs.len();
                    for (i, v) in varargs.iter().enumerate() {
                        set!(a as usize + i, v.clone());
                    }
                } else {
                    for i in 0..c as usize - 1 {
                        set!(a as usize + i, varargs.get(i).cloned().unwrap_or(V::Nil));
                    }
                }
            }
        }
    }
}

fn print(ctx: &mut Ctx, args: Vec<V>) -> Result<Vec<V>, String> {
    let line: Vec<String> = args.iter().map(|v| v.to_string()).collect();
    ctx.out.push_str(&line.join("\t"));
    ctx.out.push('\n');
    Ok(vec![])
}

fn assert_(_: &mut Ctx, args: Vec<V>) -> Result<Vec<V>, String> {
    match args.first() {
        Some(v) if v.truthy() => Ok(args),
        _ => Err(match args.get(1) {
            Some(m) => m.to_string(),
            None => "assertion failed!".into(),
        }),
    }
}

fn select(_: &mut Ctx, args: Vec<V>) -> Result<Vec<V>, String> {
    let first = args.first().cloned();
    match first {
        Some(V::Str(s)) if &*s == b"#" => Ok(vec![V::Int(args.len() as i64 - 1)]),
        Some(V::Int(n)) if n > 0 => Ok(args.into_iter().skip(n as usize).collect()),
        Some(V::Int(n)) if n < 0 => {
            let len = args.len() as i64 - 1;
            Ok(args.into_iter().skip((len + 1 + n) as usize).collect())
        }
        _ => Err("bad argument #1 to 'select'".into()),
    }
}

fn type_(_: &mut Ctx, args: Vec<V>) -> Result<Vec<V>, String> {
    let t = args.first().map_or("nil", |v| v.type_name());
    Ok(vec![V::Str(t.as_bytes().into())])
}

fn pcall(ctx: &mut Ctx, mut args: Vec<V>) -> Result<Vec<V>, String> {
    if args.is_empty() {
        return Err("bad argument #1 to 'pcall'".into());
    }
    let f = args.remove(0);
    match call(ctx, &f, args) {
        Ok(mut r) => {
            r.insert(0, V::Bool(true));
            Ok(r)
        }
        Err(m) => Ok(vec![V::Bool(false), V::Str(m.as_bytes().into())]),
    }
}

fn error_(_: &mut Ctx, args: Vec<V>) -> Result<Vec<V>, String> {
    Err(args.first().map_or("nil".into(), |v| v.to_string()))
}

fn next_(_: &mut Ctx, args: Vec<V>) -> Result<Vec<V>, String> {
    // Iterates in a stable order: integer keys first, ascending.
    let V::Table(t) = args.first().cloned().unwrap_or(V::Nil) else {
        return Err("bad argument #1 to 'next'".into());
    };
    let t = t.borrow();
    let mut keys: Vec<(&Key, &V)> = t.map.iter().collect();
    keys.sort_by_key(|(k, _)| match k {
        Key::Int(i) => (0, *i, Vec::new()),
        Key::Str(s) => (1, 0, s.to_vec()),
        _ => (2, 0, Vec::new()),
    });
    let after = args.get(1).cloned().unwrap_or(V::Nil).key()?;
    let pos = match after {
        None => 0,
        Some(k) => keys
            .iter()
            .position(|(kk, _)| **kk == k)
            .map_or(keys.len(), |p| p + 1),
    };
    Ok(match keys.get(pos) {
        Some((k, v)) => vec![
            match k {
                Key::Int(i) => V::Int(*i),
                Key::Str(s) => V::Str(s.clone()),
                Key::Bool(b) => V::Bool(*b),
                Key::Flt(f) => V::Flt(f64::from_bits(*f)),
                Key::Ptr(_) => V::Nil,
            },
            (*v).clone(),
        ],
        None => vec![V::Nil],
    })
}

fn pairs(_: &mut Ctx, args: Vec<V>) -> Result<Vec<V>, String> {
    Ok(vec![
        V::Native(next_),
        args.first().cloned().unwrap_or(V::Nil),
        V::Nil,
    ])
}

fn math_type(_: &mut Ctx, args: Vec<V>) -> Result<Vec<V>, String> {
    Ok(vec![match args.first() {
        Some(V::Int(_)) => V::Str(b"integer"[..].into()),
        Some(V::Flt(_)) => V::Str(b"float"[..].into()),
        _ => V::Nil,
    }])
}

/// Compiles and runs `src`; returns what it printed, or the error.
pub fn run_source(src: &str) -> Result<String, String> {
    let proto = vm_ext::compiler::compile(src.as_bytes(), "=test").map_err(|e| e.message)?;
    let g = Rc::new(RefCell::new(Table::default()));
    let genv = V::Table(g.clone());
    for (name, f) in [
        (
            "print",
            print as fn(&mut Ctx, Vec<V>) -> Result<Vec<V>, String>,
        ),
        ("assert", assert_),
        ("select", select),
        ("type", type_),
        ("pcall", pcall),
        ("error", error_),
        ("next", next_),
        ("pairs", pairs),
    ] {
        set_index(&genv, &V::Str(name.as_bytes().into()), V::Native(f))?;
    }
    let math = V::Table(Rc::new(RefCell::new(Table::default())));
    set_index(&math, &V::Str(b"type"[..].into()), V::Native(math_type))?;
    set_index(&genv, &V::Str(b"math"[..].into()), math)?;
    let main = Rc::new(Closure {
        proto: Rc::new(proto),
        upvals: vec![Rc::new(RefCell::new(genv))],
    });
    let mut ctx = Ctx {
        out: String::new(),
        depth: 0,
    };
    call(&mut ctx, &V::Func(main), vec![])?;
    Ok(ctx.out)
}
