//! luahome: the thin browser edge over `vm-ext` (wasm-bindgen exports, the
//! runtime handle, Lua <-> JS value conversion). No Lua semantics here.

pub mod small_alloc;
#[cfg(target_arch = "wasm32")]
mod wasm;
