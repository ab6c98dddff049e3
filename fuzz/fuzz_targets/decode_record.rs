//! Feeds arbitrary bytes to every `_home` record decoder and, for function
//! records, to the bytecode verifier and the prototype builder. Any panic is
//! a bug: damaged or hostile records must give an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vm_ext::persist::{codec, piccolo_image, HomeModel};

fuzz_target!(|data: &[u8]| {
    let _ = codec::decode_key(data);
    let _ = codec::decode_meta(data);
    let _ = codec::decode_entry(data);
    let _ = codec::decode_cell(data);
    let _ = vm_ext::Batch::decode(data);
    let _ = vm_ext::store::decode_snapshot(data, "fuzz input");
    if let Ok(record) = codec::decode_function(data) {
        let mut lua = piccolo::Lua::core();
        lua.enter(|ctx| {
            let _ = piccolo_image::prototype_of(ctx, &record.image);
        });
    }
    // The same bytes as raw instruction code.
    let _ = piccolo_image::count_code(data);
    let _ = HomeModel::from_records(vec![(codec::encode_key(&codec::RecordKey::Function(2)), data.to_vec())]);
});
