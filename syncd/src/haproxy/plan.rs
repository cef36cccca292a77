//! The planner: desired membership + runtime state → runtime API commands, the membership
//! to persist, and safety findings. Pure: time comes in as a number, IO stays outside.
//!
//! Removal is graceful and takes several rounds: `state drain` first, then — once the
//! server has no sessions or the drain timeout passed — `state maint`,
//! `shutdown sessions server`, `del server`.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use super::backends::BackendDef;
use super::membership::{DesiredBackend, DesiredServer, WantState};
use super::state::{AdminState, RuntimeState, ServerState};

/// One runtime API command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    AddServer {
        backend: String,
        server: String,
        addr: IpAddr,
        port: u16,
        options: String,
    },
    EnableHealth {
        backend: String,
        server: String,
    },
    EnableAgent {
        backend: String,
        server: String,
    },
    SetState {
        backend: String,
        server: String,
        state: &'static str,
    },
    SetAddr {
        backend: String,
        server: String,
        addr: IpAddr,
        port: u16,
    },
    ShutdownSessions {
        backend: String,
        server: String,
    },
    DelServer {
        backend: String,
        server: String,
    },
}

/// `addr:port` the way HAProxy reads it (`[v6]:port`).
pub fn socket_addr(addr: IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

impl Command {
    /// The CLI line sent to the admin socket.
    pub fn line(&self) -> String {
        match self {
            Command::AddServer {
                backend,
                server,
                addr,
                port,
                options,
            } => {
                let opts = options.split_whitespace().collect::<Vec<_>>().join(" ");
                let mut line = format!(
                    "add server {backend}/{server} {}",
                    socket_addr(*addr, *port)
                );
                if !opts.is_empty() {
                    line.push(' ');
                    line.push_str(&opts);
                }
                line
            }
            Command::EnableHealth { backend, server } => {
                format!("enable health {backend}/{server}")
            }
            Command::EnableAgent { backend, server } => format!("enable agent {backend}/{server}"),
            Command::SetState {
                backend,
                server,
                state,
            } => format!("set server {backend}/{server} state {state}"),
            Command::SetAddr {
                backend,
                server,
                addr,
                port,
            } => format!("set server {backend}/{server} addr {addr} port {port}"),
            Command::ShutdownSessions { backend, server } => {
                format!("shutdown sessions server {backend}/{server}")
            }
            Command::DelServer { backend, server } => format!("del server {backend}/{server}"),
        }
    }

    /// Judge HAProxy's reply to this command.
    pub fn check_reply(&self, reply: &str) -> Result<(), String> {
        let reply = reply.trim();
        let ok = match self {
            Command::AddServer { .. } => reply.contains("New server registered"),
            Command::DelServer { .. } => reply.contains("Server deleted"),
            Command::SetAddr { .. } => {
                reply.is_empty()
                    || reply.contains(" changed from ")
                    || reply.contains("no need to change")
            }
            Command::EnableHealth { .. }
            | Command::EnableAgent { .. }
            | Command::SetState { .. }
            | Command::ShutdownSessions { .. } => reply.is_empty(),
        };
        if ok {
            Ok(())
        } else if reply.is_empty() {
            Err("empty reply".into())
        } else {
            Err(reply.to_string())
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line())
    }
}

/// A problem the planner reports (the affected part of the plan is held back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The node source selects no server for a backend that has some: kept as is.
    EmptyBackendKept { backend: String, kept: usize },
    /// More than the allowed share would be removed in one step: removals held.
    RemovalLimit {
        backend: String,
        would_remove: usize,
        of: usize,
        max_percent: u32,
    },
    /// The backend is in the definitions but not in the running HAProxy (needs a reload).
    MissingBackend { backend: String },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::EmptyBackendKept { backend, kept } => write!(
                f,
                "backend {backend}: the node source selects no server; keeping the {kept} current server(s) instead of emptying it"
            ),
            Finding::RemovalLimit {
                backend,
                would_remove,
                of,
                max_percent,
            } => write!(
                f,
                "backend {backend}: refusing to remove {would_remove} of {of} servers in one step (more than --max-removal-percent={max_percent}); use --force to override"
            ),
            Finding::MissingBackend { backend } => write!(
                f,
                "backend {backend} is defined but not running in HAProxy; a reload is needed"
            ),
        }
    }
}

