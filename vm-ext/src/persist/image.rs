//! [`FunctionImage`]: an engine-neutral, plain-data picture of a compiled Lua
//! function. The store and the codec only know this type; turning an image
//! into a closure (and back) is per interpreter core (see
//! [`super::piccolo_image`]).

use serde::{Deserialize, Serialize};

use super::codec::ByteBuf;

/// A constant in a function's constant table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ImageConstant {
    /// `nil`.
    Nil,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A byte string.
    Str(ByteBuf),
}

/// Where a nested function's upvalue comes from when its closure is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageUpvalue {
    /// The environment (`_ENV`) of a top-level chunk.
    Env,
    /// A local (register) of the enclosing function.
    ParentLocal(u8),
    /// An upvalue of the enclosing function.
    Outer(u8),
}

/// One function prototype with its nested prototypes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionImage {
    /// Which core's instruction encoding `code` uses (`"piccolo-0.3"`).
    pub core: String,
    /// The chunk the function was compiled from.
    pub chunk_name: ByteBuf,
    /// The function's name when it was defined as `function name()`.
    pub name: Option<ByteBuf>,
    /// The (1-based) line where the function was defined; 0 for a chunk.
    pub line_defined: u64,
    /// Number of fixed parameters.
    pub params: u8,
    /// Whether the function takes `...`.
    pub varargs: bool,
    /// Number of registers the function uses.
    pub stack_size: u16,
    /// The constant table.
    pub constants: Vec<ImageConstant>,
    /// The instructions, in the core's encoding.
    pub code: ByteBuf,
    /// Number of instructions in `code`.
    pub code_len: u32,
    /// `(instruction index, 0-based line)` pairs, ascending by index.
    pub lines: Vec<(u64, u64)>,
    /// Upvalue descriptors.
    pub upvalues: Vec<ImageUpvalue>,
    /// Nested prototypes (`Closure` instructions refer to them by index).
    pub protos: Vec<FunctionImage>,
}

impl FunctionImage {
    /// Total number of prototypes in this tree.
    pub fn count(&self) -> usize {
        1 + self.protos.iter().map(FunctionImage::count).sum::<usize>()
    }

    /// Drops the debug information of the whole tree, as `string.dump(f,
    /// true)` may: the chunk name becomes `?`, function names go, and every
    /// instruction is attributed to the definition's first line.
    pub fn strip_debug(&mut self) {
        self.chunk_name = ByteBuf(b"?".to_vec());
        self.name = None;
        self.lines = vec![(0, self.line_defined.saturating_sub(1))];
        for p in &mut self.protos {
            p.strip_debug();
        }
    }
}
