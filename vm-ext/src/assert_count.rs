//! A counting `assert` for test suites (the conformance runner, the
//! browser's conformance page through `Lua.open({ countAsserts: true })`):
//! Lua's `assert`, as a library function, that counts the calls whose
//! condition holds. Being a library function, it runs no Lua code, so hooks
//! see it as PUC Lua's C `assert`.

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};

use piccolo::{Callback, CallbackReturn, Context, Value};

/// What the counting `assert` observed in one file.
#[derive(Debug, Default)]
pub struct AssertCounter {
    /// Calls whose condition was true.
    pub passed: Cell<u64>,
    /// The line and string message of the last failing call, so a file that
    /// ends on a failed assert can report its line even though piccolo 0.3.3
    /// adds no position to errors.
    pub last_failure: RefCell<Option<(u64, String)>>,
}

/// `assert(v [, message])` exactly as Lua's, counting each call whose `v` is
/// true: returns all its arguments; otherwise raises `message` (any value,
/// unchanged) or `"assertion failed!"` when there is none.
pub fn counting_assert<'gc>(ctx: Context<'gc>, counter: Rc<AssertCounter>) -> Callback<'gc> {
    Callback::from_fn(&ctx, move |ctx, exec, stack| {
        if stack.is_empty() {
            return Err(str_value(ctx, "bad argument #1 to 'assert' (value expected)").into());
        }
        if stack.get(0).to_bool() {
            counter.passed.set(counter.passed.get() + 1);
            return Ok(CallbackReturn::Return);
        }
        let error = if stack.len() >= 2 {
            stack.get(1)
        } else {
            // As the base library's `assert` (`luaL_error`): with the
            // caller's position.
            let pos = exec
                .upper_lua_frame()
                .map(|f| format!("{}:{}: ", f.chunk_name.to_str_lossy(), f.current_line.0 + 1))
                .or_else(|| {
                    crate::interp::call_site(ctx)
                        .filter(|(_, line)| *line >= 0)
                        .map(|(chunk, line)| format!("{chunk}:{line}: "))
                })
                .unwrap_or_default();
            str_value(ctx, &format!("{pos}assertion failed!"))
        };
        // The caller's line: piccolo's frame, or the project's core's call site.
        let line = exec
            .upper_lua_frame()
            .map(|f| f.current_line.0 + 1)
            // (-1: no line information, as in stripped code: not shown.)
            .or_else(|| crate::interp::call_site(ctx).and_then(|(_, line)| line.try_into().ok()));
        *counter.last_failure.borrow_mut() = match (line, error) {
            (Some(line), Value::String(s)) => Some((line, s.to_str_lossy().into_owned())),
            _ => None,
        };
        Err(error.into())
    })
}

fn str_value<'gc>(ctx: Context<'gc>, msg: &str) -> Value<'gc> {
    Value::String(piccolo::String::from_slice(&ctx, msg.as_bytes()))
}
