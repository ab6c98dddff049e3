//! The project's own core's side of function images: a [`Proto`] tree <->
//! [`FunctionImage`]. The image's `code` holds the whole prototype tree
//! (instructions, constants, nested functions and debug names) in the
//! encoding of [`super::own_codec`]; the
//! other fields repeat what inspectors show. Decoding never trusts the
//! bytes: the tree goes through [`crate::verify`] before it becomes a
//! closure.

use super::codec::ByteBuf;
use super::image::{FunctionImage, ImageConstant, ImageUpvalue};
use super::piccolo_image::VerifyError;
use crate::bytecode::{Constant, Proto};

/// The `core` tag of images made here.
pub const CORE: &str = "luahome-5.4";

/// The image of a function whose prototype tree is `proto`.
pub fn image_of(proto: &Proto) -> FunctionImage {
    let code = super::own_codec::encode(proto);
    let mut lines = Vec::new();
    let mut last = None;
    for (pc, line) in proto.lines.iter().enumerate() {
        if last != Some(*line) {
            lines.push((pc as u64, line.saturating_sub(1) as u64));
            last = Some(*line);
        }
    }
    FunctionImage {
        core: CORE.to_string(),
        // As inspectors show it (`file.lua`, `[string "..."]`), like the
        // piccolo core's images; the raw name stays inside the prototype.
        chunk_name: ByteBuf(crate::compiler::chunk_id(proto.source.as_bytes()).into_bytes()),
        name: None,
        line_defined: proto.line_defined as u64,
        params: proto.num_params,
        varargs: proto.is_vararg,
        stack_size: proto.max_stack as u16,
        constants: proto
            .constants
            .iter()
            .map(|c| match c {
                Constant::Nil => ImageConstant::Nil,
                Constant::Boolean(b) => ImageConstant::Bool(*b),
                Constant::Integer(i) => ImageConstant::Int(*i),
                Constant::Float(f) => ImageConstant::Float(*f),
                Constant::String(s) => ImageConstant::Str(ByteBuf(s.clone())),
            })
            .collect(),
        code: ByteBuf(code),
        code_len: proto.code.len() as u32,
        lines,
        upvalues: proto
            .upvalues
            .iter()
            .map(|u| {
                if u.in_stack {
                    ImageUpvalue::ParentLocal(u.index)
                } else {
                    ImageUpvalue::Outer(u.index)
                }
            })
            .collect(),
        protos: Vec::new(),
    }
}

/// Drops debug information as `string.dump(f, true)` may: the chunk name
/// becomes `=?`, every instruction is attributed to the definition's line,
/// local and upvalue names go (errors then name no variables).
pub fn strip_debug(proto: &mut Proto) {
    proto.source = "=?".to_string();
    // No line information: errors say `?:-1:`, as PUC Lua's do.
    proto.lines.iter_mut().for_each(|l| *l = 0);
    proto.locals.clear();
    proto.upvalues.iter_mut().for_each(|u| u.name.clear());
    proto.protos.iter_mut().for_each(strip_debug);
}

/// The verified prototype tree of an image made by [`image_of`].
pub fn prototype_of(image: &FunctionImage) -> Result<Proto, VerifyError> {
    if image.core != CORE {
        return Err(VerifyError::WrongCore(image.core.clone()));
    }
    let proto = super::own_codec::decode(&image.code.0)
        .map_err(|e| VerifyError::Prototype(e.to_string()))?;
    crate::verify::verify(&proto).map_err(|e| VerifyError::Prototype(e.to_string()))?;
    if proto.code.len() != image.code_len as usize
        || proto.upvalues.len() != image.upvalues.len()
        || proto.num_params != image.params
    {
        return Err(VerifyError::Prototype(
            "image header does not match its prototype".into(),
        ));
    }
    Ok(proto)
}

/// Checks an image of this core without building anything.
pub fn verify_image(image: &FunctionImage) -> Result<(), VerifyError> {
    prototype_of(image).map(|_| ())
}

/// Checks an image of either core (by its `core` tag).
pub fn verify_any(image: &FunctionImage) -> Result<(), VerifyError> {
    if image.core == CORE {
        verify_image(image)
    } else {
        super::piccolo_image::verify_image(image)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let src = b"local n = 0 return function(d) n = n + (d or 1) return n end";
        let p = crate::compiler::compile(src, "=t").unwrap();
        let image = image_of(&p.protos[0]);
        assert_eq!(image.core, CORE);
        let back = prototype_of(&image).unwrap();
        assert_eq!(back, p.protos[0]);
        // Every truncation and many single-byte changes answer without panic.
        let bytes = image.code.0.clone();
        let mut rejected = 0;
        for cut in 0..bytes.len() {
            let mut im = image.clone();
            im.code = ByteBuf(bytes[..cut].to_vec());
            assert!(prototype_of(&im).is_err());
        }
        for i in 0..bytes.len() {
            for delta in [1u8, 0x80, 0xff] {
                let mut im = image.clone();
                let mut b = bytes.clone();
                b[i] = b[i].wrapping_add(delta);
                im.code = ByteBuf(b);
                if prototype_of(&im).is_err() {
                    rejected += 1;
                }
            }
        }
        assert!(rejected > 0);
        let mut im = image.clone();
        im.core = "piccolo-0.3".into();
        assert!(matches!(prototype_of(&im), Err(VerifyError::WrongCore(_))));
    }
}
