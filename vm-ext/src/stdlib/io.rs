//! The `io` library over the [`Host`]: `io.write`/`io.stdout` go to the host
//! output (like `print`), `io.stderr` to the host's warning channel,
//! `io.read`/`io.stdin` read the host's stdin, and files (`io.open`,
//! `io.lines`, `io.input`/`io.output`, `io.tmpfile`) go through the host's
//! [`crate::host::FileSystem`]; without one they fail with "no file system in
//! this host". `io.popen` is not supported. Writes to files are buffered as
//! C streams buffer them (fully by default; `file:setvbuf`), and written on
//! flush, seek, read, close, or when the handle is collected.

use std::{
    cell::RefCell,
    io::{self, Read, Seek, SeekFrom, Write},
    rc::Rc,
};

use piccolo::{
    Callback, CallbackReturn, Context, Error, MetaMethod, Stack, Table, UserData, Value,
};

use super::{
    base::os_error_text,
    check::{arg_error, check_any, check_string, opt_integer, opt_string, to_bytes, type_error},
    lua_error,
    os::no_fs,
};
use crate::{
    host::{HostFile, OpenMode},
    number::fmt_g,
    number::{str_to_number, Num},
    Host, OutputBuffer,
};

enum Backing {
    Stdin(Option<Rc<RefCell<dyn Read>>>),
    Out(OutputBuffer),
    File(Box<dyn HostFile>),
    Closed,
}

struct FileState {
    backing: Backing,
    standard: bool,
    /// Read-ahead: `buf[pos..]` is read from the file but not yet consumed.
    buf: Vec<u8>,
    pos: usize,
    /// Written but not yet passed to the file (see [`VBuf`]). Never
    /// non-empty at the same time as the read-ahead.
    wbuf: Vec<u8>,
    vbuf: VBuf,
    /// Whether the file was opened for writing: writes to a read-only file
    /// fail at once, as C's do, not when the buffer is flushed.
    writable: bool,
}

/// How writes to a file are buffered (`file:setvbuf`), as C streams do:
/// files start fully buffered (`BUFSIZ`); standard output is not buffered
/// here (the host drains it after each slice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VBuf {
    /// Every write goes to the file at once.
    No,
    /// Written when this many bytes are waiting, or on flush, seek, read or close.
    Full(usize),
    /// As `Full`, and also whenever a newline is written.
    Line(usize),
}

/// `io.tmpfile`'s mode, `"w+"`.
const W_PLUS: OpenMode = OpenMode {
    read: true,
    write: true,
    append: false,
    truncate: true,
    create: true,
};

/// C's `BUFSIZ` on Linux: the default buffer of a file.
const BUFSIZ: usize = 8192;

/// A Lua file handle (the `FILE*` userdata's payload).
#[derive(Clone)]
struct LuaFile(Rc<RefCell<FileState>>);

const CHUNK: usize = 8192;

impl FileState {
    fn new(backing: Backing, standard: bool) -> Self {
        let writable = !matches!(backing, Backing::Stdin(_));
        FileState {
            backing,
            standard,
            buf: Vec::new(),
            pos: 0,
            wbuf: Vec::new(),
            vbuf: VBuf::No,
            writable,
        }
    }

    /// A file opened with `mode`: fully buffered.
    fn file(f: Box<dyn HostFile>, mode: OpenMode) -> Self {
        let mut st = FileState::new(Backing::File(f), false);
        st.vbuf = VBuf::Full(BUFSIZ);
        st.writable = mode.write;
        st
    }

