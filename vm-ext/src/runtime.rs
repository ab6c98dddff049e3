//! [`Runtime`]: one Lua state, run in bounded slices.

use std::{
    cell::RefCell,
    collections::{BTreeMap, VecDeque},
    fmt,
    panic::{self, AssertUnwindSafe},
    rc::Rc,
};

use piccolo::{
    Context, Error, Executor, ExecutorMode, Fuel, Function, Lua, StashedExecutor, Value, Variadic,
};

use crate::{
    engine::{self, Engine},
    error::{ErrorKind, LuaError},
    home::{self, HomeError, SharedModel},
    host::Host,
    host_call::{host_function, HostCallOutcome, HostCallRequest, HostCalls, HostTarget},
    interop::{self, Handles, HostObjects},
    persist::HomeModel,
    stdlib,
    store::{Batch, SharedStore},
    value::HostValue,
};

/// The most fuel spent inside one `Lua::enter`. piccolo collects garbage only
/// between enters, so a slice is several bounded enters, never one huge one.
pub const FUEL_PER_ENTER: i32 = 4096;

/// The collector's pacing. gc-arena's default (a cycle starts once the heap
/// has grown by half of what the last one kept, and finishes within 1.5
/// times the heap's size of allocation) let binary_trees' heap reach about
/// six times its live data; finishing within 0.4 times kept it near twice
/// at binary_trees 14 (peak RSS 44.6 → 25.9 MB) but not at 15, where the
/// cycles fell behind (56.9 MB against PUC Lua's 18.1). Within 0.15 times:
/// binary_trees 14 25.2 → 19.6 MB (PUC 12.6), 15 56.9 → 27.9 MB, for +4.7 %
/// instructions at binary_trees 9; table_ops, json, string_build within 2 %.
pub fn gc_pacing() -> gc_arena::metrics::Pacing {
    gc_arena::metrics::Pacing::default()
        .with_pause_factor(0.5)
        .with_timing_factor(0.15)
}

/// Options for [`Runtime::new`].
#[derive(Clone)]
pub struct RuntimeOptions {
    /// Total fuel one chunk may use before it is ended with
    /// [`ErrorKind::FuelLimit`]; `None` for no limit.
    pub fuel_limit: Option<u64>,
    /// Bytes the Lua heap may use. Past it (after a full collection) the chunk
    /// ends with [`ErrorKind::Memory`] "not enough memory" and the runtime stays
    /// usable. piccolo 0.3.3 has no allocation hook, so the check runs between
    /// bounded enters and the error cannot be caught by `pcall`.
    pub memory_limit: Option<usize>,
    /// Where `_home` is loaded from and saved to; `None` keeps it in memory
    /// for the life of the runtime.
    pub store: Option<SharedStore>,
    /// Whether the global `Memory` is an alias of `_home` (default `true`).
    pub memory_alias: bool,
    /// Flush `_home` after at most this many `step` calls while there are
    /// changes (1 = after every step that made changes); a flush also
    /// happens whenever a chunk ends. 0 turns automatic flushing off: only
    /// [`Runtime::flush`] writes.
    pub flush_every_steps: u32,
    /// Which core compiles and runs Lua code ([`Engine::Luahome`] by default);
    /// chunks loaded at run time (`load`, `dofile`, `require`) use the same.
    pub engine: Engine,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions {
            fuel_limit: None,
            memory_limit: None,
            store: None,
            memory_alias: true,
            flush_every_steps: 1,
            engine: Engine::default(),
        }
    }
}

impl fmt::Debug for RuntimeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeOptions")
            .field("fuel_limit", &self.fuel_limit)
            .field("memory_limit", &self.memory_limit)
            .field("store", &self.store.as_ref().map(|_| "<store>"))
            .field("memory_alias", &self.memory_alias)
            .field("flush_every_steps", &self.flush_every_steps)
            .field("engine", &self.engine)
            .finish()
    }
}

/// What one [`Runtime::step`] left behind.
#[derive(Debug, Clone, PartialEq)]
pub enum StepResult {
    /// The chunk has more work to do; call `step` again.
    Running,
    /// The chunk returned these values.
    Finished(Vec<HostValue>),
    /// The chunk failed (or was stopped).
    Error(LuaError),
    /// The chunk waits on host calls ([`Runtime::take_host_calls`]); nothing
    /// runs until they are settled with [`Runtime::resolve_host_call`].
    Waiting,
    /// No chunk is loaded.
    Idle,
}

struct Run {
    chunk: String,
    fuel_used: u64,
    task: u64,
}

/// A function call waiting for the running task to end ([`Runtime::call`]).
struct QueuedCall {
    task: u64,
    function: HostValue,
    args: Vec<HostValue>,
}

/// The most fuel one synchronous operation ([`Runtime::get`], [`Runtime::set`],
/// the table methods) may use: they only run metamethods, which should be quick.
pub const OPERATION_FUEL: u64 = 1_000_000;

/// A Lua state with the luahome standard library, running one chunk at a time
/// in bounded slices.
///
/// ```
/// use vm_ext::{Runtime, StepResult, HostValue};
/// let mut rt = Runtime::new(Default::default());
/// rt.load(b"return 1 + 2", "example").unwrap();
/// let result = loop {
///     match rt.step(10_000) {
///         StepResult::Running => continue,
///         other => break other,
///     }
/// };
/// assert_eq!(result, StepResult::Finished(vec![HostValue::Integer(3)]));
/// ```
pub struct Runtime {
    lua: Lua,
    executor: StashedExecutor,
    /// `__gc` finalizers being run, before the script goes on
    /// ([`crate::finalize`]).
    finalizing: Option<StashedExecutor>,
    host: Host,
    options: RuntimeOptions,
    run: Option<Run>,
    poisoned: bool,
    sink: Option<OutputSink>,
    error_sink: Option<OutputSink>,
    home: SharedModel,
    /// The store `_home` is saved to; `None` when there is none or it
    /// failed to load (then nothing is ever written to it).
    store: Option<SharedStore>,
    steps_since_flush: u32,
    warnings: Vec<String>,
    last_flush_error: Option<String>,
    queue: VecDeque<QueuedCall>,
    next_task: u64,
    last_task: u64,
}

/// Where [`Runtime::set_output`] sends output.
pub type OutputSink = Box<dyn FnMut(&[u8])>;

