local s = { v = 1 }
_home.x = { p = s, q = s, list = { s, s } }
assert(rawequal(_home.x.p, _home.x.q))
