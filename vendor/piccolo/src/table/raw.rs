use std::{fmt, hash::Hash, i64, mem};

use allocator_api2::vec;
use gc_arena::{allocator_api::MetricsAlloc, Collect, Gc, Mutation};
use hashbrown::{hash_map, HashMap};
use thiserror::Error;

use crate::{Callback, Closure, Function, String, Table, Thread, UserData, Value};

thread_local! {
    static STRING_KEY_WRITES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// luahome patch: how many times a string key was written in any table of this thread
/// (wrapping). An embedder's cache of `table[string]` reads is good while this stays put.
#[inline]
pub fn string_key_writes() -> u64 {
    STRING_KEY_WRITES.with(|c| c.get())
}

/// luahome patch: counts a write of string keys made around [`RawTable::set`] (a raw table
/// replaced wholesale, entries kept elsewhere).
#[inline]
pub fn note_string_key_write() {
    STRING_KEY_WRITES.with(|c| c.set(c.get().wrapping_add(1)));
}

#[derive(Debug, Copy, Clone, Error)]
pub enum InvalidTableKey {
    #[error("table key is NaN")]
    IsNaN,
    #[error("table key is Nil")]
    IsNil,
}

#[derive(Debug, Copy, Clone, Collect)]
#[collect(no_drop)]
pub enum NextValue<'gc> {
    Found { key: Value<'gc>, value: Value<'gc> },
    Last,
    NotFound,
}

#[derive(Collect)]
#[collect(no_drop)]
pub struct RawTable<'gc> {
    array: vec::Vec<Value<'gc>, MetricsAlloc<'gc>>,
    // TODO: It would be safer to use `hashbrown::HashTable` and access the inner raw table when
    // necessary, but `HashTable` does not allow access to the inner raw table yet.
    map: HashMap<Key<'gc>, Value<'gc>, (), MetricsAlloc<'gc>>,
    // luahome patch: one hasher for every table of the process (`TableHasher`), seeded once,
    // instead of a 32-byte `RandomState` in each table.
    #[collect(require_static)]
    hash_builder: TableHasher,
    // luahome patch: the border `length` found last in the array part, tried first next
    // time (and the slot after it, for `t[#t + 1] = v`), as PUC Lua keeps `alimit`.
    #[collect(require_static)]
    len_hint: core::cell::Cell<u32>,
}

/// luahome patch: the hasher of every table's keys: one multiply of the key's bits (an
/// integer's value, a float's bits, a string's stored hash, an object's address) with a
/// process-wide seed chosen on first use, folded so that the low 32 bits — all that
/// hashbrown uses on wasm32, for the bucket and the control byte — depend on every bit.
/// ahash's `RandomState` made three folded multiplies per key, each two multiplies and three
/// byte swaps on wasm32 (no 64x64->128 multiply there): ~4x the work of a lookup's probe.
#[derive(Clone, Copy, Default)]
struct TableHasher;

impl TableHasher {
    #[inline(always)]
    fn hash_one(self, key: CanonicalKey<'_>) -> u64 {
        static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
        let seed = *SEED.get_or_init(|| ahash::random_state::RandomState::new().hash_one(0u64));
        let bits = match key {
            CanonicalKey::Boolean(b) => b as u64 ^ 0xb001,
            CanonicalKey::Integer(i) => i as u64,
            CanonicalKey::Number(n) => n.rotate_left(17),
            CanonicalKey::String(s) => s.stored_hash(),
            CanonicalKey::Table(t) => Gc::as_ptr(t.into_inner()) as usize as u64,
            CanonicalKey::Closure(c) => Gc::as_ptr(c.into_inner()) as usize as u64,
            CanonicalKey::Callback(c) => Gc::as_ptr(c.into_inner()) as usize as u64,
            CanonicalKey::Thread(t) => Gc::as_ptr(t.into_inner()) as usize as u64,
            CanonicalKey::UserData(u) => Gc::as_ptr(u.into_inner()) as usize as u64,
        };
        let h = (bits ^ seed).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h ^ (h >> 32)
    }
}

