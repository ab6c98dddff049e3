-- The portable subset of os and io that a browser runtime can offer.
assert(type(os.time()) == "number" and math.type(os.time()) == "integer")
assert(os.time({year = 2000, month = 1, day = 1, hour = 12}) -
       os.time({year = 2000, month = 1, day = 1, hour = 0}) == 12 * 3600)
local t = os.time({year = 2024, month = 3, day = 1, hour = 12, min = 30, sec = 15})
assert(os.date("!%Y-%m-%d", 0) == "1970-01-01")
assert(os.date("!%H:%M:%S", 3661) == "01:01:01")
local d = os.date("*t", t)
assert(d.year == 2024 and d.month == 3 and d.day == 1 and d.hour == 12 and d.min == 30 and d.sec == 15)
assert(d.wday == 6 and d.yday == 61 and type(d.isdst) == "boolean")
local u = os.date("!*t", 86400 * 366)
assert(u.year == 1971 and u.month == 1 and u.day == 2)
-- normalisation of out-of-range fields
local n = os.date("*t", os.time({year = 2023, month = 14, day = 1, hour = 12}))
assert(n.year == 2024 and n.month == 2)
assert(os.date("!%A %B %j", 0) == "Thursday January 001")
assert(os.date("!%%") == "%")
local ok, e = pcall(os.date, "%Ez", 0)
assert(not ok and e:find("invalid conversion specifier '%Ez'", 1, true))
-- clock and difftime
local c = os.clock()
assert(type(c) == "number" and c >= 0)
assert(os.difftime(t + 10, t) == 10.0 and math.type(os.difftime(t, t)) == "float")
assert(type(os.getenv("HOME") or "") == "string" and os.getenv("LUAHOME_SURELY_UNSET_VAR") == nil)
-- io.write returns the file and accepts numbers
assert(io.write("") == io.stdout)
assert(io.write(1, " ", 2.5, "\n") == io.stdout)
assert(type(io.stdout) == "userdata" and io.type(io.stdout) == "file" and io.type(42) == nil)
