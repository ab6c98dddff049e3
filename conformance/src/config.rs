//! The TOML configuration of a suite: its pinned version, limits, and the
//! files skipped or known to fail, each with a reason.
//!
//! ```toml
//! [suite]
//! name = "lua-testes"
//! version = "5.4.8"
//! source = "tag v5.4.8 of the Lua repository, folder testes/"
//! env = "LUA_TESTES_DIR"      # where to find it when no SUITE_DIR is given
//! # dir = "cases"             # or: a folder relative to this file
//!
//! [limits]
//! fuel = 1_000_000_000        # VM fuel per file (about one unit per instruction: loops pay their length)
//! memory_mb = 512             # Lua heap per file
//! time_s = 120                # wall-clock seconds per file
//!
//! [[skip]]
//! file = "api.lua"
//! reason = "needs the C test module T"
//!
//! [[native]]                  # runs with the CLI's host: real files, environment
//! file = "files.lua"
//! reason = "needs a real file system"   # why hosts without one skip it
//!
//! [[known_failure]]
//! file = "strings.lua"
//! reason = "string.format is incomplete"
//! ```

use std::{
    fmt, fs,
    path::{Path, PathBuf},
};

use serde::Deserialize;

/// The pinned suite.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteSection {
    /// The suite's name in reports.
    pub name: String,
    /// Its pinned version.
    pub version: String,
    /// Where to get it (free text).
    #[serde(default)]
    pub source: Option<String>,
    /// An environment variable naming the suite folder.
    #[serde(default)]
    pub env: Option<String>,
    /// The suite folder, relative to the config file.
    #[serde(default)]
    pub dir: Option<String>,
}

/// Per-file limits.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// VM fuel per file; beyond it the file times out.
    pub fuel: u64,
    /// Lua heap megabytes per file; beyond it the file fails.
    pub memory_mb: u64,
    /// Wall-clock seconds per file; beyond it the file times out.
    pub time_s: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: 1_000_000_000,
            memory_mb: 512,
            time_s: 120,
        }
    }
}

/// A file with the reason it is listed.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The file name relative to the suite folder.
    pub file: String,
    /// Why it is skipped or known to fail.
    pub reason: String,
    /// For a known failure: the engine it fails on (`piccolo`, `luahome`);
    /// none means every engine.
    #[serde(default)]
    pub engine: Option<String>,
}

/// A whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The pinned suite.
    pub suite: SuiteSection,
    /// Per-file limits.
    #[serde(default)]
    pub limits: Limits,
    /// Files not run at all.
    #[serde(default)]
    pub skip: Vec<Entry>,
    /// Files that run with the native host the CLI uses (`Host::native()`:
    /// real files, environment variables), each in a fresh temporary working
    /// directory. A runner without a file system (the browser page) skips
    /// them, giving the entry's reason.
    #[serde(default)]
    pub native: Vec<Entry>,
    /// Files expected to fail; one that passes fails the run.
    #[serde(default)]
    pub known_failure: Vec<Entry>,
    /// The file this was read from.
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

