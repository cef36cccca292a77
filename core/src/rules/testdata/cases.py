#!/usr/bin/env python3
"""The rule corpus: writes cases.json (input for probe_traefik.py).

Run: python3 cases.py > /tmp/cases.json && python3 probe_traefik.py /tmp/cases.json traefik_rules.json
"""
import json

B = "`"
def bt(s): return B + s + B

http_v3 = [
    # accepted basics
    "Host(`example.com`)", "host(`example.com`)", "HOST(`example.com`)", "Host(`a`) && Path(`/`)",
    "Host(`a.example.com`) || Host(`b.example.com`)", "Host(`*.example.com`)", "Host(`*`)", "Host(`example.com.`)",
    "Host(`EXAMPLE.com`)", "Host(`127.0.0.1`)", "Host(`[::1]`)", "Host(\"example.com\")", "Host(\"a\\tb\")",
    "Host(\"\\u00e9\")", "Host(`é.com`)", "HostRegexp(`^[a-z]+\\.example\\.com$`)", "HostRegexp(`é`)",
    "HostRegexp(`(`)", "hostregexp(`.*`)", "Hostregexp(`.*`)", "HostRegExp(`.*`)", "hostRegexp(`x`)",
    "Path(`/foo`)", "Path(`foo`)", "PathPrefix(`/api`)", "PathPrefix(`api`)", "Pathprefix(`/a`)", "pathPrefix(`/a`)",
    "PATHPREFIX(`/a`)", "PathRegexp(`^/api/v[0-9]+`)", "PathRegexp(`[`)", "PathRegexp(`api`)", "Method(`GET`)",
    "Method(`get`)", "Method(`GET`, `POST`)", "Method()", "Header(`X-Foo`, `bar`)", "Header(`x-foo`)",
    "Header(`X`, `a`, `b`)", "HeaderRegexp(`X-Foo`, `^b.*`)", "HeaderRegexp(`X-Foo`, `(`)", "Query(`a`)",
    "Query(`a`, `b`)", "Query(`a`, `b`, `c`)", "QueryRegexp(`a`)", "QueryRegexp(`a`, `^b$`)", "QueryRegexp(`a`, `[`)",
    "ClientIP(`10.0.0.0/8`)", "ClientIP(`::1`)", "ClientIP(`10.0.0.1`)", "ClientIP(`foo`)", "ClientIP(`10.0.0.0/33`)",
    "ClientIP(`10.0.0.1`, `10.0.0.2`)", "ClientIP(`01.2.3.4`)", "ClientIP(`fe80::1%eth0`)", "Clientip(`1.2.3.4`)",
    "!Host(`a`)", "!!Host(`a`)", "!(Host(`a`) || Path(`/b`))", "Host(`a`) && !Path(`/b`)", "(Host(`a`))",
    "((Host(`a`)) && (Path(`/`)))", "Host(`a`) && Path(`/a`) || Path(`/b`)", "Host(`a`) || Path(`/a`) && Path(`/b`)",
    # errors: Go syntax
    "Host(`a`", "Host(`a`))", "Host(`a)", "Host('ab')", "Host('a')", "Host(\"a)", "Host(\"\\.\")", "Host(\"\\q\")",
    "Host(`a`) # x", "Host(`a`) && ", "&& Host(`a`)", "Host(`a`) and Path(`/`)", "Host(`a`) & Path(`/`)",
    "Host(`a`) | Path(`/`)", "Host(`a`) == Path(`/`)", "Host(`a`) = Path(`/`)", "Host(`a`); Path(`/`)",
    "Host(`a`) Path(`/`)", "Host(a)", "Host(example.com)", "Host(`a`, )", "Host(`a`,)", "Host(,`a`)", "Host()",
    "Host(``)", "Host(`a`, ``)", "Host(``, `a`)", "Host(1)", "Host(1.5)", "Host(0x1)", "Host(1e999)",
    "Host(99999999999999999999)", "Host(1i)", "Host(`a`...)", "Host(`a` + `b`)", "Host(-1)", "Host(!`a`)",
    "Host((`a`))", "Host(Path(`/`))", "Host(x.y)", "a.Host(`a`)", "a.b.Host(`a`)", "(Host)(`a`)", "Host(`a`)[0]",
    "Host(`a`).x", "Host(`a`)(`b`)", "\"abc\"", "`abc`", "42", "Host", "Host(`a`) && \"x\"", "\"x\" || Host(`a`)",
    "!\"x\"", "-Host(`a`)", "^Host(`a`)", "*Host(`a`)", "<-Host(`a`)", "Host(`a`) /* c */", "/* c */ Host(`a`)",
    "Host(`a`) // c", "Host(`a`) /* unterminated", "Host(`a`) &&& Path(`/`)", "Foo(`a`)", "Headers(`a`, `b`)",
    "HostHeader(`a`)", "Host(`a`) || Foo(`b`)", "Host(`a`) && Path(`b`)", "Path(`b`) && Host(`a`)",
    "Path(`b`) || Host(`a`)", "!Path(`b`)", "Host(`a`) && (Path(`/`) || Method())",
    "Host(`a`) && (Path(`/`) || Path(`x`))", "(Path(`x`) || Path(`/`)) && Host(`a`)", "Host{`a`}", "Host[`a`]",
    "func(){}", "[]string{`a`}", "Host(`a`) ? 1 : 2", "if", "Host(`a`) if", "Host(`\x00`)", "Host(`a`)\x00",
    "Host(\"\\x41\")", "Host(\"\\xff\")", "Host(\"\\400\")", "Host(\"\\uD800\")", "Host(\"\\U00110000\")",
    "Host(\"\\u12\")", "Host(`a`) || ", "", " ", "Host (`a`)", "Host( `a` )", "\tHost(`a`)",
    "Host(`a`) && Path(`/`) && Method(`GET`) && Header(`X`, `y`)", "Host(`a`, `b`)",
    "Host(`a`) || Host(`b`) || Host(`c`) || Host(`d`)", "HostRegexp(`{sub:[a-z]+}.example.com`)",
    "PathPrefix(`/{id}`)", "Path(`/api/{id:[0-9]+}`)", "HostRegexp(`^(?i)EXAMPLE\\.com$`)",
    "PathRegexp(`\\p{Old_Italic}`)", "PathRegexp(`a{1001}`)", "PathRegexp(`(?x)a`)", "PathRegexp(`\\Z`)",
    "PathRegexp(`\\<`)", "HeaderRegexp(`X`, `\\d+`)", "QueryRegexp(`a`, `a**`)", "HostRegexp(`[[a]`)",
    "Host(`a`)\n", "Host(`a`)\n && Path(`/`)", "Host(`a`) &&\n Path(`/`)", "Host(`a`\n)", "Host(`a`,\n`b`\n)",
    "Host(\n`a`)", "Host(`a`) // c\n && Path(`/`)", "Host(`a` // c\n)", "Host(`a`) /* x\n */ && Path(`/`)",
    "Host(`a`) /* x */ && Path(`/`)", "Host(`a`)\n\n", "\nHost(`a`)", "Host(`a`)\r\n", "Host(`a\nb`)",
    "Host(\"a\nb\")", "Host('\n')", "Host(`a`) &&\nFoo(`b`)", "Host(`a`\n, `b`)", "Foo(\n)\nBar(\n)",
    "Host(`a`) && Path(`/`) &&\n Method(`GET`)\n", "Host(`a`)\n\n&& x",
    "Host(`a`) +\n 1 +\n 2 +\n 3", "Host(`a`) ) ) ) \n ) ) \n ) ) ) \n )",
    "Host(`a`) && Path(`/`) || !Header(`X-A`, `1`) && Query(`q`)",
]

