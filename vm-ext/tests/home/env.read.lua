greeting = "second run"
assert(_home.greet() == "second run")
