//! Lua patterns over bytes, and the library functions built on them:
//! `find`, `match`, `gmatch`, `gsub`.
//!
//! The matcher follows Lua 5.4's semantics: its recursion depth is bounded
//! by [`MAXCCALLS`] ("pattern too complex"), each match attempt by
//! [`MAX_STEPS`], and the scans over start positions charge fuel and pause
//! (as a [`Sequence`]) when a slice's fuel runs out.

use std::cell::Cell;

use gc_arena::{Collect, Rootable};
use piccolo::{
    BoxSequence, Callback, CallbackReturn, Context, Error, Execution, Fuel, Sequence, SequencePoll,
    Stack, String as LuaString, UserData, Value,
};

use super::{
    arg_error, check_int, check_str, new_string, opt_int, posrelat_start, type_name, CbResult,
};
use crate::{interp::native, number::float_to_string, stdlib::lua_error};

/// Most captures one pattern may have (`LUA_MAXCAPTURES`).
pub const MAXCAPTURES: usize = 32;
/// Most nested matcher calls (Lua's `MAXCCALLS`).
pub const MAXCCALLS: usize = 200;
/// Fewest matcher steps one match attempt may take before it is refused as
/// "pattern too complex"; the budget grows with the subject
/// ([`STEPS_PER_BYTE`] per byte, at most [`MAX_STEPS`]). Lua has no such
/// limit: it keeps a pathological pattern from holding a slice for long.
pub const MIN_STEPS: u64 = 1 << 22;
/// Matcher steps allowed per subject byte in one attempt.
pub const STEPS_PER_BYTE: u64 = 64;
/// Most matcher steps one attempt may take, whatever the subject.
pub const MAX_STEPS: u64 = 1 << 28;

const CAP_UNFINISHED: isize = -1;
const CAP_POSITION: isize = -2;
const SPECIALS: &[u8] = b"^$*+?.([%-";

/// Whether `p` has a pattern special (PUC Lua's `nospecials`, negated):
/// without one, `find` looks for it as plain text.
fn has_specials(p: &[u8]) -> bool {
    // (A bit per byte below 128: `SPECIALS.contains` was a `memchr` call
    // per byte of the pattern.)
    const MASK: u128 = {
        let mut m = 0u128;
        let mut i = 0;
        while i < SPECIALS.len() {
            m |= 1 << SPECIALS[i];
            i += 1;
        }
        m
    };
    p.iter().any(|&b| b < 128 && MASK >> b & 1 != 0)
}

/// A pattern error, with Lua's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchError(pub String);

impl MatchError {
    fn new(msg: impl Into<String>) -> Self {
        MatchError(msg.into())
    }
}

type MResult<T> = Result<T, MatchError>;

/// One capture's value: a substring (start, end) or a position (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    /// Bytes `start..end` of the subject.
    Str(usize, usize),
    /// A position capture `()`, as a 0-based offset.
    Pos(usize),
}

/// Matches one pattern against one subject, Lua-style.
pub struct Matcher<'a> {
    src: &'a [u8],
    pat: &'a [u8],
    level: usize,
    capture: [(usize, isize); MAXCAPTURES],
    depth: usize,
    steps: u64,
    step_limit: u64,
    /// Steps taken by all attempts so far (for fuel accounting).
    pub total_steps: u64,
    /// The pattern's first item when every match must start with one byte
    /// it matches (see [`Matcher::first_item`]), worked out at the first
    /// attempt: `(p, (item, item_end))`.
    first: Option<(usize, Option<(usize, usize)>)>,
    /// The bytes that first item matches, worked out at the first
    /// [`Matcher::next_start`] (whose scan tests one bit per byte instead
    /// of interpreting the item at each).
    first_set: Option<ByteSet>,
    /// The attempt's error, if any (the matcher then unwinds with `NO`).
    err: Option<MatchError>,
}

/// Capture `i` of the match `s..e` of a pattern with `i` captures or
/// fewer: the whole match as capture 0 of a pattern without any, an error
/// past that.
fn beyond_captures(i: usize, s: usize, e: usize) -> MResult<Cap> {
    if i == 0 {
        return Ok(Cap::Str(s, e));
    }
    Err(MatchError::new(format!("invalid capture index %{}", i + 1)))
}

/// No match (the matcher's functions return the end of a match or this).
const NO: usize = usize::MAX;

impl<'a> Matcher<'a> {
    /// A matcher for `pat` over `src`.
    pub fn new(src: &'a [u8], pat: &'a [u8]) -> Self {
        Matcher {
            src,
            pat,
            level: 0,
            capture: [(0, 0); MAXCAPTURES],
            depth: MAXCCALLS,
            steps: 0,
            step_limit: (src.len() as u64)
                .saturating_mul(STEPS_PER_BYTE)
                .clamp(MIN_STEPS, MAX_STEPS),
            total_steps: 0,
            first: None,
            first_set: None,
            err: None,
        }
    }

    /// Tries to match the pattern from byte `p` at subject offset `s`;
    /// returns the end of the match.
    pub fn attempt(&mut self, s: usize, p: usize) -> MResult<Option<usize>> {
        // Most attempts of a search fail at the first item: rejected here
        // with one comparison instead of a descent through the matcher
        // (string_patterns: ~1/8 of its instructions).
        if let Some((q, ep)) = self.first_of(p) {
            if !self.single_match(s, q, ep) {
                self.total_steps += 1;
                return Ok(None);
            }
        }
        self.level = 0;
        self.depth = MAXCCALLS;
        self.steps = 0;
        let r = self.do_match(s, p);
        self.total_steps += self.steps;
        match self.err.take() {
            Some(e) => Err(e),
            None => Ok((r != NO).then_some(r)),
        }
    }

    /// The first item of a match from pattern byte `p` (cached), as
    /// [`Self::first_item`] says.
    #[inline]
    fn first_of(&mut self, p: usize) -> Option<(usize, usize)> {
        match self.first {
            Some((fp, first)) if fp == p => first,
            _ => {
                let first = self.first_item(p);
                self.first = Some((p, first));
                self.first_set = None;
                first
            }
        }
    }

    /// The first subject offset from `from` on where a match from pattern
    /// byte `p` may start: where the subject's byte is one the pattern's
    /// first item matches (see [`Self::first_item`]), the subject's end
    /// when no byte is, `from` itself when the pattern has no such item.
    /// Looks at most [`SKIP_CHUNK`] bytes (then returns where it stopped:
    /// scans charge fuel and pause between attempts); each byte passed
    /// counts as the step its failed attempt would have been.
    pub fn next_start(&mut self, from: usize, p: usize) -> usize {
        let Some((q, ep)) = self.first_of(p) else {
            return from;
        };
        let set = match self.first_set {
            Some(set) => set,
            None => {
                let set = item_set(self.pat, q, ep);
                self.first_set = Some(set);
                set
            }
        };
        let at = set.first_in(self.src, from);
        self.total_steps += (at - from) as u64;
        at
    }

    /// Number of captures of the last successful match (at least 1 when
    /// `whole` asks for the whole match in their absence).
    pub fn ncaptures(&self, whole: bool) -> usize {
        if self.level == 0 && whole {
            1
        } else {
            self.level
        }
    }

    /// Capture `i` (0-based) of the match `s..e`; capture 0 is the whole
    /// match when the pattern has no captures.
    pub fn capture(&self, i: usize, s: usize, e: usize) -> MResult<Cap> {
        if i >= self.level {
            return beyond_captures(i, s, e);
        }
        let (init, len) = self.capture[i];
        match len {
            CAP_UNFINISHED => Err(MatchError::new("unfinished capture")),
            CAP_POSITION => Ok(Cap::Pos(init)),
            len => Ok(Cap::Str(init, init + len as usize)),
        }
    }

    /// The item a match from pattern byte `p` starts with, `(item,
    /// item_end)`, when it has to match the subject's byte at the start: a
    /// single character class, after any captures opening, that may not
    /// match zero times (no `*`, `?`, `-`). `None` for anything else
    /// (special items, anchors, malformed classes: the matcher reports
    /// those when it gets there).
    fn first_item(&self, mut p: usize) -> Option<(usize, usize)> {
        let pat = self.pat;
        while pat.get(p) == Some(&b'(') {
            p += if pat.get(p + 1) == Some(&b')') { 2 } else { 1 };
        }
        match *pat.get(p)? {
            b')' => return None,
            b'$' if p + 1 == pat.len() => return None,
            b'%' if matches!(pat.get(p + 1), Some(b'b' | b'f' | b'0'..=b'9')) => return None,
            _ => {}
        }
        let ep = self.class_end(p).ok()?;
        match pat.get(ep) {
            Some(b'*' | b'?' | b'-') => None,
            _ => Some((p, ep)),
        }
    }

    // The matcher proper returns the end of a match or `NO`; an error is
    // kept in `err` (and `NO` returned) until `attempt` reports it: a
    // `usize` comes back in a register, where a `Result<Option<usize>, _>`
    // went through memory at every level of the recursion.

    /// Records `msg` as the attempt's error (the first one wins); `NO`.
    #[cold]
    fn fail(&mut self, msg: impl Into<String>) -> usize {
        if self.err.is_none() {
            self.err = Some(MatchError::new(msg));
        }
        NO
    }

