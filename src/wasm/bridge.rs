//! JS objects lent to Lua by reference ([`JsObjects`], vm-ext's
//! `HostObjects` over `Reflect`), and the JS-side factories for Lua handles.
//! Plumbing only: what a field read or a call means is decided by vm-ext's
//! userdata metamethods; this file performs the JS operation and converts.

use std::{
    cell::{Cell, RefCell},
    collections::HashMap,
    rc::Rc,
};

use js_sys::{Array, Function, Object, Reflect};
use vm_ext::{HostObjects, HostReply, HostValue};
use wasm_bindgen::{JsCast, JsValue};

/// JS functions that turn handles into JS values, set by `luahome.js`.
#[derive(Default)]
pub struct Factories {
    /// `(id) => LuaFunction`
    pub function: Option<Function>,
    /// `(id, typeName) => LuaTable`
    pub table: Option<Function>,
    /// `(id) => (...args) => Promise`: a plain JS function calling a Lua
    /// function, for Lua functions handed to JS APIs (`addEventListener`).
    pub callable: Option<Function>,
}

/// State shared by the runtime handle and the host-object callbacks.
#[derive(Default)]
pub struct Bridge {
    /// JS functions passed into Lua by copy, indexed by `HostValue::HostFunction` ids.
    pub functions: RefCell<Vec<Function>>,
    objects: RefCell<HashMap<u64, JsValue>>,
    promises: RefCell<HashMap<u64, JsValue>>,
    next: Cell<u64>,
    pub factories: RefCell<Factories>,
}

/// Where a value goes: to the page's code (handles become `LuaFunction` /
/// `LuaTable` objects) or into a JS API called from Lua (Lua functions
/// become plain JS functions).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Page,
    JsApi,
}

/// The property `luahome.js` puts on `LuaFunction`/`LuaTable` objects (and
/// on functions made by the `callable` factory): the handle id.
const REF_KEY: &str = "__luahomeRef";
/// `'function'` or the Lua type name of a by-reference table/userdata.
const KIND_KEY: &str = "__luahomeKind";

impl Bridge {
    /// Keeps `value` under a new id (a JS object lent to Lua).
    pub fn lend(&self, value: JsValue) -> u64 {
        let id = self.next.get() + 1;
        self.next.set(id);
        self.objects.borrow_mut().insert(id, value);
        id
    }

    /// A lent object by id (`undefined` once Lua released it).
    pub fn lent_object(&self, id: u64) -> JsValue {
        self.object(id).unwrap_or(JsValue::UNDEFINED)
    }

    fn object(&self, id: u64) -> Result<JsValue, String> {
        self.objects
            .borrow()
            .get(&id)
            .cloned()
            .ok_or_else(|| format!("js object #{id} is gone"))
    }

    /// The promise waited on under `token` (taken once).
    pub fn take_promise(&self, token: u64) -> JsValue {
        self.promises
            .borrow_mut()
            .remove(&token)
            .unwrap_or(JsValue::UNDEFINED)
    }

    /// A mark for [`Bridge::forget_promises_since`].
    pub fn mark(&self) -> u64 {
        self.next.get()
    }

    /// Drops promises registered after `mark` that no host call took (a
    /// synchronous operation that waited on one was abandoned).
    pub fn forget_promises_since(&self, mark: u64) {
        self.promises.borrow_mut().retain(|token, _| *token <= mark);
    }

    /// Number of promises registered and not yet taken by a host call.
    pub fn pending_promises(&self) -> usize {
        self.promises.borrow().len()
    }

    /// Number of JS objects Lua holds.
    pub fn lent(&self) -> usize {
        self.objects.borrow().len()
    }

    /// A `LuaFunction`/`LuaTable` (or a function from the `callable`
    /// factory) handed back to Lua: its handle.
    pub fn handle_of(&self, v: &JsValue) -> Option<HostValue> {
        if !(v.is_object() || v.is_function()) {
            return None;
        }
        let id = Reflect::get(v, &JsValue::from_str(REF_KEY))
            .ok()?
            .as_f64()?;
        let kind = Reflect::get(v, &JsValue::from_str(KIND_KEY))
            .ok()
            .and_then(|k| k.as_string())
            .unwrap_or_default();
        Some(match kind.as_str() {
            "function" => HostValue::LuaFunction(id as u64),
            "userdata" => HostValue::LuaRef {
                id: id as u64,
                type_name: "userdata",
            },
            _ => HostValue::LuaRef {
                id: id as u64,
                type_name: "table",
            },
        })
    }

