-- Runs a library's plain test script (one that is not a busted spec) and
-- reports its results in the shim's format (conformance/libs/busted.lua):
-- one `ok NAME` / `FAIL NAME` line per test, then `N passed, M failed`.
--
--   lua5.4 ../../script.lua [--asserts] SCRIPT [ARGS...]
--
-- The script runs unchanged. Its own result lines are translated:
--   `[pass] NAME` / `[fail] NAME : MESSAGE`     (json.lua's test/test.lua)
--   `[PASS] FILE:LINE: CODE` / `[FAIL] ...`     (lume's test/util/tester.lua,
--                                                colour codes removed)
-- Other output passes through indented by four spaces, so it cannot be taken
-- for a result line. With `--asserts` (for scripts that are a sequence of
-- asserts, like serpent's t/test.lua) every call of the global `assert` is a
-- test named `assert #N (line L)` (its message, which may name a key met in
-- `pairs` order, is printed on the next line); a failing assert still raises its
-- error, as Lua's does, so the script stops there as it would unchanged. In
-- this mode `print` is left alone (serpent serialises the global `print` by
-- name only while it is the C function), so the script's own output passes
-- through as it is. An
-- error that ends the script is reported as a failed test `(script error)`.

local args = { ... }
local count_asserts = false
if args[1] == "--asserts" then
  count_asserts = true
  table.remove(args, 1)
end
local path = table.remove(args, 1)
if not path then
  io.stderr:write("usage: script.lua [--asserts] SCRIPT [ARGS...]\n")
  os.exit(2)
end

local real_print, real_assert, tostring, select = print, assert, tostring, select
local passed, failed = 0, 0

local function result(ok, name, message)
  name = string.gsub(name, "%s+", " ")
  if ok then
    passed = passed + 1
    real_print("ok " .. name)
    if message then real_print("    " .. message) end
  else
    failed = failed + 1
    real_print("FAIL " .. name)
    if message and message ~= "" then real_print("    " .. message) end
  end
end

local function translate(line)
  line = string.gsub(line, "\27%[[%d;]*m", "")
  local verdict, name = string.match(line, "^%[(%a+)%] (.*)$")
  if verdict == "pass" or verdict == "PASS" then
    result(true, name)
    return
  elseif verdict == "fail" then
    local n, message = string.match(name, "^(.-) : (.*)$")
    result(false, n or name, message)
    return
  elseif verdict == "FAIL" then
    result(false, name)
    return
  end
  real_print("    " .. line)
end

if not count_asserts then
  function print(...)
    local parts = {}
    for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
    local text = table.concat(parts, "\t")
    for line in string.gmatch(text .. "\n", "(.-)\n") do translate(line) end
  end
else
  local n = 0
  function assert(v, message, ...)
    n = n + 1
    local info = debug.getinfo(2, "l")
    local name = string.format("assert #%d (line %s)", n, info and info.currentline or "?")
    result(v and true or false, name, message ~= nil and tostring(message) or nil)
    return real_assert(v, message, ...)
  end
end

arg = { [0] = path }
for i, a in ipairs(args) do arg[i] = a end

local chunk, err = loadfile(path)
if not chunk then
  result(false, "(script load)", err)
else
  local ok, e = xpcall(chunk, function(x) return tostring(x) end, table.unpack(args))
  if not ok then result(false, "(script error)", e) end
end

real_print(string.format("%d passed, %d failed", passed, failed))
if failed > 0 then os.exit(1) end
