//! The cluster's shared secrets, generated in Rust before any VM exists: the three kubeadm CAs
//! (cluster, front-proxy, etcd), the service-account key pair, a bootstrap token, the discovery
//! hash, and a client certificate `bootstrap` itself uses to ask the API whether nodes are Ready.
//!
//! Keys are ECDSA P-256 (rcgen with ring; kubeadm is told `encryptionAlgorithm: ECDSA-P256`
//! so the certificates it derives on the nodes match). kubeadm keeps pre-existing CA files and
//! signs the per-node certificates with them, so every control-plane node gets the same 8 files
//! (the HA guide's "manual certificate distribution" list) and `--upload-certs` is not needed.
//!
//! The secrets are persisted in a state folder (mode 0700, keys 0600) so a second or resumed
//! `up` renders byte-identical cloud-init for VMs that already exist.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PublicKeyData,
};
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("certificate generation failed: {0}")]
    Rcgen(String),
    #[error("random number generator failed")]
    Random,
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl From<rcgen::Error> for PkiError {
    fn from(e: rcgen::Error) -> Self {
        PkiError::Rcgen(e.to_string())
    }
}

/// A certificate and its private key, both PEM.
#[derive(Clone)]
pub struct CertKey {
    pub cert_pem: String,
    pub key_pem: String,
}

impl fmt::Debug for CertKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertKey")
            .field("cert_pem", &format_args!("{} bytes", self.cert_pem.len()))
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// `[a-z0-9]{6}.[a-z0-9]{16}`; Display shows only the public id.
#[derive(Clone, PartialEq, Eq)]
pub struct BootstrapToken(String);

impl BootstrapToken {
    pub fn parse(s: &str) -> Option<BootstrapToken> {
        let (id, secret) = s.split_once('.')?;
        let ok = |p: &str, n: usize| {
            p.len() == n
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        };
        (ok(id, 6) && ok(secret, 16)).then(|| BootstrapToken(s.to_owned()))
    }
    /// The full token, for kubeadm configuration only.
    pub fn secret_value(&self) -> &str {
        &self.0
    }
    pub fn id(&self) -> &str {
        &self.0[..6]
    }
}

impl fmt::Debug for BootstrapToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BootstrapToken({}.<redacted>)", self.id())
    }
}

impl fmt::Display for BootstrapToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.<redacted>", self.id())
    }
}

/// Everything secret the cluster shares.
#[derive(Clone)]
pub struct ClusterSecrets {
    pub ca: CertKey,
    pub front_proxy_ca: CertKey,
    pub etcd_ca: CertKey,
    pub sa_key_pem: String,
    pub sa_pub_pem: String,
    /// Client certificate (O=system:masters) for `bootstrap`'s own readiness checks.
    pub admin: CertKey,
    pub token: BootstrapToken,
}

impl fmt::Debug for ClusterSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterSecrets")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

const FILES: [&str; 11] = [
    "pki/ca.crt",
    "pki/ca.key",
    "pki/front-proxy-ca.crt",
    "pki/front-proxy-ca.key",
    "pki/etcd/ca.crt",
    "pki/etcd/ca.key",
    "pki/sa.key",
    "pki/sa.pub",
    "pki/bootstrap-admin.crt",
    "pki/bootstrap-admin.key",
    "bootstrap-token",
];

impl ClusterSecrets {
    pub fn generate() -> Result<ClusterSecrets, PkiError> {
        let ca_key = KeyPair::generate()?;
        let ca_params = ca_params("kubernetes")?;
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let ca = CertKey {
            cert_pem: ca_cert.pem(),
            key_pem: ca_key.serialize_pem(),
        };
        let front_proxy_ca = self_signed_ca("front-proxy-ca")?;
        let etcd_ca = self_signed_ca("etcd-ca")?;
        let sa = KeyPair::generate()?;

        let issuer = Issuer::new(ca_params, ca_key);
        let admin_key = KeyPair::generate()?;
        let mut p = CertificateParams::new(Vec::<String>::new())?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "system:masters");
        dn.push(DnType::CommonName, "bootstrap-admin");
        p.distinguished_name = dn;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        set_validity(&mut p, 1);
        let admin_cert = p.signed_by(&admin_key, &issuer)?;

