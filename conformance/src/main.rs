//! `luahome-conformance`: runs Lua test suites on luahome (see `conformance/README.md`).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = conformance::cli::main(&args, &mut std::io::stdout(), &mut std::io::stderr());
    std::process::exit(code);
}
