#!/usr/bin/env bash
# Runs every case of conformance/cases/ under reference Lua 5.4 (with the same
# globals the conformance runner sets), so the cases themselves are known to be
# right. Fails if any case fails. Usage: scripts/check-corpus.sh [LUA]
set -u
here="$(cd "$(dirname "$0")/.." && pwd)"
lua="${1:-${LUA:-lua5.4}}"
if ! command -v "$lua" >/dev/null 2>&1; then
  echo "check-corpus: '$lua' not found (apt-get install lua5.4, or pass the interpreter)" >&2
  exit 2
fi
cd "$here/conformance/cases" || exit 2
pass=0
fail=0
for f in *.lua; do
  if out="$("$lua" -e "_port=true _soft=true _nomsg=true _U=true" "$f" 2>&1 >/dev/null)"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL $f: $out" >&2
  fi
done
echo "check-corpus ($("$lua" -v 2>&1 | head -n1)): $pass passed, $fail failed"
[ "$fail" -eq 0 ]
