//! Base library corrections: `print` to the host's output, `tostring` with
//! Lua 5.4 number formatting and `__tostring`/`__name`, `error` with positions.

use gc_arena::{Collect, Gc};
use piccolo::{
    BoxSequence, Callback, CallbackReturn, Context, Error, Execution, Function, MetaMethod,
    Sequence, SequencePoll, Stack, Value,
};

use super::lua_error;
use crate::{number::float_to_string, Host, OutputBuffer};

pub fn load_base<'gc>(ctx: Context<'gc>, host: &Host) {
    let g = ctx.globals();
    g.set(ctx, "_G", g).unwrap();
    g.set(ctx, "_VERSION", "Lua 5.4").unwrap();
    g.set(ctx, "print", print_callback(ctx, host.output.clone()))
        .unwrap();
    g.set(ctx, "tostring", tostring_callback(ctx)).unwrap();
    g.set(ctx, "error", error_callback(ctx)).unwrap();
}

/// The address Lua shows for reference values (`table: 0x...`).
pub fn address(v: Value<'_>) -> Option<*const ()> {
    Some(match v {
        Value::Table(t) => Gc::as_ptr(t.into_inner()) as *const (),
        Value::Function(Function::Closure(c)) => Gc::as_ptr(c.into_inner()) as *const (),
        Value::Function(Function::Callback(c)) => Gc::as_ptr(c.into_inner()) as *const (),
        Value::Thread(t) => Gc::as_ptr(t.into_inner()) as *const (),
        Value::UserData(u) => Gc::as_ptr(u.into_inner()) as *const (),
        _ => return None,
    })
}

/// `tostring` without `__tostring`: numbers as Lua 5.4 prints them, and
/// `NAME: 0x...` using the metatable's `__name` when it is a string.
pub fn tostring_plain<'gc>(ctx: Context<'gc>, v: Value<'gc>) -> Value<'gc> {
    let s = match v {
        Value::String(_) => return v,
        Value::Nil => "nil".to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Number(n) => float_to_string(n),
        _ => {
            let name = match metatable(v).map(|mt| mt.get(ctx, "__name")) {
                Some(Value::String(s)) => s.to_str_lossy().into_owned(),
                _ => v.type_name().to_string(),
            };
            format!("{name}: {:p}", address(v).unwrap_or(std::ptr::null()))
        }
    };
    ctx.intern(s.as_bytes()).into()
}

fn metatable<'gc>(v: Value<'gc>) -> Option<piccolo::Table<'gc>> {
    match v {
        Value::Table(t) => t.metatable(),
        Value::UserData(u) => u.metatable(),
        _ => None,
    }
}

/// The `__tostring` metamethod of `v`, if it has one.
pub fn tostring_meta<'gc>(ctx: Context<'gc>, v: Value<'gc>) -> Option<Value<'gc>> {
    let m = metatable(v)?.get(ctx, MetaMethod::ToString);
    (!m.is_nil()).then_some(m)
}

fn tostring_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    #[derive(Collect)]
    #[collect(require_static)]
    struct CheckString;

    impl<'gc> Sequence<'gc> for CheckString {
        fn poll(
            &mut self,
            ctx: Context<'gc>,
            _exec: Execution<'gc, '_>,
            mut stack: Stack<'gc, '_>,
        ) -> Result<SequencePoll<'gc>, Error<'gc>> {
            match stack.get(0) {
                Value::String(s) => stack.replace(ctx, s),
                _ => {
                    return Err(lua_error(ctx, "'__tostring' must return a string"));
                }
            }
            Ok(SequencePoll::Return)
        }
    }

    Callback::from_fn(&ctx, |ctx, _, mut stack| {
        if stack.is_empty() {
            return Err(lua_error(
                ctx,
                "bad argument #1 to 'tostring' (value expected)",
            ));
        }
        let v = stack.get(0);
        if let Some(m) = tostring_meta(ctx, v) {
            stack.replace(ctx, v);
            return Ok(CallbackReturn::Call {
                function: piccolo::meta_ops::call(ctx, m)?,
                then: Some(BoxSequence::new(&ctx, CheckString)),
            });
        }
        stack.replace(ctx, tostring_plain(ctx, v));
        Ok(CallbackReturn::Return)
    })
}

fn print_callback<'gc>(ctx: Context<'gc>, out: OutputBuffer) -> Callback<'gc> {
    #[derive(Collect)]
    #[collect(no_drop)]
    struct Print<'gc> {
        values: Vec<Value<'gc>>,
        next: usize,
        line: Vec<u8>,
        #[collect(require_static)]
        out: OutputBuffer,
    }

    impl<'gc> Print<'gc> {
        fn push(&mut self, s: Value<'gc>) {
            if self.next > 1 {
                self.line.push(b'\t');
            }
            if let Value::String(s) = s {
                self.line.extend_from_slice(s.as_bytes());
            }
        }
    }

    impl<'gc> Sequence<'gc> for Print<'gc> {
        fn poll(
            &mut self,
            ctx: Context<'gc>,
            _exec: Execution<'gc, '_>,
            mut stack: Stack<'gc, '_>,
        ) -> Result<SequencePoll<'gc>, Error<'gc>> {
            // Called first with `next == 0`, then after each `__tostring` call.
            if self.next > 0 {
                match stack.get(0) {
                    s @ Value::String(_) => self.push(s),
                    _ => return Err(lua_error(ctx, "'__tostring' must return a string")),
                }
            }
            stack.clear();
            while self.next < self.values.len() {
                let v = self.values[self.next];
                self.next += 1;
                if let Some(m) = tostring_meta(ctx, v) {
                    stack.push_back(v);
                    return Ok(SequencePoll::Call {
                        function: piccolo::meta_ops::call(ctx, m)?,
                        is_tail: false,
                    });
                }
                self.push(tostring_plain(ctx, v));
            }
            self.line.push(b'\n');
            self.out.write(&self.line);
            Ok(SequencePoll::Return)
        }
    }

    Callback::from_fn_with(&ctx, (), move |_, ctx, _, mut stack| {
        let values: Vec<Value<'_>> = stack.drain(..).collect();
        Ok(CallbackReturn::Sequence(BoxSequence::new(
            &ctx,
            Print {
                values,
                next: 0,
                line: Vec::new(),
                out: out.clone(),
            },
        )))
    })
}

/// `error(message [, level])`: a string message raised at level 1 (the
/// default) gets the `chunk:line:` of the Lua code that called `error`.
/// piccolo 0.3.3 exposes only the calling frame's position, so level 2 and
/// above raise the message unchanged.
fn error_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    Callback::from_fn(&ctx, |ctx, exec, stack| {
        let msg = stack.get(0);
        let level = match stack.get(1) {
            Value::Nil => 1,
            v => v.to_integer().unwrap_or(1),
        };
        if let (Value::String(s), 1) = (msg, level) {
            if let Some(frame) = exec.upper_lua_frame() {
                let mut text = Vec::new();
                text.extend_from_slice(frame.chunk_name.as_bytes());
                text.extend_from_slice(format!(":{}: ", frame.current_line).as_bytes());
                text.extend_from_slice(s.as_bytes());
                return Err(Value::String(piccolo::String::from_slice(&ctx, &text)).into());
            }
        }
        Err(msg.into())
    })
}