    /// Passes buffered writes to the file.
    fn flush_writes(&mut self) -> io::Result<()> {
        if self.wbuf.is_empty() {
            return Ok(());
        }
        let data = std::mem::take(&mut self.wbuf);
        match &mut self.backing {
            Backing::File(f) => f.write_all(&data),
            Backing::Out(o) => {
                o.write(&data);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Closes the file, writing what is buffered first.
    fn close(&mut self) -> io::Result<()> {
        let r = self.flush();
        self.backing = Backing::Closed;
        self.buf.clear();
        self.pos = 0;
        self.wbuf.clear();
        r
    }

    fn is_closed(&self) -> bool {
        matches!(self.backing, Backing::Closed)
    }

    /// Makes sure unread bytes are buffered; `false` at end of file.
    fn fill(&mut self) -> io::Result<bool> {
        if self.pos < self.buf.len() {
            return Ok(true);
        }
        self.flush_writes()?;
        self.buf.clear();
        self.pos = 0;
        let mut chunk = vec![0u8; CHUNK];
        let n = match &mut self.backing {
            Backing::Stdin(Some(r)) => r.borrow_mut().read(&mut chunk)?,
            Backing::Stdin(None) => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "no standard input in this host",
                ))
            }
            Backing::File(f) => f.read(&mut chunk)?,
            Backing::Out(_) => return Err(io::Error::from_raw_os_error(9)),
            Backing::Closed => return Ok(false),
        };
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n > 0)
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(if self.fill()? {
            Some(self.buf[self.pos])
        } else {
            None
        })
    }

    fn read_line(&mut self, keep: bool) -> io::Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        loop {
            if !self.fill()? {
                return Ok(if line.is_empty() { None } else { Some(line) });
            }
            let avail = &self.buf[self.pos..];
            match avail.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    line.extend_from_slice(&avail[..i]);
                    if keep {
                        line.push(b'\n');
                    }
                    self.pos += i + 1;
                    return Ok(Some(line));
                }
                None => {
                    line.extend_from_slice(avail);
                    self.pos = self.buf.len();
                }
            }
        }
    }

    fn read_all(&mut self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        while self.fill()? {
            out.extend_from_slice(&self.buf[self.pos..]);
            self.pos = self.buf.len();
        }
        Ok(out)
    }

    fn read_count(&mut self, n: u64) -> io::Result<Option<Vec<u8>>> {
        if n == 0 {
            return Ok(if self.fill()? { Some(Vec::new()) } else { None });
        }
        let mut out = Vec::new();
        while (out.len() as u64) < n && self.fill()? {
            let want = (n - out.len() as u64).min((self.buf.len() - self.pos) as u64) as usize;
            out.extend_from_slice(&self.buf[self.pos..self.pos + want]);
            self.pos += want;
        }
        Ok(if out.is_empty() { None } else { Some(out) })
    }

    /// Lua's `read("n")`: reads the longest prefix that looks like a numeral
    /// (at most 200 characters, as `L_MAXLENNUM`: a longer one fails after
    /// consuming 200).
    fn read_number(&mut self) -> io::Result<Option<Num>> {
        let mut text = Vec::new();
        let mut overflow = false;
        while let Some(c) = self.peek()? {
            if !matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
                break;
            }
            self.pos += 1;
        }
        let mut accept = |s: &mut Self, set: &[u8], text: &mut Vec<u8>| -> io::Result<bool> {
            match s.peek()? {
                Some(c) if set.contains(&c) => {
                    if text.len() >= 200 {
                        overflow = true;
                        return Ok(false);
                    }
                    text.push(c);
                    s.pos += 1;
                    Ok(true)
                }
                _ => Ok(false),
            }
        };
        accept(self, b"-+", &mut text)?;
        let mut count = 0;
        let mut hex = false;
        if accept(self, b"0", &mut text)? {
            if accept(self, b"xX", &mut text)? {
                hex = true;
            } else {
                count = 1;
            }
        }
        let digits: &[u8] = if hex {
            b"0123456789abcdefABCDEF"
        } else {
            b"0123456789"
        };
        while accept(self, digits, &mut text)? {
            count += 1;
        }
        if accept(self, b".", &mut text)? {
            while accept(self, digits, &mut text)? {
                count += 1;
            }
        }
        if count > 0 && accept(self, if hex { b"pP" } else { b"eE" }, &mut text)? {
            accept(self, b"-+", &mut text)?;
            while accept(self, b"0123456789", &mut text)? {}
        }
        if overflow {
            return Ok(None);
        }
        Ok(str_to_number(&text))
    }

    /// Gives back read-ahead bytes so the underlying position is the logical one.
    fn unread(&mut self) -> io::Result<()> {
        let unread = self.buf.len() - self.pos;
        if unread > 0 {
            if let Backing::File(f) = &mut self.backing {
                f.seek(SeekFrom::Current(-(unread as i64)))?;
            }
        }
        self.buf.clear();
        self.pos = 0;
        Ok(())
    }

    fn write(&mut self, data: &[u8]) -> io::Result<()> {
        if !self.writable {
            return Err(io::Error::from_raw_os_error(9));
        }
        self.unread()?;
        match &mut self.backing {
            Backing::Out(o) => {
                o.write(data);
                Ok(())
            }
            Backing::File(f) => match self.vbuf {
                VBuf::No => f.write_all(data),
                VBuf::Full(size) | VBuf::Line(size) => {
                    self.wbuf.extend_from_slice(data);
                    let line = matches!(self.vbuf, VBuf::Line(_)) && data.contains(&b'\n');
                    if line || self.wbuf.len() >= size {
                        self.flush_writes()?;
                    }
                    Ok(())
                }
            },
            Backing::Stdin(_) => Err(io::Error::from_raw_os_error(9)),
            Backing::Closed => Ok(()),
        }
    }

    /// `setvbuf`: writes what is buffered, then buffers as `mode` says.
    fn set_vbuf(&mut self, mode: VBuf) -> io::Result<()> {
        self.flush_writes()?;
        self.vbuf = mode;
        Ok(())
    }

    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.flush_writes()?;
        let unread = (self.buf.len() - self.pos) as i64;
        let pos = match pos {
            SeekFrom::Current(d) => SeekFrom::Current(d.saturating_sub(unread)),
            p => p,
        };
        match &mut self.backing {
            Backing::File(f) => {
                let r = f.seek(pos)?;
                self.buf.clear();
                self.pos = 0;
                Ok(r)
            }
            _ => Err(io::Error::from_raw_os_error(29)),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_writes()?;
        match &mut self.backing {
            Backing::File(f) => f.flush(),
            _ => Ok(()),
        }
    }
}

