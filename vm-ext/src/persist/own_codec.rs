//! The binary encoding of the own core's [`Proto`] trees inside function
//! images (`string.dump` output and `_home` function values): a 4-byte
//! magic, then each prototype's fields in declaration order as LEB128
//! varints (signed ones zigzagged), bytes with a varint length, one tag byte
//! per instruction followed by its operands. Hand-written instead of serde +
//! CBOR: the derived CBOR decoder instantiated ciborium once per instruction
//! variant and was ~1 MB of the 2.5 MB wasm.
//!
//! Decoding trusts nothing: counts are checked against the bytes left
//! (every element takes at least one byte), nesting is bounded by the
//! verifier's depth limit, strings must be UTF-8 and no bytes may trail. The
//! tree still goes through [`crate::verify`] before it runs.

use crate::bytecode::{Constant, LocalVar, Op, Proto, UpvalueDesc};

/// The first bytes of an encoded tree. An image from before this encoding
/// held CBOR (a map: its first byte is 0xa0..=0xbf), so the two never mix.
pub const MAGIC: &[u8; 4] = b"LhP\x01";

/// Why bytes are not an encoded prototype tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad prototype encoding: {0}")]
pub struct DecodeError(pub String);

/// The bytes of `proto` and everything nested in it.
pub fn encode(proto: &Proto) -> Vec<u8> {
    let mut w = Writer(MAGIC.to_vec());
    w.proto(proto, None);
    w.0
}

/// The prototype tree encoded in `bytes` by [`encode`] (not yet verified).
pub fn decode(bytes: &[u8]) -> Result<Proto, DecodeError> {
    let Some(rest) = bytes.strip_prefix(MAGIC) else {
        if bytes.first().is_some_and(|b| (0xa0..=0xbf).contains(b)) {
            return legacy::decode(bytes);
        }
        return Err(DecodeError("not a luahome prototype".into()));
    };
    let mut r = Reader {
        bytes: rest,
        pos: 0,
        damage: None,
    };
    let mut proto = r.proto(0)?;
    if r.pos != rest.len() {
        return Err(r.bad("trailing bytes"));
    }
    inherit_source(&mut proto);
    Ok(proto)
}