    #[inline]
    fn class_end(&self, p: usize) -> Result<usize, &'static str> {
        class_end(self.pat, p)
    }

    #[inline]
    fn single_match(&self, s: usize, p: usize, ep: usize) -> bool {
        let Some(&c) = self.src.get(s) else {
            return false;
        };
        match self.pat[p] {
            b'.' => true,
            b'%' => match_class(c, self.pat[p + 1]),
            b'[' => self.match_bracket(c, p, ep - 1),
            pc => pc == c,
        }
    }

    /// `p` is at `[`, `ec` at the closing `]`.
    fn match_bracket(&self, c: u8, mut p: usize, ec: usize) -> bool {
        let pat = self.pat;
        let mut sig = true;
        if pat[p + 1] == b'^' {
            sig = false;
            p += 1;
        }
        p += 1;
        while p < ec {
            if pat[p] == b'%' {
                p += 1;
                if match_class(c, pat[p]) {
                    return sig;
                }
            } else if pat[p + 1] == b'-' && p + 2 < ec {
                if pat[p] <= c && c <= pat[p + 2] {
                    return sig;
                }
                p += 2;
            } else if pat[p] == c {
                return sig;
            }
            p += 1;
        }
        !sig
    }

    fn do_match(&mut self, s: usize, p: usize) -> usize {
        if self.depth == 0 {
            return self.fail("pattern too complex");
        }
        self.depth -= 1;
        let r = self.match_inner(s, p);
        self.depth += 1;
        r
    }

    fn match_inner(&mut self, mut s: usize, mut p: usize) -> usize {
        let pat = self.pat;
        loop {
            self.steps += 1;
            if self.steps > self.step_limit || self.err.is_some() {
                return self.fail("pattern too complex");
            }
            if p >= pat.len() {
                return s;
            }
            match pat[p] {
                b'(' => {
                    return if p + 1 < pat.len() && pat[p + 1] == b')' {
                        self.start_capture(s, p + 2, CAP_POSITION)
                    } else {
                        self.start_capture(s, p + 1, CAP_UNFINISHED)
                    };
                }
                b')' => return self.end_capture(s, p + 1),
                b'$' if p + 1 == pat.len() => {
                    return if s == self.src.len() { s } else { NO };
                }
                b'%' if p + 1 < pat.len() && pat[p + 1] == b'b' => {
                    match self.match_balance(s, p + 2) {
                        NO => return NO,
                        e => {
                            s = e;
                            p += 4;
                            continue;
                        }
                    }
                }
                b'%' if p + 1 < pat.len() && pat[p + 1] == b'f' => {
                    p += 2;
                    if p >= pat.len() || pat[p] != b'[' {
                        return self.fail("missing '[' after '%f' in pattern");
                    }
                    let ep = match self.class_end(p) {
                        Ok(ep) => ep,
                        Err(msg) => return self.fail(msg),
                    };
                    let prev = if s == 0 { 0 } else { self.src[s - 1] };
                    let cur = self.src.get(s).copied().unwrap_or(0);
                    if !self.match_bracket(prev, p, ep - 1) && self.match_bracket(cur, p, ep - 1) {
                        p = ep;
                        continue;
                    }
                    return NO;
                }
                b'%' if p + 1 < pat.len() && pat[p + 1].is_ascii_digit() => {
                    match self.match_capture(s, pat[p + 1]) {
                        NO => return NO,
                        e => {
                            s = e;
                            p += 2;
                            continue;
                        }
                    }
                }
                _ => {}
            }
            let ep = match self.class_end(p) {
                Ok(ep) => ep,
                Err(msg) => return self.fail(msg),
            };
            let suffix = pat.get(ep).copied();
            if !self.single_match(s, p, ep) {
                if matches!(suffix, Some(b'*' | b'?' | b'-')) {
                    p = ep + 1;
                    continue;
                }
                return NO;
            }
            match suffix {
                Some(b'?') => {
                    let r = self.do_match(s + 1, ep + 1);
                    if r != NO {
                        return r;
                    }
                    p = ep + 1;
                }
                Some(b'+') => return self.max_expand(s + 1, p, ep),
                Some(b'*') => return self.max_expand(s, p, ep),
                Some(b'-') => return self.min_expand(s, p, ep),
                _ => {
                    s += 1;
                    p = ep;
                }
            }
        }
    }

    /// The item that has to match the subject's byte where the rest of the
    /// pattern, from byte `p`, is tried (as [`Self::first_item`] says),
    /// looking past the captures that open and close first when that
    /// raises no error ("too many captures", "invalid pattern capture"):
    /// a quantified item's expansion tries the rest only where it may
    /// match (`(%w+)@`: the `@`, not a descent per length).
    fn next_item(&self, mut p: usize) -> Option<(usize, usize)> {
        let pat = self.pat;
        let mut level = self.level;
        // Unfinished captures opened here, closed here, and open before
        // (counted at the first `)`).
        let (mut opened, mut closed) = (0, 0);
        let mut before: Option<usize> = None;
        loop {
            match pat.get(p) {
                Some(b'(') => {
                    if level >= MAXCAPTURES {
                        return None;
                    }
                    level += 1;
                    if pat.get(p + 1) == Some(&b')') {
                        p += 2;
                    } else {
                        opened += 1;
                        p += 1;
                    }
                }
                Some(b')') => {
                    let before = *before.get_or_insert_with(|| {
                        self.capture[..self.level]
                            .iter()
                            .filter(|c| c.1 == CAP_UNFINISHED)
                            .count()
                    });
                    if closed == before + opened {
                        return None;
                    }
                    closed += 1;
                    p += 1;
                }
                _ => return self.first_item(p),
            }
        }
    }

    fn max_expand(&mut self, s: usize, p: usize, ep: usize) -> usize {
        let mut i = 0;
        while self.single_match(s + i, p, ep) {
            i += 1;
        }
        self.steps += i as u64 / 4;
        if i == 0 {
            return self.do_match(s, ep + 1);
        }
        // (A length passed over counts the step its descent would have.)
        let next = self.next_item(ep + 1);
        loop {
            if next.is_none_or(|(q, eq)| self.single_match(s + i, q, eq)) {
                let r = self.do_match(s + i, ep + 1);
                if r != NO || self.err.is_some() {
                    return r;
                }
            } else {
                self.steps += 1;
            }
            if i == 0 {
                return NO;
            }
            i -= 1;
        }
    }

    fn min_expand(&mut self, mut s: usize, p: usize, ep: usize) -> usize {
        let r = self.do_match(s, ep + 1);
        if r != NO || self.err.is_some() {
            return r;
        }
        let next = self.next_item(ep + 1);
        loop {
            if !self.single_match(s, p, ep) {
                return NO;
            }
            s += 1;
            if next.is_none_or(|(q, eq)| self.single_match(s, q, eq)) {
                let r = self.do_match(s, ep + 1);
                if r != NO || self.err.is_some() {
                    return r;
                }
            } else {
                self.steps += 1;
            }
        }
    }

    fn start_capture(&mut self, s: usize, p: usize, what: isize) -> usize {
        if self.level >= MAXCAPTURES {
            return self.fail("too many captures");
        }
        self.capture[self.level] = (s, what);
        self.level += 1;
        let r = self.do_match(s, p);
        if r == NO {
            self.level -= 1;
        }
        r
    }

    fn end_capture(&mut self, s: usize, p: usize) -> usize {
        let Some(l) = (0..self.level)
            .rev()
            .find(|&l| self.capture[l].1 == CAP_UNFINISHED)
        else {
            return self.fail("invalid pattern capture");
        };
        self.capture[l].1 = (s - self.capture[l].0) as isize;
        let r = self.do_match(s, p);
        if r == NO {
            self.capture[l].1 = CAP_UNFINISHED;
        }
        r
    }

    fn match_balance(&mut self, s: usize, p: usize) -> usize {
        if p + 1 >= self.pat.len() {
            return self.fail("malformed pattern (missing arguments to '%b')");
        }
        let (b, e) = (self.pat[p], self.pat[p + 1]);
        if s >= self.src.len() || self.src[s] != b {
            return NO;
        }
        let mut depth = 1;
        for i in s + 1..self.src.len() {
            let c = self.src[i];
            if c == e {
                depth -= 1;
                if depth == 0 {
                    self.steps += (i - s) as u64 / 4;
                    return i + 1;
                }
            } else if c == b {
                depth += 1;
            }
        }
        self.steps += (self.src.len() - s) as u64 / 4;
        NO
    }

    fn match_capture(&mut self, s: usize, d: u8) -> usize {
        let l = d as isize - b'1' as isize;
        if l < 0 || l as usize >= self.level || self.capture[l as usize].1 == CAP_UNFINISHED {
            return self.fail(format!("invalid capture index %{}", l + 1));
        }
        let (init, len) = self.capture[l as usize];
        if len < 0 {
            return NO;
        }
        let len = len as usize;
        if self.src.len() - s >= len && self.src[init..init + len] == self.src[s..s + len] {
            s + len
        } else {
            NO
        }
    }
}

/// Most subject bytes one [`Matcher::next_start`] looks at.
const SKIP_CHUNK: usize = 1 << 16;

/// The end of the single-character item at `pat[p]` (Lua's `classend`).
#[inline]
fn class_end(pat: &[u8], mut p: usize) -> Result<usize, &'static str> {
    let c = pat[p];
    p += 1;
    if c == b'%' {
        if p >= pat.len() {
            return Err("malformed pattern (ends with '%')");
        }
        return Ok(p + 1);
    }
    if c == b'[' {
        if p < pat.len() && pat[p] == b'^' {
            p += 1;
        }
        loop {
            if p >= pat.len() {
                return Err("malformed pattern (missing ']')");
            }
            let c = pat[p];
            p += 1;
            if c == b'%' && p < pat.len() {
                p += 1;
            }
            if p < pat.len() && pat[p] == b']' {
                return Ok(p + 1);
            }
        }
    }
    Ok(p)
}

/// Most items of a [`Simple`] pattern.
const SIMPLE_ITEMS: usize = 16;

/// Most captures of a [`Simple`] pattern.
const SIMPLE_CAPS: usize = 8;

/// Where a [`Simple`] match was when it came to each item (and, last, its
/// end): `marks[k]` is the subject offset item `k` was tried at on the way
/// that matched. Its captures are read from them.
type Marks = [usize; SIMPLE_ITEMS + 1];

/// A [`Simple`] pattern's captures, in the order they open: each the item
/// it starts at and the item it ends at (it holds the items between), or
/// [`POS_CAP`] for a position capture `()`.
#[derive(Clone, Copy)]
struct SimpleCaps {
    n: usize,
    spans: [(u8, u8); SIMPLE_CAPS],
}

/// A position capture's end in [`SimpleCaps`].
const POS_CAP: u8 = u8::MAX;

impl SimpleCaps {
    /// Capture `i` of the match `s..e` whose `marks` a search or `at`
    /// left, as [`Matcher::capture`] gives it.
    fn capture(&self, marks: &Marks, i: usize, s: usize, e: usize) -> MResult<Cap> {
        if i >= self.n {
            return beyond_captures(i, s, e);
        }
        let (from, to) = self.spans[i];
        Ok(match to {
            POS_CAP => Cap::Pos(marks[from as usize]),
            _ => Cap::Str(marks[from as usize], marks[to as usize]),
        })
    }
}

/// Where a match's captures are read from.
#[derive(Clone, Copy)]
enum Caps<'m, 'a> {
    Matcher(&'m Matcher<'a>),
    Simple(&'m SimpleCaps, &'m Marks),
}

impl Caps<'_, '_> {
    /// Number of captures (at least 1 when `whole` asks for the whole
    /// match in their absence), as [`Matcher::ncaptures`].
    fn len(&self, whole: bool) -> usize {
        match self {
            Caps::Matcher(m) => m.ncaptures(whole),
            Caps::Simple(c, _) => {
                if c.n == 0 && whole {
                    1
                } else {
                    c.n
                }
            }
        }
    }

    /// Capture `i` of the match `s..e`, as [`Matcher::capture`].
    fn get(&self, i: usize, s: usize, e: usize) -> MResult<Cap> {
        match self {
            Caps::Matcher(m) => m.capture(i, s, e),
            Caps::Simple(c, marks) => c.capture(marks, i, s, e),
        }
    }
}

/// Most steps a [`Simple`] search takes before it leaves the search to the
/// [`Matcher`] (which pauses between attempts when a slice's fuel runs out
/// and refuses pathological patterns): far below both.
const SIMPLE_STEPS: u32 = 1 << 16;

/// One item of a [`Simple`] pattern: the bytes it matches and its
/// quantifier (`0` for none, or `*`, `+`, `-`, `?`).
#[derive(Clone, Copy)]
struct SimpleItem {
    set: ByteSet,
    quant: u8,
}