impl Runtime {
    /// A runtime with the standard library and `_home`. If the store in
    /// `options` cannot be loaded, `_home` starts empty, is never written
    /// back (so nothing is lost), and the error is reported through
    /// [`Runtime::take_warnings`]; use [`Runtime::try_new`] to get it as an error.
    pub fn new(options: RuntimeOptions) -> Self {
        Self::with_host(options, Host::default())
    }

    /// A runtime whose libraries use `host`'s services (files, stdin,
    /// environment, clock, exit, module sources); [`Runtime::new`] uses a
    /// sandboxed `Host::default()`. A store that cannot be loaded is handled
    /// as in [`Runtime::new`].
    pub fn with_host(options: RuntimeOptions, host: Host) -> Self {
        match Self::try_with_host(options.clone(), host.clone()) {
            Ok(rt) => rt,
            Err(e) => {
                let mut opts = options;
                opts.store = None;
                let mut rt = Self::build(opts, HomeModel::new(), host);
                rt.warnings.push(e.to_string());
                rt
            }
        }
    }

    /// Like [`Runtime::new`], but a store that cannot be loaded is an error.
    pub fn try_new(options: RuntimeOptions) -> Result<Self, HomeError> {
        Self::try_with_host(options, Host::default())
    }

    /// Like [`Runtime::with_host`], but a store that cannot be loaded is an error.
    pub fn try_with_host(options: RuntimeOptions, host: Host) -> Result<Self, HomeError> {
        let model = match &options.store {
            Some(store) => {
                let records = store.borrow_mut().load_all()?;
                HomeModel::from_records(records)?
            }
            None => HomeModel::new(),
        };
        Ok(Self::build(options, model, host))
    }

    fn build(options: RuntimeOptions, mut model: HomeModel, host: Host) -> Self {
        // Empty: stdlib::load_all defines every global and library table, so
        // piccolo's own standard library (Lua::core) would only be replaced
        // (and its code kept in the wasm).
        let mut lua = Lua::empty();
        lua.enter(|ctx| ctx.metrics().set_pacing(gc_pacing()));
        let warnings = std::mem::take(&mut model.warnings);
        let home: SharedModel = Rc::new(RefCell::new(model));
        let alias = options.memory_alias;
        let chosen = options.engine;
        let memory_limit = options.memory_limit.unwrap_or(0);
        let executor = lua.enter(|ctx| {
            engine::set_engine(ctx, chosen);
            crate::interp::memory_guard(ctx).limit.set(memory_limit);
            stdlib::load_all(ctx, &host);
            home::install(ctx, home.clone(), alias);
            ctx.stash(Executor::new(ctx))
        });
        let store = options.store.clone();
        Runtime {
            lua,
            executor,
            finalizing: None,
            host,
            options,
            run: None,
            poisoned: false,
            sink: None,
            error_sink: None,
            home,
            store,
            steps_since_flush: 0,
            warnings,
            last_flush_error: None,
            queue: VecDeque::new(),
            next_task: 0,
            last_task: 0,
        }
    }

    /// Writes every `_home` change since the last flush (including the
    /// current values of stored closures' upvalues) to the store as one
    /// batch. Without a store the changes stay in memory. On failure the
    /// changes stay pending and are retried by the next flush.
    pub fn flush(&mut self) -> Result<(), HomeError> {
        if self.poisoned {
            return Err(HomeError::Unusable);
        }
        let lua = &mut self.lua;
        let batch = match guard(|| lua.enter(home::prepare_flush)) {
            Ok(b) => b,
            Err(_) => {
                self.poisoned = true;
                return Err(HomeError::Unusable);
            }
        };
        self.steps_since_flush = 0;
        {
            let mut model = self.home.borrow_mut();
            self.warnings.append(&mut model.warnings);
        }
        if batch.is_empty() {
            return Ok(());
        }
        if let Some(store) = &self.store {
            if let Err(e) = store.borrow_mut().apply(&batch) {
                self.home.borrow_mut().restore_batch(&batch);
                self.last_flush_error = Some(e.to_string());
                return Err(e.into());
            }
        }
        self.last_flush_error = None;
        Ok(())
    }

    /// A handle that saves pending `_home` writes without entering the VM
    /// (see [`home::HomeSaver`]); the CLI calls it from its `os.exit` hook.
    pub fn home_saver(&self) -> home::HomeSaver {
        home::HomeSaver {
            model: self.home.clone(),
            store: self.store.clone(),
        }
    }

    /// Same as [`Runtime::flush`] (the name the JS API uses).
    pub fn save(&mut self) -> Result<(), HomeError> {
        self.flush()
    }

    /// Turns the global `Memory` alias of `_home` on or off.
    pub fn set_memory_alias_enabled(&mut self, enabled: bool) {
        self.options.memory_alias = enabled;
        let lua = &mut self.lua;
        if guard(|| lua.enter(|ctx| home::set_alias(ctx, enabled))).is_err() {
            self.poisoned = true;
        }
    }

    /// Notices for the host since the last call: a legacy store format, a
    /// store that failed to load, an upvalue that could not be saved, a
    /// failed automatic flush.
    pub fn take_warnings(&mut self) -> Vec<String> {
        self.warnings.append(&mut self.home.borrow_mut().warnings);
        std::mem::take(&mut self.warnings)
    }

    /// Adds a notice for the host (reported by the next `take_warnings`).
    pub fn push_warning(&mut self, message: String) {
        if !self.warnings.contains(&message) {
            self.warnings.push(message);
        }
    }

    /// The error of the last automatic flush, if it failed.
    pub fn last_flush_error(&self) -> Option<&str> {
        self.last_flush_error.as_deref()
    }