/// Planner settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanSettings {
    pub max_removal_percent: u32,
    pub force: bool,
    pub drain_timeout: Duration,
}

impl Default for PlanSettings {
    fn default() -> Self {
        PlanSettings {
            max_removal_percent: 50,
            force: false,
            drain_timeout: Duration::from_secs(30),
        }
    }
}

/// Servers on their way out: `(backend, server)` → time the drain started.
pub type Removals = BTreeMap<(String, String), Duration>;

/// A change that affects membership (for logs and metrics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub backend: String,
    pub server: String,
    pub what: String,
}

/// Result of planning.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub commands: Vec<Command>,
    /// Membership to persist into haproxy.cfg, per backend (sorted by server name).
    pub target: BTreeMap<String, Vec<DesiredServer>>,
    pub findings: Vec<Finding>,
    pub changes: Vec<Change>,
    /// Drains in progress: plan again soon.
    pub waiting: bool,
}

fn as_desired(s: &ServerState) -> Option<DesiredServer> {
    Some(DesiredServer {
        name: s.name.clone(),
        addr: s.addr?,
        port: s.port,
        state: match s.admin() {
            AdminState::Ready => WantState::Ready,
            AdminState::Drain | AdminState::Maint => WantState::Drain,
        },
    })
}

fn state_word(s: WantState) -> &'static str {
    match s {
        WantState::Ready => "ready",
        WantState::Drain => "drain",
    }
}

