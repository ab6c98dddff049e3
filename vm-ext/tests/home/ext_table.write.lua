local t = ext.table()
assert(type(t) == "userdata")
t.v = 5
_home.later = t
assert(rawequal(_home.later, t))
