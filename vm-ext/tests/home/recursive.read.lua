assert(_home.fact(5) == 120)
assert(_home.even(10) == true)
assert(_home.even(7) == false)