/// Why a configuration could not be used.
#[derive(Debug)]
pub enum ConfigError {
    /// The file could not be read or written.
    Io(PathBuf, std::io::Error),
    /// The file is not valid TOML for this schema.
    Parse(PathBuf, String),
    /// An entry is missing its reason, or listed twice.
    Invalid(PathBuf, String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            ConfigError::Parse(p, e) => write!(f, "{}: {e}", p.display()),
            ConfigError::Invalid(p, e) => write!(f, "{}: {e}", p.display()),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = fs::read_to_string(path).map_err(|e| ConfigError::Io(path.to_path_buf(), e))?;
        let mut config = Config::parse(&text).map_err(|e| match e {
            ConfigError::Parse(_, m) => ConfigError::Parse(path.to_path_buf(), m),
            ConfigError::Invalid(_, m) => ConfigError::Invalid(path.to_path_buf(), m),
            other => other,
        })?;
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// Parses and checks configuration text.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let config: Config =
            toml::from_str(text).map_err(|e| ConfigError::Parse(PathBuf::new(), e.to_string()))?;
        let mut seen = std::collections::HashSet::new();
        for e in config.skip.iter().chain(&config.known_failure) {
            if e.reason.trim().is_empty() {
                return Err(ConfigError::Invalid(
                    PathBuf::new(),
                    format!("{}: an entry needs a reason", e.file),
                ));
            }
            if !seen.insert((e.file.as_str(), e.engine.as_deref())) {
                return Err(ConfigError::Invalid(
                    PathBuf::new(),
                    format!("{}: listed twice", e.file),
                ));
            }
        }
        for e in &config.native {
            if e.reason.trim().is_empty() {
                return Err(ConfigError::Invalid(
                    PathBuf::new(),
                    format!("{}: an entry needs a reason", e.file),
                ));
            }
            if e.engine.is_some() {
                return Err(ConfigError::Invalid(
                    PathBuf::new(),
                    format!("{}: a [[native]] entry applies to every engine", e.file),
                ));
            }
            if config.skip_reason(&e.file).is_some() {
                return Err(ConfigError::Invalid(
                    PathBuf::new(),
                    format!("{}: both skipped and run natively", e.file),
                ));
            }
            if config.native.iter().filter(|n| n.file == e.file).count() > 1 {
                return Err(ConfigError::Invalid(
                    PathBuf::new(),
                    format!("{}: listed twice", e.file),
                ));
            }
        }
        Ok(config)
    }

    /// Whether `file` runs with the native host (a `[[native]]` entry).
    pub fn is_native(&self, file: &str) -> bool {
        self.native.iter().any(|e| e.file == file)
    }

    /// The reason `file` is skipped, if it is.
    pub fn skip_reason(&self, file: &str) -> Option<&str> {
        self.skip
            .iter()
            .find(|e| e.file == file)
            .map(|e| e.reason.as_str())
    }

    /// The reason `file` is a known failure on `engine`, if it is.
    pub fn known_failure(&self, file: &str, engine: &str) -> Option<&str> {
        self.known_failure
            .iter()
            .find(|e| e.file == file && e.engine.as_deref().is_none_or(|x| x == engine))
            .map(|e| e.reason.as_str())
    }

    /// The suite folder the config names: `dir` relative to the config file,
    /// else the folder in the `env` variable.
    pub fn suite_dir(&self) -> Option<PathBuf> {
        if let Some(dir) = &self.suite.dir {
            let base = self
                .path
                .as_deref()
                .and_then(Path::parent)
                .unwrap_or(Path::new("."));
            return Some(base.join(dir));
        }
        let var = self.suite.env.as_deref()?;
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    }
}

/// Rewrites the `[[known_failure]]` list of the config text `text`: entries
/// from `entries` replace everything from the first `[[known_failure]]`
/// line to the end (keep that list last in the file). Returns the new text.
pub fn rewrite_known_failures(text: &str, entries: &[Entry]) -> String {
    let cut = text
        .lines()
        .scan(0usize, |pos, line| {
            let start = *pos;
            *pos += line.len() + 1;
            Some((start, line))
        })
        .find(|(_, line)| line.trim() == "[[known_failure]]")
        .map_or(text.len(), |(start, _)| start);
    let mut out = text[..cut.min(text.len())].to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str("[[known_failure]]\n");
        out.push_str(&format!("file = {}\n", toml_string(&e.file)));
        if let Some(engine) = &e.engine {
            out.push_str(&format!("engine = {}\n", toml_string(engine)));
        }
        out.push_str(&format!("reason = {}\n", toml_string(&e.reason)));
    }
    out
}

