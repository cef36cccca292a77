//! HAProxy runtime API client (stats socket with `level admin`): one connection per
//! command, over a UNIX socket or TCP.

use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::plan::Command;
use super::state::{self, RuntimeState, StateError};

/// Where the admin socket is: `unix:/path`, `/path`, `tcp:host:port` or `host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketSpec {
    Unix(PathBuf),
    Tcp(String),
}

impl std::str::FromStr for SocketSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(p) = s.strip_prefix("unix:") {
            Ok(SocketSpec::Unix(p.into()))
        } else if let Some(a) = s.strip_prefix("tcp:") {
            Ok(SocketSpec::Tcp(a.into()))
        } else if s.starts_with('/') || s.starts_with('.') {
            Ok(SocketSpec::Unix(s.into()))
        } else if s.contains(':') {
            Ok(SocketSpec::Tcp(s.into()))
        } else {
            Err(format!(
                "admin socket {s:?}: expected unix:/path, /path, tcp:host:port or host:port"
            ))
        }
    }
}

impl std::fmt::Display for SocketSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SocketSpec::Unix(p) => write!(f, "unix:{}", p.display()),
            SocketSpec::Tcp(a) => write!(f, "tcp:{a}"),
        }
    }
}

/// Runtime API errors.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("admin socket {socket}: {source}")]
    Io {
        socket: String,
        #[source]
        source: std::io::Error,
    },
    #[error("admin socket {socket}: no answer to {command:?} within {timeout:?}")]
    Timeout {
        socket: String,
        command: String,
        timeout: Duration,
    },
    #[error("`{command}` failed: {reply}")]
    Rejected { command: String, reply: String },
    #[error("admin socket {socket}: {source}")]
    Answer {
        socket: String,
        #[source]
        source: StateError,
    },
}

/// Identity of the running HAProxy process, to notice restarts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcessInfo {
    pub pid: String,
    pub uptime_sec: u64,
}

/// Runtime API client.
#[derive(Debug, Clone)]
pub struct RuntimeClient {
    pub socket: SocketSpec,
    pub timeout: Duration,
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    line: &str,
) -> std::io::Result<String> {
    s.write_all(line.as_bytes()).await?;
    s.write_all(b"\n").await?;
    s.flush().await?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

impl RuntimeClient {
    pub fn new(socket: SocketSpec) -> Self {
        RuntimeClient {
            socket,
            timeout: Duration::from_secs(5),
        }
    }

    /// Send one command and return the raw reply.
    pub async fn send(&self, line: &str) -> Result<String, RuntimeError> {
        let socket = self.socket.to_string();
        let io = |source| RuntimeError::Io {
            socket: socket.clone(),
            source,
        };
        let fut = async {
            match &self.socket {
                SocketSpec::Unix(p) => {
                    exchange(tokio::net::UnixStream::connect(p).await?, line).await
                }
                SocketSpec::Tcp(a) => {
                    exchange(tokio::net::TcpStream::connect(a).await?, line).await
                }
            }
        };
        match tokio::time::timeout(self.timeout, fut).await {
            Ok(r) => r.map_err(io),
            Err(_) => Err(RuntimeError::Timeout {
                socket: socket.clone(),
                command: line.to_string(),
                timeout: self.timeout,
            }),
        }
    }

    fn answer(&self, source: StateError) -> RuntimeError {
        RuntimeError::Answer {
            socket: self.socket.to_string(),
            source,
        }
    }

    /// `show backend` + `show servers state` + `show stat` (sessions).
    pub async fn read_state(&self) -> Result<RuntimeState, RuntimeError> {
        let mut st = RuntimeState::default();
        let backends = self.send("show backend").await?;
        for b in state::parse_show_backend(&backends).map_err(|e| self.answer(e))? {
            st.backends.entry(b).or_default();
        }
        let servers = self.send("show servers state").await?;
        state::parse_servers_state(&servers, &mut st).map_err(|e| self.answer(e))?;
        let stat = self.send("show stat -1 4 -1").await?;
        state::merge_show_stat(&stat, &mut st).map_err(|e| self.answer(e))?;
        Ok(st)
    }

    /// Pid and uptime from `show info`.
    pub async fn process_info(&self) -> Result<ProcessInfo, RuntimeError> {
        let info = self.send("show info").await?;
        let mut out = ProcessInfo::default();
        for line in info.lines() {
            if let Some(v) = line.strip_prefix("Pid: ") {
                out.pid = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("Uptime_sec: ") {
                out.uptime_sec = v.trim().parse().unwrap_or(0);
            }
        }
        if out.pid.is_empty() {
            return Err(self.answer(StateError::Backend(format!(
                "`show info` without Pid: {:?}",
                info.lines().next().unwrap_or("")
            ))));
        }
        Ok(out)
    }

    /// Send one planned command and judge its reply.
    pub async fn apply(&self, cmd: &Command) -> Result<(), RuntimeError> {
        let line = cmd.line();
        let reply = self.send(&line).await?;
        cmd.check_reply(&reply)
            .map_err(|reply| RuntimeError::Rejected {
                command: line,
                reply,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_specs() {
        assert_eq!(
            "unix:/run/a.sock".parse(),
            Ok(SocketSpec::Unix("/run/a.sock".into()))
        );
        assert_eq!(
            "/run/a.sock".parse(),
            Ok(SocketSpec::Unix("/run/a.sock".into()))
        );
        assert_eq!(
            "127.0.0.1:9999".parse(),
            Ok(SocketSpec::Tcp("127.0.0.1:9999".into()))
        );
        assert_eq!(
            "tcp:[::1]:9999".parse(),
            Ok(SocketSpec::Tcp("[::1]:9999".into()))
        );
        assert!("admin".parse::<SocketSpec>().is_err());
    }
}
