//! Running files: one fresh [`Runtime`] per file (sandboxed, or with the
//! CLI's native host for `[[native]]` entries), the globals the official
//! suite expects for a portable run, a counting `assert`, and limits on fuel,
//! memory and wall-clock time.

use std::{
    cell::{Cell, RefCell},
    fs,
    panic::{self, AssertUnwindSafe},
    path::{Path, PathBuf},
    rc::Rc,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex, Once,
    },
    time::{Duration, Instant},
};

use vm_ext::{
    assert_count::{counting_assert, AssertCounter},
    engine::Engine,
    host::{FileSystem, HostFile, OpenMode, StdFileSystem},
    ErrorKind, Host, Runtime, RuntimeOptions, StepResult,
};

use crate::{
    config::{Config, Limits},
    report::{FileResult, Status},
};

/// Fuel per [`Runtime::step`] call; memory and time are checked between steps.
const SLICE_FUEL: i32 = 50_000;

/// The stack size of runner threads: piccolo's parser recurses, and the
/// official suite has deeply nested code.
const THREAD_STACK: usize = 256 << 20;

/// Options for [`run_suite`].
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Per-file limits.
    pub limits: Limits,
    /// Run only files whose name contains this.
    pub filter: Option<String>,
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// The Lua core that runs the files.
    pub engine: Engine,
}

/// Globals set before every file, as `all.lua` documents for a portable
/// user run (`_U` makes `all.lua` set the other three itself):
/// - `_port = true`: skip non-portable tests (locale, `os.execute`, ...);
/// - `_soft = true`: skip long or memory-hungry tests;
/// - `_nomsg = true`: no messages about tests not performed;
/// - `_U = true`: "user tests", implies the three above.
///
/// `T` (the C test module) is left nil, so internal tests are skipped.
pub const SUITE_GLOBALS: &[&str] = &["_port", "_soft", "_nomsg", "_U"];

/// The `*.lua` files directly in `dir`, sorted, without `all.lua` (the
/// driver of the official suite). A missing folder is an error.
pub fn suite_files(dir: &Path) -> std::io::Result<Vec<String>> {
    let meta = fs::metadata(dir)?;
    if !meta.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} is not a folder", dir.display()),
        ));
    }
    let mut files: Vec<String> = fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".lua") && n != "all.lua")
        .collect();
    files.sort();
    Ok(files)
}

/// Runs every file of the suite in `dir` (skipping what `config` skips) and
/// returns the results in file order.
pub fn run_suite(
    dir: &Path,
    config: &Config,
    options: &RunOptions,
) -> std::io::Result<Vec<FileResult>> {
    let names: Vec<String> = suite_files(dir)?
        .into_iter()
        .filter(|n| options.filter.as_deref().is_none_or(|f| n.contains(f)))
        .collect();
    let results: Mutex<Vec<Option<FileResult>>> = Mutex::new(vec![None; names.len()]);
    let next = AtomicUsize::new(0);
    let worker = || loop {
        let i = next.fetch_add(1, Ordering::SeqCst);
        let Some(name) = names.get(i) else { break };
        let result = match config.skip_reason(name) {
            Some(reason) => FileResult {
                name: name.clone(),
                status: Status::Skip,
                asserts: 0,
                error: Some(reason.to_string()),
                line: None,
                ms: 0,
            },
            None => {
                let host = if config.is_native(name) {
                    HostKind::Native
                } else {
                    HostKind::Sandbox
                };
                run_file_on(&dir.join(name), name, &options.limits, options.engine, host)
            }
        };
        if let Ok(mut r) = results.lock() {
            r[i] = Some(result);
        }
    };
    let jobs = options.jobs.clamp(1, names.len().max(1));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..jobs)
            .map(|_| {
                std::thread::Builder::new()
                    .stack_size(THREAD_STACK)
                    .spawn_scoped(scope, worker)
            })
            .collect();
        for h in handles {
            match h {
                Ok(h) => {
                    let _ = h.join();
                }
                // Could not spawn: do the work on this thread.
                Err(_) => worker(),
            }
        }
    });
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    Ok(names
        .iter()
        .zip(results)
        .map(|(name, r)| {
            r.unwrap_or_else(|| FileResult {
                name: name.clone(),
                status: Status::Panic,
                asserts: 0,
                error: Some("the runner thread died".into()),
                line: None,
                ms: 0,
            })
        })
        .collect())
}

