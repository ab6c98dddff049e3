//! `luahome` on the command line: run a file, run `-e CODE`, or a REPL. All of
//! them drive the same sliced [`Runtime`] as the browser, so Ctrl-C stops a
//! runaway script between slices.

use std::{
    cell::RefCell,
    io::{self, BufRead, Write},
    rc::Rc,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use vm_ext::{
    compiler::skip_hash_line, engine::Engine, home::HomeSaver, ErrorKind, FileStore, Host,
    HostCallOutcome, HostCallRequest, HostTarget, HostValue, LuaError, Runtime, RuntimeOptions,
    StepResult,
};

const USAGE: &str = "\
usage: luahome [options] [script [args]]
Available options are:
  -e stat     execute string 'stat'
  -i          enter interactive mode after executing 'script'
  -l mod      require library 'mod' into global 'mod'
  -l g=mod    require library 'mod' into global 'g'
  -v          show version information
  -E          ignore environment variables
  -W          turn warnings on
  --          stop handling options
  -           stop handling options and execute stdin
luahome's own options:
  --home PATH    keep `_home` in the file PATH (created if missing) so it
                 survives between runs
  --engine NAME  the Lua core: `luahome` (default: the project's own
                 compiler and interpreter) or `piccolo` (piccolo 0.3.3's)
  --list         print the luahome compiler's listing of the script (like
                 `luac -l -l`) instead of running it
  run FILE       the same as FILE (kept for older scripts)";

/// Exit status after Ctrl-C stopped a chunk (128 + SIGINT, as shells do).
const EXIT_INTERRUPTED: i32 = 130;

/// The program name in messages, as `lua` prints `lua: ...`.
const PROGNAME: &str = "luahome";

/// `-e`, `-l` and `-W`, run in command-line order before the script.
#[derive(Debug, PartialEq)]
enum Action {
    Exec(String),
    Require { global: String, module: String },
    WarningsOn,
}

#[derive(Debug, PartialEq)]
enum Script {
    File(String),
    Stdin,
}

/// The command line, parsed the way `lua.c`'s `collectargs` does.
#[derive(Debug, Default, PartialEq)]
struct Options {
    home: Option<String>,
    engine: Engine,
    actions: Vec<Action>,
    interactive: bool,
    version: bool,
    ignore_env: bool,
    help: bool,
    list: bool,
    script: Option<Script>,
    /// Index in `argv` (0 = program name) of the script, for the `arg` table.
    script_index: usize,
}

fn usage_error(msg: String) -> String {
    format!("{PROGNAME}: {msg}\n{USAGE}")
}

/// `argv` without the program name.
fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let argv_index = i + 1;
        let value = |i: &mut usize, opt: &str, attached: &str| -> Result<String, String> {
            if !attached.is_empty() {
                return Ok(attached.to_string());
            }
            *i += 1;
            match args.get(*i) {
                Some(v) if !v.starts_with('-') => Ok(v.clone()),
                _ => Err(usage_error(format!("'{opt}' needs argument"))),
            }
        };
        match a {
            "--home" | "--engine" => {
                i += 1;
                let Some(v) = args.get(i) else {
                    return Err(usage_error(format!("'{a}' needs argument")));
                };
                if a == "--home" {
                    o.home = Some(v.clone());
                } else {
                    o.engine = v.parse().map_err(|e| format!("{PROGNAME}: {e}"))?;
                }
            }
            "--help" | "-h" => o.help = true,
            "--list" => o.list = true,
            "--version" | "-V" | "-v" => o.version = true,
            "run" if i + 1 < args.len() => {
                i += 1;
                o.script = Some(Script::File(args[i].clone()));
                o.script_index = i + 1;
                break;
            }
            "-" => {
                o.script = Some(Script::Stdin);
                o.script_index = argv_index;
                break;
            }
            "--" => {
                if let Some(f) = args.get(i + 1) {
                    o.script = Some(Script::File(f.clone()));
                    o.script_index = argv_index + 1;
                }
                break;
            }
            "-i" => {
                o.interactive = true;
                o.version = true;
            }
            "-E" => o.ignore_env = true,
            "-W" => o.actions.push(Action::WarningsOn),
            _ if a.starts_with("-e") => {
                let code = value(&mut i, "-e", &a[2..])?;
                o.actions.push(Action::Exec(code));
            }
            _ if a.starts_with("-l") => {
                let spec = value(&mut i, "-l", &a[2..])?;
                let (global, module) = match spec.split_once('=') {
                    Some((g, m)) => (g.to_string(), m.to_string()),
                    None => (spec.clone(), spec.clone()),
                };
                o.actions.push(Action::Require { global, module });
            }
            _ if a.starts_with('-') => {
                return Err(usage_error(format!("unrecognized option '{a}'")));
            }
            _ => {
                o.script = Some(Script::File(a.to_string()));
                o.script_index = argv_index;
                break;
            }
        }
        i += 1;
    }
    Ok(o)
}

