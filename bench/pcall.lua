-- pcall-heavy code: protected calls that succeed, errors with string and table
-- values, nested pcall, error() rethrown, xpcall with a handler.
local n = tonumber(arg and arg[1]) or 800000

local function ok_fn(x) return x + 1 end
local function fail_str(x) error("bad " .. x, 0) end
local function fail_tbl(x) error({ code = x }) end
local function nested(x)
  local ok, e = pcall(fail_tbl, x)
  if not ok then error(e.code * 2, 0) end
end
local function handler(e) return "handled:" .. tostring(e) end

local total, errors = 0, 0
for i = 1, n do
  local ok, v = pcall(ok_fn, i)
  if ok then total = total + v end
  local ok2, e2 = pcall(fail_str, i % 100)
  if not ok2 then errors = errors + 1; total = total + #e2 end
  if i % 2 == 0 then
    local ok3, e3 = pcall(nested, i % 1000)
    if not ok3 then total = total + e3 end
  end
  if i % 4 == 0 then
    local ok4, e4 = xpcall(fail_str, handler, i % 10)
    if not ok4 then total = total + #e4 end
  end
  total = total % 1000000007
end
print("checksum " .. total .. " " .. errors)
