#!/usr/bin/env python3
"""Writes the routing corpus: one directory per scenario with files/ (dynamic YAML: each
router adds `X-Router: <name>@file` through a customResponseHeaders middleware and uses
noop@internal), optional static.yml, and requests.txt (`METHOD URL [Header: value]...`).
Entry point `web` is port 80 in URLs; a replay maps it to the real listener.
Re-run after editing SCENARIOS: python3 tests/corpus/routing/generate.py"""
import os, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
H = ["a.test", "b.test", "x.a.test", "y.a.test", "deep.x.a.test", "other.test"]
P = ["/", "/api", "/api/", "/api/users", "/api/users/7", "/apix", "/static/app.js", "/admin", "/v1/x", "/v2/x"]

def grid(hosts, paths, method="GET", extra=""):
    return [f"{method} http://{h}{p}{(' ' + extra) if extra else ''}" for h in hosts for p in paths]

SCENARIOS = {
    "priority-length": ([("host", "Host(`a.test`)", 0), ("api", "Host(`a.test`) && PathPrefix(`/api`)", 0),
                         ("users", "Host(`a.test`) && PathPrefix(`/api/users`)", 0)], grid(H[:2], P)),
    "explicit-priority": ([("host", "Host(`a.test`)", 100), ("api", "Host(`a.test`) && PathPrefix(`/api`)", 0),
                           ("users", "PathPrefix(`/api/users`)", 50)], grid(H[:2], P)),
    "negative-priority": ([("fallback", "PathPrefix(`/`)", -10), ("neg", "Host(`a.test`)", -1),
                           ("api", "PathPrefix(`/api`)", 0)], grid(H[:3], P)),
    "wildcard-hosts": ([("wild", "Host(`*.a.test`)", 0), ("exactx", "Host(`xx.a.test`)", 0),
                        ("apex", "Host(`a.test`)", 0), ("wildapi", "Host(`*.a.test`) && PathPrefix(`/api`)", 0)],
                       grid(["a.test", "x.a.test", "xx.a.test", "deep.x.a.test", "XX.A.TEST"], P[:6])),
    "catch-all-host": ([("star", "Host(`*`)", 0), ("a", "Host(`a.test`) && Path(`/`)", 0)], grid(H[:3], P[:5])),
    "path-vs-prefix": ([("exact", "Path(`/api`)", 0), ("prefix", "PathPrefix(`/api`)", 0),
                        ("prefix2", "PathPrefix(`/api/`)", 0), ("root", "PathPrefix(`/`)", 0)], grid(H[:1], P)),
    "methods": ([("get", "Method(`GET`) && PathPrefix(`/api`)", 0), ("post", "Method(`POST`) && PathPrefix(`/api`)", 0),
                 ("any", "PathPrefix(`/api`)", 0)],
                grid(H[:1], P[:6]) + grid(H[:1], P[:6], "POST") + grid(H[:1], P[:3], "DELETE")),
    "headers": ([("beta", "Header(`X-Env`, `beta`) && PathPrefix(`/`)", 0), ("prod", "PathPrefix(`/`)", 0),
                 ("hre", "HeaderRegexp(`X-Env`, `^canary-[0-9]+$`)", 0)],
                grid(H[:1], P[:4]) + grid(H[:1], P[:4], extra="X-Env: beta") + grid(H[:1], P[:4], extra="x-env: canary-12")
                + grid(H[:1], P[:2], extra="X-Env: canary-x")),
    "queries": ([("q1", "Query(`mode`, `fast`)", 0), ("q0", "Query(`debug`)", 0), ("qre", "QueryRegexp(`id`, `^[0-9]+$`)", 0),
                 ("root", "PathPrefix(`/`)", 0)],
                [f"GET http://a.test/{q}" for q in ["", "?mode=fast", "?mode=slow", "?debug", "?debug=", "?debug=1",
                                                     "?id=42", "?id=x42", "?mode=fast&id=1", "?id=1&debug"]]),
    "negation": ([("notapi", "Host(`a.test`) && !PathPrefix(`/api`)", 0), ("api", "Host(`a.test`) && PathPrefix(`/api`) ", 0),
                  ("notget", "!Method(`GET`)", 0)], grid(H[:2], P[:6]) + grid(H[:1], P[:4], "PUT")),
    "regexps": ([("hre", "HostRegexp(`^[a-z]+\\.a\\.test$`)", 0), ("pre", "PathRegexp(`^/v[0-9]+/`)", 0),
                 ("both", "HostRegexp(`^x\\.`) && PathRegexp(`^/api/users/[0-9]+$`)", 0)], grid(H[:5], P)),
    "or-rules": ([("either", "Host(`a.test`) || Host(`b.test`)", 0), ("apis", "(Host(`a.test`) || Host(`b.test`)) && PathPrefix(`/api`)", 0),
                  ("blong", "Host(`b.test`) && (Path(`/admin`) || Path(`/v1/x`))", 0)], grid(H[:3], P)),
    "trailing-dot-host": ([("dot", "Host(`a.test.`)", 0), ("plain", "Host(`b.test`)", 0)], grid(["a.test", "a.test.", "b.test", "b.test."], P[:3])),
    "host-port": ([("a", "Host(`a.test`)", 0), ("api", "Host(`a.test`) && PathPrefix(`/api`)", 0)],
                  [f"GET http://a.test{p} Host: A.test:80" for p in P[:5]] + grid(H[:1], P[:5])),
    "client-ip": ([("local", "ClientIP(`127.0.0.0/8`) && PathPrefix(`/admin`)", 0), ("admin", "PathPrefix(`/admin`)", 0),
                   ("remote", "ClientIP(`10.0.0.0/8`)", 0)], grid(H[:1], P)),
    "same-length-different-hosts": ([("aa", "Host(`a.test`)", 0), ("bb", "Host(`b.test`)", 0)], grid(H, P[:3])),
    "prefix-lengths": ([(f"p{i}", f"PathPrefix(`{'/api/users/7'[:i]}`)", 0) for i in (2, 4, 5, 10, 12)], grid(H[:1], P)),
    "priority-overrides-specific": ([("broad", "PathPrefix(`/`)", 1000), ("specific", "Host(`a.test`) && Path(`/api`)", 0)], grid(H[:2], P[:5])),
    "mixed-method-header": ([("m", "Method(`POST`) && Header(`Content-Type`, `application/json`)", 0), ("p", "PathPrefix(`/api`)", 0),
                             ("h", "Host(`a.test`)", 0)],
                            grid(H[:1], P[:4], "POST", "Content-Type: application/json") + grid(H[:1], P[:4], "POST") + grid(H[:1], P[:4])),
    "encoded-paths": ([("space", "PathPrefix(`/a b`)", 0), ("slash", "Path(`/a%2Fb`)", 0), ("root", "PathPrefix(`/a`)", 0)],
                      [f"GET http://a.test{p}" for p in ["/a%20b", "/a%20bc", "/a%2Fb", "/a%2fb", "/a/b", "/ab", "/a"]]),
    "v2-syntax": ([("v2", "Host(`a.test`, `b.test`) && PathPrefix(`/api/{id:[0-9]+}`)", 0), ("v3", "Host(`a.test`)", 0)],
                  grid(H[:3], ["/", "/api/12", "/api/x", "/api/12/z"])),
}
V2 = {"v2-syntax": {"v2"}}

def main():
    for name, (routers, requests) in SCENARIOS.items():
        d = os.path.join(HERE, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "files"))
        y = ["http:", "  routers:"]
        for r, rule, prio in routers:
            y += [f"    {r}:", f"      rule: '{rule}'", "      service: noop@internal", "      entryPoints: [web]",
                  f"      middlewares: [hdr-{r}]"]
            if prio:
                y.append(f"      priority: {prio}")
            if r in V2.get(name, ()):
                y.append("      ruleSyntax: v2")
        y.append("  middlewares:")
        for r, _, _ in routers:
            y += [f"    hdr-{r}:", "      headers:", "        customResponseHeaders:", f"          X-Router: {r}@file"]
        with open(os.path.join(d, "files", "routers.yml"), "w") as f:
            f.write("\n".join(y) + "\n")
        with open(os.path.join(d, "static.yml"), "w") as f:
            f.write("entryPoints:\n  web:\n    address: ':80'\n")
        with open(os.path.join(d, "requests.txt"), "w") as f:
            f.write("\n".join(requests) + "\n")
    print(len(SCENARIOS), "scenarios,", sum(len(r) for _, r in SCENARIOS.values()), "requests")

if __name__ == "__main__":
    main()
