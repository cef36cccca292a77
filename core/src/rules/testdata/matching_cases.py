#!/usr/bin/env python3
"""Rules x requests for probe_matching.py (writes JSON to stdout)."""
import json
rules = [
    "Host(`example.com`)", "Host(`EXAMPLE.com`)", "Host(`example.com.`)", "Host(`*.example.com`)", "Host(`*`)",
    "Host(`127.0.0.1`)", "Host(`::1`)", "HostRegexp(`^[a-z]+\\.example\\.com$`)", "HostRegexp(`x*`)", "HostRegexp(`^A`)",
    "Path(`/foo`)", "Path(`/foo bar`)", "Path(`/a%2Fb`)", "Path(`/a/b`)", "PathPrefix(`/foo`)", "PathPrefix(`/FOO`)",
    "PathRegexp(`^/api/v[0-9]+$`)", "PathRegexp(`\\d`)", "Method(`GET`)", "Method(`post`)", "Header(`X-Foo`, `bar`)",
    "Header(`x-foo`, `bar`)", "HeaderRegexp(`X-Foo`, `^b`)", "Header(`Host`, `example.com`)", "Query(`a`)",
    "Query(`a`, `1`)", "Query(`a`, ``)", "QueryRegexp(`a`, `^[0-9]+$`)", "QueryRegexp(`a`)", "ClientIP(`127.0.0.1`)",
    "ClientIP(`127.0.0.0/8`)", "ClientIP(`10.0.0.0/8`)", "ClientIP(`::1`)", "!Host(`example.com`)",
    "Host(`example.com`) && PathPrefix(`/foo`)", "Host(`example.com`) || Method(`POST`)",
    "!(Host(`example.com`) || Path(`/foo`))", "Query(`b`, `x y`)", "Header(`X-Multi`, `a`)", "Header(`X-Multi`, `a, b`)",
    "Path(`/bar`)", "Path(`/foo/`)", "PathPrefix(`/foo/`)", "Path(`/foo%2F`)", "Path(`/a%2F..%2Fb`)", "Path(`/b`)",
    "Host(`sub.example.com`)", "HostRegexp(`^sub\\.`)", "Host(`*.com`)", "PathRegexp(`^/api/[0-9]+$`) && Method(`PATCH`)",
    "Query(`A`, `1`)", "Path(`/`)", "PathPrefix(`/`)",
]
v2rules = ["Host(`example.com`, `other.org`)", "HostRegexp(`{sub:[a-z]+}.example.com`)", "Path(`/api/{id:[0-9]+}`)",
           "PathPrefix(`/{x}`)", "Method(`GET`, `POST`)", "Headers(`X-Foo`, `bar`)", "HeadersRegexp(`X-Foo`, `^b`)",
           "Query(`a=1`)", "Query(`a=`)", "Query(`a={v:[0-9]+}`)", "ClientIP(`127.0.0.1`, `10.0.0.1`)", "Host(`example.com.`)"]
def rq(method="GET", host="example.com", path="/", query="", headers=()):
    return {"method": method, "host": host, "path": path, "query": query, "headers": [list(h) for h in headers]}
requests = [
    rq(), rq(host="EXAMPLE.COM"), rq(host="example.com:8080"), rq(host="example.com."), rq(host="a.example.com"),
    rq(host="a.b.example.com"), rq(host="other.org"), rq(host="127.0.0.1"), rq(host="[::1]:80"), rq(host=""),
    rq(path="/foo"), rq(path="/foo/bar"), rq(path="/FOO"), rq(path="/foo%20bar"), rq(path="/a%2Fb"), rq(path="/a%2fb"),
    rq(path="/a/b"), rq(path="/api/v2"), rq(path="/api/v2x"), rq(path="/api/42"), rq(path="/x1"), rq(method="POST"),
    rq(method="post"), rq(headers=[("X-Foo", "bar")]), rq(headers=[("x-foo", "baz")]), rq(headers=[("X-Foo", "qux")]),
    rq(query="a"), rq(query="a="), rq(query="a=1"), rq(query="a=1&a=2"), rq(query="a=x"), rq(query="b=x+y"),
    rq(query="b=x%20y"), rq(query="a=1;b=2"), rq(headers=[("X-Multi", "a"), ("X-Multi", "b")]),
    rq(headers=[("X-Multi", "a, b")]), rq(host="a.example.com", path="/foo"), rq(method="POST", host="other.org"),
    rq(path="/foo/../bar"), rq(path="/x/../foo"), rq(path="//foo"), rq(path="/./foo"), rq(path="/%66oo"), rq(path="/%2e%2e/foo"),
    rq(path="/foo/"), rq(path="/foo%2F"), rq(path="/a%2F..%2Fb"), rq(host="Sub.Example.com"), rq(host="example.com.:80"),
    rq(host="xexample.com"), rq(query="a=%31"), rq(query="A=1"), rq(query="a=1&b=x+y"), rq(headers=[("X-FOO", "bar"), ("X-Foo", "zzz")]),
    rq(method="PATCH", path="/api/7"),
]
cases = {"rules": [{"rule": r, "syntax": ""} for r in rules] + [{"rule": r, "syntax": "v2"} for r in v2rules],
         "requests": requests}
print(json.dumps(cases))
