//! The luahome engine around piccolo: a sliced [`Runtime`], the standard library
//! completion, and the `_home` persistence model. Platform-free: no
//! web-sys here, everything builds and tests natively.

pub mod assert_count;
pub mod engine;
pub mod error;
pub mod finalize;
pub mod home;
pub mod host;
pub mod host_call;
pub mod interop;
pub mod interp;
pub mod persist;
pub mod runtime;
pub mod stdlib;
pub mod store;
pub mod value;
pub mod verify;
pub mod weak;

pub use error::{ErrorKind, LuaError};
pub use host::{Host, OutputBuffer, TimeZone};
pub use host_call::{HostCallOutcome, HostCallRequest, HostTarget};
pub use interop::{Handles, HostObjects, HostReply};
// The instruction set, numbers and compiler live in crates of their own
// (luahome-bytecode, luahome-compiler: the wasm builds the compiler for
// size); their paths here are unchanged.
pub use luahome_bytecode::{bytecode, number};
pub use luahome_compiler as compiler;
pub use runtime::{Runtime, RuntimeOptions, StepResult, FUEL_PER_ENTER};
#[cfg(not(target_arch = "wasm32"))]
pub use store::FileStore;
pub use store::{Batch, HomeExport, MemoryStore, QueueStore, SharedStore, Store, StoreError};
pub use value::HostValue;
