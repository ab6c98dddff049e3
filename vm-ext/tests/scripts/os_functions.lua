-- os library: dates (UTC with '!'), time normalisation, errors. Runs under lua5.4 too.
local function has(s, sub)
  for i = 1, #s - #sub + 1 do
    if string.sub(s, i, i + #sub - 1) == sub then return true end
  end
  return false
end
local function checkerr(sub, f, ...)
  local ok, m = pcall(f, ...)
  assert(not ok, "expected an error: " .. sub)
  assert(type(m) == "string" and has(m, sub), m)
end

assert(os.date("!%c", 0) == "Thu Jan  1 00:00:00 1970")
assert(os.date("!%x %X %p %z", 86400 * 365 + 3600 * 15) == "01/01/71 15:00:00 PM +0000")
assert(os.date("!%Y-%m-%d %H:%M:%S", 1700000000) == "2023-11-14 22:13:20")
assert(os.date("!%a %A %b %B %d %e %j %u %w", 1700000000) == "Tue Tuesday Nov November 14 14 318 2 2")
assert(os.date("!%D %F %R %T %y %C %I %M %S %h", 1700000000) == "11/14/23 2023-11-14 22:13 22:13:20 23 20 10 13 20 Nov")
assert(os.date("!%G-W%V %g %U %W", 1609632000) == "2020-W53 20 01 00")  -- 2021-01-03
assert(os.date("!%%|%n|%t|%Ey|%Od", 0) == "%|\n|\t|70|01")
checkerr("invalid conversion specifier '%Ez'", os.date, "%Ez")
checkerr("invalid conversion specifier '%Q'", os.date, "%Q")

local d = os.date("!*t", 1000000000)
assert(d.year == 2001 and d.month == 9 and d.day == 9 and d.hour == 1 and d.min == 46
  and d.sec == 40 and d.wday == 1 and d.yday == 252 and d.isdst == false)

-- os.time with a table, read as local time (the host's zone; only
-- differences are checked, none across a change of offset)
local t0 = os.time({year = 2000, month = 1, day = 1, hour = 0})
local t1 = os.time({year = 2000, month = 1, day = 2, hour = 0})
assert(t1 - t0 == 86400 and math.type(t0) == "integer")
assert(os.time({year = 2000, month = 13, day = 1, hour = 0}) == os.time({year = 2001, month = 1, day = 1, hour = 0}))
assert(os.time({year = 2000, month = 1, day = 1}) - t0 == 12 * 3600)
local norm = {year = 2021, month = 2, day = 30, hour = 25}
os.time(norm)
assert(norm.year == 2021 and norm.month == 3 and norm.day == 3 and norm.hour == 1
  and norm.yday == 62 and norm.wday == 4 and norm.isdst == false)
checkerr("field 'day' missing in date table", os.time, {year = 2000, month = 1})
checkerr("field 'hour' is not an integer", os.time, {year = 2000, month = 1, day = 1, hour = "x"})
checkerr("field 'hour' is not an integer", os.time, {year = 2000, month = 1, day = 1, hour = 1.5})

assert(os.difftime(10, 4) == 6.0 and math.type(os.difftime(10, 4)) == "float")
assert(math.type(os.time()) == "integer" and type(os.clock()) == "number")
assert(os.getenv("LUAHOME_SURELY_UNSET_VARIABLE") == nil)
assert(os.setlocale() == "C" and os.setlocale("C") == "C")
