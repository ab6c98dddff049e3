_home.greet = function() return greeting end
greeting = "first run"
assert(_home.greet() == "first run")
