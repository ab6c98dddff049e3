//! Driving Lua from the host and lending host objects to Lua.
//!
//! - [`Handles`]: Lua values (functions, tables, userdata) the host holds by
//!   integer id. Each entry is a stashed root, so the value lives until the
//!   host releases the id; no `'gc` value is held outside `Lua::enter`.
//! - [`HostObjects`]: the host's object model (JS objects in the browser),
//!   lent to Lua by reference as userdata whose fields are read and written
//!   through `__index`/`__newindex`, whose functions are called with `:`
//!   (the first argument is `this`), and whose pending results (promises)
//!   Lua waits on like any host call.
//! - The `js` library ([`load_js`]): `js.global`, `js.new`, `js.typeof`,
//!   `js.instanceof`, `js.await`; opt-in, because it hands scripts the
//!   host's authority.
//! - Path, length and key operations used by [`crate::Runtime`]'s
//!   `get`/`set`/table methods, written as sequences so metamethods (the
//!   `_home` proxies, user `__index`) run like they do from Lua.
//!
//! Everything here uses piccolo's runtime types only (values, callbacks,
//! sequences, userdata), so it works with either interpreter core.

use std::{cell::RefCell, collections::HashMap, rc::Rc};

use gc_arena::{Collect, Rootable};
use piccolo::{
    meta_ops::{self, MetaResult},
    BoxSequence, Callback, CallbackReturn, Context, Error, Execution, Function, Sequence,
    SequencePoll, Singleton, Stack, StaticValue, Table, UserData, Value,
};

use crate::{
    host_call::{wait_for_host, HostCalls, HostTarget},
    stdlib::{
        check::{with_position, with_position_foreign},
        lua_error,
    },
    value::HostValue,
};

#[derive(Default)]
struct HandleState {
    enabled: bool,
    next: u64,
    values: HashMap<u64, StaticValue>,
}

/// Lua values the host holds by id (see the module docs).
#[derive(Clone, Default)]
pub struct Handles(Rc<RefCell<HandleState>>);

impl Handles {
    /// Whether values leaving the VM become handles ([`HostValue::export`]);
    /// off by default so hosts that only read results (the CLI) hold nothing.
    pub fn enabled(&self) -> bool {
        self.0.borrow().enabled
    }

    /// Turns handle creation on or off.
    pub fn set_enabled(&self, enabled: bool) {
        self.0.borrow_mut().enabled = enabled;
    }

    /// Keeps `value` alive under a new id.
    pub fn insert<'gc>(&self, ctx: Context<'gc>, value: Value<'gc>) -> u64 {
        let stashed = ctx.stash(value);
        let mut s = self.0.borrow_mut();
        s.next += 1;
        let id = s.next;
        s.values.insert(id, stashed);
        id
    }

    /// The value behind `id`, if it was not released.
    pub fn fetch<'gc>(&self, ctx: Context<'gc>, id: u64) -> Option<Value<'gc>> {
        self.0.borrow().values.get(&id).map(|v| ctx.fetch(v))
    }

    /// Whether `id` is held.
    pub fn contains(&self, id: u64) -> bool {
        self.0.borrow().values.contains_key(&id)
    }

    /// Lets the Lua side collect the value behind `id` (unless Lua still
    /// refers to it). Returns false if `id` was not held.
    pub fn release(&self, id: u64) -> bool {
        self.0.borrow_mut().values.remove(&id).is_some()
    }

    /// How many handles are held.
    pub fn len(&self) -> usize {
        self.0.borrow().values.len()
    }

    /// Whether no handle is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a call into the host answered.
#[derive(Debug, Clone, PartialEq)]
pub enum HostReply {
    /// The call returned these values.
    Values(Vec<HostValue>),
    /// The call returned a pending result (a promise) with this token: Lua
    /// waits on a [`HostTarget::Await`] host call for it.
    Pending(u64),
}

