use std::{
    hash::{Hash, Hasher},
    i64, mem,
};

use gc_arena::{lock::RefLock, Collect, Gc, Mutation};

use crate::{Context, IntoValue, String, Value};

use super::raw::{InvalidTableKey, NextValue, RawTable};

pub type TableInner<'gc> = RefLock<TableState<'gc>>;

#[derive(Debug, Copy, Clone, Collect)]
#[collect(no_drop)]
pub struct Table<'gc>(Gc<'gc, TableInner<'gc>>);

impl<'gc> PartialEq for Table<'gc> {
    fn eq(&self, other: &Table<'gc>) -> bool {
        Gc::ptr_eq(self.0, other.0)
    }
}

impl<'gc> Eq for Table<'gc> {}

impl<'gc> Hash for Table<'gc> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        Gc::as_ptr(self.0).hash(state)
    }
}

impl<'gc> Table<'gc> {
    pub fn new(mc: &Mutation<'gc>) -> Table<'gc> {
        Self::from_parts(mc, RawTable::new(mc), None)
    }

    pub fn from_parts(
        mc: &Mutation<'gc>,
        raw_table: RawTable<'gc>,
        metatable: Option<Table<'gc>>,
    ) -> Table<'gc> {
        Self(Gc::new(
            mc,
            RefLock::new(TableState {
                raw_table,
                metatable,
            }),
        ))
    }

    pub fn from_inner(inner: Gc<'gc, TableInner<'gc>>) -> Self {
        Self(inner)
    }

    pub fn into_inner(self) -> Gc<'gc, TableInner<'gc>> {
        self.0
    }

