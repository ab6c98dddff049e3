//! CBOR encoding of `_home` records: written by serde + ciborium, read by
//! hand with [`super::cbor`] (the same input serde's derives read). Every
//! record value carries [`FORMAT_VERSION`]; decoding checks it and never
//! trusts its input.

use std::fmt;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use super::cbor::{self, once, required, Reader};
use super::image::{FunctionImage, ImageConstant, ImageUpvalue};

/// Version written into every record.
pub const FORMAT_VERSION: u32 = 1;

/// Why a record could not be decoded.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CodecError {
    /// The bytes are not the expected CBOR shape.
    #[error("damaged {what} record: {detail}")]
    Malformed { what: &'static str, detail: String },
    /// The record was written by another format version.
    #[error("{what} record has format version {found}; this build reads version {expected}")]
    Version {
        what: &'static str,
        found: u32,
        expected: u32,
    },
    /// The record decoded but its contents are invalid (a bad key, a function
    /// image that fails verification, ...).
    #[error("invalid {what} record: {detail}")]
    Invalid { what: &'static str, detail: String },
}

/// A byte string that serializes as a CBOR byte string (not an array).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ByteBuf(pub Vec<u8>);

impl fmt::Debug for ByteBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b{:?}", String::from_utf8_lossy(&self.0))
    }
}

impl Serialize for ByteBuf {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for ByteBuf {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = ByteBuf;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a byte string")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v.to_vec()))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v.as_bytes().to_vec()))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

/// A persistent table key, normalised as Lua does: a float with an integer
/// value is an integer; NaN and nil are not keys.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PKey {
    /// An integer key (also a float key with an integral value).
    Int(i64),
    /// A float key that is not integral, stored as its bits (never NaN).
    Float(u64),
    /// A byte-string key.
    Str(ByteBuf),
    /// A boolean key.
    Bool(bool),
}

impl PKey {
    /// The key for a float: integral floats become integers; NaN is `None`.
    pub fn from_float(f: f64) -> Option<PKey> {
        if f.is_nan() {
            None
        } else if f.fract() == 0.0
            && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f)
        {
            Some(PKey::Int(f as i64))
        } else {
            Some(PKey::Float(f.to_bits()))
        }
    }

    /// Checks the invariants a decoded key must keep.
    pub fn is_valid(&self) -> bool {
        match self {
            PKey::Float(bits) => {
                let f = f64::from_bits(*bits);
                !f.is_nan() && matches!(PKey::from_float(f), Some(PKey::Float(_)))
            }
            _ => true,
        }
    }

    /// How the key is shown in a path: `.name` or `[3]`.
    pub fn path_segment(&self) -> String {
        match self {
            PKey::Int(i) => format!("[{i}]"),
            PKey::Float(b) => format!("[{}]", crate::number::float_to_string(f64::from_bits(*b))),
            PKey::Bool(b) => format!("[{b}]"),
            PKey::Str(s) => {
                let ident = !s.0.is_empty()
                    && !s.0[0].is_ascii_digit()
                    && s.0.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_');
                if ident {
                    format!(".{}", String::from_utf8_lossy(&s.0))
                } else {
                    format!("[{:?}]", String::from_utf8_lossy(&s.0))
                }
            }
        }
    }
}

/// A persistent value (nil is the absence of an entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PValue {
    /// `true` / `false`.
    Bool(bool),
    /// A Lua integer.
    Int(i64),
    /// A Lua float (any bits, NaN included).
    Float(f64),
    /// A byte string.
    Str(ByteBuf),
    /// A reference to persistent table `id`.
    Table(u64),
    /// A reference to function record `id`.
    Function(u64),
    /// A native function by its registered name (`"string.format"`).
    Native(String),
}

impl PValue {
    /// Equality that treats floats by their bits (so NaN equals itself),
    /// used to decide whether a record must be rewritten.
    pub fn same(&self, other: &PValue) -> bool {
        match (self, other) {
            (PValue::Float(a), PValue::Float(b)) => a.to_bits() == b.to_bits(),
            _ => self == other,
        }
    }
}

/// How a stored closure gets each upvalue back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UpvalueSlot {
    /// The environment (`_ENV`): rebound to the current globals on load.
    Env,
    /// Shared cell `id`; closures naming the same cell share the upvalue.
    Cell(u64),
}