/// The host's object model, for objects lent to Lua by reference. Ids are
/// the host's; each id reaches Lua once, as one userdata, and is released
/// ([`HostObjects::release`]) when Lua collects that userdata. Errors are
/// the host's messages (a JS exception's message) and become Lua errors.
pub trait HostObjects {
    /// The host's global object (`js.global`).
    fn global(&self) -> HostValue;
    /// `obj[key]`.
    fn get(&self, id: u64, key: HostValue) -> Result<HostValue, String>;
    /// `obj[key] = value`.
    fn set(&self, id: u64, key: HostValue, value: HostValue) -> Result<(), String>;
    /// Calls object `id` (a function) with `this` and `args`.
    fn call(&self, id: u64, this: HostValue, args: Vec<HostValue>) -> Result<HostReply, String>;
    /// `new obj(...args)`.
    fn construct(&self, id: u64, args: Vec<HostValue>) -> Result<HostValue, String>;
    /// The object's own enumerable keys (for `pairs`).
    fn keys(&self, id: u64) -> Result<Vec<HostValue>, String>;
    /// JS `typeof` of the object.
    fn type_of(&self, id: u64) -> String;
    /// `value instanceof ctor`.
    fn instance_of(&self, id: u64, ctor: u64) -> Result<bool, String>;
    /// Waits on the object if it is a promise (thenable); `None` if it is not.
    fn await_object(&self, id: u64) -> Option<u64>;
    /// The text `tostring` shows.
    fn describe(&self, id: u64) -> String;
    /// Lua no longer refers to `id`.
    fn release(&self, id: u64);
}

/// The payload of a host object userdata.
struct HostObjectRef {
    id: u64,
    calls: HostCalls,
}

impl Drop for HostObjectRef {
    fn drop(&mut self) {
        if let Some(objects) = self.calls.objects() {
            objects.release(self.id);
        }
    }
}

/// The host object id behind `value`, if it is a host object userdata.
pub fn host_object_id(value: Value<'_>) -> Option<u64> {
    match value {
        Value::UserData(u) => u.downcast_static::<HostObjectRef>().ok().map(|r| r.id),
        _ => None,
    }
}

/// The userdata for host object `id` (created once per id by the host).
pub fn host_object<'gc>(ctx: Context<'gc>, calls: &HostCalls, id: u64) -> Value<'gc> {
    let ud = UserData::new_static(
        &ctx,
        HostObjectRef {
            id,
            calls: calls.clone(),
        },
    );
    ud.set_metatable(&ctx, Some(ctx.singleton::<Rootable![ObjectMeta<'_>]>().0));
    Value::UserData(ud)
}

#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
struct ObjectMeta<'gc>(Table<'gc>);

impl<'gc> Singleton<'gc> for ObjectMeta<'gc> {
    fn create(ctx: Context<'gc>) -> Self {
        let mt = Table::new(&ctx);
        let set = |name: &'static str, cb: Callback<'gc>| {
            let _ = mt.set(ctx, name, with_position_foreign(ctx, cb));
        };
        set("__index", Callback::from_fn(&ctx, object_index));
        set("__newindex", Callback::from_fn(&ctx, object_newindex));
        set("__call", Callback::from_fn(&ctx, object_call));
        set("__len", Callback::from_fn(&ctx, object_len));
        set("__pairs", Callback::from_fn(&ctx, object_pairs));
        set(
            "__tostring",
            Callback::from_fn(&ctx, |ctx, _, mut stack| {
                let (r, objects) = this_object(ctx, stack.get(0))?;
                let text = objects.describe(r.id);
                stack.replace(ctx, ctx.intern(text.as_bytes()));
                Ok(CallbackReturn::Return)
            }),
        );
        let _ = mt.set(ctx, "__name", "js object");
        let _ = mt.set(ctx, "__metatable", "js object");
        ObjectMeta(mt)
    }
}

type ObjectOf<'gc> = (&'gc HostObjectRef, Rc<dyn HostObjects>);

fn this_object<'gc>(ctx: Context<'gc>, v: Value<'gc>) -> Result<ObjectOf<'gc>, Error<'gc>> {
    let r = match v {
        Value::UserData(u) => u.downcast_static::<HostObjectRef>().ok(),
        _ => None,
    }
    .ok_or_else(|| lua_error(ctx, "bad argument #1 (js object expected)"))?;
    let objects = r
        .calls
        .objects()
        .ok_or_else(|| lua_error(ctx, "this host lends no objects"))?;
    Ok((r, objects))
}

