//! [`HostValue`]: a Lua value copied out of the arena, for hosts (chunk results
//! in JS, the CLI's REPL, tests).

use std::collections::HashSet;

use piccolo::{Context, Function, Table, Value};

use crate::{
    host_call::{host_function, HostCalls, HostTarget},
    number::float_to_string,
};

/// Tables nested deeper than this are cut off when copied out.
pub const MAX_DEPTH: usize = 64;

/// A Lua value that lives outside the VM.
#[derive(Debug, Clone, PartialEq)]
pub enum HostValue {
    Nil,
    Boolean(bool),
    Integer(i64),
    Number(f64),
    /// Lua strings are byte strings; hosts decide how to show non-UTF-8.
    String(Vec<u8>),
    /// A table's entries in `next` order, with its array part (`1..=n`) first.
    Table(Vec<(HostValue, HostValue)>),
    /// A host (JS) function, callable from Lua through a host call.
    HostFunction(u64),
    /// A Lua function the host holds by handle (see [`crate::interop::Handles`]);
    /// it stays alive until the host releases the handle.
    LuaFunction(u64),
    /// A Lua table or userdata the host holds by reference (a handle).
    LuaRef {
        id: u64,
        type_name: &'static str,
    },
    /// A host object lent to Lua by reference (see [`crate::interop::HostObjects`]).
    HostObject(u64),
    /// A value that cannot leave the VM (function, coroutine, userdata) or a
    /// table already being copied (a cycle): described by its `tostring`.
    Opaque {
        type_name: &'static str,
        description: String,
    },
}

