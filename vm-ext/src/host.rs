//! Services the host (CLI, browser) provides to the standard library.
//!
//! A [`Host`] made with `Host::default()` is sandboxed: output and warnings go
//! to in-memory buffers, and there is no file system, stdin, environment,
//! clock hook or exit hook (the libraries then give clear errors, or fall back
//! to the native clock where one exists). [`Host::native`] wires everything to
//! the process (real files, stdin, environment variables, `exit`), which is
//! what the CLI wants. A browser host fills [`Host::modules`] (sources for
//! `require`) and may grant a [`MemoryFileSystem`].

use std::{
    cell::RefCell,
    collections::HashMap,
    io::{self, Read, Seek, SeekFrom, Write},
    rc::Rc,
};

use crate::host_call::HostCalls;

/// Bytes written by `print` and `io.write`, drained by the runtime after each
/// bounded `enter` so output streams while a script runs.
#[derive(Clone, Default)]
pub struct OutputBuffer(Rc<RefCell<Vec<u8>>>);

impl OutputBuffer {
    /// Appends `bytes`.
    pub fn write(&self, bytes: &[u8]) {
        self.0.borrow_mut().extend_from_slice(bytes);
    }

    /// Takes everything written so far.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.borrow_mut())
    }

    /// Whether nothing is waiting to be taken.
    pub fn is_empty(&self) -> bool {
        self.0.borrow().is_empty()
    }
}

/// How `io.open` (and friends) want a file opened, parsed from a Lua mode
/// string such as `"r"`, `"w+"` or `"ab"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenMode {
    pub read: bool,
    pub write: bool,
    pub append: bool,
    pub truncate: bool,
    pub create: bool,
}

impl OpenMode {
    /// Parses a C `fopen` mode as Lua accepts it (`[rwa]%+?b*`); `None` if invalid.
    pub fn parse(mode: &[u8]) -> Option<OpenMode> {
        let (first, rest) = mode.split_first()?;
        let (plus, rest) = match rest.split_first() {
            Some((b'+', r)) => (true, r),
            _ => (false, rest),
        };
        if !rest.iter().all(|&b| b == b'b') {
            return None;
        }
        Some(match first {
            b'r' => OpenMode {
                read: true,
                write: plus,
                append: false,
                truncate: false,
                create: false,
            },
            b'w' => OpenMode {
                read: plus,
                write: true,
                append: false,
                truncate: true,
                create: true,
            },
            b'a' => OpenMode {
                read: plus,
                write: true,
                append: true,
                truncate: false,
                create: true,
            },
            _ => return None,
        })
    }
}

/// An open file: anything readable, writable and seekable.
pub trait HostFile: Read + Write + Seek {}
impl<T: Read + Write + Seek> HostFile for T {}

/// The file system `io`, `os.remove`/`os.rename`/`os.tmpname`, `dofile`,
/// `loadfile` and `require` use.
pub trait FileSystem {
    /// Opens `path` as `mode` asks.
    fn open(&self, path: &str, mode: OpenMode) -> io::Result<Box<dyn HostFile>>;
    /// Deletes a file.
    fn remove(&self, path: &str) -> io::Result<()>;
    /// Renames a file.
    fn rename(&self, from: &str, to: &str) -> io::Result<()>;
    /// A fresh name usable for a temporary file.
    fn tmpname(&self) -> io::Result<String>;

    /// Reads a whole file.
    fn read_all(&self, path: &str) -> io::Result<Vec<u8>> {
        let mut f = self.open(
            path,
            OpenMode {
                read: true,
                write: false,
                append: false,
                truncate: false,
                create: false,
            },
        )?;
        let mut data = Vec::new();
        f.read_to_end(&mut data)?;
        Ok(data)
    }
}

/// The process's real file system (`std::fs`). On wasm32 every call fails.
#[derive(Debug, Default, Clone, Copy)]
pub struct StdFileSystem;

impl FileSystem for StdFileSystem {
    fn open(&self, path: &str, mode: OpenMode) -> io::Result<Box<dyn HostFile>> {
        let f = std::fs::OpenOptions::new()
            .read(mode.read)
            .write(mode.write && !mode.append)
            .append(mode.append)
            .truncate(mode.truncate)
            .create(mode.create)
            .open(path)?;
        Ok(Box::new(f))
    }

    fn remove(&self, path: &str) -> io::Result<()> {
        match std::fs::remove_file(path) {
            Err(e) if std::path::Path::new(path).is_dir() => {
                std::fs::remove_dir(path).map_err(|_| e)
            }
            r => r,
        }
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn tmpname(&self) -> io::Result<String> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir();
        let path = dir.join(format!("lua_{}_{n}", std::process::id()));
        std::fs::File::create(&path)?;
        Ok(path.to_string_lossy().into_owned())
    }
}