/// Gives nested functions written with an empty source their parent's.
fn inherit_source(p: &mut Proto) {
    for c in &mut p.protos {
        if c.source.is_empty() {
            c.source = p.source.clone();
        }
        inherit_source(c);
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    fn uint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn int(&mut self, v: i64) {
        self.uint(((v << 1) ^ (v >> 63)) as u64);
    }

    fn bytes(&mut self, b: &[u8]) {
        self.uint(b.len() as u64);
        self.0.extend_from_slice(b);
    }

    /// A nested function's source, the same as its parent's, is written
    /// empty (sources are never empty): a dump names its chunk once.
    fn proto(&mut self, p: &Proto, parent_source: Option<&str>) {
        if parent_source == Some(p.source.as_str()) {
            self.bytes(b"");
        } else {
            self.bytes(p.source.as_bytes());
        }
        self.uint(p.line_defined.into());
        self.uint(p.last_line_defined.into());
        self.byte(p.num_params);
        self.byte(p.is_vararg.into());
        self.byte(p.max_stack);
        self.uint(p.code.len() as u64);
        p.code.iter().for_each(|op| put_op(self, op));
        self.uint(p.lines.len() as u64);
        p.lines.iter().for_each(|&l| self.uint(l.into()));
        self.uint(p.constants.len() as u64);
        for c in &p.constants {
            match c {
                Constant::Nil => self.byte(0),
                Constant::Boolean(b) => self.byte(1 + u8::from(*b)),
                Constant::Integer(i) => {
                    self.byte(3);
                    self.int(*i);
                }
                Constant::Float(f) => {
                    self.byte(4);
                    self.0.extend_from_slice(&f.to_le_bytes());
                }
                Constant::String(s) => {
                    self.byte(5);
                    self.bytes(s);
                }
            }
        }
        self.uint(p.upvalues.len() as u64);
        for u in &p.upvalues {
            self.byte(u.in_stack.into());
            self.byte(u.index);
            self.bytes(u.name.as_bytes());
        }
        self.uint(p.protos.len() as u64);
        p.protos
            .iter()
            .for_each(|c| self.proto(c, Some(p.source.as_str())));
        self.uint(p.locals.len() as u64);
        for l in &p.locals {
            self.bytes(l.name.as_bytes());
            self.uint(l.start_pc.into());
            self.uint(l.end_pc.into());
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// The first error met by [`Operand::get`] in the current instruction.
    damage: Option<DecodeError>,
}

impl Reader<'_> {
    #[cold]
    #[inline(never)]
    fn bad(&self, what: &str) -> DecodeError {
        DecodeError(format!("{what} at byte {}", self.pos + MAGIC.len()))
    }

    /// `v`'s value, or (recording the error) the default.
    fn keep<T: Default>(&mut self, v: Result<T, DecodeError>) -> T {
        v.unwrap_or_else(|e| {
            self.damage.get_or_insert(e);
            T::default()
        })
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| self.bad("unexpected end"))?;
        self.pos += 1;
        Ok(b)
    }

    fn uint(&mut self) -> Result<u64, DecodeError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(self.bad("varint too large"));
            }
            v |= bits << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(self.bad("varint too long"))
    }

    fn int(&mut self) -> Result<i64, DecodeError> {
        let u = self.uint()?;
        Ok((u >> 1) as i64 ^ -((u & 1) as i64))
    }

    /// A number that must fit `T` (operands, lines, counts). Not inlined:
    /// the decoder has ~200 operand sites and loading code is not hot.
    #[inline(never)]
    fn num<T: TryFrom<u64>>(&mut self) -> Result<T, DecodeError> {
        let v = self.uint()?;
        T::try_from(v).map_err(|_| self.bad("number out of range"))
    }

    /// A signed number that must fit `T`.
    #[inline(never)]
    fn signed<T: TryFrom<i64>>(&mut self) -> Result<T, DecodeError> {
        let v = self.int()?;
        T::try_from(v).map_err(|_| self.bad("number out of range"))
    }

    #[inline(never)]
    fn flag(&mut self) -> Result<bool, DecodeError> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.bad("bad flag")),
        }
    }

    /// An element count: each element takes at least one byte, so a count
    /// beyond the bytes left is damage (and allocating for it is not done).
    fn count(&mut self) -> Result<usize, DecodeError> {
        let n = self.uint()?;
        if n > (self.bytes.len() - self.pos) as u64 {
            return Err(self.bad("count beyond the end"));
        }
        Ok(n as usize)
    }

    fn bytes(&mut self) -> Result<Vec<u8>, DecodeError> {
        let n = self.count()?;
        let b = self.bytes[self.pos..self.pos + n].to_vec();
        self.pos += n;
        Ok(b)
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        let b = self.bytes()?;
        String::from_utf8(b).map_err(|_| self.bad("name is not UTF-8"))
    }

    fn list<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let n = self.count()?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(item(self)?);
        }
        Ok(v)
    }

    fn proto(&mut self, depth: usize) -> Result<Proto, DecodeError> {
        if depth > crate::verify::MAX_DEPTH {
            return Err(self.bad("functions nested too deeply"));
        }
        Ok(Proto {
            source: self.string()?,
            line_defined: self.num()?,
            last_line_defined: self.num()?,
            num_params: self.byte()?,
            is_vararg: self.flag()?,
            max_stack: self.byte()?,
            code: self.list(get_op)?,
            lines: self.list(Self::num)?,
            constants: self.list(|r| {
                Ok(match r.byte()? {
                    0 => Constant::Nil,
                    1 => Constant::Boolean(false),
                    2 => Constant::Boolean(true),
                    3 => Constant::Integer(r.int()?),
                    4 => {
                        let end = r.pos + 8;
                        let b = r
                            .bytes
                            .get(r.pos..end)
                            .ok_or_else(|| r.bad("unexpected end"))?;
                        let f = f64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
                        r.pos = end;
                        Constant::Float(f)
                    }
                    5 => Constant::String(r.bytes()?),
                    _ => return Err(r.bad("bad constant tag")),
                })
            })?,
            upvalues: self.list(|r| {
                Ok(UpvalueDesc {
                    in_stack: r.flag()?,
                    index: r.byte()?,
                    name: r.string()?,
                })
            })?,
            protos: self.list(|r| r.proto(depth + 1))?,
            locals: self.list(|r| {
                Ok(LocalVar {
                    name: r.string()?,
                    start_pc: r.num()?,
                    end_pc: r.num()?,
                })
            })?,
        })
    }
}

