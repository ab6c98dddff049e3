//! `load(bytes, name, "b")` as a script calls it: the dump reader
//! (`persist::codec::decode_dump`: PUC Lua 5.4's header, luahome's guard,
//! either core's image), the verifier and the loader, then the loaded
//! function with a small fuel bound. A panic (an internal error) is a bug:
//! damaged or hostile bytecode must give a Lua error.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
use vm_ext::{engine::Engine, value::HostValue, Runtime, RuntimeOptions};

fuzz_target!(|data: &[u8]| {
    let mut rt = Runtime::new(RuntimeOptions {
        engine: Engine::Luahome,
        fuel_limit: Some(200_000),
        memory_limit: Some(64 << 20),
        ..RuntimeOptions::default()
    });
    if rt.set("DATA", &HostValue::String(data.to_vec())).is_err() {
        return;
    }
    rt.load(
        b"local f = load(DATA, '=fuzz', 'b') if f then pcall(f) end",
        "driver",
    )
    .unwrap();
    common::run_bounded(&mut rt, "load");
});
