//! Validation of the candidate configuration.
//!
//! Calls `sync_core::validate::validate` when available.
//! Temporary shim: until that function lands on main, the report is built from
//! the provider's decode findings only (whole-provider rejection, duplicates).

use sync_core::provider::{ProviderConfig, ProviderStatus};
use sync_core::report::{ProviderReport, Report};
use sync_core::static_config::StaticConfig;

/// Validate the providers the way Traefik would run them.
pub fn validate(_static: Option<&StaticConfig>, providers: &[ProviderConfig]) -> Report {
    let mut report = Report::default();
    for p in providers {
        let (status, errors) = match &p.status {
            ProviderStatus::Ok => ("ok", Vec::new()),
            ProviderStatus::Rejected { errors } => ("rejected", errors.clone()),
        };
        report
            .providers
            .insert(p.name.clone(), ProviderReport { status, errors });
        report.findings.extend(p.findings.iter().cloned());
    }
    report.normalize_findings();
    report
}