    /// The persistent model behind `_home` (for hosts and tests).
    pub fn home_model(&self) -> std::cell::Ref<'_, HomeModel> {
        self.home.borrow()
    }

    /// Applies a batch another runtime committed to the shared store (see
    /// [`HomeModel::apply_remote`]): `_home` reads see it at once, live stored
    /// closures get the new upvalue values. Keys changed here and not yet
    /// committed — the model's dirty set and the keys of `protected` (batches
    /// taken for writing but not confirmed) — keep their local values. A
    /// batch that does not decode changes nothing.
    pub fn apply_remote_home(
        &mut self,
        batch: &Batch,
        protected: &[&Batch],
    ) -> Result<(), HomeError> {
        if self.poisoned {
            return Err(HomeError::Unusable);
        }
        let keys: std::collections::HashSet<_> = protected
            .iter()
            .flat_map(|b| HomeModel::batch_keys(b))
            .collect();
        let cells = self
            .home
            .try_borrow_mut()
            .map_err(|_| HomeError::Unusable)?
            .apply_remote(batch, &keys)?;
        if !cells.is_empty() {
            let lua = &mut self.lua;
            if guard(|| lua.enter(|ctx| home::refresh_cells(ctx, &cells))).is_err() {
                self.poisoned = true;
                return Err(HomeError::Unusable);
            }
        }
        Ok(())
    }

    /// Whether a flush could write something: `_home` has changes, or
    /// stored closures exist whose upvalues may have changed.
    pub fn home_pending(&mut self) -> bool {
        if self.poisoned {
            return false;
        }
        if self.home.borrow().is_dirty() {
            return true;
        }
        let lua = &mut self.lua;
        guard(|| lua.enter(home::has_live_cells)).unwrap_or(false)
    }

    /// Puts a batch that could not be written back into the dirty set, so
    /// the next flush writes those records again (with their current values).
    pub fn restore_home_batch(&mut self, batch: &Batch) {
        if let Ok(mut model) = self.home.try_borrow_mut() {
            model.restore_batch(batch);
        }
    }

    /// Replaces `_home` wholesale with `model` (an imported home). Nothing
    /// is pending afterwards; proxies held by Lua now show the table with
    /// their id in the new home. Refused while a chunk runs.
    pub fn replace_home(&mut self, mut model: HomeModel) -> Result<(), HomeError> {
        if self.poisoned {
            return Err(HomeError::Unusable);
        }
        if self.run.is_some() {
            return Err(HomeError::Busy);
        }
        self.warnings.append(&mut model.warnings);
        model.mark_clean();
        *self
            .home
            .try_borrow_mut()
            .map_err(|_| HomeError::Unusable)? = model;
        let lua = &mut self.lua;
        if guard(|| lua.enter(home::reset_caches)).is_err() {
            self.poisoned = true;
            return Err(HomeError::Unusable);
        }
        Ok(())
    }

    /// Every record of `_home` as it stands (after a flush, so stored
    /// closures' upvalues are current), for an export.
    pub fn home_records(&mut self) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, HomeError> {
        self.flush()?;
        Ok(self.home.borrow().all_records())
    }

    /// Makes `_home` hand out new object ids from `[start, end)` (a block
    /// reserved in a store several runtimes share).
    pub fn set_home_id_block(&mut self, start: u64, end: u64) {
        self.home.borrow_mut().set_id_block(start, end);
    }

    /// Flushes after a step when there are changes and the interval has passed.
    fn auto_flush(&mut self, chunk_ended: bool) {
        if self.poisoned || self.options.flush_every_steps == 0 {
            return;
        }
        self.steps_since_flush = self.steps_since_flush.saturating_add(1);
        if !chunk_ended && self.steps_since_flush < self.options.flush_every_steps {
            return;
        }
        if !self.home_pending() {
            self.steps_since_flush = 0;
            return;
        }
        if let Err(e) = self.flush() {
            self.push_warning(format!("automatic flush failed: {e}"));
        }
    }

    /// Sends output (`print`, `io.write`) to `sink` as it is produced, after
    /// each bounded enter. Without a sink, output collects until
    /// [`Runtime::take_output`].
    pub fn set_output(&mut self, sink: impl FnMut(&[u8]) + 'static) {
        self.sink = Some(Box::new(sink));
    }

    /// Output produced since the last call (only when no sink is set).
    pub fn take_output(&mut self) -> Vec<u8> {
        self.host.output.take()
    }

    /// The host services this runtime's libraries use (its output and
    /// warning buffers, file system, ...).
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// Direct access to the VM, for hosts and tests that install globals.
    pub fn lua_mut(&mut self) -> &mut Lua {
        &mut self.lua
    }

    /// Whether a chunk is loaded and not yet finished.
    pub fn is_running(&self) -> bool {
        self.run.is_some()
    }

    /// Fuel used so far by the current (or last) chunk.
    pub fn fuel_used(&self) -> u64 {
        self.run.as_ref().map_or(0, |r| r.fuel_used)
    }

    /// Bytes the Lua heap uses now.
    pub fn memory_used(&self) -> usize {
        self.lua.total_memory()
    }

    /// Compiles `source` as chunk `chunk_name` and makes it the running chunk.
    /// A syntax error is returned as [`ErrorKind::Syntax`] naming `chunk:line`.
    pub fn load(&mut self, source: &[u8], chunk_name: &str) -> Result<(), LuaError> {
        self.load_with_args(source, chunk_name, &[])
    }

    /// Like [`Runtime::load`], with `args` as the chunk's `...` (the
    /// standalone interpreter passes a script's arguments this way).
    pub fn load_with_args(
        &mut self,
        source: &[u8],
        chunk_name: &str,
        args: &[HostValue],
    ) -> Result<(), LuaError> {
        self.check_idle()?;
        let executor = &self.executor;
        let calls = &self.host.calls;
        let engine = self.options.engine;
        let loaded = guard(|| {
            self.lua.enter(|ctx| {
                let function = match engine {
                    #[cfg(feature = "piccolo-compiler")]
                    Engine::Piccolo => piccolo::Closure::load(ctx, Some(chunk_name), source)
                        .map_err(|e| LuaError::from_prototype(chunk_name, &e))?
                        .into(),
                    #[cfg(not(feature = "piccolo-compiler"))]
                    Engine::Piccolo => {
                        return Err(LuaError::runtime(
                            chunk_name,
                            engine::EngineError::NotBuilt(engine).to_string(),
                        ))
                    }
                    Engine::Luahome => {
                        // Named as `lua file.lua` names a file ("@name"), as
                        // the piccolo core's debug.getinfo reports it too; a
                        // name already in Lua's raw form is kept.
                        let raw = match chunk_name.as_bytes().first() {
                            Some(b'=' | b'@') => chunk_name.to_string(),
                            _ => format!("@{chunk_name}"),
                        };
                        engine::load_text(ctx, engine, source, raw.as_bytes(), None)
                            .map_err(|m| syntax_error(chunk_name, m))?
                    }
                };
                crate::interp::reset(ctx);
                let args: Vec<Value<'_>> = args.iter().map(|a| a.to_value(ctx, calls)).collect();
                ctx.fetch(executor).restart(ctx, function, Variadic(args));
                Ok(())
            })
        });
        match loaded {
            Ok(r) => r?,
            Err(e) => return Err(self.poison(e)),
        }
        self.begin_run(chunk_name.to_string());
        Ok(())
    }

    /// Makes a prototype of the project's core (verified first) the running
    /// chunk, `_ENV` bound to the globals; whatever [`RuntimeOptions::engine`]
    /// says. Used by tests and tools that build bytecode directly.
    pub fn load_proto(&mut self, proto: crate::bytecode::Proto) -> Result<(), LuaError> {
        self.check_idle()?;
        let chunk = crate::stdlib::base::chunk_display_name(proto.source.as_bytes());
        let executor = &self.executor;
        let loaded = guard(|| {
            self.lua.enter(|ctx| {
                let function = crate::interp::load_proto(ctx, proto, ctx.globals().into())
                    .map_err(|e| LuaError::new(ErrorKind::Syntax, e.to_string()))?;
                crate::interp::reset(ctx);
                ctx.fetch(executor).restart(ctx, function, ());
                Ok(())
            })
        });
        match loaded {
            Ok(r) => r?,
            Err(e) => return Err(self.poison(e)),
        }
        self.begin_run(chunk);
        Ok(())
    }

    /// The runtime can take a new chunk: usable, and nothing running.
    fn check_idle(&self) -> Result<(), LuaError> {
        self.check_usable()?;
        if self.run.is_some() {
            return Err(LuaError::new(
                ErrorKind::Busy,
                "a chunk is already running; stop it or wait for it to finish",
            ));
        }
        Ok(())
    }

    /// Records a freshly loaded chunk as the running task.
    fn begin_run(&mut self, chunk: String) {
        self.next_task += 1;
        self.last_task = self.next_task;
        self.run = Some(Run {
            chunk,
            fuel_used: 0,
            task: self.next_task,
        });
    }

    /// The core this runtime compiles and runs Lua code with.
    pub fn engine(&self) -> Engine {
        self.options.engine
    }

    /// Runs the loaded chunk for about `fuel` units of work (one unit is
    /// roughly one VM instruction) and reports where it stands. Never runs
    /// unbounded: the work is split into enters of at most
    /// [`FUEL_PER_ENTER`], with output flushed after each.
    pub fn step(&mut self, fuel: i32) -> StepResult {
        let result = self.step_inner(fuel);
        match &result {
            StepResult::Idle => {}
            StepResult::Running | StepResult::Waiting => self.auto_flush(false),
            _ => self.auto_flush(true),
        }
        result
    }

    fn step_inner(&mut self, fuel: i32) -> StepResult {
        if let Err(e) = self.check_usable() {
            return StepResult::Error(e);
        }
        if self.run.is_none() {
            let Some(next) = self.queue.pop_front() else {
                return StepResult::Idle;
            };
            if let Err(e) = self.start_call(next) {
                return StepResult::Error(e);
            }
        }
        if self.host.calls.is_waiting() {
            return StepResult::Waiting;
        }
        let mut remaining = fuel.max(1);
        loop {
            let budget = remaining.min(FUEL_PER_ENTER);
            let mut f = Fuel::with(budget);
            let executor = &self.executor;
            let finalizing = &mut self.finalizing;
            let lua = &mut self.lua;
            let stepped = guard(|| {
                lua.enter(|ctx| {
                    // Objects a collection found unreachable get their
                    // `__gc` before the script goes on.
                    if crate::finalize::step_pending(ctx, finalizing, &mut f) {
                        return (false, false);
                    }
                    let done = ctx.fetch(executor).step(ctx, &mut f);
                    // `collectgarbage("collect")` interrupts the slice to
                    // have a full collection before the script goes on.
                    let collect = f.is_interrupted() && crate::weak::take_collect_request(ctx);
                    (done, collect)
                })
            });
            let used = (budget - f.remaining()).max(1);
            if let Some(run) = self.run.as_mut() {
                run.fuel_used += used as u64;
            }
            remaining -= used;
            self.flush_output();
            let done = match stepped {
                Ok((done, collect)) => {
                    if collect {
                        // The first call may only finish a cycle already
                        // under way (whose marks predate the garbage the
                        // script just made); the second is a whole cycle.
                        let lua = &mut self.lua;
                        if let Err(e) = guard(|| {
                            lua.gc_collect();
                            lua.gc_collect();
                        }) {
                            return StepResult::Error(self.poison(e));
                        }
                    }
                    done
                }
                Err(e) => return StepResult::Error(self.poison(e)),
            };
            if done {
                return self.finish();
            }
            if let Some(e) = self.check_memory() {
                return StepResult::Error(e);
            }
            if self.host.calls.is_waiting() {
                return StepResult::Waiting;
            }
            if let (Some(limit), Some(run)) = (self.options.fuel_limit, self.run.as_ref()) {
                if run.fuel_used > limit {
                    let chunk = run.chunk.clone();
                    self.reset_executor();
                    let mut err = LuaError::new(
                        ErrorKind::FuelLimit,
                        format!("fuel limit of {limit} exceeded"),
                    );
                    err.chunk = Some(chunk);
                    return StepResult::Error(err);
                }
            }
            if remaining <= 0 {
                return StepResult::Running;
            }
        }
    }

    /// Runs the loaded chunk to the end in bounded slices, calling
    /// `should_stop` between slices; returning `true` from it stops the chunk.
    /// Returns [`StepResult::Waiting`] when the chunk waits on host calls: the
    /// caller settles them and calls again.
    pub fn run_to_end(&mut self, mut should_stop: impl FnMut() -> bool) -> StepResult {
        loop {
            match self.step(FUEL_PER_ENTER * 4) {
                StepResult::Running => {
                    if should_stop() {
                        return StepResult::Error(self.stop());
                    }
                }
                other => return other,
            }
        }
    }

    /// Sets the fuel limit for chunks loaded from now on (`None`: unlimited).
    pub fn set_fuel_limit(&mut self, limit: Option<u64>) {
        self.options.fuel_limit = limit;
    }

    /// Installs a global function `name` that calls the host: each call
    /// becomes a [`HostCallRequest`] and the calling Lua code waits (see
    /// [`StepResult::Waiting`]) until the host settles it.
    pub fn register_host_function(&mut self, name: &str) {
        let calls = self.host.calls.clone();
        let target = HostTarget::Named(name.to_string());
        self.lua.enter(|ctx| {
            let f = host_function(ctx, &calls, target);
            ctx.set_global(ctx.intern(name.as_bytes()), f).ok();
        });
    }

    /// Host calls made since the last call; each must be settled.
    pub fn take_host_calls(&mut self) -> Vec<HostCallRequest> {
        self.host.calls.take_requests()
    }

    /// Settles host call `id`; the waiting Lua code resumes at the next
    /// `step`. Returns false if no such call is outstanding.
    pub fn resolve_host_call(&mut self, id: u64, outcome: HostCallOutcome) -> bool {
        self.host.calls.settle(id, outcome)
    }

    fn check_memory(&mut self) -> Option<LuaError> {
        let limit = self.options.memory_limit?;
        if self.lua.total_memory() <= limit {
            return None;
        }
        let lua = &mut self.lua;
        if guard(|| lua.gc_collect()).is_err() {
            self.poisoned = true;
        }
        if self.lua.total_memory() <= limit {
            return None;
        }
        // Code of the own core raises "not enough memory" itself, at its
        // next allocation site (pcall catches it); if the flag is still
        // unconsumed at the next check (no such site ran), the chunk ends.
        let raise_in_lua = self
            .lua
            .enter(|ctx| !crate::interp::memory_guard(ctx).over.replace(true));
        if raise_in_lua {
            return None;
        }
        let chunk = self.run.as_ref().map(|r| r.chunk.clone());
        self.reset_executor();
        let lua = &mut self.lua;
        let _ = guard(|| lua.gc_collect());
        let mut err = LuaError::new(ErrorKind::Memory, "not enough memory");
        err.chunk = chunk;
        Some(err)
    }

    /// Ends the running chunk; returns the "stopped" error for it.
    pub fn stop(&mut self) -> LuaError {
        let chunk = self.run.as_ref().map(|r| r.chunk.clone());
        if self.run.is_some() && !self.poisoned {
            self.reset_executor();
        }
        self.run = None;
        // What the chunk wrote to `_home` before it was stopped is kept.
        self.auto_flush(true);
        let mut err = LuaError::new(ErrorKind::Stopped, "stopped");
        err.chunk = chunk;
        err
    }

    /// Closes the state as `lua_close` does for finalizers: the `__gc` of
    /// every object still marked for finalization runs, newest first,
    /// reachable or not (errors become warnings; objects given a `__gc`
    /// from now on are not finalized). Spends at most `fuel` instructions;
    /// returns whether every finalizer ran. Call it once, when the runtime
    /// is done (the CLI at exit, `Lua.close()` in JS); scripts can still
    /// run after it, without finalizers.
    pub fn close_finalizers(&mut self, fuel: u64) -> bool {
        if self.poisoned {
            return false;
        }
        let lua = &mut self.lua;
        if guard(|| lua.enter(|ctx| ctx.finalizers().pend_all(&ctx))).is_err() {
            self.poisoned = true;
            return false;
        }
        let mut left = fuel;
        loop {
            let budget = left.min(FUEL_PER_ENTER as u64).max(1) as i32;
            let mut f = Fuel::with(budget);
            let finalizing = &mut self.finalizing;
            let lua = &mut self.lua;
            let stepped = guard(|| {
                // Done once no finalizer is left to run.
                lua.enter(|ctx| !crate::finalize::step_pending(ctx, finalizing, &mut f))
            });
            self.flush_output();
            match stepped {
                Ok(true) => return true,
                Ok(false) => {}
                Err(_) => {
                    self.poisoned = true;
                    return false;
                }
            }
            let used = (budget - f.remaining()).max(1) as u64;
            left = left.saturating_sub(used);
            if left == 0 {
                self.finalizing = None;
                return false;
            }
        }
    }

    fn reset_executor(&mut self) {
        self.host.calls.clear();
        self.finalizing = None;
        let executor = &self.executor;
        let lua = &mut self.lua;
        if guard(|| lua.enter(|ctx| ctx.fetch(executor).stop(&ctx))).is_err() {
            self.poisoned = true;
        }
        self.run = None;
    }

    fn finish(&mut self) -> StepResult {
        self.host.calls.clear();
        let run = self.run.take().expect("finish needs a run");
        let calls = self.host.calls.clone();
        let executor = &self.executor;
        let lua = &mut self.lua;
        let result = guard(|| {
            lua.enter(|ctx| {
                let executor = ctx.fetch(executor);
                match executor.mode() {
                    ExecutorMode::Result => {}
                    ExecutorMode::Suspended => {
                        executor.stop(&ctx);
                        return Err(LuaError::runtime(
                            &run.chunk,
                            "attempt to yield from outside a coroutine".into(),
                        ));
                    }
                    mode => {
                        return Err(LuaError::new(
                            ErrorKind::Internal,
                            format!("executor ended in mode {mode:?}"),
                        ))
                    }
                }
                match executor.take_result::<Variadic<Vec<Value<'_>>>>(ctx) {
                    Ok(Ok(values)) => Ok(values
                        .iter()
                        .map(|v| HostValue::export(ctx, *v, &calls, false))
                        .collect()),
                    Ok(Err(err)) if crate::interp::is_memory_error(&err) => {
                        let mut e = LuaError::new(ErrorKind::Memory, "not enough memory");
                        e.chunk = Some(run.chunk.clone());
                        Err(e)
                    }
                    Ok(Err(err)) => {
                        let mut e = LuaError::runtime(&run.chunk, error_message(ctx, &err));
                        e.traceback = crate::interp::frames::take_traceback(ctx, &err);
                        Err(e)
                    }
                    Err(mode) => Err(LuaError::new(ErrorKind::Internal, mode.to_string())),
                }
            })
        });
        self.flush_output();
        match result {
            Ok(Ok(values)) => StepResult::Finished(values),
            Ok(Err(e)) => {
                if e.kind == ErrorKind::Memory {
                    // Hand back what the failed chunk left behind.
                    let lua = &mut self.lua;
                    if guard(|| lua.gc_collect()).is_err() {
                        self.poisoned = true;
                    }
                }
                StepResult::Error(e)
            }
            Err(e) => StepResult::Error(self.poison(e)),
        }
    }

    fn flush_output(&mut self) {
        if let Some(sink) = self.sink.as_mut() {
            if !self.host.output.is_empty() {
                sink(&self.host.output.take());
            }
        }
        if let Some(sink) = self.error_sink.as_mut() {
            if !self.host.warnings.is_empty() {
                sink(&self.host.warnings.take());
            }
        }
    }

    /// Sends the stderr-equivalent (`warn` messages, `io.stderr` writes) to
    /// `sink` as it is produced.
    pub fn set_error_output(&mut self, sink: impl FnMut(&[u8]) + 'static) {
        self.error_sink = Some(Box::new(sink));
    }

    fn check_usable(&self) -> Result<(), LuaError> {
        if self.poisoned {
            Err(LuaError::new(
                ErrorKind::Internal,
                "the runtime hit an internal error earlier and must be recreated",
            ))
        } else {
            Ok(())
        }
    }

    fn poison(&mut self, e: LuaError) -> LuaError {
        self.poisoned = true;
        self.run = None;
        e
    }
}