impl<'gc> fmt::Debug for RawTable<'gc> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.array
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (Value::Integer((i + 1).try_into().unwrap()), *v))
                    .chain({
                        self.map.iter().filter_map(|(k, v)| {
                            if let Key::Live(k) = k {
                                Some((k.to_value(), *v))
                            } else {
                                None
                            }
                        })
                    }),
            )
            .finish()
    }
}

impl<'gc> RawTable<'gc> {
    pub fn new(mc: &Mutation<'gc>) -> Self {
        Self {
            array: vec::Vec::new_in(MetricsAlloc::new(mc)),
            map: HashMap::with_hasher_in((), MetricsAlloc::new(mc)),
            hash_builder: TableHasher,
            len_hint: core::cell::Cell::new(0),
        }
    }

    /// luahome patch: a table with exactly `array` array slots and room for `map` hash
    /// entries, as a Lua table constructor sizes its table (PUC Lua's `OP_NEWTABLE`), so
    /// `{10, 20}` has two array slots and 3 is not one of them.
    pub fn with_sizes(mc: &Mutation<'gc>, array: usize, map: usize) -> Self {
        let mut table = Self::new(mc);
        // `reserve_exact`: `reserve` rounds a small array up to four slots (16 bytes a slot),
        // so `{a, b}` took 64 bytes for 32. (The compiler counts a constructor's last call
        // as one item, so `{f(), g()}` is made with the two slots it fills.)
        table.array.reserve_exact(array);
        table.array.resize(array, Value::Nil);
        if map > 0 {
            table.reserve_map(map);
        }
        table
    }

    /// luahome patch: makes the array part at least `len` slots long, moving integer keys
    /// now in its range out of the map (a constructor's list items, as PUC Lua's
    /// `OP_SETLIST` sizes the array part before storing them).
    pub fn grow_array(&mut self, len: usize) {
        let old_len = self.array.len();
        if len <= old_len {
            return;
        }
        self.array.reserve_exact(len - old_len);
        self.array.resize(len, Value::Nil);
        if !self.map.is_empty() {
            let array = &mut self.array;
            self.map.retain(|k, v| {
                if v.is_nil() {
                    return false;
                }
                if let Some(key) = k.live_key() {
                    if let Some(i) = to_array_index(key.to_value()) {
                        if i < array.len() {
                            array[i] = *v;
                            return false;
                        }
                    }
                }
                true
            });
        }
    }

    pub fn get(&self, key: Value<'gc>) -> Value<'gc> {
        if let Some(index) = to_array_index(key) {
            if index < self.array.len() {
                return self.array[index];
            }
        }

        if let Ok(key) = CanonicalKey::new(key) {
            if let Some((_, v)) = self
                .map
                .raw_entry()
                .from_hash(self.hash_builder.hash_one(key), |k| k.eq(key))
            {
                *v
            } else {
                Value::Nil
            }
        } else {
            Value::Nil
        }
    }

    /// luahome patch: `self[i]` when `i` is in the array part (`None`: look it up with
    /// [`Self::get`]), for the interpreter's inline `t[i]`.
    #[inline(always)]
    pub fn get_array(&self, i: i64) -> Option<Value<'gc>> {
        let at = (i as u64).wrapping_sub(1);
        if at < self.array.len() as u64 {
            Some(self.array[at as usize])
        } else {
            None
        }
    }

    /// luahome patch: the array part, `self[1..=len]`, to read and overwrite in place (any
    /// values, nil too, as [`Self::set_array`] writes them): `table.insert`/`remove` move
    /// the items after a position with one `copy_within`, `table.sort` writes its result
    /// back with one copy.
    #[inline]
    pub fn array_mut(&mut self) -> &mut [Value<'gc>] {
        &mut self.array
    }

    /// luahome patch: `self[i] = value` when `i` is in the array part (returns `true`);
    /// otherwise `false` and nothing changes (then [`Self::set`]).
    #[inline(always)]
    pub fn set_array(&mut self, i: i64, value: Value<'gc>) -> bool {
        let at = (i as u64).wrapping_sub(1);
        if at < self.array.len() as u64 {
            self.array[at as usize] = value;
            true
        } else {
            false
        }
    }

