#!/usr/bin/env bash
# Command 2: install what is missing and run every test: formatting, clippy
# (host and wasm32), the native test suites, and the browser tests in headless
# Chromium.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
# Tests build once per checkout: no incremental caches, and line tables only
# (panics and backtraces keep their lines). A full debug build of the
# workspace's tests took ~4 GB; a CI run once died of "No space left on device".
export CARGO_INCREMENTAL=0
export CARGO_PROFILE_DEV_DEBUG=line-tables-only
ensure_rust
ensure_wasm_bindgen
ensure_npm
ensure_chromium
ensure_lua

log "cargo fmt --check"
cargo fmt --all --check
log "cargo clippy (host)"
cargo clippy --workspace --all-targets -- -D warnings
log "cargo clippy (wasm32)"
cargo clippy --target wasm32-unknown-unknown -p luahome --lib -- -D warnings
# The browser's default module: without the piccolo engine's compiler.
cargo clippy --target wasm32-unknown-unknown -p luahome --lib --no-default-features -- -D warnings
log "conformance corpus under reference Lua 5.4 (checks the cases themselves)"
bash scripts/check-corpus.sh
log "cargo test --workspace"
cargo test --workspace
log "library suites under reference Lua 5.4 (checks conformance/libs/expected.txt)"
cargo run -q -p luahome-conformance -- libs --engines ''
build_web
build_site
log "browser tests (headless Chromium)"
node --test --test-concurrency=1 web/tests/
