//! Overlap and shadow analysis between routers (stub; filled in below).

use crate::finding::Finding;
use crate::provider::ProviderConfig;
use crate::report::Report;
use crate::static_config::StaticConfig;

/// Route-overlap findings (`route-overlap`, `route-shadowed`, `nondeterministic-route`).
pub fn findings(
    _static_cfg: Option<&StaticConfig>,
    _providers: &[ProviderConfig],
    _report: &Report,
) -> Vec<Finding> {
    Vec::new()
}
