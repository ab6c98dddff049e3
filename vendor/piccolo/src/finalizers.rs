use gc_arena::{lock::RefLock, Collect, Finalization, Gc, GcWeak, Mutation};

use crate::{
    table::TableInner, thread::ThreadInner, userdata::UserDataInner, Context, Table, Thread,
    UserData, Value,
};

/// luahome patch: what a weak-table hook ([`Finalizers::set_weak_hook`]) is asked to do once
/// the arena is fully marked.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum WeakPhase {
    /// Ephemerons: resurrect what a weak-key table holds under keys that are alive; return
    /// whether anything was resurrected (the arena is then re-marked and the hook asked again,
    /// until nothing changes).
    Converge,
    /// Forget weak values that the marking found dead, before objects marked for
    /// finalization are resurrected (Lua clears them before running finalizers).
    ClearValues,
}

/// luahome patch: a hook the embedder installs for its weak tables.
pub type WeakHook = for<'gc> fn(Context<'gc>, &'gc Finalization<'gc>, WeakPhase) -> bool;

#[derive(Copy, Clone, Collect)]
#[collect(no_drop)]
pub struct Finalizers<'gc>(Gc<'gc, RefLock<FinalizersState<'gc>>>);

impl<'gc> Finalizers<'gc> {
    const THREAD_ERR: &'static str = "thread finalization was missed";

    pub(crate) fn new(mc: &Mutation<'gc>) -> Self {
        Finalizers(Gc::new(mc, RefLock::default()))
    }

    pub(crate) fn register_thread(&self, mc: &Mutation<'gc>, ptr: Gc<'gc, ThreadInner<'gc>>) {
        self.0.borrow_mut(mc).threads.push(Gc::downgrade(ptr));
    }

    /// luahome patch: marks a table or userdata for finalization (Lua's `__gc`): once a
    /// collection finds it unreachable, it is kept alive (with everything it refers to) and
    /// queued for [`Finalizers::take_pending`] instead of being freed. Marking an object twice,
    /// or another kind of value, does nothing. Returns whether it was marked now.
    pub fn register_object(&self, mc: &Mutation<'gc>, v: Value<'gc>) -> bool {
        let obj = match v {
            Value::Table(t) => Finalizable::Table(Gc::downgrade(t.into_inner())),
            Value::UserData(u) => Finalizable::UserData(Gc::downgrade(u.into_inner())),
            _ => return false,
        };
        let mut state = self.0.borrow_mut(mc);
        if state.closed {
            return false;
        }
        let addr = obj.addr();
        if !state.marked.insert(addr) {
            return false;
        }
        state.objects.push(obj);
        true
    }

    /// luahome patch: installs the hook that keeps weak tables' entries in step with the
    /// collector (ephemerons, weak values cleared before finalization).
    pub fn set_weak_hook(&self, mc: &Mutation<'gc>, hook: WeakHook) {
        self.0.borrow_mut(mc).weak_hook = Some(hook);
    }

    /// luahome patch: the installed weak-table hook.
    pub(crate) fn weak_hook(&self) -> Option<WeakHook> {
        self.0.borrow().weak_hook
    }

    /// luahome patch: for closing a state (Lua's `lua_close`): every object still marked for
    /// finalization is queued, newest first, whether reachable or not, and objects marked from
    /// now on are not (as PUC Lua ignores `__gc` set while closing).
    pub fn pend_all(&self, mc: &Mutation<'gc>) {
        let mut state = self.0.borrow_mut(mc);
        let state = &mut *state;
        state.closed = true;
        let objects = std::mem::take(&mut state.objects);
        state.marked.clear();
        for obj in objects.into_iter().rev() {
            let value = match obj {
                Finalizable::Table(w) => w.upgrade(mc).map(|t| Value::Table(Table::from_inner(t))),
                Finalizable::UserData(w) => w
                    .upgrade(mc)
                    .map(|u| Value::UserData(UserData::from_inner(u))),
            };
            state.pending.extend(value);
        }
    }

    /// luahome patch: whether objects wait for their finalizers.
    pub fn has_pending(&self) -> bool {
        !self.0.borrow().pending.is_empty()
    }

