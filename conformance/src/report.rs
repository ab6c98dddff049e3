//! The results of a run: the JSON schema (stable field names) and the
//! human-readable table.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// The engine label of piccolo's core.
pub const ENGINE: &str = "piccolo-0.3.3";

/// The label written into reports for `engine`.
pub fn engine_label(engine: vm_ext::engine::Engine) -> &'static str {
    match engine {
        vm_ext::engine::Engine::Piccolo => ENGINE,
        vm_ext::engine::Engine::Luahome => "luahome",
    }
}

/// How one file ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The chunk ran to its end.
    Pass,
    /// The chunk raised an error (or did not compile, or exceeded the memory limit).
    Fail,
    /// The chunk used up its fuel or wall-clock budget.
    Timeout,
    /// The VM panicked (an internal error), caught by the runner.
    Panic,
    /// The file was not run (listed under `[[skip]]`).
    Skip,
}

impl Status {
    /// The lowercase name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Timeout => "timeout",
            Status::Panic => "panic",
            Status::Skip => "skip",
        }
    }

    /// Whether the file ran and did not pass.
    pub fn is_failure(self) -> bool {
        matches!(self, Status::Fail | Status::Timeout | Status::Panic)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result for one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileResult {
    /// The file name relative to the suite folder, e.g. `strings.lua`.
    pub name: String,
    /// How it ended.
    pub status: Status,
    /// How many `assert` calls succeeded before the end.
    pub asserts: u64,
    /// The first error message (for a skip: the reason), or `null`.
    pub error: Option<String>,
    /// The line the error names, when known.
    #[serde(default)]
    pub line: Option<u64>,
    /// Wall-clock milliseconds spent on the file.
    pub ms: u64,
}

/// Which suite a report is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteInfo {
    /// The suite's name, e.g. `lua-testes` or `luahome-cases`.
    pub name: String,
    /// The pinned version, e.g. `5.4.8`.
    pub version: String,
}

/// Counts over all files of a report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Files in the report (run or skipped).
    pub files: u64,
    /// Files that passed.
    pub pass: u64,
    /// Files that failed.
    pub fail: u64,
    /// Files that timed out.
    pub timeout: u64,
    /// Files whose run panicked.
    pub panic: u64,
    /// Files skipped.
    pub skip: u64,
    /// Successful `assert` calls over all files.
    pub asserts: u64,
}

impl Totals {
    /// Adds up the statuses and assert counts of `files`.
    pub fn of(files: &[FileResult]) -> Totals {
        let mut t = Totals::default();
        for f in files {
            t.files += 1;
            t.asserts += f.asserts;
            match f.status {
                Status::Pass => t.pass += 1,
                Status::Fail => t.fail += 1,
                Status::Timeout => t.timeout += 1,
                Status::Panic => t.panic += 1,
                Status::Skip => t.skip += 1,
            }
        }
        t
    }
}

/// A whole run, as written by `run --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The suite and its version.
    pub suite: SuiteInfo,
    /// The engine that ran it (see [`engine_label`]).
    pub engine: String,
    /// When the run ended, ISO 8601 UTC.
    pub date: String,
    /// One entry per file, sorted by name.
    pub files: Vec<FileResult>,
    /// Counts over `files`.
    pub totals: Totals,
}

impl Report {
    /// A report for `files`, dated now.
    pub fn new(suite: SuiteInfo, mut files: Vec<FileResult>) -> Report {
        files.sort_by(|a, b| a.name.cmp(&b.name));
        let totals = Totals::of(&files);
        Report {
            suite,
            engine: ENGINE.to_string(),
            date: now_iso8601(),
            files,
            totals,
        }
    }

    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// A fixed-width table: one row per file, then a totals line. `note`
    /// gives an extra marker per file (e.g. `known`).
    pub fn table(&self, note: impl Fn(&FileResult) -> &'static str) -> String {
        let width = self
            .files
            .iter()
            .map(|f| f.name.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<width$}  {:<8}  {:>7}  {:>8}  error",
            "file", "status", "asserts", "ms"
        );
        for f in &self.files {
            let mut err = f.error.clone().unwrap_or_default().replace('\n', " ");
            if let Some(line) = f.line {
                if !err.contains(&format!(":{line}:")) {
                    err = format!("(line {line}) {err}");
                }
            }
            if err.chars().count() > 100 {
                err = err.chars().take(97).collect::<String>() + "...";
            }
            let n = note(f);
            let status = if n.is_empty() {
                f.status.to_string()
            } else {
                format!("{}*", f.status)
            };
            let _ = writeln!(
                out,
                "{:<width$}  {:<8}  {:>7}  {:>8}  {err}",
                f.name, status, f.asserts, f.ms
            );
        }
        let t = &self.totals;
        let _ = writeln!(
            out,
            "totals: {} files, {} pass, {} fail, {} timeout, {} panic, {} skip, {} asserts",
            t.files, t.pass, t.fail, t.timeout, t.panic, t.skip, t.asserts
        );
        out
    }
}

/// The current time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn now_iso8601() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    iso8601(secs)
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn iso8601(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(1_795_219_200 + 3_723), "2026-11-21T01:02:03Z");
    }
}
