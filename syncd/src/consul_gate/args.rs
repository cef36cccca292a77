//! `syncd run`'s Consul flags (the connection flags live in [`crate::consul::ConsulArgs`]).

use super::machine::Mode;
use clap::Args;
use std::time::Duration;

/// The Consul source and gate, as `syncd run` flags.
#[derive(Args, Debug, Clone)]
pub struct GateArgs {
    /// Watch Consul KV: the live prefix joins the merged view (as Traefik's
    /// `consul` provider) and the gate judges the staging prefix.
    #[arg(long = "consul", env = "SYNCD_CONSUL")]
    pub enabled: bool,
    /// The prefix Traefik reads: `providers.consul.rootKey` plus `/`
    /// (default: from --static, else `traefik/`).
    #[arg(long, env = "SYNCD_CONSUL_LIVE_PREFIX", value_name = "PREFIX")]
    pub consul_live_prefix: Option<String>,
    /// The prefix operators edit in the Consul UI; same layout as the live one.
    /// Traefik ignores it (it only reads `<rootKey>/http|tcp|udp|tls`).
    #[arg(
        long,
        env = "SYNCD_CONSUL_STAGING_PREFIX",
        default_value = "traefik-staging/"
    )]
    pub consul_staging_prefix: String,
    /// Key the verdict of the last staging revision is written to (JSON), shown
    /// next to the staging folder in the Consul UI.
    #[arg(
        long,
        env = "SYNCD_CONSUL_STATUS_KEY",
        default_value = "traefik-staging-status"
    )]
    pub consul_status_key: String,
    /// Key where the gate records which live keys it wrote (never edit by hand;
    /// delete it to make the gate forget what it owns).
    #[arg(
        long,
        env = "SYNCD_CONSUL_STATE_KEY",
        default_value = "traefik-syncd/owned"
    )]
    pub consul_state_key: String,
    /// `promote`: promote valid staging revisions to live. `audit`: only
    /// validate live and report (nothing is written to live).
    #[arg(long, env = "SYNCD_CONSUL_MODE", value_enum, default_value = "promote")]
    pub consul_mode: Mode,
    /// Silence needed after the last staging edit before judging (several keys
    /// edited one by one in the UI are judged together).
    #[arg(long, env = "SYNCD_CONSUL_QUIESCENCE", default_value = "300ms", value_parser = crate::consul::parse_duration)]
    pub consul_quiescence: Duration,
    /// Longest wait after the first edit of a burst, even if edits continue.
    #[arg(long, env = "SYNCD_CONSUL_QUIESCENCE_MAX", default_value = "3s", value_parser = crate::consul::parse_duration)]
    pub consul_quiescence_max: Duration,
    /// Overwrite live keys edited behind the gate's back instead of refusing
    /// to promote (the default reports them in the status key).
    #[arg(long, env = "SYNCD_CONSUL_OVERWRITE_CONFLICTS")]
    pub consul_overwrite_conflicts: bool,
}

impl GateArgs {
    /// The live prefix: the flag, else the static configuration's root key, else `traefik/`.
    pub fn live_prefix(&self, static_root_key: Option<&str>) -> String {
        let p = self
            .consul_live_prefix
            .clone()
            .or_else(|| static_root_key.map(str::to_string))
            .unwrap_or_else(|| "traefik".to_string());
        format!("{}/", p.trim_end_matches('/'))
    }
}