/// A syntax error of the project's compiler (`chunk:line: message near 'x'`)
/// as a [`LuaError`].
fn syntax_error(chunk: &str, message: String) -> LuaError {
    let mut err = LuaError::runtime(chunk, message);
    err.kind = ErrorKind::Syntax;
    err
}

// ----- Driving Lua from the host (see `interop`) ------------------------------

/// How a host names a value it wants to call or index: a handle it holds
/// (or a value it built).
fn resolve_function<'gc>(
    ctx: Context<'gc>,
    calls: &HostCalls,
    function: &HostValue,
) -> Result<(Function<'gc>, String), LuaError> {
    let v = function.to_value(ctx, calls);
    let f = piccolo::meta_ops::call(ctx, v).map_err(|_| {
        LuaError::new(
            ErrorKind::Runtime,
            format!("attempt to call a {} value", v.type_name()),
        )
    })?;
    let chunk = match f {
        Function::Closure(c) => c.prototype().chunk_name.to_str_lossy().into_owned(),
        Function::Callback(_) => match crate::interp::as_lua_closure(ctx, f) {
            Some(c) => crate::stdlib::base::chunk_display_name(c.proto.proto.source.as_bytes()),
            None => "[C]".to_string(),
        },
    };
    Ok((f, chunk))
}