/// One operand's encoding: unsigned as varints, signed zigzagged, flags as
/// one byte.
trait Operand: Sized {
    fn put(self, w: &mut Writer);
    /// The next operand; on damage, records the error in `r` and answers a
    /// placeholder (one call per operand site, no error plumbing: the
    /// decoder has ~200 such sites).
    fn get(r: &mut Reader<'_>) -> Self;
    /// The operand in an image of the earlier CBOR form.
    fn legacy(v: &ciborium::Value) -> Result<Self, DecodeError>
    where
        Self: Sized;
    /// The value farthest from zero (tests).
    #[cfg(test)]
    fn extreme() -> Self;
}

macro_rules! unsigned_operand {
    ($($t:ty),*) => {$(
        impl Operand for $t {
            fn put(self, w: &mut Writer) {
                w.uint(self.into());
            }
            #[inline(never)]
            fn get(r: &mut Reader<'_>) -> Self {
                let v = r.num();
                r.keep(v)
            }
            fn legacy(v: &ciborium::Value) -> Result<Self, DecodeError> {
                legacy::uint(v)
            }
            #[cfg(test)]
            fn extreme() -> Self {
                <$t>::MAX
            }
        }
    )*};
}
unsigned_operand!(u8, u16, u32);

macro_rules! signed_operand {
    ($($t:ty),*) => {$(
        impl Operand for $t {
            fn put(self, w: &mut Writer) {
                w.int(self.into());
            }
            #[inline(never)]
            fn get(r: &mut Reader<'_>) -> Self {
                let v = r.signed();
                r.keep(v)
            }
            fn legacy(v: &ciborium::Value) -> Result<Self, DecodeError> {
                legacy::sint(v)
            }
            #[cfg(test)]
            fn extreme() -> Self {
                <$t>::MIN
            }
        }
    )*};
}
signed_operand!(i16, i32);

impl Operand for bool {
    fn put(self, w: &mut Writer) {
        w.byte(self.into());
    }
    #[inline(never)]
    fn get(r: &mut Reader<'_>) -> Self {
        let v = r.flag();
        r.keep(v)
    }
    fn legacy(v: &ciborium::Value) -> Result<Self, DecodeError> {
        legacy::flag(v)
    }
    #[cfg(test)]
    fn extreme() -> Self {
        true
    }
}

/// The instruction tags (part of the format: append new instructions with
/// new numbers, never renumber) and operands in encoding order. A variant
/// missing here fails to compile (`put_op`'s match is exhaustive).
macro_rules! instructions {
    ($($tag:literal $name:ident { $($f:ident),* })*) => {
        fn put_op(w: &mut Writer, op: &Op) {
            match *op {
                $(Op::$name { $($f),* } => {
                    w.byte($tag);
                    $($f.put(w);)*
                })*
            }
        }

        fn get_op(r: &mut Reader<'_>) -> Result<Op, DecodeError> {
            let op = match r.byte()? {
                $($tag => Op::$name { $($f: Operand::get(r)),* },)*
                _ => return Err(r.bad("unknown instruction")),
            };
            match r.damage.take() {
                None => Ok(op),
                Some(e) => Err(e),
            }
        }

        /// An instruction of the earlier CBOR form (serde's externally
        /// tagged enum: `{"Name": {"field": n, ...}}`).
        /// (Each operand is one call of `Fields::get`, which keeps the
        /// first error: with a `?` per operand, the ~200 lookups and their
        /// error paths were inlined, 33.5 KB of the wasm.)
        fn legacy_op(v: &ciborium::Value) -> Result<Op, DecodeError> {
            let (name, body) = legacy::variant(v)?;
            let mut f = legacy::Fields { body, damage: None };
            let op = match name {
                $(stringify!($name) => Op::$name {
                    $($f: f.get(stringify!($f))),*
                },)*
                _ => return Err(legacy::bad("unknown instruction")),
            };
            match f.damage {
                None => Ok(op),
                Some(e) => Err(e),
            }
        }

        /// Every instruction twice: operands zero, then farthest from zero.
        #[cfg(test)]
        fn every_op() -> Vec<Op> {
            let mut ops = vec![$(Op::$name { $($f: Default::default()),* },)*];
            ops.extend([$(Op::$name { $($f: Operand::extreme()),* },)*]);
            ops
        }
    };
}

instructions! {
    0 Move { a, b }
    1 LoadI { a, i }
    2 LoadF { a, i }
    3 LoadK { a, k }
    4 LoadFalse { a }
    5 LFalseSkip { a }
    6 LoadTrue { a }
    7 LoadNil { a, n }
    8 GetUpval { a, b }
    9 SetUpval { a, b }
    10 GetTabUp { a, up, k }
    11 GetTable { a, b, c }
    12 GetI { a, b, c }
    13 GetField { a, b, k }
    14 SetTabUp { up, k, c, kc }
    15 SetTable { a, b, c, kc }
    16 SetI { a, b, c, kc }
    17 SetField { a, k, c, kc }
    18 NewTable { a, hash, array }
    19 SelfOp { a, b, c, kc }
    20 AddI { a, b, i }
    21 AddK { a, b, k }
    22 SubK { a, b, k }
    23 MulK { a, b, k }
    24 ModK { a, b, k }
    25 PowK { a, b, k }
    26 DivK { a, b, k }
    27 IDivK { a, b, k }
    28 BAndK { a, b, k }
    29 BOrK { a, b, k }
    30 BXorK { a, b, k }
    31 ShrI { a, b, i }
    32 ShlI { a, b, i }
    33 Add { a, b, c }
    34 Sub { a, b, c }
    35 Mul { a, b, c }
    36 Mod { a, b, c }
    37 Pow { a, b, c }
    38 Div { a, b, c }
    39 IDiv { a, b, c }
    40 BAnd { a, b, c }
    41 BOr { a, b, c }
    42 BXor { a, b, c }
    43 Shl { a, b, c }
    44 Shr { a, b, c }
    45 Unm { a, b }
    46 BNot { a, b }
    47 Not { a, b }
    48 Len { a, b }
    49 Concat { a, n }
    50 Close { a }
    51 Tbc { a }
    52 Jmp { sj }
    53 Eq { a, b, k }
    54 Lt { a, b, k }
    55 Le { a, b, k }
    56 EqK { a, c, k }
    57 EqI { a, i, k }
    58 LtI { a, i, k }
    59 LeI { a, i, k }
    60 GtI { a, i, k }
    61 GeI { a, i, k }
    62 Test { a, k }
    63 TestSet { a, b, k }
    64 Call { a, b, c }
    65 TailCall { a, b }
    66 Return { a, b }
    67 Return0 {  }
    68 Return1 { a }
    69 ForLoop { a, bx }
    70 ForPrep { a, bx }
    71 TForPrep { a, bx }
    72 TForCall { a, c }
    73 TForLoop { a, bx }
    74 SetList { a, b, c }
    75 Closure { a, p }
    76 VarArg { a, c }
    77 KAdd { a, b, k }
    78 KMul { a, b, k }
    79 LtF { a, i, k }
    80 LeF { a, i, k }
    81 GtF { a, i, k }
    82 GeF { a, i, k }
}

/// Images made before this encoding (until 2026-12-02) held the tree as
/// serde's CBOR of [`Proto`]. They are read here from a generic CBOR value
/// (one decoder, not one per instruction), so homes and dumps written then
/// still load.
mod legacy {
    use ciborium::Value;