tcp_v3 = [
    ("HostSNI(`*`)", False), ("HostSNI(`*`)", True), ("hostsni(`*`)", False), ("HOSTSNI(`*`)", False),
    ("Hostsni(`*`)", False), ("HostSni(`*`)", False), ("!HostSNI(`*`)", False), ("HostSNI(`*`,)", False),
    ("(HostSNI(`*`))", False), ("HostSNI(\"*\")", False), ("HostSNI(`example.com`)", False),
    ("HostSNI(`example.com`)", True), ("HostSNI(`*.example.com`)", True), ("HostSNI(`EXAMPLE.com.`)", True),
    ("HostSNI(`é.com`)", True), ("HostSNI(`a b`)", True), ("HostSNI(`*`) || HostSNI(`a`)", False),
    ("HostSNI(`a`) || HostSNI(`*`)", False), ("!HostSNI(`a`)", False), ("HostSNI(`a`, `b`)", True),
    ("HostSNI()", True), ("HostSNI(``)", True), ("HostSNIRegexp(`^.+\\.example\\.com$`)", True),
    ("HostSNIRegexp(`(`)", True), ("HostSNIRegexp(`é`)", True), ("HostSNIRegexp(`{sub}.example.com`)", True),
    ("ClientIP(`10.0.0.0/8`)", False), ("ClientIP(`foo`)", False), ("ClientIP(`1.2.3.4`, `5.6.7.8`)", False),
    ("ALPN(`h2`)", True), ("ALPN(`acme-tls/1`)", True), ("ALPN(`h2`, `http/1.1`)", True), ("alpn(`h2`)", True),
    ("Alpn(`h2`)", True), ("Host(`a`)", False), ("Host(`a`)", True), ("Path(`/`)", True),
    ("HostSNI(`a`) && Host(`b`)", True), ("HostSNI(`a`", True), ("HostSNI('a')", True), ("\"abc\"", False),
    ("", False), ("HostSNI(`a`) && HostSNI()", True), ("HostSNI(`a`) && ClientIP(`x`)", True),
    ("ClientIP(`x`) && HostSNI(`a`)", True), ("HostSNI(`a`) && ClientIP(`1.2.3.4`)", False),
    ("HostSNI(`*`) && ClientIP(`1.2.3.4`)", False), ("HostSNI(`*`) && ClientIP(`1.2.3.4/33`)", False),
    ("ClientIP(`1.2.3.4`) || HostSNI(`a`)", False), ("HostSNI(`a`) && ALPN(`h2`)", True),
    ("HostSNI(`a.`)", True), ("HostSNI(`*.`)", True), ("HostSNI(`*.*.a`)", True), ("HostSNI(`a:b`)", True),
    ("HostSNI(`a_b`)", True), ("HostSNI(`a`)\n", True), ("HostSNI(`a`) // c", True), ("hostSNI(`a`)", True),
    ("HostSNIRegexp(`.*`)", False), ("HostSNI(1)", True), ("HostSNI(`a`) || HostSNIRegexp(`[`)", True),
    ("!!HostSNI(`a`)", False), ("!HostSNI(`a`) && HostSNI(`b`)", False), ("HostSNI(`b`) && !HostSNI(`a`)", False),
    ("!(HostSNI(`a`) || HostSNI(`b`))", False), ("!HostSNI(`a`) || ClientIP(`1.2.3.4`)", False),
    ("ClientIP(`1.2.3.4`) && !HostSNI(`a`)", False), ("!ClientIP(`1.2.3.4`)", False), ("!HostSNIRegexp(`a`)", False),
]

