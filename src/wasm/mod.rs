//! wasm-bindgen exports: the [`LuaRuntime`] handle the JS module drives.
//! Everything here is conversion and plumbing; Lua semantics live in vm-ext.

mod bridge;
mod convert;
mod idb;

use std::{cell::RefCell, rc::Rc};

use bridge::{Bridge, JsObjects, Target};
use js_sys::{Function, Uint8Array};
use vm_ext::{
    host::MemoryFileSystem,
    persist::HomeModel,
    store::{self, Batch, HomeExport, QueueStore},
    Host, HostCallOutcome, HostTarget, HostValue, LuaError, Runtime, RuntimeOptions, StepResult,
};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: milliseconds, monotonic, in pages, workers and Node.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Local time from JS's `Date`: the page's time zone (Node's: `TZ`).
struct JsLocalTime;

impl JsLocalTime {
    fn date(t: i64) -> js_sys::Date {
        js_sys::Date::new(&JsValue::from_f64(t as f64 * 1000.0))
    }
}

impl vm_ext::TimeZone for JsLocalTime {
    fn offset(&self, t: i64) -> i64 {
        // Minutes west of UTC; NaN for a time JS's dates do not reach.
        let west = Self::date(t).get_timezone_offset();
        if west.is_finite() {
            -(west * 60.0).round() as i64
        } else {
            0
        }
    }

    /// The short name `Intl` gives the zone ("EST", "GMT+1"), or one made
    /// of the offset.
    fn name(&self, t: i64) -> String {
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"timeZoneName".into(), &"short".into());
        let text = Self::date(t)
            .to_locale_time_string_with_options("en-US", &options)
            .as_string()
            .unwrap_or_default();
        match text.split_whitespace().last() {
            // ("Invalid Date" for a time JS's dates do not reach.)
            Some(name) if name != "Date" => name.to_string(),
            _ => match self.offset(t) {
                0 => "UTC".to_string(),
                offset => {
                    let m = offset.abs() / 60;
                    let sign = if offset < 0 { '-' } else { '+' };
                    format!("GMT{sign}{}:{:02}", m / 60, m % 60)
                }
            },
        }
    }
}

/// std's allocator behind free lists of small blocks (see `small_alloc`).
#[global_allocator]
static ALLOC: crate::small_alloc::SmallBlocks = crate::small_alloc::SmallBlocks::new();

