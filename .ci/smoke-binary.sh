#!/usr/bin/env bash
# Copies the compiled binary alone into an empty folder and exercises it there, offline.
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
  for _ in $(seq 1 150); do
    if curl -fsS "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "smoke: $1 did not answer" >&2
  return 1
}

./tollgate --version
./tollgate migrate --data-dir ./data | grep -q "applied"

# The offline demo: gateway, DeepSeek simulator and PayPal simulator on one port.
port=$(free_port)
./tollgate demo --port "$port" >demo.log 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$port/healthz"
for _ in $(seq 1 50); do grep -q "Demo key" demo.log && break; sleep 0.1; done
key=$(grep "Demo key" demo.log | awk '{print $3}')
[ -n "$key" ] || { echo "smoke: demo printed no key" >&2; cat demo.log >&2; exit 1; }
base="http://127.0.0.1:$port"

curl -fsS "$base/" | grep -q '<div id="app">'
asset=$(curl -fsS "$base/" | grep -o '/assets/[^"]*\.js' | head -1)
[ -n "$asset" ] || { echo "smoke: no script asset on /" >&2; exit 1; }
curl -fsS -o /dev/null -w '%{http_code} %{content_type}\n' "$base$asset" | grep -q '^200 .*javascript'
curl -fsS "$base/v1/models" -H "Authorization: Bearer $key" | grep -q '"deepseek-v4-flash"'
curl -fsS "$base/v1/chat/completions" -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
  -d '{"model":"deepseek-v4-flash","messages":[{"role":"user","content":"Hello"}]}' | grep -q '"chat.completion"'
curl -fsS -N "$base/v1/chat/completions" -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
  -d '{"model":"deepseek-v4-flash","messages":[{"role":"user","content":"Hello"}],"stream":true}' >stream.txt
grep -q '^data: \[DONE\]' stream.txt
# the API reference: Swagger UI's files are embedded in the binary, and both documents are served
for docs in /docs /admin/docs; do
  for file in $(curl -fsS "$base$docs" | grep -o '/docs/assets/[^"]*\.\(js\|css\)'); do
    curl -fsS -o /dev/null -w '%{http_code} %{size_download}\n' "$base$file" | grep -Eq '^200 [0-9]{3,}$' || { echo "smoke: $docs asset $file missing" >&2; exit 1; }
  done
  curl -fsS "$base$docs/json" | grep -q '"openapi":"3.1.0"'
done
echo "smoke: demo serves pages, assets, the API docs, /v1/models and chat completions from the binary alone"

# A client that leaves mid-stream is billed from the DeepSeek tokenizer, which runs in a worker.
curl -sN --max-time 1 "$base/v1/chat/completions" -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
  -d '{"model":"deepseek-v4-flash","messages":[{"role":"user","content":"A long answer please #tokens=400"}],"stream":true}' >/dev/null || true
estimated=""
for _ in $(seq 1 50); do
  estimated=$(bun -e 'const { Database } = require("bun:sqlite"); const db = new Database("data-demo/tollgate.sqlite", { readonly: true }); const r = db.query("SELECT cache_miss_tokens AS p, output_tokens AS o FROM ledger WHERE basis = ? ORDER BY id DESC LIMIT 1").get("estimated"); console.log(r ? `${r.p} ${r.o}` : "")')
  [ -n "$estimated" ] && break
  sleep 0.2
done
read -r prompt_tokens output_tokens <<<"$estimated"
[ "${prompt_tokens:-0}" -gt 4 ] && [ "${output_tokens:-0}" -gt 0 ] || { echo "smoke: no tokenizer estimate ($estimated)" >&2; cat demo.log >&2; exit 1; }
grep -q -e "tokenizer failed" -e "checkpoint worker failed" demo.log && { echo "smoke: a worker failed in the binary" >&2; cat demo.log >&2; exit 1; }
echo "smoke: a disconnected stream was estimated with the tokenizer ($prompt_tokens prompt, $output_tokens output tokens)"

# serve against the standalone DeepSeek simulator
sim_port=$(free_port)
./tollgate simulate-upstream --port "$sim_port" >sim.log 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$sim_port/_control/requests"
gw_port=$(free_port)
DEEPSEEK_API_KEY=sk-smoke DEEPSEEK_BASE_URL="http://127.0.0.1:$sim_port" \
  ./tollgate serve --port "$gw_port" --host 127.0.0.1 --data-dir ./data >gateway.log 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$gw_port/healthz"
curl -fsS "http://127.0.0.1:$gw_port/api/plans" | grep -q '"trial"'
echo "smoke: serve and simulate-upstream work from the binary alone"

# backup while serving (the daily backup's worker and VACUUM INTO run inside the binary)
./tollgate backup ./smoke-backup.sqlite --data-dir ./data | grep -q "smoke-backup.sqlite"
[ "$(stat -c %a smoke-backup.sqlite)" = 600 ] || { echo "smoke: the backup is not 0600" >&2; exit 1; }
if ./tollgate restore ./smoke-backup.sqlite --data-dir ./data >restore.log 2>&1; then
  echo "smoke: restore ran while the gateway served" >&2; exit 1
fi

# SIGTERM: a graceful stop that exits 0 and closes the database
gw_pid=${pids[-1]}
kill -TERM "$gw_pid"
status=0
for _ in $(seq 1 100); do kill -0 "$gw_pid" 2>/dev/null || break; sleep 0.1; done
wait "$gw_pid" || status=$?
[ "$status" = 0 ] || { echo "smoke: serve exited $status on SIGTERM" >&2; cat gateway.log >&2; exit 1; }
grep -q "shutdown: database closed" gateway.log || { echo "smoke: no clean shutdown in the log" >&2; cat gateway.log >&2; exit 1; }

./tollgate restore ./smoke-backup.sqlite --data-dir ./data | grep -qi "restored"
ls data/tollgate.sqlite.before-restore-* >/dev/null
echo "smoke: backup while serving, restore refused while serving, SIGTERM exits 0, restore after the stop"