    use super::DecodeError;
    use crate::bytecode::{Constant, LocalVar, Proto, UpvalueDesc};

    #[cold]
    pub(super) fn bad(what: &str) -> DecodeError {
        DecodeError(format!("older prototype form: {what}"))
    }

    pub(super) fn decode(bytes: &[u8]) -> Result<Proto, DecodeError> {
        let v = crate::persist::cbor::Reader::new(bytes)
            .value()
            .map_err(|e| bad(&e.to_string()))?;
        proto(&v, 0)
    }

    /// A field of a map (a struct, or a variant's body).
    pub(super) fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value, DecodeError> {
        let Value::Map(m) = v else {
            return Err(bad("expected a map"));
        };
        m.iter()
            .find(|(k, _)| matches!(k, Value::Text(t) if t == name))
            .map(|(_, v)| v)
            .ok_or_else(|| bad(&format!("missing field {name}")))
    }

    /// An instruction's operands, read by name from its body; the first
    /// error is kept in `damage` (later reads answer placeholders).
    pub(super) struct Fields<'a> {
        pub(super) body: &'a Value,
        pub(super) damage: Option<DecodeError>,
    }

    impl Fields<'_> {
        #[inline(never)]
        pub(super) fn get<T: super::Operand + Default>(&mut self, name: &str) -> T {
            if self.damage.is_none() {
                match field(self.body, name).and_then(T::legacy) {
                    Ok(v) => return v,
                    Err(e) => self.damage = Some(e),
                }
            }
            T::default()
        }
    }

    /// An enum value: a name alone (unit variant) or `{name: body}`.
    pub(super) fn variant(v: &Value) -> Result<(&str, &Value), DecodeError> {
        const EMPTY: &Value = &Value::Null;
        match v {
            Value::Text(t) => Ok((t.as_str(), EMPTY)),
            Value::Map(m) if m.len() == 1 => match &m[0] {
                (Value::Text(t), body) => Ok((t.as_str(), body)),
                _ => Err(bad("bad variant")),
            },
            _ => Err(bad("bad variant")),
        }
    }

    pub(super) fn uint<T: TryFrom<u64>>(v: &Value) -> Result<T, DecodeError> {
        match v {
            Value::Integer(i) => u64::try_from(*i)
                .ok()
                .and_then(|u| T::try_from(u).ok())
                .ok_or_else(|| bad("number out of range")),
            _ => Err(bad("expected a number")),
        }
    }

    pub(super) fn sint<T: TryFrom<i64>>(v: &Value) -> Result<T, DecodeError> {
        match v {
            Value::Integer(i) => i64::try_from(*i)
                .ok()
                .and_then(|u| T::try_from(u).ok())
                .ok_or_else(|| bad("number out of range")),
            _ => Err(bad("expected a number")),
        }
    }

    pub(super) fn flag(v: &Value) -> Result<bool, DecodeError> {
        match v {
            Value::Bool(b) => Ok(*b),
            _ => Err(bad("expected a boolean")),
        }
    }

    fn text(v: &Value) -> Result<String, DecodeError> {
        match v {
            Value::Text(t) => Ok(t.clone()),
            _ => Err(bad("expected a string")),
        }
    }

    fn array(v: &Value) -> Result<&[Value], DecodeError> {
        match v {
            Value::Array(a) => Ok(a),
            _ => Err(bad("expected an array")),
        }
    }

    fn constant(v: &Value) -> Result<Constant, DecodeError> {
        let (name, body) = variant(v)?;
        Ok(match name {
            "Nil" => Constant::Nil,
            "Boolean" => Constant::Boolean(flag(body)?),
            "Integer" => Constant::Integer(sint(body)?),
            "Float" => Constant::Float(match body {
                Value::Float(f) => *f,
                Value::Integer(i) => i128::from(*i) as f64,
                _ => return Err(bad("expected a float")),
            }),
            "String" => Constant::String(match body {
                Value::Bytes(b) => b.clone(),
                Value::Text(t) => t.clone().into_bytes(),
                _ => return Err(bad("expected bytes")),
            }),
            _ => return Err(bad("unknown constant")),
        })
    }

    fn proto(v: &Value, depth: usize) -> Result<Proto, DecodeError> {
        if depth > crate::verify::MAX_DEPTH {
            return Err(bad("nested too deeply"));
        }
        let list = |name: &str| field(v, name).and_then(array);
        Ok(Proto {
            source: text(field(v, "source")?)?,
            line_defined: uint(field(v, "line_defined")?)?,
            last_line_defined: uint(field(v, "last_line_defined")?)?,
            num_params: uint(field(v, "num_params")?)?,
            is_vararg: flag(field(v, "is_vararg")?)?,
            max_stack: uint(field(v, "max_stack")?)?,
            code: list("code")?
                .iter()
                .map(super::legacy_op)
                .collect::<Result<_, _>>()?,
            lines: list("lines")?.iter().map(uint).collect::<Result<_, _>>()?,
            constants: list("constants")?
                .iter()
                .map(constant)
                .collect::<Result<_, _>>()?,
            upvalues: list("upvalues")?
                .iter()
                .map(|u| {
                    Ok(UpvalueDesc {
                        in_stack: flag(field(u, "in_stack")?)?,
                        index: uint(field(u, "index")?)?,
                        name: text(field(u, "name")?)?,
                    })
                })
                .collect::<Result<_, DecodeError>>()?,
            protos: list("protos")?
                .iter()
                .map(|p| proto(p, depth + 1))
                .collect::<Result<_, _>>()?,
            locals: list("locals")?
                .iter()
                .map(|l| {
                    Ok(LocalVar {
                        name: text(field(l, "name")?)?,
                        start_pc: uint(field(l, "start_pc")?)?,
                        end_pc: uint(field(l, "end_pc")?)?,
                    })
                })
                .collect::<Result<_, DecodeError>>()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Proto {
        let src = br#"
            local t = {1, 2.5, "x\0y", nil, true, false, k = -7, [3] = 1 << 62}
            local function f(a, ...)
              local n = select('#', ...)
              for i = 1, n do a = a + i end
              for k, v in pairs(t) do a = a .. tostring(k) end
              return function() return a, n end
            end
            return f(1, 2, 3), -9223372036854775807 - 1, 0.1, 1e308
        "#;
        crate::compiler::compile(src, "=sample").unwrap()
    }

    #[test]
    fn round_trips_compiled_code_and_every_instruction() {
        let p = sample();
        assert!(!p.protos.is_empty() && !p.locals.is_empty() && !p.upvalues.is_empty());
        assert_eq!(decode(&encode(&p)).unwrap(), p);

        let mut all = p.clone();
        all.code = every_op();
        all.lines = vec![u32::MAX; all.code.len()];
        all.constants.push(Constant::Float(f64::NAN));
        all.constants.push(Constant::Integer(i64::MAX));
        let back = decode(&encode(&all)).unwrap();
        assert_eq!(back.code, all.code);
        assert_eq!(back.lines, all.lines);
        assert!(
            matches!(back.constants[back.constants.len() - 2], Constant::Float(f) if f.is_nan())
        );
        assert_eq!(back.constants.last(), Some(&Constant::Integer(i64::MAX)));
        // Tags are distinct: 83 instructions, each decodes as itself.
        assert_eq!(every_op().len(), 2 * 83);
    }

    #[test]
    fn damage_is_an_error_never_a_panic() {
        let bytes = encode(&sample());
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut rejected = 0;
        for i in 0..bytes.len() {
            for delta in [1u8, 0x7f, 0x80, 0xff] {
                let mut b = bytes.clone();
                b[i] = b[i].wrapping_add(delta);
                rejected += usize::from(decode(&b).is_err());
            }
        }
        assert!(rejected > bytes.len());
        let mut long = bytes.clone();
        long.push(0);
        assert!(decode(&long).unwrap_err().0.contains("trailing"));
        // A count far beyond the bytes is refused before allocating.
        let mut huge = MAGIC.to_vec();
        huge.extend([0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert!(decode(&huge).unwrap_err().0.contains("count beyond"));
        // An operand out of its type's range.
        let tiny = Proto {
            source: String::new(),
            line_defined: 0,
            last_line_defined: 0,
            num_params: 0,
            is_vararg: false,
            max_stack: 0,
            code: vec![Op::Move { a: 0, b: 0 }],
            lines: vec![0],
            constants: Vec::new(),
            upvalues: Vec::new(),
            protos: Vec::new(),
            locals: Vec::new(),
        };
        let mut b = encode(&tiny);
        assert_eq!(b[MAGIC.len() + 6..MAGIC.len() + 10], [1, 0, 0, 0]); // 1 op: Move 0 0
        assert_eq!(decode(&b).unwrap(), tiny);
        b.splice(MAGIC.len() + 9..MAGIC.len() + 10, [0xff, 0x03]); // b: 511
        assert!(decode(&b).unwrap_err().0.contains("out of range"));
    }

    #[test]
    fn nesting_is_bounded_and_old_images_are_named() {
        let leaf = Proto {
            protos: Vec::new(),
            ..sample()
        };
        let mut deep = leaf.clone();
        for _ in 0..=crate::verify::MAX_DEPTH {
            deep = Proto {
                protos: vec![deep],
                ..leaf.clone()
            };
        }
        assert!(decode(&encode(&deep))
            .unwrap_err()
            .0
            .contains("nested too deeply"));
        // The earlier form (serde's CBOR of the tree) still decodes, to the
        // same tree; damaged, it is an error.
        let mut cbor = Vec::new();
        ciborium::ser::into_writer(&sample(), &mut cbor).unwrap();
        assert_eq!(decode(&cbor).unwrap(), sample());
        let mut every = sample();
        every.code = every_op();
        every.lines = vec![1; every.code.len()];
        let mut cbor = Vec::new();
        ciborium::ser::into_writer(&every, &mut cbor).unwrap();
        assert_eq!(decode(&cbor).unwrap(), every);
        for n in 0..cbor.len() {
            let _ = decode(&cbor[..n]);
            let mut damaged = cbor.clone();
            damaged[n] ^= 0x5a;
            let _ = decode(&damaged);
        }
        assert!(decode(b"").unwrap_err().0.contains("not a luahome"));
    }
}