impl Drop for FileState {
    /// A file collected or left open at the end writes what it buffered,
    /// as C's `fclose` at exit does.
    fn drop(&mut self) {
        let _ = self.flush_writes();
    }
}

fn errno(e: &io::Error) -> i64 {
    match e.kind() {
        io::ErrorKind::NotFound => 2,
        io::ErrorKind::PermissionDenied => 13,
        _ => e.raw_os_error().unwrap_or(0) as i64,
    }
}

/// `nil, "[name: ]message", errno`, as `luaL_fileresult` returns on failure.
fn fail_result<'gc>(
    ctx: Context<'gc>,
    stack: &mut Stack<'gc, '_>,
    e: &io::Error,
    name: Option<&str>,
) {
    let msg = match name {
        Some(n) => format!("{n}: {}", os_error_text(e)),
        None => os_error_text(e),
    };
    stack.replace(ctx, (Value::Nil, ctx.intern(msg.as_bytes()), errno(e)));
}

fn to_file(v: Value<'_>) -> Option<LuaFile> {
    match v {
        Value::UserData(u) => u.downcast_static::<LuaFile>().ok().cloned(),
        _ => None,
    }
}

fn check_file<'gc>(
    ctx: Context<'gc>,
    stack: &Stack<'gc, '_>,
    n: usize,
    fname: &str,
) -> Result<LuaFile, Error<'gc>> {
    let f = to_file(stack.get(n - 1)).ok_or_else(|| type_error(ctx, stack, n, fname, "FILE*"))?;
    if f.0.borrow().is_closed() {
        return Err(lua_error(ctx, "attempt to use a closed file"));
    }
    Ok(f)
}

thread_local! {
    /// The files opened on this thread, for [`flush_open_files`].
    static OPEN_FILES: RefCell<Vec<std::rc::Weak<RefCell<FileState>>>> =
        const { RefCell::new(Vec::new()) };
}

/// Writes what every open file of this thread has buffered, as C's `exit`
/// does: `os.exit` calls it before the host's exit hook ends the process.
pub fn flush_open_files() {
    let files: Vec<_> =
        OPEN_FILES.with(|f| f.borrow().iter().filter_map(|w| w.upgrade()).collect());
    for f in files {
        if let Ok(mut st) = f.try_borrow_mut() {
            let _ = st.flush();
        }
    }
}

