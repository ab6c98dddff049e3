//! `string.dump` of the luahome core's functions and loading them back: a
//! signature no other Lua uses, then the CBOR record `{v, proto}` of the
//! plain [`Proto`]. Loading verifies the prototype before it becomes a
//! closure, so a damaged or hostile chunk is an error, never a panic.

use serde::{Deserialize, Serialize};

use crate::bytecode::Proto;

/// Starts every chunk this core dumps (`ESC "Lua"`, then a marker byte no
/// Lua version uses).
pub const SIGNATURE: &[u8] = b"\x1bLua\xfdluahome-core\r\n\x1a\n";
/// Version of the record after the signature.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct WireRef<'a> {
    v: u32,
    proto: &'a Proto,
}

#[derive(Deserialize)]
struct Wire {
    v: u32,
    proto: Proto,
}

/// Whether `bytes` claims to be a chunk of this core (`ESC "Lua"` and its
/// marker byte).
pub fn is_own_dump(bytes: &[u8]) -> bool {
    bytes.starts_with(&SIGNATURE[..5])
}

/// The binary chunk for `proto`; `strip` drops debug information (line
/// numbers become 0, local and upvalue names go).
pub fn encode(proto: &Proto, strip: bool) -> Vec<u8> {
    let mut out = SIGNATURE.to_vec();
    let stripped;
    let proto = if strip {
        let mut p = proto.clone();
        strip_debug(&mut p);
        stripped = p;
        &stripped
    } else {
        proto
    };
    let _ = ciborium::ser::into_writer(
        &WireRef {
            v: FORMAT_VERSION,
            proto,
        },
        &mut out,
    );
    out
}

fn strip_debug(p: &mut Proto) {
    p.source = "=?".to_string();
    p.lines.iter_mut().for_each(|l| *l = 0);
    p.locals.clear();
    p.upvalues.iter_mut().for_each(|u| u.name.clear());
    p.protos.iter_mut().for_each(strip_debug);
}

/// Decodes and verifies a chunk made by [`encode`].
pub fn decode(bytes: &[u8]) -> Result<Proto, String> {
    if !bytes.starts_with(SIGNATURE) {
        return Err(if SIGNATURE.starts_with(bytes) {
            "truncated chunk".to_string()
        } else {
            "damaged signature".to_string()
        });
    }
    let mut rest = &bytes[SIGNATURE.len()..];
    let wire: Wire = ciborium::de::from_reader(&mut rest).map_err(|e| match e {
        ciborium::de::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "truncated chunk".to_string()
        }
        e => format!("malformed chunk: {e}"),
    })?;
    if wire.v != FORMAT_VERSION {
        return Err(format!("format version {} not supported", wire.v));
    }
    if !rest.is_empty() {
        return Err("trailing bytes after the chunk".to_string());
    }
    crate::verify::verify(&wire.proto).map_err(|e| e.to_string())?;
    Ok(wire.proto)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let proto = crate::compiler::compile(b"local a = ... return a + 1", "=t").unwrap();
        let bytes = encode(&proto, false);
        assert_eq!(decode(&bytes).unwrap(), proto);
        let stripped = decode(&encode(&proto, true)).unwrap();
        assert!(stripped.locals.is_empty() && stripped.lines.iter().all(|&l| l == 0));
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "truncated at {cut}");
        }
        for i in SIGNATURE.len()..bytes.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut b = bytes.clone();
                b[i] ^= flip;
                let _ = decode(&b);
            }
        }
    }
}
