//! Merging several configurations of one provider (Traefik `provider.Merge`
//! with `ResourceStrategySkipDuplicates`, as the file provider uses it).

use crate::model::Configuration;
use crate::objects::ObjectKind;
use indexmap::IndexMap;

/// Add `src` into `dst`; an object whose name `dst` already has is skipped.
/// Returns the skipped objects. TLS certificates equal to one already present are skipped silently.
pub fn merge_skip_duplicates(
    dst: &mut Configuration,
    src: Configuration,
) -> Vec<(ObjectKind, String)> {
    let mut skipped = Vec::new();
    if let Some(http) = src.http {
        let d = dst.http.get_or_insert_with(Default::default);
        add(
            &mut d.routers,
            http.routers,
            ObjectKind::HttpRouter,
            &mut skipped,
        );
        add(
            &mut d.services,
            http.services,
            ObjectKind::HttpService,
            &mut skipped,
        );
        add(
            &mut d.middlewares,
            http.middlewares,
            ObjectKind::HttpMiddleware,
            &mut skipped,
        );
        add(
            &mut d.models,
            http.models,
            ObjectKind::HttpModel,
            &mut skipped,
        );
        add(
            &mut d.servers_transports,
            http.servers_transports,
            ObjectKind::HttpServersTransport,
            &mut skipped,
        );
    }
    if let Some(tcp) = src.tcp {
        let d = dst.tcp.get_or_insert_with(Default::default);
        add(
            &mut d.routers,
            tcp.routers,
            ObjectKind::TcpRouter,
            &mut skipped,
        );
        add(
            &mut d.services,
            tcp.services,
            ObjectKind::TcpService,
            &mut skipped,
        );
        add(
            &mut d.middlewares,
            tcp.middlewares,
            ObjectKind::TcpMiddleware,
            &mut skipped,
        );
        add(
            &mut d.servers_transports,
            tcp.servers_transports,
            ObjectKind::TcpServersTransport,
            &mut skipped,
        );
    }
    if let Some(udp) = src.udp {
        let d = dst.udp.get_or_insert_with(Default::default);
        add(
            &mut d.routers,
            udp.routers,
            ObjectKind::UdpRouter,
            &mut skipped,
        );
        add(
            &mut d.services,
            udp.services,
            ObjectKind::UdpService,
            &mut skipped,
        );
    }
    if let Some(tls) = src.tls {
        let d = dst.tls.get_or_insert_with(Default::default);
        add(
            &mut d.options,
            tls.options,
            ObjectKind::TlsOption,
            &mut skipped,
        );
        add(
            &mut d.stores,
            tls.stores,
            ObjectKind::TlsStore,
            &mut skipped,
        );
        for cert in tls.certificates {
            let dup = d
                .certificates
                .iter()
                .any(|c| c.cert_file == cert.cert_file && c.key_file == cert.key_file);
            if !dup {
                d.certificates.push(cert);
            }
        }
    }
    skipped
}

fn add<T>(
    dst: &mut IndexMap<String, T>,
    src: IndexMap<String, T>,
    kind: ObjectKind,
    skipped: &mut Vec<(ObjectKind, String)>,
) {
    for (name, value) in src {
        if dst.contains_key(&name) {
            skipped.push((kind, name));
        } else {
            dst.insert(name, value);
        }
    }
}