/// The identity of one record in a store.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RecordKey {
    /// The metadata record.
    Meta,
    /// Entry `key` of persistent table `table`.
    Entry(u64, PKey),
    /// Function record `id`.
    Function(u64),
    /// Upvalue cell `id`.
    Cell(u64),
}

/// Store metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetaRecord {
    /// Format version.
    pub v: u32,
    /// The home table id.
    #[serde(
        rename = "homeTableId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub home_table_id: Option<u64>,
    /// The legacy name of the home table id.
    #[serde(
        rename = "memoryTableId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub memory_table_id: Option<u64>,
    /// The next id to hand out.
    #[serde(rename = "nextId", default)]
    pub next_id: u64,
}

#[cfg(test)]
#[derive(Deserialize)]
struct EntryWire {
    v: u32,
    value: PValue,
}

#[derive(Serialize)]
struct EntryWireRef<'a> {
    v: u32,
    value: &'a PValue,
}

#[cfg(test)]
#[derive(Deserialize)]
struct CellWire {
    v: u32,
    value: Option<PValue>,
}

#[derive(Serialize)]
struct CellWireRef<'a> {
    v: u32,
    value: &'a Option<PValue>,
}

/// A stored closure: its prototype tree and how to rebuild each upvalue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionRecord {
    /// The prototype tree.
    pub image: FunctionImage,
    /// One slot per upvalue of the top prototype.
    pub upvalues: Vec<UpvalueSlot>,
}

#[cfg(test)]
#[derive(Deserialize)]
struct FunctionWire {
    v: u32,
    image: FunctionImage,
    upvalues: Vec<UpvalueSlot>,
}

#[derive(Serialize)]
struct FunctionWireRef<'a> {
    v: u32,
    image: &'a FunctionImage,
    upvalues: &'a [UpvalueSlot],
}

fn to_cbor<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    // Serializing plain data into a Vec cannot fail.
    let _ = ciborium::ser::into_writer(value, &mut out);
    out
}

fn check_version(v: u32, what: &'static str) -> Result<(), CodecError> {
    if v == FORMAT_VERSION {
        Ok(())
    } else {
        Err(CodecError::Version {
            what,
            found: v,
            expected: FORMAT_VERSION,
        })
    }
}

/// Encodes a record key.
pub fn encode_key(key: &RecordKey) -> Vec<u8> {
    to_cbor(key)
}

/// Decodes a record key.
pub fn decode_key(bytes: &[u8]) -> Result<RecordKey, CodecError> {
    let key = decode(bytes, "key", read_key)?;
    if let RecordKey::Entry(_, k) = &key {
        if !k.is_valid() {
            return Err(CodecError::Invalid {
                what: "key",
                detail: "a float key that is NaN or integral".into(),
            });
        }
    }
    Ok(key)
}

/// Encodes metadata.
pub fn encode_meta(meta: &MetaRecord) -> Vec<u8> {
    to_cbor(meta)
}

/// Decodes metadata (the version is checked).
pub fn decode_meta(bytes: &[u8]) -> Result<MetaRecord, CodecError> {
    let meta = decode(bytes, "metadata", read_meta)?;
    check_version(meta.v, "metadata")?;
    Ok(meta)
}

/// Encodes a table entry's value.
pub fn encode_entry(value: &PValue) -> Vec<u8> {
    to_cbor(&EntryWireRef {
        v: FORMAT_VERSION,
        value,
    })
}

/// Decodes a table entry's value.
pub fn decode_entry(bytes: &[u8]) -> Result<PValue, CodecError> {
    let (v, value) = decode(bytes, "entry", |r| {
        read_versioned(r, "value", None, read_pvalue)
    })?;
    check_version(v, "entry")?;
    Ok(value)
}

/// Encodes an upvalue cell.
pub fn encode_cell(value: &Option<PValue>) -> Vec<u8> {
    to_cbor(&CellWireRef {
        v: FORMAT_VERSION,
        value,
    })
}

/// Decodes an upvalue cell.
pub fn decode_cell(bytes: &[u8]) -> Result<Option<PValue>, CodecError> {
    let (v, value) = decode(bytes, "cell", |r| {
        read_versioned(r, "value", Some(None), |r| r.option(read_pvalue))
    })?;
    check_version(v, "cell")?;
    Ok(value)
}

/// Encodes a function record.
pub fn encode_function(record: &FunctionRecord) -> Vec<u8> {
    to_cbor(&FunctionWireRef {
        v: FORMAT_VERSION,
        image: &record.image,
        upvalues: &record.upvalues,
    })
}