/// A Lua runtime running one chunk at a time in bounded slices.
///
/// JS: `const rt = new LuaRuntime({ fuelLimit: 1e9 }); rt.load(src, "main"); while (rt.runSlice(20000) === 1) {...}`
#[wasm_bindgen]
pub struct LuaRuntime {
    rt: Runtime,
    output: Rc<RefCell<OutputState>>,
    result: Option<StepResult>,
    /// JS functions and objects passed into Lua, and the handle factories.
    bridge: Rc<Bridge>,
    /// The in-memory file system `io`, `dofile`, `loadfile` and `require` see.
    files: MemoryFileSystem,
    /// Where flushed `_home` batches wait for the page to write them
    /// (`None` when the home is not persisted).
    queue: Option<QueueStore>,
    /// The batch taken by `takeHomeBatch` and not yet confirmed.
    in_flight: Option<Batch>,
    /// The counting `assert`'s counter, once `countAsserts` installed it.
    asserts: Option<Rc<vm_ext::assert_count::AssertCounter>>,
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
    /// Creates a runtime. `options` may hold `fuelLimit`, `memoryLimit`
    /// (bytes), `memoryAlias` (default true), `engine` (`"luahome"`, the
    /// default: the project's own core, or `"piccolo"`: piccolo 0.3.3's) and `homeRecords`: a snapshot
    /// from `HomeDb.load` to restore `_home` from; with it, flushed batches
    /// queue for `takeHomeBatch`. Throws when `homeRecords` is damaged.
    ///
    /// JS: `new LuaRuntime({ homeRecords: home.records })`
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<LuaRuntime, JsValue> {
        // Built with `-Cpanic=immediate-abort` (scripts/lib.sh) a panic traps
        // at once and no hook runs: setting one would only keep the hook's
        // formatting code in the module (1.2 KB raw).
        #[cfg(not(panic = "immediate-abort"))]
        console_error_panic_hook::set_once();
        let get = |key: &str| js_sys::Reflect::get(&options, &JsValue::from_str(key)).ok();
        let number = |key: &str| {
            get(key)
                .and_then(|v| v.as_f64())
                .filter(|f| f.is_finite() && *f > 0.0)
        };
        let queue = match get("homeRecords").filter(|v| !v.is_undefined() && !v.is_null()) {
            Some(v) => {
                let bytes = v
                    .dyn_into::<Uint8Array>()
                    .map_err(|_| convert::type_error("homeRecords must be a Uint8Array"))?
                    .to_vec();
                let records = store::decode_snapshot(&bytes, "home records")
                    .map_err(|e| convert::type_error(&e.to_string()))?;
                Some(QueueStore::new(records.into_iter().collect()))
            }
            None => None,
        };
        let engine = match get("engine").and_then(|v| v.as_string()) {
            Some(name) => name
                .parse::<vm_ext::engine::Engine>()
                .map_err(|e| convert::type_error(&e.to_string()))?,
            None => vm_ext::engine::Engine::default(),
        };
        let files = MemoryFileSystem::default();
        let host = Host {
            fs: Some(Rc::new(files.clone())),
            // os.time/os.date: wasm32 has no native clock (without one
            // `os.time()` raised "no clock in this host").
            clock: Some(Rc::new(|| js_sys::Date::now() / 1000.0)),
            // os.clock: a page has no CPU time; seconds since this runtime
            // was made, from the monotonic `performance.now()` (without it
            // `os.clock()` was always 0.0 in the browser).
            cpu_clock: Some({
                let start = performance_now();
                Rc::new(move || (performance_now() - start) / 1000.0)
            }),
            // Local time for os.date/os.time: the page's time zone (without
            // it, local time was UTC).
            time_zone: Some(Rc::new(JsLocalTime)),
            ..Host::default()
        };
        let mut rt = Runtime::with_host(
            RuntimeOptions {
                engine,
                fuel_limit: number("fuelLimit").map(|f| f as u64),
                memory_limit: number("memoryLimit").map(|f| f as usize),
                memory_alias: get("memoryAlias").and_then(|v| v.as_bool()).unwrap_or(true),
                store: queue.clone().map(store::shared),
                // The page decides when to write (it holds the lock between tabs).
                flush_every_steps: 0,
            },
            host,
        );
        let bridge = Rc::new(Bridge::default());
        rt.enable_handles();
        rt.set_host_objects(Rc::new(JsObjects(bridge.clone())));
        if get("js").and_then(|v| v.as_bool()).unwrap_or(false) {
            rt.load_js_library().map_err(|e| convert::error_to_js(&e))?;
        }
        let output = Rc::new(RefCell::new(OutputState::default()));
        let sink = output.clone();
        rt.set_output(move |bytes| sink.borrow_mut().emit(bytes));
        Ok(LuaRuntime {
            rt,
            output,
            result: None,
            bridge,
            files,
            queue,
            in_flight: None,
            asserts: None,
        })
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
            Some(StepResult::Finished(values)) => {
                convert::values_to_js(&values, &self.bridge, Target::Page).into()
            }
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

    /// Replaces the global `assert` with one that counts the calls whose
    /// condition holds (otherwise exactly Lua's, a library function that
    /// runs no Lua code), for test suites.
    ///
    /// JS: `rt.countAsserts()`
    #[wasm_bindgen(js_name = countAsserts)]
    pub fn count_asserts(&mut self) {
        let counter = Rc::new(vm_ext::assert_count::AssertCounter::default());
        let c = counter.clone();
        self.rt.lua_mut().enter(|ctx| {
            let f = vm_ext::assert_count::counting_assert(ctx, c);
            let _ = ctx.set_global("assert", f);
        });
        self.asserts = Some(counter);
    }

    /// How many `assert` calls passed since `countAsserts` (0 before).
    ///
    /// JS: `rt.assertsPassed()`
    #[wasm_bindgen(js_name = assertsPassed)]
    pub fn asserts_passed(&self) -> f64 {
        self.asserts.as_ref().map_or(0.0, |c| c.passed.get() as f64)
    }

    /// Runs the `__gc` finalizers of every object still marked for one, as
    /// `lua_close` does, spending at most `fuel` instructions; true when all
    /// ran.
    ///
    /// JS: `rt.closeFinalizers(1e6)`
    #[wasm_bindgen(js_name = closeFinalizers)]
    pub fn close_finalizers(&mut self, fuel: f64) -> bool {
        let fuel = if fuel.is_finite() && fuel > 0.0 {
            fuel as u64
        } else {
            0
        };
        self.rt.close_finalizers(fuel)
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

    /// The calls Lua made since the last call, as `[{id, name, fn, args,
    /// promise, module}]`: `name` for a registered function, `fn` for a JS
    /// function that was passed into Lua as a value, `promise` for a promise
    /// a JS API returned to Lua (settle with its value, `byRef` true),
    /// `module` for a module source `require` asks for.
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
                        self.bridge
                            .functions
                            .borrow()
                            .get(*id as usize)
                            .map_or(JsValue::NULL, |f| f.clone().into()),
                    ),
                    _ => (JsValue::NULL, JsValue::NULL),
                };
                let obj = convert::host_call_to_js(call.id, &name, &func, &call.args, &self.bridge);
                match &call.target {
                    HostTarget::Await(token) => {
                        convert::set_field(&obj, "promise", &self.bridge.take_promise(*token))
                    }
                    HostTarget::Module(name) => {
                        convert::set_field(&obj, "module", &JsValue::from_str(name))
                    }
                    _ => {}
                }
                JsValue::from(obj)
            })
            .collect()
    }

    /// Settles host call `id` with `value` (one value; `undefined` for none);
    /// with `by_ref`, objects reach Lua by reference (a promise's result).
    /// Throws if `value` cannot be converted (for example a cyclic object).
    ///
    /// JS: `rt.resolveHostCall(call.id, result, false)`
    #[wasm_bindgen(js_name = resolveHostCall)]
    pub fn resolve_host_call(
        &mut self,
        id: f64,
        value: JsValue,
        by_ref: Option<bool>,
    ) -> Result<bool, JsValue> {
        let values = if value.is_undefined() {
            Vec::new()
        } else {
            vec![self
                .js_value(&value, by_ref.unwrap_or(false))
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

    /// Flushes `_home` and takes everything not yet written as one encoded
    /// batch (`undefined` when there is nothing). Until `commitHomeBatch` or
    /// `restoreHomeBatch`, its keys keep their local values against remote
    /// batches.
    ///
    /// JS: `const batch = rt.takeHomeBatch()`
    #[wasm_bindgen(js_name = takeHomeBatch)]
    pub fn take_home_batch(&mut self) -> Option<Uint8Array> {
        let queue = self.queue.as_ref()?;
        if let Err(e) = self.rt.flush() {
            self.rt.push_warning(format!("_home flush failed: {e}"));
        }
        let mut batch = self.in_flight.take().unwrap_or_default();
        batch.merge(queue.take());
        if batch.is_empty() {
            return None;
        }
        let bytes = Uint8Array::from(&batch.encode()[..]);
        self.in_flight = Some(batch);
        Some(bytes)
    }

    /// Whether a save could write something (changes, a batch not yet
    /// confirmed, or stored closures whose upvalues may have changed).
    #[wasm_bindgen(js_name = homePending)]
    pub fn home_pending(&mut self) -> bool {
        let Some(queue) = &self.queue else {
            return false;
        };
        self.in_flight.is_some() || !queue.pending().is_empty() || self.rt.home_pending()
    }

    /// The batch from `takeHomeBatch` was committed.
    #[wasm_bindgen(js_name = commitHomeBatch)]
    pub fn commit_home_batch(&mut self) {
        self.in_flight = None;
    }

    /// The batch from `takeHomeBatch` could not be written: its records
    /// become pending again.
    #[wasm_bindgen(js_name = restoreHomeBatch)]
    pub fn restore_home_batch(&mut self) {
        if let Some(batch) = self.in_flight.take() {
            self.rt.restore_home_batch(&batch);
        }
    }

    /// Applies another tab's changes; the in-flight and queued batches
    /// (written here, not yet confirmed) keep their local values.
    fn apply_remote(&mut self, batch: &Batch) -> Result<(), JsValue> {
        let queued = self.queue.as_ref().map(|q| q.pending().clone());
        let protected: Vec<&Batch> = self.in_flight.iter().chain(queued.as_ref()).collect();
        self.rt
            .apply_remote_home(batch, &protected)
            .map_err(|e| js_error(&e.to_string()))
    }

    /// Applies an encoded batch another tab committed (from `readSince`).
    ///
    /// JS: `rt.applyRemoteHome(batch)`
    #[wasm_bindgen(js_name = applyRemoteHome)]
    pub fn apply_remote_home(&mut self, batch: Uint8Array) -> Result<(), JsValue> {
        let batch = Batch::decode(&batch.to_vec()).map_err(|e| js_error(&e.to_string()))?;
        self.apply_remote(&batch)
    }

    /// Brings `_home` to a whole snapshot (from `readSince` after this tab
    /// fell behind a compaction or an import), keeping uncommitted local writes.
    ///
    /// JS: `rt.resyncHome(news.resync)`
    #[wasm_bindgen(js_name = resyncHome)]
    pub fn resync_home(&mut self, snapshot: Uint8Array) -> Result<(), JsValue> {
        let records = store::decode_snapshot(&snapshot.to_vec(), "home snapshot")
            .map_err(|e| js_error(&e.to_string()))?;
        let diff = self.rt.home_model().diff_to(&records);
        self.apply_remote(&diff)
    }

    /// Every record of `_home` as it stands now (no flush), as a snapshot
    /// for `HomeDb.compact`; call right after `takeHomeBatch`.
    #[wasm_bindgen(js_name = homeRecordsNow)]
    pub fn home_records_now(&self) -> Uint8Array {
        Uint8Array::from(&store::encode_snapshot(&self.rt.home_model().all_records())[..])
    }

    /// The largest object id `_home` uses.
    #[wasm_bindgen(js_name = homeMaxId)]
    pub fn home_max_id(&self) -> f64 {
        self.rt.home_model().max_id() as f64
    }

    /// Makes `_home` hand out new object ids from `[start, end)`.
    #[wasm_bindgen(js_name = setHomeIdBlock)]
    pub fn set_home_id_block(&mut self, start: f64, end: f64) {
        self.rt.set_home_id_block(start as u64, end as u64);
    }

    /// The whole home as one versioned CBOR export, with the raw bytes of
    /// quarantined records (`[[label, Uint8Array]]` from `HomeDb.quarantined`).
    ///
    /// JS: `const bytes = rt.exportHome(await db.quarantined())`
    #[wasm_bindgen(js_name = exportHome)]
    pub fn export_home(&mut self, damaged: JsValue) -> Result<Uint8Array, JsValue> {
        let records = self
            .rt
            .home_records()
            .map_err(|e| js_error(&e.to_string()))?;
        let mut export = HomeExport {
            records,
            damaged: Vec::new(),
        };
        if let Some(arr) = damaged.dyn_ref::<js_sys::Array>() {
            for pair in arr.iter() {
                let label = js_sys::Reflect::get_u32(&pair, 0)
                    .ok()
                    .and_then(|v| v.as_string())
                    .unwrap_or_default();
                let bytes = js_sys::Reflect::get_u32(&pair, 1)
                    .ok()
                    .and_then(|v| v.dyn_into::<Uint8Array>().ok())
                    .map(|a| a.to_vec())
                    .unwrap_or_default();
                export.damaged.push((label, bytes));
            }
        }
        Ok(Uint8Array::from(&store::encode_export(&export)[..]))
    }

    /// Checks an export completely (envelope, every record, references,
    /// every function's bytecode) without changing anything. Returns
    /// `{records, maxId}`: the snapshot to write and to pass to `replaceHome`.
    ///
    /// JS: `const checked = rt.validateHome(bytes)`
    #[wasm_bindgen(js_name = validateHome)]
    pub fn validate_home(&self, bytes: Uint8Array) -> Result<JsValue, JsValue> {
        let export = store::decode_export(&bytes.to_vec()).map_err(|e| js_error(&e.to_string()))?;
        let model = HomeModel::from_records(export.records.clone().into_iter().collect())
            .map_err(|e| js_error(&format!("invalid home export: {e}")))?;
        for (id, f) in &model.functions {
            vm_ext::persist::own_image::verify_any(&f.image)
                .map_err(|e| js_error(&format!("invalid home export: function {id}: {e}")))?;
        }
        let out = js_sys::Object::new();
        let snapshot = Uint8Array::from(&store::encode_snapshot(&export.records)[..]);
        let _ = js_sys::Reflect::set(&out, &"records".into(), &snapshot);
        let _ = js_sys::Reflect::set(
            &out,
            &"maxId".into(),
            &JsValue::from_f64(model.max_id() as f64),
        );
        Ok(out.into())
    }

    /// Replaces `_home` with a snapshot checked by `validateHome` (after it
    /// was written). Pending local changes are dropped. Throws while a chunk runs.
    ///
    /// JS: `rt.replaceHome(checked.records)`
    #[wasm_bindgen(js_name = replaceHome)]
    pub fn replace_home(&mut self, snapshot: Uint8Array) -> Result<(), JsValue> {
        let records = store::decode_snapshot(&snapshot.to_vec(), "home snapshot")
            .map_err(|e| js_error(&e.to_string()))?;
        let model = HomeModel::from_records(records.into_iter().collect())
            .map_err(|e| js_error(&e.to_string()))?;
        self.rt
            .replace_home(model)
            .map_err(|e| js_error(&e.to_string()))?;
        self.in_flight = None;
        if let Some(q) = &self.queue {
            q.take();
        }
        Ok(())
    }

    /// Turns the global `Memory` alias of `_home` on or off.
    ///
    /// JS: `rt.setMemoryAliasEnabled(false)`
    #[wasm_bindgen(js_name = setMemoryAliasEnabled)]
    pub fn set_memory_alias_enabled(&mut self, enabled: bool) {
        self.rt.set_memory_alias_enabled(enabled);
    }

    /// `_home` as a JSON-friendly tree for inspectors (see `HomeModel::inspect`).
    ///
    /// JS: `const tree = rt.homeSnapshot()`
    #[wasm_bindgen(js_name = homeSnapshot)]
    pub fn home_snapshot(&self) -> JsValue {
        let text = self.rt.home_model().inspect_json();
        js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL)
    }

    /// Notices since the last call (legacy format, a home that failed to
    /// load, an upvalue that could not be saved), as an array of strings.
    ///
    /// JS: `for (const w of rt.takeWarnings()) console.warn(w)`
    #[wasm_bindgen(js_name = takeWarnings)]
    pub fn take_warnings(&mut self) -> js_sys::Array {
        self.rt
            .take_warnings()
            .into_iter()
            .map(|w| JsValue::from_str(&w))
            .collect()
    }
}

// ----- Driving Lua from the page -----------------------------------------------

impl LuaRuntime {
    fn js_value(&self, value: &JsValue, by_ref: bool) -> Result<HostValue, String> {
        if by_ref {
            self.bridge.js_to_ref(value)
        } else {
            convert::js_to_value(value, &self.bridge)
        }
    }

    fn args_from_js(&self, args: &js_sys::Array) -> Result<Vec<HostValue>, JsValue> {
        args.iter()
            .map(|a| {
                self.js_value(&a, false)
                    .map_err(|m| convert::type_error(&m))
            })
            .collect()
    }

    fn to_js(&self, v: &HostValue) -> JsValue {
        convert::value_to_js(v, &self.bridge, Target::Page)
    }

    /// Runs a synchronous operation of the runtime (it never waits on the
    /// page: a promise it met is abandoned and forgotten here).
    fn sync_op<T>(&mut self, op: impl FnOnce(&mut Runtime) -> T) -> T {
        let mark = self.bridge.mark();
        let result = op(&mut self.rt);
        self.bridge.forget_promises_since(mark);
        result
    }
}

/// A handle id as the [`HostValue`] it names (`kind` is `"function"` or a
/// Lua type name).
fn handle(id: f64, kind: &str) -> HostValue {
    match kind {
        "function" => HostValue::LuaFunction(id as u64),
        "userdata" => HostValue::LuaRef {
            id: id as u64,
            type_name: "userdata",
        },
        _ => HostValue::LuaRef {
            id: id as u64,
            type_name: "table",
        },
    }
}

#[wasm_bindgen]
impl LuaRuntime {
    /// Sets the factories that turn handles into JS values: `fn(id)` ->
    /// `LuaFunction`, `table(id, typeName)` -> `LuaTable`, `callable(id)` ->
    /// a plain JS function (for Lua functions handed to JS APIs).
    ///
    /// JS: `rt.setFactories(id => new LuaFunction(...), (id, t) => new LuaTable(...), id => (...a) => ...)`
    #[wasm_bindgen(js_name = setFactories)]
    pub fn set_factories(&mut self, function: Function, table: Function, callable: Function) {
        let mut f = self.bridge.factories.borrow_mut();
        f.function = Some(function);
        f.table = Some(table);
        f.callable = Some(callable);
    }

    /// Starts calling Lua function handle `id` with `args` as a task run by
    /// `runSlice` (waits behind a running chunk). Throws a `LuaError` object
    /// if the handle was released.
    ///
    /// JS: `rt.callFunction(id, [1, 2]); while (rt.runSlice(fuel) === 1) {}`
    #[wasm_bindgen(js_name = callFunction)]
    pub fn call_function(&mut self, id: f64, args: js_sys::Array) -> Result<f64, JsValue> {
        self.result = None;
        let args = self.args_from_js(&args)?;
        self.rt
            .call(HostValue::LuaFunction(id as u64), args)
            .map(|task| task as f64)
            .map_err(|e| convert::error_to_js(&e))
    }

    /// Calls Lua function handle `id` at once and returns its results as an
    /// array; throws a `LuaError` object (kind `fuel` past `fuel`, kind
    /// `runtime` if the function waits on a promise).
    ///
    /// JS: `const [r] = rt.callSync(id, [dt], 1e6)`
    #[wasm_bindgen(js_name = callSync)]
    pub fn call_sync(
        &mut self,
        id: f64,
        args: js_sys::Array,
        fuel: f64,
    ) -> Result<js_sys::Array, JsValue> {
        let args = self.args_from_js(&args)?;
        let function = HostValue::LuaFunction(id as u64);
        let values = self
            .sync_op(|rt| rt.call_sync(&function, &args, fuel.max(1.0) as u64))
            .map_err(|e| convert::error_to_js(&e))?;
        Ok(convert::values_to_js(&values, &self.bridge, Target::Page))
    }

    /// Releases handle `id` (a `LuaFunction` or `LuaTable`); false if not held.
    ///
    /// JS: `rt.release(id)`
    pub fn release(&mut self, id: f64) -> bool {
        self.rt.release(id as u64)
    }

    /// How many handles the page holds, how many JS objects Lua holds, and
    /// how many promises wait to be handed to the page.
    ///
    /// JS: `const { handles, lent, promises } = rt.interopStats()`
    #[wasm_bindgen(js_name = interopStats)]
    pub fn interop_stats(&self) -> JsValue {
        let obj = js_sys::Object::new();
        convert::set_field(
            &obj,
            "handles",
            &JsValue::from_f64(self.rt.handles().len() as f64),
        );
        convert::set_field(&obj, "lent", &JsValue::from_f64(self.bridge.lent() as f64));
        convert::set_field(
            &obj,
            "promises",
            &JsValue::from_f64(self.bridge.pending_promises() as f64),
        );
        obj.into()
    }

    /// Reads a global or dotted path; tables come back as copies, or as
    /// `LuaTable` handles with `by_ref`.
    ///
    /// JS: `rt.get("config.width", false)`
    pub fn get(&mut self, path: &str, by_ref: bool) -> Result<JsValue, JsValue> {
        let v = self
            .sync_op(|rt| rt.get(path, by_ref))
            .map_err(|e| convert::error_to_js(&e))?;
        Ok(self.to_js(&v))
    }

    /// Sets a global or dotted path; with `by_ref`, a JS object reaches Lua
    /// by reference.
    ///
    /// JS: `rt.set("doc", document, true)`
    pub fn set(&mut self, path: &str, value: JsValue, by_ref: bool) -> Result<(), JsValue> {
        let v = self
            .js_value(&value, by_ref)
            .map_err(|m| convert::type_error(&m))?;
        self.sync_op(|rt| rt.set(path, &v))
            .map_err(|e| convert::error_to_js(&e))
    }

    /// `t[key]` for table handle `id` (`kind` its Lua type).
    ///
    /// JS: `rt.getField(id, "table", "hp", false)`
    #[wasm_bindgen(js_name = getField)]
    pub fn get_field(
        &mut self,
        id: f64,
        kind: &str,
        key: JsValue,
        by_ref: bool,
    ) -> Result<JsValue, JsValue> {
        let key = self
            .js_value(&key, false)
            .map_err(|m| convert::type_error(&m))?;
        let v = self
            .sync_op(|rt| rt.get_field(&handle(id, kind), &key, by_ref))
            .map_err(|e| convert::error_to_js(&e))?;
        Ok(self.to_js(&v))
    }

    /// `t[key] = value` for table handle `id`.
    ///
    /// JS: `rt.setField(id, "table", "hp", 3, false)`
    #[wasm_bindgen(js_name = setField)]
    pub fn set_field(
        &mut self,
        id: f64,
        kind: &str,
        key: JsValue,
        value: JsValue,
        by_ref: bool,
    ) -> Result<(), JsValue> {
        let key = self
            .js_value(&key, false)
            .map_err(|m| convert::type_error(&m))?;
        let value = self
            .js_value(&value, by_ref)
            .map_err(|m| convert::type_error(&m))?;
        self.sync_op(|rt| rt.set_field(&handle(id, kind), &key, &value))
            .map_err(|e| convert::error_to_js(&e))
    }

    /// `#t` for table handle `id`.
    ///
    /// JS: `rt.tableLength(id, "table")`
    #[wasm_bindgen(js_name = tableLength)]
    pub fn table_length(&mut self, id: f64, kind: &str) -> Result<JsValue, JsValue> {
        let v = self
            .sync_op(|rt| rt.length(&handle(id, kind)))
            .map_err(|e| convert::error_to_js(&e))?;
        Ok(self.to_js(&v))
    }

    /// The keys of table handle `id` (through `__pairs`), as an array.
    ///
    /// JS: `rt.tableKeys(id, "table")`
    #[wasm_bindgen(js_name = tableKeys)]
    pub fn table_keys(&mut self, id: f64, kind: &str) -> Result<js_sys::Array, JsValue> {
        let keys = self
            .sync_op(|rt| rt.keys(&handle(id, kind)))
            .map_err(|e| convert::error_to_js(&e))?;
        Ok(convert::values_to_js(&keys, &self.bridge, Target::Page))
    }

    /// A copy of table handle `id` (what `run` would return for it).
    ///
    /// JS: `rt.tableCopy(id, "table")`
    #[wasm_bindgen(js_name = tableCopy)]
    pub fn table_copy(&mut self, id: f64, kind: &str) -> Result<JsValue, JsValue> {
        let v = self
            .sync_op(|rt| rt.copy(&handle(id, kind)))
            .map_err(|e| convert::error_to_js(&e))?;
        Ok(self.to_js(&v))
    }

    /// Adds a module source `require(name)` finds after `package.preload`.
    ///
    /// JS: `rt.addModule("util", "return {}")`
    #[wasm_bindgen(js_name = addModule)]
    pub fn add_module(&mut self, name: &str, source: JsValue) -> Result<(), JsValue> {
        let bytes = match source.dyn_ref::<Uint8Array>() {
            Some(b) => b.to_vec(),
            None => source
                .as_string()
                .ok_or_else(|| {
                    convert::type_error("a module source must be a string or Uint8Array")
                })?
                .into_bytes(),
        };
        self.rt.add_module(name, bytes);
        Ok(())
    }

    /// Declares a module the page provides on demand: `require(name)`
    /// makes a host call with `module: name` and waits for the source.
    ///
    /// JS: `rt.addModuleLoader("big")`
    #[wasm_bindgen(js_name = addModuleLoader)]
    pub fn add_module_loader(&mut self, name: &str) {
        self.rt.add_module_loader(name);
    }

    /// Creates or replaces a file in the in-memory file system.
    ///
    /// JS: `rt.mountFile("/data/level.txt", bytes)`
    #[wasm_bindgen(js_name = mountFile)]
    pub fn mount_file(&mut self, path: &str, bytes: Uint8Array) -> Result<(), JsValue> {
        if bytes.length() as u64 > vm_ext::host::MAX_MEMORY_FILE {
            return Err(convert::type_error("a mounted file may hold at most 1 GiB"));
        }
        self.files.insert(path, bytes.to_vec());
        Ok(())
    }

    /// A file's bytes from the in-memory file system (`undefined` if absent).
    ///
    /// JS: `rt.readFile("out.txt")`
    #[wasm_bindgen(js_name = readFile)]
    pub fn read_file(&self, path: &str) -> Option<Uint8Array> {
        self.files.get(path).map(|b| Uint8Array::from(&b[..]))
    }

    /// Deletes a file from the in-memory file system; false if absent.
    ///
    /// JS: `rt.unmountFile("out.txt")`
    #[wasm_bindgen(js_name = unmountFile)]
    pub fn unmount_file(&mut self, path: &str) -> bool {
        use vm_ext::host::FileSystem;
        self.files.remove(path).is_ok()
    }
}

fn js_error(message: &str) -> JsValue {
    js_sys::Error::new(message).into()
}