/// `a.b.1` -> `"a"`, `"b"`, `1`: segments that are decimal integers are
/// integer keys.
fn path_keys<'gc>(ctx: Context<'gc>, path: &str) -> Vec<Value<'gc>> {
    path.split('.')
        .map(|seg| match seg.parse::<i64>() {
            Ok(i) if !seg.starts_with('+') => Value::Integer(i),
            _ => Value::String(ctx.intern(seg.as_bytes())),
        })
        .collect()
}

fn check_path(path: &str) -> Result<(), LuaError> {
    if path.is_empty() || path.split('.').any(str::is_empty) {
        return Err(LuaError::new(
            ErrorKind::Runtime,
            format!("bad path '{path}' (expected names separated by dots, like 'a.b.c')"),
        ));
    }
    Ok(())
}

impl Runtime {
    /// Makes Lua functions (and, when asked, tables) leaving the VM handles
    /// the host holds ([`HostValue::LuaFunction`], [`HostValue::LuaRef`])
    /// instead of their `tostring` text. The browser turns this on.
    pub fn enable_handles(&mut self) {
        self.host.calls.handles().set_enabled(true);
    }

    /// The Lua values the host holds by handle.
    pub fn handles(&self) -> &Handles {
        self.host.calls.handles()
    }

    /// Releases handle `id`: Lua may collect the value once nothing else
    /// refers to it. Returns false if `id` was not held.
    pub fn release(&mut self, id: u64) -> bool {
        self.host.calls.handles().release(id)
    }