fn new_file<'gc>(ctx: Context<'gc>, meta: Table<'gc>, state: FileState) -> UserData<'gc> {
    let state = Rc::new(RefCell::new(state));
    if matches!(state.borrow().backing, Backing::File(_)) {
        OPEN_FILES.with(|f| {
            let mut f = f.borrow_mut();
            f.retain(|w| w.strong_count() > 0);
            f.push(Rc::downgrade(&state));
        });
    }
    let ud = UserData::new_static(&ctx, LuaFile(state));
    ud.set_metatable(&ctx, Some(meta));
    ud
}

fn open_file(host: &Host, path: &str, mode: OpenMode) -> io::Result<Box<dyn HostFile>> {
    match &host.fs {
        Some(fs) => fs.open(path, mode),
        None => Err(no_fs()),
    }
}

/// Reads with Lua `read` formats, pushing results (nil on failure, which
/// ends the reading) onto `out`. `first_arg` numbers the formats in messages.
fn read_formats<'gc>(
    ctx: Context<'gc>,
    file: &LuaFile,
    formats: &[Value<'gc>],
    first_arg: usize,
    fname: &str,
    out: &mut Vec<Value<'gc>>,
) -> Result<io::Result<()>, Error<'gc>> {
    let mut st = file.0.borrow_mut();
    let default = [Value::String(ctx.intern_static(b"l"))];
    let formats = if formats.is_empty() {
        &default[..]
    } else {
        formats
    };
    for (i, fmt) in formats.iter().enumerate() {
        let r = match *fmt {
            Value::Integer(_) | Value::Number(_) => {
                let n = super::check::to_int(*fmt).ok_or_else(|| {
                    arg_error(
                        ctx,
                        first_arg + i,
                        fname,
                        "number has no integer representation",
                    )
                })?;
                st.read_count(n.max(0) as u64)
                    .map(|o| o.map(|b| Value::String(ctx.intern(&b))))
            }
            Value::String(s) => {
                let b = s.as_bytes();
                let b = b.strip_prefix(b"*").unwrap_or(b);
                match b.first() {
                    Some(b'n') => st.read_number().map(|o| {
                        o.map(|n| match n {
                            Num::Int(i) => Value::Integer(i),
                            Num::Float(f) => Value::Number(f),
                        })
                    }),
                    Some(b'l') => st
                        .read_line(false)
                        .map(|o| o.map(|b| Value::String(ctx.intern(&b)))),
                    Some(b'L') => st
                        .read_line(true)
                        .map(|o| o.map(|b| Value::String(ctx.intern(&b)))),
                    Some(b'a') => st.read_all().map(|b| Some(Value::String(ctx.intern(&b)))),
                    _ => return Err(arg_error(ctx, first_arg + i, fname, "invalid format")),
                }
            }
            _ => return Err(arg_error(ctx, first_arg + i, fname, "invalid format")),
        };
        match r {
            Ok(Some(v)) => out.push(v),
            Ok(None) => {
                out.push(Value::Nil);
                return Ok(Ok(()));
            }
            Err(e) => return Ok(Err(e)),
        }
    }
    Ok(Ok(()))
}

fn write_values<'gc>(
    ctx: Context<'gc>,
    file: &LuaFile,
    stack: &Stack<'gc, '_>,
    first: usize,
    fname: &str,
) -> Result<io::Result<()>, Error<'gc>> {
    let mut st = file.0.borrow_mut();
    for i in first..=stack.len() {
        let v = stack.get(i - 1);
        let bytes = match v {
            Value::Number(f) => fmt_g(f, 14).into_bytes(),
            _ => to_bytes(v).ok_or_else(|| type_error(ctx, stack, i, fname, "string"))?,
        };
        if let Err(e) = st.write(&bytes) {
            return Ok(Err(e));
        }
    }
    Ok(Ok(()))
}

fn close_file<'gc>(ctx: Context<'gc>, f: &LuaFile, stack: &mut Stack<'gc, '_>) {
    let mut st = f.0.borrow_mut();
    if st.standard {
        stack.replace(
            ctx,
            (Value::Nil, ctx.intern_static(b"cannot close standard file")),
        );
        return;
    }
    match st.close() {
        Ok(()) => stack.replace(ctx, true),
        Err(e) => fail_result(ctx, stack, &e, None),
    }
}

/// The most formats `lines` takes (`MAXARGLINE` in liolib.c).
const MAX_LINE_FORMATS: usize = 250;

