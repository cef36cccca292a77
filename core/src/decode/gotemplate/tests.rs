//! Renderer output compared with what Traefik 3.7.15 logged (`providers.file.debugLogGeneratedTemplate`).

use super::*;

/// (template, Traefik's rendering)
const TRAEFIK_RENDERED: &[(&str, &str)] = &[
    (
        r####"# {{ list 1 "a" true 2.5 nil }} {{ dict "b" 2 "a" (list 1 2) }} {{ until 3 }} {{ seq 3 }} {{ seq 5 -2 1 }}
"####,
        r####"# [1 a true 2.5 <nil>] map[a:[1 2] b:2] [0 1 2] 1 2 3 5 3 1
"####,
    ),
    (
        r####"# {{ 1000000.0 }} {{ 123456.0 }} {{ 0.0001 }} {{ 0.00001 }} {{ 1.5e3 }} {{ 3 }} {{ 'a' }} {{ 0x1F }} {{ -7 }}
"####,
        r####"# 1e+06 123456 0.0001 1e-05 1500 3 97 31 -7
"####,
    ),
    (
        r####"# {{ $d := dict "x" 1 }}{{ $d.x }} {{ $d.missing }} {{ index $d "missing" }} {{ get $d "missing" }} {{ hasKey $d "x" }} {{ set $d "y" "z" }} {{ $d }}
"####,
        r####"# 1 <no value> <no value>  true map[x:1 y:z] map[x:1 y:z]
"####,
    ),
    (
        r####"# {{ range $i, $e := list "a" "b" "c" }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ $i }}={{ $e }};{{ end }} {{ range $k, $v := dict "z" 1 "a" 2 }}{{ $k }}:{{ $v }},{{ end }} {{ range 3 }}[{{ . }}]{{ end }}
"####,
        r####"# 0=a;2=c; a:2,z:1, [0][1][2]
"####,
    ),
    (
        r####"# {{ print 1 2 "a" "b" 3 nil }} {{ println "x" 1 | trimSuffix "\n" }} {{ printf "%d-%s-%v-%q-%5.2f|%-4s|%04d|%x" 42 "s" (list 1) "q" 3.14159 "ab" 7 255 }} {{ printf "%d" "str" }} {{ printf "%s" }} {{ printf "a" 1 }}
"####,
        r####"# 1 2ab3 <nil> x 1 42-s-[1]-"q"- 3.14|ab  |0007|ff %!d(string=str) %!s(MISSING) a%!(EXTRA int=1)
"####,
    ),
    (
        r####"# {{ "héllo wörld-foo_bar" | title }} {{ upper "abc" }} {{ lower "ÀB" }} {{ trim "  x  " }} {{ trimAll "-" "--a--" }} {{ trimPrefix "a" "abc" }} {{ replace "." "-" "a.b.c" }} {{ repeat 3 "ab" }} {{ quote "a\"b" 1 nil }} {{ squote "x" }}
"####,
        r####"# Héllo Wörld-Foo_bar ABC àb x a bc a-b-c ababab "a\"b" "1" 'x'
"####,
    ),
    (
        r####"# {{ normalize "My App.v2 (beta)!" }} {{ split "a,b,,c" "," }} {{ splitList "/" "x/y" }} {{ join "," (list "a" 1 nil "b") }} {{ "a,b" | split "," }} {{ len (split "a:b:c" ":") }}
"####,
        r####"# My-App-v2-beta [a b  c] [x y] a,1,b [,] 3
"####,
    ),
    (
        r####"# {{ add 1 2 "3" }} {{ add1 9 }} {{ sub 10 3 }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ mod 7 3 }} {{ max 3 9 2 }} {{ min 3 9 2 }} {{ atoi "42" }} {{ int "12" }} {{ int64 3.9 }} {{ float64 "2.5" }} {{ add 1.9 1 }}
"####,
        r####"# 6 10 7 24 3 1 9 2 42 12 3 2.5 2
"####,
    ),
    (
        r####"# {{ default "d" "" }} {{ default "d" "v" }} {{ default "d" nil }} {{ empty 0 }} {{ empty (list) }} {{ coalesce "" 0 "x" }} {{ ternary "y" "n" true }} {{ toString 12 }} {{ and 1 0 2 }} {{ or 0 "" "z" }} {{ not 0 }}
"####,
        r####"# d v d true true x y 12 0 z true
"####,
    ),
    (
        r####"# {{ toJson (dict "a" (list 1 "<b>" true) "n" nil) }} {{ (fromJson "{\"p\": 8080, \"h\": [1.5, 2]}").p }} {{ b64enc "user:pass" }} {{ b64dec "dXNlcjpwYXNz" }} {{ regexMatch "^a.c$" "abc" }} {{ regexReplaceAll "(\\w+)@(\\w+)" "me@host" "${2}_$1" }}
"####,
        r####"# {"a":[1,"\u003cb\u003e",true],"n":null} 8080 dXNlcjpwYXNz user:pass true host_me
"####,
    ),
    (
        r####"# {{ first (list 3 4) }} {{ last (list 3 4) }} {{ append (list 1) 2 }} {{ concat (list 1) (list 2 3) }} {{ keys (dict "k" 1) }} {{ values (dict "k" 1) }} {{ first (list) }} {{ contains "b" "abc" }} {{ hasPrefix "a" "abc" }} {{ hasSuffix "c" "abc" }}
"####,
        r####"# 3 4 [1 2] [1 2 3] [k] [1] <no value> true true true
"####,
    ),
    (
        r####"# {{ eq 1 2 3 1 }} {{ ne "a" "b" }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt "b" "a" }} {{ ge 1 2 }} {{ len "héllo" }} {{ index (list 1 2 3) 1 }} {{ slice (list 1 2 3) 1 }} {{ html "<a href='x'>" }} {{ js "it's <b>" }} {{ urlquery "a b&c" }}
"####,
        r####"# true true true true true false 6 2 [2 3] &lt;a href=&#39;x&#39;&gt; it\'s \u003Cb\u003E a+b%26c
"####,
    ),
    (
        r####"# start
{{- /* comment */ -}}
# {{- " trimmed" }}   
   {{- if false }}
no
{{- else if true }}
# elseif
{{- else }}
# else
{{- end }}
# {{ with $x := "w" }}{{ . }}{{ $x }}{{ end }}{{ with "" }}no{{ else }}empty{{ end }}
# {{ $v := 1 }}{{ if true }}{{ $v = 2 }}{{ end }}{{ $v }} {{ $ }} {{ . }}
"####,
        r####"# start# trimmed
# elseif
# wwempty
# 2 false false
"####,
    ),
    (
        r####"# {{ range $i, $e := until 10 }}{{ if gt $i 3 }}{{ break }}{{ end }}{{ $e }}{{ end }} {{ range list }}x{{ else }}none{{ end }} {{ (list 1 2) | len }} {{ "x" | printf "%s-%s" "y" }} {{ $m := dict "a" (dict "b" "deep") }}{{ $m.a.b }} {{ (dict "q" 5).q }}
"####,
        r####"# 0123 none 2 y-x deep 5
"####,
    ),
    (
        r####"{{- /* name → port; one router + service per entry, in sorted key order */ -}}
{{- $apps := dict "Home Assistant" 18123 "jellyfin" 18096 "paperless-ngx" 18000 -}}
{{- $domain := "home.example.net" }}
http:
  routers:
{{- range $name, $port := $apps }}
  {{- $id := normalize $name | lower }}
    {{ $id }}:
      rule: {{ printf "Host(`%s.%s`)" $id $domain | quote }}
      service: {{ $id }}
      middlewares: [{{ join ", " (list "secure" (default "" (get $apps "unknown"))) | trimSuffix ", " }}]
{{- end }}
  middlewares:
    secure:
      headers:
        stsSeconds: {{ mul 365 24 3600 }}
        customResponseHeaders:
          X-Apps: {{ keys $apps | sortAlpha | join "," | quote }}
  services:
{{- range $name, $port := $apps }}
    {{ normalize $name | lower }}:
      loadBalancer:
        servers:
{{- range $i, $part := split "a,b" "," }}
          - url: "http://127.0.0.1:{{ add $port $i }}"
{{- end }}
{{- end }}
"####,
        r####"
http:
  routers:
    home-assistant:
      rule: "Host(`home-assistant.home.example.net`)"
      service: home-assistant
      middlewares: [secure]
    jellyfin:
      rule: "Host(`jellyfin.home.example.net`)"
      service: jellyfin
      middlewares: [secure]
    paperless-ngx:
      rule: "Host(`paperless-ngx.home.example.net`)"
      service: paperless-ngx
      middlewares: [secure]
  middlewares:
    secure:
      headers:
        stsSeconds: 31536000
        customResponseHeaders:
          X-Apps: "Home Assistant,jellyfin,paperless-ngx"
  services:
    home-assistant:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:18123"
          - url: "http://127.0.0.1:18124"
    jellyfin:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:18096"
          - url: "http://127.0.0.1:18097"
    paperless-ngx:
      loadBalancer:
        servers:
          - url: "http://127.0.0.1:18000"
          - url: "http://127.0.0.1:18001"
"####,
    ),
    (
        r####"{{- $env := "prod" -}}
{{- $replicas := 3 -}}
tcp:
  routers:
    {{- range $i := until 5 }}
    {{- if eq $i 1 }}{{ continue }}{{ end }}
    {{- if ge $i 4 }}{{ break }}{{ end }}
    db-{{ $i }}:
      entryPoints: [web]
      rule: "HostSNI(`db{{ $i }}.home.example.net`)"
      service: {{ if and (eq $env "prod") (lt $i $replicas) }}db{{ else if eq $i 3 }}db-missing{{ else }}db{{ end }}
      tls: {}
    {{- end }}
  services:
    {{- with $x := "db" }}
    {{ $x }}:
      loadBalancer:
        servers:
          {{- range $replicas }}
          - address: "127.0.0.1:{{ add 15432 . }}"
          {{- end }}
    {{- end }}
"####,
        r####"tcp:
  routers:
    db-0:
      entryPoints: [web]
      rule: "HostSNI(`db0.home.example.net`)"
      service: db
      tls: {}
    db-2:
      entryPoints: [web]
      rule: "HostSNI(`db2.home.example.net`)"
      service: db
      tls: {}
    db-3:
      entryPoints: [web]
      rule: "HostSNI(`db3.home.example.net`)"
      service: db-missing
      tls: {}
  services:
    db:
      loadBalancer:
        servers:
          - address: "127.0.0.1:15432"
          - address: "127.0.0.1:15433"
          - address: "127.0.0.1:15434"
"####,
    ),
    (
        r####"# {{ upper "straße" }} {{ lower "İ" }} {{ title "hello wORLD" }} {{ regexMatch "^\\d+$" "١٢" }} {{ regexReplaceAll "[\\w]+\\.(\\d+)" "ab.12 cd.3" "<$1>" }} {{ regexFind "b+" "abbbc" }} {{ regexReplaceAllLiteral "a" "banana" "$1" }}
"####,
        r####"# STRAßE i Hello WORLD false <12> <3> bbb b$1n$1n$1
"####,
    ),
    (
        r####"# {{ $d := dict "a" 1 }}{{ with $d.missing }}x{{ else with $d.a }}got{{ . }}{{ end }} {{ "tab\there" }} {{ `raw\n` }} {{ "\u00e9\x41" }} {{ eq nil nil }} {{ default "dflt" $d.nope }}
"####,
        r####"# got1 tab	here raw\n éA true dflt
"####,
    ),
    (
        r####"# {{ range $k := dict "b" 1 "a" 2 }}{{ $k }}{{ end }} {{ range $i, $c := list "x" "y" }}{{ $ }}{{ $i }}{{ end }} {{ untilStep 0 10 3 }} {{ untilStep 5 0 -2 }} {{ seq 2 5 }} {{ toJson (list 1.5 1e21 0.000001) }} {{ toJson "a&b" }}
"####,
        r####"# 21 false0false1 [0 3 6 9] [5 3 1] 2 3 4 5 [1.5,1e+21,0.000001] "a\u0026b"
"####,
    ),
    (
        r####"# {{ printf "%6.2f|%-6d|%+d|%x|%X|%o|%t|%c|%e|%g" 3.14159 42 5 "hi" 255 8 true 65 1234.5678 0.000012 }} {{ printf "%v %s" (dict "k" (list 1 "a")) (list "x" "y") }} {{ printf "%05.1f" 2.25 }} {{ printf "%q" 65 }}
"####,
        r####"#   3.14|42    |+5|6869|FF|10|true|A|1.234568e+03|1.2e-05 map[k:[1 a]] [x y] 002.2 'A'
"####,
    ),
    (
        r####"# {{ ternary 1 2 false }} {{ coalesce nil "" }} {{ empty (dict) }} {{ int "0x10" }} {{ int "08" }} {{ atoi "-5" }} {{ float64 3 }} {{ add 1 (int64 2) }} {{ len (keys (dict "a" 1)) }} {{ hasKey (dict) "x" }} {{ sub 1 2.5 }} {{ div 7 -2 }} {{ mod -7 3 }}
"####,
        r####"# 2 <no value> true 16 0 -5 3 3 1 false -1 -3 -1
"####,
    ),
    (
        r####"# {{ trimAll "/" "//a/b//" }} {{ trimPrefix "x" "abc" }} {{ replace "" "-" "ab" }} {{ splitList "," "" }} {{ join "-" (splitList "." "a.b.c") }} {{ len (split "" ",") }} {{ nospace " a b " }} {{ cat "a" 1 nil "b" }} {{ indent 2 "x\ny" }} {{ trunc 3 "abcdef" }} {{ substr 1 3 "abcdef" }}
"####,
        r####"# a/b abc -a-b- [] a-b-c 1 ab a 1 b   x
  y abc bc
"####,
    ),
];

