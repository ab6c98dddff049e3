//! The project's own Lua 5.4 compiler: source text in, plain-data
//! [`Proto`]s out (no piccolo types, so it is tested and fuzzed alone).
//!
//! `lexer` reads tokens, `parser` reads the grammar and drives `code`, which
//! emits [`crate::bytecode`] instructions the way PUC Lua's `lcode.c` does;
//! `fold` folds constant arithmetic; `listing` prints a `luac -l`-style
//! listing.
//!
//! A crate of its own, on `luahome-bytecode`, so that the wasm builds it for
//! size while the interpreter is built for speed (Cargo.toml:
//! `[profile.wasm]`); `luahome-vm-ext` re-exports it as `vm_ext::compiler`.

// The shared modules under the paths the compiler was written with.
use luahome_bytecode::{bytecode, number};

mod code;
mod fold;
pub mod lexer;
pub mod listing;
mod parser;

use crate::bytecode::Proto;

/// A compile error: Lua's message (`chunk:line: message near 'token'`) and
/// the line it names.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CompileError {
    pub message: String,
    pub line: u32,
}

impl CompileError {
    fn new(chunk: &str, line: u32, text: String) -> Self {
        CompileError {
            message: format!("{chunk}:{line}: {text}"),
            line,
        }
    }

    /// Whether the error is at the end of the input (the REPL then asks for
    /// more lines).
    pub fn is_incomplete_input(&self) -> bool {
        self.message.ends_with("<eof>")
    }
}

/// `source` without a leading UTF-8 byte order mark and then without a first
/// line starting with `#` (a Unix `#!` line), as `luaL_loadfile` skips them;
/// the newline stays so line numbers stay right, unless a binary chunk
/// follows it (which must start with its signature).
pub fn skip_hash_line(source: &[u8]) -> &[u8] {
    let source = source.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(source);
    if source.first() == Some(&b'#') {
        let nl = source
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(source.len());
        match source.get(nl + 1) {
            Some(0x1b) => &source[nl + 1..],
            _ => &source[nl..],
        }
    } else {
        source
    }
}

/// Compiles a chunk. `chunk_name` is Lua's raw form (`=name`, `@file`, or
/// the source text itself); errors show it as [`chunk_id`] does.
pub fn compile(source: &[u8], chunk_name: &str) -> Result<Proto, CompileError> {
    let display = chunk_id(chunk_name.as_bytes());
    parser::Parser::new(source, chunk_name, display).main_func()
}

/// The name Lua shows for a chunk (`luaO_chunkid`): `=name` as `name`,
/// `@file` as `file` (shortened from the left), source text as
/// `[string "first line..."]`.
pub fn chunk_id(source: &[u8]) -> String {
    const IDSIZE: usize = 60;
    match source.first() {
        Some(b'=') => String::from_utf8_lossy(&source[1..source.len().min(IDSIZE)]).into_owned(),
        Some(b'@') => {
            let rest = &source[1..];
            if rest.len() < IDSIZE {
                String::from_utf8_lossy(rest).into_owned()
            } else {
                let keep = IDSIZE - 4;
                format!("...{}", String::from_utf8_lossy(&rest[rest.len() - keep..]))
            }
        }
        _ => {
            let avail = IDSIZE - 15;
            let nl = source.iter().position(|&b| b == b'\n');
            let mut text = &source[..nl.unwrap_or(source.len())];
            let truncated = nl.is_some() || text.len() > avail;
            if text.len() > avail {
                text = &text[..avail];
            }
            let text = String::from_utf8_lossy(text);
            if truncated {
                format!("[string \"{text}...\"]")
            } else {
                format!("[string \"{text}\"]")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hash_line_is_skipped_keeping_line_numbers() {
        assert_eq!(super::skip_hash_line(b"#!/usr/bin/lua\nx = 1"), b"\nx = 1");
        assert_eq!(super::skip_hash_line(b"# only"), b"");
        assert_eq!(super::skip_hash_line(b"x = 1 # no"), b"x = 1 # no");
        // A byte order mark first, as files.lua checks.
        assert_eq!(super::skip_hash_line(b"\xEF\xBB\xBF# c\nx"), b"\nx");
        assert_eq!(super::skip_hash_line(b"\xEF\xBB\xBFreturn 1"), b"return 1");
        assert_eq!(super::skip_hash_line(b"\xEF\xBB\xBF"), b"");
        assert_eq!(super::skip_hash_line(b"\xEF\xBB"), b"\xEF\xBB");
        // A binary chunk after the comment line keeps its signature first.
        assert_eq!(super::skip_hash_line(b"# c\0\n\x1bLua"), b"\x1bLua");
        let e = super::compile(super::skip_hash_line(b"#!lua\nx = = 1"), "=t").unwrap_err();
        assert_eq!(e.line, 2);
    }
}
