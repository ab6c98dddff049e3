//! A small CBOR reader for the records the project writes with serde +
//! ciborium (`_home` records, `string.dump` chunks, store batches,
//! snapshots and exports). It reads what ciborium's serde deserializer reads
//! for those types — structs as maps with text keys in any order (unknown
//! keys skipped, a missing `Option` field is `None`), enums as a text
//! string (unit variant) or a one-entry map (variant with data), integers of
//! any width, floats of half, single or double width, definite or
//! indefinite lengths — with one decoder instead of one copy
//! of ciborium's generic decoder per visitor (serde's derives instantiated
//! ~250 functions, ~150 KB of the optimised wasm).

use std::fmt;

/// Nesting allowed, counted as ciborium counts it (each map, array and
/// enum): deeper input is an error, never a stack overflow.
const MAX_DEPTH: u32 = 256;

/// Why bytes could not be read.
#[derive(Debug, Clone, PartialEq)]
pub enum CborError {
    /// The input ends inside a value.
    Eof,
    /// Not the expected shape: what was expected, and at which byte.
    Expected(&'static str, usize),
    /// A semantic problem (unknown variant, duplicate or missing field...).
    Invalid(String, usize),
}

impl fmt::Display for CborError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CborError::Eof => f.write_str("unexpected end of input"),
            CborError::Expected(what, at) => write!(f, "expected {what} at byte {at}"),
            CborError::Invalid(what, at) => write!(f, "{what} at byte {at}"),
        }
    }
}

pub type Result<T> = std::result::Result<T, CborError>;

/// One CBOR data item head.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Head {
    Pos(u64),
    Neg(u64),
    Bytes(Option<u64>),
    Text(Option<u64>),
    Array(Option<u64>),
    Map(Option<u64>),
    Float(f64),
    Simple(u8),
    Break,
}

/// Reads a struct field's value (see [`Reader::fields`]).
type FieldFn<'f, 'a> = dyn FnMut(&mut Reader<'a>, &[u8], usize) -> Result<bool> + 'f;

/// A cursor over CBOR bytes.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    depth: u32,
}

