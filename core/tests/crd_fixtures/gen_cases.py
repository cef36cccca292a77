#!/usr/bin/env python3
"""Port Traefik's CRD-provider test tables to JSON.

Reads `pkg/provider/kubernetes/crd/kubernetes_test.go` of traefik/traefik (v3.7
line) and writes `cases.json`: for every table-driven test case of the selected
test functions, its description, fixture paths, provider options and the
expected `dynamic.Configuration` as JSON with Go field names (durations in Go's
`Duration.String()` form). `core/tests/crd_traefik_fixtures.rs` runs them.

    python3 gen_cases.py path/to/kubernetes_test.go > cases.json

The fixture YAML files under `traefik/` are copied unchanged from
`pkg/provider/kubernetes/crd/fixtures/` (MIT licence, Traefik Labs).
"""
import json
import re
import sys

# test function -> how the test builds its Provider from the case fields
FUNCS = {
    "TestLoadIngressRouteTCPs": {"allowCrossNamespace": True, "allowExternalNameServices": True},
    "TestLoadIngressRoutes": {"allowExternalNameServices": True},
    "TestLoadIngressRouteUDPs": {"allowCrossNamespace": True, "allowExternalNameServices": True},
    "TestCrossNamespace": {"namespaces": ["default", "cross-ns"]},
    "TestExternalNameService": {"namespaces": ["default", "cross-ns"]},
    "TestNativeLB": {"namespaces": ["default", "cross-ns"]},
    "TestNodePortLB": {"namespaces": ["default", "cross-ns"]},
    "TestGlobalNativeLB": {"namespaces": ["default", "cross-ns"]},
}
FIELD_TO_OPTION = {
    "ingressClass": "ingressClass",
    "allowCrossNamespace": "allowCrossNamespace",
    "allowEmptyServices": "allowEmptyServices",
    "crossProviderNamespaces": "crossProviderNamespaces",
    "allowExternalNameService": "allowExternalNameServices",
    "disableClusterScope": "disableClusterScopeResources",
    "NativeLBByDefault": "nativeLBByDefault",
}

NS = {"Nanosecond": 1, "Microsecond": 1000, "Millisecond": 10**6, "Second": 10**9,
      "Minute": 60 * 10**9, "Hour": 3600 * 10**9}
CONSTS = {
    "dynamic.BalancerStrategyWRR": "wrr",
    "dynamic.BalancerStrategyP2C": "p2c",
    "dynamic.BalancerStrategyHRW": "hrw",
    "dynamic.BalancerStrategyLeastTime": "leasttime",
    "dynamic.DefaultFlushInterval": ("dur", 100 * 10**6),
    "corev1.ServiceTypeExternalName": "ExternalName",
    "tls.SANURIType": "URI",
    "tls.SANDNSNameType": "DNSName",
}
LIST_TYPES = {"dynamic.Users", "tls.Certificates"}
# ptypes.Duration fields: untyped integer constants assigned to them are nanoseconds.
DUR_FIELDS = {"Timeout", "Interval", "UnhealthyInterval", "DialTimeout", "IdleConnTimeout", "PingTimeout",
              "ReadIdleTimeout", "ResponseHeaderTimeout", "DialKeepAlive", "TerminationDelay", "FlushInterval",
              "Period", "CheckPeriod", "FallbackDuration", "RecoveryDuration", "InitialInterval", "ReadTimeout",
              "WriteTimeout", "FailureWindow"}

TOKEN = re.compile(r'''
  (?P<ws>\s+|//[^\n]*|/\*.*?\*/)
 |(?P<raw>`[^`]*`)
 |(?P<str>"(?:\\.|[^"\\])*")
 |(?P<num>\d+(?:\.\d+)?)
 |(?P<id>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
 |(?P<p>[{}\[\]():,&*+\-/.])
''', re.S | re.X)


def tokenize(text):
    out = []
    for m in TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "ws":
            continue
        v = m.group(kind)
        if kind == "raw":
            out.append(("str", v[1:-1]))
        elif kind == "str":
            out.append(("str", json.loads(v)))
        elif kind == "num":
            out.append(("num", float(v) if "." in v else int(v)))
        else:
            out.append((kind, v))
    return out


def go_duration(d):
    if d == 0:
        return "0s"
    neg = d < 0
    u = abs(d)

    def frac(v, prec):
        ip, fp = divmod(v, 10**prec)
        s = str(ip)
        if fp:
            s += "." + str(fp).rjust(prec, "0").rstrip("0")
        return s

    if u < 10**9:
        if u < 1000:
            s = f"{u}ns"
        elif u < 10**6:
            s = frac(u, 3) + "µs"
        else:
            s = frac(u, 6) + "ms"
    else:
        secs_ns = u % (60 * 10**9)
        s = frac(secs_ns, 9) + "s"
        mins = u // (60 * 10**9)
        if mins:
            s = f"{mins % 60}m" + s
            hours = mins // 60
            if hours:
                s = f"{hours}h" + s
    return ("-" if neg else "") + s


class Dur:
    def __init__(self, ns):
        self.ns = ns


