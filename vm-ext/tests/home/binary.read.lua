assert(_home.bin == "\0\1\2\255abc\0")
assert(#_home.bin == 8)
assert(_home["\255\0key"] == "binary key")
assert(_home.empty == "")
