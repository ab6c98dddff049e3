_home.x = { a = { b = { c = 1 } } }
_home.keep = { 1, 2, 3 }
_home.x = nil
