//! `syncd webhook-cert`: a CA and a serving certificate for the webhook's
//! Service, for clusters without cert-manager.
//!
//! Writes `ca.crt`, `tls.crt` and `tls.key` (0600) into `--out-dir`, prints
//! the base64 `caBundle`, and with `--webhook-config FILE` puts it into every
//! `caBundle:` line of a ValidatingWebhookConfiguration manifest (text edit, so
//! the file's comments survive).

use anyhow::{Context, bail};
use base64::Engine;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Flags of `syncd webhook-cert`.
#[derive(Debug, Clone, clap::Args)]
pub struct WebhookCertArgs {
    /// Name of the webhook's Service.
    #[arg(long, env = "SYNCD_WEBHOOK_SERVICE", default_value = "syncd")]
    pub service: String,
    /// Namespace of the webhook's Service.
    #[arg(long, env = "SYNCD_WEBHOOK_NAMESPACE", default_value = "traefik")]
    pub namespace: String,
    /// Directory to write `ca.crt`, `tls.crt` and `tls.key` into (created).
    #[arg(long, env = "SYNCD_WEBHOOK_CERT_OUT_DIR")]
    pub out_dir: PathBuf,
    /// A ValidatingWebhookConfiguration manifest whose `caBundle:` lines are rewritten.
    #[arg(long, env = "SYNCD_WEBHOOK_CONFIG")]
    pub webhook_config: Option<PathBuf>,
    /// Validity of the serving certificate, in days (the CA gets ten times as long).
    #[arg(long, env = "SYNCD_WEBHOOK_CERT_DAYS", default_value_t = 365)]
    pub days: u32,
}

/// The PEM texts produced.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The CA certificate (the webhook configuration's `caBundle`).
    pub ca_pem: String,
    /// The serving certificate.
    pub cert_pem: String,
    /// The serving key.
    pub key_pem: String,
}

/// The DNS names the API server may use for a Service: `svc`, `svc.ns`,
/// `svc.ns.svc` and `svc.ns.svc.cluster.local`.
pub fn dns_names(service: &str, namespace: &str) -> Vec<String> {
    vec![
        service.to_string(),
        format!("{service}.{namespace}"),
        format!("{service}.{namespace}.svc"),
        format!("{service}.{namespace}.svc.cluster.local"),
    ]
}

fn validity(p: &mut CertificateParams, days: u32) {
    let now = time::OffsetDateTime::now_utc();
    // An hour of slack for clocks that lag behind.
    p.not_before = now - time::Duration::hours(1);
    p.not_after = now + time::Duration::days(i64::from(days));
}

/// Generate a CA and a serving certificate for `service.namespace.svc`.
pub fn generate(service: &str, namespace: &str, days: u32) -> anyhow::Result<Generated> {
    if service.is_empty() || namespace.is_empty() {
        bail!("--service and --namespace must not be empty");
    }
    let ca_key = KeyPair::generate().context("generating the CA key")?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).context("CA parameters")?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format!("{service} webhook CA"));
    ca.distinguished_name = dn;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    validity(&mut ca, days.saturating_mul(10));
    let ca_cert = ca.self_signed(&ca_key).context("signing the CA")?;
    let ca_pem = ca_cert.pem();
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate().context("generating the serving key")?;
    let names = dns_names(service, namespace);
    let mut p = CertificateParams::new(names.clone()).context("serving certificate names")?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format!("{service}.{namespace}.svc"));
    p.distinguished_name = dn;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    validity(&mut p, days);
    let cert = p
        .signed_by(&key, &issuer)
        .context("signing the serving certificate")?;
    Ok(Generated {
        ca_pem,
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

fn write(path: &Path, data: &[u8], mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    // Written beside and renamed: a reader never sees half a file.
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    f.set_permissions(std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("chmod {}", tmp.display()))?;
    f.write_all(data)
        .with_context(|| format!("writing {}", tmp.display()))?;
    f.sync_all()
        .with_context(|| format!("syncing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))
}

/// Replace the value of every `caBundle:` line of a manifest; an error when
/// there is none.
pub fn rewrite_ca_bundle(text: &str, bundle: &str) -> anyhow::Result<String> {
    let mut count = 0;
    let mut out = String::with_capacity(text.len() + bundle.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start();
        if let Some(rest) = trimmed.strip_prefix("caBundle:") {
            let indent = &body[..body.len() - trimmed.len()];
            // Keep a trailing comment, if any.
            let comment = rest.find(" #").map(|i| &rest[i..]).unwrap_or("");
            out.push_str(&format!("{indent}caBundle: {bundle}{comment}"));
            out.push_str(&line[body.len()..]);
            count += 1;
        } else {
            out.push_str(line);
        }
    }
    if count == 0 {
        bail!("no `caBundle:` line to rewrite");
    }
    Ok(out)
}

/// `syncd webhook-cert`.
pub fn run(args: &WebhookCertArgs) -> anyhow::Result<()> {
    let generated = generate(&args.service, &args.namespace, args.days)?;
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("creating {}", args.out_dir.display()))?;
    write(
        &args.out_dir.join("ca.crt"),
        generated.ca_pem.as_bytes(),
        0o644,
    )?;
    write(
        &args.out_dir.join("tls.crt"),
        generated.cert_pem.as_bytes(),
        0o644,
    )?;
    write(
        &args.out_dir.join("tls.key"),
        generated.key_pem.as_bytes(),
        0o600,
    )?;
    let bundle = base64::engine::general_purpose::STANDARD.encode(generated.ca_pem.as_bytes());
    if let Some(path) = &args.webhook_config {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let new = rewrite_ca_bundle(&text, &bundle).with_context(|| path.display().to_string())?;
        write(path, new.as_bytes(), 0o644)?;
    }
    println!("{bundle}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_bundle_lines_are_rewritten_keeping_indent_and_comments() {
        let text = "webhooks:\n  - name: a\n    clientConfig:\n      caBundle: \"\" # filled by webhook-cert\n  - name: b\n      caBundle: old\n";
        let out = rewrite_ca_bundle(text, "QUJD").unwrap();
        assert_eq!(
            out,
            "webhooks:\n  - name: a\n    clientConfig:\n      caBundle: QUJD # filled by webhook-cert\n  - name: b\n      caBundle: QUJD\n"
        );
        assert!(rewrite_ca_bundle("kind: X\n", "QUJD").is_err());
    }
}
