//! The webhook's HTTPS server on 127.0.0.1 with a real rustls client
//! (reqwest), certificates from `syncd webhook-cert`, and rotations on disk
//! the way the kubelet updates a Secret volume.

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use syncd::webhook::cert::{Generated, WebhookCertArgs, generate, run};
use syncd::webhook::tls::{ReloadingCert, serve_https};

const HOST: &str = "syncd.traefik-sync.svc";
const CHECK: Duration = Duration::from_millis(100);

/// A kubelet-style Secret volume: `..<stamp>/` holds the files, `..data`
/// points at it, `tls.crt` and `tls.key` point through `..data`.
fn kubelet_publish(dir: &Path, stamp: &str, crt: &[u8], key: &[u8]) {
    let real = dir.join(format!("..{stamp}"));
    std::fs::create_dir_all(&real).unwrap();
    std::fs::write(real.join("tls.crt"), crt).unwrap();
    std::fs::write(real.join("tls.key"), key).unwrap();
    // Swap `..data` atomically: new symlink beside it, then rename over.
    let tmp = dir.join("..data_tmp");
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(format!("..{stamp}"), &tmp).unwrap();
    std::fs::rename(&tmp, dir.join("..data")).unwrap();
    for f in ["tls.crt", "tls.key"] {
        let link = dir.join(f);
        if std::fs::symlink_metadata(&link).is_err() {
            std::os::unix::fs::symlink(format!("..data/{f}"), &link).unwrap();
        }
    }
}

fn der(pem: &str) -> Vec<u8> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .unwrap()
        .as_ref()
        .to_vec()
}

/// The certificate the server presents on a fresh connection.
async fn served_cert(addr: std::net::SocketAddr, cas: &[&Generated]) -> Vec<u8> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut b = reqwest::Client::builder()
        .no_proxy()
        .tls_info(true)
        .pool_max_idle_per_host(0)
        .resolve(HOST, addr);
    for ca in cas {
        b = b.add_root_certificate(reqwest::Certificate::from_pem(ca.ca_pem.as_bytes()).unwrap());
    }
    let client = b.build().unwrap();
    let resp = client
        .get(format!("https://{HOST}:{}/ping", addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let info = resp.extensions().get::<reqwest::tls::TlsInfo>().cloned();
    assert_eq!(resp.text().await.unwrap(), "pong");
    info.and_then(|i| i.peer_certificate().map(<[u8]>::to_vec))
        .expect("peer certificate")
}

#[tokio::test]
async fn rotation_by_symlink_swap_is_served_and_garbage_keeps_the_last_good_pair() {
    let dir = tempfile::tempdir().unwrap();
    let first = generate("syncd", "traefik-sync", 30).unwrap();
    kubelet_publish(
        dir.path(),
        "2026_01",
        first.cert_pem.as_bytes(),
        first.key_pem.as_bytes(),
    );
    let cert = Arc::new(
        ReloadingCert::with_interval(
            &dir.path().join("tls.crt"),
            &dir.path().join("tls.key"),
            CHECK,
        )
        .unwrap(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route("/ping", axum::routing::get(|| async { "pong" }));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_https(listener, cert, app, async {
        let _ = stop_rx.await;
    }));

    assert_eq!(served_cert(addr, &[&first]).await, der(&first.cert_pem));

    // Rotation: a new pair (from a new CA) swapped in through `..data`.
    let second = generate("syncd", "traefik-sync", 30).unwrap();
    kubelet_publish(
        dir.path(),
        "2026_02",
        second.cert_pem.as_bytes(),
        second.key_pem.as_bytes(),
    );
    tokio::time::sleep(CHECK * 2).await;
    assert_eq!(
        served_cert(addr, &[&first, &second]).await,
        der(&second.cert_pem)
    );

    // Garbage (and, next, a key that does not match): the last good pair stays.
    kubelet_publish(
        dir.path(),
        "2026_03",
        b"-----BEGIN CERTIFICATE-----\ngarbage",
        b"nope",
    );
    tokio::time::sleep(CHECK * 2).await;
    assert_eq!(
        served_cert(addr, &[&first, &second]).await,
        der(&second.cert_pem)
    );
    let third = generate("syncd", "traefik-sync", 30).unwrap();
    kubelet_publish(
        dir.path(),
        "2026_04",
        third.cert_pem.as_bytes(),
        first.key_pem.as_bytes(),
    );
    tokio::time::sleep(CHECK * 2).await;
    assert_eq!(
        served_cert(addr, &[&first, &second, &third]).await,
        der(&second.cert_pem)
    );

    // A good pair after the bad ones is picked up.
    kubelet_publish(
        dir.path(),
        "2026_05",
        third.cert_pem.as_bytes(),
        third.key_pem.as_bytes(),
    );
    tokio::time::sleep(CHECK * 2).await;
    assert_eq!(
        served_cert(addr, &[&second, &third]).await,
        der(&third.cert_pem)
    );

    stop_tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(15), server)
        .await
        .expect("server stops")
        .unwrap()
        .unwrap();
}

#[test]
fn a_missing_or_bad_pair_is_refused_at_start_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let err = ReloadingCert::from_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("tls.crt"), "{err}");
    std::fs::write(dir.path().join("tls.crt"), "x").unwrap();
    std::fs::write(dir.path().join("tls.key"), "y").unwrap();
    let err = ReloadingCert::from_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("tls.crt") && err.contains("CERTIFICATE"),
        "{err}"
    );
}

