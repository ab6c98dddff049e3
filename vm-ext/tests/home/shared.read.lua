local x = _home.x
assert(rawequal(x.p, x.q))
assert(rawequal(x.list[1], x.p) and rawequal(x.list[2], x.p))
x.p.v = 2
assert(x.q.v == 2)
