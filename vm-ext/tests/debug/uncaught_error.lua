local function lvl3() error("boom") end
local function lvl2() lvl3() end
function lvl1() lvl2() end
lvl1()