/// A pattern of single-character items only (a byte, `.`, `%x`, a set,
/// each with or without a quantifier), with `^` and `$` anchors and
/// captures (position captures and nested ones too) but no `%b`, `%f` or
/// back-references: most patterns in practice (`^[ \t]*`, `["\\]`,
/// `^-?%d+`, `%.lua$`, `^%s*(.-)%s*$`, `(%w+)=(%w+)`). Worked out into one
/// byte set per item and each capture's first and last item (and kept
/// between calls: [`with_simple`]), it is matched without re-reading the
/// pattern at each byte; anything else, a malformed pattern included, is
/// the [`Matcher`]'s, and so is a search that has taken [`SIMPLE_STEPS`]
/// steps or would scan more than [`SKIP_CHUNK`] bytes at once. The results
/// and captures are the Matcher's (checked against it in the tests).
#[derive(Clone, Copy)]
struct Simple {
    anchor: bool,
    end_anchor: bool,
    n: usize,
    items: [SimpleItem; SIMPLE_ITEMS],
    caps: SimpleCaps,
}

/// A [`Simple`] search's outcome.
enum SimpleFound {
    /// The first match, `start..end`, and the steps it took.
    Match(usize, usize, u32),
    /// No match, and the steps it took.
    None(u32),
    /// Too long a search: left to the [`Matcher`].
    Bail,
}

impl Simple {
    const NONE: Simple = Simple {
        anchor: false,
        end_anchor: false,
        n: 0,
        items: [SimpleItem {
            set: ByteSet::EMPTY,
            quant: 0,
        }; SIMPLE_ITEMS],
        caps: SimpleCaps {
            n: 0,
            spans: [(0, 0); SIMPLE_CAPS],
        },
    };

    /// `pat` as a simple pattern, if it is one.
    #[cfg(test)]
    fn parse(pat: &[u8]) -> Option<Simple> {
        let mut sp = Simple::NONE;
        sp.parse_into(pat).then_some(sp)
    }

    /// Makes this `pat`, if it is a simple pattern (in place: the
    /// pattern's ~300 bytes were copied out of a returned value).
    fn parse_into(&mut self, pat: &[u8]) -> bool {
        let anchor = pat.first() == Some(&b'^');
        let mut p = anchor as usize;
        self.anchor = anchor;
        self.end_anchor = false;
        self.n = 0;
        self.caps.n = 0;
        // The captures still open, innermost last (`)` closes the
        // innermost, as the Matcher's `end_capture` does).
        let mut open = [0u8; SIMPLE_CAPS];
        let mut nopen = 0;
        while p < pat.len() {
            match pat[p] {
                b'(' => {
                    if self.caps.n == SIMPLE_CAPS {
                        return false;
                    }
                    let i = self.caps.n;
                    self.caps.n += 1;
                    if pat.get(p + 1) == Some(&b')') {
                        self.caps.spans[i] = (self.n as u8, POS_CAP);
                        p += 2;
                    } else {
                        self.caps.spans[i] = (self.n as u8, 0);
                        open[nopen] = i as u8;
                        nopen += 1;
                        p += 1;
                    }
                    continue;
                }
                b')' => {
                    // (An unbalanced `)` is the Matcher's error.)
                    if nopen == 0 {
                        return false;
                    }
                    nopen -= 1;
                    self.caps.spans[open[nopen] as usize].1 = self.n as u8;
                    p += 1;
                    continue;
                }
                b'$' if p + 1 == pat.len() => {
                    self.end_anchor = true;
                    break;
                }
                b'%' if matches!(pat.get(p + 1), Some(b'b' | b'f' | b'0'..=b'9')) => return false,
                _ => {}
            }
            if self.n == SIMPLE_ITEMS {
                return false;
            }
            let Ok(ep) = class_end(pat, p) else {
                return false;
            };
            let quant = match pat.get(ep) {
                Some(&q @ (b'*' | b'+' | b'-' | b'?')) => q,
                _ => 0,
            };
            self.items[self.n] = SimpleItem {
                set: item_set(pat, p, ep),
                quant,
            };
            self.n += 1;
            p = ep + (quant != 0) as usize;
        }
        // (An unfinished capture is the Matcher's error.)
        nopen == 0
    }

    /// The first match in `src` from offset `init` on (at `init` only when
    /// anchored), as `find` reports it; with `last`, the first that does
    /// not end there (`gmatch` after a match that ended at `last`). Its
    /// captures are read from `marks` ([`SimpleCaps::capture`]).
    fn search(
        &self,
        src: &[u8],
        init: usize,
        last: Option<usize>,
        marks: &mut Marks,
    ) -> SimpleFound {
        let mut steps = 0u32;
        let mut s = init;
        // Where a match may start: a byte the first item matches, when
        // it has to match one.
        let first = match self.items[..self.n].first() {
            Some(it) if matches!(it.quant, 0 | b'+') && !self.anchor => Some(&it.set),
            _ => None,
        };
        loop {
            if let Some(set) = first {
                let rest = &src[s.min(src.len())..];
                let window = &rest[..rest.len().min(SKIP_CHUNK)];
                match window.iter().position(|&c| set.contains(c)) {
                    Some(i) => {
                        steps = steps.saturating_add(i as u32 / 8);
                        s += i;
                    }
                    // (A long scan is the matcher's, which pauses.)
                    None if window.len() < rest.len() => return SimpleFound::Bail,
                    None => return SimpleFound::None(steps.saturating_add(rest.len() as u32 / 8)),
                }
            }
            let e = self.at(src, s, 0, &mut steps, marks);
            if steps > SIMPLE_STEPS {
                return SimpleFound::Bail;
            }
            if e != NO && Some(e) != last {
                return SimpleFound::Match(s, e, steps);
            }
            s = if e == NO {
                self.after_no_match(src, s, &mut steps)
            } else {
                s + 1
            };
            if self.anchor || s > src.len() {
                return SimpleFound::None(steps);
            }
        }
    }

    /// The first offset from `from` on where an unanchored match may start,
    /// as [`Matcher::next_start`] finds it (by the first item's set, which
    /// this pattern has at hand: the Matcher works its own out at each
    /// call), looking at most [`SKIP_CHUNK`] bytes.
    fn next_start(&self, src: &[u8], from: usize, steps: &mut u32) -> usize {
        let Some(it) = self.items[..self.n]
            .first()
            .filter(|it| matches!(it.quant, 0 | b'+'))
        else {
            return from;
        };
        let at = it.set.first_in(src, from);
        *steps = steps.saturating_add((at - from) as u32);
        at
    }

    /// Where to try next after no match at `s`. When the first item is
    /// `x*` or `x+`, a match from any later offset in its run of `x` (or
    /// just past the run) would end its run where the one from `s` did and
    /// try the rest at some of the offsets that one tried, all of which
    /// failed: the next try is past the run (`(%w+)@` over a word was a
    /// try per letter, each with its run, quadratic in the word's length).
    #[inline]
    fn after_no_match(&self, src: &[u8], s: usize, steps: &mut u32) -> usize {
        match self.items[..self.n].first() {
            Some(it) if matches!(it.quant, b'*' | b'+') => {
                let run = it.set.run_at(src, s, SKIP_CHUNK);
                *steps = steps.saturating_add(run as u32 / 8);
                s + run + 1
            }
            _ => s + 1,
        }
    }

    /// The end of a match of items `k..` at subject offset `s`, or `NO`;
    /// `marks[k..]` where a match was at each item (the way that matched
    /// wrote them last: it passes every item, and nothing runs after it).
    fn at(
        &self,
        src: &[u8],
        mut s: usize,
        mut k: usize,
        steps: &mut u32,
        marks: &mut Marks,
    ) -> usize {
        let hit = |set: &ByteSet, s: usize| src.get(s).is_some_and(|&c| set.contains(c));
        loop {
            *steps += 1;
            if *steps > SIMPLE_STEPS {
                return NO;
            }
            if self.caps.n != 0 {
                marks[k] = s;
            }
            if k == self.n {
                return if !self.end_anchor || s == src.len() {
                    s
                } else {
                    NO
                };
            }
            let it = &self.items[k];
            match it.quant {
                0 => {
                    if !hit(&it.set, s) {
                        return NO;
                    }
                    s += 1;
                    k += 1;
                }
                b'?' => {
                    if hit(&it.set, s) {
                        let r = self.at(src, s + 1, k + 1, steps, marks);
                        if r != NO || *steps > SIMPLE_STEPS {
                            return r;
                        }
                    }
                    k += 1;
                }
                b'-' => loop {
                    let r = self.at(src, s, k + 1, steps, marks);
                    if r != NO || *steps > SIMPLE_STEPS {
                        return r;
                    }
                    if !hit(&it.set, s) {
                        return NO;
                    }
                    s += 1;
                },
                q => {
                    // `*` and `+`: the longest run first.
                    let min = (q == b'+') as usize;
                    let run = it.set.run_at(src, s, SKIP_CHUNK + 1);
                    if run > SKIP_CHUNK {
                        // A long run is the matcher's, which pauses.
                        *steps = SIMPLE_STEPS + 1;
                        return NO;
                    }
                    *steps += run as u32 / 8;
                    if run < min {
                        return NO;
                    }
                    // The rest is tried only where its first item may
                    // match, when it has to match a byte.
                    let next = self.items[k + 1..self.n]
                        .first()
                        .filter(|n| matches!(n.quant, 0 | b'+'));
                    let mut i = run;
                    loop {
                        if next.is_none_or(|n| hit(&n.set, s + i)) {
                            let r = self.at(src, s + i, k + 1, steps, marks);
                            if r != NO || *steps > SIMPLE_STEPS {
                                return r;
                            }
                        } else {
                            *steps += 1;
                        }
                        if i == min {
                            return NO;
                        }
                        i -= 1;
                    }
                }
            }
        }
    }
}

/// Patterns the [`Simple`] cache keeps (direct-mapped).
const SIMPLE_SLOTS: usize = 8;

/// Longest pattern the [`Simple`] cache keeps.
const SIMPLE_CACHED: usize = 32;

/// The last patterns `find`, `match`, `gmatch` and `gsub` saw (up to [`SIMPLE_SLOTS`]), each with what it is as a
/// [`Simple`] pattern: a pattern is a constant of the calling code in
/// practice, and working it out at each call (its byte sets) cost more
/// than the search itself in a JSON decoder's `find(s, "^[ \n\r\t]*", i)`.
struct SimpleCache {
    entries: [(usize, [u8; SIMPLE_CACHED], bool, Simple); SIMPLE_SLOTS],
}

thread_local! {
    static SIMPLE_CACHE: std::cell::RefCell<SimpleCache> = const {
        std::cell::RefCell::new(SimpleCache {
            entries: [(usize::MAX, [0; SIMPLE_CACHED], false, Simple::NONE); SIMPLE_SLOTS],
        })
    };
}

/// `f` of `pat` as a simple pattern, or `None` when it is not one. `f`
/// runs while the cache is borrowed, so it must not run Lua (a search does
/// not); the cache holds bytes only, nothing the collector has to see.
fn with_simple<R>(pat: &[u8], f: impl FnOnce(Option<&Simple>) -> R) -> R {
    if pat.len() > SIMPLE_CACHED {
        let mut sp = Simple::NONE;
        let ok = sp.parse_into(pat);
        return f(ok.then_some(&sp));
    }
    SIMPLE_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        let slot = pat
            .iter()
            .fold(pat.len(), |h, &b| h.wrapping_mul(31) ^ b as usize)
            % SIMPLE_SLOTS;
        let e = &mut c.entries[slot];
        if e.0 != pat.len() || !same_bytes(&e.1[..pat.len()], pat) {
            e.0 = pat.len();
            e.1[..pat.len()].copy_from_slice(pat);
            e.2 = e.3.parse_into(pat);
        }
        f(e.2.then_some(&e.3))
    })
}

