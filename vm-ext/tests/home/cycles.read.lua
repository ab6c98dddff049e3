local a = _home.a
assert(rawequal(a.self, a))
assert(rawequal(a.other.other, a))
assert(a.other.name == "b")
assert(rawequal(_home.home, _home))
