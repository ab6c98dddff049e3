//! The bytecode verifier and the own core's loader on arbitrary prototypes
//! decoded from CBOR (the form `string.dump` and `_home` images carry): the
//! verifier must answer, never panic, and a prototype it accepts must run
//! (with a small fuel bound) to a result or a Lua error — never a panic:
//! the interpreter trusts verified code.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vm_ext::{engine::Engine, runtime::StepResult, ErrorKind, Runtime, RuntimeOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(p) = ciborium::de::from_reader::<vm_ext::bytecode::Proto, _>(data) else {
        return;
    };
    if vm_ext::verify::verify(&p).is_err() {
        return;
    }
    let mut rt = Runtime::new(RuntimeOptions {
        engine: Engine::Luahome,
        fuel_limit: Some(200_000),
        memory_limit: Some(64 << 20),
        ..RuntimeOptions::default()
    });
    if rt.load_proto(p).is_err() {
        return;
    }
    for _ in 0..1000 {
        match rt.step(10_000) {
            StepResult::Running | StepResult::Waiting => {}
            StepResult::Error(e) => {
                // A caught panic is reported as an internal error.
                assert!(
                    e.kind != ErrorKind::Internal,
                    "verified code reached an internal error: {}",
                    e.message
                );
                break;
            }
            _ => break,
        }
    }
});
