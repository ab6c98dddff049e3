//! The engine switch: which core compiles and runs Lua code — piccolo 0.3.3's
//! own compiler and VM, or the project's compiler ([`crate::compiler`]) and
//! interpreter ([`crate::interp`]). The choice is per Lua state: the
//! [`crate::Runtime`] records it, and `load`, `loadfile`, `dofile` and
//! `require` compile chunks with the same core.

use std::{cell::Cell, fmt, str::FromStr};

use gc_arena::{Collect, Rootable};
use piccolo::{Context, Function, Value};

/// A Lua core.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Engine {
    /// piccolo 0.3.3's compiler and VM (kept for comparison and for code
    /// that depends on its behaviour).
    Piccolo,
    /// The project's own Lua 5.4 compiler and interpreter (the default).
    #[default]
    Luahome,
}

impl Engine {
    /// Every engine, default first.
    pub const ALL: [Engine; 2] = [Engine::Luahome, Engine::Piccolo];

    /// Whether this build can compile Lua source with this core. piccolo's
    /// compiler is the `piccolo-compiler` feature (on by default): the
    /// browser's default module leaves it out (46.6 KB gzipped) and keeps
    /// piccolo's VM, so closures stored by that core still load and run.
    pub const fn is_built(self) -> bool {
        match self {
            Engine::Piccolo => cfg!(feature = "piccolo-compiler"),
            Engine::Luahome => true,
        }
    }

    /// The name used by options, flags and result labels: `piccolo` or `luahome`.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Piccolo => "piccolo",
            Engine::Luahome => "luahome",
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An engine name that options and flags cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// Not `piccolo` or `luahome`.
    #[error("unknown engine '{0}' (expected 'piccolo' or 'luahome')")]
    Unknown(String),
    /// An engine whose compiler this build leaves out (see [`Engine::is_built`]).
    #[error("engine '{0}' is not in this build (it was built without the `piccolo-compiler` feature; in the browser, Lua.open({{ engine: 'piccolo' }}) loads luahome_piccolo_bg.wasm, which has it)")]
    NotBuilt(Engine),
}

/// An engine by name, if this build has it: every option and flag that
/// names an engine goes through here.
impl FromStr for Engine {
    type Err = EngineError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let engine = match s {
            "piccolo" => Engine::Piccolo,
            "luahome" => Engine::Luahome,
            other => return Err(EngineError::Unknown(other.to_string())),
        };
        if engine.is_built() {
            Ok(engine)
        } else {
            Err(EngineError::NotBuilt(engine))
        }
    }
}

#[derive(Collect, Default)]
#[collect(require_static)]
struct EngineChoice(Cell<Engine>);

/// Makes `engine` the core of this Lua state (for chunks loaded at run time).
pub fn set_engine(ctx: Context<'_>, engine: Engine) {
    ctx.singleton::<Rootable![EngineChoice]>().0.set(engine);
}

/// The core of this Lua state.
pub fn engine(ctx: Context<'_>) -> Engine {
    ctx.singleton::<Rootable![EngineChoice]>().0.get()
}

/// Compiles Lua source with the project's compiler. `chunk_name` is Lua's
/// raw form (`=name`, `@file` or the source text). Errors read like Lua's
/// (`chunk:line: message near 'token'`).
pub fn compile(source: &[u8], chunk_name: &str) -> Result<crate::bytecode::Proto, String> {
    crate::compiler::compile(source, chunk_name).map_err(|e| e.message)
}

/// Compiles source text as a function of `engine`, `_ENV` bound to `env`
/// (the globals when `None`). `chunk_name` is Lua's raw form.
pub fn load_text<'gc>(
    ctx: Context<'gc>,
    engine: Engine,
    source: &[u8],
    chunk_name: &[u8],
    env: Option<Value<'gc>>,
) -> Result<Function<'gc>, String> {
    match engine {
        #[cfg(feature = "piccolo-compiler")]
        Engine::Piccolo => {
            let name = crate::stdlib::base::chunk_display_name(chunk_name);
            let proto = piccolo::FunctionPrototype::compile(ctx, &name, source)
                .map_err(|e| crate::LuaError::from_prototype(&name, &e).message)?;
            let env_table = match env {
                Some(Value::Table(t)) => t,
                _ => ctx.globals(),
            };
            let closure =
                piccolo::Closure::new(&ctx, proto, Some(env_table)).map_err(|e| e.to_string())?;
            if let Some(env) = env {
                if !matches!(env, Value::Table(_)) {
                    if let Some(up) = closure.upvalues().first() {
                        up.set(&ctx, piccolo::closure::UpValueState::Closed(env));
                    }
                }
            }
            Ok(Function::Closure(closure))
        }
        #[cfg(not(feature = "piccolo-compiler"))]
        Engine::Piccolo => Err(EngineError::NotBuilt(engine).to_string()),
        Engine::Luahome => {
            let name = String::from_utf8_lossy(chunk_name);
            let proto = compile(source, &name)?;
            let env = env.unwrap_or(Value::Table(ctx.globals()));
            crate::interp::load_proto(ctx, proto, env).map_err(|e| e.to_string())
        }
    }
}

/// Compiles a library function written in Lua (the table library's
/// versions for tables with metamethods) with the project's compiler,
/// whatever the state's engine: a closure of the project's core, `_ENV`
/// bound to `env`, that stands for a C function of PUC Lua (no stack
/// level, errors without position; see [`crate::interp::ProtoRt::library`]).
pub fn load_library<'gc>(
    ctx: Context<'gc>,
    source: &[u8],
    chunk_name: &[u8],
    env: Value<'gc>,
) -> Result<Function<'gc>, String> {
    let proto = compile(source, &String::from_utf8_lossy(chunk_name))?;
    crate::interp::load_library_proto(ctx, proto, env).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_to_the_engines_this_build_has() {
        assert_eq!("luahome".parse(), Ok(Engine::Luahome));
        let piccolo = "piccolo".parse::<Engine>();
        if cfg!(feature = "piccolo-compiler") {
            assert_eq!(piccolo, Ok(Engine::Piccolo));
        } else {
            let e = piccolo.unwrap_err();
            assert_eq!(e, EngineError::NotBuilt(Engine::Piccolo));
            assert!(e
                .to_string()
                .starts_with("engine 'piccolo' is not in this build"));
        }
        let e = "nope".parse::<Engine>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown engine 'nope' (expected 'piccolo' or 'luahome')"
        );
    }
}
