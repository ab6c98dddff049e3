//! Typed errors that leave the VM: what the CLI prints and what the wasm edge
//! turns into a JS `LuaError`.

use std::fmt;

use piccolo::{compiler::ParseErrorKind, PrototypeError};

/// What kind of failure ended a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The chunk did not compile.
    Syntax,
    /// A Lua error raised while running (`error(...)`, a type error, ...).
    Runtime,
    /// The host stopped the chunk (`stop()`, Ctrl-C).
    Stopped,
    /// The run used more fuel than it was allowed.
    FuelLimit,
    /// The Lua heap grew past the runtime's memory limit.
    Memory,
    /// The VM hit an internal failure (a panic caught natively); the runtime
    /// is unusable afterwards and must be recreated.
    Internal,
    /// The runtime was asked to do something its state does not allow
    /// (for example loading a chunk while another runs).
    Busy,
}

impl ErrorKind {
    /// A stable lowercase name, used as `LuaError.kind` in JS.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax",
            ErrorKind::Runtime => "runtime",
            ErrorKind::Stopped => "stopped",
            ErrorKind::FuelLimit => "fuel",
            ErrorKind::Memory => "memory",
            ErrorKind::Internal => "internal",
            ErrorKind::Busy => "busy",
        }
    }
}

/// An error as the host sees it.
///
/// `message` is what Lua itself would show (for `error("boom")` at line 3 of
/// chunk `main` it is `main:3: boom`); `chunk` and `line` are the position when
/// it is known.
#[derive(Debug, Clone, PartialEq)]
pub struct LuaError {
    pub kind: ErrorKind,
    pub message: String,
    pub chunk: Option<String>,
    pub line: Option<u64>,
    pub traceback: Option<String>,
}

impl LuaError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        LuaError {
            kind,
            message: message.into(),
            chunk: None,
            line: None,
            traceback: None,
        }
    }

    /// Builds the error for a chunk that failed to compile; the message always
    /// starts with `chunk:line:`.
    pub fn from_prototype(chunk: &str, err: &PrototypeError) -> Self {
        let (line, text) = match err {
            PrototypeError::Parser(p) => {
                let text = match &p.kind {
                    ParseErrorKind::EndOfStream { expected } => match expected {
                        Some(e) => format!("unexpected end of input near <eof>, expected {e}"),
                        None => "unexpected end of input near <eof>".to_string(),
                    },
                    kind => kind.to_string(),
                };
                (p.line_number.0 + 1, text)
            }
            PrototypeError::Compiler(c) => (c.line_number.0 + 1, c.kind.to_string()),
        };
        LuaError {
            kind: ErrorKind::Syntax,
            message: format!("{chunk}:{line}: {text}"),
            chunk: Some(chunk.to_string()),
            line: Some(line),
            traceback: None,
        }
    }

    /// Builds a runtime error from the message Lua produced. If the message
    /// starts with `chunk:line:` for the running chunk, the position is taken
    /// from it.
    pub fn runtime(chunk: &str, message: String) -> Self {
        let line = parse_position(chunk, &message);
        LuaError {
            kind: ErrorKind::Runtime,
            message,
            chunk: Some(chunk.to_string()),
            line,
            traceback: None,
        }
    }

    /// True if `message` already names a position (`chunk:line: ...`).
    pub fn has_position(&self) -> bool {
        self.line.is_some()
    }

    /// Whether the error was a syntax error that ended at end of input; the REPL
    /// uses this to ask for a continuation line.
    pub fn is_incomplete_input(&self) -> bool {
        self.kind == ErrorKind::Syntax && self.message.contains("near <eof>")
    }
}

/// Reads the line out of `chunk:LINE: rest`.
fn parse_position(chunk: &str, message: &str) -> Option<u64> {
    let rest = message.strip_prefix(chunk)?.strip_prefix(':')?;
    let end = rest.find(':')?;
    rest[..end].parse().ok()
}

impl fmt::Display for LuaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.chunk, self.line) {
            (_, Some(_)) => f.write_str(&self.message),
            (Some(chunk), None) if !self.message.starts_with(chunk.as_str()) => {
                write!(f, "{chunk}: {}", self.message)
            }
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for LuaError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_is_read_from_message() {
        let e = LuaError::runtime("main", "main:12: boom".into());
        assert_eq!(e.line, Some(12));
        assert_eq!(e.to_string(), "main:12: boom");
        let e = LuaError::runtime("main", "attempt to call nil".into());
        assert_eq!(e.line, None);
        assert_eq!(e.to_string(), "main: attempt to call nil");
    }
}
