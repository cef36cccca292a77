//! Unit tests of the model: serde round-trips, Go-like omission, helpers.

use super::*;
use serde_json::{Value, json};

fn round_trip(input: Value) -> Configuration {
    let config: Configuration = serde_json::from_value(input.clone()).expect("deserializes");
    let back = serde_json::to_value(&config).expect("serializes");
    assert_eq!(back, input, "round trip changed the document");
    config
}

#[test]
fn http_configuration_round_trips() {
    let config = round_trip(json!({
        "http": {
            "routers": {
                "web": {
                    "entryPoints": ["websecure"],
                    "middlewares": ["auth", "strip@file"],
                    "service": "app",
                    "rule": "Host(`example.com`)",
                    "priority": 10,
                    "tls": {"certResolver": "le", "domains": [{"main": "example.com", "sans": ["www.example.com"]}]},
                    "observability": {"accessLogs": false, "traceVerbosity": "detailed"}
                },
                "bare": {"rule": "PathPrefix(`/`)", "tls": {}}
            },
            "services": {
                "app": {"loadBalancer": {
                    "servers": [{"url": "http://10.0.0.1:80", "weight": 2}],
                    "passHostHeader": false,
                    "sticky": {"cookie": {}},
                    "healthCheck": {"path": "/health", "interval": "10s", "timeout": "1m30s"},
                    "responseForwarding": {"flushInterval": "100ms"},
                    "serversTransport": "tr"
                }},
                "wrr": {"weighted": {"services": [{"name": "app", "weight": 3}, {"name": "b@docker"}], "healthCheck": {}}}
            },
            "middlewares": {
                "auth": {"basicAuth": {"users": ["u:$apr1$x"], "removeHeader": true}},
                "strip": {"stripPrefix": {"prefixes": ["/api"]}},
                "gzip": {"compress": {}},
                "plug": {"plugin": {"demo": {"headers": {"X-Demo": "1"}, "list": [1, "two"]}}}
            },
            "serversTransports": {
                "tr": {"serverName": "backend", "rootCAs": ["/ca.pem"], "disableHTTP2": true,
                       "forwardingTimeouts": {"dialTimeout": "5s", "readTimeout": "1s"}, "spiffe": {}}
            }
        }
    }));
    let http = config.http.expect("http");
    let web = &http.routers["web"];
    assert_eq!(web.priority, 10);
    assert_eq!(
        web.observability.as_ref().and_then(|o| o.access_logs),
        Some(false)
    );
    assert!(http.routers["bare"].has_tls());
    let lb = http.services["app"].load_balancer.as_ref().expect("lb");
    assert_eq!(lb.pass_host_header, Some(false));
    let hc = lb.health_check.as_ref().expect("hc");
    assert_eq!(hc.interval, GoDuration::parse("10s").expect("valid"));
    assert_eq!(hc.timeout.nanos(), 90 * SECOND);
    assert_eq!(
        lb.sticky.as_ref().and_then(|s| s.cookie.clone()),
        Some(Cookie::default())
    );
    assert_eq!(
        http.middlewares["plug"].plugin["demo"]["list"],
        json!([1, "two"])
    );
}

#[test]
fn tcp_udp_tls_round_trip() {
    let config = round_trip(json!({
        "tcp": {
            "routers": {"db": {"entryPoints": ["pg"], "rule": "HostSNI(`*`)", "service": "pg",
                               "tls": {"passthrough": true}}},
            "services": {
                "pg": {"loadBalancer": {"servers": [{"address": "10.0.0.2:5432", "port": "5432", "tls": true}],
                                        "proxyProtocol": {"version": 2}, "terminationDelay": 100,
                                        "healthCheck": {"interval": "5s", "unhealthyInterval": "1s"}}},
                "split": {"weighted": {"services": [{"name": "pg", "weight": 1}]}}
            },
            "middlewares": {"limit": {"inFlightConn": {"amount": 10}}},
            "serversTransports": {"st": {"dialKeepAlive": "15s", "tls": {"spiffe": {"ids": ["spiffe://x"]}}}}
        },
        "udp": {
            "routers": {"dns": {"entryPoints": ["dns"], "service": "dns"}},
            "services": {"dns": {"loadBalancer": {"servers": [{"address": "10.0.0.3:53"}]}},
                         "w": {"weighted": {"services": [{"name": "dns"}]}}}
        },
        "tls": {
            "certificates": [{"certFile": "/c.pem", "keyFile": "/k.pem", "stores": ["default"]}],
            "options": {"modern": {"minVersion": "VersionTLS13", "sniStrict": true,
                                   "clientAuth": {"caFiles": ["/ca.pem"], "clientAuthType": "RequireAndVerifyClientCert"}}},
            "stores": {"default": {"defaultGeneratedCert": {"resolver": "le", "domain": {"main": "example.com"}}}}
        }
    }));
    let tcp = config.tcp.as_ref().expect("tcp");
    assert!(tcp.routers["db"].tls.as_ref().expect("tls").passthrough);
    assert_eq!(tcp.services["split"].children(), vec!["pg"]);
    assert_eq!(tcp.middlewares["limit"].type_names(), vec!["inFlightConn"]);
    let udp = config.udp.as_ref().expect("udp");
    assert_eq!(udp.services["w"].type_names(), vec!["weighted"]);
    assert_eq!(udp.services["w"].children(), vec!["dns"]);
    let tls = config.tls.as_ref().expect("tls");
    assert_eq!(tls.certificates[0].certificate().key_file, "/k.pem");
    assert_eq!(config.tls_options().map(|o| o.len()), Some(1));
}

