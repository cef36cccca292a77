#!/usr/bin/env python3
"""Drives the project's Consul KV double with PyPI py-consul (a real, independent Consul
client) and asserts that every answer is what py-consul expects from a real Consul.

Usage: consul_double_fidelity.py PLAIN_ADDR ACL_ADDR TOKEN
  PLAIN_ADDR  host:port of a double without ACLs (empty store)
  ACL_ADDR    host:port of a double with ACLs, holding traefik/a = "1" and secret/x;
              TOKEN may read traefik/ and write traefik-staging/ only
Prints one line per check; exits 1 on the first mismatch.
"""

import base64
import sys
import threading
import time

import consul


def check(name, got, want):
    if got != want:
        print(f"FAIL {name}: got {got!r}, want {want!r}")
        sys.exit(1)
    print(f"ok   {name}")


def expect_raises(name, exception, fn):
    try:
        fn()
    except exception as e:  # noqa: PERF203
        print(f"ok   {name}: {type(e).__name__}: {str(e)[:120]}")
        return str(e)
    print(f"FAIL {name}: no {exception.__name__} raised")
    sys.exit(1)


def main():
    plain_addr, acl_addr, token = sys.argv[1:4]
    host, port = plain_addr.rsplit(":", 1)
    c = consul.Consul(host=host, port=int(port))

    # put / get, flags, raw bytes
    check("put", c.kv.put("traefik/http/routers/a/rule", "Host(`a.test`)"), True)
    index, entry = c.kv.get("traefik/http/routers/a/rule")
    check("get value", entry["Value"], b"Host(`a.test`)")
    check("get index is the entry's ModifyIndex", int(index), entry["ModifyIndex"])
    check("put flags", c.kv.put("traefik/f", "v", flags=42), True)
    check("flags", c.kv.get("traefik/f")[1]["Flags"], 42)
    check("missing key", c.kv.get("traefik/missing")[1], None)

    # cas success and failure
    modify = entry["ModifyIndex"]
    check("cas=0 on existing key", c.kv.put("traefik/http/routers/a/rule", "x", cas=0), False)
    check("cas stale", c.kv.put("traefik/http/routers/a/rule", "x", cas=modify + 100), False)
    check("cas current", c.kv.put("traefik/http/routers/a/rule", "Host(`b.test`)", cas=modify), True)
    check("cas=0 on new key", c.kv.put("traefik/new", "n", cas=0), True)
    check("value after cas", c.kv.get("traefik/http/routers/a/rule")[1]["Value"], b"Host(`b.test`)")

    # keys with separator, recurse
    c.kv.put("traefik/http/services/s/loadBalancer/servers/0/url", "http://10.0.0.1")
    _, keys = c.kv.get("traefik/", keys=True, separator="/")
    check("keys with separator", keys, ["traefik/f", "traefik/http/", "traefik/new"])
    _, items = c.kv.get("traefik/http/", recurse=True)
    check("recurse keys", [i["Key"] for i in items], [
        "traefik/http/routers/a/rule",
        "traefik/http/services/s/loadBalancer/servers/0/url",
    ])

    # blocking get with index: returns when another client writes
    index, _ = c.kv.get("traefik/", recurse=True)
    other = consul.Consul(host=host, port=int(port))
    timer = threading.Timer(0.3, lambda: other.kv.put("traefik/wake", "1"))
    timer.start()
    started = time.monotonic()
    new_index, items = c.kv.get("traefik/", recurse=True, index=index, wait="10s")
    elapsed = time.monotonic() - started
    timer.join()
    check("blocking get woke early", elapsed < 3, True)
    check("blocking get index moved", int(new_index) > int(index), True)
    check("blocking get sees the write", "traefik/wake" in [i["Key"] for i in items], True)
    started = time.monotonic()
    same_index, _ = c.kv.get("traefik/", recurse=True, index=new_index, wait="500ms")
    elapsed = time.monotonic() - started
    check("blocking get times out with the same index", same_index, new_index)
    check("blocking get waited", 0.45 < elapsed < 3, True)

    # delete, delete cas, delete recurse
    modify = c.kv.get("traefik/new")[1]["ModifyIndex"]
    check("delete cas stale", c.kv.delete("traefik/new", cas=modify + 100), False)
    check("delete cas", c.kv.delete("traefik/new", cas=modify), True)
    check("deleted", c.kv.get("traefik/new")[1], None)
    check("delete recurse", c.kv.delete("traefik/http/", recurse=True), True)
    check("recurse gone", c.kv.get("traefik/http/", recurse=True)[1], None)

    # txn: success
    b64 = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
    result = c.txn.put([
        {"KV": {"Verb": "set", "Key": "live/a", "Value": b64("1")}},
        {"KV": {"Verb": "cas", "Key": "live/b", "Value": b64("2"), "Index": 0}},
        {"KV": {"Verb": "get", "Key": "traefik/f"}},
    ])
    check("txn errors", result["Errors"], None)
    check("txn result keys", [r["KV"]["Key"] for r in result["Results"]], ["live/a", "live/b", "traefik/f"])
    check("txn set result has no value", result["Results"][0]["KV"]["Value"], None)
    check("txn get value", base64.b64decode(result["Results"][2]["KV"]["Value"]), b"v")
    check("txn applied", c.kv.get("live/b")[1]["Value"], b"2")
    live_a = c.kv.get("live/a")[1]["ModifyIndex"]

    # txn: a failing check-index rolls back everything (409, py-consul raises ClientError)
    text = expect_raises("txn check-index failure", consul.ConsulException, lambda: c.txn.put([
        {"KV": {"Verb": "set", "Key": "live/c", "Value": b64("3")}},
        {"KV": {"Verb": "check-index", "Key": "live/a", "Index": live_a + 7}},
    ]))
    check("txn 409", text.startswith("409 "), True)
    check("txn error text",
          f'"OpIndex":1,"What":"failed index check for key \\"live/a\\", current modify index {live_a} != {live_a + 7}"' in text,
          True)
    check("txn rolled back", c.kv.get("live/c")[1], None)
    too_many = [{"KV": {"Verb": "set", "Key": f"k/{i}", "Value": b64("x")}} for i in range(129)]
    text = expect_raises("txn too many ops", consul.ConsulException, lambda: c.txn.put(too_many))
    check("txn too many text", "Transaction contains too many operations (129 > 128)" in text, True)

    # ACLs: token read-only on traefik/, write on traefik-staging/
    host, port = acl_addr.rsplit(":", 1)
    a = consul.Consul(host=host, port=int(port), token=token)
    check("acl read", a.kv.get("traefik/a")[1]["Value"], b"1")
    text = expect_raises("acl write forbidden", consul.ACLPermissionDenied, lambda: a.kv.put("traefik/a", "2"))
    check("acl text", "lacks permission 'key:write' on \"traefik/a\"" in text, True)
    check("acl write allowed", a.kv.put("traefik-staging/a", "2"), True)
    check("acl recurse filtered", [i["Key"] for i in a.kv.get("", recurse=True)[1]], ["traefik-staging/a", "traefik/a"])
    anonymous = consul.Consul(host=host, port=int(port))
    expect_raises("anonymous forbidden", consul.ACLPermissionDenied, lambda: anonymous.kv.get("traefik/a"))
    unknown = consul.Consul(host=host, port=int(port), token="not-a-token")
    text = expect_raises("unknown token", consul.ACLPermissionDenied, lambda: unknown.kv.get("traefik/a"))
    check("unknown token text", text, "ACL not found")
    print("all checks passed")


if __name__ == "__main__":
    main()
