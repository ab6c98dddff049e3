//! `require` and the `package` library (Lua 5.4): `package.loaded`,
//! `package.preload`, `package.path` (from `LUA_PATH_5_4`/`LUA_PATH` when
//! the host has an environment), `package.searchers`, `package.searchpath`,
//! `package.config`. Modules come from `package.preload`, then from the
//! host's module table ([`Host::modules`], filled by the browser), then from
//! files on `package.path` through the host file system. C modules are not
//! supported (`package.cpath` is empty; its searchers only list the files
//! tried). Searchers and loaders run through a
//! `Sequence`, so Lua searchers and loaders may yield or error normally.

use gc_arena::Collect;
use piccolo::{
    BoxSequence, Callback, CallbackReturn, Context, Error, Execution, Sequence, SequencePoll,
    Stack, Table, Value,
};

use super::{
    base::load_chunk,
    check::{caller_position, check_string, opt_string},
    lua_error,
};
use crate::{
    host_call::{host_function, HostTarget},
    Host,
};

/// The default `package.path`.
pub const DEFAULT_PATH: &str = "/usr/local/share/lua/5.4/?.lua;/usr/local/share/lua/5.4/?/init.lua;/usr/local/lib/lua/5.4/?.lua;/usr/local/lib/lua/5.4/?/init.lua;./?.lua;./?/init.lua";

fn readable(host: &Host, path: &str) -> bool {
    host.fs.as_ref().is_some_and(|fs| {
        fs.open(
            path,
            crate::host::OpenMode {
                read: true,
                write: false,
                append: false,
                truncate: false,
                create: false,
            },
        )
        .is_ok()
    })
}

/// `package.searchpath`: the first readable file among `path`'s templates,
/// or the list of files tried (`no file '...'` lines joined by `\n\t`; an
/// empty template is tried too, as in PUC Lua).
pub fn search_path(
    host: &Host,
    name: &[u8],
    path: &[u8],
    sep: &[u8],
    rep: &[u8],
) -> Result<String, String> {
    let name = String::from_utf8_lossy(name).into_owned();
    let sep = String::from_utf8_lossy(sep).into_owned();
    let rep = String::from_utf8_lossy(rep).into_owned();
    let name = if sep.is_empty() {
        name
    } else {
        name.replace(&sep, &rep)
    };
    let mut tried = Vec::new();
    for template in String::from_utf8_lossy(path).split(';') {
        let file = template.replace('?', &name);
        if readable(host, &file) {
            return Ok(file);
        }
        tried.push(format!("no file '{file}'"));
    }
    Err(tried.join("\n\t"))
}

#[derive(Collect)]
#[collect(no_drop)]
struct Require<'gc> {
    name: piccolo::String<'gc>,
    loaded: Table<'gc>,
    searchers: Table<'gc>,
    next: i64,
    #[collect(require_static)]
    msg: Vec<u8>,
    #[collect(require_static)]
    position: Vec<u8>,
    /// `Some(data)` once the loader has been called.
    loading: Option<Value<'gc>>,
}

impl<'gc> Sequence<'gc> for Require<'gc> {
    fn poll(
        &mut self,
        ctx: Context<'gc>,
        _exec: Execution<'gc, '_>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        if let Some(data) = self.loading {
            let result = stack.get(0);
            if !result.is_nil() {
                self.loaded.set(ctx, self.name, result)?;
            }
            if self.loaded.get(ctx, self.name).is_nil() {
                self.loaded.set(ctx, self.name, true)?;
            }
            let value = self.loaded.get(ctx, self.name);
            stack.replace(ctx, (value, data));
            return Ok(SequencePoll::Return);
        }
        if self.next > 0 {
            // Results of searcher number `next`.
            match stack.get(0) {
                Value::Function(loader) => {
                    let data = stack.get(1);
                    self.loading = Some(data);
                    stack.replace(ctx, (self.name, data));
                    return Ok(SequencePoll::Call {
                        function: loader,
                        is_tail: false,
                    });
                }
                Value::String(s) => {
                    self.msg.extend_from_slice(b"\n\t");
                    self.msg.extend_from_slice(s.as_bytes());
                }
                _ => {}
            }
        }
        self.next += 1;
        match self.searchers.get(ctx, self.next) {
            Value::Nil => {
                let mut m = self.position.clone();
                m.extend_from_slice(
                    format!("module '{}' not found:", self.name.to_str_lossy()).as_bytes(),
                );
                m.extend_from_slice(&self.msg);
                Err(lua_error(ctx, m))
            }
            v => {
                let function = piccolo::meta_ops::call(ctx, v)?;
                stack.replace(ctx, self.name);
                Ok(SequencePoll::Call {
                    function,
                    is_tail: false,
                })
            }
        }
    }
}

