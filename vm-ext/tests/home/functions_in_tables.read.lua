assert(_home.obj:greet() == "hi box")
assert(_home.obj.nested.twice(21) == 42)
_home.obj.name = "crate"
assert(_home.obj:greet() == "hi crate")