/// Decodes a function record and checks its image's shape (counts, nesting).
/// Core-specific bytecode verification happens when the image becomes a
/// closure (see [`super::piccolo_image`]), and also here through
/// [`super::own_image::verify_any`] (the image's own core decides).
pub fn decode_function(bytes: &[u8]) -> Result<FunctionRecord, CodecError> {
    let (v, record) = decode(bytes, "function", read_function)?;
    check_version(v, "function")?;
    super::own_image::verify_any(&record.image).map_err(|e| CodecError::Invalid {
        what: "function",
        detail: e.to_string(),
    })?;
    if record.upvalues.len() != record.image.upvalues.len() {
        return Err(CodecError::Invalid {
            what: "function",
            detail: format!(
                "{} upvalue slots for a prototype with {} upvalues",
                record.upvalues.len(),
                record.image.upvalues.len()
            ),
        });
    }
    Ok(record)
}

/// The first bytes of a `string.dump` chunk. First the header of a Lua 5.4
/// binary chunk exactly as PUC Lua 5.4 writes it on a 64-bit little-endian
/// machine (signature, version 0x54, format 0, `LUAC_DATA`, the sizes of an
/// instruction, an integer and a number, `LUAC_INT` 0x5678, `LUAC_NUM`
/// 370.5), so tools and tests that read the header see Lua 5.4's. Then a
/// guard PUC Lua's loader stops at before it reads anything of the
/// project's: no upvalues and a source-name size whose varint overflows
/// (lua5.4 refuses the chunk with "integer overflow"). Then the project's
/// name and a format byte.
pub const DUMP_SIGNATURE: &[u8] = b"\x1bLua\x54\x00\x19\x93\r\n\x1a\n\x04\x08\x08\
    \x78\x56\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x28\x77\x40\
    \x00\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7fluahome\x01";

/// The signature of chunks dumped before 2026-12-02 (a version byte no Lua
/// release uses, then the project's name), still loaded.
const OLD_DUMP_SIGNATURE: &[u8] = b"\x1bLua\xfeluahome\r\n\x1a\n";

/// Why a binary chunk could not be loaded; shown by `load` as
/// `name: bad binary format (...)`.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DumpError {
    /// Not a binary chunk at all (no `ESC "Lua"` signature).
    #[error("not a binary chunk")]
    NotBinary,
    /// Bytecode made by reference Lua (PUC-Rio) or another implementation.
    #[error("precompiled by another Lua (version byte 0x{0:02x}); this runtime loads only chunks from its own string.dump")]
    Foreign(u8),
    /// The chunk ends early.
    #[error("truncated chunk")]
    Truncated,
    /// Bytes follow the function.
    #[error("{0} unexpected bytes after the function")]
    Trailing(usize),
    /// The function record is damaged, of another version, or fails
    /// verification.
    #[error("{0}")]
    Record(CodecError),
}

#[cfg(test)]
#[derive(Deserialize)]
struct DumpWire {
    v: u32,
    image: FunctionImage,
}

#[derive(Serialize)]
struct DumpWireRef<'a> {
    v: u32,
    image: &'a FunctionImage,
}

/// Encodes a function prototype tree as a binary chunk: [`DUMP_SIGNATURE`],
/// then the CBOR record `{v: FORMAT_VERSION, image}`. Upvalue values are not
/// part of it (Lua's `string.dump` does not keep them either).
pub fn encode_dump(image: &FunctionImage) -> Vec<u8> {
    let mut out = DUMP_SIGNATURE.to_vec();
    let _ = ciborium::ser::into_writer(
        &DumpWireRef {
            v: FORMAT_VERSION,
            image,
        },
        &mut out,
    );
    out
}

