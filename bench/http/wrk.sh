#!/usr/bin/env bash
# Requests per second through `tenxyte serve` (release build, SQLite file, loopback) for
# three calls: login (argon2id at the preset's cost), `me` (bearer verification: three
# store reads), and an agent call (`ai/authorize/`: lookup, counters, double RBAC). Prints
# a Markdown table. Needs `wrk` (Debian: apt-get install wrk) and curl.
#
# Usage: bench/http/wrk.sh [--bin target/release/tenxyte] [--duration 10] [--connections 16]
#                          [--preset medium]
set -euo pipefail

bin=target/release/tenxyte
duration=10
connections=16
preset=medium
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --preset) preset="$2"; shift 2 ;;
    *) echo "wrk.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk.sh: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
[ -x "$bin" ] || { echo "wrk.sh: $bin is not built (cargo build --release -p tenxyte-cli)" >&2; exit 2; }

dir="$(mktemp -d "${TMPDIR:-/tmp}/tenxyte-wrk.XXXXXX")"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

# Measure work, not refusals: no rate limits, an agent token whose caps are never reached.
cat > "$dir/settings.json" <<'JSON'
{"rate_limit": {"enabled": false}, "lockout": {"enabled": false},
 "sessions": {"limit_enabled": false}, "devices": {"limit_enabled": false},
 "breach_check": {"enabled": false, "reject": false}}
JSON
"$bin" serve --port 0 --db "$dir/bench.sqlite" --preset "$preset" --settings "$dir/settings.json" \
  > "$dir/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$dir/serve.log" && break; sleep 0.1; done
base=$(grep -o 'http://[0-9.:]*' "$dir/serve.log" | head -1)
key=$(grep -o '"access_key":"[^"]*"' "$dir/serve.log" | cut -d'"' -f4)
secret=$(grep -o '"access_secret":"[^"]*"' "$dir/serve.log" | cut -d'"' -f4)
api="$base/api/v1/auth"
h=(-H "X-Access-Key: $key" -H "X-Access-Secret: $secret" -H "Content-Type: application/json")
body='{"email":"bench@example.com","password":"Correct-Horse-42!"}'
curl -sf "${h[@]}" -d "$body" "$api/register/" > /dev/null
access=$(curl -sf "${h[@]}" -d "$body" "$api/login/email/" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
agent=$(curl -sf "${h[@]}" -H "Authorization: Bearer $access" \
  -d '{"permissions":["content.view"],"circuit_breaker":{"max_requests_per_minute":1000000000,"max_requests_total":1000000000000}}' \
  "$api/ai/tokens/" | sed 's/.*"raw_token":"\([^"]*\)".*/\1/')

lua() { # method, body, Authorization header (may be empty)
  cat <<LUA
wrk.method = "$1"
wrk.body = '$2'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Access-Key"] = "$key"
wrk.headers["X-Access-Secret"] = "$secret"
LUA
  if [ -n "$3" ]; then printf 'wrk.headers["Authorization"] = "%s"\n' "$3"; fi
}
lua POST "$body" "" > "$dir/login.lua"
lua GET "" "Bearer $access" > "$dir/me.lua"
lua POST '{"method":"GET","path":"/api/articles","body":"","permission":"content.view"}' "AgentBearer $agent" > "$dir/agent.lua"

run() { # name, path, script
  local out rps lat non2xx
  out=$(wrk -t2 -c"$connections" -d"${duration}s" -s "$3" --latency "$api/$2" 2>&1)
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  lat=$(echo "$out" | awk '/ 50%/ {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  printf '| %s | `%s` | %s | %s | %s |\n' "$1" "$2" "$rps" "$lat" "${non2xx:-0}"
}
echo "| call | route | requests/s | median latency | non-2xx |"
echo "| --- | --- | ---: | ---: | ---: |"
run "login (argon2id)" "login/email/" "$dir/login.lua"
run "me (bearer)" "me/" "$dir/me.lua"
run "agent call" "ai/authorize/" "$dir/agent.lua"
echo
echo "tenxyte serve --preset $preset on SQLite (WAL), loopback, wrk -t2 -c$connections -d${duration}s, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