/// A half-precision float widened as the `half` crate (ciborium's) does it.
fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let mant = h & 0x3ff;
    if exp == 31 && mant != 0 {
        // A NaN keeps its payload, made quiet.
        return f64::from_bits(
            (u64::from(h & 0x8000) << 48) | 0x7ff8_0000_0000_0000 | (u64::from(mant) << 42),
        );
    }
    let mant = f64::from(mant);
    sign * match exp {
        0 => mant * 2f64.powi(-24),
        31 => f64::INFINITY,
        _ => (1024.0 + mant) * 2f64.powi(exp - 25),
    }
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pos: 0,
            depth: MAX_DEPTH,
        }
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8]> {
        let rest = self.rest();
        let n = usize::try_from(n).map_err(|_| CborError::Eof)?;
        if n > rest.len() {
            return Err(CborError::Eof);
        }
        self.pos += n;
        Ok(&rest[..n])
    }

    fn arg(&mut self, info: u8) -> Result<Option<u64>> {
        let n = match info {
            0..=23 => return Ok(Some(u64::from(info))),
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            31 => return Ok(None),
            _ => return Err(CborError::Expected("a valid item head", self.pos - 1)),
        };
        let b = self.take(n)?;
        Ok(Some(b.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x))))
    }

    /// The next head.
    pub fn head(&mut self) -> Result<Head> {
        let at = self.pos;
        let b = *self.take(1)?.first().ok_or(CborError::Eof)?;
        let (major, info) = (b >> 5, b & 0x1f);
        let arg = self.arg(info)?;
        let definite = |h: fn(u64) -> Head| {
            arg.map(h)
                .ok_or(CborError::Expected("a definite length", at))
        };
        match major {
            0 => definite(Head::Pos),
            1 => definite(Head::Neg),
            2 => Ok(Head::Bytes(arg)),
            3 => Ok(Head::Text(arg)),
            4 => Ok(Head::Array(arg)),
            5 => Ok(Head::Map(arg)),
            7 => Ok(match (info, arg) {
                (31, _) => Head::Break,
                (25, Some(x)) => Head::Float(f16_to_f64(x as u16)),
                (26, Some(x)) => Head::Float(f64::from(f32::from_bits(x as u32))),
                (27, Some(x)) => Head::Float(f64::from_bits(x)),
                (_, Some(x)) => Head::Simple(x as u8),
                (_, None) => return Err(CborError::Expected("a simple value", at)),
            }),
            // A tag (major type 6): ciborium writes none for these types,
            // so a tagged item is damage (ciborium's reader skips most).
            _ => Err(CborError::Expected("an untagged item", at)),
        }
    }

    fn peek(&mut self) -> Result<Head> {
        let (pos, h) = (self.pos, self.head());
        self.pos = pos;
        h
    }

    fn expected<T>(&self, what: &'static str, at: usize) -> Result<T> {
        Err(CborError::Expected(what, at))
    }

    /// An error about the item that starts at `at`.
    pub fn invalid<T>(&self, what: impl Into<String>, at: usize) -> Result<T> {
        Err(CborError::Invalid(what.into(), at))
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    /// An unsigned integer.
    pub fn u64(&mut self) -> Result<u64> {
        let at = self.pos;
        match self.head()? {
            Head::Pos(x) => Ok(x),
            _ => self.expected("an unsigned integer", at),
        }
    }

    /// An unsigned integer that fits `T`.
    pub fn uint<T: TryFrom<u64>>(&mut self) -> Result<T> {
        let at = self.pos;
        let x = self.u64()?;
        T::try_from(x).map_err(|_| out_of_range(at))
    }

    /// A signed 64-bit integer.
    pub fn i64(&mut self) -> Result<i64> {
        let at = self.pos;
        let r = match self.head()? {
            Head::Pos(x) => i64::try_from(x).ok(),
            Head::Neg(x) => i64::try_from(x).ok().map(|x| x ^ !0),
            _ => return self.expected("an integer", at),
        };
        r.map_or_else(|| self.invalid("integer out of range", at), Ok)
    }

    /// A float (of any width).
    pub fn f64(&mut self) -> Result<f64> {
        let at = self.pos;
        match self.head()? {
            Head::Float(x) => Ok(x),
            _ => self.expected("a float", at),
        }
    }

    /// `true` or `false`.
    pub fn bool(&mut self) -> Result<bool> {
        let at = self.pos;
        match self.head()? {
            Head::Simple(20) => Ok(false),
            Head::Simple(21) => Ok(true),
            _ => self.expected("a bool", at),
        }
    }

    /// Consumes a `null` or `undefined` (an `Option`'s `None`) if one is next.
    pub fn none(&mut self) -> Result<bool> {
        if matches!(self.peek()?, Head::Simple(22 | 23)) {
            self.head()?;
            return Ok(true);
        }
        Ok(false)
    }

    /// An `Option`: `None` for a `null` or `undefined`, else `f`'s value.
    pub fn option<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<Option<T>> {
        if self.none()? {
            Ok(None)
        } else {
            f(self).map(Some)
        }
    }

    /// The contents of a byte or text string (definite or in chunks).
    fn string(&mut self, text: bool) -> Result<Vec<u8>> {
        let at = self.pos;
        let len = match (self.head()?, text) {
            (Head::Bytes(len), false) | (Head::Text(len), true) => len,
            _ => {
                return self.expected(
                    if text {
                        "a text string"
                    } else {
                        "a byte string"
                    },
                    at,
                )
            }
        };
        let out = match len {
            Some(n) => self.take(n)?.to_vec(),
            None => {
                let mut out = Vec::new();
                loop {
                    let at = self.pos;
                    match (self.head()?, text) {
                        (Head::Break, _) => break out,
                        (Head::Bytes(Some(n)), false) | (Head::Text(Some(n)), true) => {
                            out.extend_from_slice(self.take(n)?)
                        }
                        _ => return self.expected("a string chunk", at),
                    }
                }
            }
        };
        if text && std::str::from_utf8(&out).is_err() {
            return self.invalid("invalid UTF-8 in a text string", at);
        }
        Ok(out)
    }

    /// A byte string (ciborium reads nothing else into serde's byte buffers).
    pub fn bytes(&mut self) -> Result<Vec<u8>> {
        self.string(false)
    }

    /// A text string.
    pub fn text(&mut self) -> Result<String> {
        let at = self.pos;
        let b = self.string(true)?;
        String::from_utf8(b).or_else(|_| self.invalid("invalid UTF-8", at))
    }

    /// A field or variant name: a definite text or byte string.
    fn ident(&mut self) -> Result<&'a [u8]> {
        let at = self.pos;
        match self.head()? {
            Head::Text(Some(n)) => {
                let s = self.take(n)?;
                match std::str::from_utf8(s) {
                    Ok(_) => Ok(s),
                    Err(_) => self.expected("a UTF-8 name", at),
                }
            }
            Head::Bytes(Some(n)) => self.take(n),
            _ => self.expected("a name", at),
        }
    }

    fn enter(&mut self, at: usize) -> Result<()> {
        match self.depth.checked_sub(1) {
            Some(d) => {
                self.depth = d;
                Ok(())
            }
            None => self.invalid("nesting too deep", at),
        }
    }

    fn leave(&mut self) {
        self.depth += 1;
    }

    /// Whether another element of an array or map of length `len` (`None`:
    /// indefinite, ended by a break) follows; counts it.
    #[inline(never)]
    fn more(&mut self, len: &mut Option<u64>) -> Result<bool> {
        match len {
            Some(0) => Ok(false),
            Some(n) => {
                *n -= 1;
                Ok(true)
            }
            None if self.peek()? == Head::Break => {
                self.head()?;
                Ok(false)
            }
            None => Ok(true),
        }
    }

    // The generic helpers below stay thin: their work is in non-generic
    // functions kept out of line, so each record type adds little code.

    /// Opens an array (or, `map`, a map): its length, `None` if indefinite.
    #[inline(never)]
    fn open(&mut self, map: bool) -> Result<Option<u64>> {
        let at = self.pos;
        let len = match (self.head()?, map) {
            (Head::Array(len), false) | (Head::Map(len), true) => len,
            _ => return self.expected(if map { "a map" } else { "an array" }, at),
        };
        self.enter(at)?;
        Ok(len)
    }

    /// An array, each element read by `f`.
    pub fn seq<T>(&mut self, mut f: impl FnMut(&mut Self) -> Result<T>) -> Result<Vec<T>> {
        let mut len = self.open(false)?;
        let mut out = Vec::with_capacity(len.unwrap_or(0).min(256) as usize);
        while self.more(&mut len)? {
            out.push(f(self)?);
        }
        self.leave();
        Ok(out)
    }

    /// Checks that element `n` (0-based; 2: the end) of a pair that started
    /// at `at` is there (or, for 2, that nothing follows).
    #[inline(never)]
    fn pair_step(&mut self, len: &mut Option<u64>, n: u8, at: usize) -> Result<()> {
        if self.more(len)? == (n < 2) {
            if n == 2 {
                self.leave();
            }
            return Ok(());
        }
        self.invalid(format!("not an array of two (element {n})"), at)
    }

    /// A pair (a two-element array).
    pub fn pair<A, B>(
        &mut self,
        a: impl FnOnce(&mut Self) -> Result<A>,
        b: impl FnOnce(&mut Self) -> Result<B>,
    ) -> Result<(A, B)> {
        let at = self.pos;
        let mut len = self.open(false)?;
        self.pair_step(&mut len, 0, at)?;
        let x = a(self)?;
        self.pair_step(&mut len, 1, at)?;
        let y = b(self)?;
        self.pair_step(&mut len, 2, at)?;
        Ok((x, y))
    }

    /// A struct: a map with name keys; `field` reads the value of a known
    /// name and returns false for an unknown one (whose value is skipped).
    pub fn fields(
        &mut self,
        mut field: impl FnMut(&mut Self, &[u8], usize) -> Result<bool>,
    ) -> Result<()> {
        self.fields_dyn(&mut field)
    }

    #[inline(never)]
    fn fields_dyn(&mut self, field: &mut FieldFn<'_, 'a>) -> Result<()> {
        let mut len = self.open(true)?;
        while self.more(&mut len)? {
            let at = self.pos;
            let name = self.ident()?;
            if !field(self, name, at)? {
                self.skip()?;
            }
        }
        self.leave();
        Ok(())
    }

    /// Opens an enum: its variant's name and where the enum starts.
    #[inline(never)]
    fn open_variant(&mut self) -> Result<(&'a [u8], usize)> {
        let at = self.pos;
        match self.peek()? {
            Head::Map(Some(1)) => {
                self.head()?;
            }
            Head::Text(_) => {}
            _ => return self.expected("an enum", at),
        }
        self.enter(at)?;
        Ok((self.ident()?, at))
    }

    /// An enum: a one-entry map from the variant's name to its data, or
    /// the name as a text string (a unit variant). As for ciborium, the
    /// form does not decide: `variant` gets the name and reads the data
    /// its variant has, which follows the name in both forms.
    pub fn variant<T>(
        &mut self,
        variant: impl FnOnce(&mut Self, &[u8], usize) -> Result<T>,
    ) -> Result<T> {
        let (name, at) = self.open_variant()?;
        let v = variant(self, name, at)?;
        self.leave();
        Ok(v)
    }

    /// An unknown variant's error.
    pub fn unknown_variant<T>(&self, name: &[u8], at: usize) -> Result<T> {
        self.invalid(
            format!("unknown variant {:?}", String::from_utf8_lossy(name)),
            at,
        )
    }

    /// One item of any kind as a generic value (what ciborium's
    /// `from_reader::<Value>` gives for untagged input).
    pub fn value(&mut self) -> Result<ciborium::Value> {
        use ciborium::Value;
        let at = self.pos;
        Ok(match self.head()? {
            Head::Pos(x) => Value::Integer(x.into()),
            Head::Neg(x) => match ciborium::value::Integer::try_from(-1 - i128::from(x)) {
                Ok(i) => Value::Integer(i),
                Err(_) => return self.invalid("integer out of range", at),
            },
            Head::Bytes(_) | Head::Text(_) => {
                self.pos = at;
                match self.buf[at] >> 5 {
                    2 => Value::Bytes(self.string(false)?),
                    _ => Value::Text(self.text()?),
                }
            }
            Head::Array(_) => {
                self.pos = at;
                Value::Array(self.seq(Self::value)?)
            }
            Head::Map(_) => {
                self.pos = at;
                let mut len = self.open(true)?;
                let mut m = Vec::new();
                while self.more(&mut len)? {
                    m.push((self.value()?, self.value()?));
                }
                self.leave();
                Value::Map(m)
            }
            Head::Float(x) => Value::Float(x),
            Head::Simple(20) => Value::Bool(false),
            Head::Simple(21) => Value::Bool(true),
            Head::Simple(22 | 23) => Value::Null,
            _ => return self.expected("an item", at),
        })
    }

    /// Skips one item of any kind.
    pub fn skip(&mut self) -> Result<()> {
        let at = self.pos;
        match self.head()? {
            Head::Bytes(Some(n)) => {
                self.take(n)?;
            }
            h @ (Head::Bytes(None) | Head::Text(_)) => {
                // Text is checked for UTF-8 even when skipped (as serde's
                // `IgnoredAny` through ciborium does).
                self.pos = at;
                self.string(matches!(h, Head::Text(_)))?;
            }
            Head::Array(mut len) | Head::Map(mut len) => {
                let map = matches!(self.buf[at] >> 5, 5);
                self.enter(at)?;
                while self.more(&mut len)? {
                    self.skip()?;
                    if map {
                        self.skip()?;
                    }
                }
                self.leave();
            }
            Head::Pos(_) | Head::Neg(_) | Head::Float(_) | Head::Simple(20..=23) => {}
            _ => return self.expected("an item", at),
        }
        Ok(())
    }
}

