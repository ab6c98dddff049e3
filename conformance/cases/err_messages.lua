-- Runtime error messages with positions and variable names.
local function msg(src)
  local f = assert(load(src, "=m"))
  local ok, e = pcall(f)
  assert(not ok)
  return e
end
assert(msg("local x; x.y = 1") == "m:1: attempt to index a nil value (local 'x')")
assert(msg("return undefinedglobal.x") == "m:1: attempt to index a nil value (global 'undefinedglobal')")
assert(msg("local t = {}; return t.a.b") == "m:1: attempt to index a nil value (field 'a')")
assert(msg("nofunc()") == "m:1: attempt to call a nil value (global 'nofunc')")
assert(msg("local t = {}; t.m()") == "m:1: attempt to call a nil value (field 'm')")
assert(msg("local t = {}; t:m()") == "m:1: attempt to call a nil value (method 'm')")
assert(msg("return 1 + {}") == "m:1: attempt to perform arithmetic on a table value")
assert(msg("local s = {}; return s + 1") ==
  "m:1: attempt to perform arithmetic on a table value (local 's')")
assert(msg("return #5") == "m:1: attempt to get length of a number value")
assert(msg("return {} < 1") == "m:1: attempt to compare table with number")
assert(msg("local z = 0; return 1 % z") == "m:1: attempt to perform 'n%0'")
assert(msg("return 1 .. {}") == "m:1: attempt to concatenate a table value")
assert(msg("return 2^63 | 0") == "m:1: number has no integer representation")
assert(msg("return '1.5' | 0") ==
  "m:1: attempt to perform bitwise operation on a string value (constant '1.5')")
assert(msg("\n\nerror('third')") == "m:3: third")
assert(msg("for i = 1, 10, 0 do end") == "m:1: 'for' step is zero")
assert(msg("for i = 'a', 2 do end"):find("^m:1: .*'for' initial value"))
-- syntax errors
local function serr(src) return select(2, load(src, "=s")) end
assert(serr("x = ") == "s:1: unexpected symbol near <eof>")
assert(serr("x = = 1") == "s:1: unexpected symbol near '='")
assert(serr("local 1") == "s:1: <name> expected near '1'")
assert(serr("if x then") == "s:1: 'end' expected near <eof>")
assert(serr("f(\n\n") == "s:3: unexpected symbol near <eof>")
assert(serr("x = 'abc") == "s:1: unfinished string near <eof>")
assert(serr("x = 'abc\ny = 1") == "s:1: unfinished string near ''abc'")
assert(serr("break"):find("^s:1: break outside"))
assert(serr("goto nowhere"):find("^s:1: no visible label 'nowhere' for <goto>"))
