#!/usr/bin/env python3
"""Generate a large homelab-like Traefik configuration for benchmarks.

N routers (default 10,000), each with a service and a middleware, spread over:
  - the file provider: 60 % of routers, in 100 YAML files under files/
  - Consul KV:         30 %, as a `consul kv export` JSON (consul.json)
  - Kubernetes CRDs:   10 %, IngressRoutes + Services + Middlewares (crds/)
plus static.yml. Usage: gen_config.py OUTDIR [N]
"""
import base64
import json
import os
import sys


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    n_file, n_kv = int(n * 0.6), int(n * 0.3)
    n_crd = n - n_file - n_kv
    os.makedirs(os.path.join(out, "files"), exist_ok=True)
    os.makedirs(os.path.join(out, "crds"), exist_ok=True)
    with open(os.path.join(out, "static.yml"), "w") as f:
        f.write("entryPoints:\n  web:\n    address: ':80'\n  websecure:\n    address: ':443'\n"
                "providers:\n  precedence: [file, consul, kubernetescrd]\n")
    per_file = max(1, n_file // 100)
    for start in range(0, n_file, per_file):
        lines = ["http:", "  routers:"]
        ids = range(start, min(start + per_file, n_file))
        for i in ids:
            lines += [f"    app{i}:", f"      rule: Host(`app{i}.lab.example`) && PathPrefix(`/v{i % 7}`)",
                      f"      service: svc{i}", "      entryPoints: [websecure]",
                      f"      middlewares: [hdr{i}]", "      tls: {}"]
        lines.append("  services:")
        for i in ids:
            lines += [f"    svc{i}:", "      loadBalancer:", "        servers:",
                      f"          - url: http://10.0.{i // 250 % 250}.{i % 250 + 1}:8080"]
        lines.append("  middlewares:")
        for i in ids:
            lines += [f"    hdr{i}:", "      headers:", "        customResponseHeaders:",
                      f"          X-App: app{i}"]
        with open(os.path.join(out, "files", f"apps-{start // per_file:03d}.yml"), "w") as f:
            f.write("\n".join(lines) + "\n")
    kv = []
    for i in range(n_kv):
        p = f"traefik/http/routers/kv{i}"
        kv += [(f"{p}/rule", f"Host(`kv{i}.lab.example`)"), (f"{p}/service", f"kvsvc{i}"),
               (f"{p}/entryPoints/0", "web"), (f"{p}/middlewares/0", f"kvmw{i}"),
               (f"traefik/http/services/kvsvc{i}/loadBalancer/servers/0/url", f"http://10.1.0.{i % 250 + 1}:80"),
               (f"traefik/http/middlewares/kvmw{i}/addPrefix/prefix", f"/kv{i}")]
    with open(os.path.join(out, "consul.json"), "w") as f:
        json.dump([{"key": k, "flags": 0, "value": base64.b64encode(v.encode()).decode()} for k, v in kv], f)
    docs = []
    for i in range(n_crd):
        docs.append(f"""apiVersion: v1
kind: Service
metadata:
  name: web{i}
  namespace: apps
spec:
  ports:
    - port: 80
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata:
  name: strip{i}
  namespace: apps
spec:
  stripPrefix:
    prefixes: [/s{i}]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata:
  name: route{i}
  namespace: apps
spec:
  entryPoints: [websecure]
  routes:
    - match: Host(`crd{i}.lab.example`)
      kind: Rule
      middlewares:
        - name: strip{i}
      services:
        - name: web{i}
          port: 80
""")
    with open(os.path.join(out, "crds", "apps.yaml"), "w") as f:
        f.write("---\n".join(docs))
    print(f"{out}: {n_file} file routers, {n_kv} Consul routers, {n_crd} CRD routers")


if __name__ == "__main__":
    main()