    /// luahome patch: the objects found unreachable since the last call, in the order their
    /// finalizers run (the most recently marked first, as in Lua). Each is alive until the
    /// caller drops it; it is not marked any more (its finalizer runs once, unless it is marked
    /// again).
    pub fn take_pending(&self, mc: &Mutation<'gc>) -> Vec<Value<'gc>> {
        std::mem::take(&mut self.0.borrow_mut(mc).pending)
    }

    /// First stage of two-stage finalization.
    ///
    /// This stage can cause resurrection, so the arena must be *fully re-marked* before stage two
    /// (`Finalizers::finalize`).
    pub(crate) fn prepare(&self, fc: &Finalization<'gc>) {
        let state = self.0.borrow();
        for &ptr in &state.threads {
            let thread = Thread::from_inner(ptr.upgrade(fc).expect(Self::THREAD_ERR));
            thread.resurrect_live_upvalues(fc).unwrap();
        }
        drop(state);

        // luahome patch: objects marked for finalization that the marking found unreachable
        // are resurrected (with everything they refer to: the arena is re-marked before stage
        // two) and queued, newest first.
        let mut state = self.0.borrow_mut(fc);
        let state = &mut *state;
        let mut found = Vec::new();
        state.objects.retain(|obj| {
            let (dead, value) = match *obj {
                Finalizable::Table(w) => (
                    w.is_dead(fc),
                    w.upgrade(fc).map(|t| Value::Table(Table::from_inner(t))),
                ),
                Finalizable::UserData(w) => (
                    w.is_dead(fc),
                    w.upgrade(fc).map(|u| Value::UserData(UserData::from_inner(u))),
                ),
            };
            match value {
                Some(v) if dead => {
                    match *obj {
                        Finalizable::Table(w) => {
                            w.resurrect(fc);
                        }
                        Finalizable::UserData(w) => {
                            w.resurrect(fc);
                        }
                    }
                    found.push((obj.addr(), v));
                    false
                }
                Some(_) => true,
                // (Freed without a finalization: cannot happen while marked.)
                None => false,
            }
        });
        for (addr, v) in found.into_iter().rev() {
            state.marked.remove(&addr);
            state.pending.push(v);
        }
    }

    /// Second stage of two-stage finalization.
    ///
    /// Assuming stage one was called (`Finalizers::prepare`) and the arena fully re-marked, this
    /// method will *not* cause any resurrection.
    ///
    /// The arena must *immediately* transition to `CollectionPhase::Collecting` afterwards to not
    /// miss any finalizers.
    pub(crate) fn finalize(&self, fc: &Finalization<'gc>) {
        let mut state = self.0.borrow_mut(fc);
        state.threads.retain(|&ptr| {
            let ptr = ptr.upgrade(fc).expect(Self::THREAD_ERR);
            if Gc::is_dead(fc, ptr) {
                Thread::from_inner(ptr).reset(fc).unwrap();
                false
            } else {
                true
            }
        });
    }
}

#[derive(Default, Collect)]
#[collect(no_drop)]
struct FinalizersState<'gc> {
    threads: Vec<GcWeak<'gc, ThreadInner<'gc>>>,
    /// luahome patch: objects marked for finalization, oldest first.
    objects: Vec<Finalizable<'gc>>,
    /// luahome patch: their addresses (marking is idempotent).
    #[collect(require_static)]
    marked: std::collections::HashSet<usize>,
    /// luahome patch: unreachable objects waiting for their finalizers (kept alive).
    pending: Vec<Value<'gc>>,
    /// luahome patch: the embedder's weak-table hook.
    #[collect(require_static)]
    weak_hook: Option<WeakHook>,
    /// luahome patch: the state is closing ([`Finalizers::pend_all`]): no new marks.
    #[collect(require_static)]
    closed: bool,
}

/// luahome patch: an object marked for finalization.
#[derive(Copy, Clone, Collect)]
#[collect(no_drop)]
enum Finalizable<'gc> {
    Table(GcWeak<'gc, TableInner<'gc>>),
    UserData(GcWeak<'gc, UserDataInner<'gc>>),
}

impl<'gc> Finalizable<'gc> {
    fn addr(&self) -> usize {
        match self {
            Finalizable::Table(w) => w.as_ptr() as *const () as usize,
            Finalizable::UserData(w) => w.as_ptr() as *const () as usize,
        }
    }
}
