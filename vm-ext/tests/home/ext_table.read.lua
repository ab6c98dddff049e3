assert(_home.later.v == 5)
