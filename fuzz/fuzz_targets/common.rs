//! Shared by the targets that run code (`#[path]`-included).

use vm_ext::{runtime::StepResult, ErrorKind, Runtime};

/// Steps `rt` (at most 1,000 slices of 10,000 fuel) until it ends; an
/// internal error — how the runtime reports a caught panic — fails the
/// target with `what` in the message.
pub fn run_bounded(rt: &mut Runtime, what: &str) {
    for _ in 0..1000 {
        match rt.step(10_000) {
            StepResult::Running | StepResult::Waiting => {}
            StepResult::Error(e) => {
                assert!(
                    e.kind != ErrorKind::Internal,
                    "{what} reached an internal error: {}",
                    e.message
                );
                return;
            }
            _ => return,
        }
    }
}