impl HostValue {
    /// Copies `value` out of the arena. Tables are copied deeply; a table met
    /// again on its own path (a cycle) or past [`MAX_DEPTH`] becomes `Opaque`.
    pub fn from_value<'gc>(ctx: Context<'gc>, value: Value<'gc>) -> HostValue {
        let mut path = HashSet::new();
        Self::copy_with(ctx, value, &mut path, 0, &mut |_| None)
    }

    /// Copies `value` out of the arena for a host that holds handles: Lua
    /// functions become [`HostValue::LuaFunction`] handles (also inside
    /// copied tables), host objects come back as [`HostValue::HostObject`],
    /// and with `by_ref` a table or userdata becomes a [`HostValue::LuaRef`]
    /// instead of a copy. Without handles enabled on `calls` this is
    /// [`HostValue::from_value`].
    pub fn export<'gc>(
        ctx: Context<'gc>,
        value: Value<'gc>,
        calls: &HostCalls,
        by_ref: bool,
    ) -> HostValue {
        if !calls.handles().enabled() {
            return Self::from_value(ctx, value);
        }
        if by_ref {
            if let Value::Table(_) | Value::UserData(_) = value {
                if let Some(id) = crate::interop::host_object_id(value) {
                    return HostValue::HostObject(id);
                }
                return HostValue::LuaRef {
                    id: calls.handles().insert(ctx, value),
                    type_name: value.type_name(),
                };
            }
        }
        let mut path = HashSet::new();
        Self::copy_with(ctx, value, &mut path, 0, &mut |v| match v {
            Value::Function(_) => Some(HostValue::LuaFunction(calls.handles().insert(ctx, v))),
            Value::UserData(_) => crate::interop::host_object_id(v).map(HostValue::HostObject),
            _ => None,
        })
    }

    fn copy_with<'gc>(
        ctx: Context<'gc>,
        value: Value<'gc>,
        path: &mut HashSet<*const ()>,
        depth: usize,
        special: &mut dyn FnMut(Value<'gc>) -> Option<HostValue>,
    ) -> HostValue {
        if let Value::Function(_) | Value::UserData(_) = value {
            if let Some(v) = special(value) {
                return v;
            }
        }
        match value {
            Value::Nil => HostValue::Nil,
            Value::Boolean(b) => HostValue::Boolean(b),
            Value::Integer(i) => HostValue::Integer(i),
            Value::Number(n) => HostValue::Number(n),
            Value::String(s) => HostValue::String(s.as_bytes().to_vec()),
            Value::Table(t) => {
                let id = gc_arena::Gc::as_ptr(t.into_inner()) as *const ();
                if depth >= MAX_DEPTH || !path.insert(id) {
                    return HostValue::Opaque {
                        type_name: "table",
                        description: format!("table: {id:p}"),
                    };
                }
                if let Some(weak) = crate::weak::entries(ctx, t) {
                    // A weak table: its live entries, as `pairs` lists them.
                    let entries = weak
                        .into_iter()
                        .map(|(k, v)| {
                            (
                                Self::copy_with(ctx, k, path, depth + 1, special),
                                Self::copy_with(ctx, v, path, depth + 1, special),
                            )
                        })
                        .collect();
                    path.remove(&id);
                    return HostValue::Table(entries);
                }
                let len = t.length();
                let mut entries = Vec::new();
                for i in 1..=len {
                    let v = t.get_value(Value::Integer(i));
                    entries.push((
                        HostValue::Integer(i),
                        Self::copy_with(ctx, v, path, depth + 1, special),
                    ));
                }
                for (k, v) in t.iter() {
                    if let Value::Integer(i) = k {
                        if i >= 1 && i <= len {
                            continue;
                        }
                    }
                    entries.push((
                        Self::copy_with(ctx, k, path, depth + 1, special),
                        Self::copy_with(ctx, v, path, depth + 1, special),
                    ));
                }
                path.remove(&id);
                HostValue::Table(entries)
            }
            Value::Function(f) => {
                let ptr = match f {
                    Function::Closure(c) => gc_arena::Gc::as_ptr(c.into_inner()) as *const (),
                    Function::Callback(c) => gc_arena::Gc::as_ptr(c.into_inner()) as *const (),
                };
                HostValue::Opaque {
                    type_name: "function",
                    description: format!("function: {ptr:p}"),
                }
            }
            Value::Thread(t) => HostValue::Opaque {
                type_name: "thread",
                description: format!("thread: {:p}", gc_arena::Gc::as_ptr(t.into_inner())),
            },
            Value::UserData(u) => HostValue::Opaque {
                type_name: "userdata",
                description: format!("userdata: {:p}", gc_arena::Gc::as_ptr(u.into_inner())),
            },
        }
    }

    /// Builds the Lua value for this host value: tables become new tables,
    /// host functions become Lua functions that call back into the host, and
    /// `Opaque` values (which cannot re-enter the VM) become their description.
    pub fn to_value<'gc>(&self, ctx: Context<'gc>, calls: &HostCalls) -> Value<'gc> {
        match self {
            HostValue::Nil => Value::Nil,
            HostValue::Boolean(b) => Value::Boolean(*b),
            HostValue::Integer(i) => Value::Integer(*i),
            HostValue::Number(n) => Value::Number(*n),
            HostValue::String(s) => Value::String(piccolo::String::from_slice(&ctx, s)),
            HostValue::Table(entries) => {
                let t = Table::new(&ctx);
                for (k, v) in entries {
                    // nil and NaN keys cannot be set; hosts do not produce them.
                    let _ = t.set(ctx, k.to_value(ctx, calls), v.to_value(ctx, calls));
                }
                Value::Table(t)
            }
            HostValue::HostFunction(id) => {
                Value::Function(host_function(ctx, calls, HostTarget::Function(*id)).into())
            }
            HostValue::LuaFunction(id) | HostValue::LuaRef { id, .. } => {
                calls.handles().fetch(ctx, *id).unwrap_or(Value::Nil)
            }
            HostValue::HostObject(id) => match calls.objects() {
                Some(_) => crate::interop::host_object(ctx, calls, *id),
                None => Value::Nil,
            },
            HostValue::Opaque { description, .. } => {
                Value::String(piccolo::String::from_slice(&ctx, description.as_bytes()))
            }
        }
    }

    /// Whether this table's keys are exactly `1..=n` (so a host may show it as
    /// an array). An empty table counts as an array.
    pub fn is_sequence(entries: &[(HostValue, HostValue)]) -> bool {
        entries
            .iter()
            .enumerate()
            .all(|(i, (k, _))| *k == HostValue::Integer(i as i64 + 1))
    }

    /// A short rendering like Lua's `tostring` for scalars (the REPL uses it).
    pub fn display(&self) -> String {
        match self {
            HostValue::Nil => "nil".into(),
            HostValue::Boolean(b) => b.to_string(),
            HostValue::Integer(i) => i.to_string(),
            HostValue::Number(n) => float_to_string(*n),
            HostValue::String(s) => String::from_utf8_lossy(s).into_owned(),
            HostValue::Table(_) => "table".into(),
            HostValue::HostFunction(id) => format!("function: host#{id}"),
            HostValue::LuaFunction(id) => format!("function: handle#{id}"),
            HostValue::LuaRef { id, type_name } => format!("{type_name}: handle#{id}"),
            HostValue::HostObject(id) => format!("userdata: host object #{id}"),
            HostValue::Opaque { description, .. } => description.clone(),
        }
    }
}
