//! The wasm build's allocator: std's (dlmalloc on `wasm32-unknown-unknown`)
//! behind free lists of small blocks.
//!
//! The collector allocates and frees every Lua object on its own (a
//! closure, an upvalue cell, a table, a string), and dlmalloc's `malloc`,
//! `free` and the chunk bookkeeping they share were ~15 % of the wasm code's
//! instructions in the `closures` benchmark under V8. Blocks of up to
//! [`MAX_SMALL`] bytes are kept here by size class (multiples of 8 bytes)
//! once freed and handed out again first: a pop or a push each.
//!
//! A class keeps at most [`CAP_BYTES`] of freed blocks; beyond that they go
//! back to dlmalloc, so memory freed in one class serves the others again (a
//! wasm memory never shrinks either way). Measured in Node (CPU time, 6
//! alternating runs at the suite's sizes, medians): closures 0.889x,
//! binary_trees 1.012x and string_build 1.022x (both within the runs'
//! spread); a cap of 16,384 blocks per class looked slower on binary_trees,
//! whose collections free many more nodes than that at once. Every small
//! block comes from dlmalloc with its class's size and alignment, whatever
//! the request, so a block given back to dlmalloc is given back with the
//! layout it was made with.
//!
//! Single-threaded: the wasm build has no threads (`atomics` is off: a
//! build with it fails to compile, below). Natively it is only tested.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::UnsafeCell,
    ptr,
};

/// The largest block kept on a free list, in bytes.
pub const MAX_SMALL: usize = 128;
/// The size classes' step (and the blocks' alignment), in bytes.
const STEP: usize = 8;
const CLASSES: usize = MAX_SMALL / STEP;
/// The bytes of freed blocks a class keeps at most (so 16,384 blocks of
/// 128 bytes, 262,144 of 8).
pub const CAP_BYTES: usize = 2 << 20;

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
compile_error!("SmallBlocks is single-threaded: not for a wasm build with threads");

struct Lists {
    /// Each class's first free block; a free block's first word is the next.
    head: [*mut u8; CLASSES],
    len: [u32; CLASSES],
}

/// [`System`] behind per-size-class free lists of small blocks.
pub struct SmallBlocks(UnsafeCell<Lists>);

// SAFETY: used from one thread only (see the module's documentation).
#[allow(unsafe_code)]
unsafe impl Sync for SmallBlocks {}

impl SmallBlocks {
    pub const fn new() -> Self {
        SmallBlocks(UnsafeCell::new(Lists {
            head: [ptr::null_mut(); CLASSES],
            len: [0; CLASSES],
        }))
    }

    /// Freed blocks kept in the class of `size` (tests).
    pub fn kept(&self, size: usize) -> u32 {
        match class_of(Layout::from_size_align(size, 1).unwrap()) {
            // SAFETY: single-threaded, and no reference into the lists is
            // held across calls.
            #[allow(unsafe_code)]
            Some(c) => unsafe { (*self.0.get()).len[c] },
            None => 0,
        }
    }
}

impl SmallBlocks {
    /// A block of class `c`: the first kept one, or a new one.
    #[inline(always)]
    #[allow(unsafe_code)]
    unsafe fn alloc_class(&self, c: usize) -> *mut u8 {
        // SAFETY: single-threaded; the reference ends in this call.
        let lists = unsafe { &mut *self.0.get() };
        let p = lists.head[c];
        if p.is_null() {
            return unsafe { System.alloc(class_layout(c)) };
        }
        // SAFETY: a free block of this class holds the next one's address
        // in its first word (written by `dealloc`, 8-aligned).
        lists.head[c] = unsafe { *(p as *mut *mut u8) };
        lists.len[c] -= 1;
        p
    }
}

impl Default for SmallBlocks {
    fn default() -> Self {
        Self::new()
    }
}

/// The class of a request, when it is a small one.
#[inline(always)]
fn class_of(layout: Layout) -> Option<usize> {
    let size = layout.size();
    if size == 0 || size > MAX_SMALL || layout.align() > STEP {
        None
    } else {
        Some((size - 1) / STEP)
    }
}

/// Freed blocks class `c` keeps at most.
#[inline(always)]
pub fn cap(c: usize) -> u32 {
    CAPS[c]
}

/// [`cap`] of each class, worked out at compile time (a division in every
/// `dealloc` was a `div` of the collector's sweep for each freed object).
const CAPS: [u32; CLASSES] = {
    let mut caps = [0; CLASSES];
    let mut c = 0;
    while c < CLASSES {
        caps[c] = (CAP_BYTES / ((c + 1) * STEP)) as u32;
        c += 1;
    }
    caps
};

/// The layout every block of class `c` is made with.
#[inline(always)]
fn class_layout(c: usize) -> Layout {
    // SAFETY: a nonzero multiple of 8 below 2^31, alignment 8.
    #[allow(unsafe_code)]
    unsafe {
        Layout::from_size_align_unchecked((c + 1) * STEP, STEP)
    }
}