/// The global `arg`: the script at 0, its arguments at 1.., the program
/// name and options at negative indices (all of `argv` at 0.. when there is
/// no script), as `lua.c`'s `createargtable`.
fn arg_table(argv: &[String], script_index: usize) -> HostValue {
    let entries = argv
        .iter()
        .enumerate()
        .map(|(i, a)| {
            (
                HostValue::Integer(i as i64 - script_index as i64),
                HostValue::String(a.as_bytes().to_vec()),
            )
        })
        .collect();
    HostValue::Table(entries)
}

/// A Lua string literal for `s`.
fn lua_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03}")),
        }
    }
    out.push('"');
    out
}

/// Shared between the Ctrl-C handler and the slice loop.
#[derive(Clone, Default)]
struct Interrupt {
    /// A chunk is running; Ctrl-C then stops it instead of leaving.
    running: Arc<AtomicBool>,
    requested: Arc<AtomicBool>,
}

impl Interrupt {
    fn install(&self) {
        let this = self.clone();
        // Failing to install only loses the clean stop; the default handler still ends us.
        let _ = ctrlc::set_handler(move || {
            if this.running.load(Ordering::SeqCst) {
                this.requested.store(true, Ordering::SeqCst);
            } else {
                eprintln!();
                std::process::exit(EXIT_INTERRUPTED);
            }
        });
    }
}

/// The older form `luahome run FILE --home PATH --engine NAME` put
/// luahome's own options after the file; they move in front of `run` so the
/// rest of the line is the script's arguments, as for `lua`.
fn legacy_order(mut args: Vec<String>) -> Result<Vec<String>, String> {
    if args.first().map(String::as_str) != Some("run") || args.len() < 2 {
        return Ok(args);
    }
    let mut moved = Vec::new();
    while args.len() > 2 && matches!(args[2].as_str(), "--home" | "--engine") {
        if args.len() == 3 {
            return Err(usage_error(format!("'{}' needs argument", args[2])));
        }
        let opt = args.remove(2);
        let value = args.remove(2);
        moved.push(opt);
        moved.push(value);
    }
    moved.extend(args);
    Ok(moved)
}

fn version_text() -> String {
    format!(
        "luahome {} (Lua 5.4 on piccolo 0.3.3's runtime)",
        env!("CARGO_PKG_VERSION")
    )
}

