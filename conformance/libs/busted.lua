-- A small busted-compatible test runner, written for luahome's library suites
-- (conformance/libs/). It runs spec files written for busted
-- (https://lunarmodules.github.io/busted/) under any Lua 5.4:
--
--   cd conformance/libs/middleclass && lua5.4 ../busted.lua spec/*_spec.lua
--
-- Supported: describe/context, it/test/spec, pending, before_each/after_each,
-- setup/teardown (and lazy_/strict_ forms), finally, and luassert-style
-- assertions with modifiers (`assert.are.same`, `assert.is_not.equal`,
-- `assert.has_no.errors`, `assert.not_table`, ...): same, equal(s), unique,
-- true, false, nil, truthy, falsy, near, error(s), error_matches, matches,
-- and the type checks (boolean, number, string, table, function, userdata,
-- thread). `assert(v, msg)` works as Lua's assert. No spies or mocks: no
-- suite here needs them. The shim calls string functions directly, never as
-- methods, so it also runs on cores without the string metatable.
--
-- Output: one line per test, `ok NAME` or `FAIL NAME` (the failure message on
-- the following indented lines), `pending NAME` for pending tests, then the
-- summary `N passed, M failed` (plus `, K pending`). NAME is the names of the
-- enclosing describe blocks and the test, joined by spaces, as busted prints
-- them; a repeated name gets ` #2`, ` #3`, ... The exit status is 1 when a
-- test failed. `require('busted')` from a spec returns this module.

local M = {}

local real_assert, real_error, real_type = assert, error, type
local pcall, xpcall, tostring, select = pcall, xpcall, tostring, select
local getmetatable, rawequal, pairs = getmetatable, rawequal, pairs
local fmt, concat = string.format, table.concat

-- The tree of blocks being collected; a block has `name`, `parent`,
-- `children` (tests and blocks in order), hooks and one-time setups.
local function new_block(name, parent)
  return {
    kind = "block", name = name, parent = parent, children = {},
    before_each = {}, after_each = {}, setup = {}, teardown = {},
  }
end

local root = new_block(nil, nil)
local current = root
local running_finally = nil -- the `finally` list of the test being run

local function full_name(block, name)
  local parts = {}
  local b = block
  while b do
    if b.name then table.insert(parts, 1, b.name) end
    b = b.parent
  end
  parts[#parts + 1] = name
  return concat(parts, " ")
end

-- Failures are raised as tables so that their message is kept apart from the
-- position Lua would add to a string.
local Failure = {}
Failure.__index = Failure
Failure.__tostring = function(f) return f.message end

local function fail(message)
  real_error(setmetatable({ message = message }, Failure), 0)
end

local function show(v)
  if real_type(v) == "string" then return fmt("%q", v) end
  return tostring(v)
end

---------------------------------------------------------------------------
-- assertions

local function deepequal(a, b, seen)
  if rawequal(a, b) then return true end
  if real_type(a) ~= real_type(b) then return false end
  if real_type(a) ~= "table" then return a == b end
  local mt = getmetatable(a)
  if mt and mt.__eq then return a == b end
  seen = seen or {}
  if seen[a] == b then return true end
  seen[a] = b
  for k, v in pairs(a) do
    if not deepequal(v, b[k], seen) then return false end
  end
  for k, v in pairs(b) do
    if not deepequal(a[k], v, seen) then return false end
  end
  return true
end

-- luassert compares error messages without the "chunk:line: " prefix.
local function strip_position(e)
  if real_type(e) == "string" then
    return (string.gsub(e, "^.-:%d+: ", "", 1))
  end
  return e
end

local function error_of(fn, ...)
  if real_type(fn) ~= "function" and not (getmetatable(fn) or {}).__call then
    fail("expected a function to call, got " .. real_type(fn))
  end
  local ok, e = pcall(fn, ...)
  if ok then return false, nil end
  if getmetatable(e) == Failure then e = e.message end
  return true, e
end

-- Each checker returns (passed, description of what was expected).
local checks = {}

function checks.same(expected, actual)
  return deepequal(expected, actual),
    fmt("the same values: expected %s, got %s", show(expected), show(actual))
end

function checks.equal(expected, actual)
  return expected == actual,
    fmt("equal values: expected %s, got %s", show(expected), show(actual))
end

function checks.unique(list, deep)
  for i, a in pairs(list) do
    for j, b in pairs(list) do
      if i ~= j and (deep and deepequal(a, b) or rawequal(a, b)) then
        return false, "unique values"
      end
    end
  end
  return true, "unique values"
end

checks["true"] = function(v) return v == true, "true, got " .. show(v) end
checks["false"] = function(v) return v == false, "false, got " .. show(v) end
checks["nil"] = function(v) return v == nil, "nil, got " .. show(v) end
function checks.truthy(v) return v ~= nil and v ~= false, "a truthy value, got " .. show(v) end
function checks.falsy(v) return v == nil or v == false, "a falsy value, got " .. show(v) end

function checks.near(expected, actual, tolerance)
  real_assert(tolerance ~= nil, "assert.near needs a tolerance")
  return actual >= expected - tolerance and actual <= expected + tolerance,
    fmt("%s to be within %s of %s", show(actual), show(tolerance), show(expected))
end

function checks.error(fn, expected, ...)
  local raised, e = error_of(fn, ...)
  if not raised then return false, "an error" end
  if expected == nil then return true, "an error" end
  local got = strip_position(e)
  return deepequal(expected, got) or deepequal(expected, e),
    fmt("the error %s, got %s", show(expected), show(e))
end

function checks.error_matches(fn, pattern, init, plain, ...)
  local raised, e = error_of(fn, ...)
  if not raised then return false, "an error matching " .. show(pattern) end
  if real_type(e) ~= "string" then
    return false, "an error matching " .. show(pattern) .. ", got " .. show(e)
  end
  return string.find(e, pattern, init, plain) ~= nil,
    fmt("an error matching %s, got %s", show(pattern), show(e))
end

function checks.matches(pattern, s, init, plain)
  return real_type(s) == "string" and string.find(s, pattern, init, plain) ~= nil,
    fmt("%s to match %s", show(s), show(pattern))
end

for _, t in pairs({ "boolean", "number", "string", "table", "function", "userdata", "thread" }) do
  checks[t] = function(v) return real_type(v) == t, "a " .. t .. ", got " .. real_type(v) end
end

local aliases = {
  equals = "equal", errors = "error", error_match = "error_matches",
  matches_error = "error_matches", match_error = "error_matches", match = "matches",
}

-- Words that only make assertions read well, and the ones that negate.
local filler = { is = true, are = true, was = true, has = true, have = true,
  does = true, be = true, to = true }
local negation = { ["not"] = true, no = true }

local Assert = {}

local function proxy(negated, words)
  return setmetatable({ negated = negated, words = words }, Assert)
end

Assert.__index = function(self, key)
  local negated = rawget(self, "negated")
  local words = {}
  for i, w in ipairs(rawget(self, "words")) do words[i] = w end
  for w in string.gmatch(tostring(key), "[^_]+") do
    if negation[w] then
      negated = not negated
    elseif not filler[w] then
      words[#words + 1] = w
    end
  end
  return proxy(negated, words)
end

Assert.__call = function(self, ...)
  local words = rawget(self, "words")
  if #words == 0 then
    -- assert(v, message, ...) as Lua's, but failing the test.
    local v, message = ...
    if not v then fail(message ~= nil and tostring(message) or "assertion failed!") end
    return ...
  end
  local name = concat(words, "_")
  name = aliases[name] or name
  local check = checks[name]
  if not check then fail("unknown assertion assert." .. name) end
  local ok, what = check(...)
  local negated = rawget(self, "negated")
  if (ok and not negated) or (not ok and negated) then return ... end
  local args = select("#", ...)
  local message = args > 0 and select(args, ...) or nil
  local prefix = negated and "expected not " or "expected "
  fail(prefix .. what .. (real_type(message) == "string" and ("\n" .. message) or ""))
end

M.assert = proxy(false, {})

---------------------------------------------------------------------------
-- collection

local function add(kind, name, fn)
  current.children[#current.children + 1] = { kind = kind, name = name, fn = fn }
end

function M.describe(name, fn)
  local block = new_block(tostring(name), current)
  current.children[#current.children + 1] = block
  local outer = current
  current = block
  local ok, e = xpcall(fn, function(err) return err end)
  current = outer
  if not ok then
    block.children[#block.children + 1] = {
      kind = "broken", name = "(describe body)", message = tostring(e),
    }
  end
end

function M.it(name, fn)
  if fn == nil then
    add("pending", tostring(name))
  else
    add("test", tostring(name), fn)
  end
end

function M.pending(name)
  add("pending", tostring(name))
end

function M.before_each(fn) local h = current.before_each; h[#h + 1] = fn end
function M.after_each(fn) local h = current.after_each; h[#h + 1] = fn end
function M.setup(fn) local h = current.setup; h[#h + 1] = fn end
function M.teardown(fn) local h = current.teardown; h[#h + 1] = fn end

function M.finally(fn)
  real_assert(running_finally, "finally() outside a test")
  running_finally[#running_finally + 1] = fn
end

M.context = M.describe
M.test = M.it
M.spec = M.it
M.lazy_setup, M.strict_setup = M.setup, M.setup
M.lazy_teardown, M.strict_teardown = M.teardown, M.teardown

---------------------------------------------------------------------------
-- running

local results = { passed = 0, failed = 0, pending = 0 }
local seen_names = {}

local function unique_name(name)
  local n = (seen_names[name] or 0) + 1
  seen_names[name] = n
  if n > 1 then return name .. " #" .. n end
  return name
end

local function message_of(e)
  if getmetatable(e) == Failure then return e.message end
  return tostring(e)
end

local function report(ok, name, message)
  name = unique_name(name)
  if ok then
    results.passed = results.passed + 1
    print("ok " .. name)
  else
    results.failed = results.failed + 1
    print("FAIL " .. name)
    for line in string.gmatch(tostring(message) .. "\n", "(.-)\n") do
      print("    " .. line)
    end
  end
end

local function chain(block)
  local list = {}
  while block do
    table.insert(list, 1, block)
    block = block.parent
  end
  return list
end

local function run_test(block, test)
  local name = full_name(block, test.name)
  local blocks = chain(block)
  running_finally = {}
  local ok, e = true, nil
  for _, b in ipairs(blocks) do
    for _, h in ipairs(b.before_each) do
      if ok then ok, e = xpcall(h, function(err) return err end) end
    end
  end
  if ok then ok, e = xpcall(test.fn, function(err) return err end) end
  for i = #blocks, 1, -1 do
    for _, h in ipairs(blocks[i].after_each) do
      local ok2, e2 = xpcall(h, function(err) return err end)
      if ok and not ok2 then ok, e = ok2, e2 end
    end
  end
  for _, f in ipairs(running_finally) do
    local ok2, e2 = xpcall(f, function(err) return err end)
    if ok and not ok2 then ok, e = ok2, e2 end
  end
  running_finally = nil
  report(ok, name, ok or message_of(e))
end

local function run_block(block)
  for _, s in ipairs(block.setup) do
    local ok, e = xpcall(s, function(err) return err end)
    if not ok then
      report(false, full_name(block, "(setup)"), message_of(e))
      return
    end
  end
  for _, child in ipairs(block.children) do
    if child.kind == "block" then
      run_block(child)
    elseif child.kind == "test" then
      run_test(block, child)
    elseif child.kind == "pending" then
      results.pending = results.pending + 1
      print("pending " .. unique_name(full_name(block, child.name)))
    elseif child.kind == "broken" then
      report(false, full_name(block, child.name), child.message)
    end
  end
  for _, t in ipairs(block.teardown) do
    local ok, e = xpcall(t, function(err) return err end)
    if not ok then report(false, full_name(block, "(teardown)"), message_of(e)) end
  end
end

-- Loads one spec file (collecting its blocks) and runs what it declared.
function M.run_file(path)
  local chunk, e = loadfile(path)
  if not chunk then
    report(false, path .. " (load)", e)
    return
  end
  local file_block = new_block(nil, root)
  root.children[#root.children + 1] = file_block
  local outer = current
  current = file_block
  local ok, err = xpcall(chunk, function(x) return x end)
  current = outer
  if not ok then
    report(false, path .. " (file body)", message_of(err))
  end
  run_block(file_block)
end

function M.summary()
  local s = fmt("%d passed, %d failed", results.passed, results.failed)
  if results.pending > 0 then s = s .. fmt(", %d pending", results.pending) end
  print(s)
  return results.failed == 0
end

function M.expose_globals()
  for _, k in ipairs({ "describe", "context", "it", "test", "spec", "pending",
    "before_each", "after_each", "setup", "teardown", "lazy_setup",
    "strict_setup", "lazy_teardown", "strict_teardown", "finally" }) do
    _G[k] = M[k]
  end
  _G.assert = M.assert
end

package.loaded.busted = M

-- Run as a script: `lua busted.lua SPEC...`.
if arg and arg[0] and select("#", ...) > 0 and real_type((...)) == "string"
  and arg[1] == ... then
  package.path = "./?.lua;./?/init.lua;" .. package.path
  M.expose_globals()
  for i = 1, #arg do M.run_file(arg[i]) end
  if not M.summary() then os.exit(1) end
end

return M
