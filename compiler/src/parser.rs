//! The parser: one pass over the tokens, emitting code as it goes (the shape
//! of PUC Lua 5.4's `lparser.c`).

use super::code::{
    BinOp, Block, CodeError, ExpDesc, ExpKind, FuncState, UnOp, VarDesc, VarKind, NO_JUMP,
};
use super::lexer::{LexError, Lexer, Token};
use super::CompileError;
use crate::bytecode::{Op, Proto};

/// Nesting of syntactic structures at most (PUC Lua's `LUAI_MAXCCALLS`).
const MAX_LEVELS: u32 = 200;
/// Local variables per function at most.
const MAX_VARS: usize = 200;
/// Table constructor items flushed per `SetList`.
const FIELDS_PER_FLUSH: i32 = 50;

/// A pending `goto` or a label.
#[derive(Clone, Debug)]
struct LabelDesc {
    name: Box<[u8]>,
    pc: usize,
    line: u32,
    nactvar: usize,
    close: bool,
}

pub struct Parser<'a> {
    lex: Lexer<'a>,
    tok: Token,
    tok_line: u32,
    /// Raw source text of the current token (for "near" messages).
    tok_text: Box<[u8]>,
    ahead: Option<(Token, u32, Box<[u8]>)>,
    last_line: u32,
    chunk: String,
    fs: FuncState,
    outer: Vec<FuncState>,
    vars: Vec<VarDesc>,
    gotos: Vec<LabelDesc>,
    labels: Vec<LabelDesc>,
    depth: u32,
}

/// A binary operator with its left and right priorities.
type BinOpPrio = (BinOp, u8, u8);

/// Operator priorities (left, right), as `lparser.c`'s table.
fn binop_of(t: &Token) -> Option<BinOpPrio> {
    Some(match t {
        Token::Plus => (BinOp::Add, 10, 10),
        Token::Minus => (BinOp::Sub, 10, 10),
        Token::Star => (BinOp::Mul, 11, 11),
        Token::Percent => (BinOp::Mod, 11, 11),
        Token::Caret => (BinOp::Pow, 14, 13),
        Token::Slash => (BinOp::Div, 11, 11),
        Token::DoubleSlash => (BinOp::IDiv, 11, 11),
        Token::Ampersand => (BinOp::BAnd, 6, 6),
        Token::Pipe => (BinOp::BOr, 4, 4),
        Token::Tilde => (BinOp::BXor, 5, 5),
        Token::ShiftLeft => (BinOp::Shl, 7, 7),
        Token::ShiftRight => (BinOp::Shr, 7, 7),
        Token::Concat => (BinOp::Concat, 9, 8),
        Token::Eq => (BinOp::Eq, 3, 3),
        Token::NotEq => (BinOp::Ne, 3, 3),
        Token::Less => (BinOp::Lt, 3, 3),
        Token::LessEq => (BinOp::Le, 3, 3),
        Token::Greater => (BinOp::Gt, 3, 3),
        Token::GreaterEq => (BinOp::Ge, 3, 3),
        Token::And => (BinOp::And, 2, 2),
        Token::Or => (BinOp::Or, 1, 1),
        _ => return None,
    })
}

const UNARY_PRIORITY: u8 = 12;

/// A fixed token as Lua names it in messages (`luaX_token2str`).
fn token_str(t: &Token) -> String {
    match t {
        Token::Eof => "<eof>".to_string(),
        t => format!("'{}'", t.symbol()),
    }
}

impl<'a> Parser<'a> {
    pub fn new(src: &'a [u8], source: &str, chunk: String) -> Self {
        Parser {
            lex: Lexer::new(src),
            tok: Token::Eof,
            tok_line: 1,
            tok_text: Box::new([]),
            ahead: None,
            last_line: 1,
            chunk,
            fs: FuncState::new(source.to_string(), 0, 0, 0),
            outer: Vec::new(),
            vars: Vec::new(),
            gotos: Vec::new(),
            labels: Vec::new(),
            depth: 0,
        }
    }

    // ---- errors ----

    fn lex_error(&self, e: LexError) -> CompileError {
        let message = match e.near {
            Some(near) if near == "<eof>" => format!("{} near <eof>", e.message),
            Some(near) => format!("{} near '{}'", e.message, near),
            None => e.message,
        };
        CompileError::new(&self.chunk, e.line, message)
    }

    fn near(&self) -> String {
        match self.tok {
            Token::Eof => "<eof>".to_string(),
            Token::Name(_) | Token::String(_) | Token::Int(_) | Token::Float(_) => {
                format!("'{}'", String::from_utf8_lossy(&self.tok_text))
            }
            _ => format!("'{}'", self.tok.symbol()),
        }
    }

    /// A syntax error at the current token.
    fn error<T>(&self, msg: &str) -> Result<T, CompileError> {
        Err(CompileError::new(
            &self.chunk,
            self.tok_line,
            format!("{msg} near {}", self.near()),
        ))
    }

    /// A semantic error (no "near").
    fn sem_error<T>(&self, msg: String) -> Result<T, CompileError> {
        Err(CompileError::new(&self.chunk, self.tok_line, msg))
    }

    fn code_err(&self, e: CodeError) -> CompileError {
        CompileError::new(
            &self.chunk,
            self.tok_line,
            format!("{} near {}", e.0, self.near()),
        )
    }

    fn error_expected<T>(&self, what: &str) -> Result<T, CompileError> {
        self.error(&format!("{what} expected"))
    }

    fn limit_error<T>(&self, what: &str, limit: usize) -> Result<T, CompileError> {
        let line = self.fs.f.line_defined;
        let where_ = if line == 0 {
            "main function".to_string()
        } else {
            format!("function at line {line}")
        };
        self.error(&format!("too many {what} (limit is {limit}) in {where_}"))
    }

    // ---- tokens ----

    fn next(&mut self) -> Result<(), CompileError> {
        self.last_line = self.tok_line;
        self.fs.line = self.last_line;
        if let Some((t, line, text)) = self.ahead.take() {
            self.tok = t;
            self.tok_line = line;
            self.tok_text = text;
            return Ok(());
        }
        match self.lex.next_token() {
            Ok(t) => {
                self.tok = t;
                self.tok_line = self.lex.line;
                self.tok_text = self.lex.token_text().into();
                Ok(())
            }
            Err(e) => Err(self.lex_error(e)),
        }
    }

    fn look_ahead(&mut self) -> Result<&Token, CompileError> {
        if self.ahead.is_none() {
            match self.lex.next_token() {
                Ok(t) => {
                    self.ahead = Some((t, self.lex.line, self.lex.token_text().into()));
                }
                Err(e) => return Err(self.lex_error(e)),
            }
        }
        Ok(self.ahead.as_ref().map(|a| &a.0).unwrap_or(&Token::Eof))
    }

