#!/usr/bin/env bash
# The bench suite (numbers printed, nothing asserted; not part of test.sh):
# builds what the engines need, then runs scripts/bench.mjs with the
# arguments given (see its header: --runs N, --quick, --smoke, --only a,b,
# --engines ids, --no-extras, --json FILE, --markdown FILE).
#
#   scripts/bench.sh                       # everything found, median of 3
#   scripts/bench.sh --luars --runs 5      # also build and run luars
#   scripts/bench.sh --no-build --only fib,json --engines puc-5.4.4,luahome-cli:piccolo
#
# PUC Lua 5.4.8 is built from a git clone or mirror of github.com/lua/lua
# (LUA_GIT_DIR, the .git directory; tag v5.4.8) into target/bench/lua-5.4.8,
# with no network; without one the reference is Debian's lua5.4 (5.4.4).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

build=1
luars=0
pass=()
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    --luars) luars=1 ;;
    *) pass+=("$a") ;;
  esac
done

build_puc_548() {
  local out="$ROOT/target/bench/lua-5.4.8"
  [ -x "$out/lua" ] && return 0
  local git_dir="${LUA_GIT_DIR:-}"
  if [ -z "$git_dir" ]; then
    for d in /work/.mirror/lua+lua/repo "$ROOT/../lua/.git"; do
      [ -d "$d" ] && git_dir="$d" && break
    done
  fi
  if [ -z "$git_dir" ] || ! git --git-dir="$git_dir" rev-parse -q --verify v5.4.8 >/dev/null; then
    log "no lua/lua git directory with tag v5.4.8 (set LUA_GIT_DIR): PUC Lua 5.4.8 skipped"
    return 0
  fi
  log "building PUC Lua 5.4.8 from $git_dir"
  rm -rf "$out" && mkdir -p "$out"
  git --git-dir="$git_dir" archive v5.4.8 | tar -x -C "$out"
  # The repository's makefile (-O2 -march=native); without readline.
  make -C "$out" -s MYCFLAGS="-std=c99 -DLUA_USE_LINUX" MYLIBS="-ldl" CWARNS="" >/dev/null
}

if [ "$build" = 1 ]; then
  ensure_rust
  ensure_wasm_bindgen
  ensure_npm
  ensure_chromium
  ensure_lua
  build_puc_548
  log "building the release CLI"
  cargo build --release --bin luahome
  build_web
  if [ "$luars" = 1 ]; then
    log "building the luars runner (bench/luars-runner)"
    cargo build --release --manifest-path bench/luars-runner/Cargo.toml
  fi
fi
exec node scripts/bench.mjs "${pass[@]}"
