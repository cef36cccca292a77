#!/usr/bin/env python3
"""Replay rules against the real Traefik binary and record what its API says.

Usage: probe_traefik.py CASES.json OUT.json [TRAEFIK_BINARY]

CASES.json: [{"kind": "http"|"tcp", "rule": "...", "syntax": "v3"|"v2"|"",
              "tls": false, "priority": 0}, ...]
OUT.json: the same list with "status", "errors", "priority" (as Traefik computed
it) added to every case.

Traefik is started on 127.0.0.1 only (web entrypoint + insecure API on loopback
ports), with a file-provider directory holding one router per case, and is
always stopped afterwards.
"""
import json, os, socket, subprocess, sys, tempfile, time, urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def yaml_str(s):
    # JSON strings are valid YAML double-quoted scalars.
    return json.dumps(s, ensure_ascii=True)


def main():
    cases = json.load(open(sys.argv[1]))
    out_path = sys.argv[2]
    binary = sys.argv[3] if len(sys.argv) > 3 else "/work/.venv-probe/bin/traefik"
    tmp = tempfile.mkdtemp(prefix="probe-rules-")
    lines = ["http:", "  routers:"]
    for i, c in enumerate(cases):
        if c["kind"] != "http":
            continue
        lines.append(f"    r{i:05d}:")
        lines.append(f"      rule: {yaml_str(c['rule'])}")
        lines.append("      service: svc")
        lines.append("      entryPoints: [web]")
        if c.get("syntax"):
            lines.append(f"      ruleSyntax: {yaml_str(c['syntax'])}")
        if c.get("priority"):
            lines.append(f"      priority: {c['priority']}")
        if c.get("tls"):
            lines.append("      tls: {}")
    lines += ["  services:", "    svc:", "      loadBalancer:", "        servers:",
              "          - url: http://127.0.0.1:1"]
    lines += ["tcp:", "  routers:"]
    for i, c in enumerate(cases):
        if c["kind"] != "tcp":
            continue
        lines.append(f"    t{i:05d}:")
        lines.append(f"      rule: {yaml_str(c['rule'])}")
        lines.append("      service: tsvc")
        lines.append("      entryPoints: [web]")
        if c.get("syntax"):
            lines.append(f"      ruleSyntax: {yaml_str(c['syntax'])}")
        if c.get("priority"):
            lines.append(f"      priority: {c['priority']}")
        if c.get("tls"):
            lines.append("      tls: {}")
    lines += ["  services:", "    tsvc:", "      loadBalancer:", "        servers:",
              "          - address: 127.0.0.1:1"]
    os.makedirs(os.path.join(tmp, "dyn"))
    with open(os.path.join(tmp, "dyn", "routers.yml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    web, api = free_port(), free_port()
    log = open(os.path.join(tmp, "traefik.log"), "w")
    proc = subprocess.Popen([binary, f"--entryPoints.web.address=127.0.0.1:{web}",
                             f"--entryPoints.traefik.address=127.0.0.1:{api}",
                             "--api.insecure=true",
                             f"--providers.file.directory={os.path.join(tmp, 'dyn')}",
                             "--log.level=ERROR"], stdout=log, stderr=log)
    try:
        want = sum(1 for c in cases)
        got = {}
        deadline = time.time() + 60
        while time.time() < deadline:
            time.sleep(0.5)
            try:
                got = {}
                for proto in ("http", "tcp"):
                    page = 1
                    while page:
                        url = f"http://127.0.0.1:{api}/api/{proto}/routers?per_page=500&page={page}"
                        with urllib.request.urlopen(url, timeout=5) as r:
                            for item in json.load(r):
                                got[item["name"]] = item
                            nxt = r.headers.get("X-Next-Page", "1")
                            page = int(nxt) if nxt and int(nxt) > page else 0
                n = sum(1 for k in got if k.endswith("@file"))
                if n >= want:
                    break
            except Exception:
                continue
        for i, c in enumerate(cases):
            name = (f"r{i:05d}" if c["kind"] == "http" else f"t{i:05d}") + "@file"
            item = got.get(name)
            if item is None:
                c["status"] = "missing"
                continue
            c["status"] = item.get("status")
            c["errors"] = item.get("error", [])
            c["computed_priority"] = item.get("priority")
        json.dump(cases, open(out_path, "w"), indent=1, ensure_ascii=False)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    print(f"probed {len(cases)} cases; log in {tmp}/traefik.log", file=sys.stderr)


if __name__ == "__main__":
    main()
