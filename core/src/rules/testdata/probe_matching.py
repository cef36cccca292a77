#!/usr/bin/env python3
"""Ask real Traefik which requests each rule matches.

Usage: probe_matching.py CASES.json OUT.json [TRAEFIK_BINARY]
CASES.json: {"rules": [{"rule": "...", "syntax": ""}...],
             "requests": [{"method", "host", "path", "query", "headers": [[k, v]...]}...]}
Each rule gets its own entrypoint on 127.0.0.1 with one router to noop@internal (HTTP 418),
so a request matches a rule iff the answer is 418 (404 otherwise). Client IP is 127.0.0.1.
OUT.json: CASES plus "matches": [[bool per request] per rule]. Traefik is stopped afterwards.
"""
import http.client, json, os, socket, subprocess, sys, tempfile, time, urllib.request


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def main():
    data = json.load(open(sys.argv[1]))
    binary = sys.argv[3] if len(sys.argv) > 3 else "/work/.venv-probe/bin/traefik"
    tmp = tempfile.mkdtemp(prefix="probe-match-")
    os.makedirs(os.path.join(tmp, "dyn"))
    ports = [free_port() for _ in data["rules"]]
    api = free_port()
    lines = ["http:", "  routers:"]
    for i, r in enumerate(data["rules"]):
        lines += [f"    m{i:04d}:", f"      rule: {json.dumps(r['rule'])}", "      service: noop@internal",
                  f"      entryPoints: [ep{i}]"]
        if r.get("syntax"):
            lines.append(f"      ruleSyntax: {json.dumps(r['syntax'])}")
    open(os.path.join(tmp, "dyn", "r.yml"), "w").write("\n".join(lines) + "\n")
    args = [binary, f"--entryPoints.traefik.address=127.0.0.1:{api}", "--api.insecure=true",
            f"--providers.file.directory={os.path.join(tmp, 'dyn')}", "--log.level=ERROR"]
    args += [f"--entryPoints.ep{i}.address=127.0.0.1:{p}" for i, p in enumerate(ports)]
    log = open(os.path.join(tmp, "traefik.log"), "w")
    proc = subprocess.Popen(args, stdout=log, stderr=log)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            time.sleep(0.5)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{api}/api/http/routers?per_page=1000") as r:
                    if sum(1 for x in json.load(r) if x["name"].endswith("@file")) >= len(ports):
                        break
            except Exception:
                pass
        time.sleep(1.0)
        out = []
        for i, p in enumerate(ports):
            row = []
            for q in data["requests"]:
                c = http.client.HTTPConnection("127.0.0.1", p, timeout=5)
                target = q["path"] + (("?" + q["query"]) if q.get("query") else "")
                c.putrequest(q["method"], target, skip_host=True, skip_accept_encoding=True)
                if q.get("host") is not None:
                    c.putheader("Host", q["host"])
                for k, v in q.get("headers", []):
                    c.putheader(k, v)
                c.endheaders()
                status = c.getresponse().status
                c.close()
                row.append(status == 418)
            out.append(row)
        data["matches"] = out
        json.dump(data, open(sys.argv[2], "w"), indent=0)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


if __name__ == "__main__":
    main()
