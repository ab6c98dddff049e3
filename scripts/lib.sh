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

# Whether rustup lists the component NAME as installed (read whole: `grep -q`
# on rustup's pipe could end it early, which `pipefail` reports as a failure).
rust_component_installed() {
  local components
  components="$(rustup component list --installed 2>/dev/null || true)"
  grep -q "^$1" <<<"$components"
}

ensure_rust() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  rust_component_installed clippy || rustup component add clippy
  rust_component_installed rustfmt || rustup component add rustfmt
  # build_web rebuilds the standard library for the wasm (WASM_BUILD_STD);
  # without rust-src it builds with the prebuilt one (a larger package).
  rust_component_installed rust-src || rustup component add rust-src \
    || log "rust-src could not be installed: the wasm package will use the prebuilt standard library"
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

# wasm build ([profile.wasm]) -> wasm-bindgen -> wasm-opt into the package folder web/:
# web/luahome_bg.wasm, web/luahome_piccolo_bg.wasm (see WASM_PICCOLO) and web/luahome_wasm.js (the no-modules glue wrapped in
# an ES module exporting `createBindings()`, so luahome.js can make a fresh
# instance after a trap; see web/luahome.js). Then the size table in
# web/README.md is brought up to date.
# The wasm's cargo profile (Cargo.toml: [profile.wasm]: size, but speed for the VM crates;
# `wasm-small`: size throughout) and
# wasm-opt's optimisation flags; both can be overridden to measure others.
WASM_PROFILE="${WASM_PROFILE:-wasm}"
# `--one-caller-inline-max-function-size 0`: wasm-opt does not inline large
# functions into their only caller (its default inlines every such function):
# 8 % smaller gzipped and twice as fast to optimise, with the same speed in
# Node (measured 2026-12-02, see the commit message).
WASM_OPT_FLAGS="${WASM_OPT_FLAGS:--Oz --one-caller-inline-max-function-size 0}"

# WASM_BUILD_STD=1 (the default): the standard library is compiled with the
# package instead of taken prebuilt (`-Zbuild-std`, which needs the rust-src
# component and, on the stable toolchain, RUSTC_BOOTSTRAP=1), so that a panic
# is built as an immediate trap (`-Cpanic=immediate-abort`) without std's
# panic message formatting, and panic locations carry no file names
# (`-Zlocation-detail=none`). On wasm32-unknown-unknown a panic already traps
# whatever the strategy (web/luahome.js replaces a trapped instance); only the
# message that console_error_panic_hook printed is lost: build with
# WASM_BUILD_STD=0 to get it back. core, alloc and std are built at
# `opt-level = 3` as the prebuilt ones are: at the profile's "s", float
# formatting costs string_format 6 % more instructions. Measured 2026-12-05:
# 695,686 -> 654,094 bytes gzipped (gzip -9), the same instructions in V8's code on the
# benchmarks (README, twenty-third pass). std's `optimize_for_size` feature
# was 20 KB smaller again but slower (table.sort of numbers by a heap sort,
# string_format +4 %): not used.
WASM_BUILD_STD="${WASM_BUILD_STD:-1}"

# WASM_PICCOLO=1 (the default): build_web also builds the module with the
# `piccolo` engine (piccolo 0.3.3's compiler), web/luahome_piccolo_bg.wasm,
# which web/luahome.js loads only for `Lua.open({ engine: 'piccolo' })`; the
# default module, web/luahome_bg.wasm, leaves that compiler out (46.6 KB
# smaller gzipped) and keeps piccolo's VM for the closures that core stored.
# WASM_PICCOLO=0 skips the second build (measuring the default module).
WASM_PICCOLO="${WASM_PICCOLO:-1}"

