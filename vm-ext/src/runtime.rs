//! [`Runtime`]: one Lua state, run in bounded slices.

use std::panic::{self, AssertUnwindSafe};

use piccolo::{
    Closure, Error, Executor, ExecutorMode, Fuel, Lua, StashedExecutor, Value, Variadic,
};

use crate::{
    error::{ErrorKind, LuaError},
    host::Host,
    stdlib,
    value::HostValue,
};

/// The most fuel spent inside one `Lua::enter`. piccolo collects garbage only
/// between enters, so a slice is several bounded enters, never one huge one.
pub const FUEL_PER_ENTER: i32 = 4096;

/// Options for [`Runtime::new`].
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// Total fuel one chunk may use before it is ended with
    /// [`ErrorKind::FuelLimit`]; `None` for no limit.
    pub fuel_limit: Option<u64>,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions { fuel_limit: None }
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
    /// No chunk is loaded.
    Idle,
}

struct Run {
    chunk: String,
    fuel_used: u64,
}

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
    host: Host,
    options: RuntimeOptions,
    run: Option<Run>,
    poisoned: bool,
    sink: Option<Box<dyn FnMut(&[u8])>>,
}

impl Runtime {
    pub fn new(options: RuntimeOptions) -> Self {
        Self::with_host(options, Host::default())
    }

    /// A runtime whose libraries use `host`'s services (files, stdin,
    /// environment, clock, exit, module sources); [`Runtime::new`] uses a
    /// sandboxed `Host::default()`.
    pub fn with_host(options: RuntimeOptions, host: Host) -> Self {
        let mut lua = Lua::core();
        let executor = lua.enter(|ctx| {
            stdlib::load_all(ctx, &host);
            ctx.stash(Executor::new(ctx))
        });
        Runtime {
            lua,
            executor,
            host,
            options,
            run: None,
            poisoned: false,
            sink: None,
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
        self.check_usable()?;
        if self.run.is_some() {
            return Err(LuaError::new(
                ErrorKind::Busy,
                "a chunk is already running; stop it or wait for it to finish",
            ));
        }
        let executor = &self.executor;
        let loaded = guard(|| {
            self.lua.enter(|ctx| {
                let closure = Closure::load(ctx, Some(chunk_name), source)
                    .map_err(|e| LuaError::from_prototype(chunk_name, &e))?;
                ctx.fetch(executor).restart(ctx, closure.into(), ());
                Ok(())
            })
        });
        match loaded {
            Ok(r) => r?,
            Err(e) => return Err(self.poison(e)),
        }
        self.run = Some(Run {
            chunk: chunk_name.to_string(),
            fuel_used: 0,
        });
        Ok(())
    }

    /// Runs the loaded chunk for about `fuel` units of work (one unit is
    /// roughly one VM instruction) and reports where it stands. Never runs
    /// unbounded: the work is split into enters of at most
    /// [`FUEL_PER_ENTER`], with output flushed after each.
    pub fn step(&mut self, fuel: i32) -> StepResult {
        if let Err(e) = self.check_usable() {
            return StepResult::Error(e);
        }
        if self.run.is_none() {
            return StepResult::Idle;
        }
        let mut remaining = fuel.max(1);
        loop {
            let budget = remaining.min(FUEL_PER_ENTER);
            let mut f = Fuel::with(budget);
            let executor = &self.executor;
            let lua = &mut self.lua;
            let stepped = guard(|| lua.enter(|ctx| ctx.fetch(executor).step(ctx, &mut f)));
            let used = (budget - f.remaining()).max(1);
            if let Some(run) = self.run.as_mut() {
                run.fuel_used += used as u64;
            }
            remaining -= used;
            self.flush_output();
            let done = match stepped {
                Ok(done) => done,
                Err(e) => return StepResult::Error(self.poison(e)),
            };
            let run = self.run.as_mut().expect("run checked above");
            if done {
                return self.finish();
            }
            if let Some(limit) = self.options.fuel_limit {
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

    /// Ends the running chunk; returns the "stopped" error for it.
    pub fn stop(&mut self) -> LuaError {
        let chunk = self.run.as_ref().map(|r| r.chunk.clone());
        if self.run.is_some() && !self.poisoned {
            self.reset_executor();
        }
        self.run = None;
        let mut err = LuaError::new(ErrorKind::Stopped, "stopped");
        err.chunk = chunk;
        err
    }

    fn reset_executor(&mut self) {
        let executor = &self.executor;
        let lua = &mut self.lua;
        if guard(|| lua.enter(|ctx| ctx.fetch(executor).stop(&ctx))).is_err() {
            self.poisoned = true;
        }
        self.run = None;
    }

    fn finish(&mut self) -> StepResult {
        let run = self.run.take().expect("finish needs a run");
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
                    Ok(Ok(values)) => {
                        Ok(values.iter().map(|v| HostValue::from_value(*v)).collect())
                    }
                    Ok(Err(err)) => Err(LuaError::runtime(&run.chunk, error_message(ctx, &err))),
                    Err(mode) => Err(LuaError::new(ErrorKind::Internal, mode.to_string())),
                }
            })
        });
        self.flush_output();
        match result {
            Ok(Ok(values)) => StepResult::Finished(values),
            Ok(Err(e)) => StepResult::Error(e),
            Err(e) => StepResult::Error(self.poison(e)),
        }
    }

    fn flush_output(&mut self) {
        if let Some(sink) = self.sink.as_mut() {
            if !self.host.output.is_empty() {
                sink(&self.host.output.take());
            }
        }
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
