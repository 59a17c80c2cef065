#!/usr/bin/env bash
# Copies the compiled binary alone into an empty folder and exercises it there.
set -euo pipefail
binary=$(realpath "$1")
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
cp "$binary" "$work/tollgate"
cd "$work"

free_port() { bun -e 'const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }); console.log(s.port); s.stop(true)'; }
wait_for() {
  for _ in $(seq 1 100); do
    if curl -fsS "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "smoke: $1 did not answer" >&2
  return 1
}

./tollgate --version
./tollgate migrate --data-dir ./data | grep -q "applied"

sim_port=$(free_port)
./tollgate simulate-upstream --port "$sim_port" >sim.log 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$sim_port/models"

port=$(free_port)
DEEPSEEK_API_KEY=sk-smoke DEEPSEEK_BASE_URL="http://127.0.0.1:$sim_port" \
  ./tollgate serve --port "$port" --host 127.0.0.1 --data-dir ./data >gateway.log 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$port/healthz"
curl -fsS "http://127.0.0.1:$port/healthz" | grep -q '"status":"ok"'
curl -fsS "http://127.0.0.1:$port/api/plans" | grep -q '"trial"'
echo "smoke: binary serves /healthz and /api/plans from an empty folder"
