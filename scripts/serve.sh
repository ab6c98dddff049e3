#!/usr/bin/env bash
# Command 1: install what is missing, build the wasm package and the site, and
# serve the built site (web/playground/dist, what a user deploys).
# Usage: scripts/serve.sh [PORT]   (default 8080) then open http://127.0.0.1:PORT/
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PORT="${1:-${PORT:-8080}}"
ensure_rust
ensure_wasm_bindgen
ensure_npm
build_web
build_site
(cd "$ROOT" && cargo build --release --bin luahome)
log "CLI built: target/release/luahome"
log "open http://127.0.0.1:$PORT/"
exec node "$ROOT/scripts/serve.mjs" --port "$PORT" --root "$ROOT/web/playground/dist"
