//! The own compiler on arbitrary bytes: it must answer with a prototype or a
//! compile error, never panic; whatever it accepts must pass the verifier
//! and print as a listing.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = vm_ext::compiler::compile(data, "=fuzz") {
        if let Err(e) = vm_ext::verify::verify(&p) {
            panic!("compiled code fails verification: {e}");
        }
        let _ = vm_ext::compiler::listing::list(&p);
    }
});
