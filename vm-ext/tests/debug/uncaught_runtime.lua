local obj = {}
function obj:method(cfg)
  return cfg.missing.field
end
local ok = pcall(error, "caught first")
local t = {}
t.run = function() return obj:method({}) end
t.run()
