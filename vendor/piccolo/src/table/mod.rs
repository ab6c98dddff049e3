mod raw;
mod table;

pub use self::{
    raw::{note_string_key_write, string_key_writes, InvalidTableKey, NextValue, RawTable},
    table::{Table, TableInner, TableState},
};
