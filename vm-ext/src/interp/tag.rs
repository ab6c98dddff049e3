//! A value's variant read from its first byte, for the interpreter's
//! integer and float fast paths.
//!
//! Natively piccolo's `Value` keeps `Function`'s own discriminant in its
//! first word and the other variants' in the values `Function` leaves free,
//! so a `match` on a value first maps that word to a variant number (a
//! subtract, a compare and a conditional move) and then compares; an
//! arithmetic instruction did that before each of its tests. On wasm32 the
//! discriminant is a whole word of its own (`repr(C, u64)`, piccolo patch
//! 27), and a `match` there tested a range of variants first. Comparing the
//! first byte with the integer's or the float's byte is one compare either
//! way (its low byte on wasm32). Which byte each
//! variant has is the compiler's choice: it is read here from values built
//! at compile time, and the build fails if that byte is not the variant's
//! (see the assertions below).

#![allow(unsafe_code)]

use piccolo::Value;

/// The first byte of `v`.
#[inline(always)]
pub(crate) fn tag(v: &Value<'_>) -> u8 {
    // SAFETY: the first byte of every value is initialized: it is part of
    // the discriminant that every variant stores, whichever layout the
    // compiler chose (a payload there would make the assertions below fail
    // the build: the integer's byte would follow its value).
    unsafe { *(v as *const Value<'_>).cast::<u8>() }
}

const fn tag_of(v: &Value<'static>) -> u8 {
    // SAFETY: as in `tag`.
    unsafe { *(v as *const Value<'static>).cast::<u8>() }
}

/// The first byte of every integer.
pub(crate) const INT: u8 = tag_of(&Value::Integer(0));
/// The first byte of every float.
pub(crate) const NUM: u8 = tag_of(&Value::Number(0.0));

// The byte names the variant: it is the same for different payloads, and
// differs between the variants that can be built here.
const _: () = {
    let ints = [i64::MIN, -1, 1, 0x0102_0304_0506_0708, i64::MAX];
    let mut i = 0;
    while i < ints.len() {
        assert!(tag_of(&Value::Integer(ints[i])) == INT);
        assert!(tag_of(&Value::Number(f64::from_bits(ints[i] as u64))) == NUM);
        i += 1;
    }
    let others = [
        tag_of(&Value::Nil),
        tag_of(&Value::Boolean(false)),
        tag_of(&Value::Boolean(true)),
    ];
    assert!(INT != NUM);
    let mut j = 0;
    while j < others.len() {
        assert!(others[j] != INT && others[j] != NUM);
        j += 1;
    }
};

/// The integer in `v`.
///
/// # Safety
///
/// `tag(&v) == INT`.
#[inline(always)]
pub(crate) unsafe fn int_of(v: Value<'_>) -> i64 {
    match v {
        Value::Integer(i) => i,
        // SAFETY: the caller checked the tag, which only integers have.
        _ => unsafe { std::hint::unreachable_unchecked() },
    }
}

/// The float in `v`.
///
/// # Safety
///
/// `tag(&v) == NUM`.
#[inline(always)]
pub(crate) unsafe fn num_of(v: Value<'_>) -> f64 {
    match v {
        Value::Number(f) => f,
        // SAFETY: the caller checked the tag, which only floats have.
        _ => unsafe { std::hint::unreachable_unchecked() },
    }
}

#[cfg(test)]
mod tests {
    use piccolo::{Callback, CallbackReturn, Function, Lua, Table};

    use super::*;

    /// Values of every other variant (built at run time: strings, tables,
    /// functions, threads, userdata) never carry the integer's or the
    /// float's byte, and each variant keeps one byte whatever its payload.
    #[test]
    fn only_integers_and_floats_carry_their_bytes() {
        let mut lua = Lua::core();
        lua.enter(|ctx| {
            let cb = Callback::from_fn(&ctx, |_, _, _| Ok(CallbackReturn::Return));
            let t = Table::new(&ctx);
            let others = [
                Value::Nil,
                Value::Boolean(true),
                Value::String(ctx.intern(b"x")),
                Value::String(ctx.intern(b"")),
                Value::Table(t),
                Value::Function(Function::Callback(cb)),
                Value::Thread(piccolo::Thread::new(ctx)),
                Value::UserData(piccolo::UserData::new_static(&ctx, 1u8)),
            ];
            for v in others {
                assert!(tag(&v) != INT && tag(&v) != NUM, "{v:?}");
            }
            for i in [0, 4, 5, -7, 1 << 40] {
                assert_eq!(tag(&Value::Integer(i)), INT);
                assert_eq!(unsafe { int_of(Value::Integer(i)) }, i);
                assert_eq!(tag(&Value::Number(i as f64)), NUM);
                assert_eq!(unsafe { num_of(Value::Number(i as f64)) }, i as f64);
            }
        });
    }
}
