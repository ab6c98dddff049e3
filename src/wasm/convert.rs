//! [`HostValue`] and [`LuaError`] to JS values.

use js_sys::{Array, Object, Reflect, Uint8Array};
use vm_ext::{HostValue, LuaError};
use wasm_bindgen::JsValue;

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

pub fn values_to_js(values: &[HostValue]) -> Array {
    values.iter().map(value_to_js).collect()
}

/// nil -> null, numbers -> number (BigInt past 2^53), strings -> string
/// (Uint8Array when not UTF-8), sequences -> Array, other tables -> Object,
/// functions and other VM-only values -> their `tostring` text.
pub fn value_to_js(v: &HostValue) -> JsValue {
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
            .map(|(_, v)| value_to_js(v))
            .collect::<Array>()
            .into(),
        HostValue::Table(entries) => {
            let obj = Object::new();
            for (k, v) in entries {
                let key = match k {
                    HostValue::String(b) => String::from_utf8_lossy(b).into_owned(),
                    other => other.display(),
                };
                set(&obj, &key, &value_to_js(v));
            }
            obj.into()
        }
        HostValue::Opaque { description, .. } => JsValue::from_str(description),
    }
}
