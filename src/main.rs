//! The `luahome` command-line interface (native only).

#[cfg(not(target_arch = "wasm32"))]
mod cli;

/// The collector allocates every Lua object on its own: mimalloc makes
/// allocation-heavy scripts markedly faster than the system allocator.
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOC: Mimalloc = Mimalloc;

/// mimalloc, asked for plain blocks when the alignment is one every block
/// has anyway (as Rust's `System` allocator does with `malloc`): the
/// `mimalloc` crate always calls `mi_malloc_aligned`, whose fallback, taken
/// whenever a page's free list is empty (one allocation in five in the
/// closures benchmark), over-allocates by the alignment and costs ~150
/// instructions where `mi_malloc`'s own slow path collects the page.
#[cfg(not(target_arch = "wasm32"))]
struct Mimalloc;

/// The alignment of every block of at least this size: mimalloc's size
/// classes are multiples of 16 bytes on 64-bit targets (`MI_MAX_ALIGN_SIZE`);
/// an 8-byte block is 8-aligned.
#[cfg(not(target_arch = "wasm32"))]
const MI_MIN_ALIGN: usize = 16;

#[cfg(not(target_arch = "wasm32"))]
impl Mimalloc {
    #[inline]
    fn plain(align: usize, size: usize) -> bool {
        align <= MI_MIN_ALIGN && align <= size
    }
}

// SAFETY: each function passes the layout's size (and alignment, unless
// `plain` says every block of that size is aligned enough) to the
// matching mimalloc function, and `mi_free` frees blocks of either kind.
#[cfg(not(target_arch = "wasm32"))]
#[allow(unsafe_code)]
unsafe impl std::alloc::GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use libmimalloc_sys as mi;
        // SAFETY: see the impl.
        unsafe {
            if Self::plain(layout.align(), layout.size()) {
                mi::mi_malloc(layout.size()).cast()
            } else {
                mi::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        use libmimalloc_sys as mi;
        // SAFETY: see the impl.
        unsafe {
            if Self::plain(layout.align(), layout.size()) {
                mi::mi_zalloc(layout.size()).cast()
            } else {
                mi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        // SAFETY: see the impl.
        unsafe { libmimalloc_sys::mi_free(ptr.cast()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        use libmimalloc_sys as mi;
        // SAFETY: see the impl.
        unsafe {
            if Self::plain(layout.align(), new_size) {
                mi::mi_realloc(ptr.cast(), new_size).cast()
            } else {
                mi::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
            }
        }
    }
}

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    std::process::exit(cli::main());
}
