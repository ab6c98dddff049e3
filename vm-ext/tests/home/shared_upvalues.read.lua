assert(_home.get() == 15)
_home.bump(1)
assert(_home.get() == 16)