#[allow(unsafe_code)]
unsafe impl GlobalAlloc for SmallBlocks {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class_of(layout) {
            Some(c) => unsafe { self.alloc_class(c) },
            None => unsafe { System.alloc(layout) },
        }
    }

    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        let Some(c) = class_of(layout) else {
            return unsafe { System.dealloc(p, layout) };
        };
        // SAFETY: as in `alloc_class`.
        let lists = unsafe { &mut *self.0.get() };
        if lists.len[c] >= cap(c) {
            return unsafe { System.dealloc(p, class_layout(c)) };
        }
        // SAFETY: `p` is a block of class `c` (at least 8 bytes, 8-aligned)
        // no longer in use: its first word links it into the list.
        unsafe { *(p as *mut *mut u8) = lists.head[c] };
        lists.head[c] = p;
        lists.len[c] += 1;
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let Some(c) = class_of(layout) else {
            return unsafe { System.alloc_zeroed(layout) };
        };
        let p = unsafe { self.alloc_class(c) };
        if !p.is_null() {
            unsafe { ptr::write_bytes(p, 0, layout.size()) };
        }
        p
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY (`from_size_align_unchecked`): `realloc`'s contract makes
        // `new_size` with `layout`'s alignment a valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class_of(layout), class_of(new_layout)) {
            (None, None) => unsafe { System.realloc(p, layout, new_size) },
            (Some(a), Some(b)) if a == b => p,
            _ => {
                let q = unsafe { self.alloc(new_layout) };
                if !q.is_null() {
                    unsafe {
                        ptr::copy_nonoverlapping(p, q, layout.size().min(new_size));
                        self.dealloc(p, layout);
                    }
                }
                q
            }
        }
    }
}

#[cfg(test)]
#[allow(unsafe_code)]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn a_freed_small_block_is_handed_out_again_in_its_class_only() {
        let a = SmallBlocks::new();
        unsafe {
            let p = a.alloc(layout(20, 4));
            assert!(!p.is_null());
            assert_eq!(p as usize % 8, 0);
            a.dealloc(p, layout(20, 4));
            assert_eq!(a.kept(24), 1);
            // 17..=24 bytes share the class.
            let q = a.alloc(layout(24, 8));
            assert_eq!(q, p);
            assert_eq!(a.kept(24), 0);
            // Another class does not take it.
            a.dealloc(q, layout(24, 8));
            let r = a.alloc(layout(32, 8));
            assert_ne!(r, q);
            a.dealloc(r, layout(32, 8));
            assert_eq!((a.kept(24), a.kept(32)), (1, 1));
        }
    }

    #[test]
    fn large_or_overaligned_requests_go_straight_to_the_system() {
        let a = SmallBlocks::new();
        unsafe {
            for l in [layout(MAX_SMALL + 1, 8), layout(16, 16), layout(4096, 8)] {
                let p = a.alloc(l);
                assert!(!p.is_null());
                assert_eq!(p as usize % l.align(), 0);
                a.dealloc(p, l);
            }
            assert_eq!(a.kept(MAX_SMALL + 1), 0);
            assert_eq!(a.kept(16), 0);
        }
    }

    #[test]
    fn zeroed_blocks_are_zero_even_when_reused() {
        let a = SmallBlocks::new();
        unsafe {
            let p = a.alloc(layout(64, 8));
            ptr::write_bytes(p, 0xAB, 64);
            a.dealloc(p, layout(64, 8));
            let q = a.alloc_zeroed(layout(60, 4));
            assert_eq!(q, p);
            assert!((0..60).all(|i| *q.add(i) == 0));
            a.dealloc(q, layout(60, 4));
        }
    }

    #[test]
    fn realloc_keeps_the_contents_across_classes_and_sizes() {
        let a = SmallBlocks::new();
        unsafe {
            let mut l = layout(3, 1);
            let mut p = a.alloc(l);
            for i in 0..3 {
                *p.add(i) = i as u8 + 1;
            }
            // Within its class, then to bigger classes, then past MAX_SMALL,
            // then back to a small one.
            for size in [8, 9, 100, 4000, 12] {
                let q = a.realloc(p, l, size);
                assert!(!q.is_null());
                if size == 8 {
                    assert_eq!(q, p, "same class: the same block");
                }
                assert_eq!((*q, *q.add(1), *q.add(2)), (1, 2, 3), "to {size}");
                p = q;
                l = layout(size, 1);
            }
            a.dealloc(p, l);
        }
    }

    #[test]
    fn a_class_keeps_at_most_its_cap() {
        let a = SmallBlocks::new();
        let l = layout(40, 8);
        let cap = cap(class_of(l).unwrap());
        assert_eq!(cap, (CAP_BYTES / 40) as u32);
        unsafe {
            let blocks: Vec<*mut u8> = (0..cap + 10).map(|_| a.alloc(l)).collect();
            assert!(blocks.iter().all(|p| !p.is_null()));
            for &p in &blocks {
                a.dealloc(p, l);
            }
            assert_eq!(a.kept(40), cap);
            // All kept ones are handed out again, each once.
            let again: std::collections::HashSet<usize> =
                (0..cap).map(|_| a.alloc(l) as usize).collect();
            assert_eq!(again.len(), cap as usize);
            assert_eq!(a.kept(40), 0);
            for p in again {
                a.dealloc(p as *mut u8, l);
            }
        }
    }
}