/// A TOML basic string for `s`.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rewrites() {
        let text = "[suite]\nname = \"x\"\nversion = \"1\"\n\n[[skip]]\nfile = \"a.lua\"\nreason = \"r\"\n\n[[known_failure]]\nfile = \"b.lua\"\nreason = \"old\"\n";
        let c = Config::parse(text).unwrap();
        assert_eq!(c.skip_reason("a.lua"), Some("r"));
        assert_eq!(c.known_failure("b.lua", "piccolo"), Some("old"));
        assert_eq!(c.limits, Limits::default());
        let new = rewrite_known_failures(
            text,
            &[Entry {
                file: "c.lua".into(),
                reason: "say \"hi\"\n".into(),
                engine: Some("luahome".into()),
            }],
        );
        let c = Config::parse(&new).unwrap();
        assert_eq!(
            c.known_failure,
            vec![Entry {
                file: "c.lua".into(),
                reason: "say \"hi\"\n".into(),
                engine: Some("luahome".into()),
            }]
        );
        assert_eq!(c.skip.len(), 1);
    }

    #[test]
    fn rejects_missing_reason_and_duplicates() {
        let t =
            "[suite]\nname = \"x\"\nversion = \"1\"\n[[skip]]\nfile = \"a.lua\"\nreason = \" \"\n";
        assert!(matches!(Config::parse(t), Err(ConfigError::Invalid(..))));
        let t = "[suite]\nname = \"x\"\nversion = \"1\"\n[[skip]]\nfile = \"a.lua\"\nreason = \"r\"\n[[known_failure]]\nfile = \"a.lua\"\nreason = \"r\"\n";
        assert!(matches!(Config::parse(t), Err(ConfigError::Invalid(..))));
        assert!(matches!(
            Config::parse("[suite]\nname = 1"),
            Err(ConfigError::Parse(..))
        ));
    }

    #[test]
    fn native_entries() {
        let t = "[suite]\nname = \"x\"\nversion = \"1\"\n[[native]]\nfile = \"files.lua\"\nreason = \"needs files\"\n[[known_failure]]\nfile = \"files.lua\"\nreason = \"not yet\"\n";
        let c = Config::parse(t).unwrap();
        assert!(c.is_native("files.lua"));
        assert!(!c.is_native("other.lua"));
        assert_eq!(c.skip_reason("files.lua"), None, "native files are run");
        assert_eq!(c.known_failure("files.lua", "luahome"), Some("not yet"));
        assert_eq!(c.native[0].reason, "needs files");
        // A reason is required; skipped and native at once, twice, or per
        // engine is an error.
        let bad = [
            t.replace("needs files", " "),
            format!("{t}[[skip]]\nfile = \"files.lua\"\nreason = \"r\"\n"),
            format!("{t}[[native]]\nfile = \"files.lua\"\nreason = \"r\"\n"),
            t.replace(
                "reason = \"needs files\"",
                "engine = \"luahome\"\nreason = \"r\"",
            ),
        ];
        for b in &bad {
            assert!(
                matches!(Config::parse(b), Err(ConfigError::Invalid(..))),
                "{b}"
            );
        }
        assert!(Config::parse(&t.replace("[[native]]", "[[native]]\nhost = 1")).is_err());
    }

    #[test]
    fn known_failures_are_per_engine() {
        let t = "[suite]\nname = \"x\"\nversion = \"1\"\n[[known_failure]]\nfile = \"a.lua\"\nengine = \"piccolo\"\nreason = \"p\"\n[[known_failure]]\nfile = \"a.lua\"\nengine = \"luahome\"\nreason = \"l\"\n[[known_failure]]\nfile = \"b.lua\"\nreason = \"both\"\n";
        let c = Config::parse(t).unwrap();
        assert_eq!(c.known_failure("a.lua", "piccolo"), Some("p"));
        assert_eq!(c.known_failure("a.lua", "luahome"), Some("l"));
        assert_eq!(c.known_failure("b.lua", "luahome"), Some("both"));
        assert_eq!(c.known_failure("c.lua", "luahome"), None);
        let dup = t.replace("engine = \"luahome\"", "engine = \"piccolo\"");
        assert!(Config::parse(&dup).is_err());
    }
}