fn host_err<'gc>(ctx: Context<'gc>, message: String) -> Error<'gc> {
    lua_error(ctx, message)
}

fn object_index<'gc>(
    ctx: Context<'gc>,
    _: Execution<'gc, '_>,
    mut stack: Stack<'gc, '_>,
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    let (r, objects) = this_object(ctx, stack.get(0))?;
    let key = HostValue::export(ctx, stack.get(1), &r.calls, false);
    let v = objects.get(r.id, key).map_err(|m| host_err(ctx, m))?;
    stack.replace(ctx, v.to_value(ctx, &r.calls));
    Ok(CallbackReturn::Return)
}

fn object_newindex<'gc>(
    ctx: Context<'gc>,
    _: Execution<'gc, '_>,
    mut stack: Stack<'gc, '_>,
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    let (r, objects) = this_object(ctx, stack.get(0))?;
    let key = HostValue::export(ctx, stack.get(1), &r.calls, false);
    let value = HostValue::export(ctx, stack.get(2), &r.calls, false);
    objects
        .set(r.id, key, value)
        .map_err(|m| host_err(ctx, m))?;
    stack.clear();
    Ok(CallbackReturn::Return)
}

fn reply<'gc>(
    ctx: Context<'gc>,
    exec: &mut Execution<'gc, '_>,
    stack: &mut Stack<'gc, '_>,
    calls: &HostCalls,
    reply: HostReply,
) -> CallbackReturn<'gc> {
    match reply {
        HostReply::Values(values) => {
            stack.clear();
            for v in &values {
                stack.push_back(v.to_value(ctx, calls));
            }
            CallbackReturn::Return
        }
        HostReply::Pending(token) => {
            stack.clear();
            wait_for_host(ctx, exec, calls, HostTarget::Await(token), Vec::new())
        }
    }
}

fn object_call<'gc>(
    ctx: Context<'gc>,
    mut exec: Execution<'gc, '_>,
    mut stack: Stack<'gc, '_>,
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    let (r, objects) = this_object(ctx, stack.get(0))?;
    let this = HostValue::export(ctx, stack.get(1), &r.calls, false);
    let args: Vec<HostValue> = stack
        .drain(..)
        .skip(2)
        .map(|v| HostValue::export(ctx, v, &r.calls, false))
        .collect();
    let answer = objects
        .call(r.id, this, args)
        .map_err(|m| host_err(ctx, m))?;
    Ok(reply(ctx, &mut exec, &mut stack, &r.calls, answer))
}

fn object_len<'gc>(
    ctx: Context<'gc>,
    _: Execution<'gc, '_>,
    mut stack: Stack<'gc, '_>,
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    let (r, objects) = this_object(ctx, stack.get(0))?;
    let v = objects
        .get(r.id, HostValue::String(b"length".to_vec()))
        .map_err(|m| host_err(ctx, m))?;
    stack.replace(ctx, v.to_value(ctx, &r.calls));
    Ok(CallbackReturn::Return)
}

fn object_pairs<'gc>(
    ctx: Context<'gc>,
    _: Execution<'gc, '_>,
    mut stack: Stack<'gc, '_>,
) -> Result<CallbackReturn<'gc>, Error<'gc>> {
    let this = stack.get(0);
    let (r, objects) = this_object(ctx, this)?;
    let keys = objects.keys(r.id).map_err(|m| host_err(ctx, m))?;
    // state = { [0] = position, [1..n] = keys }; the iterator reads each
    // value when it gets there, so it sees the object as it is then.
    let state = Table::new(&ctx);
    for (i, k) in keys.iter().enumerate() {
        state.set(ctx, i as i64 + 1, k.to_value(ctx, &r.calls))?;
    }
    state.set(ctx, 0, 0)?;
    let iter = Callback::from_fn_with(&ctx, this, |this, ctx, _, mut stack| {
        let Value::Table(state) = stack.get(0) else {
            return Err(lua_error(ctx, "bad iterator state"));
        };
        let (r, objects) = this_object(ctx, *this)?;
        let pos = match state.get(ctx, 0) {
            Value::Integer(i) => i + 1,
            _ => 1,
        };
        state.set(ctx, 0, pos)?;
        let key = state.get(ctx, pos);
        if key.is_nil() {
            stack.replace(ctx, Value::Nil);
            return Ok(CallbackReturn::Return);
        }
        let v = objects
            .get(r.id, HostValue::export(ctx, key, &r.calls, false))
            .map_err(|m| host_err(ctx, m))?;
        stack.replace(ctx, (key, v.to_value(ctx, &r.calls)));
        Ok(CallbackReturn::Return)
    });
    stack.replace(ctx, (iter, state, Value::Nil));
    Ok(CallbackReturn::Return)
}

