//! The lexer: Lua 5.4 tokens from bytes, as PUC Lua's `llex.c` reads them.

use crate::number::{str_to_number, Num};

/// One token.
#[derive(Clone, Debug, PartialEq)]
pub enum Token {
    Name(Box<[u8]>),
    String(Box<[u8]>),
    Int(i64),
    Float(f64),
    // Keywords.
    And,
    Break,
    Do,
    Else,
    Elseif,
    End,
    False,
    For,
    Function,
    Goto,
    If,
    In,
    Local,
    Nil,
    Not,
    Or,
    Repeat,
    Return,
    Then,
    True,
    Until,
    While,
    // Symbols.
    Plus,
    Minus,
    Star,
    Slash,
    DoubleSlash,
    Percent,
    Caret,
    Hash,
    Ampersand,
    Tilde,
    Pipe,
    ShiftLeft,
    ShiftRight,
    Eq,
    NotEq,
    LessEq,
    GreaterEq,
    Less,
    Greater,
    Assign,
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    DoubleColon,
    Semicolon,
    Colon,
    Comma,
    Dot,
    Concat,
    Dots,
    Eof,
}

const KEYWORDS: &[(&[u8], Token)] = &[
    (b"and", Token::And),
    (b"break", Token::Break),
    (b"do", Token::Do),
    (b"else", Token::Else),
    (b"elseif", Token::Elseif),
    (b"end", Token::End),
    (b"false", Token::False),
    (b"for", Token::For),
    (b"function", Token::Function),
    (b"goto", Token::Goto),
    (b"if", Token::If),
    (b"in", Token::In),
    (b"local", Token::Local),
    (b"nil", Token::Nil),
    (b"not", Token::Not),
    (b"or", Token::Or),
    (b"repeat", Token::Repeat),
    (b"return", Token::Return),
    (b"then", Token::Then),
    (b"true", Token::True),
    (b"until", Token::Until),
    (b"while", Token::While),
];

impl Token {
    /// How Lua shows the token in "near" messages (`luaX_token2str`).
    pub fn describe(&self) -> String {
        match self {
            Token::Name(n) => String::from_utf8_lossy(n).into_owned(),
            Token::String(s) => String::from_utf8_lossy(s).into_owned(),
            Token::Int(i) => i.to_string(),
            Token::Float(f) => crate::number::float_to_string(*f),
            Token::Eof => "<eof>".to_string(),
            other => other.symbol().to_string(),
        }
    }

    /// The fixed text of a keyword or symbol ("" for tokens with a value).
    pub fn symbol(&self) -> &'static str {
        match self {
            Token::And => "and",
            Token::Break => "break",
            Token::Do => "do",
            Token::Else => "else",
            Token::Elseif => "elseif",
            Token::End => "end",
            Token::False => "false",
            Token::For => "for",
            Token::Function => "function",
            Token::Goto => "goto",
            Token::If => "if",
            Token::In => "in",
            Token::Local => "local",
            Token::Nil => "nil",
            Token::Not => "not",
            Token::Or => "or",
            Token::Repeat => "repeat",
            Token::Return => "return",
            Token::Then => "then",
            Token::True => "true",
            Token::Until => "until",
            Token::While => "while",
            Token::Plus => "+",
            Token::Minus => "-",
            Token::Star => "*",
            Token::Slash => "/",
            Token::DoubleSlash => "//",
            Token::Percent => "%",
            Token::Caret => "^",
            Token::Hash => "#",
            Token::Ampersand => "&",
            Token::Tilde => "~",
            Token::Pipe => "|",
            Token::ShiftLeft => "<<",
            Token::ShiftRight => ">>",
            Token::Eq => "==",
            Token::NotEq => "~=",
            Token::LessEq => "<=",
            Token::GreaterEq => ">=",
            Token::Less => "<",
            Token::Greater => ">",
            Token::Assign => "=",
            Token::LParen => "(",
            Token::RParen => ")",
            Token::LBrace => "{",
            Token::RBrace => "}",
            Token::LBracket => "[",
            Token::RBracket => "]",
            Token::DoubleColon => "::",
            Token::Semicolon => ";",
            Token::Colon => ":",
            Token::Comma => ",",
            Token::Dot => ".",
            Token::Concat => "..",
            Token::Dots => "...",
            Token::Eof => "<eof>",
            Token::Name(_) | Token::String(_) | Token::Int(_) | Token::Float(_) => "",
        }
    }
}