/// `a == b` for slices of equal length, eight bytes at a time (the wasm
/// build's `memcmp` compares one byte per loop).
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    debug_assert_eq!(a.len(), b.len());
    let (mut ca, mut cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let word = |c: &[u8]| u64::from_le_bytes(c.try_into().unwrap_or_default());
    (&mut ca).zip(&mut cb).all(|(x, y)| word(x) == word(y))
        && ca
            .remainder()
            .iter()
            .zip(cb.remainder())
            .all(|(x, y)| x == y)
}

/// A set of bytes, one bit each.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct ByteSet([u64; 4]);

impl ByteSet {
    const EMPTY: ByteSet = ByteSet([0; 4]);

    #[inline]
    fn contains(&self, c: u8) -> bool {
        self.0[(c >> 6) as usize] >> (c & 63) & 1 != 0
    }

    const fn insert(&mut self, c: u8) {
        self.0[(c >> 6) as usize] |= 1 << (c & 63);
    }

    fn union(&mut self, other: &ByteSet) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
    }

    fn complement(mut self) -> ByteSet {
        for w in &mut self.0 {
            *w = !*w;
        }
        self
    }

    /// The first offset from `from` on whose byte is in the set, looking
    /// at most [`SKIP_CHUNK`] bytes: where it stopped when none is (the
    /// subject's end, or `from` past it).
    #[inline]
    fn first_in(&self, src: &[u8], from: usize) -> usize {
        let end = src.len().min(from.saturating_add(SKIP_CHUNK));
        let rest = src.get(from..end).unwrap_or_default();
        rest.iter()
            .position(|&c| self.contains(c))
            .map_or(end.max(from), |i| from + i)
    }

    /// How many bytes from offset `s` on are in the set, counting at most
    /// `max`.
    #[inline]
    fn run_at(&self, src: &[u8], s: usize, max: usize) -> usize {
        src.get(s..)
            .unwrap_or_default()
            .iter()
            .take(max)
            .take_while(|&&c| self.contains(c))
            .count()
    }
}

/// The bytes of each class letter's class, in `CLASS_BIT`'s order.
static CLASS_SETS: [ByteSet; 11] = {
    let mut t = [ByteSet::EMPTY; 11];
    let mut c = 0;
    while c < 256 {
        let mut i = 0;
        while i < 11 {
            if CLASSES[c] & (1 << i) != 0 {
                t[i].insert(c as u8);
            }
            i += 1;
        }
        c += 1;
    }
    t
};

/// The bytes `%cl` matches, as [`match_class`] says.
fn class_set(cl: u8) -> ByteSet {
    let bit = CLASS_BIT[cl as usize];
    if bit == 0 {
        let mut set = ByteSet::EMPTY;
        set.insert(cl);
        return set;
    }
    let set = CLASS_SETS[(bit & !NEGATED).trailing_zeros() as usize];
    if bit & NEGATED != 0 {
        set.complement()
    } else {
        set
    }
}

/// The bytes the single-character item `pat[p..ep]` matches (a
/// well-formed item, as `class_end` found it), as `single_match` says.
fn item_set(pat: &[u8], p: usize, ep: usize) -> ByteSet {
    match pat[p] {
        b'.' => ByteSet::EMPTY.complement(),
        b'%' => class_set(pat[p + 1]),
        b'[' => {
            // As `match_bracket` reads it, `ec` at the closing `]`.
            let ec = ep - 1;
            let mut set = ByteSet::EMPTY;
            let mut q = p + 1;
            let negated = pat[q] == b'^';
            if negated {
                q += 1;
            }
            while q < ec {
                if pat[q] == b'%' {
                    q += 1;
                    set.union(&class_set(pat[q]));
                } else if pat[q + 1] == b'-' && q + 2 < ec {
                    for c in pat[q]..=pat[q + 2] {
                        set.insert(c);
                    }
                    q += 2;
                } else {
                    set.insert(pat[q]);
                }
                q += 1;
            }
            if negated {
                set.complement()
            } else {
                set
            }
        }
        c => {
            let mut set = ByteSet::EMPTY;
            set.insert(c);
            set
        }
    }
}

/// Which classes (`CLASS_BIT`) each byte belongs to.
static CLASSES: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let mut m = 0u16;
        let classes = [
            b.is_ascii_alphabetic(),
            b.is_ascii_control(),
            b.is_ascii_digit(),
            b.is_ascii_graphic(),
            b.is_ascii_lowercase(),
            b.is_ascii_punctuation(),
            matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'),
            b.is_ascii_uppercase(),
            b.is_ascii_alphanumeric(),
            b.is_ascii_hexdigit(),
            b == 0,
        ];
        let mut i = 0;
        while i < classes.len() {
            if classes[i] {
                m |= 1 << i;
            }
            i += 1;
        }
        t[c] = m;
        c += 1;
    }
    t
};

/// The bit of each class letter in `CLASSES` (`a c d g l p s u w x z`, in
/// that order), with `NEGATED` for the upper-case letters; 0 for any other
/// byte (which stands for itself after `%`).
static CLASS_BIT: [u16; 256] = {
    let mut t = [0u16; 256];
    let letters = *b"acdglpsuwxz";
    let mut i = 0;
    while i < letters.len() {
        t[letters[i] as usize] = 1 << i;
        t[letters[i].to_ascii_uppercase() as usize] = (1 << i) | NEGATED;
        i += 1;
    }
    t
};

const NEGATED: u16 = 1 << 15;

/// Whether `c` is in the class `%cl` (`cl` not a class letter: `c == cl`).
#[inline]
fn match_class(c: u8, cl: u8) -> bool {
    let bit = CLASS_BIT[cl as usize];
    if bit == 0 {
        return cl == c;
    }
    (CLASSES[c as usize] & bit & !NEGATED != 0) != (bit & NEGATED != 0)
}

fn merr<'gc>(ctx: Context<'gc>, e: MatchError) -> Error<'gc> {
    lua_error(ctx, e.0)
}

fn cap_value<'gc>(ctx: Context<'gc>, src: &[u8], c: Cap) -> Value<'gc> {
    match c {
        Cap::Str(a, b) => Value::String(new_string(ctx, &src[a..b])),
        Cap::Pos(p) => Value::Integer(p as i64 + 1),
    }
}

fn push_captures<'gc>(
    ctx: Context<'gc>,
    caps: Caps<'_, '_>,
    src: &[u8],
    s: usize,
    e: usize,
    whole: bool,
    stack: &mut Stack<'gc, '_>,
) -> Result<(), Error<'gc>> {
    if let Caps::Simple(c, marks) = caps {
        push_simple_captures(ctx, c, marks, src, s, e, whole, stack);
        return Ok(());
    }
    for i in 0..caps.len(whole) {
        let c = caps.get(i, s, e).map_err(|e| merr(ctx, e))?;
        stack.push_back(cap_value(ctx, src, c));
    }
    Ok(())
}

/// [`push_captures`] of a [`Simple`] match (which has no capture errors:
/// its captures are all complete).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn push_simple_captures<'gc>(
    ctx: Context<'gc>,
    caps: &SimpleCaps,
    marks: &Marks,
    src: &[u8],
    s: usize,
    e: usize,
    whole: bool,
    stack: &mut Stack<'gc, '_>,
) {
    if caps.n == 0 {
        if whole {
            stack.push_back(Value::String(new_string(ctx, &src[s..e])));
        }
        return;
    }
    for &(from, to) in &caps.spans[..caps.n] {
        let at = marks[from as usize];
        stack.push_back(match to {
            POS_CAP => Value::Integer(at as i64 + 1),
            _ => Value::String(new_string(ctx, &src[at..marks[to as usize]])),
        });
    }
}

/// Fuel charged for matcher steps.
fn charge(fuel: &mut Fuel, steps: u64) {
    fuel.consume((steps / 8).min(i32::MAX as u64) as i32 + 1);
}

fn find_plain(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return Some(from);
    }
    if needle.len() > hay.len() - from {
        return None;
    }
    let first = needle[0];
    let last_start = hay.len() - needle.len();
    let mut i = from;
    while i <= last_start {
        // (The first byte found by `memchr`, as PUC Lua's `lmemfind` does:
        // a loop over the bytes was ~6 instructions each.)
        match memchr::memchr(first, &hay[i..=last_start]) {
            None => return None,
            Some(k) => {
                i += k;
                if &hay[i..i + needle.len()] == needle {
                    return Some(i);
                }
                i += 1;
            }
        }
    }
    None
}

/// A `find`/`match` scan over start positions, resumable between attempts.
#[derive(Collect)]
#[collect(no_drop)]
struct Scan<'gc> {
    src: LuaString<'gc>,
    pat: LuaString<'gc>,
    find: bool,
    next: usize,
    anchor: bool,
}

impl<'gc> Scan<'gc> {
    /// Runs attempts until a result or until the fuel is gone (`Ok(false)`).
    fn run(
        &mut self,
        ctx: Context<'gc>,
        fuel: &mut Fuel,
        stack: &mut Stack<'gc, '_>,
    ) -> Result<bool, Error<'gc>> {
        let src = self.src.as_bytes();
        let pat = self.pat.as_bytes();
        let p0 = self.anchor as usize;
        let mut m = Matcher::new(src, pat);
        loop {
            if !self.anchor {
                self.next = m.next_start(self.next, p0);
            }
            let s = self.next;
            let r = m.attempt(s, p0).map_err(|e| merr(ctx, e))?;
            if let Some(e) = r {
                charge(fuel, m.total_steps);
                stack.clear();
                if self.find {
                    stack.push_back(Value::Integer(s as i64 + 1));
                    stack.push_back(Value::Integer(e as i64));
                    push_captures(ctx, Caps::Matcher(&m), src, s, e, false, stack)?;
                } else {
                    push_captures(ctx, Caps::Matcher(&m), src, s, e, true, stack)?;
                }
                return Ok(true);
            }
            self.next += 1;
            if self.anchor || self.next > src.len() {
                charge(fuel, m.total_steps);
                stack.replace(ctx, Value::Nil);
                return Ok(true);
            }
            if m.total_steps > 4096 {
                charge(fuel, m.total_steps);
                m.total_steps = 0;
                if !fuel.should_continue() {
                    return Ok(false);
                }
            }
        }
    }
}

impl<'gc> Sequence<'gc> for Scan<'gc> {
    fn poll(
        &mut self,
        ctx: Context<'gc>,
        mut exec: Execution<'gc, '_>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        if self.run(ctx, exec.fuel(), &mut stack)? {
            Ok(SequencePoll::Return)
        } else {
            Ok(SequencePoll::Pending)
        }
    }
}