    /// luahome patch: `self[i]` for an integer `i` outside the array part, by a probe of the
    /// map specialised for integer keys (`t[0]`, sparse integer keys), which [`Self::get`]
    /// reaches through its general key conversion and comparison.
    #[inline]
    pub fn get_int_map(&self, i: i64) -> Value<'gc> {
        if self.map.is_empty() {
            return Value::Nil;
        }
        let hash = self.hash_builder.hash_one(CanonicalKey::Integer(i));
        match self.map.raw_entry().from_hash(hash, |k| {
            matches!(k, Key::Live(CanonicalKey::Integer(j)) if *j == i)
        }) {
            Some((_, v)) => *v,
            None => Value::Nil,
        }
    }

    /// luahome patch: `self[i] = value` when the integer `i` is a key of the map part and
    /// `value` is not nil (returns `true`); otherwise `false` and nothing changes: the
    /// overwrite of an existing integer key outside the array part in one probe.
    #[inline]
    pub fn replace_int(&mut self, i: i64, value: Value<'gc>) -> bool {
        debug_assert!(!value.is_nil());
        if self.map.is_empty() {
            return false;
        }
        let hash = self.hash_builder.hash_one(CanonicalKey::Integer(i));
        let found = self.map.raw_table_mut().find(hash, |(k, _)| {
            matches!(k, Key::Live(CanonicalKey::Integer(j)) if *j == i)
        });
        match found {
            Some(slot) => {
                // SAFETY: `slot` was just found in this map, which is not modified in between.
                unsafe { slot.as_mut().1 = value };
                true
            }
            None => false,
        }
    }

    /// luahome patch: `self[key] = value` when `key` is a live key of the map part and `value`
    /// is not nil (returns `true`); otherwise `false` and nothing changes. One probe with the
    /// string comparison inlined, for the common write of an existing field (`o.x = v`), which
    /// [`Self::set`] does in ~135 instructions natively.
    #[inline]
    pub fn replace_string(&mut self, key: String<'gc>, value: Value<'gc>) -> bool {
        self.replace_string_index(key, value).is_some()
    }

    /// luahome patch: [`Self::replace_string`] that gives the index of the entry's bucket
    /// (for [`Self::replace_string_at`]) when it wrote.
    #[inline]
    pub fn replace_string_index(&mut self, key: String<'gc>, value: Value<'gc>) -> Option<u32> {
        debug_assert!(!value.is_nil());
        let key = CanonicalKey::String(key);
        let hash = self.hash_builder.hash_one(key);
        let raw = self.map.raw_table_mut();
        let slot = raw.find(hash, |(k, _)| k.eq(key))?;
        note_string_key_write();
        // SAFETY: `slot` was just found in this map, which is not modified in between.
        unsafe {
            slot.as_mut().1 = value;
            Some(raw.bucket_index(&slot) as u32)
        }
    }

    /// luahome patch: `self[key]` for a string key and the index of its bucket in the map
    /// part (`u32::MAX` when the key has none), for [`Self::replace_string_at`].
    #[inline]
    pub fn get_string_index(&self, key: String<'gc>) -> (Value<'gc>, u32) {
        if self.map.is_empty() {
            return (Value::Nil, u32::MAX);
        }
        let key = CanonicalKey::String(key);
        let hash = self.hash_builder.hash_one(key);
        let raw = self.map.raw_table();
        match raw.find(hash, |(k, _)| k.eq(key)) {
            // SAFETY: `slot` was just found in this map.
            Some(slot) => unsafe { (slot.as_ref().1, raw.bucket_index(&slot) as u32) },
            None => (Value::Nil, u32::MAX),
        }
    }

    /// luahome patch: `self[key] = value` when bucket `at` of the map part holds the live
    /// string key `key` (the same string object) and `value` is not nil (returns `true`);
    /// otherwise `false` and nothing changes. `at` is an index an earlier
    /// [`Self::get_string_index`] or [`Self::replace_string_index`] gave, which any write
    /// since may have made stale (the map grown, rehashed, the key removed): the bucket is
    /// checked to be in range, full and the key's before it is written, so that the write of
    /// an existing field needs no probe.
    #[inline(always)]
    pub fn replace_string_at(&mut self, at: u32, key: String<'gc>, value: Value<'gc>) -> bool {
        debug_assert!(!value.is_nil());
        let at = at as usize;
        let raw = self.map.raw_table_mut();
        // SAFETY: the bucket index is checked against the map's buckets before either use.
        unsafe {
            if at < raw.buckets() && raw.is_bucket_full(at) {
                let (k, v) = raw.bucket(at).as_mut();
                if let Key::Live(CanonicalKey::String(s)) = k {
                    if Gc::ptr_eq(s.into_inner(), key.into_inner()) {
                        note_string_key_write();
                        *v = value;
                        return true;
                    }
                }
            }
        }
        false
    }

    pub fn set(
        &mut self,
        key: Value<'gc>,
        value: Value<'gc>,
    ) -> Result<Value<'gc>, InvalidTableKey> {
        if let Value::String(_) = key {
            note_string_key_write();
        }
        let index_key = to_array_index(key);
        if let Some(index) = index_key {
            if index < self.array.len() {
                return Ok(mem::replace(&mut self.array[index], value));
            }
        }

        fn set_reserved_value<'gc>(
            map: &mut HashMap<Key<'gc>, Value<'gc>, (), MetricsAlloc<'gc>>,
            hash: u64,
            key: CanonicalKey<'gc>,
            value: Value<'gc>,
        ) -> Value<'gc> {
            match map.raw_entry_mut().from_hash(hash, |k| k.eq(key)) {
                // (luahome patch: only a live key matches, see `Key::eq`.)
                hash_map::RawEntryMut::Occupied(occupied) => mem::replace(occupied.into_mut(), value),
                hash_map::RawEntryMut::Vacant(vacant) => {
                    vacant.insert_with_hasher(hash, Key::Live(key), value, |_| {
                        panic!("map slot must be pre-reserved")
                    });
                    Value::Nil
                }
            }
        }

        let table_key = CanonicalKey::new(key)?;
        let hash = self.hash_builder.hash_one(table_key);
        Ok(if value.is_nil() {
            if let hash_map::RawEntryMut::Occupied(mut occupied) = self
                .map
                .raw_entry_mut()
                .from_hash(hash, |k| k.eq(table_key))
            {
                let (k, v) = occupied.get_key_value_mut();
                if let Some(dead) = k.kill() {
                    *k = dead;
                }
                mem::take(v)
            } else {
                Value::Nil
            }
        } else if self.map.len() < self.map.capacity() {
            set_reserved_value(&mut self.map, hash, table_key, value)
        } else if let Some(slot) = self
            .map
            .raw_table_mut()
            .find(hash, |(k, _)| k.eq(table_key))
            .or_else(|| {
                self.map
                    .raw_table_mut()
                    .find(hash, |(k, _)| k.eq_or_dead(table_key))
            })
        {
            // luahome patch: a key already in the map (live, or dead after a nil assignment) is
            // overwritten in place. A full map need not grow for it, and growing here would
            // reorder a traversal in progress, where Lua allows assigning existing fields. A live
            // entry is looked for first: a dead slot matched by address may be a different,
            // freed key (see `Key::eq`), harmless to reuse only when the key has no live entry.
            // SAFETY: `slot` was just found in this map, which is not modified in between.
            let (k, v) = unsafe { slot.as_mut() };
            if k.is_dead_key() {
                *k = Key::Live(table_key);
            }
            mem::replace(v, value)
        } else {
            // If a new element does not fit in either the array or map part of the table, we need
            // to grow. First, we find the total count of array candidate elements across the array
            // part, the map part, and the newly inserted key.

            const USIZE_BITS: usize = mem::size_of::<usize>() * 8;

            // Count of array-candidate elements based on the highest bit in the index
            let mut array_counts = [0; USIZE_BITS];
            // Total count of all array-candidate elements
            let mut array_total = 0;

            for (i, e) in self.array.iter().enumerate() {
                if !e.is_nil() {
                    array_counts[highest_bit(i)] += 1;
                    array_total += 1;
                }
            }

            for (&key, &value) in &self.map {
                if !value.is_nil() {
                    if let Some(i) = to_array_index(
                        key.live_key()
                            .expect("dead keys must have Nil values")
                            .to_value(),
                    ) {
                        array_counts[highest_bit(i)] += 1;
                        array_total += 1;
                    }
                }
            }

            if let Some(i) = index_key {
                array_counts[highest_bit(i)] += 1;
                array_total += 1;
            }

            // Then, we compute the new optimal size for the array by finding the largest array size
            // such that at least half of the elements in the array would be in use.

            let mut optimal_size = 0;
            let mut total = 0;
            for i in 0..USIZE_BITS {
                if (1 << i) / 2 >= array_total {
                    break;
                }

                if array_counts[i] > 0 {
                    total += array_counts[i];
                    if total > (1 << i) / 2 {
                        optimal_size = 1 << i;
                    }
                }
            }

            let old_array_size = self.array.len();
            let old_map_size = self.map.len();
            if optimal_size > old_array_size {
                // If we're growing the array part, we need to grow the array and take any newly
                // valid array keys from the map part.

                self.array.reserve(optimal_size - old_array_size);
                let capacity = self.array.capacity();
                self.array.resize(capacity, Value::Nil);

                let array = &mut self.array;
                self.map.retain(|k, v| {
                    if v.is_nil() {
                        // If our entry is dead, remove it.
                        return false;
                    }

                    let key = k.live_key().expect("all dead keys should have a Nil value");

                    // If our live key is an array index that fits in the array portion,
                    // move the entry to the array portion.
                    if let Some(i) = to_array_index(key.to_value()) {
                        if i < array.len() {
                            array[i] = *v;
                            return false;
                        }
                    }

                    true
                });
            } else {
                // If we aren't growing the array, we're adding a new element to the map that won't
                // fit in the advertised capacity. We explicitly double the map size here.
                //
                // luahome patch: drop the dead entries (keys assigned nil) first, as the array
                // branch above and `reserve_map` do: rehashing calls the hasher on every entry,
                // and a dead key has no hash ("all keys must be live when table is grown").
                // Only a new key gets here, so reordering the map is allowed.
                self.map.retain(|_, v| !v.is_nil());
                let additional = self.map.len().max(old_map_size / 2).max(1);
                self.map.raw_table_mut().reserve(additional, |(key, _)| {
                    self.hash_builder.hash_one(
                        key.live_key()
                            .expect("all keys must be live when table is grown"),
                    )
                });
            }

            // Now we can insert the new key value pair
            match index_key {
                Some(index) if index < self.array.len() => {
                    return Ok(mem::replace(&mut self.array[index], value));
                }
                _ => {
                    // luahome patch: growing the array part above moves entries out of the map
                    // but may leave it without a free slot; dead entries are gone by now, so
                    // every key hashes and the map can make room.
                    let hash_builder = self.hash_builder;
                    self.map.raw_table_mut().reserve(1, |(key, _)| {
                        hash_builder.hash_one(key.live_key().expect("dead entries were removed"))
                    });
                    set_reserved_value(&mut self.map, hash, table_key, value)
                }
            }
        })
    }

    pub fn length(&self) -> i64 {
        // Binary search for a border. Entry at max must be Nil, min must be 0 or entry at min must
        // be != Nil.
        fn binary_search<F: Fn(i64) -> bool>(mut min: i64, mut max: i64, is_nil: F) -> i64 {
            while max - min > 1 {
                let mid = min + (max - min) / 2;
                if is_nil(mid) {
                    max = mid;
                } else {
                    min = mid;
                }
            }
            min
        }

        let array_len: i64 = self.array.len().try_into().unwrap();

        if !self.array.is_empty() && self.array[array_len as usize - 1].is_nil() {
            // If the array part ends in a Nil, there must be a border inside it. luahome
            // patch: the last border found, or the slot after it, is checked first.
            let h = self.len_hint.get() as usize;
            if h < self.array.len() && (h == 0 || !self.array[h - 1].is_nil()) {
                if self.array[h].is_nil() {
                    return h as i64;
                }
                if self.array.get(h + 1).is_some_and(|v| v.is_nil()) {
                    self.len_hint.set(h as u32 + 1);
                    return h as i64 + 1;
                }
            } else if h >= 1
                && h <= self.array.len()
                && self.array[h - 1].is_nil()
                && (h == 1 || !self.array[h - 2].is_nil())
            {
                // The slot before it (`t[#t] = nil`, `table.remove(t)`).
                self.len_hint.set(h as u32 - 1);
                return h as i64 - 1;
            }
            let b = binary_search(0, array_len, |i| self.array[i as usize - 1].is_nil());
            self.len_hint.set(u32::try_from(b).unwrap_or(0));
            b
        } else if self.map.is_empty() {
            // If there is no border in the array but the map part is empty, then the array length
            // is a border
            array_len
        } else {
            // Otherwise, we must check the map part for a border. We need to find some nil value in
            // the map part as the max for a binary search.
            let min = array_len;
            let mut max = array_len.checked_add(1).unwrap();
            while self
                .map
                .raw_entry()
                .from_hash(
                    self.hash_builder.hash_one(CanonicalKey::Integer(max)),
                    |k| k.eq(CanonicalKey::Integer(max)),
                )
                .is_some()
            {
                if max == i64::MAX {
                    // If we can't find a nil entry by doubling, then the table is pathological. We
                    // return the favor with a pathological answer: i64::MAX + 1 can't exist in the
                    // table, therefore it is Nil, so since the table contains i64::MAX, i64::MAX is
                    // a border.
                    return i64::MAX;
                } else if let Some(double_max) = max.checked_mul(2) {
                    max = double_max;
                } else {
                    max = i64::MAX;
                }
            }

            // We have found a max where table[max] == nil, so we can now binary search
            binary_search(min, max, |i| {
                match self
                    .map
                    .raw_entry()
                    .from_hash(self.hash_builder.hash_one(CanonicalKey::Integer(i)), |k| {
                        k.eq(CanonicalKey::Integer(i))
                    }) {
                    Some((_, v)) => v.is_nil(),
                    None => true,
                }
            })
        }
    }

    pub fn next(&self, key: Value<'gc>) -> NextValue<'gc> {
        let start_index = if let Some(index_key) = to_array_index(key) {
            if index_key < self.array.len() {
                Some(index_key + 1)
            } else {
                None
            }
        } else if key.is_nil() {
            Some(0)
        } else {
            None
        };

        let raw_table = self.map.raw_table();

        if let Some(start_index) = start_index {
            for i in start_index..self.array.len() {
                if !self.array[i].is_nil() {
                    return NextValue::Found {
                        key: Value::Integer((i + 1).try_into().unwrap()),
                        value: self.array[i],
                    };
                }
            }

            unsafe {
                for bucket_index in 0..raw_table.buckets() {
                    if raw_table.is_bucket_full(bucket_index) {
                        let (key, value) = *raw_table.bucket(bucket_index).as_ref();
                        if !value.is_nil() {
                            return NextValue::Found {
                                key: key
                                    .live_key()
                                    .expect("dead keys must have Nil values")
                                    .to_value(),
                                value,
                            };
                        }
                    }
                }
            }

            return NextValue::Last;
        }

        if let Ok(table_key) = CanonicalKey::new(key) {
            // luahome patch: a live entry for the key first; a dead one (the key was assigned
            // nil during the traversal) only if there is none.
            let hash = self.hash_builder.hash_one(table_key);
            let found = raw_table
                .find(hash, |(k, _)| k.eq(table_key))
                .or_else(|| raw_table.find(hash, |(k, _)| k.eq_or_dead(table_key)));
            if let Some(bucket) = found {
                unsafe {
                    let bucket_index = raw_table.bucket_index(&bucket);
                    for i in bucket_index + 1..raw_table.buckets() {
                        if raw_table.is_bucket_full(i) {
                            let (key, value) = *raw_table.bucket(i).as_ref();
                            if !value.is_nil() {
                                return NextValue::Found {
                                    key: key
                                        .live_key()
                                        .expect("dead keys must have Nil values")
                                        .to_value(),
                                    value,
                                };
                            }
                        }
                    }
                }
                return NextValue::Last;
            }
        }

        NextValue::NotFound
    }

    pub fn reserve_array(&mut self, additional: usize) {
        self.array.reserve(additional);
    }

    pub fn reserve_map(&mut self, additional: usize) {
        if additional > self.map.capacity() - self.map.len() {
            self.map.retain(|_, v| !v.is_nil());

            self.map.raw_table_mut().reserve(additional, |(key, _)| {
                self.hash_builder.hash_one(
                    key.live_key()
                        .expect("all keys must be live when table is grown"),
                )
            });
        }
    }
}

