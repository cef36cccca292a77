//! What can go wrong talking to Consul, with messages that tell the operator what to do.

/// An error from the Consul KV client.
#[derive(Debug, thiserror::Error)]
pub enum ConsulError {
    /// No HTTP answer at all (connection refused, DNS, TLS handshake, timeout).
    #[error(
        "cannot reach Consul at {addr}: {detail}; check --consul-addr (CONSUL_HTTP_ADDR), that \
         the agent is running, and --consul-ca-file (CONSUL_CACERT) for https"
    )]
    Unreachable {
        /// The configured address.
        addr: String,
        /// What the HTTP stack said (with its causes).
        detail: String,
    },
    /// An answer with an unexpected status.
    #[error("Consul answered {status} to {method} {path}: {body}")]
    Http {
        /// HTTP status.
        status: u16,
        /// Request method.
        method: String,
        /// Request path (without the token).
        path: String,
        /// Consul's text.
        body: String,
    },
    /// 403: the token is unknown (`ACL not found`) or lacks a permission.
    #[error(
        "Consul refused {method} {path}: {body}; give the token (--consul-token-file / \
         CONSUL_HTTP_TOKEN_FILE or CONSUL_HTTP_TOKEN) a policy with the needed key_prefix access"
    )]
    PermissionDenied {
        /// Request method.
        method: String,
        /// Request path.
        path: String,
        /// Consul's text (`ACL not found`, `Permission denied: ...`).
        body: String,
    },
    /// 413: a value or a transaction body is over Consul's `kv_max_value_size`.
    #[error(
        "Consul refused a value of {size} bytes for {key:?} as too large: {body}; keep values \
         under kv_max_value_size (512 KiB by default)"
    )]
    ValueTooLarge {
        /// The key (or `/v1/txn`).
        key: String,
        /// Bytes sent.
        size: usize,
        /// Consul's text.
        body: String,
    },
    /// 409 on `/v1/txn`: nothing was applied; each failing operation with Consul's reason.
    #[error("Consul rolled the transaction back, nothing was applied: {}", describe_txn_errors(.errors))]
    TxnRolledBack {
        /// `(operation index, Consul's reason)`.
        errors: Vec<(usize, String)>,
    },
    /// More operations than one transaction may hold.
    #[error(
        "a Consul transaction holds at most {max} operations, this one has {ops}; split the \
         change so that every intermediate state is valid"
    )]
    TooManyTxnOps {
        /// Operations asked for.
        ops: usize,
        /// Consul's limit.
        max: usize,
    },
    /// An answer that is not what Consul's API sends.
    #[error("unexpected answer from Consul to {what}: {detail}")]
    Decode {
        /// The request.
        what: String,
        /// What is wrong with it.
        detail: String,
    },
    /// Bad client settings (address, token file, CA file).
    #[error("Consul client settings: {0}")]
    Config(String),
}

fn describe_txn_errors(errors: &[(usize, String)]) -> String {
    errors
        .iter()
        .map(|(i, what)| format!("operation {i}: {what}"))
        .collect::<Vec<_>>()
        .join("; ")
}

impl ConsulError {
    /// Whether retrying later may help (outages, 5xx, 429), as opposed to a refusal that
    /// needs a change of settings or input.
    pub fn is_transient(&self) -> bool {
        match self {
            ConsulError::Unreachable { .. } => true,
            ConsulError::Http { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}
