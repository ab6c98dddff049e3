//! wasm-bindgen exports: the [`LuaRuntime`] handle the JS module drives.
//! Everything here is conversion and plumbing; Lua semantics live in vm-ext.

mod convert;

use std::{cell::RefCell, rc::Rc};

use js_sys::Function;
use vm_ext::{LuaError, Runtime, RuntimeOptions, StepResult};
use wasm_bindgen::prelude::*;

/// A Lua runtime running one chunk at a time in bounded slices.
///
/// JS: `const rt = new LuaRuntime({ fuelLimit: 1e9 }); rt.load(src, "main"); while (rt.runSlice(20000) === 1) {...}`
#[wasm_bindgen]
pub struct LuaRuntime {
    rt: Runtime,
    output: Rc<RefCell<OutputState>>,
    result: Option<StepResult>,
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
}

#[wasm_bindgen]
impl LuaRuntime {
    /// Creates a runtime. `options` may hold `fuelLimit` (number).
    ///
    /// JS: `new LuaRuntime({})`
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> LuaRuntime {
        console_error_panic_hook::set_once();
        let fuel_limit = js_sys::Reflect::get(&options, &JsValue::from_str("fuelLimit"))
            .ok()
            .and_then(|v| v.as_f64())
            .filter(|f| f.is_finite() && *f > 0.0)
            .map(|f| f as u64);
        let mut rt = Runtime::new(RuntimeOptions { fuel_limit });
        let output = Rc::new(RefCell::new(OutputState::default()));
        let sink = output.clone();
        rt.set_output(move |bytes| sink.borrow_mut().emit(bytes));
        LuaRuntime {
            rt,
            output,
            result: None,
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
