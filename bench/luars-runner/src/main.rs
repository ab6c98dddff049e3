//! `luars-bench FILE [ARGS...]`: runs a Lua file on luars with `arg` set the
//! way the standalone `lua` sets it.

use luars::{Lua, LuaApi, SafeOption, Stdlib};

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        out.push_str(&format!("\\{b}"));
    }
    out.push('"');
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(file) = args.first() else {
        eprintln!("usage: luars-bench FILE [ARGS...]");
        std::process::exit(2);
    };
    let source = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("luars-bench: cannot read {file}: {e}");
            std::process::exit(1);
        }
    };
    let mut lua = Lua::new(SafeOption::default());
    let setup = format!(
        "arg = {{ [0] = {} {} }}",
        quote(file),
        args[1..].iter().map(|a| format!(", {}", quote(a))).collect::<String>()
    );
    let result = lua
        .open_stdlib(Stdlib::All)
        .map_err(|e| format!("{e:?}"))
        .and_then(|_| lua.load(&setup).exec().map_err(|e| format!("{e:?}")))
        .and_then(|_| lua.load(&source).exec().map_err(|e| format!("{e:?}")));
    if let Err(e) = result {
        eprintln!("luars-bench: {file}: {e}");
        std::process::exit(1);
    }
}
