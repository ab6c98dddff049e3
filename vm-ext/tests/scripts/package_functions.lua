-- require and package. Runs under lua5.4 too.
local function has(s, sub)
  for i = 1, #s - #sub + 1 do
    if string.sub(s, i, i + #sub - 1) == sub then return true end
  end
  return false
end

assert(package.loaded._G == _G and package.loaded.table == table and package.loaded.math == math)
assert(package.loaded.string == string and package.loaded.package == package)
assert(require("table") == table and require("_G") == _G)
assert(package.config == "/\n;\n?\n!\n-\n")
assert(type(package.path) == "string" and type(package.searchers) == "table")
assert(type(package.preload) == "table")

package.preload.mymod = function(name, data)
  return {name = name, data = data}
end
local m, data = require("mymod")
assert(m.name == "mymod" and m.data == ":preload:" and data == ":preload:")
assert(require("mymod") == m and package.loaded.mymod == m)

package.preload.noresult = function() end
assert(require("noresult") == true and package.loaded.noresult == true)

local ok, err = pcall(require, "surely_missing_module_xyz")
assert(not ok and has(err, "module 'surely_missing_module_xyz' not found:"))
assert(has(err, "no field package.preload['surely_missing_module_xyz']"))

local p, msg = package.searchpath("a.b", "/nonexistent/x/?.lua;/nonexistent/y/?.lua")
assert(p == nil and msg == "no file '/nonexistent/x/a/b.lua'\n\tno file '/nonexistent/y/a/b.lua'")
local p2, msg2 = package.searchpath("a.b", "/nonexistent/?.lua", ".", "_")
assert(p2 == nil and msg2 == "no file '/nonexistent/a_b.lua'")

table.insert(package.searchers, 1, function(name)
  if name == "virtual" then
    return function(n, extra) return "loaded " .. n .. " " .. extra end, "extra"
  end
  return "no virtual module '" .. name .. "'"
end)
assert(require("virtual") == "loaded virtual extra")
local ok2, err2 = pcall(require, "another_missing_xyz")
assert(not ok2 and has(err2, "no virtual module 'another_missing_xyz'"))
table.remove(package.searchers, 1)

package.preload.failing = function() error("load failed") end
local ok3, err3 = pcall(require, "failing")
assert(not ok3 and has(err3, "load failed") and package.loaded.failing == nil)