pub fn main() -> i32 {
    let args = match legacy_order(std::env::args().skip(1).collect()) {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            return 1;
        }
    };
    let argv: Vec<String> = std::iter::once(PROGNAME.to_string()).chain(args).collect();
    let o = match parse_args(&argv[1..]) {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("{msg}");
            return 1;
        }
    };
    if o.help {
        println!("{USAGE}");
        return 0;
    }
    if o.version {
        println!("{}", version_text());
    }
    if o.list {
        return list(&o);
    }
    let interrupt = Interrupt::default();
    interrupt.install();
    let Some(mut rt) = new_runtime(o.home.as_deref(), o.engine) else {
        return 1;
    };
    let script_index = if o.script.is_some() {
        o.script_index
    } else {
        0
    };
    if let Err(e) = rt.set("arg", &arg_table(&argv, script_index)) {
        eprintln!("{PROGNAME}: {e}");
    }
    let status = run_all(&mut rt, &o, &argv, &interrupt);
    // As `lua_close`: every object still marked for finalization gets its
    // `__gc` (before the last `_home` save, which keeps what they write).
    rt.close_finalizers(u64::MAX);
    finish_home(&mut rt, status)
}

/// `LUA_INIT`, the `-e`/`-l`/`-W` actions, the script, then the REPL or
/// stdin, in `lua.c`'s order; stops at the first error.
fn run_all(rt: &mut Runtime, o: &Options, argv: &[String], interrupt: &Interrupt) -> i32 {
    if !o.ignore_env {
        let init = std::env::var("LUA_INIT_5_4")
            .ok()
            .or_else(|| std::env::var("LUA_INIT").ok());
        if let Some(init) = init {
            let status = match init.strip_prefix('@') {
                Some(file) => run_file(rt, file, &[], interrupt),
                None => run_chunk(rt, init.as_bytes(), "LUA_INIT", &[], interrupt),
            };
            if status != 0 {
                return status;
            }
        }
    }
    for action in &o.actions {
        let status = match action {
            Action::Exec(code) => run_chunk(rt, code.as_bytes(), "(command line)", &[], interrupt),
            Action::Require { global, module } => {
                let code = format!("{global} = require({})", lua_quote(module));
                run_chunk(rt, code.as_bytes(), "(command line)", &[], interrupt)
            }
            Action::WarningsOn => run_chunk(rt, b"warn('@on')", "(command line)", &[], interrupt),
        };
        if status != 0 {
            return status;
        }
    }
    let script_args: Vec<HostValue> = argv
        .iter()
        .skip(o.script_index + 1)
        .map(|a| HostValue::String(a.as_bytes().to_vec()))
        .collect();
    match &o.script {
        Some(Script::File(path)) => {
            let status = run_file(rt, path, &script_args, interrupt);
            if status != 0 {
                return status;
            }
        }
        Some(Script::Stdin) => {
            let status = run_stdin(rt, &script_args, interrupt);
            if status != 0 {
                return status;
            }
        }
        None => {}
    }
    if o.interactive {
        return repl(rt, interrupt);
    }
    if o.script.is_none() && o.actions.iter().all(|a| !matches!(a, Action::Exec(_))) && !o.version {
        if std::io::IsTerminal::is_terminal(&io::stdin()) {
            println!("{}", version_text());
            return repl(rt, interrupt);
        }
        return run_stdin(rt, &[], interrupt);
    }
    0
}

/// `--list`: compiles the script with the project's compiler and prints the
/// listing; a syntax error is reported as when running.
fn list(o: &Options) -> i32 {
    let (source, chunk) = match &o.script {
        Some(Script::File(path)) => match std::fs::read(path) {
            Ok(s) => (s, format!("@{path}")),
            Err(e) => {
                eprintln!("{PROGNAME}: cannot open {path}: {e}");
                return 1;
            }
        },
        _ => {
            let mut s = Vec::new();
            if let Err(e) = io::Read::read_to_end(&mut io::stdin(), &mut s) {
                eprintln!("{PROGNAME}: cannot read stdin: {e}");
                return 1;
            }
            (s, "=stdin".to_string())
        }
    };
    match vm_ext::compiler::compile(skip_hash_line(&source), &chunk) {
        Ok(proto) => {
            print!("{}", vm_ext::compiler::listing::list(&proto));
            0
        }
        Err(e) => {
            eprintln!("{PROGNAME}: {e}");
            1
        }
    }
}

