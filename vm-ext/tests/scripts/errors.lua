-- error() adds chunk:line at level 1 and leaves other values alone.
local ok, err = pcall(function() error("boom") end)
assert(not ok and err == "errors.lua:2: boom", err)
ok, err = pcall(function() error("plain", 0) end)
assert(not ok and err == "plain")
ok, err = pcall(function() error({code = 7}) end)
assert(not ok and type(err) == "table" and err.code == 7)
ok, err = pcall(error, "direct")
assert(not ok and err == "direct")
