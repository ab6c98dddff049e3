_home.bin = "\0\1\2\255abc\0"
_home["\255\0key"] = "binary key"
_home.empty = ""