    /// JS -> Lua by reference: primitives by value, every object and
    /// function as a lent object (Lua handles as themselves).
    pub fn js_to_ref(&self, v: &JsValue) -> Result<HostValue, String> {
        if let Some(h) = self.handle_of(v) {
            return Ok(h);
        }
        if v.is_object() || v.is_function() {
            if v.dyn_ref::<js_sys::Uint8Array>().is_some() {
                return crate::wasm::convert::js_to_value(v, self);
            }
            return Ok(HostValue::HostObject(self.lend(v.clone())));
        }
        crate::wasm::convert::js_to_value(v, self)
    }

    /// A JS exception's text: its `message` with the error's name
    /// (`TypeError: ...`), or the thrown value as a string.
    fn exception(e: JsValue) -> String {
        if let Some(err) = e.dyn_ref::<js_sys::Error>() {
            let name = String::from(err.name());
            let message = String::from(err.message());
            return if name.is_empty() {
                message
            } else {
                format!("{name}: {message}")
            };
        }
        e.as_string()
            .unwrap_or_else(|| String::from(js_sys::JSON::stringify(&e).unwrap_or_default()))
    }

    fn key(&self, key: &HostValue) -> JsValue {
        match key {
            HostValue::Integer(i) => JsValue::from_f64(*i as f64),
            HostValue::Number(n) => JsValue::from_f64(*n),
            HostValue::String(b) => JsValue::from_str(&String::from_utf8_lossy(b)),
            other => self.to_js(other, Target::JsApi),
        }
    }

    /// Lua -> JS (see [`Target`]).
    pub fn to_js(&self, v: &HostValue, target: Target) -> JsValue {
        crate::wasm::convert::value_to_js(v, self, target)
    }

    /// The JS value for a handle, made by a factory.
    pub fn handle_to_js(&self, v: &HostValue, target: Target) -> JsValue {
        let f = self.factories.borrow();
        let made = match (v, target) {
            (HostValue::LuaFunction(id), Target::JsApi) => f
                .callable
                .as_ref()
                .map(|c| c.call1(&JsValue::NULL, &JsValue::from_f64(*id as f64))),
            (HostValue::LuaFunction(id), Target::Page) => f
                .function
                .as_ref()
                .map(|c| c.call1(&JsValue::NULL, &JsValue::from_f64(*id as f64))),
            (HostValue::LuaRef { id, type_name }, _) => f.table.as_ref().map(|c| {
                c.call2(
                    &JsValue::NULL,
                    &JsValue::from_f64(*id as f64),
                    &JsValue::from_str(type_name),
                )
            }),
            _ => None,
        };
        match made {
            Some(Ok(v)) => v,
            _ => JsValue::from_str(&v.display()),
        }
    }

    fn args(&self, args: &[HostValue]) -> Array {
        args.iter().map(|a| self.to_js(a, Target::JsApi)).collect()
    }

    /// A call's result: a thenable becomes a pending token Lua waits on.
    fn reply(&self, value: JsValue) -> Result<HostReply, String> {
        let is_thenable = (value.is_object() || value.is_function())
            && Reflect::get(&value, &JsValue::from_str("then"))
                .map(|t| t.is_function())
                .unwrap_or(false);
        if is_thenable {
            let token = self.next.get() + 1;
            self.next.set(token);
            self.promises.borrow_mut().insert(token, value);
            return Ok(HostReply::Pending(token));
        }
        Ok(HostReply::Values(vec![self.js_to_ref(&value)?]))
    }
}

/// [`HostObjects`] for the page: a shared [`Bridge`].
pub struct JsObjects(pub Rc<Bridge>);

impl HostObjects for JsObjects {
    fn global(&self) -> HostValue {
        HostValue::HostObject(self.0.lend(js_sys::global().into()))
    }

    fn get(&self, id: u64, key: HostValue) -> Result<HostValue, String> {
        let obj = self.0.object(id)?;
        let v = Reflect::get(&obj, &self.0.key(&key)).map_err(Bridge::exception)?;
        self.0.js_to_ref(&v)
    }