    /// Lends the host's objects to Lua ([`HostValue::HostObject`] values
    /// become userdata with field access, method calls and awaited promises).
    pub fn set_host_objects(&mut self, objects: Rc<dyn HostObjects>) {
        self.host.calls.set_objects(objects);
    }

    /// Installs the `js` library (see [`interop::load_js`]); needs
    /// [`Runtime::set_host_objects`] first.
    pub fn load_js_library(&mut self) -> Result<(), LuaError> {
        self.check_usable()?;
        if self.host.calls.objects().is_none() {
            return Err(LuaError::new(
                ErrorKind::Runtime,
                "the js library needs a host that lends objects",
            ));
        }
        let calls = self.host.calls.clone();
        let lua = &mut self.lua;
        guard(|| lua.enter(|ctx| interop::load_js(ctx, &calls))).map_err(|e| self.poison(e))
    }

    /// Adds a module source that `require(name)` finds after `package.preload`.
    pub fn add_module(&mut self, name: &str, source: impl Into<Vec<u8>>) {
        self.host
            .modules
            .borrow_mut()
            .insert(name.to_string(), source.into());
    }

    /// Declares that the host provides module `name` on demand: the first
    /// `require(name)` makes a [`HostTarget::Module`] host call and waits for
    /// the source (a string).
    pub fn add_module_loader(&mut self, name: &str) {
        self.host
            .module_loaders
            .borrow_mut()
            .insert(name.to_string());
    }

    /// The task id of the running chunk or call, if any.
    pub fn current_task(&self) -> Option<u64> {
        self.run.as_ref().map(|r| r.task)
    }

    /// The task id of the chunk or call started last (the one a
    /// `Finished`/`Error` step result belongs to).
    pub fn last_task(&self) -> u64 {
        self.last_task
    }

    /// Calls waiting for the running task to end.
    pub fn queued_calls(&self) -> usize {
        self.queue.len()
    }

    /// Calls `function` (a handle the host holds, or anything callable)
    /// with `args` as a task of its own, run by [`Runtime::step`] like a
    /// chunk: fuel limit, stop, host calls, errors. If a chunk or call is
    /// running, the call waits behind it (calls run in the order they were
    /// made). Returns the task id ([`Runtime::last_task`] tells whose result
    /// a step returned).
    pub fn call(&mut self, function: HostValue, args: Vec<HostValue>) -> Result<u64, LuaError> {
        self.check_usable()?;
        self.check_handle(&function)?;
        self.next_task += 1;
        let call = QueuedCall {
            task: self.next_task,
            function,
            args,
        };
        if self.run.is_none() && self.queue.is_empty() {
            self.start_call(call)?;
        } else {
            self.queue.push_back(call);
        }
        Ok(self.next_task)
    }