thread_local! {
    static QUIET_PANICS: Cell<bool> = const { Cell::new(false) };
}

/// Installs (once) a panic hook that stays silent on threads running a file
/// and defers to the previous hook elsewhere.
fn install_quiet_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET_PANICS.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// The services a file runs with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HostKind {
    /// `Host::default()`: no file system, environment, stdin or exit, as in
    /// the browser.
    #[default]
    Sandbox,
    /// The CLI's `Host::native()` (real files, environment variables), with
    /// relative paths resolved in a fresh temporary working directory that is
    /// removed afterwards; stdin is empty and `os.exit` raises an error
    /// instead of ending the runner.
    Native,
}

/// Runs one file in a fresh sandboxed runtime. Never panics: a panic inside
/// the VM is reported as [`Status::Panic`].
pub fn run_file(path: &Path, name: &str, limits: &Limits, engine: Engine) -> FileResult {
    run_file_on(path, name, limits, engine, HostKind::Sandbox)
}

/// Runs one file in a fresh runtime with the services `host` names. Never
/// panics: a panic inside the VM is reported as [`Status::Panic`].
pub fn run_file_on(
    path: &Path,
    name: &str,
    limits: &Limits,
    engine: Engine,
    host: HostKind,
) -> FileResult {
    install_quiet_hook();
    let start = Instant::now();
    let asserts = Rc::new(AssertCounter::default());
    let workdir = match host {
        HostKind::Sandbox => None,
        HostKind::Native => match TempDir::new() {
            Ok(d) => Some(d),
            Err(e) => {
                return FileResult {
                    name: name.to_string(),
                    status: Status::Fail,
                    asserts: 0,
                    error: Some(format!("cannot create a working directory: {e}")),
                    line: None,
                    ms: 0,
                }
            }
        },
    };
    let was_quiet = QUIET_PANICS.with(|q| q.replace(true));
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        let host = match &workdir {
            Some(dir) => native_host(dir.path()),
            None => Host::default(),
        };
        run_inner(path, name, limits, engine, host, &asserts)
    }));
    drop(workdir);
    QUIET_PANICS.with(|q| q.set(was_quiet));
    let (status, error, line) = match outcome {
        Ok(r) => r,
        Err(payload) => {
            let detail = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            (Status::Panic, Some(format!("panic: {detail}")), None)
        }
    };
    FileResult {
        name: name.to_string(),
        status,
        asserts: asserts.passed.get(),
        error,
        line,
        ms: start.elapsed().as_millis() as u64,
    }
}

type Outcome = (Status, Option<String>, Option<u64>);

/// Modules of a suite folder that test files `require`.
const HELPER_MODULES: &[&str] = &["tracegc", "bwcoercion"];

