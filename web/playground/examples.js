// The playground's examples: short, each showing something real.
export const EXAMPLES = [
  {
    id: 'visits',
    title: 'Visit counter (survives reload)',
    source: `-- _home is saved in this browser: run, reload the page, run again.
_home.visits = (_home.visits or 0) + 1
print("visits: " .. _home.visits)
`,
  },
  {
    id: 'closures',
    title: 'Closures sharing an upvalue',
    source: `-- Two closures share one upvalue; both are stored in _home.
-- After a reload they still share it and keep counting.
if not _home.counter then
  local n = 0
  _home.counter = {
    inc = function() n = n + 1; return n end,
    get = function() return n end,
  }
end
local c = _home.counter
c.inc()
c.inc()
print("count is " .. c.get() .. " (reload and run again: it goes on)")
`,
  },
  {
    id: 'nested',
    title: 'Nested table through its proxy',
    source: `-- Reading a stored table gives a live proxy: writes through it persist.
_home.player = _home.player or { name = "ada", stats = { hp = 10, level = 1 }, items = {} }
local p = _home.player
p.stats.level = p.stats.level + 1
p.stats.hp = p.stats.hp + 5
table.insert(p.items, "potion #" .. #p.items + 1)
print(p.name .. " is level " .. p.stats.level .. " with " .. p.stats.hp .. " hp")
print("items: " .. table.concat(p.items, ", "))
`,
  },
  {
    id: 'primes',
    title: 'Long computation with progress',
    source: `-- A long loop: the page stays responsive. Try Pause, Resume and Stop.
local limit = 60000
local count = 0
for n = 2, limit do
  local prime = true
  for d = 2, math.floor(math.sqrt(n)) do
    if n % d == 0 then prime = false break end
  end
  if prime then count = count + 1 end
  if n % 6000 == 0 then
    print(string.format("%3d%%  %d primes below %d", n * 100 // limit, count, n))
    _home.primes_progress = n
  end
end
print("done: " .. count .. " primes")
`,
  },
  {
    id: 'sleep-fetch',
    title: 'sleep and a JS function (fetch)',
    source: `-- sleep(seconds) waits without blocking the page;
-- fetch_text is a JS function this page registered (it fetches a file of the site).
print("waiting half a second...")
sleep(0.5)
local text = fetch_text("hello.txt")
print("hello.txt says: " .. text)
local ok, err = pcall(fetch_text, "https://example.com/")
print("a refused fetch is a Lua error:", ok, err)
`,
  },
  {
    id: 'memory',
    title: 'The Memory alias',
    source: `-- Memory is the same table as _home (the older system's name).
print(rawequal(Memory, _home))
Memory.greeting = "hello from Memory"
print(_home.greeting)
`,
  },
  {
    id: 'life',
    title: 'Game of life (animated)',
    source: `-- Conway's game of life, drawn into the output while it runs.
local w, h = 24, 10
local cells = {}
for y = 1, h do
  cells[y] = {}
  for x = 1, w do cells[y][x] = false end
end
-- a glider and a blinker
cells[1][2], cells[2][3], cells[3][1], cells[3][2], cells[3][3] = true, true, true, true, true
cells[6][15], cells[6][16], cells[6][17] = true, true, true

local function step()
  local next = {}
  for y = 1, h do
    next[y] = {}
    for x = 1, w do
      local n = 0
      for dy = -1, 1 do
        for dx = -1, 1 do
          if not (dx == 0 and dy == 0) then
            local row = cells[(y + dy - 1) % h + 1]
            if row[(x + dx - 1) % w + 1] then n = n + 1 end
          end
        end
      end
      next[y][x] = n == 3 or (n == 2 and cells[y][x])
    end
  end
  cells = next
end

for gen = 1, 12 do
  local lines = { "generation " .. gen }
  for y = 1, h do
    local row = {}
    for x = 1, w do row[x] = cells[y][x] and "#" or "." end
    lines[#lines + 1] = table.concat(row)
  end
  print(table.concat(lines, "\\n"))
  step()
  sleep(0.05)
end
`,
  },
];