type SharedBytes = Rc<RefCell<Vec<u8>>>;

/// `os.getenv`'s lookup: a variable's value, if set.
pub type EnvLookup = dyn Fn(&str) -> Option<String>;

/// An in-memory file system (tests, and what a browser host may grant).
#[derive(Clone, Default)]
pub struct MemoryFileSystem {
    files: Rc<RefCell<HashMap<String, SharedBytes>>>,
    counter: Rc<RefCell<u64>>,
}

/// `./a//b/./c.lua` -> `a/b/c.lua`: the one spelling a [`MemoryFileSystem`]
/// keys files by (a leading `/` is kept: `/a` and `a` are different files).
pub fn normalize_path(path: &str) -> String {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let joined = parts.join("/");
    if path.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

impl MemoryFileSystem {
    /// Creates or replaces a file.
    pub fn insert(&self, path: &str, contents: impl Into<Vec<u8>>) {
        self.files
            .borrow_mut()
            .insert(normalize_path(path), Rc::new(RefCell::new(contents.into())));
    }

    /// The contents of a file, if it exists.
    pub fn get(&self, path: &str) -> Option<Vec<u8>> {
        self.files
            .borrow()
            .get(&normalize_path(path))
            .map(|f| f.borrow().clone())
    }

    /// The paths of every file, sorted.
    pub fn paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = self.files.borrow().keys().cloned().collect();
        paths.sort();
        paths
    }
}

/// The largest file a [`MemoryFileSystem`] holds (1 GiB).
pub const MAX_MEMORY_FILE: u64 = 1 << 30;

struct MemFile {
    data: Rc<RefCell<Vec<u8>>>,
    pos: u64,
    mode: OpenMode,
}

impl Read for MemFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.mode.read {
            return Err(io::Error::from_raw_os_error(9));
        }
        let data = self.data.borrow();
        let start = (self.pos as usize).min(data.len());
        let n = buf.len().min(data.len() - start);
        buf[..n].copy_from_slice(&data[start..start + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Write for MemFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.mode.write {
            return Err(io::Error::from_raw_os_error(9));
        }
        let mut data = self.data.borrow_mut();
        if self.mode.append {
            self.pos = data.len() as u64;
        }
        if self.pos.saturating_add(buf.len() as u64) > MAX_MEMORY_FILE {
            // EFBIG: a seek far past the end must not allocate gigabytes.
            return Err(io::Error::from_raw_os_error(27));
        }
        let start = self.pos as usize;
        if data.len() < start {
            data.resize(start, 0);
        }
        let overlap = buf.len().min(data.len() - start);
        data[start..start + overlap].copy_from_slice(&buf[..overlap]);
        data.extend_from_slice(&buf[overlap..]);
        self.pos += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for MemFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let len = self.data.borrow().len() as i64;
        let new = match pos {
            SeekFrom::Start(p) => p as i64,
            SeekFrom::Current(d) => (self.pos as i64).saturating_add(d),
            SeekFrom::End(d) => len.saturating_add(d),
        };
        if new < 0 {
            return Err(io::Error::from_raw_os_error(22));
        }
        self.pos = new as u64;
        Ok(self.pos)
    }
}

impl FileSystem for MemoryFileSystem {
    fn open(&self, path: &str, mode: OpenMode) -> io::Result<Box<dyn HostFile>> {
        let path = &normalize_path(path);
        let mut files = self.files.borrow_mut();
        let data = match files.get(path) {
            Some(d) => {
                if mode.truncate {
                    d.borrow_mut().clear();
                }
                d.clone()
            }
            None if mode.create => {
                let d = Rc::new(RefCell::new(Vec::new()));
                files.insert(path.to_string(), d.clone());
                d
            }
            None => return Err(io::Error::from(io::ErrorKind::NotFound)),
        };
        Ok(Box::new(MemFile { data, pos: 0, mode }))
    }

    fn remove(&self, path: &str) -> io::Result<()> {
        match self.files.borrow_mut().remove(&normalize_path(path)) {
            Some(_) => Ok(()),
            None => Err(io::Error::from(io::ErrorKind::NotFound)),
        }
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let mut files = self.files.borrow_mut();
        match files.remove(&normalize_path(from)) {
            Some(d) => {
                files.insert(normalize_path(to), d);
                Ok(())
            }
            None => Err(io::Error::from(io::ErrorKind::NotFound)),
        }
    }

    fn tmpname(&self) -> io::Result<String> {
        let mut c = self.counter.borrow_mut();
        *c += 1;
        let name = format!("/tmp/lua_mem_{}", *c);
        self.insert(&name, Vec::new());
        Ok(name)
    }
}

/// A host's local time zone, for `os.date` (without `!`) and `os.time(t)`.
pub trait TimeZone {
    /// Seconds east of UTC (local time minus UTC) at `t`, seconds since
    /// the Unix epoch.
    fn offset(&self, t: i64) -> i64;
    /// The zone's name at `t`, for `os.date`'s `%Z` ("EST", "GMT+1").
    fn name(&self, t: i64) -> String;
}