    fn check_handle(&self, v: &HostValue) -> Result<(), LuaError> {
        match v {
            HostValue::LuaFunction(id) | HostValue::LuaRef { id, .. }
                if !self.handles().contains(*id) =>
            {
                Err(LuaError::new(
                    ErrorKind::Runtime,
                    "this Lua value was released and can no longer be used",
                ))
            }
            _ => Ok(()),
        }
    }

    fn start_call(&mut self, call: QueuedCall) -> Result<(), LuaError> {
        self.last_task = call.task;
        self.check_handle(&call.function)?;
        let calls = self.host.calls.clone();
        let executor = &self.executor;
        let lua = &mut self.lua;
        let started = guard(|| {
            lua.enter(|ctx| {
                let (f, chunk) = resolve_function(ctx, &calls, &call.function)?;
                let args: Vec<Value<'_>> =
                    call.args.iter().map(|a| a.to_value(ctx, &calls)).collect();
                crate::interp::reset(ctx);
                ctx.fetch(executor).restart(ctx, f, Variadic(args));
                Ok(chunk)
            })
        });
        let chunk = match started {
            Ok(r) => r?,
            Err(e) => return Err(self.poison(e)),
        };
        self.run = Some(Run {
            chunk,
            fuel_used: 0,
            task: call.task,
        });
        Ok(())
    }

    /// Calls `function` with `args` at once, on an executor of its own, and
    /// returns its results. For handlers that must answer synchronously: it
    /// fails with [`ErrorKind::FuelLimit`] after `fuel_cap` units of work,
    /// and with a runtime error if the function waits on a host call (a
    /// promise, `sleep`) instead of blocking. A running chunk stays where it
    /// was and continues afterwards.
    pub fn call_sync(
        &mut self,
        function: &HostValue,
        args: &[HostValue],
        fuel_cap: u64,
    ) -> Result<Vec<HostValue>, LuaError> {
        self.check_handle(function)?;
        self.run_sync(fuel_cap, false, "callSync", |ctx, calls| {
            let (f, chunk) = resolve_function(ctx, calls, function)?;
            let args = args.iter().map(|a| a.to_value(ctx, calls)).collect();
            Ok((f, args, chunk))
        })
    }

    /// Reads a global or a dotted path of fields (`"config.window.width"`;
    /// integer segments are integer keys), running `__index` metamethods as
    /// Lua would. With `by_ref` a table or userdata comes back as a handle
    /// ([`HostValue::LuaRef`]), otherwise as a copy.
    pub fn get(&mut self, path: &str, by_ref: bool) -> Result<HostValue, LuaError> {
        check_path(path)?;
        let values = self.run_sync(OPERATION_FUEL, by_ref, "get", |ctx, _| {
            let mut args = vec![Value::Table(ctx.globals()), false.into(), Value::Nil];
            args.extend(path_keys(ctx, path));
            Ok((interop::path_op(ctx), args, "get".to_string()))
        })?;
        Ok(values.into_iter().next().unwrap_or(HostValue::Nil))
    }

    /// Sets a global or a dotted path of fields (`__newindex` runs, so
    /// writes into `_home` persist). Indexing a missing table is an error.
    pub fn set(&mut self, path: &str, value: &HostValue) -> Result<(), LuaError> {
        check_path(path)?;
        self.check_handle(value)?;
        self.run_sync(OPERATION_FUEL, false, "set", |ctx, calls| {
            let mut args = vec![
                Value::Table(ctx.globals()),
                true.into(),
                value.to_value(ctx, calls),
            ];
            args.extend(path_keys(ctx, path));
            Ok((interop::path_op(ctx), args, "set".to_string()))
        })?;
        Ok(())
    }

    /// `target[key]` for a table or userdata handle (metamethods run).
    pub fn get_field(
        &mut self,
        target: &HostValue,
        key: &HostValue,
        by_ref: bool,
    ) -> Result<HostValue, LuaError> {
        self.check_handle(target)?;
        let values = self.run_sync(OPERATION_FUEL, by_ref, "get", |ctx, calls| {
            let args = vec![
                target.to_value(ctx, calls),
                false.into(),
                Value::Nil,
                key.to_value(ctx, calls),
            ];
            Ok((interop::path_op(ctx), args, "get".to_string()))
        })?;
        Ok(values.into_iter().next().unwrap_or(HostValue::Nil))
    }

    /// `target[key] = value` for a table or userdata handle (metamethods run).
    pub fn set_field(
        &mut self,
        target: &HostValue,
        key: &HostValue,
        value: &HostValue,
    ) -> Result<(), LuaError> {
        self.check_handle(target)?;
        self.check_handle(value)?;
        if matches!(key, HostValue::Nil) {
            return Err(LuaError::new(ErrorKind::Runtime, "table index is nil"));
        }
        self.run_sync(OPERATION_FUEL, false, "set", |ctx, calls| {
            let args = vec![
                target.to_value(ctx, calls),
                true.into(),
                value.to_value(ctx, calls),
                key.to_value(ctx, calls),
            ];
            Ok((interop::path_op(ctx), args, "set".to_string()))
        })?;
        Ok(())
    }

    /// `#target` (with `__len`).
    pub fn length(&mut self, target: &HostValue) -> Result<HostValue, LuaError> {
        self.check_handle(target)?;
        let values = self.run_sync(OPERATION_FUEL, false, "length", |ctx, calls| {
            Ok((
                interop::len_op(ctx),
                vec![target.to_value(ctx, calls)],
                "length".to_string(),
            ))
        })?;
        Ok(values.into_iter().next().unwrap_or(HostValue::Nil))
    }

    /// The keys of a table (or of anything with `__pairs`, like `_home`).
    pub fn keys(&mut self, target: &HostValue) -> Result<Vec<HostValue>, LuaError> {
        self.check_handle(target)?;
        let values = self.run_sync(OPERATION_FUEL, false, "keys", |ctx, calls| {
            Ok((
                interop::keys_op(ctx),
                vec![target.to_value(ctx, calls)],
                "keys".to_string(),
            ))
        })?;
        Ok(match values.into_iter().next() {
            Some(HostValue::Table(entries)) => entries.into_iter().map(|(_, k)| k).collect(),
            _ => Vec::new(),
        })
    }

