_home.player = { name = "ada", stats = { hp = 3, mp = { 1, 2, 3 } } }
_home.player.stats.hp = 4            -- a live proxy: persists without re-assigning
local stats = _home.player.stats
stats.level = 7
assert(rawequal(_home.player, _home.player))
assert(rawequal(_home.player.stats, stats))
local list = _home.player.stats.mp
list[#list + 1] = 4
assert(#list == 4)
