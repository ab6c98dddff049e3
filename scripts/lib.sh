# Shared helpers for scripts/serve.sh and scripts/test.sh: install what is
# missing (idempotent), then build. Sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WASM_BINDGEN_VERSION="0.2.130"   # must match `wasm-bindgen = "=..."` in Cargo.toml
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

ensure_rust() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  rustup component list --installed | grep -q '^clippy' || rustup component add clippy
  rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
}

ensure_wasm_bindgen() {
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
    log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (takes several minutes once)"
    # Not --locked: its lock file wants a crate version the registry does not serve.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
}

ensure_npm() {
  if [ ! -x "$ROOT/node_modules/.bin/wasm-opt" ] || [ ! -d "$ROOT/node_modules/playwright-core" ] \
     || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    log "installing npm packages"
    (cd "$ROOT" && npm ci --no-audit --no-fund)
  fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -q; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    log "installing Debian's chromium and chromium-driver"
    apt_install chromium chromium-driver
  fi
}

ensure_lua() {
  if ! command -v lua5.4 >/dev/null; then
    log "installing Debian's lua5.4 (reference interpreter for the fixtures)"
    apt_install lua5.4
  fi
}

# The wasm's cargo profile (Cargo.toml: [profile.wasm], tuned for size) and
# wasm-opt's optimisation flags; both can be overridden to measure others.
WASM_PROFILE="${WASM_PROFILE:-wasm}"
WASM_OPT_FLAGS="${WASM_OPT_FLAGS:--Oz}"

# wasm build ([profile.wasm]) -> wasm-bindgen -> wasm-opt into web/pkg.
build_web() {
  log "building the wasm package (profile $WASM_PROFILE, wasm-opt $WASM_OPT_FLAGS)"
  (cd "$ROOT" && cargo build --profile "$WASM_PROFILE" --target wasm32-unknown-unknown -p luahome --lib)
  local dir="$WASM_PROFILE"
  [ "$dir" = dev ] && dir=debug
  local wasm="$ROOT/target/wasm32-unknown-unknown/$dir/luahome.wasm"
  rm -rf "$ROOT/web/pkg"
  wasm-bindgen --target web --out-dir "$ROOT/web/pkg" "$wasm"
  # npm's binaryen: Debian's wasm-opt 108 produces a module that fails to load.
  # shellcheck disable=SC2086
  "$ROOT/node_modules/.bin/wasm-opt" $WASM_OPT_FLAGS --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-reference-types --enable-multivalue --enable-mutable-globals \
    "$ROOT/web/pkg/luahome_bg.wasm" -o "$ROOT/web/pkg/luahome_bg.wasm"
  local raw gz
  raw=$(stat -c %s "$ROOT/web/pkg/luahome_bg.wasm")
  gz=$(gzip -9c "$ROOT/web/pkg/luahome_bg.wasm" | wc -c)
  log "web/pkg/luahome_bg.wasm: $raw bytes raw, $gz bytes gzipped"
}