fn str_find_aux<'gc>(
    ctx: Context<'gc>,
    fuel: &mut Fuel,
    mut stack: Stack<'gc, '_>,
    find: bool,
) -> CbResult<'gc> {
    let fname = if find { "find" } else { "match" };
    let s = check_str(ctx, &stack, 0, fname)?;
    let p = check_str(ctx, &stack, 1, fname)?;
    let ls = s.as_bytes().len();
    let init = posrelat_start(opt_int(ctx, &stack, 2, fname, 1)?, ls) - 1;
    if init > ls {
        stack.replace(ctx, Value::Nil);
        return Ok(CallbackReturn::Return);
    }
    let pb = p.as_bytes();
    if find && (stack.get(3).to_bool() || !has_specials(pb)) {
        let r = find_plain(s.as_bytes(), pb, init);
        fuel.consume((ls / 64) as i32);
        match r {
            Some(i) => stack.replace(ctx, (i as i64 + 1, (i + pb.len()) as i64)),
            None => stack.replace(ctx, Value::Nil),
        }
        return Ok(CallbackReturn::Return);
    }
    let src = s.as_bytes();
    let mut marks: Marks = [0; SIMPLE_ITEMS + 1];
    let simple = with_simple(pb, |sp| {
        sp.map(|sp| (sp.search(src, init, None, &mut marks), sp.caps))
    });
    if let Some((found, caps)) = simple {
        match found {
            SimpleFound::Match(st, e, steps) => {
                charge(fuel, steps as u64);
                stack.clear();
                if find {
                    stack.push_back(Value::Integer(st as i64 + 1));
                    stack.push_back(Value::Integer(e as i64));
                }
                if !find || caps.n != 0 {
                    push_simple_captures(ctx, &caps, &marks, src, st, e, !find, &mut stack);
                }
                return Ok(CallbackReturn::Return);
            }
            SimpleFound::None(steps) => {
                charge(fuel, steps as u64);
                stack.replace(ctx, Value::Nil);
                return Ok(CallbackReturn::Return);
            }
            SimpleFound::Bail => {}
        }
    }
    let anchor = pb.first() == Some(&b'^');
    let mut scan = Scan {
        src: s,
        pat: p,
        find,
        next: init,
        anchor,
    };
    if scan.run(ctx, fuel, &mut stack)? {
        Ok(CallbackReturn::Return)
    } else {
        stack.clear();
        Ok(CallbackReturn::Sequence(BoxSequence::new(&ctx, scan)))
    }
}

/// `string.find(s, pattern [, init [, plain]])`.
pub fn find_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    native::with_args(ctx, str_find, find_args)
}

fn str_find<'gc>(ctx: Context<'gc>, fuel: &mut Fuel, stack: Stack<'gc, '_>) -> CbResult<'gc> {
    str_find_aux(ctx, fuel, stack, true)
}

/// `string.find(s, p [, init [, plain]])` for one result or none, for the
/// interpreter ([`native::ArgsFn`]): two strings, `init` an integer or
/// nil, `p` found as plain text (`plain` true or no pattern specials in
/// it); the start of the first match, or nil (its first result). Only for
/// a subject shorter than 64 bytes, for which the native charges no fuel
/// either (`ls / 64`); longer ones and patterns go to [`str_find`].
fn find_args<'gc>(_: Context<'gc>, args: &[Value<'gc>]) -> Option<Value<'gc>> {
    let (Some(Value::String(s)), Some(Value::String(p))) = (args.first(), args.get(1)) else {
        return None;
    };
    let init = match args.get(2) {
        None | Some(Value::Nil) => 1,
        Some(Value::Integer(i)) => *i,
        Some(_) => return None,
    };
    let (s, pb) = (s.as_bytes(), p.as_bytes());
    if s.len() >= 64 {
        return None;
    }
    let init = posrelat_start(init, s.len()) - 1;
    if init > s.len() {
        return Some(Value::Nil);
    }
    let plain = args.get(3).is_some_and(|v| v.to_bool());
    if !plain && has_specials(pb) {
        return None;
    }
    Some(match find_plain(s, pb, init) {
        Some(i) => Value::Integer(i as i64 + 1),
        None => Value::Nil,
    })
}

/// `string.match(s, pattern [, init])`.
pub fn match_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    native::callback(ctx, |ctx, fuel, stack| {
        str_find_aux(ctx, fuel, stack, false)
    })
}

/// A `gmatch` iterator's state: its subject, its pattern, the next start
/// position and the end of the last match. The iterator's third upvalue,
/// a userdata, as PUC Lua's `GMatchState` (so replacing the first two
/// with `debug.setupvalue` changes nothing, as there).
#[derive(Collect)]
#[collect(no_drop)]
struct GmatchState<'gc> {
    src: LuaString<'gc>,
    pat: LuaString<'gc>,
    #[collect(require_static)]
    at: Cell<(usize, Option<usize>)>,
}

/// One step of a `gmatch` iterator (its third upvalue, which should be its
/// [`GmatchState`] userdata), resumable when a slice's fuel runs out
/// between match attempts.
#[derive(Collect, Clone, Copy)]
#[collect(no_drop)]
struct GmatchStep<'gc>(Value<'gc>);

impl<'gc> GmatchStep<'gc> {
    /// Looks for the next match; `Ok(false)` when out of fuel first.
    fn run(
        &self,
        ctx: Context<'gc>,
        fuel: &mut Fuel,
        stack: &mut Stack<'gc, '_>,
    ) -> Result<bool, Error<'gc>> {
        let state = match self.0 {
            Value::UserData(u) => u.downcast::<Rootable![GmatchState<'_>]>().ok(),
            _ => None,
        };
        let Some(st) = state else {
            return Err(lua_error(ctx, "gmatch iterator's state was replaced"));
        };
        let src = st.src.as_bytes();
        let (mut pos, last) = st.at.get();
        let pat = st.pat.as_bytes();
        // A simple pattern by its byte sets (not one that starts with `^`,
        // which `gmatch` matches as a byte, where `Simple` anchors).
        if pat.first() != Some(&b'^') && pos <= src.len() {
            let mut marks: Marks = [0; SIMPLE_ITEMS + 1];
            let found = with_simple(pat, |sp| {
                sp.map(|sp| (sp.search(src, pos, last, &mut marks), sp.caps))
            });
            match found {
                Some((SimpleFound::Match(s, e, steps), caps)) => {
                    st.at.set((e, Some(e)));
                    charge(fuel, steps as u64);
                    stack.clear();
                    push_simple_captures(ctx, &caps, &marks, src, s, e, true, stack);
                    return Ok(true);
                }
                Some((SimpleFound::None(steps), _)) => {
                    st.at.set((src.len() + 1, last));
                    charge(fuel, steps as u64);
                    stack.clear();
                    return Ok(true);
                }
                Some((SimpleFound::Bail, _)) | None => {}
            }
        }
        let mut m = Matcher::new(src, pat);
        stack.clear();
        while pos <= src.len() {
            pos = m.next_start(pos, 0);
            let r = m.attempt(pos, 0).map_err(|e| merr(ctx, e))?;
            if let Some(e) = r {
                if Some(e) != last {
                    st.at.set((e, Some(e)));
                    charge(fuel, m.total_steps);
                    push_captures(ctx, Caps::Matcher(&m), src, pos, e, true, stack)?;
                    return Ok(true);
                }
            }
            pos += 1;
            if m.total_steps > 4096 {
                charge(fuel, m.total_steps);
                m.total_steps = 0;
                if !fuel.should_continue() {
                    st.at.set((pos, last));
                    return Ok(false);
                }
            }
        }
        st.at.set((pos, last));
        charge(fuel, m.total_steps);
        Ok(true)
    }
}

impl<'gc> Sequence<'gc> for GmatchStep<'gc> {
    fn poll(
        &mut self,
        ctx: Context<'gc>,
        mut exec: Execution<'gc, '_>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        if self.run(ctx, exec.fuel(), &mut stack)? {
            Ok(SequencePoll::Return)
        } else {
            Ok(SequencePoll::Pending)
        }
    }
}

/// A call of a `gmatch` iterator.
fn gmatch_iter<'gc>(
    ctx: Context<'gc>,
    fuel: &mut Fuel,
    ups: native::Upvalues<'gc>,
    mut stack: Stack<'gc, '_>,
) -> CbResult<'gc> {
    let step = GmatchStep(ups.borrow().get(2).copied().unwrap_or(Value::Nil));
    if step.run(ctx, fuel, &mut stack)? {
        Ok(CallbackReturn::Return)
    } else {
        Ok(CallbackReturn::Sequence(BoxSequence::new(&ctx, step)))
    }
}

/// `string.gmatch(s, pattern [, init])`: an iterator over the matches, a
/// C closure over the subject, the pattern and its position, as PUC Lua's.
pub fn gmatch_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    native::callback(ctx, |ctx, _, mut stack| {
        let s = check_str(ctx, &stack, 0, "gmatch")?;
        let p = check_str(ctx, &stack, 1, "gmatch")?;
        let ls = s.as_bytes().len();
        let mut init = posrelat_start(opt_int(ctx, &stack, 2, "gmatch", 1)?, ls) - 1;
        if init > ls {
            init = ls + 1;
        }
        let state = UserData::new::<Rootable![GmatchState<'_>]>(
            &ctx,
            GmatchState {
                src: s,
                pat: p,
                at: Cell::new((init, None)),
            },
        );
        let upvalues = [Value::String(s), Value::String(p), Value::UserData(state)];
        stack.replace(ctx, native::closure(ctx, gmatch_iter, &upvalues));
        Ok(CallbackReturn::Return)
    })
}

/// The `gsub` loop, resumable between matches and across replacement calls.
#[derive(Collect)]
#[collect(no_drop)]
struct Gsub<'gc> {
    src: LuaString<'gc>,
    pat: LuaString<'gc>,
    repl: Value<'gc>,
    out: Vec<u8>,
    pos: usize,
    last: Option<usize>,
    n: i64,
    max_n: i64,
    anchor: bool,
    /// A match (start, end) waiting for the replacement function's result.
    pending: Option<(usize, usize)>,
    /// Whether any replacement changed the text (if not, the subject itself
    /// is returned, as Lua 5.4 does).
    changed: bool,
    /// The replacement function's call: no yield across it.
    c_call: crate::interp::CCall,
    /// The replacement function when it runs in place (looked up at the
    /// first match).
    target: Option<Option<crate::interp::SyncTarget<'gc>>>,
}

enum Step<'gc> {
    Done,
    Pause,
    Call(piccolo::Function<'gc>),
}