#[test]
fn webhook_cert_writes_a_chain_openssl_verifies_with_the_service_names() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tls");
    let manifest = dir.path().join("webhook.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: syncd\nwebhooks:\n  - name: traefik.syncd.example\n    clientConfig:\n      caBundle: \"\" # set by syncd webhook-cert\n      service: {name: web, namespace: edge, port: 8443}\n",
    )
    .unwrap();
    run(&WebhookCertArgs {
        service: "web".into(),
        namespace: "edge".into(),
        out_dir: out.clone(),
        webhook_config: Some(manifest.clone()),
        days: 30,
    })
    .unwrap();

    let verify = std::process::Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(out.join("ca.crt"))
        .arg(out.join("tls.crt"))
        .output()
        .expect("openssl is installed");
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    let text = std::process::Command::new("openssl")
        .args([
            "x509",
            "-noout",
            "-ext",
            "subjectAltName,extendedKeyUsage",
            "-in",
        ])
        .arg(out.join("tls.crt"))
        .output()
        .expect("openssl is installed");
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    for san in [
        "DNS:web,",
        "DNS:web.edge,",
        "DNS:web.edge.svc,",
        "DNS:web.edge.svc.cluster.local",
    ] {
        assert!(text.contains(san), "{san} missing in {text}");
    }
    assert!(text.contains("TLS Web Server Authentication"), "{text}");

    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(out.join("tls.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let rewritten = std::fs::read_to_string(&manifest).unwrap();
    let line = rewritten
        .lines()
        .find(|l| l.trim_start().starts_with("caBundle:"))
        .unwrap();
    assert!(line.ends_with("# set by syncd webhook-cert"), "{line}");
    let b64 = line.trim_start()["caBundle: ".len()..]
        .split(' ')
        .next()
        .unwrap();
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(decoded, std::fs::read(out.join("ca.crt")).unwrap());
}

/// The API server's side: POST an AdmissionReview over HTTPS to the route the
/// daemon serves, get the verdict back.
#[tokio::test]
async fn admission_reviews_are_answered_over_https() {
    use serde_json::json;
    use syncd::view::{CrdChange, CrdObjects, Snapshot, ViewInputs};
    use syncd::webhook::http::{ADMISSION_PATH, router};

    let dir = tempfile::tempdir().unwrap();
    let pair = generate("syncd", "traefik-sync", 30).unwrap();
    std::fs::write(dir.path().join("tls.crt"), &pair.cert_pem).unwrap();
    std::fs::write(dir.path().join("tls.key"), &pair.key_pem).unwrap();
    let cert = Arc::new(ReloadingCert::from_dir(dir.path()).unwrap());

    let mut crd = CrdObjects::default();
    crd.apply(&CrdChange::Apply(
        json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "whoami", "namespace": "default"},
        "spec": {"ports": [{"name": "http", "port": 80}], "clusterIP": "10.96.0.1"}}),
    ));
    crd.apply(&CrdChange::Apply(json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "whoami-x", "namespace": "default", "labels": {"kubernetes.io/service-name": "whoami"}},
        "addressType": "IPv4", "ports": [{"name": "http", "port": 80}],
        "endpoints": [{"addresses": ["10.244.0.9"], "conditions": {"ready": true}}]})));
    let inputs = ViewInputs {
        crd: Some(crd),
        ..ViewInputs::default()
    };
    let snapshot = Arc::new(Snapshot {
        report: Arc::new(inputs.report()),
        inputs,
        generation: 3,
        ..Snapshot::default()
    });
    let app = router(move || Arc::clone(&snapshot));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_https(listener, cert, app, async {
        let _ = stop_rx.await;
    }));

    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .no_proxy()
        .resolve(HOST, addr)
        .add_root_certificate(reqwest::Certificate::from_pem(pair.ca_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let review = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "b0e3b6a1-0000-4000-8000-000000000001",
        "kind": {"group": "traefik.io", "version": "v1alpha1", "kind": "IngressRoute"},
        "resource": {"group": "traefik.io", "version": "v1alpha1", "resource": "ingressroutes"},
        "namespace": "default", "name": "r", "operation": "CREATE", "dryRun": false,
        "object": {"apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute",
            "metadata": {"name": "r", "namespace": "default"},
            "spec": {"routes": [{"match": "Host(`r.example`)", "kind": "Rule",
                "middlewares": [{"name": "auth@file"}],
                "services": [{"name": "whoami", "port": 80}]}]}}}});
    let resp = client
        .post(format!("https://{HOST}:{}{ADMISSION_PATH}", addr.port()))
        .json(&review)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["response"]["uid"], "b0e3b6a1-0000-4000-8000-000000000001");
    assert_eq!(v["response"]["allowed"], false, "{v:#}");
    let msg = v["response"]["status"]["message"].as_str().unwrap();
    assert!(
        msg.contains("middleware \"auth@file\" does not exist"),
        "{msg}"
    );

    stop_tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(15), server)
        .await
        .expect("server stops")
        .unwrap()
        .unwrap();
}