/// Handles shared between a [`crate::Runtime`] and the callbacks it installs.
#[derive(Clone, Default)]
pub struct Host {
    /// `print`, `io.write` and `io.stdout` output.
    pub output: OutputBuffer,
    pub calls: HostCalls,
    /// The stderr-equivalent: `warn` messages (`Lua warning: ...\n`) and
    /// `io.stderr` writes.
    pub warnings: OutputBuffer,
    /// Files, for `io`, `os.remove`/`rename`/`tmpname`, `dofile`, `loadfile`
    /// and `require`'s file searcher. `None` in a sandbox.
    pub fs: Option<Rc<dyn FileSystem>>,
    /// Standard input for `io.read`/`io.lines()`/`io.stdin`. `None`: reads fail.
    pub stdin: Option<Rc<RefCell<dyn Read>>>,
    /// `os.getenv`. `None`: every variable is unset.
    pub env: Option<Rc<EnvLookup>>,
    /// Wall-clock seconds since the Unix epoch, for `os.time`/`os.date`.
    /// `None`: the native clock where there is one, else an error.
    pub clock: Option<Rc<dyn Fn() -> f64>>,
    /// CPU seconds used, for `os.clock`. `None`: time since the host started.
    pub cpu_clock: Option<Rc<dyn Fn() -> f64>>,
    /// Local time for `os.date` (without `!`) and `os.time(t)`. `None`:
    /// local time is UTC.
    pub time_zone: Option<Rc<dyn TimeZone>>,
    /// `os.exit(code)`. `None`: `os.exit` raises an error.
    pub exit: Option<Rc<dyn Fn(i32)>>,
    /// Module sources by name (`"a.b"` -> Lua source) that `require` finds
    /// before searching files; the browser fills this.
    pub modules: Rc<RefCell<HashMap<String, Vec<u8>>>>,
    /// Modules the host provides on demand: `require` asks for their source
    /// with a [`crate::HostTarget::Module`] host call (after `package.preload`
    /// and [`Host::modules`]).
    pub module_loaders: Rc<RefCell<std::collections::HashSet<String>>>,
}

impl Host {
    /// A host wired to the process: real files, stdin, environment, exit.
    /// `os.exit` first writes output and warnings not yet drained by the
    /// runtime to stdout and stderr.
    pub fn native() -> Host {
        let output = OutputBuffer::default();
        let warnings = OutputBuffer::default();
        let (out, err) = (output.clone(), warnings.clone());
        Host {
            output,
            warnings,
            fs: Some(Rc::new(StdFileSystem)),
            stdin: Some(Rc::new(RefCell::new(io::stdin()))),
            env: Some(Rc::new(|name| std::env::var(name).ok())),
            exit: Some(Rc::new(move |code| {
                let mut stdout = io::stdout();
                let _ = stdout.write_all(&out.take());
                let _ = stdout.flush();
                let mut stderr = io::stderr();
                let _ = stderr.write_all(&err.take());
                let _ = stderr.flush();
                std::process::exit(code)
            })),
            #[cfg(unix)]
            time_zone: Some(Rc::new(CLocalTime)),
            ..Host::default()
        }
    }
}

/// Local time from the C library (`TZ`, `/etc/localtime`), as PUC Lua's
/// `os.date` has it.
#[cfg(unix)]
struct CLocalTime;

#[cfg(unix)]
#[allow(unsafe_code)]
impl CLocalTime {
    /// `localtime_r` of `t`; `None` for a time it cannot break down.
    fn tm(t: i64) -> Option<libc::tm> {
        let time = libc::time_t::try_from(t).ok()?;
        // SAFETY: `tm` is plain data (integers and a pointer), valid zeroed;
        // `localtime_r` writes only into it and returns null on failure.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        (!unsafe { libc::localtime_r(&time, &mut tm) }.is_null()).then_some(tm)
    }
}

#[cfg(unix)]
#[allow(unsafe_code)]
impl TimeZone for CLocalTime {
    fn offset(&self, t: i64) -> i64 {
        // (`c_long`: 32 bits on some targets.)
        #[allow(clippy::useless_conversion)]
        Self::tm(t).map_or(0, |tm| i64::from(tm.tm_gmtoff))
    }

    fn name(&self, t: i64) -> String {
        match Self::tm(t) {
            None => "UTC".into(),
            Some(tm) if tm.tm_zone.is_null() => String::new(),
            // SAFETY: a non-null `tm_zone` points to a NUL-terminated name in
            // the C library's zone data, alive until the zone is set again.
            Some(tm) => unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) }
                .to_string_lossy()
                .into_owned(),
        }
    }
}