/// What a `gsub` step runs with: the executor's `Execution` (from the
/// full callback or the sequence), or only the fuel (called in place as a
/// native, with no function replacement).
enum Ctl<'x, 'gc, 'a> {
    Exec(&'x mut Execution<'gc, 'a>),
    Fuel(&'x mut Fuel),
}

impl<'gc> Ctl<'_, 'gc, '_> {
    fn fuel(&mut self) -> &mut Fuel {
        match self {
            Ctl::Exec(exec) => exec.fuel(),
            Ctl::Fuel(fuel) => fuel,
        }
    }
}

impl<'gc> Gsub<'gc> {
    fn add_value(
        &mut self,
        ctx: Context<'gc>,
        v: Value<'gc>,
        s: usize,
        e: usize,
    ) -> Result<(), Error<'gc>> {
        if v.to_bool() {
            self.changed = true;
        }
        match v {
            Value::Nil | Value::Boolean(false) => {
                self.out.extend_from_slice(&self.src.as_bytes()[s..e])
            }
            Value::String(r) => self.out.extend_from_slice(r.as_bytes()),
            Value::Integer(i) => self.out.extend_from_slice(i.to_string().as_bytes()),
            Value::Number(f) => self.out.extend_from_slice(float_to_string(f).as_bytes()),
            v => {
                return Err(lua_error(
                    ctx,
                    format!("invalid replacement value (a {})", type_name(ctx, v)),
                ));
            }
        }
        Ok(())
    }

    fn add_s(
        &mut self,
        ctx: Context<'gc>,
        caps: Caps<'_, '_>,
        r: &[u8],
        s: usize,
        e: usize,
    ) -> Result<(), Error<'gc>> {
        let src = self.src.as_bytes();
        self.changed = true;
        let mut i = 0;
        while i < r.len() {
            let c = r[i];
            i += 1;
            if c != b'%' {
                self.out.push(c);
                continue;
            }
            match r.get(i).copied() {
                Some(b'%') => self.out.push(b'%'),
                Some(b'0') => self.out.extend_from_slice(&src[s..e]),
                Some(d) if d.is_ascii_digit() => {
                    match caps
                        .get((d - b'1') as usize, s, e)
                        .map_err(|e| merr(ctx, e))?
                    {
                        Cap::Str(a, b) => self.out.extend_from_slice(&src[a..b]),
                        Cap::Pos(p) => self.out.extend_from_slice((p + 1).to_string().as_bytes()),
                    }
                }
                _ => return Err(lua_error(ctx, "invalid use of '%' in replacement string")),
            }
            i += 1;
        }
        Ok(())
    }

    fn run(
        &mut self,
        ctx: Context<'gc>,
        exec: &mut Ctl<'_, 'gc, '_>,
        stack: &mut Stack<'gc, '_>,
    ) -> Result<Step<'gc>, Error<'gc>> {
        let pat = self.pat.as_bytes();
        // A simple pattern is tried at each position by its byte sets: a
        // copy for a function replacement (the cache is not borrowed while
        // Lua runs), the cache's own otherwise (no Lua runs in the loop: a
        // table's `__index` function is called after it returns).
        if matches!(self.repl, Value::Function(_)) {
            let simple = with_simple(pat, |sp| sp.copied());
            self.run_with(ctx, exec, stack, simple.as_ref())
        } else {
            with_simple(pat, |sp| self.run_with(ctx, exec, stack, sp))
        }
    }

    fn run_with(
        &mut self,
        ctx: Context<'gc>,
        exec: &mut Ctl<'_, 'gc, '_>,
        stack: &mut Stack<'gc, '_>,
        simple: Option<&Simple>,
    ) -> Result<Step<'gc>, Error<'gc>> {
        let src = self.src.as_bytes();
        let pat = self.pat.as_bytes();
        let p0 = self.anchor as usize;
        let mut m = Matcher::new(src, pat);
        // (Captures of a simple pattern are read from `marks`.)
        let mut marks: Marks = [0; SIMPLE_ITEMS + 1];
        let mut synced = false;
        while self.n < self.max_n {
            let mut by_simple = false;
            let r = match simple {
                Some(sp) => {
                    let mut steps = 0;
                    let e = sp.at(src, self.pos, 0, &mut steps, &mut marks);
                    if steps > SIMPLE_STEPS {
                        m.attempt(self.pos, p0).map_err(|e| merr(ctx, e))?
                    } else {
                        by_simple = true;
                        m.total_steps += steps as u64;
                        (e != NO).then_some(e)
                    }
                }
                None => m.attempt(self.pos, p0).map_err(|e| merr(ctx, e))?,
            };
            match r {
                Some(e) if Some(e) != self.last => {
                    self.n += 1;
                    let s = self.pos;
                    let caps = match simple {
                        Some(sp) if by_simple => Caps::Simple(&sp.caps, &marks),
                        _ => Caps::Matcher(&m),
                    };
                    match self.repl {
                        Value::String(r) => self.add_s(ctx, caps, r.as_bytes(), s, e)?,
                        Value::Integer(_) | Value::Number(_) => {
                            let text = match self.repl {
                                Value::Integer(i) => i.to_string(),
                                Value::Number(f) => float_to_string(f),
                                _ => String::new(),
                            };
                            self.add_s(ctx, caps, text.as_bytes(), s, e)?
                        }
                        Value::Table(t) => {
                            let cap = caps.get(0, s, e).map_err(|e| merr(ctx, e))?;
                            let key = cap_value(ctx, src, cap);
                            // `t[key]` with `__index`, as Lua's `lua_gettable`.
                            match piccolo::meta_ops::index(ctx, Value::Table(t), key)? {
                                piccolo::meta_ops::MetaResult::Value(v) => {
                                    self.add_value(ctx, v, s, e)?
                                }
                                piccolo::meta_ops::MetaResult::Call(call) => {
                                    charge(exec.fuel(), m.total_steps);
                                    stack.clear();
                                    stack.extend(call.args);
                                    self.pending = Some((s, e));
                                    return Ok(Step::Call(call.function));
                                }
                            }
                        }
                        Value::Function(f) => {
                            charge(exec.fuel(), m.total_steps);
                            stack.clear();
                            push_captures(ctx, caps, src, s, e, true, stack)?;
                            m.total_steps = 0;
                            let target = self
                                .target
                                .get_or_insert_with(|| crate::interp::SyncTarget::of(ctx, f));
                            let sync = match (target, &mut *exec) {
                                (Some(t), Ctl::Exec(exec)) => {
                                    crate::interp::note_table_write(ctx);
                                    t.call(ctx, exec, stack)?
                                }
                                (_, Ctl::Fuel(_)) => {
                                    // `gsub_fast` declines function replacements.
                                    return Err(lua_error(
                                        ctx,
                                        "internal error: gsub called a function without the executor",
                                    ));
                                }
                                (None, _) => crate::interp::Sync::Suspended(f),
                            };
                            match sync {
                                crate::interp::Sync::Done => {
                                    let v = stack.get(0);
                                    stack.clear();
                                    self.add_value(ctx, v, s, e)?;
                                    synced = true;
                                }
                                crate::interp::Sync::Suspended(g) => {
                                    self.pending = Some((s, e));
                                    return Ok(Step::Call(g));
                                }
                            }
                        }
                        _ => {}
                    }
                    self.pos = e;
                    self.last = Some(e);
                    if std::mem::take(&mut synced) && !exec.fuel().should_continue() {
                        if self.anchor {
                            self.max_n = self.n;
                        }
                        return Ok(Step::Pause);
                    }
                }
                _ if self.pos < src.len() => {
                    // This byte and those no match can start at are kept.
                    let to = match simple {
                        _ if self.anchor => self.pos + 1,
                        Some(sp) if by_simple => {
                            let mut steps = 0;
                            let next = if r.is_none() {
                                sp.after_no_match(src, self.pos, &mut steps)
                            } else {
                                self.pos + 1
                            };
                            let to = sp.next_start(src, next.min(src.len()), &mut steps);
                            m.total_steps += steps as u64;
                            to
                        }
                        _ => m.next_start(self.pos + 1, p0),
                    };
                    self.out.extend_from_slice(&src[self.pos..to]);
                    self.pos = to;
                }
                _ => break,
            }
            if self.anchor {
                break;
            }
            if m.total_steps > 4096 {
                charge(exec.fuel(), m.total_steps);
                m.total_steps = 0;
                if !exec.fuel().should_continue() {
                    return Ok(Step::Pause);
                }
            }
        }
        charge(exec.fuel(), m.total_steps + (self.out.len() as u64) / 8);
        if let Some(Some(t)) = self.target.as_mut() {
            t.release(ctx);
        }
        if self.changed {
            self.out.extend_from_slice(&src[self.pos..]);
            let out = std::mem::take(&mut self.out);
            stack.replace(ctx, (new_string(ctx, out), self.n));
        } else {
            stack.replace(ctx, (self.src, self.n));
        }
        Ok(Step::Done)
    }

    fn poll_step(
        &mut self,
        ctx: Context<'gc>,
        exec: &mut Execution<'gc, '_>,
        stack: &mut Stack<'gc, '_>,
    ) -> Result<Step<'gc>, Error<'gc>> {
        if let Some((s, e)) = self.pending.take() {
            let v = stack.get(0);
            self.add_value(ctx, v, s, e)?;
            self.pos = e;
            self.last = Some(e);
            if self.anchor {
                self.max_n = self.n;
            }
        }
        self.run(ctx, &mut Ctl::Exec(exec), stack)
    }
}

impl<'gc> Sequence<'gc> for Gsub<'gc> {
    fn poll(
        &mut self,
        ctx: Context<'gc>,
        mut exec: Execution<'gc, '_>,
        mut stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        self.c_call.returned(ctx, &exec);
        Ok(match self.poll_step(ctx, &mut exec, &mut stack)? {
            Step::Done => SequencePoll::Return,
            Step::Pause => {
                stack.clear();
                SequencePoll::Pending
            }
            Step::Call(function) => self.c_call.call(ctx, &exec, function),
        })
    }

    fn error(
        &mut self,
        ctx: Context<'gc>,
        exec: Execution<'gc, '_>,
        error: Error<'gc>,
        _stack: Stack<'gc, '_>,
    ) -> Result<SequencePoll<'gc>, Error<'gc>> {
        self.c_call.returned(ctx, &exec);
        Err(error)
    }
}

/// A `gsub` of the arguments on `stack`, checked, ready to run.
fn gsub_begin<'gc>(ctx: Context<'gc>, stack: &Stack<'gc, '_>) -> Result<Gsub<'gc>, Error<'gc>> {
    let s = check_str(ctx, stack, 0, "gsub")?;
    let p = check_str(ctx, stack, 1, "gsub")?;
    let repl = stack.get(2);
    if !matches!(
        repl,
        Value::Integer(_)
            | Value::Number(_)
            | Value::String(_)
            | Value::Table(_)
            | Value::Function(_)
    ) {
        let got = if stack.len() < 3 {
            "no value".to_string()
        } else {
            type_name(ctx, repl)
        };
        return Err(arg_error(
            ctx,
            3,
            "gsub",
            &format!("string/function/table expected, got {got}"),
        ));
    }
    let ls = s.as_bytes().len() as i64;
    let max_n = if stack.get(3).is_nil() {
        ls + 1
    } else {
        check_int(ctx, stack, 3, "gsub")?
    };
    let anchor = p.as_bytes().first() == Some(&b'^');
    Ok(Gsub {
        src: s,
        pat: p,
        repl,
        out: Vec::new(),
        pos: 0,
        last: None,
        n: 0,
        max_n,
        anchor,
        pending: None,
        changed: false,
        c_call: Default::default(),
        target: None,
    })
}

/// `string.gsub` called in place by the interpreter (it went through the
/// executor at every call): replacements by a string, a number or a table
/// without a metatable; a function or a table with one (whose `__index`
/// may call Lua) goes to the full callback.
fn gsub_fast<'gc>(ctx: Context<'gc>, fuel: &mut Fuel, mut stack: Stack<'gc, '_>) -> CbResult<'gc> {
    match stack.get(2) {
        Value::Function(_) => return native::decline(ctx),
        Value::Table(t) if t.metatable().is_some() => return native::decline(ctx),
        _ => {}
    }
    let mut g = gsub_begin(ctx, &stack)?;
    match g.run(ctx, &mut Ctl::Fuel(fuel), &mut stack)? {
        Step::Done => Ok(CallbackReturn::Return),
        Step::Pause => {
            stack.clear();
            Ok(CallbackReturn::Sequence(BoxSequence::new(&ctx, g)))
        }
        Step::Call(_) => Err(lua_error(
            ctx,
            "internal error: gsub called a function without the executor",
        )),
    }
}

