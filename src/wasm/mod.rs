//! wasm-bindgen exports: the [`LuaRuntime`] handle the JS module drives.
//! Everything here is conversion and plumbing; Lua semantics live in vm-ext.

mod convert;

use std::{cell::RefCell, rc::Rc};

use js_sys::Function;
use vm_ext::{HostCallOutcome, HostTarget, LuaError, Runtime, RuntimeOptions, StepResult};
use wasm_bindgen::prelude::*;

/// A Lua runtime running one chunk at a time in bounded slices.
///
/// JS: `const rt = new LuaRuntime({ fuelLimit: 1e9 }); rt.load(src, "main"); while (rt.runSlice(20000) === 1) {...}`
#[wasm_bindgen]
pub struct LuaRuntime {
    rt: Runtime,
    output: Rc<RefCell<OutputState>>,
    result: Option<StepResult>,
    /// JS functions passed into Lua, indexed by `HostValue::HostFunction` ids.
    functions: Vec<Function>,
}

#[derive(Default)]
struct OutputState {
    callback: Option<Function>,
    /// The bytes of a UTF-8 sequence split across two flushes.
    pending: Vec<u8>,
}

impl OutputState {
    fn emit(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        let keep = incomplete_utf8_tail(&self.pending);
        let text_len = self.pending.len() - keep;
        let text = String::from_utf8_lossy(&self.pending[..text_len]).into_owned();
        self.pending.drain(..text_len);
        if let Some(cb) = &self.callback {
            // An exception thrown by the page's handler must not stop Lua.
            let _ = cb.call1(&JsValue::NULL, &JsValue::from_str(&text));
        }
    }
}

/// How many bytes at the end of `bytes` start a UTF-8 sequence that is not complete yet.
fn incomplete_utf8_tail(bytes: &[u8]) -> usize {
    match std::str::from_utf8(bytes) {
        Ok(_) => 0,
        Err(e) if e.error_len().is_none() => bytes.len() - e.valid_up_to(),
        Err(_) => 0,
    }
}

/// Slice status codes returned by [`LuaRuntime::run_slice`].
#[wasm_bindgen]
#[derive(Clone, Copy)]
pub enum SliceStatus {
    Idle = 0,
    Running = 1,
    Finished = 2,
    Error = 3,
    /// Lua waits on host calls: take them with `takeHostCalls`.
    Waiting = 4,
}

#[wasm_bindgen]
impl LuaRuntime {
    /// Creates a runtime. `options` may hold `fuelLimit` and `memoryLimit` (bytes).
    ///
    /// JS: `new LuaRuntime({})`
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> LuaRuntime {
        console_error_panic_hook::set_once();
        let number = |key: &str| {
            js_sys::Reflect::get(&options, &JsValue::from_str(key))
                .ok()
                .and_then(|v| v.as_f64())
                .filter(|f| f.is_finite() && *f > 0.0)
        };
        let mut rt = Runtime::new(RuntimeOptions {
            fuel_limit: number("fuelLimit").map(|f| f as u64),
            memory_limit: number("memoryLimit").map(|f| f as usize),
            ..Default::default()
        });
        let output = Rc::new(RefCell::new(OutputState::default()));
        let sink = output.clone();
        rt.set_output(move |bytes| sink.borrow_mut().emit(bytes));
        LuaRuntime {
            rt,
            output,
            result: None,
            functions: Vec::new(),
        }
    }

    /// Sets (or clears) the function that receives output text as it is produced.
    ///
    /// JS: `rt.setOutput(text => console.log(text))`
    #[wasm_bindgen(js_name = setOutput)]
    pub fn set_output(&mut self, callback: Option<Function>) {
        self.output.borrow_mut().callback = callback;
    }

    /// Compiles `source` as chunk `chunk_name` and makes it the running chunk.
    /// Throws a plain error object (`{kind, message, chunk, line}`) on a syntax error.
    ///
    /// JS: `rt.load("return 1", "main")`
    pub fn load(&mut self, source: &str, chunk_name: &str) -> Result<(), JsValue> {
        self.result = None;
        self.rt
            .load(source.as_bytes(), chunk_name)
            .map_err(|e| convert::error_to_js(&e))
    }

    /// Runs about `fuel` units of work; returns a [`SliceStatus`] code.
    ///
    /// JS: `const status = rt.runSlice(20000)`
    #[wasm_bindgen(js_name = runSlice)]
    pub fn run_slice(&mut self, fuel: i32) -> SliceStatus {
        match self.rt.step(fuel) {
            StepResult::Running => SliceStatus::Running,
            StepResult::Waiting => SliceStatus::Waiting,
            StepResult::Idle => SliceStatus::Idle,
            r @ StepResult::Finished(_) => {
                self.result = Some(r);
                SliceStatus::Finished
            }
            r @ StepResult::Error(_) => {
                self.result = Some(r);
                SliceStatus::Error
            }
        }
    }