/// Installs the `js` library (`js.global`, `js.new`, `js.typeof`,
/// `js.instanceof`, `js.await`) as a global and in `package.loaded`.
/// Needs a host that lends objects ([`HostCalls::set_objects`]).
pub fn load_js<'gc>(ctx: Context<'gc>, calls: &HostCalls) {
    let js = Table::new(&ctx);
    if let Some(objects) = calls.objects() {
        let _ = js.set(ctx, "global", objects.global().to_value(ctx, calls));
    }
    let c = calls.clone();
    let new = Callback::from_fn(&ctx, move |ctx, _, mut stack| {
        let (r, objects) = this_object(ctx, stack.get(0))
            .map_err(|_| lua_error(ctx, "bad argument #1 to 'new' (js object expected)"))?;
        let args = stack
            .drain(..)
            .skip(1)
            .map(|v| HostValue::export(ctx, v, &c, false))
            .collect();
        let v = objects
            .construct(r.id, args)
            .map_err(|m| host_err(ctx, m))?;
        stack.replace(ctx, v.to_value(ctx, &c));
        Ok(CallbackReturn::Return)
    });
    let type_of = Callback::from_fn(&ctx, |ctx, _, mut stack| {
        let v = stack.get(0);
        let name = match this_object(ctx, v) {
            Ok((r, objects)) => objects.type_of(r.id),
            Err(_) => match v {
                Value::Nil => "undefined".into(),
                Value::Boolean(_) => "boolean".into(),
                Value::Integer(_) | Value::Number(_) => "number".into(),
                Value::String(_) => "string".into(),
                Value::Function(_) => "function".into(),
                _ => "object".into(),
            },
        };
        stack.replace(ctx, ctx.intern(name.as_bytes()));
        Ok(CallbackReturn::Return)
    });
    let instance_of = Callback::from_fn(&ctx, |ctx, _, mut stack| {
        let ctor = match this_object(ctx, stack.get(1)) {
            Ok((r, _)) => r.id,
            Err(_) => {
                return Err(lua_error(
                    ctx,
                    "bad argument #2 to 'instanceof' (js object expected)",
                ))
            }
        };
        let result = match this_object(ctx, stack.get(0)) {
            Ok((r, objects)) => objects
                .instance_of(r.id, ctor)
                .map_err(|m| host_err(ctx, m))?,
            Err(_) => false,
        };
        stack.replace(ctx, result);
        Ok(CallbackReturn::Return)
    });
    let c = calls.clone();
    let await_fn = Callback::from_fn(&ctx, move |ctx, mut exec, mut stack| {
        let v = stack.get(0);
        if let Ok((r, objects)) = this_object(ctx, v) {
            if let Some(token) = objects.await_object(r.id) {
                return Ok(reply(
                    ctx,
                    &mut exec,
                    &mut stack,
                    &c,
                    HostReply::Pending(token),
                ));
            }
        }
        stack.replace(ctx, v);
        Ok(CallbackReturn::Return)
    });
    for (name, f) in [
        ("new", new),
        ("typeof", type_of),
        ("instanceof", instance_of),
        ("await", await_fn),
    ] {
        let _ = js.set(ctx, name, with_position(ctx, f));
    }
    let _ = ctx.set_global("js", js);
    if let Value::Table(package) = ctx.globals().get(ctx, "package") {
        if let Value::Table(loaded) = package.get(ctx, "loaded") {
            let _ = loaded.set(ctx, "js", js);
        }
    }
}

