_home.obj = {
  name = "box",
  greet = function(self) return "hi " .. self.name end,
  nested = { twice = function(x) return x * 2 end },
}
assert(_home.obj:greet() == "hi box")