/// A lexical error: the message and the text it is "near" (`None` for none).
#[derive(Clone, Debug, PartialEq)]
pub struct LexError {
    pub line: u32,
    pub message: String,
    pub near: Option<String>,
}

/// Reads tokens one at a time.
pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    /// The current line (1-based).
    pub line: u32,
    /// Where the last token returned by `next_token` starts.
    pub tok_start: usize,
}

fn is_alpha(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'a> Lexer<'a> {
    /// A lexer over `src`; a first line starting with `#` is skipped, as the
    /// standalone interpreter and `luaL_loadfile` do.
    pub fn new(src: &'a [u8]) -> Self {
        Lexer {
            src,
            pos: 0,
            line: 1,
            tok_start: 0,
        }
    }

    /// The source text of the last token (up to the cursor).
    pub fn token_text(&self) -> &'a [u8] {
        &self.src[self.tok_start.min(self.pos)..self.pos]
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<u8> {
        self.src.get(self.pos + n).copied()
    }

    fn err(&self, message: &str, start: usize) -> LexError {
        let end = self.pos.min(self.src.len());
        let text = &self.src[start.min(end)..end];
        LexError {
            line: self.line,
            message: message.to_string(),
            near: Some(String::from_utf8_lossy(text).into_owned()),
        }
    }

    /// Skips a newline sequence (`\n`, `\r`, `\n\r`, `\r\n`) at the cursor.
    fn newline(&mut self) -> Result<(), LexError> {
        let first = self.src[self.pos];
        self.pos += 1;
        if let Some(next) = self.peek() {
            if (next == b'\n' || next == b'\r') && next != first {
                self.pos += 1;
            }
        }
        self.line = self.line.checked_add(1).ok_or_else(|| LexError {
            line: self.line,
            message: "chunk has too many lines".into(),
            near: None,
        })?;
        Ok(())
    }

    /// The next token and the line it ends on.
    pub fn next_token(&mut self) -> Result<Token, LexError> {
        loop {
            let Some(c) = self.peek() else {
                return Ok(Token::Eof);
            };
            let start = self.pos;
            self.tok_start = start;
            match c {
                b'\n' | b'\r' => self.newline()?,
                b' ' | b'\t' | 0x0b | 0x0c => self.pos += 1,
                b'-' => {
                    if self.peek_at(1) != Some(b'-') {
                        self.pos += 1;
                        return Ok(Token::Minus);
                    }
                    self.pos += 2;
                    if self.peek() == Some(b'[') {
                        if let Some(level) = self.long_bracket_level() {
                            self.long_string(level, start, true)?;
                            continue;
                        }
                    }
                    while let Some(b) = self.peek() {
                        if b == b'\n' || b == b'\r' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                b'[' => {
                    if let Some(level) = self.long_bracket_level() {
                        let s = self.long_string(level, start, false)?;
                        return Ok(Token::String(s.into()));
                    }
                    if self.peek_at(1) == Some(b'=') {
                        // `[=` not followed by a long bracket.
                        self.pos += 1;
                        while self.peek() == Some(b'=') {
                            self.pos += 1;
                        }
                        return Err(self.err("invalid long string delimiter", start));
                    }
                    self.pos += 1;
                    return Ok(Token::LBracket);
                }
                b'=' => return Ok(self.two(b'=', Token::Eq, Token::Assign)),
                b'<' => {
                    return Ok(match self.peek_at(1) {
                        Some(b'=') => {
                            self.pos += 2;
                            Token::LessEq
                        }
                        Some(b'<') => {
                            self.pos += 2;
                            Token::ShiftLeft
                        }
                        _ => {
                            self.pos += 1;
                            Token::Less
                        }
                    })
                }
                b'>' => {
                    return Ok(match self.peek_at(1) {
                        Some(b'=') => {
                            self.pos += 2;
                            Token::GreaterEq
                        }
                        Some(b'>') => {
                            self.pos += 2;
                            Token::ShiftRight
                        }
                        _ => {
                            self.pos += 1;
                            Token::Greater
                        }
                    })
                }
                b'/' => return Ok(self.two(b'/', Token::DoubleSlash, Token::Slash)),
                b'~' => return Ok(self.two(b'=', Token::NotEq, Token::Tilde)),
                b':' => return Ok(self.two(b':', Token::DoubleColon, Token::Colon)),
                b'"' | b'\'' => return self.short_string(c),
                b'.' => {
                    if self.peek_at(1) == Some(b'.') {
                        if self.peek_at(2) == Some(b'.') {
                            self.pos += 3;
                            return Ok(Token::Dots);
                        }
                        self.pos += 2;
                        return Ok(Token::Concat);
                    }
                    if self.peek_at(1).is_some_and(|b| b.is_ascii_digit()) {
                        return self.numeral();
                    }
                    self.pos += 1;
                    return Ok(Token::Dot);
                }
                b'0'..=b'9' => return self.numeral(),
                _ if is_alpha(c) => {
                    while self.peek().is_some_and(is_alnum) {
                        self.pos += 1;
                    }
                    let word = &self.src[start..self.pos];
                    for (kw, tok) in KEYWORDS {
                        if *kw == word {
                            return Ok(tok.clone());
                        }
                    }
                    return Ok(Token::Name(word.into()));
                }
                _ => {
                    self.pos += 1;
                    return Ok(match c {
                        b'+' => Token::Plus,
                        b'*' => Token::Star,
                        b'%' => Token::Percent,
                        b'^' => Token::Caret,
                        b'#' => Token::Hash,
                        b'&' => Token::Ampersand,
                        b'|' => Token::Pipe,
                        b'(' => Token::LParen,
                        b')' => Token::RParen,
                        b'{' => Token::LBrace,
                        b'}' => Token::RBrace,
                        b']' => Token::RBracket,
                        b';' => Token::Semicolon,
                        b',' => Token::Comma,
                        _ => {
                            let near = if c.is_ascii_graphic() {
                                (c as char).to_string()
                            } else {
                                format!("<\\{c}>")
                            };
                            return Err(LexError {
                                line: self.line,
                                message: "unexpected symbol".into(),
                                near: Some(near),
                            });
                        }
                    });
                }
            }
        }
    }

    fn two(&mut self, second: u8, double: Token, single: Token) -> Token {
        if self.peek_at(1) == Some(second) {
            self.pos += 2;
            double
        } else {
            self.pos += 1;
            single
        }
    }

    /// At a `[`: the level of a long bracket `[==[` starting here, if it is one.
    fn long_bracket_level(&self) -> Option<usize> {
        let mut n = 1;
        while self.peek_at(n) == Some(b'=') {
            n += 1;
        }
        (self.peek_at(n) == Some(b'[')).then_some(n - 1)
    }

    fn long_string(
        &mut self,
        level: usize,
        start: usize,
        comment: bool,
    ) -> Result<Vec<u8>, LexError> {
        let start_line = self.line;
        self.pos += level + 2;
        if matches!(self.peek(), Some(b'\n' | b'\r')) {
            self.newline()?;
        }
        let mut out = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                let what = if comment { "comment" } else { "string" };
                return Err(LexError {
                    line: self.line,
                    message: format!("unfinished long {what} (starting at line {start_line})"),
                    near: Some("<eof>".into()),
                });
            };
            match c {
                b']' => {
                    let mut n = 1;
                    while self.peek_at(n) == Some(b'=') {
                        n += 1;
                    }
                    if n - 1 == level && self.peek_at(n) == Some(b']') {
                        self.pos += n + 1;
                        let _ = start;
                        return Ok(out);
                    }
                    out.push(b']');
                    self.pos += 1;
                }
                b'\n' | b'\r' => {
                    self.newline()?;
                    if !comment {
                        out.push(b'\n');
                    }
                }
                _ => {
                    if !comment {
                        out.push(c);
                    }
                    self.pos += 1;
                }
            }
        }
    }

    fn short_string(&mut self, quote: u8) -> Result<Token, LexError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(LexError {
                    line: self.line,
                    message: "unfinished string".into(),
                    near: Some("<eof>".into()),
                });
            };
            match c {
                _ if c == quote => {
                    self.pos += 1;
                    return Ok(Token::String(out.into()));
                }
                b'\n' | b'\r' => return Err(self.err("unfinished string", start)),
                b'\\' => {
                    self.pos += 1;
                    self.escape(start, &mut out)?;
                }
                _ => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// After a backslash: one escape sequence into `out`.
    fn escape(&mut self, start: usize, out: &mut Vec<u8>) -> Result<(), LexError> {
        let Some(c) = self.peek() else {
            return Err(LexError {
                line: self.line,
                message: "unfinished string".into(),
                near: Some("<eof>".into()),
            });
        };
        let simple = match c {
            b'a' => Some(7),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(11),
            b'\\' => Some(b'\\'),
            b'"' => Some(b'"'),
            b'\'' => Some(b'\''),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            self.pos += 1;
            return Ok(());
        }
        match c {
            b'\n' | b'\r' => {
                self.newline()?;
                out.push(b'\n');
            }
            b'x' => {
                self.pos += 1;
                let mut v = 0u8;
                for _ in 0..2 {
                    match self.peek().and_then(|b| (b as char).to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d as u8;
                            self.pos += 1;
                        }
                        None => {
                            if self.peek().is_some() {
                                self.pos += 1;
                            }
                            return Err(self.err("hexadecimal digit expected", start));
                        }
                    }
                }
                out.push(v);
            }
            b'z' => {
                self.pos += 1;
                while let Some(b) = self.peek() {
                    match b {
                        b'\n' | b'\r' => self.newline()?,
                        b' ' | b'\t' | 0x0b | 0x0c => self.pos += 1,
                        _ => break,
                    }
                }
            }
            b'u' => {
                self.pos += 1;
                if self.peek() != Some(b'{') {
                    if self.peek().is_some() {
                        self.pos += 1;
                    }
                    return Err(self.err("missing '{' in \\u{xxxx}", start));
                }
                self.pos += 1;
                let mut v: u64 = 0;
                let mut digits = 0;
                while let Some(d) = self.peek().and_then(|b| (b as char).to_digit(16)) {
                    v = v * 16 + d as u64;
                    digits += 1;
                    self.pos += 1;
                    if v > 0x7FFF_FFFF {
                        return Err(self.err("UTF-8 value too large", start));
                    }
                }
                if digits == 0 {
                    if self.peek().is_some() {
                        self.pos += 1;
                    }
                    return Err(self.err("hexadecimal digit expected", start));
                }
                if self.peek() != Some(b'}') {
                    if self.peek().is_some() {
                        self.pos += 1;
                    }
                    return Err(self.err("missing '}' in \\u{xxxx}", start));
                }
                self.pos += 1;
                utf8_encode(v as u32, out);
            }
            b'0'..=b'9' => {
                let mut v: u32 = 0;
                let mut n = 0;
                while n < 3 && self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    v = v * 10 + (self.src[self.pos] - b'0') as u32;
                    self.pos += 1;
                    n += 1;
                }
                if v > 255 {
                    if self.peek().is_some() {
                        self.pos += 1;
                    }
                    return Err(self.err("decimal escape too large", start));
                }
                out.push(v as u8);
            }
            _ => {
                self.pos += 1;
                return Err(self.err("invalid escape sequence", start));
            }
        }
        Ok(())
    }

    fn numeral(&mut self) -> Result<Token, LexError> {
        let start = self.pos;
        let mut exp = (b'e', b'E');
        if self.peek() == Some(b'0') && matches!(self.peek_at(1), Some(b'x' | b'X')) {
            exp = (b'p', b'P');
            self.pos += 2;
        }
        while let Some(c) = self.peek() {
            if c == exp.0 || c == exp.1 {
                self.pos += 1;
                if matches!(self.peek(), Some(b'+' | b'-')) {
                    self.pos += 1;
                }
            } else if c.is_ascii_hexdigit() || c == b'.' || is_alnum(c) {
                self.pos += 1;
            } else {
                break;
            }
        }
        match str_to_number(&self.src[start..self.pos]) {
            Some(Num::Int(i)) => Ok(Token::Int(i)),
            Some(Num::Float(f)) => Ok(Token::Float(f)),
            None => Err(self.err("malformed number", start)),
        }
    }
}

