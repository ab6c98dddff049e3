//! The standard library: piccolo's core libraries, completed and corrected to
//! Lua 5.4 behaviour. One module per library, each with a `load_<lib>`.

pub mod base;
pub mod check;
pub mod coroutine;
pub mod debug;
pub mod io;
pub mod math;
pub mod os;
pub mod package;
pub mod string;
pub mod table;
pub mod utf8;

use piccolo::Context;

use crate::Host;

/// Loads every library this runtime provides, on top of piccolo's core stdlib.
pub fn load_all<'gc>(ctx: Context<'gc>, host: &Host) {
    base::load_base(ctx, host);
    string::load_string(ctx);
    table::load_table(ctx);
    math::load_math(ctx);
    coroutine::load_coroutine(ctx);
    utf8::load_utf8(ctx);
    os::load_os(ctx, host);
    io::load_io(ctx, host);
    debug::load_debug(ctx);
    // Last, so `package.loaded` lists every library.
    package::load_package(ctx, host);
}

/// A Lua error whose value is the string `msg` (what `error(msg, 0)` raises).
pub fn lua_error<'gc>(ctx: Context<'gc>, msg: impl AsRef<[u8]>) -> piccolo::Error<'gc> {
    piccolo::Value::String(piccolo::String::from_slice(&ctx, msg.as_ref())).into()
}
