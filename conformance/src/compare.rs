//! `compare OLD.json NEW.json`: what changed between two reports.

use std::{collections::BTreeMap, fmt::Write as _};

use crate::report::{FileResult, Report, Status};

/// One file whose result differs between two reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The file name.
    pub name: String,
    /// Its status before (`None`: not in the old report).
    pub old: Option<Status>,
    /// Its status after (`None`: not in the new report).
    pub new: Option<Status>,
    /// Successful asserts before.
    pub old_asserts: u64,
    /// Successful asserts after.
    pub new_asserts: u64,
}

/// The differences between two reports, grouped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Did not pass before, pass now.
    pub fixed: Vec<Change>,
    /// Passed before, fail or time out now.
    pub broken: Vec<Change>,
    /// Panic now, did not before.
    pub new_panics: Vec<Change>,
    /// Other status changes (e.g. timeout -> fail, fail -> skip).
    pub status_changes: Vec<Change>,
    /// Same status, different number of successful asserts.
    pub assert_changes: Vec<Change>,
    /// Files only in the new report.
    pub added: Vec<Change>,
    /// Files only in the old report.
    pub removed: Vec<Change>,
}

/// Compares `old` with `new`, file by file.
pub fn compare(old: &Report, new: &Report) -> Comparison {
    let olds: BTreeMap<&str, &FileResult> =
        old.files.iter().map(|f| (f.name.as_str(), f)).collect();
    let news: BTreeMap<&str, &FileResult> =
        new.files.iter().map(|f| (f.name.as_str(), f)).collect();
    let mut names: Vec<&str> = olds.keys().chain(news.keys()).copied().collect();
    names.sort();
    names.dedup();
    let mut c = Comparison::default();
    for name in names {
        let (o, n) = (olds.get(name), news.get(name));
        let change = Change {
            name: name.to_string(),
            old: o.map(|f| f.status),
            new: n.map(|f| f.status),
            old_asserts: o.map_or(0, |f| f.asserts),
            new_asserts: n.map_or(0, |f| f.asserts),
        };
        match (change.old, change.new) {
            (None, _) => c.added.push(change),
            (_, None) => c.removed.push(change),
            (Some(a), Some(b)) if a == b => {
                if change.old_asserts != change.new_asserts {
                    c.assert_changes.push(change);
                }
            }
            (Some(_), Some(Status::Pass)) => c.fixed.push(change),
            (Some(_), Some(Status::Panic)) => c.new_panics.push(change),
            (Some(Status::Pass), Some(Status::Fail | Status::Timeout)) => c.broken.push(change),
            _ => c.status_changes.push(change),
        }
    }
    c
}

fn status(s: Option<Status>) -> &'static str {
    s.map_or("-", Status::as_str)
}

fn delta(c: &Change) -> String {
    let d = c.new_asserts as i128 - c.old_asserts as i128;
    format!("{} -> {} ({d:+})", c.old_asserts, c.new_asserts)
}

impl Comparison {
    /// The comparison as text (`markdown`: as Markdown sections and tables).
    pub fn render(&self, old: &Report, new: &Report, markdown: bool) -> String {
        let mut out = String::new();
        let (o, n) = (&old.totals, &new.totals);
        let summary = format!(
            "pass {} -> {}, fail {} -> {}, timeout {} -> {}, panic {} -> {}, skip {} -> {}, asserts {} -> {}",
            o.pass, n.pass, o.fail, n.fail, o.timeout, n.timeout, o.panic, n.panic, o.skip, n.skip, o.asserts, n.asserts
        );
        if markdown {
            let _ = writeln!(
                out,
                "## Conformance: {} {} -> {} {}\n",
                old.suite.name, old.suite.version, new.suite.name, new.suite.version
            );
            let _ = writeln!(out, "{summary}\n");
        } else {
            let _ = writeln!(out, "{summary}");
        }
        let groups: [(&str, &Vec<Change>); 7] = [
            ("Fixed", &self.fixed),
            ("Broken", &self.broken),
            ("Newly panicking", &self.new_panics),
            ("Other status changes", &self.status_changes),
            ("Assert count changes", &self.assert_changes),
            ("Added files", &self.added),
            ("Removed files", &self.removed),
        ];
        for (title, changes) in groups {
            if changes.is_empty() {
                continue;
            }
            if markdown {
                let _ = writeln!(out, "### {title} ({})\n", changes.len());
                let _ = writeln!(out, "| file | old | new | asserts |");
                let _ = writeln!(out, "|---|---|---|---|");
                for c in changes {
                    let _ = writeln!(
                        out,
                        "| `{}` | {} | {} | {} |",
                        c.name,
                        status(c.old),
                        status(c.new),
                        delta(c)
                    );
                }
                out.push('\n');
            } else {
                let _ = writeln!(out, "{title} ({}):", changes.len());
                for c in changes {
                    let _ = writeln!(
                        out,
                        "  {}: {} -> {}, asserts {}",
                        c.name,
                        status(c.old),
                        status(c.new),
                        delta(c)
                    );
                }
            }
        }
        if self.is_empty() {
            let _ = writeln!(out, "no changes");
        }
        out
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.fixed.is_empty()
            && self.broken.is_empty()
            && self.new_panics.is_empty()
            && self.status_changes.is_empty()
            && self.assert_changes.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
    }
}
