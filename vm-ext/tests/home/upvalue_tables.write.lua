-- A stored closure's upvalue holds a plain table: its contents are saved at
-- every flush, and after a reload the closure sees a persistent table.
local list = {}
_home.push = function(x) list[#list + 1] = x end
_home.count = function() return #list end
_home.push("a")
_home.push("b")
assert(_home.count() == 2)
local later = 1
_home.setLater = function(v) later = v end
_home.getLater = function() return later end
_home.setLater({ deep = { 1, 2 } })
