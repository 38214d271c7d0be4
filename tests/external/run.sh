#!/usr/bin/env bash
# Runs clients the project did not write against `kasse sim`: Vipps' official SDK
# (@vippsmobilepay/sdk 2.4, through sdk_driver.cjs) and Vipps' Postman collections under newman
# (newman_run.cjs), and reports per call.
#
# Environment:
#   KASSE_BIN          the kasse binary (default: target/debug/kasse, built if missing)
#   KASSE_SHARED_DIR   the shared folder with postman/ (default: <checkout>/../shared)
#   KASSE_NODE_DIR     where npm installs the clients (default: <target>/external-node; never
#                      committed, reused when the right versions are already there)
# Exit: 0 all passed; 1 a call failed; 3 a prerequisite is missing (node, npm, the install,
# the shared folder) — the cargo test turns 3 into a failure under CI=true.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SHARED="${KASSE_SHARED_DIR:-$ROOT/../shared}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
NODE_DIR="${KASSE_NODE_DIR:-$TARGET/external-node}"
KASSE_BIN="${KASSE_BIN:-$TARGET/debug/kasse}"

missing() { echo "external: PREREQUISITE MISSING: $*" >&2; exit 3; }

command -v node >/dev/null 2>&1 || missing "node is not installed (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null 2>&1 || missing "npm is not installed (Debian: apt-get install npm)"
[ -d "$SHARED/postman" ] || missing "no Postman collections in $SHARED/postman (set KASSE_SHARED_DIR)"
if [ ! -x "$KASSE_BIN" ]; then
  (cd "$ROOT" && cargo build --bin kasse) || missing "cannot build the kasse binary"
fi

sdk_ok() {
  node -e 'const v=require(process.argv[1]).version; process.exit(/^2\.4\./.test(v)?0:1)' \
    "$NODE_DIR/node_modules/@vippsmobilepay/sdk/package.json" 2>/dev/null &&
    [ -f "$NODE_DIR/node_modules/newman/package.json" ]
}
if ! sdk_ok; then
  mkdir -p "$NODE_DIR"
  echo "external: npm install --no-save @vippsmobilepay/sdk@2.4 newman into $NODE_DIR"
  (cd "$NODE_DIR" && npm install --no-save --no-audit --no-fund --loglevel=error \
      @vippsmobilepay/sdk@2.4 newman) || missing "npm install of @vippsmobilepay/sdk@2.4 and newman failed"
  sdk_ok || missing "npm install did not leave @vippsmobilepay/sdk 2.4.x and newman in $NODE_DIR"
fi
echo "external: node $(node --version), npm $(npm --version)"

WORK="$(mktemp -d)"
SIM_PID=""
cleanup() {
  if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

start_sim() {
  "$KASSE_BIN" sim --port 0 --bind 127.0.0.1 >"$WORK/sim.out" 2>"$WORK/sim.err" &
  SIM_PID=$!
  for _ in $(seq 1 100); do
    if grep -q '^listening on ' "$WORK/sim.out" 2>/dev/null; then
      BASE="$(sed -n 's/^listening on //p' "$WORK/sim.out" | head -1)"
      return 0
    fi
    sleep 0.1
  done
  echo "external: kasse sim did not start:"; cat "$WORK/sim.err"
  exit 1
}
stop_sim() { kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; SIM_PID=""; }

status=0
# A fresh simulator per client, so one's rate-limit windows never touch the other's.
start_sim
echo "== official SDK against $BASE"
node "$HERE/sdk_driver.cjs" "$NODE_DIR/node_modules" "$BASE" || status=1
stop_sim
start_sim
echo "== newman: Postman collections in $SHARED/postman against $BASE"
node "$HERE/newman_run.cjs" "$NODE_DIR/node_modules" "$SHARED/postman" "$BASE" || status=1
stop_sim
exit $status