        Ok(ClusterSecrets {
            ca,
            front_proxy_ca,
            etcd_ca,
            sa_key_pem: sa.serialize_pem(),
            sa_pub_pem: sa.public_key_pem(),
            admin: CertKey {
                cert_pem: admin_cert.pem(),
                key_pem: admin_key.serialize_pem(),
            },
            token: random_token()?,
        })
    }

    /// `sha256:<hex>` of the cluster CA's SubjectPublicKeyInfo (kubeadm's
    /// `--discovery-token-ca-cert-hash`).
    pub fn discovery_hash(&self) -> Result<String, PkiError> {
        let key = KeyPair::from_pem(&self.ca.key_pem)?;
        let spki = key.subject_public_key_info();
        Ok(format!("sha256:{}", hex(&Sha256::digest(&spki))))
    }

    /// Loads the secrets from `dir`, or generates and stores them. Returns whether they are new.
    pub fn load_or_create(dir: &Path) -> Result<(ClusterSecrets, bool), PkiError> {
        if dir.join("bootstrap-token").exists() {
            return Ok((ClusterSecrets::load(dir)?, false));
        }
        if dir.join("pki/ca.key").exists() {
            // The PKI exists but the token was removed (expired): issue a new token only.
            write_file(
                &dir.join("bootstrap-token"),
                format!("{}\n", random_token()?.secret_value()).as_bytes(),
                true,
            )?;
            return Ok((ClusterSecrets::load(dir)?, false));
        }
        let s = ClusterSecrets::generate()?;
        s.store(dir)?;
        Ok((s, true))
    }

    /// Loads existing secrets if the state folder has them.
    pub fn load_existing(dir: &Path) -> Result<Option<ClusterSecrets>, PkiError> {
        if dir.join("bootstrap-token").exists() {
            Ok(Some(ClusterSecrets::load(dir)?))
        } else {
            Ok(None)
        }
    }

    fn load(dir: &Path) -> Result<ClusterSecrets, PkiError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|error| PkiError::Io { path, error })
        };
        let token_path = dir.join("bootstrap-token");
        let token_text = read("bootstrap-token")?;
        let token = BootstrapToken::parse(token_text.trim()).ok_or(PkiError::Invalid {
            path: token_path,
            message: "not a kubeadm bootstrap token ([a-z0-9]{6}.[a-z0-9]{16})".into(),
        })?;
        let s = ClusterSecrets {
            ca: CertKey {
                cert_pem: read("pki/ca.crt")?,
                key_pem: read("pki/ca.key")?,
            },
            front_proxy_ca: CertKey {
                cert_pem: read("pki/front-proxy-ca.crt")?,
                key_pem: read("pki/front-proxy-ca.key")?,
            },
            etcd_ca: CertKey {
                cert_pem: read("pki/etcd/ca.crt")?,
                key_pem: read("pki/etcd/ca.key")?,
            },
            sa_key_pem: read("pki/sa.key")?,
            sa_pub_pem: read("pki/sa.pub")?,
            admin: CertKey {
                cert_pem: read("pki/bootstrap-admin.crt")?,
                key_pem: read("pki/bootstrap-admin.key")?,
            },
            token,
        };
        for (name, pem) in [
            ("pki/ca.key", &s.ca.key_pem),
            ("pki/front-proxy-ca.key", &s.front_proxy_ca.key_pem),
            ("pki/etcd/ca.key", &s.etcd_ca.key_pem),
            ("pki/sa.key", &s.sa_key_pem),
            ("pki/bootstrap-admin.key", &s.admin.key_pem),
        ] {
            KeyPair::from_pem(pem).map_err(|e| PkiError::Invalid {
                path: dir.join(name),
                message: format!("not a usable private key: {e}"),
            })?;
        }
        Ok(s)
    }

    fn store(&self, dir: &Path) -> Result<(), PkiError> {
        for d in [dir.to_path_buf(), dir.join("pki"), dir.join("pki/etcd")] {
            private_dir(&d)?;
        }
        let contents = [
            &self.ca.cert_pem,
            &self.ca.key_pem,
            &self.front_proxy_ca.cert_pem,
            &self.front_proxy_ca.key_pem,
            &self.etcd_ca.cert_pem,
            &self.etcd_ca.key_pem,
            &self.sa_key_pem,
            &self.sa_pub_pem,
            &self.admin.cert_pem,
            &self.admin.key_pem,
        ];
        for (name, text) in FILES.iter().zip(contents) {
            let secret = !(name.ends_with(".crt") || name.ends_with(".pub"));
            write_file(&dir.join(name), text.as_bytes(), secret)?;
        }
        write_file(
            &dir.join("bootstrap-token"),
            format!("{}\n", self.token.secret_value()).as_bytes(),
            true,
        )
    }
}