    /// The values the finished chunk returned, as a JS array.
    ///
    /// JS: `const values = rt.takeResult()`
    #[wasm_bindgen(js_name = takeResult)]
    pub fn take_result(&mut self) -> JsValue {
        match self.result.take() {
            Some(StepResult::Finished(values)) => convert::values_to_js(&values).into(),
            _ => js_sys::Array::new().into(),
        }
    }

    /// The error that ended the chunk, as `{kind, message, chunk, line, traceback}`.
    ///
    /// JS: `const err = rt.takeError()`
    #[wasm_bindgen(js_name = takeError)]
    pub fn take_error(&mut self) -> JsValue {
        match self.result.take() {
            Some(StepResult::Error(e)) => convert::error_to_js(&e),
            _ => JsValue::NULL,
        }
    }

    /// Ends the running chunk and returns the "stopped" error object.
    ///
    /// JS: `rt.stop()`
    pub fn stop(&mut self) -> JsValue {
        let e: LuaError = self.rt.stop();
        convert::error_to_js(&e)
    }

    /// Sets the fuel limit for the chunks loaded from now on (`undefined`: none).
    ///
    /// JS: `rt.setFuelLimit(1e8)`
    #[wasm_bindgen(js_name = setFuelLimit)]
    pub fn set_fuel_limit(&mut self, limit: Option<f64>) {
        let limit = limit
            .filter(|f| f.is_finite() && *f > 0.0)
            .map(|f| f as u64);
        self.rt.set_fuel_limit(limit);
    }

    /// Installs a global Lua function `name` whose calls are handed to JS
    /// through `takeHostCalls` (Lua waits until they are settled).
    ///
    /// JS: `rt.registerHostFunction("fetchJson")`
    #[wasm_bindgen(js_name = registerHostFunction)]
    pub fn register_host_function(&mut self, name: &str) {
        self.rt.register_host_function(name);
    }

    /// The calls Lua made since the last call, as `[{id, name, fn, args}]`:
    /// `name` for a registered function, `fn` for a JS function that was passed
    /// into Lua as a value.
    ///
    /// JS: `for (const call of rt.takeHostCalls()) {...}`
    #[wasm_bindgen(js_name = takeHostCalls)]
    pub fn take_host_calls(&mut self) -> js_sys::Array {
        self.rt
            .take_host_calls()
            .into_iter()
            .map(|call| {
                let (name, func) = match &call.target {
                    HostTarget::Named(n) => (JsValue::from_str(n), JsValue::NULL),
                    HostTarget::Function(id) => (
                        JsValue::NULL,
                        self.functions
                            .get(*id as usize)
                            .map_or(JsValue::NULL, |f| f.clone().into()),
                    ),
                };
                convert::host_call_to_js(call.id, &name, &func, &call.args)
            })
            .collect()
    }

    /// Settles host call `id` with `value` (one value; `undefined` for none).
    /// Throws if `value` cannot be converted (for example a cyclic object).
    ///
    /// JS: `rt.resolveHostCall(call.id, result)`
    #[wasm_bindgen(js_name = resolveHostCall)]
    pub fn resolve_host_call(&mut self, id: f64, value: JsValue) -> Result<bool, JsValue> {
        let values = if value.is_undefined() {
            Vec::new()
        } else {
            vec![convert::js_to_value(&value, &mut self.functions)
                .map_err(|m| convert::type_error(&m))?]
        };
        Ok(self
            .rt
            .resolve_host_call(id as u64, HostCallOutcome::Return(values)))
    }

    /// Settles host call `id` as a failure; Lua sees `message` as the error value.
    ///
    /// JS: `rt.rejectHostCall(call.id, String(error))`
    #[wasm_bindgen(js_name = rejectHostCall)]
    pub fn reject_host_call(&mut self, id: f64, message: &str) -> bool {
        let value = vm_ext::HostValue::String(message.as_bytes().to_vec());
        self.rt
            .resolve_host_call(id as u64, HostCallOutcome::Error(value))
    }

    /// Whether a chunk is loaded and not finished.
    ///
    /// JS: `rt.isRunning()`
    #[wasm_bindgen(js_name = isRunning)]
    pub fn is_running(&self) -> bool {
        self.rt.is_running()
    }

    /// Fuel used by the current (or last) chunk.
    ///
    /// JS: `rt.fuelUsed()`
    #[wasm_bindgen(js_name = fuelUsed)]
    pub fn fuel_used(&self) -> f64 {
        self.rt.fuel_used() as f64
    }

    /// Bytes used by the Lua heap.
    ///
    /// JS: `rt.memoryUsed()`
    #[wasm_bindgen(js_name = memoryUsed)]
    pub fn memory_used(&self) -> f64 {
        self.rt.memory_used() as f64
    }
}