    /// A copy of a table handle's contents (what `run` would return for
    /// it). A userdata with `__pairs` (a `_home` table) is copied through
    /// its keys, nested ones too, up to [`crate::value::MAX_DEPTH`] levels.
    pub fn copy(&mut self, target: &HostValue) -> Result<HostValue, LuaError> {
        self.copy_at(target, 0)
    }

    fn copy_at(&mut self, target: &HostValue, depth: usize) -> Result<HostValue, LuaError> {
        self.check_handle(target)?;
        if let HostValue::LuaRef {
            type_name: "userdata",
            ..
        } = target
        {
            if depth >= crate::value::MAX_DEPTH {
                return Ok(HostValue::Opaque {
                    type_name: "userdata",
                    description: "userdata (nested too deeply)".into(),
                });
            }
            let mut entries = Vec::new();
            for key in self.keys(target)? {
                let v = self.get_field(target, &key, true)?;
                let copied = match &v {
                    HostValue::LuaRef { id, .. } => {
                        let c = self.copy_at(&v, depth + 1);
                        self.release(*id);
                        c?
                    }
                    _ => v,
                };
                entries.push((key, copied));
            }
            return Ok(HostValue::Table(entries));
        }
        let values = self.run_sync(OPERATION_FUEL, false, "copy", |ctx, calls| {
            let args = vec![target.to_value(ctx, calls), false.into(), Value::Nil];
            Ok((interop::path_op(ctx), args, "copy".to_string()))
        })?;
        Ok(values.into_iter().next().unwrap_or(HostValue::Nil))
    }

    /// Runs a function on an executor of its own, to the end, in bounded
    /// enters: at most `fuel_cap` fuel, and never waiting on the host.
    fn run_sync<F>(
        &mut self,
        fuel_cap: u64,
        by_ref: bool,
        what: &str,
        build: F,
    ) -> Result<Vec<HostValue>, LuaError>
    where
        F: for<'gc> FnOnce(
            Context<'gc>,
            &HostCalls,
        ) -> Result<(Function<'gc>, Vec<Value<'gc>>, String), LuaError>,
    {
        self.check_usable()?;
        let calls = self.host.calls.clone();
        let mark = calls.mark();
        let lua = &mut self.lua;
        let started = guard(|| {
            lua.enter(|ctx| {
                let (f, args, chunk) = build(ctx, &calls)?;
                Ok((ctx.stash(Executor::start(ctx, f, Variadic(args))), chunk))
            })
        });
        let (executor, chunk) = match started {
            Ok(r) => r?,
            Err(e) => return Err(self.poison(e)),
        };
        let with_chunk = |mut e: LuaError| {
            if e.chunk.is_none() {
                e.chunk = Some(chunk.clone());
            }
            e
        };
        let mut used: u64 = 0;
        loop {
            let mut fuel = Fuel::with(FUEL_PER_ENTER);
            let lua = &mut self.lua;
            let stepped = guard(|| lua.enter(|ctx| ctx.fetch(&executor).step(ctx, &mut fuel)));
            used += (FUEL_PER_ENTER - fuel.remaining()).max(1) as u64;
            self.flush_output();
            match stepped {
                Ok(true) => break,
                Ok(false) => {}
                Err(e) => return Err(self.poison(e)),
            }
            if calls.cancel_since(mark) > 0 {
                return Err(with_chunk(LuaError::new(
                    ErrorKind::Runtime,
                    format!(
                        "{what}: the function waited on a promise or host call; \
                         call it with call() instead"
                    ),
                )));
            }
            if used > fuel_cap {
                return Err(with_chunk(LuaError::new(
                    ErrorKind::FuelLimit,
                    format!("{what}: fuel cap of {fuel_cap} exceeded"),
                )));
            }
        }
        let lua = &mut self.lua;
        let result = guard(|| {
            lua.enter(|ctx| {
                let executor = ctx.fetch(&executor);
                match executor.mode() {
                    ExecutorMode::Result => {}
                    ExecutorMode::Suspended => {
                        return Err(LuaError::runtime(
                            &chunk,
                            "attempt to yield from outside a coroutine".into(),
                        ))
                    }
                    mode => {
                        return Err(LuaError::new(
                            ErrorKind::Internal,
                            format!("executor ended in mode {mode:?}"),
                        ))
                    }
                }
                match executor.take_result::<Variadic<Vec<Value<'_>>>>(ctx) {
                    Ok(Ok(values)) => Ok(values
                        .iter()
                        .map(|v| HostValue::export(ctx, *v, &calls, by_ref))
                        .collect()),
                    Ok(Err(err)) => {
                        let mut e = LuaError::runtime(&chunk, error_message(ctx, &err));
                        e.traceback = crate::interp::frames::take_traceback(ctx, &err);
                        Err(e)
                    }
                    Err(mode) => Err(LuaError::new(ErrorKind::Internal, mode.to_string())),
                }
            })
        });
        match result {
            Ok(r) => r.map_err(with_chunk),
            Err(e) => Err(self.poison(e)),
        }
    }
}

/// The message Lua would show for an uncaught error value.
pub fn error_message<'gc>(ctx: piccolo::Context<'gc>, err: &Error<'gc>) -> String {
    match err {
        Error::Lua(v) => match v.0 {
            Value::String(s) => s.to_str_lossy().into_owned(),
            Value::Integer(_) | Value::Number(_) => {
                match crate::stdlib::base::tostring_plain(ctx, v.0) {
                    Value::String(s) => s.to_str_lossy().into_owned(),
                    _ => unreachable!("tostring_plain returns a string"),
                }
            }
            Value::Nil => "nil".to_string(),
            other => format!("(error object is a {} value)", other.type_name()),
        },
        Error::Runtime(e) => e.to_string(),
    }
}

/// Runs `f`, turning a panic inside piccolo into an [`ErrorKind::Internal`]
/// error. On wasm32 a panic aborts instead (the JS layer then replaces the
/// instance); natively it is caught here.
fn guard<T>(f: impl FnOnce() -> T) -> Result<T, LuaError> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        LuaError::new(ErrorKind::Internal, format!("internal VM error: {detail}"))
    })
}
