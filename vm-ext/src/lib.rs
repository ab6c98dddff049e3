//! The luahome engine around piccolo: a sliced [`Runtime`], the standard library
//! completion, and (later) the `_home` persistence model. Platform-free: no
//! web-sys here, everything builds and tests natively.

pub mod error;
pub mod host;
pub mod number;
pub mod number_parse;
pub mod runtime;
pub mod stdlib;
pub mod value;

pub use error::{ErrorKind, LuaError};
pub use host::{Host, OutputBuffer};
pub use runtime::{Runtime, RuntimeOptions, StepResult, FUEL_PER_ENTER};
pub use value::HostValue;