fn ca_params(cn: &str) -> Result<CertificateParams, PkiError> {
    let mut p = CertificateParams::new(Vec::<String>::new())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyCertSign,
    ];
    set_validity(&mut p, 10);
    Ok(p)
}

fn self_signed_ca(cn: &str) -> Result<CertKey, PkiError> {
    let key = KeyPair::generate()?;
    let cert = ca_params(cn)?.self_signed(&key)?;
    Ok(CertKey {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

fn random_token() -> Result<BootstrapToken, PkiError> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let rng = SystemRandom::new();
    let mut out = String::with_capacity(23);
    while out.len() < 23 {
        if out.len() == 6 {
            out.push('.');
            continue;
        }
        let mut b = [0u8; 1];
        rng.fill(&mut b).map_err(|_| PkiError::Random)?;
        // 252 = 7 * 36: reject the tail to keep the distribution uniform.
        if b[0] < 252 {
            out.push(ALPHABET[usize::from(b[0] % 36)] as char);
        }
    }
    BootstrapToken::parse(&out).ok_or(PkiError::Random)
}

/// Creates `dir` (and parents) and restricts it to its owner (0700).
pub fn private_dir(dir: &Path) -> Result<(), PkiError> {
    use std::os::unix::fs::PermissionsExt;
    let io = |error| PkiError::Io {
        path: dir.to_owned(),
        error,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)
}

/// Writes a file, creating parent folders; secrets get mode 0600.
pub fn write_file(path: &Path, data: &[u8], secret: bool) -> Result<(), PkiError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let io = |error| PkiError::Io {
        path: path.to_owned(),
        error,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let mode = if secret { 0o600 } else { 0o644 };
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .map_err(io)?;
    // The mode above applies only on creation; enforce it for existing files too.
    f.set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(io)?;
    f.write_all(data).map_err(io)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Valid from yesterday for `years` years.
fn set_validity(p: &mut CertificateParams, years: i32) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0) - 1;
    let (y, m, d) = civil_from_days(days);
    // Feb 29 + N years may not exist; use the 28th then.
    let d_after = if m == 2 && d == 29 { 28 } else { d };
    p.not_before = rcgen::date_time_ymd(y, m, d);
    p.not_after = rcgen::date_time_ymd(y + years, m, d_after);
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i32, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (
        i32::try_from(y).unwrap_or(2000),
        u8::try_from(m).unwrap_or(1),
        u8::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_format_and_redaction() {
        let t = random_token().unwrap();
        assert!(BootstrapToken::parse(t.secret_value()).is_some());
        assert!(!format!("{t} {t:?}").contains(&t.secret_value()[7..]));
        assert!(BootstrapToken::parse("abcdef.0123456789abcdef").is_some());
        assert!(BootstrapToken::parse("ABCDEF.0123456789abcdef").is_none());
        assert!(BootstrapToken::parse("abcde.0123456789abcdef").is_none());
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_517), (2026, 3, 5));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn store_and_load_round_trip_with_modes() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (a, created) = ClusterSecrets::load_or_create(dir.path()).unwrap();
        assert!(created);
        let (b, created) = ClusterSecrets::load_or_create(dir.path()).unwrap();
        assert!(!created);
        assert_eq!(a.ca.cert_pem, b.ca.cert_pem);
        assert_eq!(a.token, b.token);
        assert_eq!(a.discovery_hash().unwrap(), b.discovery_hash().unwrap());
        for (name, want) in [
            ("pki/ca.key", 0o600),
            ("pki/ca.crt", 0o644),
            ("bootstrap-token", 0o600),
            ("", 0o700),
            ("pki", 0o700),
            ("pki/etcd", 0o700),
        ] {
            let mode = std::fs::metadata(dir.path().join(name))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode, want, "{name}");
        }
        assert!(a.discovery_hash().unwrap().starts_with("sha256:"));
        // Removing only the token issues a new one and keeps the PKI.
        std::fs::remove_file(dir.path().join("bootstrap-token")).unwrap();
        let (c, created) = ClusterSecrets::load_or_create(dir.path()).unwrap();
        assert!(!created);
        assert_eq!(c.ca.cert_pem, a.ca.cert_pem);
        assert_ne!(c.token, a.token);
        assert_eq!(a.discovery_hash().unwrap().len(), 7 + 64);
        assert!(!format!("{a:?}").contains("PRIVATE KEY"));
    }
}