#[test]
fn matches_traefik_rendering() {
    let mut bad = Vec::new();
    for (i, (tpl, want)) in TRAEFIK_RENDERED.iter().enumerate() {
        match render(tpl) {
            Ok(got) if got == *want => {}
            other => bad.push(format!("case {i}:\n  want {want:?}\n  got  {other:?}")),
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// (template, Traefik's error after `collecting file configs: <path>: `)
const TRAEFIK_ERRORS: &[(&str, &str)] = &[
    (
        r####"a: 1
{{ foo }}
"####,
        r####"template: :2: function "foo" not defined"####,
    ),
    (
        r####"a: 1
b: {{ }
"####,
        r####"template: :2: unexpected "}" in command"####,
    ),
    (
        r####"a: {{ div 1 0 }}
"####,
        r####"template: :1:6: executing "" at <div 1 0>: error calling div: runtime error: integer divide by zero"####,
    ),
    (
        r####"a: 1
  b: {{ upper 3 }}
"####,
        r####"template: :2:14: executing "" at <3>: expected string; found 3"####,
    ),
    (
        r####"{{ if true }}
a: 1
{{ else }}
"####,
        r####"template: :4: unexpected EOF"####,
    ),
    (
        r####"a: {{ $x }}
"####,
        r####"template: :1: undefined variable "$x""####,
    ),
    (
        r####"a: {{ .Foo }}
"####,
        r####"template: :1:6: executing "" at <.Foo>: can't evaluate field Foo in type bool"####,
    ),
    (
        r####"a: {{ until (add 1 2) }}
"####,
        r####"template: :1:19: executing "" at <2>: wrong type for value; expected int; got int64"####,
    ),
    (
        r####"a: {{ eq 1 "a" }}
"####,
        r####"template: :1:6: executing "" at <eq 1 "a">: error calling eq: incompatible types for comparison: int and string"####,
    ),
    (
        r####"a: {{ index (list 1) 3 }}
"####,
        r####"template: :1:6: executing "" at <index (list 1) 3>: error calling index: index out of range: 3"####,
    ),
    (
        r####"a: {{ end }}
"####,
        r####"template: :1: unexpected {{end}}"####,
    ),
    (
        r####"a: {{ "x
"####,
        r####"template: :1: unterminated quoted string"####,
    ),
    (
        r####"a: {{/* c */ x }}
"####,
        r####"template: :1: comment ends before closing delimiter"####,
    ),
    (
        r####"a: {{ len 3 }}
"####,
        r####"template: :1:6: executing "" at <len 3>: error calling len: len of type int"####,
    ),
    (
        r####"a: {{ 3 4 }}
"####,
        r####"template: :1:6: executing "" at <3>: can't give argument to non-function 3"####,
    ),
    (
        r####"a: {{ slice "abc" 1 }}
"####,
        r####"template: :1:6: executing "" at <slice "abc" 1>: error calling slice: list should be type of slice or array but string"####,
    ),
    (
        r####"a: {{ upper }}
"####,
        r####"template: :1:6: executing "" at <upper>: wrong number of args for upper: want 1 got 0"####,
    ),
    (
        r####"a: {{ fail "boom" }}
"####,
        r####"template: :1:6: executing "" at <fail "boom">: error calling fail: boom"####,
    ),
    (
        r####"a: b
c: {{ range $i, $e := 5 }}x{{ end }}
"####,
        r####"template: :2:22: executing "" at <5>: can't use 5 to iterate over more than one variable"####,
    ),
    (
        r####"a: {{ lt true false }}
"####,
        r####"template: :1:6: executing "" at <lt true false>: error calling lt: invalid type for comparison"####,
    ),
    (
        r####"a: {{ range list 1 }}x{{ else if true }}y{{ end }}
"####,
        r####"template: :1: unexpected <if> in input"####,
    ),
    (
        r####"a: {{ break }}
"####,
        r####"template: :1: {{break}} outside {{range}}"####,
    ),
    (
        r####"a: 1
{{ if true }}
b: 2
{{ else }}
c: 3
{{ else }}
{{ end }}
"####,
        r####"template: :6: expected end; found {{else}}"####,
    ),
    (
        r####"a: {{ $x = 1 }}
"####,
        r####"template: :1:11: executing "" at <1>: undefined variable: $x"####,
    ),
    (
        r####"a: {{ index (dict) 1 }}
"####,
        r####"template: :1:6: executing "" at <index (dict) 1>: error calling index: value has type int; should be string"####,
    ),
    (
        r####"a: {{ len nil }}
"####,
        r####"template: :1:6: executing "" at <len nil>: error calling len: reflect: call of reflect.Value.Type on zero Value"####,
    ),
    (
        r####"a: {{ "a" | upper "b" }}
"####,
        r####"template: :1:12: executing "" at <upper>: wrong number of args for upper: want 1 got 2"####,
    ),
    (
        r####"a: {{ until "3" }}
"####,
        r####"template: :1:12: executing "" at <"3">: expected integer; found "3""####,
    ),
    (
        r####"a: {{ printf 3 }}
"####,
        r####"template: :1:13: executing "" at <3>: expected string; found 3"####,
    ),
    (
        r####"a: {{ nil }}
"####,
        r####"template: :1:6: executing "" at <nil>: nil is not a command"####,
    ),
    (
        r####"a: {{ upper
  "x"
"####,
        r####"template: :3: unclosed action started at :1"####,
    ),
    (
        r####"a: {{ (list 1) 2 }}
"####,
        r####"template: :1:6: executing "" at <(list 1) 2>: can't give argument to non-function list 1"####,
    ),
    (
        r####"a: {{ 1 | upper }}
"####,
        r####"template: :1:10: executing "" at <upper>: wrong type for value; expected string; got int"####,
    ),
    (
        r####"a: {{ $m := dict "k" nil }}{{ $m.k.z }}
"####,
        r####"template: :1:32: executing "" at <$m.k.z>: nil pointer evaluating interface {}.z"####,
    ),
    (
        r####"a: {{ range "abc" }}x{{ end }}
"####,
        r####"template: :1:12: executing "" at <"abc">: range can't iterate over abc"####,
    ),
    (
        r####"a: {{ 99999999999999999999 }}
"####,
        r####"template: :1: integer overflow: "99999999999999999999""####,
    ),
];

#[test]
fn matches_traefik_errors() {
    let mut bad = Vec::new();
    for (i, (tpl, want)) in TRAEFIK_ERRORS.iter().enumerate() {
        match render(tpl) {
            Err(e) if e.message == *want => {}
            other => bad.push(format!("case {i}:\n  want {want:?}\n  got  {other:?}")),
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

mod provider {
    use crate::decode::file_provider::{SourceFile, decode_provider};
    use crate::provider::ProviderStatus;

    fn file(path: &str, text: &str) -> SourceFile {
        SourceFile {
            path: path.into(),
            content: text.as_bytes().to_vec(),
        }
    }

    fn codes(p: &crate::provider::ProviderConfig) -> Vec<String> {
        p.findings.iter().map(|f| f.code.to_string()).collect()
    }

    #[test]
    fn templated_file_is_rendered_and_decoded_with_template_positions() {
        let p = decode_provider(&[file(
            "apps.yml",
            "http:\n  routers:\n{{- range list \"a\" \"b\" }}\n    {{ . }}:\n      rule: \"Host(`{{ . }}.test`)\"\n      service: s\n{{- end }}\n",
        )]);
        assert!(matches!(p.status, ProviderStatus::Ok), "{:?}", p.status);
        assert_eq!(p.config.http.as_ref().map(|h| h.routers.len()), Some(2));
        assert!(codes(&p).contains(&"template-rendered".to_string()));
        // Both routers come from line 4 of the template.
        let src = p
            .origins
            .get(crate::objects::ObjectKind::HttpRouter, "b")
            .expect("origin");
        assert_eq!((src.line, src.column), (Some(4), Some(8)));
    }

    #[test]
    fn template_error_rejects_the_provider() {
        let p = decode_provider(&[
            file(
                "a.yml",
                "http:\n  routers:\n    r:\n      rule: \"Host(`a`)\"\n      service: s\n",
            ),
            file("b.yml", "x: {{ foo }}\n"),
        ]);
        match &p.status {
            ProviderStatus::Rejected { errors } => {
                assert_eq!(
                    errors,
                    &["b.yml:1: template: :1: function \"foo\" not defined"]
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unsupported_constructs_keep_the_old_finding() {
        let p = decode_provider(&[file("t.yml", "{{ define \"x\" }}a{{ end }}http: {}\n")]);
        assert!(matches!(p.status, ProviderStatus::Ok));
        assert_eq!(codes(&p), vec!["template-not-evaluated".to_string()]);
        let p = decode_provider(&[file("t.yml", "a: {{ sha1sum \"x\" | trunc 4 }}\n")]);
        assert!(codes(&p).contains(&"template-not-evaluated".to_string()));
    }

    #[test]
    fn env_and_nondeterministic_calls_are_reported() {
        let p = decode_provider(&[file(
            "t.yml",
            "# {{ env \"HOME\" }} {{ uuidv4 }}\nhttp: {}\n",
        )]);
        let c = codes(&p);
        assert!(c.contains(&"template-environment".to_string()), "{c:?}");
        assert!(
            c.contains(&"template-nondeterministic".to_string()),
            "{c:?}"
        );
    }
}

#[test]
fn go_value_printing() {
    let cases = [
        (
            "{{ 1e6 }} {{ 1e21 }} {{ 0.1 }} {{ -2.5 }}",
            "1e+06 1e+21 0.1 -2.5",
        ),
        ("{{ list nil (list) (dict) }}", "[<nil> [] map[]]"),
        ("{{ printf \"%v %v\" nil true }}", "<nil> true"),
        ("{{ index (list 1 nil) 1 }}", "<no value>"),
        ("{{ $ }}{{ . }}", "falsefalse"),
    ];
    for (t, want) in cases {
        assert_eq!(render(t).as_deref(), Ok(want), "{t}");
    }
}