    pub fn get<K: IntoValue<'gc>>(self, ctx: Context<'gc>, key: K) -> Value<'gc> {
        self.get_value(key.into_value(ctx))
    }

    // luahome patch: never inlined (the standard library's loaders call it ~100 times with
    // the same key and value types: one copy instead of one per call site).
    #[inline(never)]
    pub fn set<K: IntoValue<'gc>, V: IntoValue<'gc>>(
        self,
        ctx: Context<'gc>,
        key: K,
        value: V,
    ) -> Result<Value<'gc>, InvalidTableKey> {
        self.set_value(&ctx, key.into_value(ctx), value.into_value(ctx))
    }

    // luahome patch: inlined (a borrow and a read; the wasm build's LTO at `opt-level = "s"` kept
    // it a call).
    #[inline]
    pub fn get_value(self, key: Value<'gc>) -> Value<'gc> {
        self.0.borrow().raw_table.get(key)
    }

    pub fn set_value(
        self,
        mc: &Mutation<'gc>,
        key: Value<'gc>,
        value: Value<'gc>,
    ) -> Result<Value<'gc>, InvalidTableKey> {
        self.0.borrow_mut(&mc).raw_table.set(key, value)
    }

    // luahome patch: the state read and written in place, without `RefLock`'s borrow count,
    // by the short accessors below (the interpreter's table fast paths). The count cost a
    // load, a compare, two stores and a chain through memory from one access of a table to
    // the next (in V8's code for the wasm). Sound because no borrow of a table's state
    // outlives the call that took it: every `borrow`/`borrow_mut` here and in luahome's
    // code (`into_inner().borrow_mut`) is a temporary or a guard inside one function that
    // runs no Lua, so none is held while another accessor runs; debug builds check it.
    #[inline(always)]
    fn state(self) -> &'gc TableState<'gc> {
        debug_assert!(self.0.try_borrow().is_ok());
        // SAFETY: no mutable borrow of the state is alive (above), and the reference is
        // used by the accessor that took it, which writes nothing meanwhile.
        unsafe { &*self.0.as_ptr() }
    }

    #[inline(always)]
    #[allow(clippy::mut_from_ref)]
    fn state_mut(self, mc: &Mutation<'gc>) -> &'gc mut TableState<'gc> {
        debug_assert!(self.0.try_borrow_mut(mc).is_ok());
        // The write barrier `borrow_mut` would have run.
        let cell = Gc::write(mc, self.0);
        // SAFETY: no other borrow of the state is alive (above), and the reference is used
        // by the accessor that took it only.
        unsafe { &mut *cell.unlock().as_ptr() }
    }

    /// luahome patch: [`RawTable::get_array`].
    #[inline(always)]
    pub fn get_array(self, i: i64) -> Option<Value<'gc>> {
        self.state().raw_table.get_array(i)
    }

    /// luahome patch: [`RawTable::set_array`] (with the write barrier).
    #[inline(always)]
    pub fn set_array(self, mc: &Mutation<'gc>, i: i64, value: Value<'gc>) -> bool {
        self.state_mut(mc).raw_table.set_array(i, value)
    }

    /// luahome patch: `self[i]` for an integer key: the array part inline, then
    /// [`RawTable::get_int_map`].
    #[inline(always)]
    pub fn get_int(self, i: i64) -> Value<'gc> {
        let t = self.state();
        match t.raw_table.get_array(i) {
            Some(v) => v,
            None => t.raw_table.get_int_map(i),
        }
    }

    /// luahome patch: [`RawTable::replace_int`] (with the write barrier).
    #[inline]
    pub fn replace_int(self, mc: &Mutation<'gc>, i: i64, value: Value<'gc>) -> bool {
        self.state_mut(mc).raw_table.replace_int(i, value)
    }

    /// luahome patch: [`RawTable::replace_string`] (with the write barrier).
    #[inline]
    pub fn replace_string(self, mc: &Mutation<'gc>, key: String<'gc>, value: Value<'gc>) -> bool {
        self.state_mut(mc).raw_table.replace_string(key, value)
    }

    /// luahome patch: [`RawTable::replace_string_index`] (with the write barrier).
    #[inline]
    pub fn replace_string_index(
        self,
        mc: &Mutation<'gc>,
        key: String<'gc>,
        value: Value<'gc>,
    ) -> Option<u32> {
        self.state_mut(mc).raw_table.replace_string_index(key, value)
    }

    /// luahome patch: [`RawTable::get_string_index`].
    #[inline]
    pub fn get_string_index(self, key: String<'gc>) -> (Value<'gc>, u32) {
        self.state().raw_table.get_string_index(key)
    }

    /// luahome patch: [`RawTable::replace_string_at`] (with the write barrier).
    #[inline(always)]
    pub fn replace_string_at(
        self,
        mc: &Mutation<'gc>,
        at: u32,
        key: String<'gc>,
        value: Value<'gc>,
    ) -> bool {
        self.state_mut(mc).raw_table.replace_string_at(at, key, value)
    }

    /// Returns a 'border' for this table.
    ///
    /// A 'border' for a table is any i >= 0 where:
    /// `(i == 0 or table[i] ~= nil) and table[i + 1] == nil`
    ///
    /// If a table has exactly one border, it is called a 'sequence', and this border is the table's
    /// length.
    pub fn length(self) -> i64 {
        self.0.borrow().raw_table.length()
    }

    /// Returns the next value after this key in the table order.
    ///
    /// The table order in the map portion of the table is defined by the incidental order of the
    /// internal bucket list. This order may change whenever the bucket list changes size, such
    /// as when inserting into the table, so relying on the order while inserting may result in
    /// unspecified (but not unsafe) behavior.
    ///
    /// If given Nil, it will return the first pair in the table. If given a key that is present
    /// in the table, it will return the next pair in iteration order. If given a key that is not
    /// present in the table, the behavior is unspecified.
    pub fn next(self, key: Value<'gc>) -> NextValue<'gc> {
        self.0.borrow().raw_table.next(key)
    }

    /// Iterate over the key-value pairs of the table.
    ///
    /// Internally uses the `Table::next` method and thus matches the behavior of Lua.
    pub fn iter(self) -> Iter<'gc> {
        Iter::new(self)
    }

    // luahome patch: inlined (a borrow and a read; the wasm build's LTO at `opt-level = "s"` kept
    // it a call).
    #[inline]
    pub fn metatable(self) -> Option<Table<'gc>> {
        self.state().metatable
    }

    pub fn set_metatable(
        self,
        mc: &Mutation<'gc>,
        metatable: Option<Table<'gc>>,
    ) -> Option<Table<'gc>> {
        mem::replace(&mut self.0.borrow_mut(mc).metatable, metatable)
    }
}

#[derive(Copy, Clone, Collect)]
#[collect(no_drop)]
pub struct Iter<'gc> {
    table: Table<'gc>,
    prev: Option<Value<'gc>>,
}

impl<'gc> Iter<'gc> {
    pub fn new(table: Table<'gc>) -> Self {
        Self {
            table,
            prev: Some(Value::Nil),
        }
    }
}

impl<'gc> Iterator for Iter<'gc> {
    type Item = (Value<'gc>, Value<'gc>);

    fn next(&mut self) -> Option<Self::Item> {
        match self.table.next(self.prev.take()?) {
            NextValue::Found { key, value } => {
                self.prev = Some(key);
                Some((key, value))
            }
            _ => None,
        }
    }
}

impl<'gc> IntoIterator for Table<'gc> {
    type Item = (Value<'gc>, Value<'gc>);
    type IntoIter = Iter<'gc>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[derive(Debug, Collect)]
#[collect(no_drop)]
pub struct TableState<'gc> {
    pub raw_table: RawTable<'gc>,
    pub metatable: Option<Table<'gc>>,
}
