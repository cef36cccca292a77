//! Kinds of configuration objects and where each one was defined.

use crate::source::SourceRef;
use std::collections::HashMap;

/// Every named object kind of Traefik's dynamic configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// `http.routers`
    HttpRouter,
    /// `http.services`
    HttpService,
    /// `http.middlewares`
    HttpMiddleware,
    /// `http.models`
    HttpModel,
    /// `http.serversTransports`
    HttpServersTransport,
    /// `tcp.routers`
    TcpRouter,
    /// `tcp.services`
    TcpService,
    /// `tcp.middlewares`
    TcpMiddleware,
    /// `tcp.serversTransports`
    TcpServersTransport,
    /// `udp.routers`
    UdpRouter,
    /// `udp.services`
    UdpService,
    /// `tls.options`
    TlsOption,
    /// `tls.stores`
    TlsStore,
}

impl ObjectKind {
    /// All kinds, in report order.
    pub const ALL: [ObjectKind; 13] = [
        ObjectKind::HttpRouter,
        ObjectKind::HttpService,
        ObjectKind::HttpMiddleware,
        ObjectKind::HttpModel,
        ObjectKind::HttpServersTransport,
        ObjectKind::TcpRouter,
        ObjectKind::TcpService,
        ObjectKind::TcpMiddleware,
        ObjectKind::TcpServersTransport,
        ObjectKind::UdpRouter,
        ObjectKind::UdpService,
        ObjectKind::TlsOption,
        ObjectKind::TlsStore,
    ];

    /// Section and key in the dynamic configuration: (`http`, `routers`).
    pub fn path(self) -> (&'static str, &'static str) {
        match self {
            ObjectKind::HttpRouter => ("http", "routers"),
            ObjectKind::HttpService => ("http", "services"),
            ObjectKind::HttpMiddleware => ("http", "middlewares"),
            ObjectKind::HttpModel => ("http", "models"),
            ObjectKind::HttpServersTransport => ("http", "serversTransports"),
            ObjectKind::TcpRouter => ("tcp", "routers"),
            ObjectKind::TcpService => ("tcp", "services"),
            ObjectKind::TcpMiddleware => ("tcp", "middlewares"),
            ObjectKind::TcpServersTransport => ("tcp", "serversTransports"),
            ObjectKind::UdpRouter => ("udp", "routers"),
            ObjectKind::UdpService => ("udp", "services"),
            ObjectKind::TlsOption => ("tls", "options"),
            ObjectKind::TlsStore => ("tls", "stores"),
        }
    }

    /// Words Traefik's logs use for the kind ("HTTP router").
    pub fn words(self) -> &'static str {
        match self {
            ObjectKind::HttpRouter => "HTTP router",
            ObjectKind::HttpService => "HTTP service",
            ObjectKind::HttpMiddleware => "HTTP middleware",
            ObjectKind::HttpModel => "HTTP model",
            ObjectKind::HttpServersTransport => "HTTP servers transport",
            ObjectKind::TcpRouter => "TCP router",
            ObjectKind::TcpService => "TCP service",
            ObjectKind::TcpMiddleware => "TCP middleware",
            ObjectKind::TcpServersTransport => "TCP servers transport",
            ObjectKind::UdpRouter => "UDP router",
            ObjectKind::UdpService => "UDP service",
            ObjectKind::TlsOption => "TLS options",
            ObjectKind::TlsStore => "TLS store",
        }
    }
}

/// Where each object of one provider was defined, by kind and (unqualified) name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Origins {
    map: HashMap<(ObjectKind, String), SourceRef>,
}

impl Origins {
    /// Record where `name` of `kind` was defined (the first record wins).
    pub fn insert(&mut self, kind: ObjectKind, name: &str, source: SourceRef) {
        self.map.entry((kind, name.to_string())).or_insert(source);
    }

    /// Where `name` of `kind` was defined.
    pub fn get(&self, kind: ObjectKind, name: &str) -> Option<&SourceRef> {
        self.map.get(&(kind, name.to_string()))
    }

    /// Take over every record of `other` that is not known yet.
    pub fn extend(&mut self, other: Origins) {
        for (k, v) in other.map {
            self.map.entry(k).or_insert(v);
        }
    }
}