/// Decodes a binary chunk made by [`encode_dump`] and verifies its image
/// (see [`super::own_image::verify_any`]). Anything else — reference
/// Lua bytecode, a truncated or altered chunk — is an error.
pub fn decode_dump(bytes: &[u8]) -> Result<FunctionImage, DumpError> {
    const LUA: &[u8] = b"\x1bLua";
    if !bytes.starts_with(LUA) {
        return Err(if LUA.starts_with(bytes) && !bytes.is_empty() {
            DumpError::Truncated
        } else {
            DumpError::NotBinary
        });
    }
    let Some(mut rest) = bytes
        .strip_prefix(DUMP_SIGNATURE)
        .or_else(|| bytes.strip_prefix(OLD_DUMP_SIGNATURE))
    else {
        return Err(match bytes.get(LUA.len()) {
            None => DumpError::Truncated,
            _ if DUMP_SIGNATURE.starts_with(bytes) || OLD_DUMP_SIGNATURE.starts_with(bytes) => {
                DumpError::Truncated
            }
            // A chunk of PUC Lua 5.4 has the same header, then its own body.
            Some(&v) => DumpError::Foreign(v),
        });
    };
    let mut r = Reader::new(rest);
    let (v, image) = read_versioned(&mut r, "image", None, read_image).map_err(|e| match e {
        cbor::CborError::Eof => DumpError::Truncated,
        e => DumpError::Record(CodecError::Malformed {
            what: "function",
            detail: e.to_string(),
        }),
    })?;
    rest = r.rest();
    if !rest.is_empty() {
        return Err(DumpError::Trailing(rest.len()));
    }
    check_version(v, "function").map_err(DumpError::Record)?;
    super::own_image::verify_any(&image).map_err(|e| {
        DumpError::Record(CodecError::Invalid {
            what: "function",
            detail: e.to_string(),
        })
    })?;
    Ok(image)
}

// Decoding by hand (see `super::cbor`): what serde's derives above read,
// without one copy of ciborium's decoder per type. The derived
// `Deserialize` impls stay for tests that compare the two.

type Read<'r, 'a> = &'r mut Reader<'a>;

fn read_buf(r: Read<'_, '_>) -> cbor::Result<ByteBuf> {
    r.bytes().map(ByteBuf)
}

fn read_pkey(r: Read<'_, '_>) -> cbor::Result<PKey> {
    r.variant(|r, name, at| match name {
        b"Int" => r.i64().map(PKey::Int),
        b"Float" => r.u64().map(PKey::Float),
        b"Str" => read_buf(r).map(PKey::Str),
        b"Bool" => r.bool().map(PKey::Bool),
        _ => r.unknown_variant(name, at),
    })
}

fn read_pvalue(r: Read<'_, '_>) -> cbor::Result<PValue> {
    r.variant(|r, name, at| match name {
        b"Bool" => r.bool().map(PValue::Bool),
        b"Int" => r.i64().map(PValue::Int),
        b"Float" => r.f64().map(PValue::Float),
        b"Str" => read_buf(r).map(PValue::Str),
        b"Table" => r.u64().map(PValue::Table),
        b"Function" => r.u64().map(PValue::Function),
        b"Native" => r.text().map(PValue::Native),
        _ => r.unknown_variant(name, at),
    })
}

fn read_key(r: Read<'_, '_>) -> cbor::Result<RecordKey> {
    r.variant(|r, name, at| match name {
        b"Meta" => Ok(RecordKey::Meta),
        b"Entry" => r
            .pair(|r| r.u64(), read_pkey)
            .map(|(t, k)| RecordKey::Entry(t, k)),
        b"Function" => r.u64().map(RecordKey::Function),
        b"Cell" => r.u64().map(RecordKey::Cell),
        _ => r.unknown_variant(name, at),
    })
}

fn read_meta(r: Read<'_, '_>) -> cbor::Result<MetaRecord> {
    let (mut v, mut home, mut memory, mut next) = (None, None, None, None);
    let at = r.pos();
    r.fields(|r, name, at| match name {
        b"v" => once(r, &mut v, "v", at, |r| r.uint()),
        b"homeTableId" => once(r, &mut home, "homeTableId", at, |r| r.option(|r| r.u64())),
        b"memoryTableId" => once(r, &mut memory, "memoryTableId", at, |r| {
            r.option(|r| r.u64())
        }),
        b"nextId" => once(r, &mut next, "nextId", at, |r| r.u64()),
        _ => Ok(false),
    })?;
    Ok(MetaRecord {
        v: required(r, v, "v", at)?,
        home_table_id: home.flatten(),
        memory_table_id: memory.flatten(),
        next_id: next.unwrap_or_default(),
    })
}