http_v2 = [
    "Host(`example.com`)", "Host(`a`, `b`)", "HostHeader(`a`)", "Host(`é`)", "Host(`A.COM`)",
    "HostRegexp(`{sub:[a-z]+}.example.com`)", "HostRegexp(`{sub}.example.com`)", "HostRegexp(`example.com`, `{x}.org`)",
    "HostRegexp(`{:x}.example.com`)", "HostRegexp(`{x:}.example.com`)", "HostRegexp(`{x.example.com`)",
    "HostRegexp(`{x:(}.example.com`)", "HostRegexp(`é`)", "Path(`/foo`)", "Path(`foo`)", "Path(`/a`, `/b`)",
    "Path(`/api/{id:[0-9]+}`)", "Path(`/api/{id}`)", "Path(`/{a}/{a}`)", "Path(`/{a`)", "PathPrefix(`/api`)",
    "PathPrefix(`api`)", "PathPrefix(`/{x:[`)", "Method(`GET`, `post`)", "Method(`GET`)", "Headers(`X`, `a`)",
    "Headers(`X`)", "Headers(`X`, `a`, `Y`)", "HeadersRegexp(`X`, `^a`)", "HeadersRegexp(`X`, `(`)",
    "HeadersRegexp(`X`)", "Query(`a=b`)", "Query(`a`)", "Query(`a=`)", "Query(`a=b`, `c=d`)", "Query(`a={x}`, `b={x}`)",
    "Query(`a={x:(}`)", "Query(`a=b=c`)", "ClientIP(`10.0.0.0/8`, `::1`)", "ClientIP(`foo`)", "ClientIP(`1.2.3.4`, `bar`)",
    "Header(`X`, `a`)", "HeaderRegexp(`X`, `a`)", "PathRegexp(`/a`)", "QueryRegexp(`a`, `b`)",
    "Host(`a`) && Path(`/b`)", "Host(`a`) && Path(`b`)", "!Host(`a`)", "host(`a`)", "headers(`X`, `a`)",
    "HEADERSREGEXP(`X`, `a`)", "Headersregexp(`X`, `a`)", "Host()", "Host(`a`,`b`,)",
]