/// Lua's `luaO_utf8esc`: up to 6 bytes for values up to 2^31.
pub fn utf8_encode(mut x: u32, out: &mut Vec<u8>) {
    if x < 0x80 {
        out.push(x as u8);
        return;
    }
    let mut buf = [0u8; 8];
    let mut n = 1;
    let mut mfb: u32 = 0x3f;
    loop {
        buf[8 - n] = 0x80 | (x & 0x3f) as u8;
        n += 1;
        x >>= 6;
        mfb >>= 1;
        if x <= mfb {
            break;
        }
    }
    buf[8 - n] = ((!mfb << 1) | x) as u8;
    out.extend_from_slice(&buf[8 - n..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(src: &str) -> Vec<Token> {
        let mut l = Lexer::new(src.as_bytes());
        let mut out = Vec::new();
        loop {
            let t = l.next_token().unwrap();
            if t == Token::Eof {
                return out;
            }
            out.push(t);
        }
    }

    fn lex_err(src: &str) -> LexError {
        let mut l = Lexer::new(src.as_bytes());
        loop {
            match l.next_token() {
                Ok(Token::Eof) => panic!("no error in {src:?}"),
                Ok(_) => {}
                Err(e) => return e,
            }
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(
            lex("3 3.0 0x10 0xA.8p1 1e2 .5 0xffffffffffffffff 9223372036854775808"),
            vec![
                Token::Int(3),
                Token::Float(3.0),
                Token::Int(16),
                Token::Float(21.0),
                Token::Float(100.0),
                Token::Float(0.5),
                Token::Int(-1),
                Token::Float(9223372036854775808.0),
            ]
        );
        assert_eq!(lex_err("3x").message, "malformed number");
        assert_eq!(lex_err("3x").near.as_deref(), Some("3x"));
        assert_eq!(lex_err("0x").message, "malformed number");
        assert_eq!(lex_err("1e").message, "malformed number");
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(
            lex(r#"'a\tb' "\65\066\x43" "\u{48}\u{7FFFFFFF}" "a\z
                  b" [[
x]] [==[]]]==]"#),
            vec![
                Token::String(b"a\tb"[..].into()),
                Token::String(b"ABC"[..].into()),
                Token::String(b"H\xFD\xBF\xBF\xBF\xBF\xBF"[..].into()),
                Token::String(b"ab"[..].into()),
                Token::String(b"x"[..].into()),
                Token::String(b"]]"[..].into()),
            ]
        );
        assert_eq!(
            lex_err(r#""\u{80000000}""#).message,
            "UTF-8 value too large"
        );
        assert_eq!(lex_err(r#""\256""#).message, "decimal escape too large");
        assert_eq!(lex_err(r#""\q""#).message, "invalid escape sequence");
        assert_eq!(lex_err(r#""\q""#).near.as_deref(), Some(r#""\q"#));
        assert_eq!(lex_err("'abc\n'").message, "unfinished string");
        assert_eq!(
            lex_err("[==[ x ]=]").message,
            "unfinished long string (starting at line 1)"
        );
        assert_eq!(lex_err("[=x").message, "invalid long string delimiter");
    }

    #[test]
    fn comments_lines_and_symbols() {
        let mut l = Lexer::new(b"-- c\n--[[ a\nb ]] x\r\ny ~= // >> <= ::");
        assert_eq!(l.next_token().unwrap(), Token::Name(b"x"[..].into()));
        assert_eq!(l.line, 3);
        assert_eq!(l.next_token().unwrap(), Token::Name(b"y"[..].into()));
        assert_eq!(l.line, 4);
        for t in [
            Token::NotEq,
            Token::DoubleSlash,
            Token::ShiftRight,
            Token::LessEq,
            Token::DoubleColon,
            Token::Eof,
        ] {
            assert_eq!(l.next_token().unwrap(), t);
        }
        assert_eq!(lex_err("x = @").message, "unexpected symbol");
        assert_eq!(lex_err("x = @").near.as_deref(), Some("@"));
    }
}
