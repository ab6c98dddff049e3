//! CBOR encoding of `_home` records (serde + ciborium). Every record value
//! carries [`FORMAT_VERSION`]; decoding checks it and never trusts its input.

use std::fmt;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use super::image::FunctionImage;

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

fn from_cbor<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &'static str,
) -> Result<T, CodecError> {
    // Every CBOR decode in the project reads through `&mut &[u8]` (as
    // decode_dump must, to see trailing bytes): one reader type means one
    // copy of ciborium's generic decoder per record type in the wasm.
    // A small scratch buffer: `from_reader` zeroes 4 KB per call, which was
    // most of the work of opening a home of many small records (longer
    // strings are read in pieces into an owned buffer instead).
    let mut scratch = [0u8; 256];
    ciborium::de::from_reader_with_buffer(&mut &bytes[..], &mut scratch).map_err(|e| {
        CodecError::Malformed {
            what,
            detail: e.to_string(),
        }
    })
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
    let key: RecordKey = from_cbor(bytes, "key")?;
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
    let meta: MetaRecord = from_cbor(bytes, "metadata")?;
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
    let w: EntryWire = from_cbor(bytes, "entry")?;
    check_version(w.v, "entry")?;
    Ok(w.value)
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
    let w: CellWire = from_cbor(bytes, "cell")?;
    check_version(w.v, "cell")?;
    Ok(w.value)
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
    let w: FunctionWire = from_cbor(bytes, "function")?;
    check_version(w.v, "function")?;
    let record = FunctionRecord {
        image: w.image,
        upvalues: w.upvalues,
    };
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
    let wire: DumpWire = ciborium::de::from_reader(&mut rest).map_err(|e| match e {
        ciborium::de::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            DumpError::Truncated
        }
        e => DumpError::Record(CodecError::Malformed {
            what: "function",
            detail: e.to_string(),
        }),
    })?;
    if !rest.is_empty() {
        return Err(DumpError::Trailing(rest.len()));
    }
    check_version(wire.v, "function").map_err(DumpError::Record)?;
    super::own_image::verify_any(&wire.image).map_err(|e| {
        DumpError::Record(CodecError::Invalid {
            what: "function",
            detail: e.to_string(),
        })
    })?;
    Ok(wire.image)
}
