_home.i = 42
_home.f = 2.5
_home.s = "hello"
_home.yes = true
_home.no = false
_home[1] = "one"
_home[2.0] = "two"        -- normalised to the integer key 2
_home[2.5] = "two and a half"
_home[true] = "bool key"
_home.neg = -7
_home.maxi = math.maxinteger
_home.mini = math.mininteger
_home.inf = math.huge
_home.whole = 3.0
_home.gone = 1
_home.gone = nil
assert(_home.i == 42)
assert(_home[2] == "two")
assert(not pcall(function() _home[nil] = 1 end))
assert(not pcall(function() _home[0/0] = 1 end))