/// The host-modules searcher's wait for a module the host provides on demand.
#[derive(Collect)]
#[collect(require_static)]
struct LazyModule {
    name: String,
    host: Host,
    asked: bool,
}

impl<'gc> Sequence<'gc> for LazyModule {
    fn poll(
        &mut self,
        ctx: Context<'gc>,
        _exec: Execution<'gc, '_>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        let key = &self.name;
        if !self.asked {
            self.asked = true;
            stack.clear();
            let f = host_function(ctx, &self.host.calls, HostTarget::Module(key.clone()));
            return Ok(SequencePoll::Call {
                function: f.into(),
                is_tail: false,
            });
        }
        let Value::String(src) = stack.get(0) else {
            return Err(lua_error(
                ctx,
                format!(
                    "error loading module '{key}' from host modules:\n\tthe host gave a {} value, not its source",
                    stack.get(0).type_name()
                ),
            ));
        };
        let src = src.as_bytes().to_vec();
        let chunkname = format!("@{key}");
        let f = load_chunk(ctx, &src, chunkname.as_bytes(), b"bt", None).map_err(|e| {
            lua_error(
                ctx,
                format!("error loading module '{key}' from host modules:\n\t{e}"),
            )
        })?;
        self.host.modules.borrow_mut().insert(key.clone(), src);
        stack.replace(ctx, (f, ctx.intern(key.as_bytes())));
        Ok(SequencePoll::Return)
    }
}