#[test]
fn serializes_like_go_omitempty() {
    assert_eq!(
        serde_json::to_value(Configuration::default()).expect("ser"),
        json!({})
    );
    assert_eq!(
        serde_json::to_value(Router::default()).expect("ser"),
        json!({})
    );
    assert_eq!(
        serde_json::to_value(Middleware::default()).expect("ser"),
        json!({})
    );
    assert_eq!(
        serde_json::to_value(TlsOptions::default()).expect("ser"),
        json!({})
    );
    assert_eq!(
        serde_json::to_value(Model::default()).expect("ser"),
        json!({})
    );
    // `passthrough` has no omitempty in Go.
    assert_eq!(
        serde_json::to_value(RouterTcpTlsConfig::default()).expect("ser"),
        json!({"passthrough": false})
    );
    let rl = RateLimit {
        average: 100,
        period: GoDuration::parse("1m").expect("valid"),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(rl).expect("ser"),
        json!({"average": 100, "period": "1m0s"})
    );
}

#[test]
fn middleware_type_names() {
    assert!(Middleware::default().type_names().is_empty());
    let one: Middleware =
        serde_json::from_value(json!({"headers": {"frameDeny": true}})).expect("de");
    assert_eq!(one.type_names(), vec!["headers"]);
    let multi: Middleware = serde_json::from_value(json!({
        "addPrefix": {"prefix": "/a"},
        "chain": {"middlewares": ["x", "y@file"]},
        "ipWhiteList": {"sourceRange": ["10.0.0.0/8"]},
        "contentType": {},
        "plugin": {"p": {}}
    }))
    .expect("de");
    assert_eq!(
        multi.type_names(),
        vec!["addPrefix", "chain", "ipWhiteList", "contentType", "plugin"]
    );
    assert_eq!(
        multi.chain_members(),
        ["x".to_string(), "y@file".to_string()]
    );
    assert!(one.chain_members().is_empty());
    let errors: Middleware = serde_json::from_value(
        json!({"errors": {"status": ["500-599"], "service": "err", "query": "/{status}"}}),
    )
    .expect("de");
    assert_eq!(errors.referenced_services(), vec!["err"]);
}

#[test]
fn service_type_names_and_children() {
    assert!(Service::default().type_names().is_empty());
    let svc: Service = serde_json::from_value(json!({
        "middlewares": ["m"],
        "mirroring": {"service": "main", "mirrors": [{"name": "m1", "percent": 10}, {"name": "m2"}]},
        "failover": {"service": "a", "fallback": "b"},
        "highestRandomWeight": {"services": [{"name": "h1"}]}
    }))
    .expect("de");
    assert_eq!(
        svc.type_names(),
        vec!["highestRandomWeight", "mirroring", "failover"]
    );
    assert_eq!(svc.children(), vec!["h1", "main", "m1", "m2", "a", "b"]);
    let lb: Service =
        serde_json::from_value(json!({"loadBalancer": {"servers": [{"url": "http://x"}]}}))
            .expect("de");
    assert_eq!(lb.type_names(), vec!["loadBalancer"]);
    assert!(lb.children().is_empty());
}

#[test]
fn allow_empty_fields_accept_null_and_empty() {
    // With serde_json, allow_empty behaves like a plain Option.
    let r: Router = serde_json::from_value(json!({"tls": null})).expect("de");
    assert_eq!(r.tls, None);
    let r: Router = serde_json::from_value(json!({"tls": {}})).expect("de");
    assert_eq!(r.tls, Some(RouterTlsConfig::default()));
    let lb: TcpServersLoadBalancer =
        serde_json::from_value(json!({"proxyProtocol": {}})).expect("de");
    assert_eq!(lb.proxy_protocol, Some(ProxyProtocol::default()));
}

#[test]
fn bad_duration_is_a_serde_error_with_go_text() {
    let err = serde_json::from_value::<ServerHealthCheck>(json!({"interval": "soon"})).unwrap_err();
    assert!(
        err.to_string().contains(r#"time: invalid duration "soon""#),
        "{err}"
    );
}

#[test]
fn file_ignored_fields_table() {
    assert!(is_file_ignored("Router", "defaultrule"));
    assert!(is_file_ignored("Middleware", "urlRewrite"));
    assert!(!is_file_ignored("Router", "rule"));
    assert!(file_ignored_fields("NoSuchStruct").is_empty());
    // Ignored Go fields are really absent from the model.
    let r: Router = serde_json::from_value(json!({"defaultRule": true})).expect("de");
    assert_eq!(r, Router::default());
}

#[test]
fn configuration_helpers() {
    assert!(Configuration::default().is_empty());
    let c: Configuration =
        serde_json::from_value(json!({"http": {}, "tls": {"stores": {}}})).expect("de");
    assert!(c.is_empty());
    let c: Configuration = serde_json::from_value(
        json!({"http": {"routers": {"r": {"service": "s"}}, "services": {"s": {}}}}),
    )
    .expect("de");
    assert!(!c.is_empty());
    assert_eq!(c.http_routers().count(), 1);
    assert_eq!(c.http_services().count(), 1);
    assert_eq!(c.http_middlewares().count(), 0);
}