/// `lines`' check on its formats, given the stack length (file or name
/// first): at most [`MAX_LINE_FORMATS`], reported as argument 252 as Lua does.
fn check_line_formats<'gc>(ctx: Context<'gc>, stack_len: usize) -> Result<(), Error<'gc>> {
    if stack_len.saturating_sub(1) > MAX_LINE_FORMATS {
        return Err(arg_error(
            ctx,
            MAX_LINE_FORMATS + 2,
            "lines",
            "too many arguments",
        ));
    }
    Ok(())
}

fn lines_iterator<'gc>(
    ctx: Context<'gc>,
    file: UserData<'gc>,
    formats: Vec<Value<'gc>>,
    close_at_eof: bool,
) -> Callback<'gc> {
    let fmts = Table::new(&ctx);
    let n = formats.len();
    for (i, v) in formats.into_iter().enumerate() {
        let _ = fmts.set(ctx, i as i64 + 1, v);
    }
    Callback::from_fn_with(
        &ctx,
        (file, fmts),
        move |(file, fmts), ctx, _, mut stack| {
            let Some(f) = to_file(Value::UserData(*file)) else {
                return Err(lua_error(ctx, "file is already closed"));
            };
            if f.0.borrow().is_closed() {
                return Err(lua_error(ctx, "file is already closed"));
            }
            let formats: Vec<Value<'gc>> = (1..=n as i64).map(|i| fmts.get(ctx, i)).collect();
            let mut out = Vec::new();
            if let Err(e) = read_formats(ctx, &f, &formats, 2, "lines", &mut out)? {
                return Err(lua_error(ctx, os_error_text(&e)));
            }
            if out.first().is_none_or(|v| v.is_nil()) {
                if close_at_eof {
                    let _ = f.0.borrow_mut().close();
                }
                stack.replace(ctx, Value::Nil);
            } else {
                stack.replace(ctx, piccolo::Variadic(out));
            }
            Ok(CallbackReturn::Return)
        },
    )
}

