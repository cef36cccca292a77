//! Parsers for the runtime API's answers: `show backend`, `show servers state` (format 1)
//! and `show stat` (CSV, for current sessions while draining).

use std::collections::BTreeMap;
use std::net::IpAddr;

/// `srv_admin_state` bits (HAProxy `SRV_ADMF_*`).
pub mod admin {
    /// Forced maintenance (`disable server`, `state maint`, fresh `add server`).
    pub const FMAINT: u32 = 0x01;
    /// Inherited maintenance (tracked server).
    pub const IMAINT: u32 = 0x02;
    /// Maintenance from the configuration (`disabled` keyword).
    pub const CMAINT: u32 = 0x04;
    /// Forced drain (`state drain`).
    pub const FDRAIN: u32 = 0x08;
    /// Inherited drain.
    pub const IDRAIN: u32 = 0x10;
    /// Maintenance because of DNS resolution.
    pub const RMAINT: u32 = 0x20;
    /// Maintenance because of an unresolved hostname at start-up.
    pub const HMAINT: u32 = 0x40;
    /// Any maintenance bit.
    pub const ANY_MAINT: u32 = FMAINT | IMAINT | CMAINT | RMAINT | HMAINT;
}

/// Administrative state as haproxy-sync classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminState {
    Ready,
    Drain,
    Maint,
}

/// One server as the runtime reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerState {
    pub name: String,
    /// `None` when the server has no address (e.g. `init-addr none`).
    pub addr: Option<IpAddr>,
    pub port: u16,
    pub admin_bits: u32,
    /// `srv_op_state`: 0 stopped, 1 starting, 2 running, 3 stopping.
    pub op_state: u32,
    /// Current sessions (`scur`) if `show stat` was read.
    pub sessions: u64,
}

impl ServerState {
    pub fn admin(&self) -> AdminState {
        if self.admin_bits & admin::ANY_MAINT != 0 {
            AdminState::Maint
        } else if self.admin_bits & (admin::FDRAIN | admin::IDRAIN) != 0 {
            AdminState::Drain
        } else {
            AdminState::Ready
        }
    }
}

/// Servers of every backend HAProxy knows (backends without servers included).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuntimeState {
    pub backends: BTreeMap<String, BTreeMap<String, ServerState>>,
}

impl RuntimeState {
    pub fn server(&self, backend: &str, server: &str) -> Option<&ServerState> {
        self.backends.get(backend).and_then(|b| b.get(server))
    }
}

/// Errors reading runtime answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("unexpected `show servers state` answer: {0}")]
    ServersState(String),
    #[error("unexpected `show stat` answer: {0}")]
    Stat(String),
    #[error("unexpected `show backend` answer: {0}")]
    Backend(String),
}

/// Parse `show backend`: `# name` then one backend per line.
pub fn parse_show_backend(text: &str) -> Result<Vec<String>, StateError> {
    let mut lines = text.lines();
    match lines.next() {
        Some(h) if h.trim() == "# name" => {}
        other => return Err(StateError::Backend(format!("header {other:?}"))),
    }
    Ok(lines
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

/// Parse `show servers state` (format version 1) into `state`.
pub fn parse_servers_state(text: &str, state: &mut RuntimeState) -> Result<(), StateError> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    match lines.next() {
        Some("1") => {}
        other => {
            return Err(StateError::ServersState(format!(
                "version line {other:?} (expected 1)"
            )));
        }
    }
    for line in lines {
        if line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 19 {
            return Err(StateError::ServersState(format!("short line {line:?}")));
        }
        let num = |i: usize| {
            f[i].parse::<u32>()
                .map_err(|_| StateError::ServersState(format!("field {i} of {line:?}")))
        };
        let addr = match f[4] {
            "-" => None,
            a => Some(
                a.parse::<IpAddr>()
                    .map_err(|_| StateError::ServersState(format!("address in {line:?}")))?,
            ),
        };
        let port = f[18]
            .parse::<u16>()
            .map_err(|_| StateError::ServersState(format!("port in {line:?}")))?;
        let server = ServerState {
            name: f[3].to_string(),
            addr,
            port,
            admin_bits: num(6)?,
            op_state: num(5)?,
            sessions: 0,
        };
        state
            .backends
            .entry(f[1].to_string())
            .or_default()
            .insert(server.name.clone(), server);
    }
    Ok(())
}

/// Merge `scur` from `show stat` CSV into `state` (server rows only).
pub fn merge_show_stat(text: &str, state: &mut RuntimeState) -> Result<(), StateError> {
    let mut lines = text.lines();
    let header = match lines.next() {
        Some(h) if h.starts_with("# ") => h.trim_start_matches("# "),
        other => return Err(StateError::Stat(format!("header {other:?}"))),
    };
    let cols: Vec<&str> = header.split(',').collect();
    let col = |name: &str| {
        cols.iter()
            .position(|c| *c == name)
            .ok_or_else(|| StateError::Stat(format!("no column {name}")))
    };
    let (px, sv, scur) = (col("pxname")?, col("svname")?, col("scur")?);
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        let (Some(p), Some(s), Some(c)) = (f.get(px), f.get(sv), f.get(scur)) else {
            return Err(StateError::Stat(format!("short line {line:?}")));
        };
        if let Some(server) = state.backends.get_mut(*p).and_then(|b| b.get_mut(*s)) {
            server.sessions = c.parse().unwrap_or(0);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n3 be 1 n1 127.0.0.2 0 8 1 1 0 8 2 0 6 0 0 0 - 18081 - 0 0 - - 0\n3 be 2 n2 127.0.0.3 2 0 1 1 0 1 0 2 6 0 0 0 - 18081 - 0 0 - - 0\n4 other 1 x - 0 1 1 1 0 1 0 2 6 0 0 0 - 0 - 0 0 - - 0\n\n";

    #[test]
    fn parses_servers_state_and_stat() -> Result<(), StateError> {
        let mut st = RuntimeState::default();
        for b in parse_show_backend("# name\nbe\nother\nempty\n")? {
            st.backends.entry(b).or_default();
        }
        parse_servers_state(STATE, &mut st)?;
        assert_eq!(st.backends.len(), 3);
        let n1 = st.server("be", "n1").ok_or(StateError::Stat("n1".into()))?;
        assert_eq!(n1.admin(), AdminState::Drain);
        assert_eq!(n1.port, 18081);
        assert_eq!(
            st.server("be", "n2").map(|s| s.admin()),
            Some(AdminState::Ready)
        );
        assert_eq!(
            st.server("other", "x").map(|s| (s.addr, s.admin())),
            Some((None, AdminState::Maint))
        );
        merge_show_stat(
            "# pxname,svname,qcur,qmax,scur,smax\nbe,n1,0,0,7,9\nbe,BACKEND,0,0,7,9\n",
            &mut st,
        )?;
        assert_eq!(st.server("be", "n1").map(|s| s.sessions), Some(7));
        Ok(())
    }

    #[test]
    fn rejects_garbage() {
        let mut st = RuntimeState::default();
        assert!(parse_servers_state("Permission denied\n", &mut st).is_err());
        assert!(parse_servers_state("1\n3 be 1 n1\n", &mut st).is_err());
        assert!(parse_show_backend("Unknown command\n").is_err());
        assert!(merge_show_stat("oops", &mut st).is_err());
    }
}
