#!/usr/bin/env bash
# Command 1: install what is missing, build the wasm and the site, serve web/.
# Usage: scripts/serve.sh [PORT]   (default 8080) then open http://127.0.0.1:PORT/
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PORT="${1:-${PORT:-8080}}"
ensure_rust
ensure_wasm_bindgen
ensure_npm
build_web
(cd "$ROOT" && cargo build --release --bin luahome)
log "CLI built: target/release/luahome"
log "open http://127.0.0.1:$PORT/"
exec node "$ROOT/scripts/serve.mjs" --port "$PORT"