/// Runs a file as a script: a first line starting with `#` is skipped (a
/// Unix `#!` line), as `luaL_loadfile` does.
fn run_file(rt: &mut Runtime, path: &str, args: &[HostValue], interrupt: &Interrupt) -> i32 {
    let source = match std::fs::read(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{PROGNAME}: cannot open {path}: {e}");
            return 1;
        }
    };
    run_chunk(rt, skip_hash_line(&source), path, args, interrupt)
}

fn run_stdin(rt: &mut Runtime, args: &[HostValue], interrupt: &Interrupt) -> i32 {
    let mut source = Vec::new();
    if let Err(e) = io::Read::read_to_end(&mut io::stdin(), &mut source) {
        eprintln!("{PROGNAME}: cannot read stdin: {e}");
        return 1;
    }
    run_chunk(rt, skip_hash_line(&source), "stdin", args, interrupt)
}

/// A runtime for the CLI; with `home`, `_home` is loaded from and saved to
/// that file. A home file that cannot be read is reported and nothing runs
/// (so it is never overwritten).
fn new_runtime(home: Option<&str>, engine: Engine) -> Option<Runtime> {
    let mut options = RuntimeOptions {
        engine,
        ..Default::default()
    };
    if let Some(path) = home {
        match FileStore::open(path) {
            Ok(store) => options.store = Some(vm_ext::store::shared(store)),
            Err(e) => {
                eprintln!("luahome: cannot open home: {e}");
                return None;
            }
        }
    }
    // `os.exit` ends the process from inside a callback: first write the
    // output still buffered and the pending `_home` changes.
    let saver: Rc<RefCell<Option<HomeSaver>>> = Rc::default();
    let mut host = Host::native();
    let (out, err, on_exit) = (host.output.clone(), host.warnings.clone(), saver.clone());
    host.exit = Some(Rc::new(move |code| {
        let _ = io::stdout().lock().write_all(&out.take());
        let _ = io::stdout().flush();
        let _ = io::stderr().lock().write_all(&err.take());
        if let Some(saver) = on_exit.borrow().as_ref() {
            if let Err(e) = saver.save() {
                eprintln!("luahome: {e}");
            }
        }
        std::process::exit(code)
    }));
    let mut rt = match Runtime::try_with_host(options, host) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("luahome: {e}");
            return None;
        }
    };
    *saver.borrow_mut() = Some(rt.home_saver());
    print_warnings(&mut rt);
    rt.register_host_function("sleep");
    rt.set_output(|bytes| {
        let mut out = io::stdout().lock();
        let _ = out.write_all(bytes);
        let _ = out.flush();
    });
    rt.set_error_output(|bytes| {
        let _ = io::stderr().lock().write_all(bytes);
    });
    Some(rt)
}

fn print_warnings(rt: &mut Runtime) {
    for w in rt.take_warnings() {
        eprintln!("luahome: warning: {w}");
    }
}

/// Saves `_home` one last time; a failed save turns success into failure.
fn finish_home(rt: &mut Runtime, status: i32) -> i32 {
    let saved = rt.flush();
    print_warnings(rt);
    match saved {
        Ok(()) => status,
        Err(e) => {
            eprintln!("luahome: {e}");
            if status == 0 {
                1
            } else {
                status
            }
        }
    }
}

/// Runs one chunk to the end; prints its error as `luahome: chunk:line:
/// message` (and the traceback when there is one), as `lua` does.
fn run_chunk(
    rt: &mut Runtime,
    source: &[u8],
    chunk: &str,
    args: &[HostValue],
    interrupt: &Interrupt,
) -> i32 {
    match execute(rt, source, chunk, args, interrupt) {
        Ok(_) => 0,
        Err(e) => report(&e),
    }
}

