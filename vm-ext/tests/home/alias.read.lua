assert(rawequal(_home, Memory))
assert(_home.via_alias == 1)
assert(Memory.via_home == 2)
