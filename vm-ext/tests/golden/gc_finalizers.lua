-- __gc finalizers: run once an object is unreachable, newest first, with
-- the object as argument; an error in one does not stop the others; the
-- object (and what it refers to) stays usable inside its finalizer.
local log = {}
for i = 1, 3 do
  setmetatable({i = i}, {__gc = function(o) log[#log + 1] = o.i end})
end
collectgarbage()
print(table.concat(log, " "))

-- A finalizer runs during an allocation loop, without collectgarbage.
local done = false
setmetatable({}, {__gc = function() done = true end})
local n = 0
repeat n = n + 1; local t = {n} until done
print("ran during allocation", done)

-- Reachable objects are not finalized; __gc added later does not count.
local kept = setmetatable({name = "kept"}, {__gc = function(o) print("finalized", o.name) end})
local late = setmetatable({}, {})
getmetatable(late).__gc = function() print("never") end
late = nil
collectgarbage()
print("alive", kept.name)
kept = nil
collectgarbage()

-- Errors in finalizers become warnings; the next finalizer still runs.
local after = false
setmetatable({}, {__gc = function() after = true end})
setmetatable({}, {__gc = function() error("in finalizer") end})
collectgarbage()
print("after an error", after)

-- A finalizer may resurrect its object; it is not finalized twice.
local saved
local count = 0
setmetatable({v = 42}, {__gc = function(o) count = count + 1; saved = o end})
collectgarbage()
print("resurrected", saved.v, count)
saved = nil
collectgarbage()
collectgarbage()
print("finalized once", count)
