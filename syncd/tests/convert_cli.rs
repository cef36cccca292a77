//! `syncctl convert`, run as the built binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use sync_core::decode::consul_kv;
use sync_core::decode::file_provider::{self, SourceFile};

fn syncctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_syncctl"))
        .args(args)
        .output()
        .expect("syncctl runs")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn decode_files(dir: &Path) -> sync_core::model::Configuration {
    let files = sync_core::load::file_provider_files(dir).expect("reads");
    let p = file_provider::decode_provider(&files);
    assert!(!p.is_rejected(), "{:?}", p.status);
    p.config
}

#[test]
fn file_to_kv_to_toml_is_lossless_for_the_homelab_example() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let kv = tmp.path().join("kv.json");
    let toml = tmp.path().join("dynamic.toml");
    let files = repo().join("examples/homelab/files");
    let out = syncctl(&[
        "convert",
        "--from",
        "file",
        "--to",
        "consul-export",
        files.to_str().expect("utf8"),
        "-o",
        kv.to_str().expect("utf8"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let pairs = consul_kv::parse_export(&std::fs::read(&kv).expect("kv written")).expect("export");
    assert!(pairs.iter().all(|p| p.key.starts_with("traefik/")));
    let from_kv = consul_kv::decode_provider(&pairs, "traefik");
    assert_eq!(from_kv.config, decode_files(&files));

    let out = syncctl(&[
        "convert",
        "--from",
        "consul-export",
        "--to",
        "file",
        kv.to_str().expect("utf8"),
        "-o",
        toml.to_str().expect("utf8"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&toml).expect("toml written");
    assert!(
        text.contains("[http.routers."),
        "TOML chosen from the extension: {text}"
    );
    assert_eq!(decode_files(&toml), decode_files(&files));
}

#[test]
fn losses_are_listed_with_their_place_and_exit_1() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("in.yml");
    std::fs::write(
        &input,
        "http:\n  routers:\n    r:\n      rule: Host(`a.lan`)\n      service: s\n      middlewares: [\"a,b\"]\n  services:\n    s:\n      loadBalancer:\n        servers: [{url: \"http://127.0.0.1:1\"}]\n",
    )
    .expect("write");
    let kv = tmp.path().join("kv.json");
    let out = syncctl(&[
        "convert",
        "--from",
        "file",
        "--to",
        "consul-export",
        "--to-root-key",
        "traefik-staging",
        input.to_str().expect("utf8"),
        "-o",
        kv.to_str().expect("utf8"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("in.yml:3:5"), "{err}");
    assert!(err.contains("[kv-comma-split]"), "{err}");
    let pairs =
        consul_kv::parse_export(&std::fs::read(&kv).expect("still written")).expect("export");
    assert!(
        pairs
            .iter()
            .any(|p| p.key == "traefik-staging/http/routers/r/rule")
    );

    let out = syncctl(&[
        "convert",
        "--from",
        "file",
        "--to",
        "crd",
        input.to_str().expect("utf8"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("[crd-service-ref]") && err.contains("127.0.0.1:1"),
        "{err}"
    );
}

#[test]
fn bad_input_and_usage_exit_2_naming_the_place() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bad = tmp.path().join("bad.yml");
    std::fs::write(&bad, "http:\n  routers:\n    r:\n      rule: [unclosed\n").expect("write");
    let out = syncctl(&[
        "convert",
        "--from",
        "file",
        "--to",
        "consul-export",
        bad.to_str().expect("utf8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bad.yml:"), "{err}");

    let out = syncctl(&[
        "convert",
        "--from",
        "file",
        "--to",
        "crd",
        "/nonexistent/dir",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/dir"));

    let a = tmp.path().join("a.json");
    std::fs::write(&a, "[]").expect("write");
    let out = syncctl(&[
        "convert",
        "--from",
        "consul-export",
        "--to",
        "file",
        a.to_str().expect("utf8"),
        a.to_str().expect("utf8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("exactly one"));

    let out = syncctl(&["convert", "--from", "yaml", "--to", "file", "x"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_teaches_with_examples() {
    let out = syncctl(&["convert", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--from",
        "--to-root-key",
        "--namespace",
        "consul kv import",
        "Exit code",
    ] {
        assert!(
            text.contains(needle),
            "{needle} missing from --help:\n{text}"
        );
    }
}

#[test]
fn crd_input_converts_to_file_with_traefik_names() {
    let out = syncctl(&[
        "convert",
        "--from",
        "crd",
        "--to",
        "file",
        repo().join("examples/homelab/crds").to_str().expect("utf8"),
    ]);
    // The example holds a refused cross-namespace route: reported, exit 1.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("IngressRoute apps/whoami"));
    let p = file_provider::decode_provider(&[SourceFile {
        path: "out.yml".into(),
        content: out.stdout.clone(),
    }]);
    assert!(!p.is_rejected(), "{:?}", p.status);
    assert!(
        p.config
            .http_routers()
            .any(|(n, _)| n.starts_with("apps-status-"))
    );
}