/// `string.gsub(s, pattern, repl [, n])`.
pub fn gsub_callback<'gc>(ctx: Context<'gc>) -> Callback<'gc> {
    let full = Callback::from_fn(&ctx, |ctx, mut exec, mut stack| {
        let mut g = gsub_begin(ctx, &stack)?;
        match g.run(ctx, &mut Ctl::Exec(&mut exec), &mut stack)? {
            Step::Done => Ok(CallbackReturn::Return),
            Step::Pause => {
                stack.clear();
                Ok(CallbackReturn::Sequence(BoxSequence::new(&ctx, g)))
            }
            Step::Call(function) => {
                // Seq polls after the call with its results on the stack.
                g.c_call.enter(ctx, &exec);
                Ok(CallbackReturn::Call {
                    function,
                    then: Some(BoxSequence::new(&ctx, g)),
                })
            }
        }
    });
    native::register_fast(ctx, full, gsub_fast, false);
    full
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(s: &str, p: &str) -> MResult<Option<(usize, usize)>> {
        let mut m = Matcher::new(s.as_bytes(), p.as_bytes());
        let anchor = p.starts_with('^');
        for i in 0..=s.len() {
            if let Some(e) = m.attempt(i, anchor as usize)? {
                return Ok(Some((i, e)));
            }
            if anchor {
                break;
            }
        }
        Ok(None)
    }

    #[test]
    fn basic_matches() {
        assert_eq!(find("hello world", "o w"), Ok(Some((4, 7))));
        assert_eq!(find("hello", "l+"), Ok(Some((2, 4))));
        assert_eq!(find("hello", "^h.-l"), Ok(Some((0, 3))));
        assert_eq!(find("  x", "%S"), Ok(Some((2, 3))));
        assert_eq!(find("f(a(b)c)", "%b()"), Ok(Some((1, 8))));
        assert_eq!(find("THE (quick) fox", "%f[%a]%a+"), Ok(Some((0, 3))));
        assert_eq!(find("abcabc", "(abc)%1"), Ok(Some((0, 6))));
        assert_eq!(find("a]b", "[]]"), Ok(Some((1, 2))));
        assert_eq!(find("a-b", "[a%-]+"), Ok(Some((0, 2))));
        assert_eq!(find("x", "x$"), Ok(Some((0, 1))));
        assert_eq!(find("", ""), Ok(Some((0, 0))));
    }

    #[test]
    fn errors() {
        assert_eq!(
            find("a", "%").unwrap_err().0,
            "malformed pattern (ends with '%')"
        );
        assert_eq!(
            find("a", "[a").unwrap_err().0,
            "malformed pattern (missing ']')"
        );
        assert_eq!(find("a", "(a").map(|_| ()), Ok(()));
        assert_eq!(find("a", "a)").unwrap_err().0, "invalid pattern capture");
        assert_eq!(find("a", "%1").unwrap_err().0, "invalid capture index %1");
        assert_eq!(
            find("a", "%ba").unwrap_err().0,
            "malformed pattern (missing arguments to '%b')"
        );
        assert_eq!(
            find("a", "%fa").unwrap_err().0,
            "missing '[' after '%f' in pattern"
        );
        let deep = "a?".repeat(300);
        assert_eq!(
            find(&"a".repeat(300), &deep).unwrap_err().0,
            "pattern too complex"
        );
    }

    #[test]
    fn class_tables_agree_with_the_class_definitions() {
        for c in 0..=255u8 {
            for cl in 0..=255u8 {
                let r = match cl.to_ascii_lowercase() {
                    b'a' => c.is_ascii_alphabetic(),
                    b'c' => c.is_ascii_control(),
                    b'd' => c.is_ascii_digit(),
                    b'g' => c.is_ascii_graphic(),
                    b'l' => c.is_ascii_lowercase(),
                    b'p' => c.is_ascii_punctuation(),
                    b's' => matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'),
                    b'u' => c.is_ascii_uppercase(),
                    b'w' => c.is_ascii_alphanumeric(),
                    b'x' => c.is_ascii_hexdigit(),
                    b'z' => c == 0,
                    _ => {
                        assert_eq!(match_class(c, cl), c == cl, "{c} %{}", cl as char);
                        continue;
                    }
                };
                let want = if cl.is_ascii_uppercase() { !r } else { r };
                assert_eq!(match_class(c, cl), want, "{c} %{}", cl as char);
            }
        }
    }

    #[test]
    fn first_item_rejection_keeps_matches_and_errors() {
        // Captures and position captures before the first item.
        assert_eq!(find("xx12", "(%d+)"), Ok(Some((2, 4))));
        assert_eq!(find("xx12", "()(%d)"), Ok(Some((2, 3))));
        assert_eq!(find("ab", "((b))"), Ok(Some((1, 2))));
        // Items that may match nothing are not used to reject.
        assert_eq!(find("xyz", "%d*"), Ok(Some((0, 0))));
        assert_eq!(find("xyz", "a?y"), Ok(Some((1, 2))));
        assert_eq!(find("xyz", "q-z"), Ok(Some((2, 3))));
        assert_eq!(find("xy", "[^x]"), Ok(Some((1, 2))));
        // An error past a first item that never matches is never reached
        // (as in PUC Lua); one that is reached is still reported.
        assert_eq!(find("bbb", "a%"), Ok(None));
        assert_eq!(
            find("bab", "a%").unwrap_err().0,
            "malformed pattern (ends with '%')"
        );
        assert_eq!(find("a", "(").map(|_| ()), Ok(()));
        assert_eq!(find("x", "^x"), Ok(Some((0, 1))));
        assert_eq!(find("yx", "^x"), Ok(None));
    }

    #[test]
    fn first_item_sets_agree_with_single_match() {
        let items = [
            ".",
            "a",
            "%a",
            "%A",
            "%c",
            "%d",
            "%D",
            "%g",
            "%l",
            "%p",
            "%s",
            "%S",
            "%u",
            "%w",
            "%W",
            "%x",
            "%z",
            "%Z",
            "%%",
            "%.",
            "%]",
            "[abc]",
            "[^abc]",
            "[a-z]",
            "[^a-z0-9]",
            "[%a_]",
            "[^%s%p]",
            "[%c\"\\]",
            "[]]",
            "[^]]",
            "[a-]",
            "[-a]",
            "[z-a]",
            "[%]-]",
            "[%a-z]",
            "[+--]",
            "[^%Z]",
            "[\0-\x7f]",
            "[%^]",
            "[^^]",
        ];
        for item in items {
            let pat = item.as_bytes();
            let m = Matcher::new(b"", pat);
            let ep = m.class_end(0).unwrap_or_else(|e| panic!("{item}: {e}"));
            assert_eq!(ep, pat.len(), "{item}");
            let set = item_set(pat, 0, ep);
            for c in 0..=255u8 {
                let src = [c];
                let m = Matcher::new(&src, pat);
                assert_eq!(set.contains(c), m.single_match(0, 0, ep), "{item} {c}");
            }
        }
    }

    #[test]
    fn next_start_finds_every_match_a_scan_finds() {
        let subject = "ab, 12 \"x\"\tAb-z]y^ 0xFF q.q %";
        let pats = [
            "%d+",
            "(%w+)",
            "[\"\\]",
            "[^%w ]",
            "b",
            "%.",
            "[%]%-]",
            "x%x+",
            "()%s",
            "%d*",
            "a?b",
            "^a",
            "%",
            "[a",
            "(%a)%1",
            "%bxy",
            "%f[%w]%w+",
            "q%.q",
        ];
        for p in pats {
            let mut plain = Matcher::new(subject.as_bytes(), p.as_bytes());
            let mut fast = Matcher::new(subject.as_bytes(), p.as_bytes());
            let p0 = p.starts_with('^') as usize;
            let (mut i, mut j) = (0, 0);
            loop {
                let slow = loop {
                    match plain.attempt(i, p0) {
                        Ok(None) if i < subject.len() => i += 1,
                        r => break r.map(|m| m.map(|e| (i, e))),
                    }
                };
                j = fast.next_start(j, p0);
                let quick = loop {
                    match fast.attempt(j, p0) {
                        Ok(None) if j < subject.len() => j = fast.next_start(j + 1, p0),
                        r => break r.map(|m| m.map(|e| (j, e))),
                    }
                };
                assert_eq!(slow, quick, "{p}");
                match slow {
                    Ok(Some((_, e))) if i < subject.len() => {
                        i = e.max(i + 1);
                        j = i;
                    }
                    _ => break,
                }
            }
        }
    }

    /// `string.find(s, p)`'s results as text ("nil", "error: ..." or the
    /// positions and captures, comma-separated).
    fn find_text(s: &str, p: &str) -> String {
        let mut m = Matcher::new(s.as_bytes(), p.as_bytes());
        let anchor = p.starts_with('^');
        let p0 = anchor as usize;
        let mut at = 0;
        loop {
            at = if anchor { at } else { m.next_start(at, p0) };
            match m.attempt(at, p0) {
                Err(e) => return format!("error: {}", e.0),
                Ok(Some(e)) => {
                    let mut out = vec![(at + 1).to_string(), e.to_string()];
                    for i in 0..m.ncaptures(false) {
                        out.push(match m.capture(i, at, e) {
                            Ok(Cap::Str(a, b)) => s[a..b].to_string(),
                            Ok(Cap::Pos(a)) => (a + 1).to_string(),
                            Err(e) => format!("error: {}", e.0),
                        });
                    }
                    return out.join(",");
                }
                Ok(None) if !anchor && at < s.len() => at += 1,
                Ok(None) => return "nil".into(),
            }
        }
    }

    #[test]
    fn expansions_try_the_rest_where_it_may_match() {
        // Expected: PUC Lua 5.4's `string.find` (captures after a
        // quantified item, closing captures, back references, errors
        // past an expansion).
        let cases = [
            (
                "user12@host3.example",
                "(%w+)@(%w+)%.example",
                "1,20,user12,host3",
            ),
            ("visited user12 at", "(%w+)@(%w+)", "nil"),
            ("aaa@b", "(a+)@", "1,4,aaa"),
            ("ab12cd", "(%a+)(%d+)", "1,4,ab,12"),
            ("ab12cd", "%a+()%d", "1,3,3"),
            ("ab12cd", "(%a-)(%d)", "1,3,ab,1"),
            ("xxab)", "%a+)", "error: invalid pattern capture"),
            ("abc", "a-)", "error: invalid pattern capture"),
            ("k=v; x=y", "(%w+)=(%w+);", "1,4,k,v"),
            ("aXbXc", "(.-)X", "1,2,a"),
            ("aaab", "a*()b", "1,4,4"),
            ("aaab", "(a*(b))", "1,4,aaab,b"),
            ("  x", "%s*()x", "1,3,3"),
            ("abcabc", "(a)(b)c%1", "1,4,a,b"),
            ("abcabc", "(%a+)%1", "1,6,abc"),
            ("hello world", "(o)%s*(w)", "5,7,o,w"),
            ("[[x]]", "%[*(%a)%]+", "1,5,x"),
            ("aaa", "a-$", "1,3"),
            ("aab", "a+()$", "nil"),
            ("aab", "(a+)(()b)", "1,3,aa,b,3"),
            ("((a))", "%(+(a)%)+", "1,5,a"),
            ("abab", "((a)(b))+", "nil"),
            ("x.y.z", "([^.]+)%.([^.]+)$", "3,5,y,z"),
            ("12:34", "(%d+):(%d+)", "1,5,12,34"),
            ("1.5e10", "^[+-]?%d+%.?%d*[eE]?[+-]?%d*$", "1,6"),
            ("THE (quick) fox", "%f[%a]%a+", "1,3"),
            ("f(a(b)c)", "%a(%b())", "1,8,(a(b)c)"),
            ("abc)", "%a+)x", "error: invalid pattern capture"),
            ("abc", "a-)q", "error: invalid pattern capture"),
            ("aab", "(a+)()b", "1,3,aa,3"),
            ("aab", "(a+())b", "1,3,aa,3"),
        ];
        for (s, p, want) in cases {
            assert_eq!(find_text(s, p), want, "find({s:?}, {p:?})");
        }
        let p = format!("{}a+(b{}", "(".repeat(32), ")".repeat(33));
        assert_eq!(find_text("aaa", &p), "error: too many captures");
    }

    /// [`find`] from offset `init`.
    /// A match: its start, its end and its captures (as `match` gives
    /// them: the whole match when the pattern has none).
    type Hit = (usize, usize, Vec<Cap>);

    /// The captures `caps` gives for the match `s..e`.
    fn caps_of(caps: Caps<'_, '_>, s: usize, e: usize) -> Vec<Cap> {
        (0..caps.len(true))
            .map(|i| caps.get(i, s, e).unwrap())
            .collect()
    }

    fn find_from(s: &str, p: &str, init: usize) -> MResult<Option<Hit>> {
        let mut m = Matcher::new(s.as_bytes(), p.as_bytes());
        let anchor = p.starts_with('^');
        for i in init..=s.len() {
            if let Some(e) = m.attempt(i, anchor as usize)? {
                return Ok(Some((i, e, caps_of(Caps::Matcher(&m), i, e))));
            }
            if anchor {
                break;
            }
        }
        Ok(None)
    }

    fn simple_find(s: &str, p: &str, init: usize) -> Option<Option<Hit>> {
        let sp = Simple::parse(p.as_bytes())?;
        let mut marks = [0; SIMPLE_ITEMS + 1];
        match sp.search(s.as_bytes(), init, None, &mut marks) {
            SimpleFound::Match(a, b, _) => {
                Some(Some((a, b, caps_of(Caps::Simple(&sp.caps, &marks), a, b))))
            }
            SimpleFound::None(_) => Some(None),
            SimpleFound::Bail => None,
        }
    }

    #[test]
    fn specials_are_the_special_bytes() {
        for b in 0..=255u8 {
            assert_eq!(has_specials(&[b]), SPECIALS.contains(&b), "byte {b}");
            assert_eq!(
                has_specials(&[b'a', b, b'z']),
                SPECIALS.contains(&b),
                "byte {b}"
            );
        }
        assert!(!has_specials(b""));
    }

    #[test]
    fn same_bytes_compares_every_byte() {
        for len in 0..=SIMPLE_CACHED {
            let a: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(37)).collect();
            assert!(same_bytes(&a, &a.clone()));
            for at in 0..len {
                let mut b = a.clone();
                b[at] ^= 0x80;
                assert!(!same_bytes(&a, &b), "len {len}, byte {at}");
            }
        }
    }

    #[test]
    fn simple_patterns_are_recognised() {
        for p in [
            "^[ \n\r\t]*",
            "[\"\\]",
            "^-?%d+",
            "%.lua$",
            "",
            "^",
            "$",
            "^$",
            "a$b",
            "x^",
            "[]]",
            "[a%-]+",
            "^[+-]?%d+%.?%d*[eE]?[+-]?%d*$",
            "*a",
            "%%",
            ".-b",
            "(a)",
            "()",
            "^%s*(.-)%s*$",
            "(%w+)=(%w+)",
            "((a)(b()))",
            "(a*(.)%w(%s*))",
            "(*)",
            "a*a*a*a*a*a*a*a*a",
            "(((((((())))))))",
        ] {
            assert!(Simple::parse(p.as_bytes()).is_some(), "{p:?}");
        }
        for p in [
            "a)",
            "a)(",
            "(a",
            "(()",
            "%b()",
            "%f[%a]",
            "(a)%1",
            "%1",
            "[a",
            "%",
            "a%",
            "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a",
            "((((((((()))))))))",
        ] {
            assert!(Simple::parse(p.as_bytes()).is_none(), "{p:?}");
        }
    }

    #[test]
    fn simple_patterns_find_what_the_matcher_finds() {
        let cases = [
            ("  {\"a\": 1}", "^[ \n\r\t]*", 0),
            ("ab\"cd\\e", "[\"\\]", 0),
            ("ab\"cd\\e", "[\"\\]", 3),
            ("x -12,", "^-?%d+", 2),
            ("x -12,", "^-?%d+", 1),
            ("init.lua", "%.lua$", 0),
            ("init.luac", "%.lua$", 0),
            ("1.5e10", "^[+-]?%d+%.?%d*[eE]?[+-]?%d*$", 0),
            ("aaab", "a-b", 0),
            ("aaa", "a-$", 0),
            ("aab", "a*ab", 0),
            ("", "", 0),
            ("abc", "", 3),
            ("abc", "$", 0),
            ("a$b", "a$b", 0),
            ("x^y", "x^", 0),
            ("  trim me  ", "^%s*(.-)%s*$", 0),
            ("a key=value;", "(%w+)=(%w+)", 0),
            ("xab", "()a()", 0),
            ("xab", "((a)(b()))", 0),
            ("hello  world", "(h(.)%w(%s*))", 0),
            ("ab", "a()$", 0),
            ("ab", "(a)$", 0),
            ("x(*)", "(*)", 0),
        ];
        for (s, p, init) in cases {
            assert_eq!(
                simple_find(s, p, init),
                Some(find_from(s, p, init).unwrap()),
                "find({s:?}, {p:?}, {init})"
            );
        }
        // Long scans and runs are left to the matcher (which pauses).
        let long = format!("{}x", " ".repeat(SKIP_CHUNK + 10));
        assert!(simple_find(&long, "x", 0).is_none());
        assert!(simple_find(&long, "^%s*x", 0).is_none());
        let x = SKIP_CHUNK + 10;
        assert_eq!(
            simple_find(&long, "x", SKIP_CHUNK),
            Some(Some((x, x + 1, vec![Cap::Str(x, x + 1)])))
        );
        // Captures as the Matcher gives them (positions 0-based here).
        assert_eq!(
            simple_find("  trim me  ", "^%s*(.-)%s*$", 0),
            Some(Some((0, 11, vec![Cap::Str(2, 9)])))
        );
        assert_eq!(
            simple_find("xab", "((a)(b()))", 0),
            Some(Some((
                1,
                3,
                vec![Cap::Str(1, 3), Cap::Str(1, 2), Cap::Str(2, 3), Cap::Pos(3)]
            )))
        );
        // A pathological pattern is left to the matcher (which refuses it).
        let s = "a".repeat(4000);
        assert!(simple_find(&s, "a-a-a-a-a-a-a-b", 0).is_none());
    }

    /// Matches with their captures.
    type Spans = Vec<Hit>;

    /// Every match `gmatch` gives from `init`, by the Matcher (as
    /// `GmatchStep::run` steps) and by `Simple` (`None`: not simple, or it
    /// left the search to the Matcher).
    fn gmatch_both(s: &str, p: &str, init: usize) -> (Spans, Option<Spans>) {
        let src = s.as_bytes();
        let mut want = Vec::new();
        let (mut pos, mut last) = (init, None);
        let mut m = Matcher::new(src, p.as_bytes());
        while pos <= src.len() {
            if let Some(e) = m.attempt(pos, 0).unwrap() {
                if Some(e) != last {
                    want.push((pos, e, caps_of(Caps::Matcher(&m), pos, e)));
                    last = Some(e);
                    pos = e;
                    continue;
                }
            }
            pos += 1;
        }
        let got = Simple::parse(p.as_bytes()).and_then(|sp| {
            let mut got = Vec::new();
            let (mut pos, mut last) = (init, None);
            let mut marks = [0; SIMPLE_ITEMS + 1];
            // (At most one match per start and the end: more is a loop.)
            while pos <= src.len() && got.len() <= src.len() + 1 {
                match sp.search(src, pos, last, &mut marks) {
                    SimpleFound::Match(a, e, _) => {
                        got.push((a, e, caps_of(Caps::Simple(&sp.caps, &marks), a, e)));
                        last = Some(e);
                        pos = e;
                    }
                    SimpleFound::None(_) => break,
                    SimpleFound::Bail => return None,
                }
            }
            Some(got)
        });
        (want, got)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        #[test]
        fn simple_search_agrees_with_the_matcher(
            anchor in proptest::prelude::any::<bool>(),
            end in proptest::prelude::any::<bool>(),
            items in proptest::collection::vec((0usize..10, 0usize..5, 0usize..6), 0..6),
            subject in proptest::collection::vec(0usize..5, 0..14),
            init in 0usize..16,
        ) {
            const ITEMS: [&str; 10] = ["a", "b", ".", "%a", "%d", "[ab]", "[^a]", "%s", "1", "[%d-]"];
            const QUANTS: [&str; 5] = ["", "*", "+", "-", "?"];
            const BYTES: [char; 5] = ['a', 'b', '1', ' ', '-'];
            let mut p = String::from(if anchor { "^" } else { "" });
            // Captures around items (0-2: none; 3: one opens before the
            // item; 4: the innermost open one closes after it; 5: a
            // position capture before it), all closed before any `$`.
            let mut open = 0;
            for (i, q, c) in &items {
                match c {
                    3 => {
                        p.push('(');
                        open += 1;
                    }
                    5 => p.push_str("()"),
                    _ => {}
                }
                p.push_str(ITEMS[*i]);
                p.push_str(QUANTS[*q]);
                if *c == 4 && open > 0 {
                    p.push(')');
                    open -= 1;
                }
            }
            p.push_str(&")".repeat(open));
            if end {
                p.push('$');
            }
            let s: String = subject.iter().map(|&i| BYTES[i]).collect();
            let init = init.min(s.len());
            let want = find_from(&s, &p, init).unwrap();
            proptest::prop_assert_eq!(simple_find(&s, &p, init), Some(want), "find({:?}, {:?}, {})", s, p, init);
            if !anchor {
                let (want, got) = gmatch_both(&s, &p, init);
                proptest::prop_assert_eq!(got, Some(want), "gmatch({:?}, {:?}, {})", s, p, init);
            }
        }
    }

    #[test]
    fn pathological_pattern_is_bounded() {
        let s = "a".repeat(40);
        let p = "a-a-a-a-a-a-a-a-a-b";
        assert_eq!(find(&s, p).unwrap_err().0, "pattern too complex");
    }
}