    fn test_next(&mut self, t: &Token) -> Result<bool, CompileError> {
        if self.tok == *t {
            self.next()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn check(&self, t: &Token) -> Result<(), CompileError> {
        if self.tok != *t {
            return self.error_expected(&token_str(t));
        }
        Ok(())
    }

    fn check_next(&mut self, t: &Token) -> Result<(), CompileError> {
        self.check(t)?;
        self.next()
    }

    fn check_match(&mut self, what: &Token, who: &Token, line: u32) -> Result<(), CompileError> {
        if self.tok != *what {
            if line == self.tok_line {
                return self.error_expected(&token_str(what));
            }
            return self.error(&format!(
                "{} expected (to close {} at line {})",
                token_str(what),
                token_str(who),
                line
            ));
        }
        self.next()
    }

    fn check_name(&mut self) -> Result<Box<[u8]>, CompileError> {
        match &self.tok {
            Token::Name(n) => {
                let n = n.clone();
                self.next()?;
                Ok(n)
            }
            _ => self.error_expected("<name>"),
        }
    }

    fn block_follow(&self, with_until: bool) -> bool {
        match self.tok {
            Token::Else | Token::Elseif | Token::End | Token::Eof => true,
            Token::Until => with_until,
            _ => false,
        }
    }

    fn enter_level(&mut self) -> Result<(), CompileError> {
        self.depth += 1;
        if self.depth > MAX_LEVELS {
            return self.error("C stack overflow");
        }
        Ok(())
    }

    fn leave_level(&mut self) {
        self.depth -= 1;
    }

    // ---- variables ----

    /// Registers used by the active locals of `fs` up to `nvar` (`reglevel`).
    fn reg_level(&self, nvar: usize) -> usize {
        let first = self.fs.first_local;
        for i in (0..nvar).rev() {
            let v = &self.vars[first + i];
            if v.kind != VarKind::CompileTimeConst {
                return v.reg + 1;
            }
        }
        0
    }

    fn nvarstack(&self) -> usize {
        self.reg_level(self.fs.nactvar)
    }

    fn new_localvar(&mut self, name: Box<[u8]>) -> Result<usize, CompileError> {
        if self.vars.len() + 1 - self.fs.first_local > MAX_VARS {
            return self.limit_error("local variables", MAX_VARS);
        }
        self.vars.push(VarDesc {
            name,
            kind: VarKind::Regular,
            reg: 0,
            pidx: 0,
            value: None,
        });
        Ok(self.vars.len() - 1 - self.fs.first_local)
    }

    fn adjust_localvars(&mut self, nvars: usize) {
        let first_reg = self.nvarstack();
        for reg in first_reg..first_reg + nvars {
            let vidx = self.fs.first_local + self.fs.nactvar;
            self.fs.nactvar += 1;
            let name = self.vars[vidx].name.clone();
            let pidx = self.fs.register_local(&name);
            let v = &mut self.vars[vidx];
            v.reg = reg;
            v.pidx = pidx;
        }
    }

    /// Ends the scope of the active variables above `to_level` (their
    /// descriptors are dropped by the caller).
    fn end_vars(&mut self, to_level: usize) {
        let pc = self.fs.pc() as u32;
        while self.fs.nactvar > to_level {
            self.fs.nactvar -= 1;
            let v = &self.vars[self.fs.first_local + self.fs.nactvar];
            if v.kind != VarKind::CompileTimeConst {
                self.fs.f.locals[v.pidx].end_pc = pc;
            }
        }
    }

    /// The function state at `level` (0 = outermost; `outer.len()` = current).
    fn fs_at(&mut self, level: usize) -> &mut FuncState {
        if level == self.outer.len() {
            &mut self.fs
        } else {
            &mut self.outer[level]
        }
    }

    fn search_var(&mut self, level: usize, name: &[u8]) -> Option<ExpKind> {
        let fs = self.fs_at(level);
        let (first, n) = (fs.first_local, fs.nactvar);
        for i in (0..n).rev() {
            let v = &self.vars[first + i];
            if *v.name == *name {
                return Some(if v.kind == VarKind::CompileTimeConst {
                    ExpKind::Const(first + i)
                } else {
                    ExpKind::Local {
                        reg: v.reg,
                        vidx: i,
                    }
                });
            }
        }
        None
    }

    fn mark_upval(&mut self, level: usize, vidx: usize) {
        let fs = self.fs_at(level);
        for b in fs.blocks.iter_mut().rev() {
            if b.nactvar <= vidx {
                b.upval = true;
                break;
            }
        }
        fs.needs_close = true;
    }

    /// Finds `name` as a local, upvalue or constant seen from `level`;
    /// `None` means a global.
    fn single_var_aux(
        &mut self,
        level: usize,
        name: &[u8],
        base: bool,
    ) -> Result<Option<ExpKind>, CompileError> {
        if let Some(k) = self.search_var(level, name) {
            if let (ExpKind::Local { vidx, .. }, false) = (&k, base) {
                let vidx = *vidx;
                self.mark_upval(level, vidx);
            }
            return Ok(Some(k));
        }
        let fs = self.fs_at(level);
        if let Some(i) = fs.f.upvalues.iter().position(|u| u.name.as_bytes() == name) {
            return Ok(Some(ExpKind::Upval(i)));
        }
        if level == 0 {
            return Ok(None);
        }
        let found = self.single_var_aux(level - 1, name, false)?;
        let (in_stack, index, kind) = match found {
            Some(ExpKind::Local { reg, vidx }) => {
                let first = self.fs_at(level - 1).first_local;
                (true, reg, self.vars[first + vidx].kind)
            }
            Some(ExpKind::Upval(u)) => (false, u, self.fs_at(level - 1).upkinds[u]),
            other => return Ok(other),
        };
        let r = self.fs_at(level).new_upvalue(name, in_stack, index, kind);
        match r {
            Ok(i) => Ok(Some(ExpKind::Upval(i))),
            Err(_) => {
                let fs = self.fs_at(level);
                let line = fs.f.line_defined;
                let where_ = if line == 0 {
                    "main function".to_string()
                } else {
                    format!("function at line {line}")
                };
                self.error(&format!("too many upvalues (limit is 255) in {where_}"))
            }
        }
    }

    fn single_var(&mut self, name: &[u8]) -> Result<ExpDesc, CompileError> {
        let level = self.outer.len();
        if let Some(k) = self.single_var_aux(level, name, true)? {
            return Ok(ExpDesc::new(k));
        }
        let env = self
            .single_var_aux(level, b"_ENV", true)?
            .ok_or_else(|| CompileError::new(&self.chunk, self.tok_line, "no _ENV".into()))?;
        let mut var = ExpDesc::new(env);
        let nv = self.nvarstack();
        self.fs
            .exp_to_any_reg_up(&mut var, &self.vars, nv)
            .map_err(|e| self.code_err(e))?;
        let mut key = ExpDesc::new(ExpKind::KStr(name.into()));
        self.fs
            .indexed(&mut var, &mut key, &self.vars, nv)
            .map_err(|e| self.code_err(e))?;
        Ok(var)
    }

    // ---- blocks, labels, gotos ----

    fn enter_block(&mut self, is_loop: bool) {
        let inside_tbc = self.fs.blocks.last().is_some_and(|b| b.inside_tbc);
        self.fs.blocks.push(Block {
            first_label: self.labels.len(),
            first_goto: self.gotos.len(),
            nactvar: self.fs.nactvar,
            upval: false,
            is_loop,
            inside_tbc,
        });
    }

    fn leave_block(&mut self) -> Result<(), CompileError> {
        let Some(bl) = self.fs.blocks.last().cloned() else {
            return Ok(());
        };
        let stk_level = self.reg_level(bl.nactvar);
        // Variables leave scope now; their descriptors stay readable until
        // the end of this function, for the goto checks below.
        self.end_vars(bl.nactvar);
        let mut has_close = false;
        if bl.is_loop {
            has_close = self.create_label(b"break", 0, false)?;
        }
        let nested = self.fs.blocks.len() > 1;
        if !has_close && nested && bl.upval {
            self.fs.code(Op::Close { a: stk_level as u8 });
        }
        self.fs.free_reg = stk_level;
        self.labels.truncate(bl.first_label);
        self.fs.blocks.pop();
        if nested {
            // Pending gotos move out to the enclosing block.
            for i in bl.first_goto..self.gotos.len() {
                let gt_level = self.reg_level(self.gotos[i].nactvar);
                let g = &mut self.gotos[i];
                if gt_level > stk_level {
                    g.close |= bl.upval;
                }
                g.nactvar = bl.nactvar;
            }
        } else if bl.first_goto < self.gotos.len() {
            let g = self.gotos[bl.first_goto].clone();
            let msg = if &*g.name == b"break" {
                format!("break outside loop at line {}", g.line)
            } else {
                format!(
                    "no visible label '{}' for <goto> at line {}",
                    String::from_utf8_lossy(&g.name),
                    g.line
                )
            };
            return self.sem_error(msg);
        }
        self.vars.truncate(self.fs.first_local + self.fs.nactvar);
        Ok(())
    }

    /// Resolves pending gotos of the current block to the new label; returns
    /// whether one needs a `Close`.
    fn solve_gotos(&mut self, label: &LabelDesc) -> Result<bool, CompileError> {
        let first = self.fs.blocks.last().map_or(0, |b| b.first_goto);
        let mut needs_close = false;
        let mut i = first;
        while i < self.gotos.len() {
            if self.gotos[i].name == label.name {
                let g = self.gotos.remove(i);
                needs_close |= g.close;
                if g.nactvar < label.nactvar {
                    let vname = &self.vars[self.fs.first_local + g.nactvar].name;
                    let msg = format!(
                        "<goto {}> at line {} jumps into the scope of local '{}'",
                        String::from_utf8_lossy(&g.name),
                        g.line,
                        String::from_utf8_lossy(vname)
                    );
                    return self.sem_error(msg);
                }
                self.fs
                    .patch_list(g.pc as i32, label.pc)
                    .map_err(|e| self.code_err(e))?;
            } else {
                i += 1;
            }
        }
        Ok(needs_close)
    }

    fn create_label(&mut self, name: &[u8], line: u32, last: bool) -> Result<bool, CompileError> {
        let pc = self.fs.get_label();
        let nactvar = if last {
            self.fs.blocks.last().map_or(0, |b| b.nactvar)
        } else {
            self.fs.nactvar
        };
        let label = LabelDesc {
            name: name.into(),
            pc,
            line,
            nactvar,
            close: false,
        };
        self.labels.push(label.clone());
        if self.solve_gotos(&label)? {
            let nv = self.nvarstack();
            self.fs.code(Op::Close { a: nv as u8 });
            return Ok(true);
        }
        Ok(false)
    }

    fn find_label(&self, name: &[u8]) -> Option<&LabelDesc> {
        self.labels[self.fs.first_label..]
            .iter()
            .find(|l| &*l.name == name)
    }

    fn new_goto(&mut self, name: &[u8], line: u32, pc: i32) {
        self.gotos.push(LabelDesc {
            name: name.into(),
            pc: pc as usize,
            line,
            nactvar: self.fs.nactvar,
            close: false,
        });
    }

    // ---- functions ----

    fn open_func(&mut self, line: u32) {
        let source = self.fs.f.source.clone();
        let mut fs = FuncState::new(source, line, self.vars.len(), self.labels.len());
        fs.line = self.last_line;
        let parent = std::mem::replace(&mut self.fs, fs);
        self.outer.push(parent);
        self.enter_block(false);
    }

    fn close_func(&mut self) -> Result<Proto, CompileError> {
        let nv = self.nvarstack();
        self.fs.ret(nv, 0);
        self.leave_block()?;
        self.fs.finish().map_err(|e| self.code_err(e))?;
        let parent = self.outer.pop();
        let fs = match parent {
            Some(p) => std::mem::replace(&mut self.fs, p),
            None => return self.sem_error("internal: no enclosing function".into()),
        };
        self.fs.line = self.last_line;
        Ok(fs.f)
    }

    /// Compiles the main chunk.
    pub fn main_func(mut self) -> Result<Proto, CompileError> {
        self.fs.f.is_vararg = true;
        self.fs.blocks.clear();
        self.enter_block(false);
        self.fs
            .new_upvalue(b"_ENV", true, 0, VarKind::Regular)
            .map_err(|e| self.code_err(e))?;
        self.next()?;
        self.stat_list()?;
        self.check(&Token::Eof)?;
        let nv = self.nvarstack();
        self.fs.ret(nv, 0);
        self.leave_block()?;
        self.fs.finish().map_err(|e| self.code_err(e))?;
        Ok(self.fs.f)
    }

    fn body(&mut self, is_method: bool, line: u32) -> Result<ExpDesc, CompileError> {
        self.open_func(line);
        self.check_next(&Token::LParen)?;
        if is_method {
            self.new_localvar(b"self"[..].into())?;
            self.adjust_localvars(1);
        }
        self.par_list()?;
        self.check_next(&Token::RParen)?;
        self.stat_list()?;
        self.fs.f.last_line_defined = self.tok_line;
        self.check_match(&Token::End, &Token::Function, line)?;
        let proto = self.close_func()?;
        // The closure, in the parent.
        self.fs.f.protos.push(proto);
        let p = (self.fs.f.protos.len() - 1) as u32;
        let pc = self.fs.code(Op::Closure { a: 0, p });
        let mut e = ExpDesc::new(ExpKind::Reloc(pc));
        let nv = self.nvarstack();
        self.fs
            .exp_to_next_reg(&mut e, &self.vars, nv)
            .map_err(|e| self.code_err(e))?;
        Ok(e)
    }

    fn par_list(&mut self) -> Result<(), CompileError> {
        let mut nparams = 0;
        let mut is_vararg = false;
        if self.tok != Token::RParen {
            loop {
                match &self.tok {
                    Token::Name(_) => {
                        let n = self.check_name()?;
                        self.new_localvar(n)?;
                        nparams += 1;
                    }
                    Token::Dots => {
                        self.next()?;
                        is_vararg = true;
                    }
                    _ => return self.error_expected("<name>"),
                }
                if is_vararg || !self.test_next(&Token::Comma)? {
                    break;
                }
            }
        }
        self.adjust_localvars(nparams);
        self.fs.f.num_params = self.fs.nactvar as u8;
        self.fs.f.is_vararg = is_vararg;
        let n = self.fs.nactvar;
        self.fs.reserve_regs(n).map_err(|e| self.code_err(e))?;
        Ok(())
    }

    // ---- statements ----

    fn stat_list(&mut self) -> Result<(), CompileError> {
        while !self.block_follow(true) {
            if self.tok == Token::Return {
                self.statement()?;
                return Ok(());
            }
            self.statement()?;
        }
        Ok(())
    }

    fn block(&mut self) -> Result<(), CompileError> {
        self.enter_block(false);
        self.stat_list()?;
        self.leave_block()
    }

    fn statement(&mut self) -> Result<(), CompileError> {
        let line = self.tok_line;
        self.enter_level()?;
        match self.tok {
            Token::Semicolon => self.next()?,
            Token::If => self.if_stat(line)?,
            Token::While => self.while_stat(line)?,
            Token::Do => {
                self.next()?;
                self.block()?;
                self.check_match(&Token::End, &Token::Do, line)?;
            }
            Token::For => self.for_stat(line)?,
            Token::Repeat => self.repeat_stat(line)?,
            Token::Function => self.func_stat(line)?,
            Token::Local => {
                self.next()?;
                if self.test_next(&Token::Function)? {
                    self.local_func()?;
                } else {
                    self.local_stat()?;
                }
            }
            Token::DoubleColon => {
                self.next()?;
                let name = self.check_name()?;
                self.label_stat(&name, line)?;
            }
            Token::Return => {
                self.next()?;
                self.ret_stat()?;
            }
            Token::Break => {
                self.next()?;
                let pc = self.fs.jump();
                self.new_goto(b"break", line, pc);
            }
            Token::Goto => {
                self.next()?;
                self.goto_stat(line)?;
            }
            _ => self.expr_stat()?,
        }
        let nv = self.nvarstack();
        self.fs.free_reg = nv;
        self.leave_level();
        Ok(())
    }

    fn label_stat(&mut self, name: &[u8], line: u32) -> Result<(), CompileError> {
        self.check_next(&Token::DoubleColon)?;
        while self.tok == Token::Semicolon || self.tok == Token::DoubleColon {
            self.statement()?;
        }
        if let Some(l) = self.find_label(name) {
            let msg = format!(
                "label '{}' already defined on line {}",
                String::from_utf8_lossy(name),
                l.line
            );
            return self.sem_error(msg);
        }
        let last = self.block_follow(false);
        self.create_label(name, line, last)?;
        Ok(())
    }

    fn goto_stat(&mut self, line: u32) -> Result<(), CompileError> {
        let name = self.check_name()?;
        if let Some(lb) = self.find_label(&name).cloned() {
            let lb_level = self.reg_level(lb.nactvar);
            if self.nvarstack() > lb_level {
                self.fs.code(Op::Close { a: lb_level as u8 });
            }
            let j = self.fs.jump();
            self.fs.patch_list(j, lb.pc).map_err(|e| self.code_err(e))?;
        } else {
            let pc = self.fs.jump();
            self.new_goto(&name, line, pc);
        }
        Ok(())
    }

    fn cond(&mut self) -> Result<i32, CompileError> {
        let mut v = self.expr()?;
        if v.k == ExpKind::Nil {
            v.k = ExpKind::False;
        }
        let nv = self.nvarstack();
        self.fs
            .go_if_true(&mut v, &self.vars, nv)
            .map_err(|e| self.code_err(e))?;
        Ok(v.f)
    }

    fn test_then_block(&mut self, escape: &mut i32) -> Result<(), CompileError> {
        self.next()?;
        let mut v = self.expr()?;
        self.check_next(&Token::Then)?;
        let nv = self.nvarstack();
        self.fs
            .go_if_true(&mut v, &self.vars, nv)
            .map_err(|e| self.code_err(e))?;
        self.enter_block(false);
        let jf = v.f;
        self.stat_list()?;
        self.leave_block()?;
        if self.tok == Token::Else || self.tok == Token::Elseif {
            let j = self.fs.jump();
            self.fs
                .concat_jumps(escape, j)
                .map_err(|e| self.code_err(e))?;
        }
        self.fs.patch_to_here(jf).map_err(|e| self.code_err(e))
    }

    fn if_stat(&mut self, line: u32) -> Result<(), CompileError> {
        let mut escape = NO_JUMP;
        self.test_then_block(&mut escape)?;
        while self.tok == Token::Elseif {
            self.test_then_block(&mut escape)?;
        }
        if self.test_next(&Token::Else)? {
            self.block()?;
        }
        self.check_match(&Token::End, &Token::If, line)?;
        self.fs.patch_to_here(escape).map_err(|e| self.code_err(e))
    }

    fn while_stat(&mut self, line: u32) -> Result<(), CompileError> {
        self.next()?;
        let init = self.fs.get_label();
        let exit = self.cond()?;
        self.enter_block(true);
        self.check_next(&Token::Do)?;
        self.block()?;
        let j = self.fs.jump();
        self.fs.patch_list(j, init).map_err(|e| self.code_err(e))?;
        self.check_match(&Token::End, &Token::While, line)?;
        self.leave_block()?;
        self.fs.patch_to_here(exit).map_err(|e| self.code_err(e))
    }

    fn repeat_stat(&mut self, line: u32) -> Result<(), CompileError> {
        let init = self.fs.get_label();
        self.enter_block(true);
        self.enter_block(false);
        self.next()?;
        self.stat_list()?;
        self.check_match(&Token::Until, &Token::Repeat, line)?;
        let mut exit = self.cond()?;
        let scope = self.fs.blocks.last().cloned();
        self.leave_block()?;
        if let Some(bl2) = scope {
            if bl2.upval {
                let normal = self.fs.jump();
                self.fs.patch_to_here(exit).map_err(|e| self.code_err(e))?;
                let lvl = self.reg_level(bl2.nactvar);
                self.fs.code(Op::Close { a: lvl as u8 });
                exit = self.fs.jump();
                self.fs
                    .patch_to_here(normal)
                    .map_err(|e| self.code_err(e))?;
            }
        }
        self.fs
            .patch_list(exit, init)
            .map_err(|e| self.code_err(e))?;
        self.leave_block()
    }

    fn exp1(&mut self) -> Result<(), CompileError> {
        let mut e = self.expr()?;
        let nv = self.nvarstack();
        self.fs
            .exp_to_next_reg(&mut e, &self.vars, nv)
            .map_err(|e| self.code_err(e))
    }

    fn fix_for_jump(&mut self, pc: usize, dest: usize, back: bool) -> Result<(), CompileError> {
        let offset = if back {
            pc as i64 + 1 - dest as i64
        } else {
            dest as i64 - (pc as i64 + 1)
        };
        if !(0..=u32::MAX as i64).contains(&offset) {
            return self.error("control structure too long");
        }
        let bx = offset as u32;
        match &mut self.fs.f.code[pc] {
            Op::ForPrep { bx: b, .. }
            | Op::ForLoop { bx: b, .. }
            | Op::TForPrep { bx: b, .. }
            | Op::TForLoop { bx: b, .. } => *b = bx,
            _ => {}
        }
        Ok(())
    }

    fn for_body(
        &mut self,
        base: usize,
        line: u32,
        nvars: usize,
        generic: bool,
    ) -> Result<(), CompileError> {
        self.check_next(&Token::Do)?;
        let prep = if generic {
            self.fs.code(Op::TForPrep {
                a: base as u8,
                bx: 0,
            })
        } else {
            self.fs.code(Op::ForPrep {
                a: base as u8,
                bx: 0,
            })
        };
        self.enter_block(false);
        self.adjust_localvars(nvars);
        self.fs.reserve_regs(nvars).map_err(|e| self.code_err(e))?;
        self.block()?;
        self.leave_block()?;
        let here = self.fs.get_label();
        self.fix_for_jump(prep, here, false)?;
        if generic {
            self.fs.code(Op::TForCall {
                a: base as u8,
                c: nvars as u8,
            });
            self.fs.fix_line(line);
        }
        let end = if generic {
            self.fs.code(Op::TForLoop {
                a: base as u8,
                bx: 0,
            })
        } else {
            self.fs.code(Op::ForLoop {
                a: base as u8,
                bx: 0,
            })
        };
        self.fix_for_jump(end, prep + 1, true)?;
        self.fs.fix_line(line);
        Ok(())
    }

    fn for_num(&mut self, var: Box<[u8]>, line: u32) -> Result<(), CompileError> {
        let base = self.fs.free_reg;
        for _ in 0..3 {
            self.new_localvar(b"(for state)"[..].into())?;
        }
        self.new_localvar(var)?;
        self.check_next(&Token::Assign)?;
        self.exp1()?;
        self.check_next(&Token::Comma)?;
        self.exp1()?;
        if self.test_next(&Token::Comma)? {
            self.exp1()?;
        } else {
            let r = self.fs.free_reg;
            self.fs.code(Op::LoadI { a: r as u8, i: 1 });
            self.fs.reserve_regs(1).map_err(|e| self.code_err(e))?;
        }
        self.adjust_localvars(3);
        self.for_body(base, line, 1, false)
    }

    fn for_list(&mut self, first: Box<[u8]>) -> Result<(), CompileError> {
        let base = self.fs.free_reg;
        let mut nvars = 5;
        for _ in 0..4 {
            self.new_localvar(b"(for state)"[..].into())?;
        }
        self.new_localvar(first)?;
        while self.test_next(&Token::Comma)? {
            let n = self.check_name()?;
            self.new_localvar(n)?;
            nvars += 1;
        }
        self.check_next(&Token::In)?;
        let line = self.tok_line;
        let (nexps, mut e) = self.exp_list()?;
        self.adjust_assign(4, nexps, &mut e)?;
        self.adjust_localvars(4);
        self.mark_to_be_closed();
        self.fs.check_stack(3).map_err(|e| self.code_err(e))?;
        self.for_body(base, line, nvars - 4, true)
    }

    fn mark_to_be_closed(&mut self) {
        if let Some(b) = self.fs.blocks.last_mut() {
            b.upval = true;
            b.inside_tbc = true;
        }
        self.fs.needs_close = true;
    }

    fn for_stat(&mut self, line: u32) -> Result<(), CompileError> {
        self.enter_block(true);
        self.next()?;
        let var = self.check_name()?;
        match self.tok {
            Token::Assign => self.for_num(var, line)?,
            Token::Comma | Token::In => self.for_list(var)?,
            _ => return self.error("'=' or 'in' expected"),
        }
        self.check_match(&Token::End, &Token::For, line)?;
        self.leave_block()
    }

    fn func_stat(&mut self, line: u32) -> Result<(), CompileError> {
        self.next()?;
        // funcname: NAME {'.' NAME} [':' NAME]
        let name = self.check_name()?;
        let mut v = self.single_var(&name)?;
        let mut is_method = false;
        while self.tok == Token::Dot {
            self.field_sel(&mut v)?;
        }
        if self.tok == Token::Colon {
            is_method = true;
            self.field_sel(&mut v)?;
        }
        let mut b = self.body(is_method, line)?;
        self.check_readonly(&v)?;
        let nv = self.nvarstack();
        self.fs
            .store_var(&v, &mut b, &self.vars, nv)
            .map_err(|e| self.code_err(e))?;
        self.fs.fix_line(line);
        Ok(())
    }

    fn local_func(&mut self) -> Result<(), CompileError> {
        let fvar = self.fs.nactvar;
        let name = self.check_name()?;
        self.new_localvar(name)?;
        self.adjust_localvars(1);
        let line = self.last_line;
        self.body(false, line)?;
        let pidx = self.vars[self.fs.first_local + fvar].pidx;
        let pc = self.fs.pc() as u32;
        self.fs.f.locals[pidx].start_pc = pc;
        Ok(())
    }

    fn local_attrib(&mut self) -> Result<VarKind, CompileError> {
        if self.test_next(&Token::Less)? {
            let attr = self.check_name()?;
            self.check_next(&Token::Greater)?;
            return match &*attr {
                b"const" => Ok(VarKind::Const),
                b"close" => Ok(VarKind::Close),
                _ => self.sem_error(format!(
                    "unknown attribute '{}'",
                    String::from_utf8_lossy(&attr)
                )),
            };
        }
        Ok(VarKind::Regular)
    }

    fn local_stat(&mut self) -> Result<(), CompileError> {
        let mut to_close: Option<usize> = None;
        let mut nvars = 0;
        let mut vidx;
        loop {
            let name = self.check_name()?;
            vidx = self.new_localvar(name)?;
            let kind = self.local_attrib()?;
            self.vars[self.fs.first_local + vidx].kind = kind;
            if kind == VarKind::Close {
                if to_close.is_some() {
                    return self.sem_error("multiple to-be-closed variables in local list".into());
                }
                to_close = Some(self.fs.nactvar + nvars);
            }
            nvars += 1;
            if !self.test_next(&Token::Comma)? {
                break;
            }
        }
        let (nexps, mut e) = if self.test_next(&Token::Assign)? {
            self.exp_list()?
        } else {
            (0, ExpDesc::new(ExpKind::Void))
        };
        let last = self.fs.first_local + vidx;
        let ctc = if nvars == nexps && self.vars[last].kind == VarKind::Const {
            self.exp_to_const(&e)
        } else {
            None
        };
        if let Some(value) = ctc {
            self.vars[last].kind = VarKind::CompileTimeConst;
            self.vars[last].value = Some(value);
            self.adjust_localvars(nvars - 1);
            self.fs.nactvar += 1;
        } else {
            self.adjust_assign(nvars, nexps, &mut e)?;
            self.adjust_localvars(nvars);
        }
        if let Some(level) = to_close {
            self.mark_to_be_closed();
            let r = self.reg_level(level);
            self.fs.code(Op::Tbc { a: r as u8 });
        }
        Ok(())
    }

    /// The compile-time value of `e`, if it has one (`luaK_exp2const`).
    fn exp_to_const(&self, e: &ExpDesc) -> Option<ExpKind> {
        if e.t != e.f {
            return None;
        }
        match &e.k {
            ExpKind::False
            | ExpKind::True
            | ExpKind::Nil
            | ExpKind::KStr(_)
            | ExpKind::KInt(_)
            | ExpKind::KFlt(_) => Some(e.k.clone()),
            ExpKind::Const(i) => self.vars[*i].value.clone(),
            _ => None,
        }
    }

    fn check_readonly(&self, e: &ExpDesc) -> Result<(), CompileError> {
        let name: Option<&[u8]> = match &e.k {
            ExpKind::Const(i) => Some(&self.vars[*i].name),
            ExpKind::Local { vidx, .. } => {
                let v = &self.vars[self.fs.first_local + vidx];
                (v.kind != VarKind::Regular).then_some(&*v.name)
            }
            ExpKind::Upval(u) => (self.fs.upkinds[*u] != VarKind::Regular)
                .then(|| self.fs.f.upvalues[*u].name.as_bytes()),
            _ => None,
        };
        if let Some(n) = name {
            return self.sem_error(format!(
                "attempt to assign to const variable '{}'",
                String::from_utf8_lossy(n)
            ));
        }
        Ok(())
    }

    fn ret_stat(&mut self) -> Result<(), CompileError> {
        let mut first = self.nvarstack();
        let nret;
        if self.block_follow(true) || self.tok == Token::Semicolon {
            nret = 0;
        } else {
            let (n, mut e) = self.exp_list()?;
            if e.is_multi() {
                self.fs.set_mult_ret(&e).map_err(|e| self.code_err(e))?;
                if let ExpKind::Call(pc) = e.k {
                    let in_tbc = self.fs.blocks.last().is_some_and(|b| b.inside_tbc);
                    if n == 1 && !in_tbc {
                        if let Op::Call { a, b, .. } = self.fs.f.code[pc] {
                            self.fs.f.code[pc] = Op::TailCall { a, b };
                        }
                    }
                }
                nret = -1;
            } else if n == 1 {
                let nv = self.nvarstack();
                first = self
                    .fs
                    .exp_to_any_reg(&mut e, &self.vars, nv)
                    .map_err(|e| self.code_err(e))?;
                nret = 1;
            } else {
                let nv = self.nvarstack();
                self.fs
                    .exp_to_next_reg(&mut e, &self.vars, nv)
                    .map_err(|e| self.code_err(e))?;
                first = nv;
                nret = n as i32;
            }
        }
        self.fs.ret(first, nret);
        self.test_next(&Token::Semicolon)?;
        Ok(())
    }

    fn adjust_assign(
        &mut self,
        nvars: usize,
        nexps: usize,
        e: &mut ExpDesc,
    ) -> Result<(), CompileError> {
        let needed = nvars as i64 - nexps as i64;
        let nv = self.nvarstack();
        if e.is_multi() {
            let extra = (needed + 1).max(0);
            self.fs
                .set_returns(e, extra as i32)
                .map_err(|e| self.code_err(e))?;
        } else {
            if e.k != ExpKind::Void {
                self.fs
                    .exp_to_next_reg(e, &self.vars, nv)
                    .map_err(|e| self.code_err(e))?;
            }
            if needed > 0 {
                let r = self.fs.free_reg;
                self.fs.nil(r, needed as usize);
            }
        }
        if needed > 0 {
            self.fs
                .reserve_regs(needed as usize)
                .map_err(|e| self.code_err(e))?;
        } else {
            self.fs.free_reg = (self.fs.free_reg as i64 + needed) as usize;
        }
        Ok(())
    }

    fn expr_stat(&mut self) -> Result<(), CompileError> {
        let v = self.suffixed_exp()?;
        if self.tok == Token::Assign || self.tok == Token::Comma {
            self.rest_assign(v)
        } else {
            match v.k {
                ExpKind::Call(pc) => {
                    if let Op::Call { a, b, .. } = self.fs.f.code[pc] {
                        self.fs.f.code[pc] = Op::Call { a, b, c: 1 };
                    }
                    Ok(())
                }
                _ => self.error("syntax error"),
            }
        }
    }

    fn is_var(k: &ExpKind) -> bool {
        matches!(
            k,
            ExpKind::Local { .. }
                | ExpKind::Upval(_)
                | ExpKind::Const(_)
                | ExpKind::Indexed { .. }
                | ExpKind::IndexUp { .. }
                | ExpKind::IndexInt { .. }
                | ExpKind::IndexStr { .. }
        )
    }

    fn is_indexed(k: &ExpKind) -> bool {
        matches!(
            k,
            ExpKind::Indexed { .. }
                | ExpKind::IndexUp { .. }
                | ExpKind::IndexInt { .. }
                | ExpKind::IndexStr { .. }
        )
    }

    /// When `v` (a local or upvalue being assigned) is used as a table or
    /// key by an earlier target, that target uses a copy made now.
    fn check_conflict(&mut self, targets: &mut [ExpDesc], v: &ExpDesc) -> Result<(), CompileError> {
        let extra = self.fs.free_reg;
        let mut conflict = false;
        for lh in targets.iter_mut() {
            match &mut lh.k {
                ExpKind::IndexUp { t, key } => {
                    if let ExpKind::Upval(u) = v.k {
                        if *t == u {
                            conflict = true;
                            lh.k = ExpKind::IndexStr {
                                t: extra,
                                key: *key,
                            };
                        }
                    }
                }
                ExpKind::Indexed { t, key } => {
                    if let ExpKind::Local { reg, .. } = v.k {
                        if *t == reg {
                            conflict = true;
                            *t = extra;
                        }
                        if *key == reg {
                            conflict = true;
                            *key = extra;
                        }
                    }
                }
                ExpKind::IndexInt { t, .. } | ExpKind::IndexStr { t, .. } => {
                    if let ExpKind::Local { reg, .. } = v.k {
                        if *t == reg {
                            conflict = true;
                            *t = extra;
                        }
                    }
                }
                _ => {}
            }
        }
        if conflict {
            match v.k {
                ExpKind::Local { reg, .. } => {
                    self.fs.code(Op::Move {
                        a: extra as u8,
                        b: reg as u8,
                    });
                }
                ExpKind::Upval(u) => {
                    self.fs.code(Op::GetUpval {
                        a: extra as u8,
                        b: u as u8,
                    });
                }
                _ => {}
            }
            self.fs.reserve_regs(1).map_err(|e| self.code_err(e))?;
        }
        Ok(())
    }

    fn rest_assign(&mut self, first: ExpDesc) -> Result<(), CompileError> {
        let mut targets = vec![first];
        loop {
            let last = targets.last().map(|t| t.k.clone()).unwrap_or(ExpKind::Void);
            if !Self::is_var(&last) {
                return self.error("syntax error");
            }
            if let Some(t) = targets.last() {
                self.check_readonly(t)?;
            }
            if !self.test_next(&Token::Comma)? {
                break;
            }
            self.enter_level()?;
            let nv = self.suffixed_exp()?;
            if !Self::is_indexed(&nv.k) {
                let n = targets.len();
                self.check_conflict(&mut targets[..n], &nv)?;
            }
            targets.push(nv);
        }
        let nvars = targets.len();
        for _ in 1..nvars {
            self.leave_level();
        }
        self.check_next(&Token::Assign)?;
        let (nexps, mut e) = self.exp_list()?;
        let mut rest = nvars;
        if nexps == nvars {
            self.fs.set_one_ret(&mut e);
            let nv = self.nvarstack();
            let last = targets.pop().unwrap_or(ExpDesc::new(ExpKind::Void));
            self.fs
                .store_var(&last, &mut e, &self.vars, nv)
                .map_err(|e| self.code_err(e))?;
            rest -= 1;
        } else {
            self.adjust_assign(nvars, nexps, &mut e)?;
        }
        for _ in 0..rest {
            let Some(t) = targets.pop() else { break };
            let mut e = ExpDesc::new(ExpKind::NonReloc(self.fs.free_reg - 1));
            let nv = self.nvarstack();
            self.fs
                .store_var(&t, &mut e, &self.vars, nv)
                .map_err(|e| self.code_err(e))?;
        }
        Ok(())
    }

    // ---- expressions ----

    fn exp_list(&mut self) -> Result<(usize, ExpDesc), CompileError> {
        let mut e = self.expr()?;
        let mut n = 1;
        while self.test_next(&Token::Comma)? {
            let nv = self.nvarstack();
            self.fs
                .exp_to_next_reg(&mut e, &self.vars, nv)
                .map_err(|e| self.code_err(e))?;
            e = self.expr()?;
            n += 1;
        }
        Ok((n, e))
    }

    fn expr(&mut self) -> Result<ExpDesc, CompileError> {
        let (e, _) = self.subexpr(0)?;
        Ok(e)
    }

    fn field_sel(&mut self, v: &mut ExpDesc) -> Result<(), CompileError> {
        let nv = self.nvarstack();
        self.fs
            .exp_to_any_reg_up(v, &self.vars, nv)
            .map_err(|e| self.code_err(e))?;
        self.next()?; // skip '.' or ':'
        let name = self.check_name()?;
        let mut key = ExpDesc::new(ExpKind::KStr(name));
        self.fs
            .indexed(v, &mut key, &self.vars, nv)
            .map_err(|e| self.code_err(e))
    }

    fn y_index(&mut self) -> Result<ExpDesc, CompileError> {
        self.next()?; // skip '['
        let mut e = self.expr()?;
        let nv = self.nvarstack();
        self.fs
            .exp_to_val(&mut e, &self.vars, nv)
            .map_err(|e| self.code_err(e))?;
        self.check_next(&Token::RBracket)?;
        Ok(e)
    }

    fn constructor(&mut self) -> Result<ExpDesc, CompileError> {
        let line = self.tok_line;
        let pc = self.fs.code(Op::NewTable {
            a: 0,
            hash: 0,
            array: 0,
        });
        let treg = self.fs.free_reg;
        crate::code::set_a(&mut self.fs.f.code[pc], treg as u8);
        let t = ExpDesc::new(ExpKind::NonReloc(treg));
        self.fs.reserve_regs(1).map_err(|e| self.code_err(e))?;
        let mut v = ExpDesc::new(ExpKind::Void);
        let mut na: usize = 0;
        let mut nh: usize = 0;
        let mut tostore: i32 = 0;
        self.check_next(&Token::LBrace)?;
        loop {
            if self.tok == Token::RBrace {
                break;
            }
            // Close the pending list item (after the '}' check: a last call
            // keeps all its results).
            if v.k != ExpKind::Void {
                let nv = self.nvarstack();
                self.fs
                    .exp_to_next_reg(&mut v, &self.vars, nv)
                    .map_err(|e| self.code_err(e))?;
                v = ExpDesc::new(ExpKind::Void);
                if tostore == FIELDS_PER_FLUSH {
                    self.fs
                        .set_list(treg, na, tostore)
                        .map_err(|e| self.code_err(e))?;
                    na += tostore as usize;
                    tostore = 0;
                }
            }
            // field
            let is_rec = match &self.tok {
                Token::Name(_) => *self.look_ahead()? == Token::Assign,
                Token::LBracket => true,
                _ => false,
            };
            if is_rec {
                let reg = self.fs.free_reg;
                let mut key = if let Token::Name(_) = self.tok {
                    let n = self.check_name()?;
                    ExpDesc::new(ExpKind::KStr(n))
                } else {
                    self.y_index()?
                };
                nh += 1;
                self.check_next(&Token::Assign)?;
                let mut tab = t.clone();
                let nv = self.nvarstack();
                self.fs
                    .indexed(&mut tab, &mut key, &self.vars, nv)
                    .map_err(|e| self.code_err(e))?;
                let mut val = self.expr()?;
                self.fs
                    .store_var(&tab, &mut val, &self.vars, nv)
                    .map_err(|e| self.code_err(e))?;
                self.fs.free_reg = reg;
            } else {
                v = self.expr()?;
                tostore += 1;
                if na + tostore as usize > i32::MAX as usize {
                    return self.limit_error("items in a constructor", i32::MAX as usize);
                }
            }
            if !(self.test_next(&Token::Comma)? || self.test_next(&Token::Semicolon)?) {
                break;
            }
        }
        self.check_match(&Token::RBrace, &Token::LBrace, line)?;
        // last list item
        if tostore > 0 {
            if v.is_multi() {
                self.fs.set_mult_ret(&v).map_err(|e| self.code_err(e))?;
                self.fs
                    .set_list(treg, na, -1)
                    .map_err(|e| self.code_err(e))?;
                na += tostore as usize - 1;
            } else {
                if v.k != ExpKind::Void {
                    let nv = self.nvarstack();
                    self.fs
                        .exp_to_next_reg(&mut v, &self.vars, nv)
                        .map_err(|e| self.code_err(e))?;
                }
                self.fs
                    .set_list(treg, na, tostore)
                    .map_err(|e| self.code_err(e))?;
                na += tostore as usize;
            }
        }
        // The array hint counts a last multi-result item as one value (PUC
        // Lua counts it as none): `{f(), g()}` is then made with its two
        // slots instead of one that `SetList` grows at once.
        let hint = if tostore > 0 && v.is_multi() {
            na + 1
        } else {
            na
        };
        self.fs.f.code[pc] = Op::NewTable {
            a: treg as u8,
            hash: nh.min(u16::MAX as usize) as u16,
            array: hint.min(u32::MAX as usize) as u32,
        };
        Ok(t)
    }

    fn primary_exp(&mut self) -> Result<ExpDesc, CompileError> {
        match &self.tok {
            Token::Name(_) => {
                let n = self.check_name()?;
                self.single_var(&n)
            }
            Token::LParen => {
                let line = self.tok_line;
                self.next()?;
                let mut e = self.expr()?;
                self.check_match(&Token::RParen, &Token::LParen, line)?;
                let nv = self.nvarstack();
                self.fs.discharge_vars(&mut e, &self.vars, nv);
                Ok(e)
            }
            _ => self.error("unexpected symbol"),
        }
    }

    fn suffixed_exp(&mut self) -> Result<ExpDesc, CompileError> {
        let mut v = self.primary_exp()?;
        loop {
            match &self.tok {
                Token::Dot => self.field_sel(&mut v)?,
                Token::LBracket => {
                    let nv = self.nvarstack();
                    self.fs
                        .exp_to_any_reg_up(&mut v, &self.vars, nv)
                        .map_err(|e| self.code_err(e))?;
                    let mut k = self.y_index()?;
                    let nv = self.nvarstack();
                    self.fs
                        .indexed(&mut v, &mut k, &self.vars, nv)
                        .map_err(|e| self.code_err(e))?;
                }
                Token::Colon => {
                    self.next()?;
                    let name = self.check_name()?;
                    let mut key = ExpDesc::new(ExpKind::KStr(name));
                    let nv = self.nvarstack();
                    self.fs
                        .self_op(&mut v, &mut key, &self.vars, nv)
                        .map_err(|e| self.code_err(e))?;
                    self.call_args(&mut v)?;
                }
                Token::LParen | Token::String(_) | Token::LBrace => {
                    let nv = self.nvarstack();
                    self.fs
                        .exp_to_next_reg(&mut v, &self.vars, nv)
                        .map_err(|e| self.code_err(e))?;
                    self.call_args(&mut v)?;
                }
                _ => return Ok(v),
            }
        }
    }

    /// Function arguments, then the closing `)` for the parenthesised form.
    fn call_args(&mut self, f: &mut ExpDesc) -> Result<(), CompileError> {
        // The call's line is that of its arguments' first token, as in Lua
        // 5.4.8 (`funcargs`): "a\n(23)" fails on line 2.
        let paren_line = self.tok_line;
        let line = paren_line;
        if self.tok == Token::LParen {
            self.next()?;
            let mut args = if self.tok == Token::RParen {
                ExpDesc::new(ExpKind::Void)
            } else {
                let (_, e) = self.exp_list()?;
                if e.is_multi() {
                    self.fs.set_mult_ret(&e).map_err(|e| self.code_err(e))?;
                }
                e
            };
            self.check_match(&Token::RParen, &Token::LParen, paren_line)?;
            return self.finish_call(f, &mut args, line);
        }
        let mut args = match &self.tok {
            Token::LBrace => self.constructor()?,
            Token::String(s) => {
                let e = ExpDesc::new(ExpKind::KStr(s.clone()));
                self.next()?;
                e
            }
            _ => return self.error("function arguments expected"),
        };
        self.finish_call(f, &mut args, line)
    }

    fn finish_call(
        &mut self,
        f: &mut ExpDesc,
        args: &mut ExpDesc,
        line: u32,
    ) -> Result<(), CompileError> {
        let base = match f.k {
            ExpKind::NonReloc(r) => r,
            _ => return self.error("internal: call base"),
        };
        let nparams: i32 = if args.is_multi() {
            -1
        } else {
            if args.k != ExpKind::Void {
                let nv = self.nvarstack();
                self.fs
                    .exp_to_next_reg(args, &self.vars, nv)
                    .map_err(|e| self.code_err(e))?;
            }
            (self.fs.free_reg - (base + 1)) as i32
        };
        let pc = self.fs.code(Op::Call {
            a: base as u8,
            b: (nparams + 1) as u8,
            c: 2,
        });
        self.fs.fix_line(line);
        f.k = ExpKind::Call(pc);
        self.fs.free_reg = base + 1;
        Ok(())
    }

    fn simple_exp(&mut self) -> Result<ExpDesc, CompileError> {
        let e = match &self.tok {
            Token::Float(f) => ExpDesc::new(ExpKind::KFlt(*f)),
            Token::Int(i) => ExpDesc::new(ExpKind::KInt(*i)),
            Token::String(s) => ExpDesc::new(ExpKind::KStr(s.clone())),
            Token::Nil => ExpDesc::new(ExpKind::Nil),
            Token::True => ExpDesc::new(ExpKind::True),
            Token::False => ExpDesc::new(ExpKind::False),
            Token::Dots => {
                if !self.fs.f.is_vararg {
                    return self.error("cannot use '...' outside a vararg function");
                }
                let pc = self.fs.code(Op::VarArg { a: 0, c: 0 });
                ExpDesc::new(ExpKind::Vararg(pc))
            }
            Token::LBrace => return self.constructor(),
            Token::Function => {
                let line = self.tok_line;
                self.next()?;
                return self.body(false, line);
            }
            _ => return self.suffixed_exp(),
        };
        self.next()?;
        Ok(e)
    }

    fn subexpr(&mut self, limit: u8) -> Result<(ExpDesc, Option<BinOpPrio>), CompileError> {
        self.enter_level()?;
        let unop = match self.tok {
            Token::Not => Some(UnOp::Not),
            Token::Minus => Some(UnOp::Minus),
            Token::Tilde => Some(UnOp::BNot),
            Token::Hash => Some(UnOp::Len),
            _ => None,
        };
        let mut v = if let Some(op) = unop {
            let line = self.tok_line;
            self.next()?;
            let (mut v, _) = self.subexpr(UNARY_PRIORITY)?;
            let nv = self.nvarstack();
            self.fs
                .prefix(op, &mut v, line, &self.vars, nv)
                .map_err(|e| self.code_err(e))?;
            v
        } else {
            self.simple_exp()?
        };
        let mut op = binop_of(&self.tok);
        while let Some((bop, left, right)) = op {
            if left <= limit {
                break;
            }
            let line = self.tok_line;
            self.next()?;
            let nv = self.nvarstack();
            self.fs
                .infix(bop, &mut v, &self.vars, nv)
                .map_err(|e| self.code_err(e))?;
            let (mut v2, next_op) = self.subexpr(right)?;
            let nv = self.nvarstack();
            self.fs
                .posfix(bop, &mut v, &mut v2, line, &self.vars, nv)
                .map_err(|e| self.code_err(e))?;
            op = next_op;
        }
        self.leave_level();
        Ok((v, op))
    }
}
