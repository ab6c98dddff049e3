//! What the luahome core's compiler and its runtime (`luahome-vm-ext`) share:
//! the instruction set and prototypes ([`bytecode`]) and Lua 5.4's number
//! conversions and arithmetic rules ([`number`]). A crate of its own so that
//! the compiler (`luahome-compiler`) can be built for size in the wasm while
//! these, which the interpreter runs through, are built for speed (Cargo.toml:
//! `[profile.wasm]`). `vm-ext` re-exports both modules under their old paths.

pub mod bytecode;
pub mod number;