/// Installs `require` and the `package` library. Call after every other
/// library so `package.loaded` lists them.
pub fn load_package<'gc>(ctx: Context<'gc>, host: &Host) {
    let package = Table::new(&ctx);
    let loaded = Table::new(&ctx);
    let preload = Table::new(&ctx);
    let g = ctx.globals();
    for name in [
        "string",
        "table",
        "math",
        "io",
        "os",
        "coroutine",
        "utf8",
        "debug",
    ] {
        let v = g.get(ctx, name);
        if !v.is_nil() {
            loaded.set(ctx, name, v).unwrap();
        }
    }
    loaded.set(ctx, "_G", g).unwrap();
    loaded.set(ctx, "package", package).unwrap();
    package.set(ctx, "loaded", loaded).unwrap();
    package.set(ctx, "preload", preload).unwrap();
    package.set(ctx, "config", "/\n;\n?\n!\n-\n").unwrap();
    package.set(ctx, "cpath", "").unwrap();
    let env_path = host
        .env
        .as_ref()
        .and_then(|env| env("LUA_PATH_5_4").or_else(|| env("LUA_PATH")));
    let path = match env_path {
        Some(p) => p.replace(";;", &format!(";{DEFAULT_PATH};")),
        None => DEFAULT_PATH.to_string(),
    };
    package
        .set(ctx, "path", ctx.intern(path.as_bytes()))
        .unwrap();

    let h = host.clone();
    package
        .set(
            ctx,
            "searchpath",
            Callback::from_fn(&ctx, move |ctx, _, mut stack| {
                let name = check_string(ctx, &stack, 1, "searchpath")?;
                let path = check_string(ctx, &stack, 2, "searchpath")?;
                let sep = opt_string(ctx, &stack, 3, "searchpath")?
                    .map_or(b".".to_vec(), |s| s.as_bytes().to_vec());
                let rep = opt_string(ctx, &stack, 4, "searchpath")?
                    .map_or(b"/".to_vec(), |s| s.as_bytes().to_vec());
                match search_path(&h, name.as_bytes(), path.as_bytes(), &sep, &rep) {
                    Ok(f) => stack.replace(ctx, ctx.intern(f.as_bytes())),
                    Err(m) => stack.replace(ctx, (Value::Nil, ctx.intern(m.as_bytes()))),
                }
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();

    let searchers = Table::new(&ctx);
    searchers
        .set(
            ctx,
            1,
            Callback::from_fn_with(&ctx, package, |package, ctx, _, mut stack| {
                let name = check_string(ctx, &stack, 1, "searcher")?;
                let preload = match package.get(ctx, "preload") {
                    Value::Table(t) => t,
                    _ => return Err(lua_error(ctx, "'package.preload' must be a table")),
                };
                match preload.get(ctx, name) {
                    Value::Nil => {
                        let m = format!("no field package.preload['{}']", name.to_str_lossy());
                        stack.replace(ctx, ctx.intern(m.as_bytes()));
                    }
                    loader => stack.replace(ctx, (loader, ctx.intern_static(b":preload:"))),
                }
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();

    let h = host.clone();
    searchers
        .set(
            ctx,
            2,
            Callback::from_fn(&ctx, move |ctx, _, mut stack| {
                let name = check_string(ctx, &stack, 1, "searcher")?;
                let key = name.to_str_lossy().into_owned();
                let source = h.modules.borrow().get(&key).cloned();
                match source {
                    None if h.module_loaders.borrow().contains(&key) => {
                        // Ask the host for the source, wait, then compile it.
                        stack.clear();
                        return Ok(CallbackReturn::Sequence(BoxSequence::new(
                            &ctx,
                            LazyModule {
                                name: key,
                                host: h.clone(),
                                asked: false,
                            },
                        )));
                    }
                    None => stack.clear(),
                    Some(src) => {
                        let chunkname = format!("@{key}");
                        let f = load_chunk(ctx, &src, chunkname.as_bytes(), b"bt", None).map_err(
                            |e| {
                                lua_error(
                                    ctx,
                                    format!(
                                        "error loading module '{key}' from host modules:\n\t{e}"
                                    ),
                                )
                            },
                        )?;
                        stack.replace(ctx, (f, name));
                    }
                }
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();

    let h = host.clone();
    searchers
        .set(
            ctx,
            3,
            Callback::from_fn_with(&ctx, package, move |package, ctx, _, mut stack| {
                let name = check_string(ctx, &stack, 1, "searcher")?;
                let Value::String(path) = package.get(ctx, "path") else {
                    return Err(lua_error(ctx, "'package.path' must be a string"));
                };
                // Without a file system no file is readable: the files tried
                // are listed as PUC Lua lists them.
                match search_path(&h, name.as_bytes(), path.as_bytes(), b".", b"/") {
                    Ok(file) => {
                        let loaded = super::base::read_source_file(&h, Some(&file))
                            .and_then(|(src, chunk)| load_chunk(ctx, &src, &chunk, b"bt", None));
                        match loaded {
                            Ok(f) => stack.replace(ctx, (f, ctx.intern(file.as_bytes()))),
                            Err(e) => {
                                return Err(lua_error(
                                    ctx,
                                    format!(
                                        "error loading module '{}' from file '{file}':\n\t{e}",
                                        name.to_str_lossy()
                                    ),
                                ))
                            }
                        }
                    }
                    Err(m) => stack.replace(ctx, ctx.intern(m.as_bytes())),
                }
                Ok(CallbackReturn::Return)
            }),
        )
        .unwrap();
    // The C searchers: this runtime loads no C modules, but lists the
    // `package.cpath` files tried, as PUC Lua's `require` message does.
    for (i, root) in [(4, false), (5, true)] {
        let h = host.clone();
        searchers
            .set(
                ctx,
                i,
                Callback::from_fn_with(&ctx, package, move |package, ctx, _, mut stack| {
                    let name = check_string(ctx, &stack, 1, "searcher")?;
                    let Value::String(cpath) = package.get(ctx, "cpath") else {
                        return Err(lua_error(ctx, "'package.cpath' must be a string"));
                    };
                    if cpath.as_bytes().is_empty() {
                        // The default: no C module paths, nothing to list.
                        stack.clear();
                        return Ok(CallbackReturn::Return);
                    }
                    let full = name.as_bytes();
                    let target = if root {
                        match full.iter().position(|&c| c == b'.') {
                            Some(dot) => &full[..dot],
                            None => {
                                stack.clear();
                                return Ok(CallbackReturn::Return);
                            }
                        }
                    } else {
                        full
                    };
                    match search_path(&h, target, cpath.as_bytes(), b".", b"/") {
                        Ok(file) => Err(lua_error(
                            ctx,
                            format!(
                                "error loading module '{}' from file '{file}':\n\t\
                                 C modules are not supported by this runtime",
                                name.to_str_lossy()
                            ),
                        )),
                        Err(m) => {
                            stack.replace(ctx, ctx.intern(m.as_bytes()));
                            Ok(CallbackReturn::Return)
                        }
                    }
                }),
            )
            .unwrap();
    }
    package.set(ctx, "searchers", searchers).unwrap();

    let require = Callback::from_fn_with(&ctx, package, |package, ctx, exec, mut stack| {
        let name = check_string(ctx, &stack, 1, "require")?;
        let loaded = match package.get(ctx, "loaded") {
            Value::Table(t) => t,
            _ => return Err(lua_error(ctx, "'package.loaded' must be a table")),
        };
        let v = loaded.get(ctx, name);
        if v.to_bool() {
            stack.replace(ctx, v);
            return Ok(CallbackReturn::Return);
        }
        let searchers = match package.get(ctx, "searchers") {
            Value::Table(t) => t,
            _ => return Err(lua_error(ctx, "'package.searchers' must be a table")),
        };
        stack.clear();
        let position = caller_position(ctx, &exec);
        Ok(CallbackReturn::Sequence(BoxSequence::new(
            &ctx,
            Require {
                name,
                loaded,
                searchers,
                next: 0,
                msg: Vec::new(),
                position,
                loading: None,
            },
        )))
    });
    super::check::position_all(ctx, package);
    ctx.set_global("require", super::check::with_position(ctx, require))
        .unwrap();
    ctx.set_global("package", package).unwrap();
}