class P:
    def __init__(self, toks):
        self.t = toks
        self.i = 0

    def peek(self, k=0):
        return self.t[self.i + k] if self.i + k < len(self.t) else (None, None)

    def next(self):
        tok = self.t[self.i]
        self.i += 1
        return tok

    def expect(self, v):
        tok = self.next()
        if tok[1] != v:
            raise SyntaxError(f"expected {v!r}, got {tok!r} at {self.i}: {self.t[self.i-5:self.i+5]}")
        return tok

    def skip_type(self):
        """Skip a Go type expression; return its text."""
        parts = []
        while True:
            k, v = self.peek()
            if v == "*":
                self.next(); parts.append("*"); continue
            if v == "[":
                self.next(); self.expect("]"); parts.append("[]"); continue
            if v == "map":
                self.next(); self.expect("["); kt = self.skip_type(); self.expect("]")
                parts.append(f"map[{kt}]"); continue
            if k == "id":
                self.next(); parts.append(v)
                return "".join(parts)
            raise SyntaxError(f"bad type at {self.peek()}")

    def value(self):
        return self.expr()

    def expr(self):
        left = self.term()
        while self.peek()[1] in ("*", "+", "-", "/"):
            op = self.next()[1]
            right = self.term()
            left = arith(left, op, right)
        return left

    def term(self):
        k, v = self.peek()
        if v == "&":
            self.next()
            return self.term()
        if v == "-":
            self.next()
            x = self.term()
            return Dur(-x.ns) if isinstance(x, Dur) else -x
        if v == "(":
            self.next(); x = self.expr(); self.expect(")"); return x
        if v == "{":
            return self.body(None)
        if v == "[" or v == "map":
            t = self.skip_type()
            return self.body(t)
        if k == "str":
            self.next(); return v
        if k == "num":
            self.next(); return v
        if k == "id":
            if v in ("true", "false"):
                self.next(); return v == "true"
            if v == "nil":
                self.next(); return None
            if v == "func":
                # func(i int) *int { return &i }(1)
                self.next(); self.expect("(")
                depth = 1
                while depth:
                    x = self.next()[1]
                    depth += {"(": 1, ")": -1}.get(x, 0)
                self.skip_type()
                self.expect("{")
                depth = 1
                while depth:
                    x = self.next()[1]
                    depth += {"{": 1, "}": -1}.get(x, 0)
                self.expect("(")
                arg = self.expr()
                self.expect(")")
                return arg
            self.next()
            if v.startswith("time.") and v[5:] in NS:
                return Dur(NS[v[5:]])
            if v in CONSTS:
                c = CONSTS[v]
                return Dur(c[1]) if isinstance(c, tuple) else c
            nk, nv = self.peek()
            if nv == "{":
                return self.body(v)
            if nv == "(":
                self.next()
                args = []
                while self.peek()[1] != ")":
                    args.append(self.expr())
                    if self.peek()[1] == ",":
                        self.next()
                self.expect(")")
                if v in ("ptypes.Duration", "time.Duration"):
                    a = args[0]
                    return Dur(a.ns if isinstance(a, Dur) else a)
                if len(args) == 1:
                    return args[0]
                raise SyntaxError(f"call {v} with {len(args)} args")
            raise SyntaxError(f"unknown identifier {v}")
        raise SyntaxError(f"unexpected {self.peek()} at {self.i}")

    def body(self, typ):
        self.expect("{")
        is_list = typ is not None and (typ.startswith("[]") or typ in LIST_TYPES)
        is_map = typ is not None and typ.startswith("map[") or typ == "dynamic.PluginConf"
        items, obj = [], {}
        while self.peek()[1] != "}":
            k, v = self.peek()
            k2, v2 = self.peek(1)
            if not is_list and v2 == ":":
                if k == "id" and not is_map:
                    self.next(); self.next()
                    val = self.value()
                    if v in DUR_FIELDS and isinstance(val, int) and not isinstance(val, bool) \
                            and typ != "dynamic.TCPServersLoadBalancer":
                        val = Dur(val)
                    obj[v] = val
                else:
                    key = self.value()
                    self.expect(":")
                    obj[str(key)] = self.value()
            else:
                items.append(self.value())
            if self.peek()[1] == ",":
                self.next()
        self.expect("}")
        if is_list or (items and not obj):
            return items
        if isinstance(obj.get("Certificate"), dict) and "CertFile" in obj["Certificate"]:
            cert = obj.pop("Certificate") or {}
            obj.update(cert)
        return obj


def arith(a, op, b):
    av = a.ns if isinstance(a, Dur) else a
    bv = b.ns if isinstance(b, Dur) else b
    r = {"*": lambda: av * bv, "+": lambda: av + bv, "-": lambda: av - bv, "/": lambda: av // bv}[op]()
    return Dur(r) if isinstance(a, Dur) or isinstance(b, Dur) else r


def jsonable(v):
    if isinstance(v, Dur):
        return go_duration(v.ns)
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    return v


def main():
    src = open(sys.argv[1], encoding="utf-8").read()
    cases = []
    for func, fixed in FUNCS.items():
        start = src.index(f"func {func}(t *testing.T)")
        end = src.find("\nfunc ", start + 10)
        block = src[start:end]
        tc = block.index("testCases := []struct")
        body_start = block.index("}{", tc) + 1
        toks = tokenize(block[body_start:])
        p = P(toks)
        table = p.body("[]case")
        for i, case in enumerate(table):
            if case.get("expected") is None:
                continue
            opts = dict(fixed)
            for field, opt in FIELD_TO_OPTION.items():
                if field in case and case[field] not in (None, False, ""):
                    opts[opt] = case[field]
                elif field == "crossProviderNamespaces" and field in case:
                    opts[opt] = case[field]
            cases.append({
                "test": func,
                "index": i,
                "desc": case.get("desc", ""),
                "paths": case.get("paths") or [],
                "options": opts,
                "expected": jsonable(case["expected"]),
            })
    json.dump(cases, sys.stdout, indent=1, ensure_ascii=False)
    print(f"{len(cases)} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