/// How a [`path_op`] walk ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Collect)]
#[collect(require_static)]
enum Phase {
    Walk,
    /// Waiting for an `__index` call's result.
    Indexed,
    /// The `__newindex` call ran.
    Assigned,
}

#[derive(Collect)]
#[collect(no_drop)]
struct Walk<'gc> {
    current: Value<'gc>,
    keys: Vec<Value<'gc>>,
    next: usize,
    assign: Option<Value<'gc>>,
    phase: Phase,
}

fn describe_key(key: Value<'_>) -> String {
    match key {
        Value::String(s) => s.to_str_lossy().into_owned(),
        Value::Integer(i) => i.to_string(),
        Value::Number(n) => crate::number::float_to_string(n),
        Value::Boolean(b) => b.to_string(),
        other => other.type_name().to_string(),
    }
}

impl<'gc> Walk<'gc> {
    fn path(&self, upto: usize) -> String {
        let names: Vec<String> = self.keys[..upto].iter().map(|k| describe_key(*k)).collect();
        names.join(".")
    }

    fn type_error(&self, ctx: Context<'gc>) -> Error<'gc> {
        let what = if self.next == 0 {
            "the value".to_string()
        } else {
            format!("'{}'", self.path(self.next))
        };
        lua_error(
            ctx,
            format!(
                "cannot index {what} (a {} value) with '{}'",
                self.current.type_name(),
                describe_key(self.keys[self.next])
            ),
        )
    }
}

impl<'gc> Sequence<'gc> for Walk<'gc> {
    fn poll(
        &mut self,
        ctx: Context<'gc>,
        _exec: Execution<'gc, '_>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        match self.phase {
            Phase::Indexed => {
                self.current = stack.get(0);
                self.phase = Phase::Walk;
            }
            Phase::Assigned => {
                stack.clear();
                return Ok(SequencePoll::Return);
            }
            Phase::Walk => {}
        }
        loop {
            let last = self.next + 1 == self.keys.len();
            if self.next == self.keys.len() {
                stack.replace(ctx, self.current);
                return Ok(SequencePoll::Return);
            }
            let key = self.keys[self.next];
            if let (true, Some(value)) = (last, self.assign) {
                let call = meta_ops::new_index(ctx, self.current, key, value).map_err(|e| {
                    if e.0.downcast_ref::<piccolo::TypeError>().is_some() {
                        self.type_error(ctx)
                    } else {
                        lua_error(ctx, e.to_string())
                    }
                })?;
                stack.clear();
                return Ok(match call {
                    None => SequencePoll::Return,
                    Some(call) => {
                        stack.extend(call.args);
                        self.phase = Phase::Assigned;
                        SequencePoll::Call {
                            function: call.function,
                            is_tail: false,
                        }
                    }
                });
            }
            match meta_ops::index(ctx, self.current, key).map_err(|_| self.type_error(ctx))? {
                MetaResult::Value(v) => {
                    self.current = v;
                    self.next += 1;
                }
                MetaResult::Call(call) => {
                    self.next += 1;
                    self.phase = Phase::Indexed;
                    stack.clear();
                    stack.extend(call.args);
                    return Ok(SequencePoll::Call {
                        function: call.function,
                        is_tail: false,
                    });
                }
            }
        }
    }
}

/// A function `(root, assign, value, k1, k2, ...)`: with `assign` false it
/// returns `root[k1][k2]...`; with `assign` true it sets the last key to
/// `value`. Metamethods run as they would from Lua; indexing a value that
/// cannot be indexed is an error naming the path.
pub fn path_op<'gc>(ctx: Context<'gc>) -> Function<'gc> {
    Callback::from_fn(&ctx, |ctx, _, mut stack| {
        let root = stack.get(0);
        let assign = stack.get(1).to_bool();
        let value = stack.get(2);
        let keys: Vec<Value<'gc>> = stack.drain(..).skip(3).collect();
        Ok(CallbackReturn::Sequence(BoxSequence::new(
            &ctx,
            Walk {
                current: root,
                keys,
                next: 0,
                assign: assign.then_some(value),
                phase: Phase::Walk,
            },
        )))
    })
    .into()
}

