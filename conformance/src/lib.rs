//! The luahome conformance runner: runs Lua test suites laid out like the
//! official Lua 5.4 `testes/` folder (or the project's own `cases/`), one
//! fresh [`vm_ext::Runtime`] per file, and reports per-file results as JSON,
//! as a table, and as a diff against earlier results.
//!
//! Modelled on boa's `tests/tester`: a pinned suite version, a reason beside
//! every skipped or known-failing file, panics counted apart from failures.

pub mod cli;
pub mod compare;
pub mod config;
pub mod libs;
pub mod report;
pub mod runner;

pub use config::{Config, ConfigError, Entry, Limits};
pub use report::{FileResult, Report, Status, SuiteInfo, Totals};
pub use runner::{run_file, run_file_on, run_suite, suite_files, HostKind, RunOptions};