/// A `{v, <name>: T}` record (`name` may be missing when `T` is an option).
fn read_versioned<T>(
    r: Read<'_, '_>,
    name: &'static str,
    missing: Option<T>,
    mut f: impl FnMut(&mut Reader<'_>) -> cbor::Result<T>,
) -> cbor::Result<(u32, T)> {
    let (mut v, mut value) = (None, None);
    let at = r.pos();
    r.fields(|r, key, at| match key {
        b"v" => once(r, &mut v, "v", at, |r| r.uint()),
        k if k == name.as_bytes() => once(r, &mut value, name, at, &mut f),
        _ => Ok(false),
    })?;
    let v = required(r, v, "v", at)?;
    let value = match value.or(missing) {
        Some(x) => x,
        None => return r.invalid(format!("missing field `{name}`"), at),
    };
    Ok((v, value))
}

fn read_upvalue_slot(r: Read<'_, '_>) -> cbor::Result<UpvalueSlot> {
    r.variant(|r, name, at| match name {
        b"Env" => Ok(UpvalueSlot::Env),
        b"Cell" => r.u64().map(UpvalueSlot::Cell),
        _ => r.unknown_variant(name, at),
    })
}

fn read_constant(r: Read<'_, '_>) -> cbor::Result<ImageConstant> {
    r.variant(|r, name, at| match name {
        b"Nil" => Ok(ImageConstant::Nil),
        b"Bool" => r.bool().map(ImageConstant::Bool),
        b"Int" => r.i64().map(ImageConstant::Int),
        b"Float" => r.f64().map(ImageConstant::Float),
        b"Str" => read_buf(r).map(ImageConstant::Str),
        _ => r.unknown_variant(name, at),
    })
}

fn read_image_upvalue(r: Read<'_, '_>) -> cbor::Result<ImageUpvalue> {
    r.variant(|r, name, at| match name {
        b"Env" => Ok(ImageUpvalue::Env),
        b"ParentLocal" => r.uint().map(ImageUpvalue::ParentLocal),
        b"Outer" => r.uint().map(ImageUpvalue::Outer),
        _ => r.unknown_variant(name, at),
    })
}

/// A [`FunctionImage`] (its nested prototypes by recursion; [`Reader`]
/// bounds the depth).
pub(crate) fn read_image(r: Read<'_, '_>) -> cbor::Result<FunctionImage> {
    let mut core = None;
    let mut chunk_name = None;
    let mut name = None;
    let mut line_defined = None;
    let mut params = None;
    let mut varargs = None;
    let mut stack_size = None;
    let mut constants = None;
    let mut code = None;
    let mut code_len = None;
    let mut lines = None;
    let mut upvalues = None;
    let mut protos = None;
    let at = r.pos();
    r.fields(|r, key, at| match key {
        b"core" => once(r, &mut core, "core", at, |r| r.text()),
        b"chunk_name" => once(r, &mut chunk_name, "chunk_name", at, read_buf),
        b"name" => once(r, &mut name, "name", at, |r| r.option(read_buf)),
        b"line_defined" => once(r, &mut line_defined, "line_defined", at, |r| r.u64()),
        b"params" => once(r, &mut params, "params", at, |r| r.uint()),
        b"varargs" => once(r, &mut varargs, "varargs", at, |r| r.bool()),
        b"stack_size" => once(r, &mut stack_size, "stack_size", at, |r| r.uint()),
        b"constants" => once(r, &mut constants, "constants", at, |r| r.seq(read_constant)),
        b"code" => once(r, &mut code, "code", at, read_buf),
        b"code_len" => once(r, &mut code_len, "code_len", at, |r| r.uint()),
        b"lines" => once(r, &mut lines, "lines", at, |r| {
            r.seq(|r| r.pair(|r| r.u64(), |r| r.u64()))
        }),
        b"upvalues" => once(r, &mut upvalues, "upvalues", at, |r| {
            r.seq(read_image_upvalue)
        }),
        b"protos" => once(r, &mut protos, "protos", at, |r| r.seq(read_image)),
        _ => Ok(false),
    })?;
    Ok(FunctionImage {
        core: required(r, core, "core", at)?,
        chunk_name: required(r, chunk_name, "chunk_name", at)?,
        name: name.flatten(),
        line_defined: required(r, line_defined, "line_defined", at)?,
        params: required(r, params, "params", at)?,
        varargs: required(r, varargs, "varargs", at)?,
        stack_size: required(r, stack_size, "stack_size", at)?,
        constants: required(r, constants, "constants", at)?,
        code: required(r, code, "code", at)?,
        code_len: required(r, code_len, "code_len", at)?,
        lines: required(r, lines, "lines", at)?,
        upvalues: required(r, upvalues, "upvalues", at)?,
        protos: required(r, protos, "protos", at)?,
    })
}

fn read_function(r: Read<'_, '_>) -> cbor::Result<(u32, FunctionRecord)> {
    let (mut v, mut image, mut upvalues) = (None, None, None);
    let at = r.pos();
    r.fields(|r, key, at| match key {
        b"v" => once(r, &mut v, "v", at, |r| r.uint()),
        b"image" => once(r, &mut image, "image", at, read_image),
        b"upvalues" => once(r, &mut upvalues, "upvalues", at, |r| {
            r.seq(read_upvalue_slot)
        }),
        _ => Ok(false),
    })?;
    Ok((
        required(r, v, "v", at)?,
        FunctionRecord {
            image: required(r, image, "image", at)?,
            upvalues: required(r, upvalues, "upvalues", at)?,
        },
    ))
}

/// Reads a record's value with `f` (bytes after it are ignored, as
/// ciborium's `from_reader` ignores them).
fn decode<T>(
    bytes: &[u8],
    what: &'static str,
    f: impl FnOnce(&mut Reader<'_>) -> cbor::Result<T>,
) -> Result<T, CodecError> {
    f(&mut Reader::new(bytes)).map_err(|e| CodecError::Malformed {
        what,
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn serde_decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
        ciborium::de::from_reader(bytes).ok()
    }

    fn image(depth: u32) -> FunctionImage {
        FunctionImage {
            core: "piccolo-0.3".into(),
            chunk_name: ByteBuf(b"=chunk".to_vec()),
            name: (depth % 2 == 0).then(|| ByteBuf(b"f".to_vec())),
            line_defined: u64::from(depth) * 70_000,
            params: 2,
            varargs: depth == 1,
            stack_size: 300,
            constants: vec![
                ImageConstant::Nil,
                ImageConstant::Bool(true),
                ImageConstant::Int(-5_000_000_000),
                ImageConstant::Float(0.1),
                ImageConstant::Float(1.5),
                ImageConstant::Float(f64::NAN),
                ImageConstant::Str(ByteBuf(vec![0xff, 0, b'a'])),
            ],
            code: ByteBuf((0..=255).collect()),
            code_len: 64,
            lines: vec![(0, 1), (3, u64::MAX)],
            upvalues: vec![
                ImageUpvalue::Env,
                ImageUpvalue::ParentLocal(3),
                ImageUpvalue::Outer(255),
            ],
            protos: if depth == 0 {
                vec![]
            } else {
                vec![image(depth - 1), image(0)]
            },
        }
    }

    fn same_image(a: &FunctionImage, b: &FunctionImage) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    fn samples() -> Vec<(u8, Vec<u8>)> {
        let mut out = vec![
            (0, encode_key(&RecordKey::Meta)),
            (
                0,
                encode_key(&RecordKey::Entry(7, PKey::Str(ByteBuf(b"x".to_vec())))),
            ),
            (
                0,
                encode_key(&RecordKey::Entry(u64::MAX, PKey::Float(0.5f64.to_bits()))),
            ),
            (0, encode_key(&RecordKey::Entry(1, PKey::Int(i64::MIN)))),
            (0, encode_key(&RecordKey::Entry(1, PKey::Bool(false)))),
            (0, encode_key(&RecordKey::Function(3))),
            (0, encode_key(&RecordKey::Cell(4))),
            (
                1,
                encode_meta(&MetaRecord {
                    v: 1,
                    home_table_id: Some(1),
                    memory_table_id: None,
                    next_id: 9,
                }),
            ),
            (
                1,
                encode_meta(&MetaRecord {
                    v: 1,
                    home_table_id: None,
                    memory_table_id: Some(2),
                    next_id: 0,
                }),
            ),
            (3, encode_cell(&None)),
            (
                4,
                encode_function(&FunctionRecord {
                    image: image(2),
                    upvalues: vec![UpvalueSlot::Env; 3],
                }),
            ),
            (5, encode_dump(&image(1))[DUMP_SIGNATURE.len()..].to_vec()),
        ];
        for v in [
            PValue::Bool(true),
            PValue::Int(-1),
            PValue::Int(i64::MAX),
            PValue::Float(-0.0),
            PValue::Float(1e300),
            PValue::Float(f64::INFINITY),
            PValue::Str(ByteBuf(vec![1; 300])),
            PValue::Table(1),
            PValue::Function(u64::MAX),
            PValue::Native("string.format".into()),
        ] {
            out.push((2, encode_entry(&v)));
            out.push((3, encode_cell(&Some(v))));
        }
        out
    }

    /// The hand-written reader and serde's derives agree on `bytes`; with
    /// `lenient`, the reader may also reject what serde accepts (a tagged
    /// item, which ciborium never writes but its reader skips).
    fn agree(which: u8, bytes: &[u8]) -> Result<(), String> {
        agree_as(which, bytes, false)
    }

    fn agree_as(which: u8, bytes: &[u8], lenient: bool) -> Result<(), String> {
        let (a, b) = match which {
            0 => (
                decode(bytes, "k", read_key).ok().map(|x| format!("{x:?}")),
                serde_decode::<RecordKey>(bytes).map(|x| format!("{x:?}")),
            ),
            1 => (
                decode(bytes, "m", read_meta).ok().map(|x| format!("{x:?}")),
                serde_decode::<MetaRecord>(bytes).map(|x| format!("{x:?}")),
            ),
            2 => (
                decode(bytes, "e", |r| {
                    read_versioned(r, "value", None, read_pvalue)
                })
                .ok()
                .map(|x| format!("{x:?}")),
                serde_decode::<EntryWire>(bytes).map(|w| format!("{:?}", (w.v, w.value))),
            ),
            3 => (
                decode(bytes, "c", |r| {
                    read_versioned(r, "value", Some(None), |r| r.option(read_pvalue))
                })
                .ok()
                .map(|x| format!("{x:?}")),
                serde_decode::<CellWire>(bytes).map(|w| format!("{:?}", (w.v, w.value))),
            ),
            4 => (
                decode(bytes, "f", read_function)
                    .ok()
                    .map(|(v, f)| format!("{:?}", (v, f.image, f.upvalues))),
                serde_decode::<FunctionWire>(bytes)
                    .map(|w| format!("{:?}", (w.v, w.image, w.upvalues))),
            ),
            _ => (
                decode(bytes, "d", |r| read_versioned(r, "image", None, read_image))
                    .ok()
                    .map(|x| format!("{x:?}")),
                serde_decode::<DumpWire>(bytes).map(|w| format!("{:?}", (w.v, w.image))),
            ),
        };
        let ok = a == b || (lenient && a.is_none());
        if ok {
            Ok(())
        } else {
            Err(format!("decoders disagree on kind {which}: {bytes:02x?}"))
        }
    }

    #[test]
    fn samples_round_trip_and_agree_with_serde() {
        for (which, bytes) in samples() {
            agree(which, &bytes).unwrap();
        }
        let f = FunctionRecord {
            image: image(3),
            upvalues: vec![UpvalueSlot::Cell(5)],
        };
        let back = decode_function(&encode_function(&f));
        // The sample image's code is not valid bytecode: compare the decode.
        let (v, got) = decode(&encode_function(&f), "f", read_function).unwrap();
        assert_eq!(v, FORMAT_VERSION);
        assert!(
            same_image(&got.image, &f.image) && got.upvalues == f.upvalues,
            "{back:?}"
        );
        let e = decode_entry(&encode_entry(&PValue::Float(0.1))).unwrap();
        assert!(e.same(&PValue::Float(0.1)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn damaged_records_decode_as_serde_decodes_them(
            which in any::<prop::sample::Index>(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..4),
        ) {
            let samples = samples();
            let (kind, mut bytes) = samples[which.index(samples.len())].clone();
            crate::persist::cbor::damage(&mut bytes, &edits);
            agree_as(kind, &bytes, true).map_err(TestCaseError::fail)?;
        }

        #[test]
        fn values_agree_with_serde(i in any::<i64>(), bits in any::<u64>(), s in prop::collection::vec(any::<u8>(), 0..40), t in "[a-z.]{0,30}") {
            let f = f64::from_bits(bits);
            for v in [PValue::Int(i), PValue::Float(f), PValue::Str(ByteBuf(s.clone())), PValue::Native(t.clone()), PValue::Table(bits)] {
                let bytes = encode_entry(&v);
                agree(2, &bytes).map_err(TestCaseError::fail)?;
                let back = decode_entry(&bytes).unwrap();
                prop_assert!(back.same(&v) || (f.is_nan() && matches!(back, PValue::Float(x) if x.is_nan())));
            }
            let k = RecordKey::Entry(bits, PKey::Str(ByteBuf(s)));
            prop_assert_eq!(decode_key(&encode_key(&k)).unwrap(), k);
        }
    }
}
