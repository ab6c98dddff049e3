//! Writes the fuzz seed corpus for `fuzz/` `verify_proto`: every Lua file
//! given, compiled by the own compiler, as the CBOR `Proto` the target
//! decodes (one file each in the output folder).
//!
//!     cargo run --example proto_seeds -- OUT_DIR FILE.lua...

fn main() {
    let mut args = std::env::args().skip(1);
    let out =
        std::path::PathBuf::from(args.next().expect("usage: proto_seeds OUT_DIR FILE.lua..."));
    std::fs::create_dir_all(&out).expect("cannot create the output folder");
    let mut n = 0;
    for file in args {
        let Ok(src) = std::fs::read(&file) else {
            continue;
        };
        let Ok(proto) = vm_ext::compiler::compile(vm_ext::compiler::skip_hash_line(&src), "=seed")
        else {
            continue;
        };
        let mut bytes = Vec::new();
        ciborium::ser::into_writer(&proto, &mut bytes).expect("a Proto serialises");
        let name = std::path::Path::new(&file)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        std::fs::write(out.join(format!("{name}.cbor")), bytes).expect("cannot write a seed");
        n += 1;
    }
    println!("{n} seeds");
}
