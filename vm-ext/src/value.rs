//! [`HostValue`]: a Lua value copied out of the arena, for hosts (chunk results
//! in JS, the CLI's REPL, tests).

use std::collections::HashSet;

use piccolo::{Function, Value};

use crate::number::float_to_string;

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
    pub fn from_value(value: Value<'_>) -> HostValue {
        let mut path = HashSet::new();
        Self::copy(value, &mut path, 0)
    }

    fn copy(value: Value<'_>, path: &mut HashSet<*const ()>, depth: usize) -> HostValue {
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
                let len = t.length();
                let mut entries = Vec::new();
                for i in 1..=len {
                    let v = t.get_value(Value::Integer(i));
                    entries.push((HostValue::Integer(i), Self::copy(v, path, depth + 1)));
                }
                for (k, v) in t.iter() {
                    if let Value::Integer(i) = k {
                        if i >= 1 && i <= len {
                            continue;
                        }
                    }
                    entries.push((
                        Self::copy(k, path, depth + 1),
                        Self::copy(v, path, depth + 1),
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
            HostValue::Opaque { description, .. } => description.clone(),
        }
    }
}
