//! Rendering `haproxy.cfg`: the verbatim `base` of the definitions, then one backend section
//! per definition with one `server` line per member. Also the "skeleton" comparison that
//! tells a server-list change (runtime API, no reload) from a structural one (reload).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::backends::{BackendsConfig, Mode};
use super::membership::{DesiredServer, WantState};
use super::plan::socket_addr;

/// First line of every rendered file.
pub const HEADER: &str = "# Managed by haproxy-sync: edit backends.yaml, not this file. Server lines follow the Kubernetes nodes.";

/// Render the whole configuration. `members` maps backend name → servers; a backend
/// missing from the map is rendered without servers.
pub fn render(cfg: &BackendsConfig, members: &BTreeMap<String, Vec<DesiredServer>>) -> String {
    let mut out = String::new();
    out.push_str(HEADER);
    out.push('\n');
    out.push_str(cfg.base.trim_end());
    out.push_str("\n\n");
    for def in &cfg.backends {
        let _ = writeln!(out, "backend {}", def.name);
        let _ = writeln!(
            out,
            "    mode {}",
            match def.mode {
                Mode::Tcp => "tcp",
                Mode::Http => "http",
            }
        );
        let _ = writeln!(out, "    balance {}", def.balance);
        for line in &def.extra {
            let _ = writeln!(out, "    {}", line.trim());
        }
        let opts = def
            .server_options
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let _ = writeln!(out, "    # haproxy-sync server options: {opts}");
        let mut servers: Vec<&DesiredServer> = members
            .get(&def.name)
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        servers.sort_by(|a, b| a.name.cmp(&b.name));
        for s in servers {
            let _ = write!(out, "    server {} {}", s.name, socket_addr(s.addr, s.port));
            if !opts.is_empty() {
                let _ = write!(out, " {opts}");
            }
            if s.state == WantState::Drain {
                // Drain is runtime state; haproxy-sync re-applies it after a restart.
                out.push_str("  # haproxy-sync: drain");
            }
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

/// The configuration without its `server` lines: two files with equal skeletons differ
/// only in server lists, which the runtime API can change without a reload.
pub fn skeleton(text: &str) -> String {
    text.lines()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("server ") || t.starts_with("server\t"))
        })
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    fn cfg() -> BackendsConfig {
        let text = "base: |\n  global\n    maxconn 100\n  defaults\n    mode tcp\nbackends:\n  - name: web\n    selector: {role: any}\n    port: 80\n    serverOptions: \"check  inter 1s\"\n    extra: [\"option tcp-check\"]\n  - name: api\n    selector: {role: control-plane}\n    port: 6443\n";
        match BackendsConfig::parse(text) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }

    fn srv(name: &str, last: u8, state: WantState) -> DesiredServer {
        DesiredServer {
            name: name.into(),
            addr: IpAddr::from([10, 0, 0, last]),
            port: 80,
            state,
        }
    }

    #[test]
    fn renders_sections_and_servers() {
        let m = BTreeMap::from([(
            "web".to_string(),
            vec![srv("b", 2, WantState::Drain), srv("a", 1, WantState::Ready)],
        )]);
        let text = render(&cfg(), &m);
        let expected = format!(
            "{HEADER}\nglobal\n  maxconn 100\ndefaults\n  mode tcp\n\nbackend web\n    mode tcp\n    balance roundrobin\n    option tcp-check\n    # haproxy-sync server options: check inter 1s\n    server a 10.0.0.1:80 check inter 1s\n    server b 10.0.0.2:80 check inter 1s  # haproxy-sync: drain\n\nbackend api\n    mode tcp\n    balance roundrobin\n    # haproxy-sync server options: \n\n"
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn skeleton_ignores_servers_only() {
        let c = cfg();
        let a = render(&c, &BTreeMap::new());
        let b = render(
            &c,
            &BTreeMap::from([("web".to_string(), vec![srv("a", 1, WantState::Ready)])]),
        );
        assert_ne!(a, b);
        assert_eq!(skeleton(&a), skeleton(&b));
        let mut c2 = c.clone();
        c2.backends[0].server_options = "check inter 3s".into();
        assert_ne!(skeleton(&a), skeleton(&render(&c2, &BTreeMap::new())));
    }
}
