//! The own core's prototype decoder and bytecode verifier on arbitrary
//! bytes (the form `string.dump` and `_home` images carry, after the magic):
//! both must answer, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vm_ext::persist::own_codec;

fuzz_target!(|data: &[u8]| {
    let mut bytes = own_codec::MAGIC.to_vec();
    bytes.extend_from_slice(data);
    if let Ok(p) = own_codec::decode(&bytes) {
        let _ = vm_ext::verify::verify(&p);
    }
});
