local a = { name = "a" }
local b = { name = "b", other = a }
a.other = b
a.self = a
_home.a = a
_home.home = _home
