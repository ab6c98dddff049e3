//! [`HostValue`] and [`LuaError`] to JS values.

use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use vm_ext::{HostValue, LuaError};
use wasm_bindgen::{JsCast, JsValue};

use super::bridge::{Bridge, Target};

/// Integers beyond this lose precision as JS numbers and become BigInt.
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

fn set(obj: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// `{kind, message, chunk, line, traceback}`; `luahome.js` wraps it in `LuaError`.
pub fn error_to_js(e: &LuaError) -> JsValue {
    let obj = Object::new();
    set(&obj, "kind", &JsValue::from_str(e.kind.as_str()));
    set(&obj, "message", &JsValue::from_str(&e.message));
    let chunk = e.chunk.as_deref().map_or(JsValue::NULL, JsValue::from_str);
    set(&obj, "chunk", &chunk);
    let line = e
        .line
        .map_or(JsValue::NULL, |l| JsValue::from_f64(l as f64));
    set(&obj, "line", &line);
    let tb = e
        .traceback
        .as_deref()
        .map_or(JsValue::NULL, JsValue::from_str);
    set(&obj, "traceback", &tb);
    obj.into()
}

pub fn values_to_js(values: &[HostValue], bridge: &Bridge, target: Target) -> Array {
    values
        .iter()
        .map(|v| value_to_js(v, bridge, target))
        .collect()
}

/// nil -> null, numbers -> number (BigInt past 2^53), strings -> string
/// (Uint8Array when not UTF-8), sequences -> Array, other tables -> Object,
/// Lua functions -> `LuaFunction` (for the page) or a plain JS function (for
/// a JS API called from Lua), table handles -> `LuaTable`, lent JS objects
/// and JS functions -> themselves, other VM-only values -> their `tostring` text.
pub fn value_to_js(v: &HostValue, bridge: &Bridge, target: Target) -> JsValue {
    match v {
        HostValue::Nil => JsValue::NULL,
        HostValue::Boolean(b) => JsValue::from_bool(*b),
        HostValue::Integer(i) if i.abs() <= MAX_SAFE_INTEGER => JsValue::from_f64(*i as f64),
        HostValue::Integer(i) => JsValue::bigint_from_str(&i.to_string()),
        HostValue::Number(n) => JsValue::from_f64(*n),
        HostValue::String(bytes) => match std::str::from_utf8(bytes) {
            Ok(s) => JsValue::from_str(s),
            Err(_) => Uint8Array::from(bytes.as_slice()).into(),
        },
        HostValue::Table(entries) if HostValue::is_sequence(entries) => entries
            .iter()
            .map(|(_, v)| value_to_js(v, bridge, target))
            .collect::<Array>()
            .into(),
        HostValue::Table(entries) => {
            let obj = Object::new();
            for (k, v) in entries {
                let key = match k {
                    HostValue::String(b) => String::from_utf8_lossy(b).into_owned(),
                    other => other.display(),
                };
                set(&obj, &key, &value_to_js(v, bridge, target));
            }
            obj.into()
        }
        HostValue::HostFunction(id) => bridge
            .functions
            .borrow()
            .get(*id as usize)
            .map_or(JsValue::UNDEFINED, |f| f.clone().into()),
        HostValue::LuaFunction(_) | HostValue::LuaRef { .. } => bridge.handle_to_js(v, target),
        HostValue::HostObject(id) => bridge.lent_object(*id),
        HostValue::Opaque { description, .. } => JsValue::from_str(description),
    }
}

/// `{id, name, fn, args}` for one host call.
pub fn host_call_to_js(
    id: u64,
    name: &JsValue,
    func: &JsValue,
    args: &[HostValue],
    bridge: &Bridge,
) -> Object {
    let obj = Object::new();
    set(&obj, "id", &JsValue::from_f64(id as f64));
    set(&obj, "name", name);
    set(&obj, "fn", func);
    set(&obj, "args", &values_to_js(args, bridge, Target::Page));
    obj
}

/// Sets `key` on a fresh object.
pub fn set_field(obj: &Object, key: &str, value: &JsValue) {
    set(obj, key, value);
}

/// A JS `TypeError` with `message`.
pub fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}

/// Tables nested deeper than this are refused when converting from JS.
const MAX_JS_DEPTH: usize = 200;

/// Converts a JS value for Lua: null/undefined -> nil, integral numbers ->
/// integers, BigInt -> integer, strings and Uint8Array -> byte strings,
/// arrays -> sequences, plain objects -> tables, functions -> callable host
/// functions (kept in `functions`). A cycle is an error, not a hang.
/// `LuaFunction`/`LuaTable` objects become the Lua values they stand for.
pub fn js_to_value(v: &JsValue, bridge: &Bridge) -> Result<HostValue, String> {
    let mut path = Vec::new();
    js_to_value_in(v, bridge, &mut path)
}

fn js_to_value_in(
    v: &JsValue,
    bridge: &Bridge,
    path: &mut Vec<JsValue>,
) -> Result<HostValue, String> {
    if v.is_null() || v.is_undefined() {
        return Ok(HostValue::Nil);
    }
    if let Some(b) = v.as_bool() {
        return Ok(HostValue::Boolean(b));
    }
    if let Some(n) = v.as_f64() {
        let exact = n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER as f64;
        return Ok(if exact {
            HostValue::Integer(n as i64)
        } else {
            HostValue::Number(n)
        });
    }
    if let Some(s) = v.as_string() {
        return Ok(HostValue::String(s.into_bytes()));
    }
    if v.is_bigint() {
        let text = String::from(
            js_sys::BigInt::from(v.clone())
                .to_string(10)
                .unwrap_or_default(),
        );
        return text
            .parse::<i64>()
            .map(HostValue::Integer)
            .map_err(|_| format!("BigInt {text} does not fit a Lua integer"));
    }
    if let Some(h) = bridge.handle_of(v) {
        return Ok(h);
    }
    if let Some(f) = v.dyn_ref::<Function>() {
        let mut functions = bridge.functions.borrow_mut();
        functions.push(f.clone());
        return Ok(HostValue::HostFunction(functions.len() as u64 - 1));
    }
    if let Some(bytes) = v.dyn_ref::<Uint8Array>() {
        return Ok(HostValue::String(bytes.to_vec()));
    }
    if !v.is_object() {
        return Err(format!(
            "cannot convert a JS {} to Lua",
            v.js_typeof().as_string().unwrap_or_default()
        ));
    }
    if path.iter().any(|p| Object::is(p, v)) {
        return Err("cannot convert a cyclic structure to Lua".to_string());
    }
    if path.len() >= MAX_JS_DEPTH {
        return Err("cannot convert a structure nested this deeply to Lua".to_string());
    }
    path.push(v.clone());
    let mut entries = Vec::new();
    if let Some(array) = v.dyn_ref::<Array>() {
        for (i, item) in array.iter().enumerate() {
            entries.push((
                HostValue::Integer(i as i64 + 1),
                js_to_value_in(&item, bridge, path)?,
            ));
        }
    } else {
        for pair in Object::entries(v.unchecked_ref::<Object>()).iter() {
            let pair: Array = pair.unchecked_into();
            let key = pair.get(0).as_string().unwrap_or_default();
            entries.push((
                HostValue::String(key.into_bytes()),
                js_to_value_in(&pair.get(1), bridge, path)?,
            ));
        }
    }
    path.pop();
    Ok(HostValue::Table(entries))
}