#[cold]
#[inline(never)]
fn out_of_range(at: usize) -> CborError {
    CborError::Invalid("integer out of range".into(), at)
}

/// Sets a struct field once: a second occurrence is an error.
pub fn once<T>(
    r: &mut Reader<'_>,
    slot: &mut Option<T>,
    name: &str,
    at: usize,
    v: impl FnOnce(&mut Reader<'_>) -> Result<T>,
) -> Result<bool> {
    if slot.is_some() {
        return Err(field_error("duplicate", name, at));
    }
    *slot = Some(v(r)?);
    Ok(true)
}

/// A duplicate or missing field's error, out of line: the generic helpers
/// around it are instantiated for every field.
#[cold]
#[inline(never)]
fn field_error(what: &str, name: &str, at: usize) -> CborError {
    CborError::Invalid(format!("{what} field `{name}`"), at)
}

/// A required field's value, or the error serde gives when it is missing.
pub fn required<T>(_: &Reader<'_>, slot: Option<T>, name: &str, at: usize) -> Result<T> {
    slot.ok_or_else(|| field_error("missing", name, at))
}

/// For the tests that compare this reader with serde's on damaged
/// records: applies `edits` (position, byte, operation: 0 overwrite,
/// 1 truncate, 2 insert, 3 remove) to `bytes`.
#[cfg(test)]
pub(crate) fn damage(bytes: &mut Vec<u8>, edits: &[(proptest::sample::Index, u8, u8)]) {
    for &(at, byte, op) in edits {
        if bytes.is_empty() {
            break;
        }
        let i = at.index(bytes.len());
        match op {
            0 => bytes[i] = byte,
            1 => bytes.truncate(i),
            2 => bytes.insert(i, byte),
            _ => {
                bytes.remove(i);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_floats() {
        for (bits, want) in [
            (0x3c00u16, 1.0),
            (0xc000, -2.0),
            (0x7bff, 65504.0),
            (0x0001, 5.960464477539063e-8),
            (0x7c00, f64::INFINITY),
        ] {
            assert_eq!(f16_to_f64(bits), want, "{bits:#x}");
        }
        assert!(f16_to_f64(0x7e00).is_nan());
    }

    #[test]
    fn every_float_width_reads_as_ciborium_writes_it() {
        for x in [
            0.0,
            -0.0,
            1.5,
            0.1,
            1e300,
            -3.25e-5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            65504.0,
            1e-7,
        ] {
            let mut out = Vec::new();
            ciborium::ser::into_writer(&x, &mut out).unwrap();
            let got = Reader::new(&out).f64().unwrap();
            assert_eq!(got.to_bits(), x.to_bits(), "{x}");
        }
        let mut out = Vec::new();
        ciborium::ser::into_writer(&f64::NAN, &mut out).unwrap();
        assert!(Reader::new(&out).f64().unwrap().is_nan());
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let bytes = vec![0x81u8; 100_000];
        assert!(Reader::new(&bytes).skip().is_err());
    }
}
