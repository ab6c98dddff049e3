//! The own core's prototype decoder, the bytecode verifier and the loader
//! on arbitrary prototypes decoded from bytes (after the magic of
//! `vm-ext/src/persist/own_codec.rs`, the form `string.dump` and `_home`
//! images carry): decoder and verifier must answer, never panic, and a
//! prototype the verifier accepts must run (with a small fuel bound) to a
//! result or a Lua error — never a panic: the interpreter trusts verified code.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
use vm_ext::persist::own_codec;
use vm_ext::{engine::Engine, Runtime, RuntimeOptions};

fuzz_target!(|data: &[u8]| {
    let mut bytes = own_codec::MAGIC.to_vec();
    bytes.extend_from_slice(data);
    let Ok(p) = own_codec::decode(&bytes) else {
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
    common::run_bounded(&mut rt, "verified code");
});
