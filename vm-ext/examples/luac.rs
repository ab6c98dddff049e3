//! Prints the listing of a Lua file compiled by the project's own compiler
//! (`cargo run -p luahome-vm-ext --example luac -- file.lua`), like `luac -l -l`.

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: luac FILE.lua");
        std::process::exit(2);
    };
    let src = match std::fs::read(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("luac: cannot read {path}: {e}");
            std::process::exit(1);
        }
    };
    let src = vm_ext::compiler::skip_hash_line(&src);
    match vm_ext::compiler::compile(src, &format!("@{path}")) {
        Ok(p) => print!("{}", vm_ext::compiler::listing::list(&p)),
        Err(e) => {
            eprintln!("luac: {e}");
            std::process::exit(1);
        }
    }
}
