-- Strings longer than the CBOR decoder's scratch buffer must round-trip.
_home.big = string.rep("0123456789abcdef", 6400)
local block = string.rep("\0\255x", 5000)
_home.nested = { block = block, fn = function() return #block end }
