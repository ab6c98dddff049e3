assert(rawequal(_home, Memory))
Memory.via_alias = 1
_home.via_home = 2
