_home.up = string.upper
_home.p = print
_home.t = { floor = math.floor, unpack = table.unpack }
assert(rawequal(_home.up, string.upper))