/// Plan one round. `removals` is updated (drains started, finished, cancelled).
pub fn plan(
    defs: &[BackendDef],
    desired: &BTreeMap<String, DesiredBackend>,
    runtime: &RuntimeState,
    removals: &mut Removals,
    now: Duration,
    settings: PlanSettings,
) -> Plan {
    let mut out = Plan::default();
    for def in defs {
        let be = def.name.as_str();
        let want: &[DesiredServer] = desired.get(be).map(|d| d.servers.as_slice()).unwrap_or(&[]);
        let Some(rt) = runtime.backends.get(be) else {
            out.findings.push(Finding::MissingBackend {
                backend: be.to_string(),
            });
            out.target.insert(be.to_string(), want.to_vec());
            continue;
        };
        let cmd_target = |server: &str| (be.to_string(), server.to_string());

        // Safety 1: never empty a backend that has servers.
        if want.is_empty() && !rt.is_empty() {
            out.findings.push(Finding::EmptyBackendKept {
                backend: be.to_string(),
                kept: rt.len(),
            });
            out.target
                .insert(be.to_string(), rt.values().filter_map(as_desired).collect());
            continue;
        }

        let leaving: Vec<&ServerState> = rt
            .values()
            .filter(|s| !want.iter().any(|w| w.name == s.name))
            .collect();
        // Safety 2: removal limit.
        let hold_removals = !settings.force
            && !leaving.is_empty()
            && leaving.len() * 100 > settings.max_removal_percent as usize * rt.len();
        if hold_removals {
            out.findings.push(Finding::RemovalLimit {
                backend: be.to_string(),
                would_remove: leaving.len(),
                of: rt.len(),
                max_percent: settings.max_removal_percent,
            });
        }

        let mut target: Vec<DesiredServer> = want.to_vec();
        for w in want {
            let (backend, server) = cmd_target(&w.name);
            match rt.get(&w.name) {
                None => {
                    out.commands.push(Command::AddServer {
                        backend: backend.clone(),
                        server: server.clone(),
                        addr: w.addr,
                        port: w.port,
                        options: def.server_options.clone(),
                    });
                    if def.has_check() {
                        out.commands.push(Command::EnableHealth {
                            backend: backend.clone(),
                            server: server.clone(),
                        });
                    }
                    if def.has_agent_check() {
                        out.commands.push(Command::EnableAgent {
                            backend: backend.clone(),
                            server: server.clone(),
                        });
                    }
                    out.commands.push(Command::SetState {
                        backend: backend.clone(),
                        server: server.clone(),
                        state: state_word(w.state),
                    });
                    out.changes.push(Change {
                        backend,
                        server,
                        what: format!(
                            "add {} ({})",
                            socket_addr(w.addr, w.port),
                            state_word(w.state)
                        ),
                    });
                }
                Some(cur) => {
                    removals.remove(&(backend.clone(), server.clone()));
                    if cur.addr != Some(w.addr) || cur.port != w.port {
                        out.commands.push(Command::SetAddr {
                            backend: backend.clone(),
                            server: server.clone(),
                            addr: w.addr,
                            port: w.port,
                        });
                        out.changes.push(Change {
                            backend: backend.clone(),
                            server: server.clone(),
                            what: format!("address -> {}", socket_addr(w.addr, w.port)),
                        });
                    }
                    let have = cur.admin();
                    let matches = matches!(
                        (have, w.state),
                        (AdminState::Ready, WantState::Ready)
                            | (AdminState::Drain, WantState::Drain)
                    );
                    if !matches {
                        out.commands.push(Command::SetState {
                            backend: backend.clone(),
                            server: server.clone(),
                            state: state_word(w.state),
                        });
                        out.changes.push(Change {
                            backend,
                            server,
                            what: format!("state {have:?} -> {}", state_word(w.state)),
                        });
                    }
                }
            }
        }

        for cur in leaving {
            let key = cmd_target(&cur.name);
            let (backend, server) = key.clone();
            if hold_removals {
                // Undo a drain we started for a removal that is now held back.
                if removals.remove(&key).is_some() && cur.admin() != AdminState::Ready {
                    out.commands.push(Command::SetState {
                        backend,
                        server,
                        state: "ready",
                    });
                }
                target.extend(as_desired(cur));
                continue;
            }
            let started = *removals.entry(key.clone()).or_insert(now);
            match cur.admin() {
                AdminState::Ready => {
                    out.commands.push(Command::SetState {
                        backend: backend.clone(),
                        server: server.clone(),
                        state: "drain",
                    });
                    out.changes.push(Change {
                        backend,
                        server,
                        what: "drain before removal".into(),
                    });
                    out.waiting = true;
                }
                AdminState::Drain | AdminState::Maint => {
                    let timed_out = now.saturating_sub(started) >= settings.drain_timeout;
                    if cur.sessions == 0 || timed_out {
                        out.commands.push(Command::SetState {
                            backend: backend.clone(),
                            server: server.clone(),
                            state: "maint",
                        });
                        out.commands.push(Command::ShutdownSessions {
                            backend: backend.clone(),
                            server: server.clone(),
                        });
                        out.commands.push(Command::DelServer {
                            backend: backend.clone(),
                            server: server.clone(),
                        });
                        out.changes.push(Change {
                            backend,
                            server,
                            what: if cur.sessions == 0 {
                                "remove (drained)".into()
                            } else {
                                format!("remove (drain timeout, {} session(s) cut)", cur.sessions)
                            },
                        });
                        removals.remove(&key);
                    } else {
                        out.waiting = true;
                    }
                }
            }
        }
        target.sort_by(|a, b| a.name.cmp(&b.name));
        out.target.insert(be.to_string(), target);
    }
    // Forget removals of servers that no longer exist.
    removals.retain(|(b, s), _| runtime.server(b, s).is_some());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::haproxy::backends::BackendsConfig;
    use crate::haproxy::state::admin;

    fn defs() -> Vec<BackendDef> {
        let text = "backends:\n  - name: web\n    selector: {role: any}\n    port: 80\n    serverOptions: check inter 1s\n";
        match BackendsConfig::parse(text) {
            Ok(c) => c.backends,
            Err(e) => panic!("{e}"),
        }
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    fn want(names: &[(&str, u8, WantState)]) -> BTreeMap<String, DesiredBackend> {
        let servers = names
            .iter()
            .map(|(n, i, s)| DesiredServer {
                name: n.to_string(),
                addr: ip(*i),
                port: 80,
                state: *s,
            })
            .collect();
        BTreeMap::from([(
            "web".to_string(),
            DesiredBackend {
                servers,
                decisions: vec![],
            },
        )])
    }

    fn runtime(servers: &[(&str, u8, u32, u64)]) -> RuntimeState {
        let mut st = RuntimeState::default();
        let be = st.backends.entry("web".into()).or_default();
        for (n, i, bits, sessions) in servers {
            be.insert(
                n.to_string(),
                ServerState {
                    name: n.to_string(),
                    addr: Some(ip(*i)),
                    port: 80,
                    admin_bits: *bits,
                    op_state: 2,
                    sessions: *sessions,
                },
            );
        }
        st
    }

    fn lines(p: &Plan) -> Vec<String> {
        p.commands.iter().map(Command::line).collect()
    }

    const R: WantState = WantState::Ready;
    const D: WantState = WantState::Drain;

    #[test]
    fn adds_with_health_and_state() {
        let mut rm = Removals::new();
        let p = plan(
            &defs(),
            &want(&[("a", 1, R), ("b", 2, D)]),
            &runtime(&[("a", 1, 0, 0)]),
            &mut rm,
            Duration::ZERO,
            PlanSettings::default(),
        );
        assert_eq!(
            lines(&p),
            vec![
                "add server web/b 10.0.0.2:80 check inter 1s",
                "enable health web/b",
                "set server web/b state drain"
            ]
        );
        assert_eq!(p.target["web"].len(), 2);
        assert!(p.findings.is_empty() && !p.waiting);
    }

    #[test]
    fn address_and_state_changes() {
        let mut rm = Removals::new();
        let p = plan(
            &defs(),
            &want(&[("a", 9, R), ("b", 2, D), ("c", 3, R)]),
            &runtime(&[("a", 1, 0, 0), ("b", 2, 0, 0), ("c", 3, admin::FMAINT, 0)]),
            &mut rm,
            Duration::ZERO,
            PlanSettings::default(),
        );
        assert_eq!(
            lines(&p),
            vec![
                "set server web/a addr 10.0.0.9 port 80",
                "set server web/b state drain",
                "set server web/c state ready"
            ]
        );
    }

    #[test]
    fn removal_drains_then_deletes() {
        let mut rm = Removals::new();
        let s = PlanSettings::default();
        let d = want(&[("a", 1, R), ("b", 2, R)]);
        let p = plan(
            &defs(),
            &d,
            &runtime(&[("a", 1, 0, 0), ("b", 2, 0, 0), ("c", 3, 0, 0)]),
            &mut rm,
            Duration::ZERO,
            s,
        );
        assert_eq!(lines(&p), vec!["set server web/c state drain"]);
        assert!(p.waiting);
        assert_eq!(p.target["web"].len(), 2);
        // Still has sessions: wait.
        let rt = runtime(&[("a", 1, 0, 0), ("b", 2, 0, 0), ("c", 3, admin::FDRAIN, 4)]);
        let p = plan(&defs(), &d, &rt, &mut rm, Duration::from_secs(1), s);
        assert!(p.commands.is_empty() && p.waiting);
        // Sessions gone: delete.
        let rt = runtime(&[("a", 1, 0, 0), ("b", 2, 0, 0), ("c", 3, admin::FDRAIN, 0)]);
        let p = plan(&defs(), &d, &rt, &mut rm, Duration::from_secs(2), s);
        assert_eq!(
            lines(&p),
            vec![
                "set server web/c state maint",
                "shutdown sessions server web/c",
                "del server web/c"
            ]
        );
        assert!(rm.is_empty());
    }

    #[test]
    fn drain_timeout_cuts_sessions() {
        let mut rm = Removals::new();
        let s = PlanSettings {
            drain_timeout: Duration::from_secs(5),
            ..PlanSettings::default()
        };
        let d = want(&[("a", 1, R), ("b", 2, R)]);
        let rt = runtime(&[("a", 1, 0, 0), ("b", 2, 0, 0), ("c", 3, admin::FDRAIN, 4)]);
        let p = plan(&defs(), &d, &rt, &mut rm, Duration::from_secs(10), s);
        assert!(p.commands.is_empty());
        let p = plan(&defs(), &d, &rt, &mut rm, Duration::from_secs(15), s);
        assert_eq!(p.commands.len(), 3);
        assert!(p.changes[0].what.contains("drain timeout"));
    }

    #[test]
    fn never_empties_a_backend() {
        let mut rm = Removals::new();
        let p = plan(
            &defs(),
            &want(&[]),
            &runtime(&[("a", 1, 0, 0), ("b", 2, admin::FDRAIN, 0)]),
            &mut rm,
            Duration::ZERO,
            PlanSettings {
                force: true,
                ..PlanSettings::default()
            },
        );
        assert!(p.commands.is_empty());
        assert_eq!(
            p.findings,
            vec![Finding::EmptyBackendKept {
                backend: "web".into(),
                kept: 2
            }]
        );
        assert_eq!(p.target["web"].len(), 2);
    }

    #[test]
    fn removal_limit_holds_unless_forced() {
        let rt = runtime(&[
            ("a", 1, 0, 0),
            ("b", 2, 0, 0),
            ("c", 3, 0, 0),
            ("d", 4, 0, 0),
        ]);
        let d = want(&[("a", 1, R), ("e", 5, R)]);
        let mut rm = Removals::new();
        // 3 of 4 = 75 % > 50 %: only the add happens.
        let p = plan(
            &defs(),
            &d,
            &rt,
            &mut rm,
            Duration::ZERO,
            PlanSettings::default(),
        );
        assert_eq!(p.commands.len(), 3, "{:?}", lines(&p));
        assert!(matches!(
            p.findings[0],
            Finding::RemovalLimit {
                would_remove: 3,
                of: 4,
                ..
            }
        ));
        assert_eq!(p.target["web"].len(), 5);
        // Exactly 50 % passes.
        let d2 = want(&[("a", 1, R), ("b", 2, R)]);
        let p = plan(
            &defs(),
            &d2,
            &rt,
            &mut rm,
            Duration::ZERO,
            PlanSettings::default(),
        );
        assert!(p.findings.is_empty());
        assert_eq!(lines(&p).len(), 2);
        // Forced.
        let mut rm = Removals::new();
        let p = plan(
            &defs(),
            &d,
            &rt,
            &mut rm,
            Duration::ZERO,
            PlanSettings {
                force: true,
                ..PlanSettings::default()
            },
        );
        assert!(p.findings.is_empty());
        assert_eq!(rm.len(), 3);
    }

    #[test]
    fn held_removal_undoes_its_drain() {
        let mut rm = Removals::new();
        rm.insert(("web".into(), "c".into()), Duration::ZERO);
        let rt = runtime(&[("a", 1, 0, 0), ("c", 3, admin::FDRAIN, 0)]);
        let p = plan(
            &defs(),
            &want(&[("x", 9, R)]),
            &rt,
            &mut rm,
            Duration::ZERO,
            PlanSettings::default(),
        );
        assert!(lines(&p).contains(&"set server web/c state ready".to_string()));
        assert!(rm.is_empty());
    }

    #[test]
    fn missing_backend_is_reported() {
        let mut rm = Removals::new();
        let p = plan(
            &defs(),
            &want(&[("a", 1, R)]),
            &RuntimeState::default(),
            &mut rm,
            Duration::ZERO,
            PlanSettings::default(),
        );
        assert!(p.commands.is_empty());
        assert!(matches!(p.findings[0], Finding::MissingBackend { .. }));
        assert_eq!(p.target["web"].len(), 1);
    }

    #[test]
    fn reply_checks() {
        let add = Command::AddServer {
            backend: "b".into(),
            server: "s".into(),
            addr: IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]),
            port: 80,
            options: String::new(),
        };
        assert_eq!(add.line(), "add server b/s [::1]:80");
        assert!(add.check_reply("New server registered.\n").is_ok());
        assert!(
            add.check_reply("Already exists a server with the same name in backend.")
                .is_err()
        );
        let st = Command::SetState {
            backend: "b".into(),
            server: "s".into(),
            state: "drain",
        };
        assert!(st.check_reply("\n").is_ok());
        assert_eq!(
            st.check_reply("No such server.").err().as_deref(),
            Some("No such server.")
        );
        let del = Command::DelServer {
            backend: "b".into(),
            server: "s".into(),
        };
        assert!(del.check_reply("Server deleted.").is_ok());
    }
}
