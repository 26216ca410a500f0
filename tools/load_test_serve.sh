#!/usr/bin/env bash
# Bounded load test of `proscore serve` on loopback (issue: serve). Starts one server with the
# default model at the balanced preset, then for each stream count streams a recording from
# that many WebSocket clients at once, in real time, and prints one line per count: estimates,
# the server's emit latency (DESIGN.md: last sample of a chunk arrived -> estimate sent) and the
# client's end-to-end latency (last sample an estimate needs sent -> estimate received), p50/p95.
#   tools/load_test_serve.sh [STREAM COUNTS...]      (default: 1 8 32 64)
# Environment: PROSCORE (binary, default .build/release/proscore), SECONDS_PER_STREAM (30),
# PRESET (configs/balanced.json), RECORDING (recordings/anna-morning.flac), STORE (--store).
set -euo pipefail
cd "$(dirname "$0")/.."
PROSCORE=${PROSCORE:-.build/release/proscore}
SECONDS_PER_STREAM=${SECONDS_PER_STREAM:-30}
PRESET=${PRESET:-configs/balanced.json}
RECORDING=${RECORDING:-recordings/anna-morning.flac}
STORE=${STORE:-}  # default: a SQLite file in a temporary folder
counts=("$@"); [ ${#counts[@]} -gt 0 ] || counts=(1 8 32 64)
max=0; for n in "${counts[@]}"; do [ "$n" -gt "$max" ] && max=$n; done
work=$(mktemp -d /tmp/proscore-load.XXXXXX)
"$PROSCORE" serve --port 0 --preset "$PRESET" --max-sessions "$max" --store "${STORE:-$work/sessions.sqlite}" 2>"$work/serve.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 300); do grep -q "listening on" "$work/serve.log" && break; sleep 0.1; done
url=$(grep -o 'http://[^ ]*' "$work/serve.log" | head -1 | sed 's/^http/ws/')
[ -n "$url" ] || { cat "$work/serve.log" >&2; exit 1; }
echo "server: $url, preset $(basename "$PRESET"), $(nproc) cores, ${SECONDS_PER_STREAM} s per stream in real time"
printf "%8s %10s %10s %14s %14s %14s %14s %8s\n" streams completed estimates "emit p50 ms" "emit p95 ms" "e2e p50 ms" "e2e p95 ms" dropped
for n in "${counts[@]}"; do
  out=$("$PROSCORE" bench serve --url "$url" --streams "$n" --seconds "$SECONDS_PER_STREAM" --speed 1 \
        --recording "$RECORDING" --ramp-ms 2000 --json || true)
  python3 - "$n" "$out" <<'PY'
import json, sys
n, o = sys.argv[1], json.loads(sys.argv[2])
e, s = o.get("end_to_end_ms", {}), o.get("server_emit_ms", {})
print(f"{n:>8} {o['completed']:>10} {o['estimates']:>10} {s.get('p50', float('nan')):>14.0f} {s.get('p95', float('nan')):>14.0f} "
      f"{e.get('p50', float('nan')):>14.0f} {e.get('p95', float('nan')):>14.0f} {o['dropped_samples']:>8}")
for err in sorted(set(o.get("errors", []))):
    print(f"         error: {err}")
PY
done
