_home.up = string.upper
_home.fmt = string.format
_home.p = print
_home.t = { floor = math.floor, unpack = table.unpack, insert = table.insert }
assert(rawequal(_home.up, string.upper))
assert(rawequal(_home.fmt, string.format))