fn run_inner(
    path: &Path,
    name: &str,
    limits: &Limits,
    engine: Engine,
    host: Host,
    asserts: &Rc<AssertCounter>,
) -> Outcome {
    let mut source = match fs::read(path) {
        Ok(s) => s,
        Err(e) => {
            return (
                Status::Fail,
                Some(format!("cannot read {}: {e}", path.display())),
                None,
            )
        }
    };
    // Like `lua file.lua` (luaL_loadfile): a first `#` line is skipped.
    let skipped = source.len() - vm_ext::compiler::skip_hash_line(&source).len();
    source.drain(..skipped);
    // `..Default::default()`: RuntimeOptions gains fields on other branches.
    #[allow(clippy::needless_update)]
    let options = RuntimeOptions {
        fuel_limit: Some(limits.fuel),
        engine,
        ..RuntimeOptions::default()
    };
    let mut rt = Runtime::with_host(options, host);
    // Output is not part of the verdict.
    rt.set_output(|_| {});
    install_globals(&mut rt, asserts.clone());
    // The suite's helper modules (`require "tracegc"`, `"bwcoercion"`) come
    // from its own folder, as `lua` finds them through `./?.lua`; sandboxed
    // files have no file system, and native ones run in an empty directory.
    if let Some(dir) = path.parent() {
        for helper in HELPER_MODULES {
            if let Ok(src) = fs::read(dir.join(format!("{helper}.lua"))) {
                rt.add_module(helper, src);
            }
        }
    }
    // Named like `lua file.lua` names it, so messages read `file.lua:3: ...`.
    if let Err(e) = rt.load(&source, name) {
        let status = if e.kind == ErrorKind::Internal {
            Status::Panic
        } else {
            Status::Fail
        };
        return (status, Some(e.to_string()), e.line);
    }
    let deadline = Instant::now() + Duration::from_secs(limits.time_s.max(1));
    let memory_limit = limits.memory_mb.saturating_mul(1 << 20) as usize;
    loop {
        match rt.step(SLICE_FUEL) {
            StepResult::Finished(_) | StepResult::Idle => return (Status::Pass, None, None),
            StepResult::Error(e) => {
                let status = match e.kind {
                    ErrorKind::FuelLimit => Status::Timeout,
                    ErrorKind::Internal => Status::Panic,
                    _ => Status::Fail,
                };
                let mut line = e.line;
                if line.is_none() {
                    if let Some((l, msg)) = asserts.last_failure.borrow().as_ref() {
                        if *msg == e.message {
                            line = Some(*l);
                        }
                    }
                }
                return (status, Some(e.to_string()), line);
            }
            // Running (and, on newer runtimes, Waiting: no host calls are
            // registered here, so it cannot happen): check the limits.
            _ => {
                let used = rt.memory_used();
                if used > memory_limit {
                    rt.stop();
                    return (
                        Status::Fail,
                        Some(format!(
                            "memory limit of {} MB exceeded ({} MB in use)",
                            limits.memory_mb,
                            used >> 20
                        )),
                        None,
                    );
                }
                if Instant::now() > deadline {
                    rt.stop();
                    return (
                        Status::Timeout,
                        Some(format!("time limit of {} s exceeded", limits.time_s)),
                        None,
                    );
                }
            }
        }
    }
}

/// A fresh directory under the system's temporary folder, removed (with
/// everything in it) when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let base = std::env::temp_dir();
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let dir = base.join(format!(
                "luahome-conformance-run-{}-{n}",
                std::process::id()
            ));
            match fs::create_dir(&dir) {
                Ok(()) => return Ok(TempDir(dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The CLI's real file system with relative paths resolved in `root`: the
/// process has one working directory, and files run in parallel threads.
/// `os.tmpname` is the CLI's own (names in the system's temporary folder).
struct RootedFileSystem {
    root: PathBuf,
}

impl RootedFileSystem {
    fn resolve(&self, path: &str) -> String {
        if Path::new(path).is_absolute() {
            path.to_string()
        } else {
            self.root.join(path).to_string_lossy().into_owned()
        }
    }
}

impl FileSystem for RootedFileSystem {
    fn open(&self, path: &str, mode: OpenMode) -> std::io::Result<Box<dyn HostFile>> {
        StdFileSystem.open(&self.resolve(path), mode)
    }

    fn remove(&self, path: &str) -> std::io::Result<()> {
        StdFileSystem.remove(&self.resolve(path))
    }

    fn rename(&self, from: &str, to: &str) -> std::io::Result<()> {
        StdFileSystem.rename(&self.resolve(from), &self.resolve(to))
    }

    fn tmpname(&self) -> std::io::Result<String> {
        StdFileSystem.tmpname()
    }
}

/// `Host::native()` for a file run in `workdir` (see [`HostKind::Native`]).
fn native_host(workdir: &Path) -> Host {
    let mut host = Host::native();
    host.fs = Some(Rc::new(RootedFileSystem {
        root: workdir.to_path_buf(),
    }));
    host.stdin = Some(Rc::new(RefCell::new(std::io::empty())));
    host.exit = None;
    host
}

/// Sets the suite globals ([`SUITE_GLOBALS`]) and replaces `assert` with a
/// counting one.
fn install_globals(rt: &mut Runtime, counter: Rc<AssertCounter>) {
    rt.lua_mut().enter(|ctx| {
        let g = ctx.globals();
        for name in SUITE_GLOBALS {
            let _ = g.set(ctx, *name, true);
        }
        let _ = g.set(ctx, "assert", counting_assert(ctx, counter));
    });
}

/// Resolves the suite folder for `run`: the explicit argument, else the
/// config's `dir` or `env` variable.
pub fn resolve_suite_dir(arg: Option<&str>, config: &Config) -> Option<PathBuf> {
    arg.map(PathBuf::from).or_else(|| config.suite_dir())
}