build_web() {
  log "building the wasm package (profile $WASM_PROFILE, wasm-opt $WASM_OPT_FLAGS, build-std $WASM_BUILD_STD, piccolo module $WASM_PICCOLO)"
  local build_std="$WASM_BUILD_STD"
  if [ "$build_std" = 1 ] && ! rust_component_installed rust-src; then
    log "no rust-src component: building with the prebuilt standard library (WASM_BUILD_STD=0)"
    build_std=0
  fi
  rm -rf "$ROOT/web/pkg" "$ROOT/web/luahome_piccolo_bg.wasm"
  # The default module, without piccolo's compiler (the `piccolo` engine).
  build_wasm_module "$build_std" luahome_bg.wasm --no-default-features
  if [ "$WASM_PICCOLO" = 1 ]; then
    build_wasm_module "$build_std" luahome_piccolo_bg.wasm
  fi
  node "$ROOT/scripts/package-sizes.mjs"
}

# One module of the package: cargo (with the extra arguments: features) ->
# wasm-bindgen -> wasm-opt into web/NAME. The glue (web/luahome_wasm.js) is
# the same for every module: it is written by the first and checked by the
# others.
build_wasm_module() {
  local build_std="$1" name="$2"
  shift 2
  local build_env=() std_args=()
  if [ "$build_std" = 1 ]; then
    # RUSTFLAGS replaces .cargo/config.toml's target rustflags: keep its cfg.
    build_env=(RUSTC_BOOTSTRAP=1
      RUSTFLAGS='--cfg getrandom_backend="wasm_js" -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none')
    std_args=(-Zbuild-std=std,panic_abort
      --config "profile.$WASM_PROFILE.package.core.opt-level=3"
      --config "profile.$WASM_PROFILE.package.alloc.opt-level=3"
      --config "profile.$WASM_PROFILE.package.std.opt-level=3")
  fi
  log "web/$name"
  (cd "$ROOT" && env "${build_env[@]}" cargo build --profile "$WASM_PROFILE" --target wasm32-unknown-unknown \
    -p luahome --lib "$@" "${std_args[@]}")
  local dir="$WASM_PROFILE"
  [ "$dir" = dev ] && dir=debug
  local wasm="$ROOT/target/wasm32-unknown-unknown/$dir/luahome.wasm"
  local out="$ROOT/target/wasm-bindgen-web"
  rm -rf "$out"
  wasm-bindgen --target no-modules --no-typescript --out-dir "$out" "$wasm"
  local glue="$ROOT/target/luahome_wasm.js.new"
  {
    echo '// Generated by scripts/lib.sh (build_web) from wasm-bindgen --target no-modules. Do not edit.'
    echo '// createBindings() returns a fresh copy of the glue (its own instance state).'
    echo 'export function createBindings() {'
    # Without wasm-bindgen's "Cast intrinsic" comments: they name internal
    # indices that differ between the modules for the same code.
    grep -v '^ *// Cast intrinsic for ' "$out/luahome.js"
    echo 'return wasm_bindgen;'
    echo '}'
  } > "$glue"
  if [ "$name" = luahome_bg.wasm ]; then
    mv "$glue" "$ROOT/web/luahome_wasm.js"
  elif ! cmp -s "$glue" "$ROOT/web/luahome_wasm.js"; then
    log "web/$name needs other glue than web/luahome_wasm.js: the modules' exports differ"
    diff "$ROOT/web/luahome_wasm.js" "$glue" | head -20
    return 1
  else
    rm -f "$glue"
  fi
  # npm's binaryen: Debian's wasm-opt 108 produces a module that fails to load.
  # shellcheck disable=SC2086
  "$ROOT/node_modules/.bin/wasm-opt" $WASM_OPT_FLAGS --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-reference-types --enable-multivalue --enable-mutable-globals \
    "$out/luahome_bg.wasm" -o "$ROOT/web/$name"
}

# The static site (web/playground -> web/playground/dist) bundled with esbuild.
build_site() {
  log "building the playground site"
  node "$ROOT/scripts/build-site.mjs"
}
