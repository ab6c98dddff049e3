//! Services the host (CLI, browser) provides to the standard library.

use std::{cell::RefCell, rc::Rc};

use crate::host_call::HostCalls;

/// Bytes written by `print` and `io.write`, drained by the runtime after each
/// bounded `enter` so output streams while a script runs.
#[derive(Clone, Default)]
pub struct OutputBuffer(Rc<RefCell<Vec<u8>>>);

impl OutputBuffer {
    pub fn write(&self, bytes: &[u8]) {
        self.0.borrow_mut().extend_from_slice(bytes);
    }

    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.borrow_mut())
    }

    pub fn is_empty(&self) -> bool {
        self.0.borrow().is_empty()
    }
}

/// Handles shared between a [`crate::Runtime`] and the callbacks it installs.
#[derive(Clone, Default)]
pub struct Host {
    pub output: OutputBuffer,
    pub calls: HostCalls,
}