    fn set(&self, id: u64, key: HostValue, value: HostValue) -> Result<(), String> {
        let obj = self.0.object(id)?;
        let v = self.0.to_js(&value, Target::JsApi);
        match Reflect::set(&obj, &self.0.key(&key), &v) {
            Ok(true) => Ok(()),
            Ok(false) => Err(format!(
                "TypeError: cannot set property '{}' of {}",
                key.display(),
                self.describe(id)
            )),
            Err(e) => Err(Bridge::exception(e)),
        }
    }

    fn call(&self, id: u64, this: HostValue, args: Vec<HostValue>) -> Result<HostReply, String> {
        let f = self.0.object(id)?;
        let Some(f) = f.dyn_ref::<Function>() else {
            return Err(format!("attempt to call a js {} value", type_of(&f)));
        };
        let this = self.0.to_js(&this, Target::JsApi);
        let result = Reflect::apply(f, &this, &self.0.args(&args)).map_err(Bridge::exception)?;
        self.0.reply(result)
    }

    fn construct(&self, id: u64, args: Vec<HostValue>) -> Result<HostValue, String> {
        let f = self.0.object(id)?;
        let Some(f) = f.dyn_ref::<Function>() else {
            return Err(format!(
                "js.new: a js {} value is not a constructor",
                type_of(&f)
            ));
        };
        let made = Reflect::construct(f, &self.0.args(&args)).map_err(Bridge::exception)?;
        self.0.js_to_ref(&made)
    }

    fn keys(&self, id: u64) -> Result<Vec<HostValue>, String> {
        let obj = self.0.object(id)?;
        if !obj.is_object() && !obj.is_function() {
            return Ok(Vec::new());
        }
        let keys = Object::keys(obj.unchecked_ref::<Object>());
        Ok(keys
            .iter()
            .map(|k| {
                let s = k.as_string().unwrap_or_default();
                // Array indices come back as integers (0-based, as in JS).
                match s.parse::<i64>() {
                    Ok(i) if obj.is_array() && i.to_string() == s => HostValue::Integer(i),
                    _ => HostValue::String(s.into_bytes()),
                }
            })
            .collect())
    }

    fn type_of(&self, id: u64) -> String {
        self.0
            .object(id)
            .map(|o| type_of(&o))
            .unwrap_or_else(|_| "undefined".into())
    }

    fn instance_of(&self, id: u64, ctor: u64) -> Result<bool, String> {
        let obj = self.0.object(id)?;
        let ctor = self.0.object(ctor)?;
        let Some(ctor) = ctor.dyn_ref::<Function>() else {
            return Err("js.instanceof: the second argument is not a constructor".into());
        };
        Ok((obj.is_object() || obj.is_function()) && instance_of(&obj, ctor))
    }

    fn await_object(&self, id: u64) -> Option<u64> {
        let obj = self.0.object(id).ok()?;
        match self.0.reply(obj) {
            Ok(HostReply::Pending(token)) => Some(token),
            _ => None,
        }
    }

    fn describe(&self, id: u64) -> String {
        match self.0.object(id) {
            Ok(o) if o.is_function() => {
                let name = Reflect::get(&o, &JsValue::from_str("name"))
                    .ok()
                    .and_then(|n| n.as_string())
                    .unwrap_or_default();
                format!("js function: {name}")
            }
            Ok(o) if o.is_object() => format!("js object: {}", object_text(&o)),
            Ok(o) => format!("js {}", type_of(&o)),
            Err(_) => "js object (gone)".into(),
        }
    }

    fn release(&self, id: u64) {
        if let Ok(mut objects) = self.0.objects.try_borrow_mut() {
            objects.remove(&id);
        }
    }
}

/// `obj.toString()` when it has one that does not throw, else `[object]`.
fn object_text(o: &JsValue) -> String {
    Reflect::get(o, &JsValue::from_str("toString"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .and_then(|f| f.call0(o).ok())
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| "[object]".into())
}

fn type_of(v: &JsValue) -> String {
    v.js_typeof().as_string().unwrap_or_default()
}

fn instance_of(obj: &JsValue, ctor: &Function) -> bool {
    let Ok(proto) = Reflect::get(ctor, &JsValue::from_str("prototype")) else {
        return false;
    };
    let mut p = Object::get_prototype_of(obj).into();
    while !JsValue::is_null(&p) && !p.is_undefined() {
        if Object::is(&p, &proto) {
            return true;
        }
        p = Object::get_prototype_of(&p).into();
    }
    false
}
