//! Kubernetes Service helpers shared by HTTP, TCP and UDP
//! (`getServicePort`, `parseServiceProtocol`, `getNativeServiceAddress`, `net.JoinHostPort`).

use super::cluster::{Service, ServicePort};
use super::spec::IntOrString;

/// Go `net.JoinHostPort`.
pub fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `getServicePort`; the warning Traefik logs (ExternalName port mismatch) is returned too.
pub fn service_port(
    svc: &Service,
    port: &IntOrString,
) -> Result<(ServicePort, Option<String>), String> {
    if port.is_zero() {
        return Err("ingressRoute service port not defined".to_string());
    }
    let mut has_valid_port = false;
    for p in &svc.spec.ports {
        let matches = match port {
            IntOrString::Int(i) => *i == p.port,
            IntOrString::Str(s) => *s == p.name,
        };
        if matches {
            return Ok((p.clone(), None));
        }
        if p.port != 0 {
            has_valid_port = true;
        }
    }
    let IntOrString::Int(i) = port else {
        return Err(format!("service port not found: {port}"));
    };
    if svc.spec.type_ != "ExternalName" {
        return Err(format!("service port not found: {port}"));
    }
    let warning = has_valid_port.then(|| {
        format!(
            "The port {port} from IngressRoute doesn't match with ports defined in the ExternalName service {}/{}.",
            svc.namespace, svc.name
        )
    });
    Ok((
        ServicePort {
            port: *i,
            ..ServicePort::default()
        },
        warning,
    ))
}

/// `parseServiceProtocol`.
pub fn service_protocol(scheme: &str, port_name: &str, port: i64) -> Result<String, String> {
    match scheme {
        "http" | "https" | "h2c" => Ok(scheme.to_string()),
        "" => {
            if port == 443 || port_name.starts_with("https") {
                Ok("https".to_string())
            } else {
                Ok("http".to_string())
            }
        }
        other => Err(format!("invalid scheme {other:?} specified")),
    }
}

/// `getNativeServiceAddress`.
pub fn native_address(svc: &Service, port: &ServicePort) -> Result<String, String> {
    match svc.spec.cluster_ip.as_str() {
        "None" => Err(format!(
            "no clusterIP on headless service: {}/{}",
            svc.namespace, svc.name
        )),
        "" => Err(format!(
            "no clusterIP found for service: {}/{}",
            svc.namespace, svc.name
        )),
        ip => Ok(join_host_port(ip, port.port)),
    }
}

/// Ports of Traefik's `TestParseServiceProtocol` and `TestGetServicePort` tables.
#[cfg(test)]
mod tests {
    use super::super::cluster::{Service, ServicePort, ServiceSpec};
    use super::*;

    #[test]
    fn parse_service_protocol_table() {
        assert_eq!(service_protocol("", "", 1000).as_deref(), Ok("http"));
        assert_eq!(service_protocol("h2c", "", 1000).as_deref(), Ok("h2c"));
        assert!(service_protocol("foo", "", 1000).is_err());
        assert_eq!(
            service_protocol("", "https-secure", 1000).as_deref(),
            Ok("https")
        );
        assert_eq!(service_protocol("", "", 443).as_deref(), Ok("https"));
        assert_eq!(service_protocol("https", "", 1000).as_deref(), Ok("https"));
    }

    fn svc(external: bool, ports: &[(&str, i64)]) -> Service {
        Service {
            namespace: "default".into(),
            name: "s".into(),
            spec: ServiceSpec {
                type_: if external {
                    "ExternalName".into()
                } else {
                    String::new()
                },
                ports: ports
                    .iter()
                    .map(|(n, p)| ServicePort {
                        name: n.to_string(),
                        port: *p,
                        ..ServicePort::default()
                    })
                    .collect(),
                ..ServiceSpec::default()
            },
        }
    }

    fn port(s: &Service, p: IntOrString) -> Option<(String, i64)> {
        service_port(s, &p).ok().map(|(p, _)| (p.name, p.port))
    }

    #[test]
    fn get_service_port_table() {
        use IntOrString::{Int, Str};
        let some = |n: &str, p| Some((n.to_string(), p));
        assert_eq!(port(&svc(false, &[("", 80)]), Int(80)), some("", 80));
        assert_eq!(port(&svc(false, &[]), Int(0)), None);
        assert_eq!(port(&svc(true, &[]), Int(0)), None);
        assert_eq!(
            port(&svc(false, &[("http", 80)]), Str("http".into())),
            some("http", 80)
        );
        assert_eq!(
            port(&svc(true, &[("http", 80)]), Str("http".into())),
            some("http", 80)
        );
        assert_eq!(port(&svc(false, &[]), Int(80)), None);
        assert_eq!(port(&svc(false, &[]), Str("http".into())), None);
        assert_eq!(port(&svc(true, &[]), Int(80)), some("", 80));
        assert_eq!(port(&svc(true, &[]), Str("http".into())), None);
        assert_eq!(port(&svc(false, &[("", 80)]), Int(0)), None);
        assert_eq!(port(&svc(true, &[("", 80)]), Int(0)), None);
        assert_eq!(port(&svc(false, &[("", 80)]), Int(443)), None);
        assert_eq!(port(&svc(false, &[("foo", 80)]), Str("bar".into())), None);
        assert_eq!(port(&svc(true, &[("", 80)]), Int(443)), some("", 443));
        assert_eq!(port(&svc(true, &[("foo", 80)]), Str("bar".into())), None);
    }
}
