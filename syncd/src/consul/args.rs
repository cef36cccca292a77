//! Command-line and environment settings of the Consul client (Consul's own variable names).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::ConsulError;

/// Read consistency (`?consistent`, `?stale`, or Consul's default leader read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Consistency {
    /// Leader read; a small stale window during elections.
    #[default]
    Default,
    /// The leader checks quorum first (one more round trip).
    Consistent,
    /// Any server; works without a leader, usually within ~50 ms of it.
    Stale,
}

/// Where and how to reach Consul. The token is never a flag value: it comes from
/// `--consul-token-file` (`CONSUL_HTTP_TOKEN_FILE`) or `CONSUL_HTTP_TOKEN`.
#[derive(Debug, Clone, clap::Args)]
pub struct ConsulArgs {
    /// Consul HTTP address: `http://host:port`, `https://host:port` or `host:port`.
    #[arg(
        long = "consul-addr",
        env = "CONSUL_HTTP_ADDR",
        default_value = "http://127.0.0.1:8500"
    )]
    pub consul_addr: String,
    /// File holding the ACL token (trailing newline ignored). Else CONSUL_HTTP_TOKEN is used.
    #[arg(
        long = "consul-token-file",
        env = "CONSUL_HTTP_TOKEN_FILE",
        value_name = "FILE"
    )]
    pub consul_token_file: Option<PathBuf>,
    /// PEM file of the CA(s) that signed Consul's HTTPS certificate (only these are trusted).
    #[arg(long = "consul-ca-file", env = "CONSUL_CACERT", value_name = "FILE")]
    pub consul_ca_file: Option<PathBuf>,
    /// Read consistency mode.
    #[arg(long = "consul-consistency", env = "CONSUL_CONSISTENCY", value_enum, default_value_t = Consistency::Default)]
    pub consul_consistency: Consistency,
    /// How long one blocking query may wait for a change (Consul caps it at 10m; consul-template uses 60s).
    #[arg(long = "consul-wait", env = "CONSUL_WAIT", default_value = "60s", value_parser = parse_duration)]
    pub consul_wait: Duration,
    /// Timeout of one ordinary request (a blocking query gets its wait on top).
    #[arg(long = "consul-timeout", env = "CONSUL_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub consul_timeout: Duration,
}

/// An ACL token; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a secret (trimmed); `None` when empty.
    pub fn new(secret: &str) -> Option<Token> {
        let secret = secret.trim();
        (!secret.is_empty()).then(|| Token(secret.to_owned()))
    }

    /// Reads a token file (trailing newline ignored).
    pub fn from_file(path: &Path) -> Result<Option<Token>, ConsulError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConsulError::Config(format!("reading the token file {}: {e}", path.display()))
        })?;
        Ok(Token::new(&text))
    }

    pub(crate) fn secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Resolved client settings.
#[derive(Debug, Clone)]
pub struct ConsulConfig {
    /// `http://host:port` or `https://host:port` (no trailing slash).
    pub addr: String,
    /// ACL token sent as `X-Consul-Token`.
    pub token: Option<Token>,
    /// Where `token` was read from: re-read when the file changes (a
    /// Kubernetes Secret rotated under a mounted volume).
    pub token_file: Option<PathBuf>,
    /// CA bundle (PEM) for https.
    pub ca_file: Option<PathBuf>,
    /// Read consistency.
    pub consistency: Consistency,
    /// Blocking-query wait.
    pub wait: Duration,
    /// Ordinary request timeout.
    pub timeout: Duration,
}

impl ConsulConfig {
    /// Settings for `addr` with defaults (no token, default consistency, 60 s wait, 10 s timeout).
    pub fn new(addr: &str) -> ConsulConfig {
        ConsulConfig {
            addr: addr.to_owned(),
            token: None,
            token_file: None,
            ca_file: None,
            consistency: Consistency::Default,
            wait: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
        }
    }
}

impl ConsulArgs {
    /// Resolves the settings: reads the token file, else `CONSUL_HTTP_TOKEN`.
    pub fn to_config(&self) -> Result<ConsulConfig, ConsulError> {
        let token = match &self.consul_token_file {
            Some(path) => Token::from_file(path)?,
            None => std::env::var("CONSUL_HTTP_TOKEN")
                .ok()
                .and_then(|t| Token::new(&t)),
        };
        Ok(ConsulConfig {
            addr: self.consul_addr.clone(),
            token,
            token_file: self.consul_token_file.clone(),
            ca_file: self.consul_ca_file.clone(),
            consistency: self.consul_consistency,
            wait: self.consul_wait,
            timeout: self.consul_timeout,
        })
    }
}

pub use crate::cli::parse_duration;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("7x").is_err());
        assert!(parse_duration("").is_err());
    }

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        consul: ConsulArgs,
    }

    #[test]
    fn flags_parse() {
        use clap::Parser as _;
        let cli = Cli::try_parse_from([
            "t",
            "--consul-addr",
            "https://consul.lan:8501",
            "--consul-consistency",
            "stale",
            "--consul-wait",
            "2m",
            "--consul-timeout",
            "3s",
        ])
        .unwrap();
        assert_eq!(cli.consul.consul_addr, "https://consul.lan:8501");
        assert_eq!(cli.consul.consul_consistency, Consistency::Stale);
        assert_eq!(cli.consul.consul_wait, Duration::from_secs(120));
        assert_eq!(cli.consul.consul_timeout, Duration::from_secs(3));
        assert!(Cli::try_parse_from(["t", "--consul-wait", "soon"]).is_err());
        // There is no flag that takes the token itself.
        assert!(Cli::try_parse_from(["t", "--consul-token", "s3cret"]).is_err());
    }

    #[test]
    fn token_is_trimmed_and_never_printed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "s3cret\n").unwrap();
        let token = Token::from_file(&path).unwrap().unwrap();
        assert_eq!(token.secret(), "s3cret");
        assert!(!format!("{token:?}").contains("s3cret"));
        std::fs::write(&path, "\n").unwrap();
        assert!(Token::from_file(&path).unwrap().is_none());
        assert!(matches!(
            Token::from_file(&dir.path().join("missing")),
            Err(ConsulError::Config(_))
        ));
    }
}
