//! The bytecode verifier on arbitrary prototypes decoded from CBOR (the
//! form `string.dump` and `_home` images will carry): it must answer, never
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = ciborium::de::from_reader::<vm_ext::bytecode::Proto, _>(data) {
        let _ = vm_ext::verify::verify(&p);
    }
});