// luahome patch: `PartialEq` written out so that string keys compare by
// pointer first (a table lookup with the very string object that is the key,
// the usual case, skips the byte comparison and its `memcmp` call).
#[derive(Debug, Copy, Clone, Eq, Hash, Collect)]
#[collect(no_drop)]
enum CanonicalKey<'gc> {
    Boolean(bool),
    Integer(i64),
    Number(u64),
    String(String<'gc>),
    Table(Table<'gc>),
    Closure(Closure<'gc>),
    Callback(Callback<'gc>),
    Thread(Thread<'gc>),
    UserData(UserData<'gc>),
}

impl<'gc> PartialEq for CanonicalKey<'gc> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        use CanonicalKey::*;
        match (*self, *other) {
            (String(a), String(b)) => {
                Gc::ptr_eq(a.into_inner(), b.into_inner())
                    || (a.stored_hash() == b.stored_hash() && a.as_bytes() == b.as_bytes())
            }
            (Boolean(a), Boolean(b)) => a == b,
            (Integer(a), Integer(b)) => a == b,
            (Number(a), Number(b)) => a == b,
            (Table(a), Table(b)) => a == b,
            (Closure(a), Closure(b)) => a == b,
            (Callback(a), Callback(b)) => a == b,
            (Thread(a), Thread(b)) => a == b,
            (UserData(a), UserData(b)) => a == b,
            _ => false,
        }
    }
}

impl<'gc> CanonicalKey<'gc> {
    fn new(value: Value<'gc>) -> Result<Self, InvalidTableKey> {
        Ok(match value {
            Value::Nil => {
                return Err(InvalidTableKey::IsNil);
            }
            Value::Number(n) => {
                // NaN keys are disallowed, f64 keys where their closest i64 representation is equal
                // to themselves when cast back to f64 are considered integer keys.
                if n.is_nan() {
                    return Err(InvalidTableKey::IsNaN);
                } else if let Some(i) = f64_to_i64(n) {
                    CanonicalKey::Integer(i)
                } else {
                    CanonicalKey::Number(canonical_float_bytes(n))
                }
            }
            Value::Boolean(b) => CanonicalKey::Boolean(b),
            Value::Integer(i) => CanonicalKey::Integer(i),
            Value::String(s) => CanonicalKey::String(s),
            Value::Table(t) => CanonicalKey::Table(t),
            Value::Function(Function::Closure(c)) => CanonicalKey::Closure(c),
            Value::Function(Function::Callback(c)) => CanonicalKey::Callback(c),
            Value::Thread(t) => CanonicalKey::Thread(t),
            Value::UserData(u) => CanonicalKey::UserData(u),
        })
    }

    fn to_value(self) -> Value<'gc> {
        match self {
            CanonicalKey::Boolean(b) => b.into(),
            CanonicalKey::Integer(i) => i.into(),
            CanonicalKey::Number(n) => f64::from_bits(n).into(),
            CanonicalKey::String(s) => s.into(),
            CanonicalKey::Table(t) => t.into(),
            CanonicalKey::Closure(c) => c.into(),
            CanonicalKey::Callback(c) => c.into(),
            CanonicalKey::Thread(t) => t.into(),
            CanonicalKey::UserData(u) => u.into(),
        }
    }
}

// A table key which may be "live" or "dead".
//
// "Removed" keys in tables do not actually have their entry removed, instead the value is set to
// Nil and the key is set to a dead key if it is a GC object.
//
// This is done to make iteration predictable in the presence of any table mutation that does not
// cause the table to grow.
#[derive(Debug, Copy, Clone, Collect)]
#[collect(no_drop)]
enum Key<'gc> {
    Live(CanonicalKey<'gc>),
    Dead(#[collect(require_static)] *const ()),
}

impl<'gc> Key<'gc> {
    fn kill(self) -> Option<Key<'gc>> {
        if let Key::Live(v) = self {
            match v {
                CanonicalKey::Boolean(_) | CanonicalKey::Integer(_) | CanonicalKey::Number(_) => {
                    None
                }
                CanonicalKey::String(s) => Some(Key::Dead(Gc::as_ptr(s.into_inner()) as *const ())),
                CanonicalKey::Table(t) => Some(Key::Dead(Gc::as_ptr(t.into_inner()) as *const ())),
                CanonicalKey::Closure(c) => {
                    Some(Key::Dead(Gc::as_ptr(c.into_inner()) as *const ()))
                }
                CanonicalKey::Callback(c) => {
                    Some(Key::Dead(Gc::as_ptr(c.into_inner()) as *const ()))
                }
                CanonicalKey::Thread(t) => Some(Key::Dead(Gc::as_ptr(t.into_inner()) as *const ())),
                CanonicalKey::UserData(u) => {
                    Some(Key::Dead(Gc::as_ptr(u.into_inner()) as *const ()))
                }
            }
        } else {
            Some(self)
        }
    }

    fn is_dead_key(&self) -> bool {
        self.live_key().is_none()
    }

    fn live_key(self) -> Option<CanonicalKey<'gc>> {
        match self {
            Key::Live(v) => Some(v),
            Key::Dead(_) => None,
        }
    }

    // luahome patch: lookups for reading and writing match live keys only, as PUC Lua's do.
    // A dead key holds only the address of an object that may since have been freed and its
    // address reused by another object: matching it by pointer found the wrong slot (a stale
    // nil where a live entry sat further along the probe sequence, or a nil assignment that
    // missed the live entry and left it in the table). Only `next` matches dead keys
    // (`eq_or_dead`), for a key the caller holds and so keeps alive.
    #[inline(always)]
    fn eq(self, key: CanonicalKey<'gc>) -> bool {
        match self {
            Key::Live(a) => a == key,
            Key::Dead(_) => false,
        }
    }

    fn eq_or_dead(self, key: CanonicalKey<'gc>) -> bool {
        match (self, key) {
            (Key::Live(a), b) => a == b,
            (Key::Dead(a), b) => match b {
                CanonicalKey::String(s) => a == Gc::as_ptr(s.into_inner()) as *const (),
                CanonicalKey::Table(t) => a == Gc::as_ptr(t.into_inner()) as *const (),
                CanonicalKey::Closure(c) => a == Gc::as_ptr(c.into_inner()) as *const (),
                CanonicalKey::Callback(c) => a == Gc::as_ptr(c.into_inner()) as *const (),
                CanonicalKey::Thread(t) => a == Gc::as_ptr(t.into_inner()) as *const (),
                CanonicalKey::UserData(u) => a == Gc::as_ptr(u.into_inner()) as *const (),
                _ => false,
            },
        }
    }
}

// Returns the closest i64 to a given f64 such that casting the i64 back to an f64 results in an
// equal value, if such an integer exists.
fn f64_to_i64(n: f64) -> Option<i64> {
    let i = n as i64;
    if i as f64 == n {
        Some(i)
    } else {
        None
    }
}

// Parameter must not be NaN, should return a bit-pattern which is always equal when the
// corresponding f64s are equal (-0.0 and 0.0 return the same bit pattern).
fn canonical_float_bytes(f: f64) -> u64 {
    assert!(!f.is_nan());
    if f == 0.0 {
        0.0f64.to_bits()
    } else {
        f.to_bits()
    }
}

// If the given key can live in the array part of the table (integral value between 1 and
// usize::MAX), returns the associated array index.
fn to_array_index<'gc>(key: Value<'gc>) -> Option<usize> {
    let i = match key {
        Value::Integer(i) => i,
        Value::Number(f) => f64_to_i64(f)?,
        _ => return None,
    };

    if i > 0 {
        Some(usize::try_from(i).ok()? - 1)
    } else {
        None
    }
}

// Returns the place of the highest set bit in the given i, i = 0 returns 0, i = 1 returns 1, i = 2
// returns 2, i = 3 returns 2, and so on.
fn highest_bit(i: usize) -> usize {
    i.checked_ilog2().map(|i| i + 1).unwrap_or(0) as usize
}
