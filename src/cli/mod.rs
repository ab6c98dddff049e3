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
    home::HomeSaver, ErrorKind, FileStore, Host, HostCallOutcome, HostCallRequest, HostTarget,
    HostValue, LuaError, Runtime, RuntimeOptions, StepResult,
};

const USAGE: &str = "\
usage: luahome [run] FILE.lua [ARGS...]
                                  run a file; `arg` holds FILE (arg[0])
                                  and ARGS (arg[1], ...), as in `lua`
       luahome -e 'CODE'          run a chunk given on the command line
       luahome                    interactive REPL (Ctrl-D to quit)
       luahome --help | --version
options:
       --home PATH                keep `_home` in the file PATH (created if
                                  missing) so it survives between runs";

/// Exit status after Ctrl-C stopped a chunk (128 + SIGINT, as shells do).
const EXIT_INTERRUPTED: i32 = 130;

enum Command {
    RunFile(String, Vec<String>),
    Eval(String),
    Repl,
    Help,
    Version,
}

fn parse_args(args: &[String]) -> Result<Command, String> {
    match args {
        [] => Ok(Command::Repl),
        [flag] if flag == "-h" || flag == "--help" => Ok(Command::Help),
        [flag] if flag == "-V" || flag == "--version" => Ok(Command::Version),
        [flag, code] if flag == "-e" => Ok(Command::Eval(code.clone())),
        [run, file, rest @ ..] if run == "run" => Ok(Command::RunFile(file.clone(), rest.to_vec())),
        [file, rest @ ..] if !file.starts_with('-') && file != "run" => {
            Ok(Command::RunFile(file.clone(), rest.to_vec()))
        }
        _ => Err(format!("luahome: bad arguments\n{USAGE}")),
    }
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

/// Removes `--home PATH` (anywhere on the line) and returns PATH.
fn take_home_arg(args: &mut Vec<String>) -> Result<Option<String>, String> {
    let Some(i) = args.iter().position(|a| a == "--home") else {
        return Ok(None);
    };
    if i + 1 >= args.len() {
        return Err(format!("luahome: --home needs a PATH\n{USAGE}"));
    }
    let path = args.remove(i + 1);
    args.remove(i);
    Ok(Some(path))
}

pub fn main() -> i32 {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let home = match take_home_arg(&mut args) {
        Ok(h) => h,
        Err(msg) => {
            eprintln!("{msg}");
            return 2;
        }
    };
    let command = match parse_args(&args) {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("{msg}");
            return 2;
        }
    };
    let interrupt = Interrupt::default();
    match command {
        Command::Help => {
            println!("{USAGE}");
            0
        }
        Command::Version => {
            println!(
                "luahome {} (Lua 5.4 on piccolo 0.3.3)",
                env!("CARGO_PKG_VERSION")
            );
            0
        }
        Command::RunFile(path, script_args) => {
            let source = match std::fs::read(&path) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("luahome: cannot open {path}: {e}");
                    return 1;
                }
            };
            interrupt.install();
            let Some(mut rt) = new_runtime(home.as_deref()) else {
                return 1;
            };
            rt.set_script_args(&path, &script_args);
            let status = run_chunk(&mut rt, &source, &path, &interrupt);
            finish_home(&mut rt, status)
        }
        Command::Eval(code) => {
            interrupt.install();
            let Some(mut rt) = new_runtime(home.as_deref()) else {
                return 1;
            };
            let status = run_chunk(&mut rt, code.as_bytes(), "(command line)", &interrupt);
            finish_home(&mut rt, status)
        }
        Command::Repl => {
            interrupt.install();
            repl(&interrupt, home.as_deref())
        }
    }
}

/// A runtime for the CLI; with `home`, `_home` is loaded from and saved to
/// that file. A home file that cannot be read is reported and nothing runs
/// (so it is never overwritten).
fn new_runtime(home: Option<&str>) -> Option<Runtime> {
    let mut options = RuntimeOptions::default();
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

/// Runs one chunk to the end; prints its error as `chunk:line: message`.
fn run_chunk(rt: &mut Runtime, source: &[u8], chunk: &str, interrupt: &Interrupt) -> i32 {
    match execute(rt, source, chunk, interrupt) {
        Ok(_) => 0,
        Err(e) => report(&e),
    }
}

fn execute(
    rt: &mut Runtime,
    source: &[u8],
    chunk: &str,
    interrupt: &Interrupt,
) -> Result<Vec<HostValue>, LuaError> {
    rt.load(source, chunk)?;
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
    eprintln!("{e}");
    if e.kind == ErrorKind::Stopped {
        EXIT_INTERRUPTED
    } else {
        1
    }
}

fn repl(interrupt: &Interrupt, home: Option<&str>) -> i32 {
    let Some(mut rt) = new_runtime(home) else {
        return 1;
    };
    let stdin = io::stdin();
    let mut lines = stdin.lock().lines();
    let interactive = std::io::IsTerminal::is_terminal(&io::stdin());
    if interactive {
        println!(
            "luahome {} (Lua 5.4 on piccolo) — Ctrl-C stops a running chunk, Ctrl-D quits",
            env!("CARGO_PKG_VERSION")
        );
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
            return finish_home(&mut rt, 0);
        };
        if !buffer.is_empty() {
            buffer.push('\n');
        }
        buffer.push_str(&line);

        // An expression is shown; otherwise the input runs as statements.
        let as_expr = format!("return {buffer}");
        let result = match execute(&mut rt, as_expr.as_bytes(), "stdin", interrupt) {
            Err(e) if e.kind == ErrorKind::Syntax => {
                execute(&mut rt, buffer.as_bytes(), "stdin", interrupt)
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
        print_warnings(&mut rt);
        buffer.clear();
    }
}