/// A function `(v)` returning `#v` (with `__len`).
pub fn len_op<'gc>(ctx: Context<'gc>) -> Function<'gc> {
    Callback::from_fn(&ctx, |ctx, _, mut stack| {
        let v = stack.get(0);
        match meta_ops::len(ctx, v)? {
            MetaResult::Value(n) => {
                stack.replace(ctx, n);
                Ok(CallbackReturn::Return)
            }
            MetaResult::Call(call) => {
                stack.clear();
                stack.extend(call.args);
                Ok(CallbackReturn::Call {
                    function: call.function,
                    then: None,
                })
            }
        }
    })
    .into()
}

#[derive(Collect, Clone, Copy, PartialEq, Eq)]
#[collect(require_static)]
enum KeysPhase {
    Start,
    AfterPairs,
    AfterIter,
}

#[derive(Collect)]
#[collect(no_drop)]
struct Keys<'gc> {
    target: Value<'gc>,
    out: Table<'gc>,
    n: i64,
    iter: Option<(Function<'gc>, Value<'gc>)>,
    phase: KeysPhase,
}

/// Keys beyond this many are not listed (a runaway `__pairs`).
const MAX_KEYS: i64 = 1 << 24;

impl<'gc> Sequence<'gc> for Keys<'gc> {
    fn poll(
        &mut self,
        ctx: Context<'gc>,
        _exec: Execution<'gc, '_>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        let control = match self.phase {
            KeysPhase::Start => {
                let meta = match self.target {
                    Value::Table(t) => t.metatable(),
                    Value::UserData(u) => u.metatable(),
                    _ => None,
                };
                let pairs = meta.map_or(Value::Nil, |m| m.get(ctx, "__pairs"));
                if !pairs.is_nil() {
                    self.phase = KeysPhase::AfterPairs;
                    stack.replace(ctx, self.target);
                    return Ok(SequencePoll::Call {
                        function: meta_ops::call(ctx, pairs)?,
                        is_tail: false,
                    });
                }
                let Value::Table(t) = self.target else {
                    return Err(lua_error(
                        ctx,
                        format!(
                            "cannot list the keys of a {} value",
                            self.target.type_name()
                        ),
                    ));
                };
                let weak = crate::weak::entries(ctx, t);
                let raw = t.iter().take(if weak.is_some() { 0 } else { usize::MAX });
                for (k, _) in raw.chain(weak.into_iter().flatten()) {
                    self.n += 1;
                    self.out.set(ctx, self.n, k)?;
                }
                stack.replace(ctx, self.out);
                return Ok(SequencePoll::Return);
            }
            KeysPhase::AfterPairs => {
                let f = meta_ops::call(ctx, stack.get(0))?;
                self.iter = Some((f, stack.get(1)));
                stack.get(2)
            }
            KeysPhase::AfterIter => {
                let k = stack.get(0);
                if k.is_nil() || self.n >= MAX_KEYS {
                    stack.replace(ctx, self.out);
                    return Ok(SequencePoll::Return);
                }
                self.n += 1;
                self.out.set(ctx, self.n, k)?;
                k
            }
        };
        let (f, state) = self.iter.expect("iterator is set after __pairs");
        self.phase = KeysPhase::AfterIter;
        stack.replace(ctx, (state, control));
        Ok(SequencePoll::Call {
            function: f,
            is_tail: false,
        })
    }
}

/// A function `(v)` returning a sequence of `v`'s keys, through `__pairs`
/// when it has one.
pub fn keys_op<'gc>(ctx: Context<'gc>) -> Function<'gc> {
    Callback::from_fn(&ctx, |ctx, _, stack| {
        let target = stack.get(0);
        Ok(CallbackReturn::Sequence(BoxSequence::new(
            &ctx,
            Keys {
                target,
                out: Table::new(&ctx),
                n: 0,
                iter: None,
                phase: KeysPhase::Start,
            },
        )))
    })
    .into()
}
