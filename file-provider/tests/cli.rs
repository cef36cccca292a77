//! `file-provider check` and start-up refusals (no Traefik needed).

mod common;

use common::{bin, route, write};
use std::process::Command;

fn check(args: &[&str], inbox: &std::path::Path) -> (i32, String) {
    let out = Command::new(bin())
        .arg("check")
        .arg("--inbox")
        .arg(inbox)
        .args(args)
        .output()
        .expect("run check");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn exit_codes_follow_syncctl_validate() {
    let d = tempfile::tempdir().expect("tempdir");
    let inbox = d.path().join("inbox");
    write(&inbox.join("a.yml"), &route("a", 1));
    let (code, out) = check(&[], &inbox);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("would publish"), "{out}");

    write(
        &inbox.join("b.yml"),
        "http:\n  routers:\n    b:\n      rule: Path(`/b`)\n      service: missing\n",
    );
    let (code, out) = check(&[], &inbox);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("b.yml:3:5"), "{out}");
    assert!(out.contains("fix:"), "{out}");

    let (code, out) = check(&[], &d.path().join("nope"));
    assert_eq!(code, 2, "{out}");
}

#[test]
fn strict_blocks_warnings_and_json_follows_the_contract() {
    let d = tempfile::tempdir().expect("tempdir");
    let inbox = d.path().join("inbox");
    write(&inbox.join("a.yml"), &route("a", 1));
    write(&inbox.join("b.yml"), &route("a", 2));
    let (code, out) = check(&["--format", "json"], &inbox);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    for key in ["http", "tcp", "udp", "providers", "findings"] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert!(
        v["findings"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["code"] == "duplicate-skipped"))
    );
    let (code, out) = check(&["--strict"], &inbox);
    assert_eq!(code, 1, "{out}");
}

#[test]
fn rendering_is_reproducible_byte_for_byte() {
    let d = tempfile::tempdir().expect("tempdir");
    let one = d.path().join("one");
    let two = d.path().join("two");
    for dir in [&one, &two] {
        write(&dir.join("a.yml"), &route("a", 1));
        write(
            &dir.join("sub/b.toml"),
            "[http.routers.b]\nrule = \"Path(`/b`)\"\nservice = \"a\"\n",
        );
    }
    let r1 = d.path().join("r1.yml");
    let r2 = d.path().join("r2.yml");
    assert_eq!(
        check(&["--render-to", r1.to_str().expect("utf8")], &one).0,
        0
    );
    assert_eq!(
        check(&["--render-to", r2.to_str().expect("utf8")], &two).0,
        0
    );
    let (a, b) = (
        std::fs::read(&r1).expect("r1"),
        std::fs::read(&r2).expect("r2"),
    );
    assert_eq!(a, b);
    assert!(String::from_utf8_lossy(&a).contains("# sub/b.toml:1:1"));
}

#[test]
fn run_refuses_layouts_that_bypass_the_gate() {
    let d = tempfile::tempdir().expect("tempdir");
    let output = d.path().join("dynamic");
    let inbox = output.join("inbox");
    std::fs::create_dir_all(&inbox).expect("mkdir");
    let out = Command::new(bin())
        .args(["run", "--listen", "off", "--inbox"])
        .arg(&inbox)
        .arg("--output")
        .arg(&output)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("inside --output"));
}

#[test]
fn help_teaches() {
    let out = Command::new(bin())
        .args(["run", "--help"])
        .output()
        .expect("help");
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--inbox",
        "--output",
        "--static",
        "--strict",
        "--status-file",
        "FILE_PROVIDER_INBOX",
    ] {
        assert!(text.contains(flag), "{flag} missing from --help:\n{text}");
    }
}