/// Installs the `io` library.
pub fn load_io<'gc>(ctx: Context<'gc>, host: &Host) {
    let io = Table::new(&ctx);
    let methods = Table::new(&ctx);
    let meta = Table::new(&ctx);
    meta.set(ctx, "__name", "FILE*").unwrap();
    meta.set(ctx, MetaMethod::Index, methods).unwrap();
    // `__close` (and `__gc` in Lua): a to-be-closed file, such as the fourth
    // value `io.lines(name)` returns to a generic `for`, is closed on exit.
    // `__gc` and `__close` (PUC Lua's `f_gc`): closes the file unless it
    // is closed; anything but a file is an argument error. (Files are also
    // closed, their buffers written, when their userdata is freed.)
    for event in ["__close", "__gc"] {
        meta.set(
            ctx,
            event,
            Callback::from_fn(&ctx, move |ctx, _, mut stack| {
                let f = to_file(stack.get(0))
                    .ok_or_else(|| type_error(ctx, &stack, 1, event, "FILE*"))?;
                if !f.0.borrow().is_closed() {
                    close_file(ctx, &f, &mut stack);
                }
                stack.clear();
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();
    }
    meta.set(
        ctx,
        MetaMethod::ToString,
        Callback::from_fn(&ctx, |ctx, _, mut stack| {
            let v = stack.get(0);
            let s = match to_file(v) {
                Some(f) if f.0.borrow().is_closed() => "file (closed)".to_string(),
                Some(_) => format!(
                    "file ({:p})",
                    super::base::address(v).unwrap_or(std::ptr::null())
                ),
                None => "file".to_string(),
            };
            stack.replace(ctx, ctx.intern(s.as_bytes()));
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    let stdin = new_file(
        ctx,
        meta,
        FileState::new(Backing::Stdin(host.stdin.clone()), true),
    );
    let stdout = new_file(
        ctx,
        meta,
        FileState::new(Backing::Out(host.output.clone()), true),
    );
    let stderr = new_file(
        ctx,
        meta,
        FileState::new(Backing::Out(host.warnings.clone()), true),
    );
    io.set(ctx, "stdin", stdin).unwrap();
    io.set(ctx, "stdout", stdout).unwrap();
    io.set(ctx, "stderr", stderr).unwrap();
    // Default input and output files.
    let defaults = Table::new(&ctx);
    defaults.set(ctx, "input", stdin).unwrap();
    defaults.set(ctx, "output", stdout).unwrap();

    // File methods.
    methods
        .set(
            ctx,
            "read",
            Callback::from_fn(&ctx, |ctx, _, mut stack| {
                let f = check_file(ctx, &stack, 1, "read")?;
                let formats: Vec<Value<'gc>> = stack.drain(1..).collect();
                let mut out = Vec::new();
                match read_formats(ctx, &f, &formats, 2, "read", &mut out)? {
                    Ok(()) => stack.replace(ctx, piccolo::Variadic(out)),
                    Err(e) => fail_result(ctx, &mut stack, &e, None),
                }
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();
    methods
        .set(
            ctx,
            "write",
            Callback::from_fn(&ctx, |ctx, _, mut stack| {
                let f = check_file(ctx, &stack, 1, "write")?;
                let ud = stack.get(0);
                match write_values(ctx, &f, &stack, 2, "write")? {
                    Ok(()) => stack.replace(ctx, ud),
                    Err(e) => fail_result(ctx, &mut stack, &e, None),
                }
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();
    methods
        .set(
            ctx,
            "lines",
            Callback::from_fn(&ctx, |ctx, _, mut stack| {
                check_file(ctx, &stack, 1, "lines")?;
                check_line_formats(ctx, stack.len())?;
                let Value::UserData(ud) = stack.get(0) else {
                    return Err(lua_error(ctx, "attempt to use a closed file"));
                };
                let formats: Vec<Value<'gc>> = stack.drain(1..).collect();
                stack.replace(ctx, lines_iterator(ctx, ud, formats, false));
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();
    methods
        .set(
            ctx,
            "close",
            Callback::from_fn(&ctx, |ctx, _, mut stack| {
                let f = check_file(ctx, &stack, 1, "close")?;
                close_file(ctx, &f, &mut stack);
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();
    methods
        .set(
            ctx,
            "flush",
            Callback::from_fn(&ctx, |ctx, _, mut stack| {
                let f = check_file(ctx, &stack, 1, "flush")?;
                let r = f.0.borrow_mut().flush();
                match r {
                    // `luaL_fileresult`: true, not the file (unlike `write`).
                    Ok(()) => stack.replace(ctx, true),
                    Err(e) => fail_result(ctx, &mut stack, &e, None),
                }
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();
    methods
        .set(
            ctx,
            "seek",
            Callback::from_fn(&ctx, |ctx, _, mut stack| {
                let f = check_file(ctx, &stack, 1, "seek")?;
                let whence = opt_string(ctx, &stack, 2, "seek")?
                    .map_or(b"cur".to_vec(), |s| s.as_bytes().to_vec());
                let offset = opt_integer(ctx, &stack, 3, "seek", 0)?;
                let pos = match &whence[..] {
                    b"set" => {
                        if offset < 0 {
                            fail_result(ctx, &mut stack, &io::Error::from_raw_os_error(22), None);
                            return Ok(CallbackReturn::Return);
                        }
                        SeekFrom::Start(offset as u64)
                    }
                    b"cur" => SeekFrom::Current(offset),
                    b"end" => SeekFrom::End(offset),
                    other => {
                        return Err(arg_error(
                            ctx,
                            2,
                            "seek",
                            &format!("invalid option '{}'", String::from_utf8_lossy(other)),
                        ))
                    }
                };
                let r = f.0.borrow_mut().seek(pos);
                match r {
                    Ok(p) => stack.replace(ctx, p as i64),
                    Err(e) => fail_result(ctx, &mut stack, &e, None),
                }
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();
    methods
        .set(
            ctx,
            "setvbuf",
            Callback::from_fn(&ctx, |ctx, _, mut stack| {
                let f = check_file(ctx, &stack, 1, "setvbuf")?;
                let mode = check_string(ctx, &stack, 2, "setvbuf")?;
                let size = opt_integer(ctx, &stack, 3, "setvbuf", BUFSIZ as i64)?;
                // C's setvbuf takes the size as a size_t; a buffer of 0 (or
                // a negative size) writes at once.
                let size = usize::try_from(size).unwrap_or(0).max(1);
                let mode = match mode.as_bytes() {
                    b"no" => VBuf::No,
                    b"full" => VBuf::Full(size),
                    b"line" => VBuf::Line(size),
                    _ => {
                        return Err(arg_error(
                            ctx,
                            2,
                            "setvbuf",
                            &format!("invalid option '{}'", mode.to_str_lossy()),
                        ))
                    }
                };
                let r = f.0.borrow_mut().set_vbuf(mode);
                match r {
                    Ok(()) => stack.replace(ctx, true),
                    Err(e) => fail_result(ctx, &mut stack, &e, None),
                }
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();

    // Library functions.
    let h = host.clone();
    io.set(
        ctx,
        "open",
        Callback::from_fn_with(&ctx, meta, move |meta, ctx, _, mut stack| {
            let name = check_string(ctx, &stack, 1, "open")?
                .to_str_lossy()
                .into_owned();
            let mode = opt_string(ctx, &stack, 2, "open")?
                .map_or(b"r".to_vec(), |s| s.as_bytes().to_vec());
            let Some(mode) = OpenMode::parse(&mode) else {
                return Err(arg_error(ctx, 2, "open", "invalid mode"));
            };
            match open_file(&h, &name, mode) {
                Ok(f) => stack.replace(ctx, new_file(ctx, *meta, FileState::file(f, mode))),
                Err(e) => fail_result(ctx, &mut stack, &e, Some(&name)),
            }
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    let h = host.clone();
    io.set(
        ctx,
        "tmpfile",
        Callback::from_fn_with(&ctx, meta, move |meta, ctx, _, mut stack| {
            let opened = h.fs.as_ref().ok_or_else(no_fs).and_then(|fs| {
                let name = fs.tmpname()?;
                let f = fs.open(&name, W_PLUS)?;
                // Like C's tmpfile, the file has no name once open, so it
                // goes away with its handle (where the system allows it).
                let _ = fs.remove(&name);
                Ok(f)
            });
            match opened {
                Ok(f) => stack.replace(ctx, new_file(ctx, *meta, FileState::file(f, W_PLUS))),
                Err(e) => fail_result(ctx, &mut stack, &e, None),
            }
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    io.set(
        ctx,
        "type",
        Callback::from_fn(&ctx, |ctx, _, mut stack| {
            let v = check_any(ctx, &stack, 1, "type")?;
            let r = match to_file(v) {
                Some(f) if f.0.borrow().is_closed() => {
                    Value::String(ctx.intern_static(b"closed file"))
                }
                Some(_) => Value::String(ctx.intern_static(b"file")),
                None => Value::Nil,
            };
            stack.replace(ctx, r);
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    io.set(
        ctx,
        "popen",
        Callback::from_fn(&ctx, |ctx, _, _| {
            Err(lua_error(ctx, "'popen' not supported"))
        }),
    )
    .unwrap();

    for (name, key, mode) in [("input", "input", b"r"), ("output", "output", b"w")] {
        let h = host.clone();
        io.set(
            ctx,
            name,
            Callback::from_fn_with(
                &ctx,
                (defaults, meta),
                move |(defaults, meta), ctx, _, mut stack| {
                    match stack.get(0) {
                        Value::Nil => {}
                        Value::String(s) => {
                            let path = s.to_str_lossy().into_owned();
                            let m = OpenMode::parse(mode).unwrap_or(OpenMode {
                                read: true,
                                write: false,
                                append: false,
                                truncate: false,
                                create: false,
                            });
                            match open_file(&h, &path, m) {
                                Ok(f) => {
                                    let ud = new_file(ctx, *meta, FileState::file(f, m));
                                    defaults.set(ctx, key, ud)?;
                                }
                                Err(e) => {
                                    return Err(lua_error(
                                        ctx,
                                        format!(
                                            "cannot open file '{path}' ({})",
                                            os_error_text(&e)
                                        ),
                                    ))
                                }
                            }
                        }
                        v => {
                            check_file(ctx, &stack, 1, name)?;
                            defaults.set(ctx, key, v)?;
                        }
                    }
                    stack.replace(ctx, defaults.get(ctx, key));
                    Ok(CallbackReturn::Return)
                },
            ),
        )
        .unwrap();
    }

    io.set(
        ctx,
        "write",
        Callback::from_fn_with(&ctx, defaults, |defaults, ctx, _, mut stack| {
            let out = defaults.get(ctx, "output");
            let Some(f) = to_file(out) else {
                return Err(lua_error(ctx, "default output file is closed"));
            };
            if f.0.borrow().is_closed() {
                return Err(lua_error(ctx, "default output file is closed"));
            }
            match write_values(ctx, &f, &stack, 1, "write")? {
                Ok(()) => stack.replace(ctx, out),
                Err(e) => fail_result(ctx, &mut stack, &e, None),
            }
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    io.set(
        ctx,
        "read",
        Callback::from_fn_with(&ctx, defaults, |defaults, ctx, _, mut stack| {
            let Some(f) = to_file(defaults.get(ctx, "input")) else {
                return Err(lua_error(ctx, "default input file is closed"));
            };
            if f.0.borrow().is_closed() {
                return Err(lua_error(ctx, "default input file is closed"));
            }
            let formats: Vec<Value<'gc>> = stack.drain(..).collect();
            let mut out = Vec::new();
            match read_formats(ctx, &f, &formats, 1, "read", &mut out)? {
                Ok(()) => stack.replace(ctx, piccolo::Variadic(out)),
                Err(e) => fail_result(ctx, &mut stack, &e, None),
            }
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    let h = host.clone();
    io.set(
        ctx,
        "lines",
        Callback::from_fn_with(
            &ctx,
            (defaults, meta),
            move |(defaults, meta), ctx, _, mut stack| {
                check_line_formats(ctx, stack.len())?;
                let (ud, close) = match stack.get(0) {
                    Value::Nil => {
                        let Value::UserData(ud) = defaults.get(ctx, "input") else {
                            return Err(lua_error(ctx, "default input file is closed"));
                        };
                        if to_file(Value::UserData(ud)).is_none_or(|f| f.0.borrow().is_closed()) {
                            return Err(lua_error(ctx, "default input file is closed"));
                        }
                        (ud, false)
                    }
                    _ => {
                        let path = check_string(ctx, &stack, 1, "lines")?
                            .to_str_lossy()
                            .into_owned();
                        let m = OpenMode {
                            read: true,
                            write: false,
                            append: false,
                            truncate: false,
                            create: false,
                        };
                        match open_file(&h, &path, m) {
                            Ok(f) => (new_file(ctx, *meta, FileState::file(f, m)), true),
                            Err(e) => {
                                return Err(lua_error(
                                    ctx,
                                    format!("cannot open file '{path}' ({})", os_error_text(&e)),
                                ))
                            }
                        }
                    }
                };
                let formats: Vec<Value<'gc>> = stack.drain(1.min(stack.len())..).collect();
                let iter = lines_iterator(ctx, ud, formats, close);
                if close {
                    // The file is the generic `for`'s to-be-closed value.
                    stack.replace(ctx, (iter, Value::Nil, Value::Nil, ud));
                } else {
                    // The default input stays open after the loop.
                    stack.replace(ctx, iter);
                }
                Ok(CallbackReturn::Return)
            },
        ),
    )
    .unwrap();

    io.set(
        ctx,
        "close",
        Callback::from_fn_with(&ctx, defaults, |defaults, ctx, _, mut stack| {
            if stack.get(0).is_nil() {
                let out = defaults.get(ctx, "output");
                stack.replace(ctx, out);
            }
            let f = check_file(ctx, &stack, 1, "close")?;
            close_file(ctx, &f, &mut stack);
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    io.set(
        ctx,
        "flush",
        Callback::from_fn_with(&ctx, defaults, |defaults, ctx, _, mut stack| {
            let out = defaults.get(ctx, "output");
            if let Some(f) = to_file(out) {
                if f.0.borrow().is_closed() {
                    return Err(lua_error(ctx, "default output file is closed"));
                }
                let r = f.0.borrow_mut().flush();
                if let Err(e) = r {
                    fail_result(ctx, &mut stack, &e, None);
                    return Ok(CallbackReturn::Return);
                }
            }
            stack.replace(ctx, true);
            Ok(CallbackReturn::Return)
        }),
    )
    .unwrap();

    super::check::position_all(ctx, io);
    super::check::position_all(ctx, methods);
    ctx.set_global("io", io).unwrap();
}