fn execute(
    rt: &mut Runtime,
    source: &[u8],
    chunk: &str,
    args: &[HostValue],
    interrupt: &Interrupt,
) -> Result<Vec<HostValue>, LuaError> {
    rt.load_with_args(source, chunk, args)?;
    interrupt.requested.store(false, Ordering::SeqCst);
    interrupt.running.store(true, Ordering::SeqCst);
    let result = loop {
        match rt.run_to_end(|| interrupt.requested.swap(false, Ordering::SeqCst)) {
            StepResult::Waiting => {
                for call in rt.take_host_calls() {
                    let outcome = host_call(&call, interrupt);
                    rt.resolve_host_call(call.id, outcome);
                }
            }
            other => break other,
        }
    };
    interrupt.running.store(false, Ordering::SeqCst);
    match result {
        StepResult::Finished(values) => Ok(values),
        StepResult::Error(e) => Err(e),
        StepResult::Idle | StepResult::Running | StepResult::Waiting => Ok(Vec::new()),
    }
}

/// The CLI's host functions: `sleep(seconds)`, interruptible by Ctrl-C.
fn host_call(call: &HostCallRequest, interrupt: &Interrupt) -> HostCallOutcome {
    let fail = |msg: &str| HostCallOutcome::Error(HostValue::String(msg.as_bytes().to_vec()));
    match (&call.target, call.args.first()) {
        (HostTarget::Named(name), arg) if name == "sleep" => {
            let secs = match arg {
                Some(HostValue::Integer(i)) => *i as f64,
                Some(HostValue::Number(n)) => *n,
                _ => return fail("bad argument #1 to 'sleep' (number expected)"),
            };
            let until = std::time::Instant::now()
                + std::time::Duration::from_secs_f64(secs.clamp(0.0, 1e6));
            while std::time::Instant::now() < until {
                if interrupt.requested.load(Ordering::SeqCst) {
                    break;
                }
                std::thread::sleep(
                    std::time::Duration::from_millis(10).min(until - std::time::Instant::now()),
                );
            }
            HostCallOutcome::Return(Vec::new())
        }
        _ => fail("unknown host function"),
    }
}

fn report(e: &LuaError) -> i32 {
    eprintln!("{PROGNAME}: {e}");
    if let Some(tb) = &e.traceback {
        eprintln!("{tb}");
    }
    if e.kind == ErrorKind::Stopped {
        EXIT_INTERRUPTED
    } else {
        1
    }
}

fn repl(rt: &mut Runtime, interrupt: &Interrupt) -> i32 {
    let stdin = io::stdin();
    let mut lines = stdin.lock().lines();
    let interactive = std::io::IsTerminal::is_terminal(&io::stdin());
    if interactive {
        println!("Ctrl-C stops a running chunk, Ctrl-D quits");
    }
    let mut buffer = String::new();
    loop {
        if interactive {
            print!("{}", if buffer.is_empty() { "> " } else { ">> " });
            let _ = io::stdout().flush();
        }
        let Some(Ok(line)) = lines.next() else {
            if interactive {
                println!();
            }
            return 0;
        };
        if !buffer.is_empty() {
            buffer.push('\n');
        }
        buffer.push_str(&line);

        // An expression is shown; otherwise the input runs as statements.
        let as_expr = format!("return {buffer}");
        let result = match execute(rt, as_expr.as_bytes(), "stdin", &[], interrupt) {
            Err(e) if e.kind == ErrorKind::Syntax => {
                execute(rt, buffer.as_bytes(), "stdin", &[], interrupt)
            }
            other => other,
        };
        match result {
            Err(e) if e.is_incomplete_input() => continue,
            Err(e) => {
                eprintln!("{e}");
            }
            Ok(values) if !values.is_empty() => {
                let shown: Vec<String> = values.iter().map(HostValue::display).collect();
                println!("{}", shown.join("\t"));
            }
            Ok(_) => {}
        }
        print_warnings(rt);
        buffer.clear();
    }
}