tcp_v2 = [
    ("HostSNI(`a`, `b`)", True), ("HostSNI(`*`)", False), ("HostSNI(`*.a`)", True), ("HostSNI(`A.com`)", True),
    ("HostSNIRegexp(`{sub:[a-z]+}.example.com`)", True), ("HostSNIRegexp(`{sub.example.com`)", True),
    ("HostSNIRegexp(`{:x}.a`)", True), ("HostSNIRegexp(`{x:(}.a`)", True), ("ALPN(`h2`, `acme-tls/1`)", True),
    ("ALPN(`h2`, `h3`)", True), ("ClientIP(`1.2.3.4`, `foo`)", False), ("ClientIP(`1.2.3.4`, `::1`)", False),
]

cases = []
for r in http_v3:
    cases.append({"kind": "http", "syntax": "", "rule": r})
for r, tls in tcp_v3:
    cases.append({"kind": "tcp", "syntax": "", "rule": r, "tls": tls})
for r in http_v2:
    cases.append({"kind": "http", "syntax": "v2", "rule": r})
for r, tls in tcp_v2:
    cases.append({"kind": "tcp", "syntax": "v2", "rule": r, "tls": tls})
# ruleSyntax spellings and TLS HTTP routers (both TLS manager and muxer errors)
for syn in ["V2", "v3", "default", "bogus"]:
    cases.append({"kind": "http", "syntax": syn, "rule": "Headers(`X`, `a`)"})
for r in ["Host(`a`", "Headers(`X`, `a`)", "Foo(`a`)", "\"abc\"", "Path(`x`)"]:
    cases.append({"kind": "http", "syntax": "", "rule": r, "tls": True})
# priorities
cases.append({"kind": "http", "syntax": "", "rule": "Host(`p.example`)", "priority": 9223372036854774807})
cases.append({"kind": "http", "syntax": "", "rule": "Host(`p.example`)", "priority": 9223372036854774808})
cases.append({"kind": "http", "syntax": "", "rule": "Host(`p.example`)", "priority": -5})
cases.append({"kind": "tcp", "syntax": "", "rule": "HostSNI(`*`)", "priority": 9223372036854775807})
print(json.dumps(cases, indent=0))
