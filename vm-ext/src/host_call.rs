//! Calls from Lua out to the host that may take time (a JS promise, a sleep).
//!
//! A host function is a Lua callback that queues a [`HostCallRequest`] and
//! returns a pending `Sequence`. While the request is outstanding the sequence
//! interrupts the fuel, so [`crate::Runtime::step`] returns
//! [`crate::StepResult::Waiting`] and runs nothing until the host settles the
//! call with [`crate::Runtime::resolve_host_call`]. Because the wait is an
//! ordinary sequence frame, it works at any depth: inside `pcall`, inside
//! coroutines, inside metamethods.

use std::{cell::RefCell, collections::HashMap, rc::Rc};

use gc_arena::Collect;
use piccolo::{
    BoxSequence, Callback, CallbackReturn, Context, Error, Execution, Sequence, SequencePoll, Stack,
};

use crate::{
    interop::{Handles, HostObjects},
    value::HostValue,
};

/// What a host call invokes.
#[derive(Debug, Clone, PartialEq)]
pub enum HostTarget {
    /// A function registered by name (`lua.register(name, fn)` in JS).
    Named(String),
    /// A host function that was passed into Lua as a value (see
    /// [`HostValue::HostFunction`]).
    Function(u64),
    /// A pending host result (a JS promise) that Lua waits on: the token
    /// [`crate::interop::HostObjects`] returned in [`crate::interop::HostReply::Pending`].
    /// Its result is converted by reference (objects stay host objects).
    Await(u64),
    /// The source of a module the host provides lazily (`require(name)`);
    /// settle it with the source as a string.
    Module(String),
}

/// One outstanding call from Lua to the host.
#[derive(Debug, Clone, PartialEq)]
pub struct HostCallRequest {
    pub id: u64,
    pub target: HostTarget,
    pub args: Vec<HostValue>,
}

/// How the host settled a call.
#[derive(Debug, Clone, PartialEq)]
pub enum HostCallOutcome {
    Return(Vec<HostValue>),
    /// Raised in Lua as this error value (catchable with `pcall`).
    Error(HostValue),
}

#[derive(Default)]
struct State {
    next_id: u64,
    queued: Vec<HostCallRequest>,
    /// Calls handed to the host and not settled yet.
    in_flight: Vec<u64>,
    settled: HashMap<u64, HostCallOutcome>,
}

/// The bridge shared between the runtime and the callbacks it installs:
/// the queue of host calls, the registry of Lua values the host holds by
/// handle, and the host's object model (if it lends objects by reference).
#[derive(Clone, Default)]
pub struct HostCalls {
    state: Rc<RefCell<State>>,
    handles: Handles,
    objects: Rc<RefCell<Option<Rc<dyn HostObjects>>>>,
}

impl HostCalls {
    /// The registry of Lua values the host holds by handle.
    pub fn handles(&self) -> &Handles {
        &self.handles
    }

    /// The host's objects, if it lends any by reference.
    pub fn objects(&self) -> Option<Rc<dyn HostObjects>> {
        self.objects.borrow().clone()
    }

    /// Sets the host's object model (see [`HostObjects`]).
    pub fn set_objects(&self, objects: Rc<dyn HostObjects>) {
        *self.objects.borrow_mut() = Some(objects);
    }

    /// The id the next call will get; with [`HostCalls::cancel_since`] a
    /// caller can undo every call made after this point.
    pub fn mark(&self) -> u64 {
        self.state.borrow().next_id
    }

    /// Forgets the calls made after `mark` (queued, in flight or settled);
    /// returns how many there were.
    pub fn cancel_since(&self, mark: u64) -> usize {
        let mut s = self.state.borrow_mut();
        let before = s.in_flight.len();
        s.queued.retain(|c| c.id <= mark);
        s.in_flight.retain(|id| *id <= mark);
        s.settled.retain(|id, _| *id <= mark);
        before - s.in_flight.len()
    }

    fn enqueue(&self, target: HostTarget, args: Vec<HostValue>) -> u64 {
        let mut s = self.state.borrow_mut();
        s.next_id += 1;
        let id = s.next_id;
        s.queued.push(HostCallRequest { id, target, args });
        s.in_flight.push(id);
        id
    }

    /// Requests queued since the last call; the host must settle each one.
    pub fn take_requests(&self) -> Vec<HostCallRequest> {
        std::mem::take(&mut self.state.borrow_mut().queued)
    }

    /// Whether Lua is waiting on a call the host has not settled.
    pub fn is_waiting(&self) -> bool {
        let s = self.state.borrow();
        s.in_flight.iter().any(|id| !s.settled.contains_key(id))
    }

    /// Settles call `id`; returns false if no such call is outstanding.
    pub fn settle(&self, id: u64, outcome: HostCallOutcome) -> bool {
        let mut s = self.state.borrow_mut();
        if !s.in_flight.contains(&id) || s.settled.contains_key(&id) {
            return false;
        }
        s.settled.insert(id, outcome);
        true
    }

    fn take_outcome(&self, id: u64) -> Option<HostCallOutcome> {
        let mut s = self.state.borrow_mut();
        let outcome = s.settled.remove(&id)?;
        s.in_flight.retain(|i| *i != id);
        Some(outcome)
    }

    /// Forgets every call (the chunk was stopped).
    pub fn clear(&self) {
        let mut s = self.state.borrow_mut();
        s.queued.clear();
        s.in_flight.clear();
        s.settled.clear();
    }
}

/// Queues a call of `target` with `args` and returns the sequence that waits
/// for its outcome (for callbacks that end in a host call). The outcome's
/// values replace the stack; a rejection is raised as a Lua error.
pub fn wait_for_host<'gc>(
    ctx: Context<'gc>,
    exec: &mut Execution<'gc, '_>,
    calls: &HostCalls,
    target: HostTarget,
    args: Vec<HostValue>,
) -> CallbackReturn<'gc> {
    #[derive(Collect)]
    #[collect(require_static)]
    struct Wait {
        id: u64,
        calls: HostCalls,
    }

    impl<'gc> Sequence<'gc> for Wait {
        fn poll(
            &mut self,
            ctx: Context<'gc>,
            mut exec: Execution<'gc, '_>,
            mut stack: Stack<'gc, '_>,
        ) -> Result<SequencePoll<'gc>, Error<'gc>> {
            match self.calls.take_outcome(self.id) {
                None => {
                    exec.fuel().interrupt();
                    Ok(SequencePoll::Pending)
                }
                Some(HostCallOutcome::Return(values)) => {
                    stack.clear();
                    for v in &values {
                        stack.push_back(v.to_value(ctx, &self.calls));
                    }
                    Ok(SequencePoll::Return)
                }
                Some(HostCallOutcome::Error(e)) => Err(e.to_value(ctx, &self.calls).into()),
            }
        }
    }

    let id = calls.enqueue(target, args);
    exec.fuel().interrupt();
    CallbackReturn::Sequence(BoxSequence::new(
        &ctx,
        Wait {
            id,
            calls: calls.clone(),
        },
    ))
}

/// A Lua function that calls `target` on the host and waits for the outcome.
pub fn host_function<'gc>(
    ctx: Context<'gc>,
    calls: &HostCalls,
    target: HostTarget,
) -> Callback<'gc> {
    let calls = calls.clone();
    Callback::from_fn(&ctx, move |ctx, mut exec, mut stack| {
        let args = stack
            .drain(..)
            .map(|v| HostValue::export(ctx, v, &calls, false))
            .collect();
        Ok(wait_for_host(ctx, &mut exec, &calls, target.clone(), args))
    })
}
