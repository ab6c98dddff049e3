#!/usr/bin/env bash
# Runs every idiom of bench/idioms.lua on PUC Lua 5.4.8 and the luahome CLI,
# interleaved, best of RUNS each, and prints a Markdown table of the times
# and their ratio with the geometric mean. Not part of the tests.
# Usage: scripts/bench-idioms.sh [N [RUNS]]   (N = 1000000, RUNS = 3)
# Needs target/bench/lua-5.4.8/lua (scripts/bench.sh builds it; LUA548 to
# use another) and target/release/luahome (cargo build --release -p luahome;
# LUAHOME to use another).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
runs="${2:-3}"
puc="${LUA548:-target/bench/lua-5.4.8/lua}"
lh="${LUAHOME:-target/release/luahome}"
for exe in "$puc" "$lh"; do
  if [ ! -x "$exe" ]; then
    echo "bench-idioms: $exe not found (see the header of this script)" >&2
    exit 2
  fi
done
idioms=$(grep -o 'which == "[a-z_]*"' bench/idioms.lua | cut -d'"' -f2)
best() { # best time of $runs runs of engine $1 on idiom $2, and its checksum
  local t sum bestt=""
  for _ in $(seq "$runs"); do
    read -r _ t sum < <("$1" bench/idioms.lua "$2" "$n")
    if [ -z "$bestt" ] || awk -v a="$t" -v b="$bestt" 'BEGIN{exit !(a<b)}'; then bestt=$t; fi
  done
  echo "$bestt $sum"
}
echo "| idiom (n = $n) | PUC Lua 5.4.8 s | luahome s | ratio |"
echo "|---|---:|---:|---:|"
logsum=0
count=0
for idiom in $idioms; do
  read -r tp sp < <(best "$puc" "$idiom")
  read -r tl sl < <(best "$lh" "$idiom")
  if [ "$sp" != "$sl" ]; then
    echo "bench-idioms: $idiom: checksums differ ($sp against $sl)" >&2
    exit 1
  fi
  ratio=$(awk -v a="$tl" -v b="$tp" 'BEGIN{ if (b < 0.001) b = 0.001; if (a < 0.001) a = 0.001; printf "%.2f", a / b }')
  logsum=$(awk -v s="$logsum" -v r="$ratio" 'BEGIN{ printf "%.6f", s + log(r) }')
  count=$((count + 1))
  echo "| $idiom | $tp | $tl | $ratio |"
done
awk -v s="$logsum" -v c="$count" 'BEGIN{ printf "\ngeometric mean of the ratios over %d idioms: %.2f\n", c, exp(s / c) }'
