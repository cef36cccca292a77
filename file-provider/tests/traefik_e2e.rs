//! End to end with real Traefik 3.7 reading file-provider's output directory.
//!
//! Every test starts its own Traefik, file-provider and backend on 127.0.0.1
//! ports and stops them through Drop guards, also when an assertion fails.

mod common;

use common::*;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

const T: Duration = Duration::from_secs(20);

struct Env {
    _dir: tempfile::TempDir,
    work: std::path::PathBuf,
    inbox: std::path::PathBuf,
    output: std::path::PathBuf,
    backend: Backend,
    traefik: Traefik,
}

fn env() -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let work = dir.path().to_path_buf();
    let inbox = work.join("inbox");
    let output = work.join("dynamic");
    std::fs::create_dir_all(&inbox).expect("mkdir");
    std::fs::create_dir_all(&output).expect("mkdir");
    let backend = Backend::start("one");
    let traefik = Traefik::start(&work, &output);
    Env {
        _dir: dir,
        work,
        inbox,
        output,
        backend,
        traefik,
    }
}

fn published(output: &Path) -> Vec<u8> {
    std::fs::read(output.join("dynamic.yml")).unwrap_or_default()
}

#[test]
fn valid_drop_served_broken_rejected_fix_published() {
    let e = env();
    let fp = FileProvider::start(
        &e.work,
        &e.inbox,
        &e.output,
        Some(&e.traefik.static_file),
        &[],
    );
    write(&e.inbox.join("app.yml"), &route("app", e.backend.port));
    assert!(
        e.traefik.wait_status("/app/x", 200, T),
        "valid file not served"
    );
    let r = get(e.traefik.web, "/app/x").expect("response");
    assert!(r.head.contains("X-Backend: one"), "{}", r.head);
    assert!(r.body.contains("backend=one path=/app/x"), "{}", r.body);
    assert_eq!(fp.wait_judged(&e.inbox, T), "published");

    let good = published(&e.output);
    let broken = [
        // YAML syntax error.
        ("syntax", "http:\n  routers:\n    broken:\n   rule: [\n".to_string()),
        // Unknown field: Traefik would drop the whole file provider.
        (
            "unknown-field",
            "http:\n  routers:\n    broken:\n      rulez: PathPrefix(`/broken`)\n      service: app\n".to_string(),
        ),
        // Rule that does not parse.
        (
            "bad-rule",
            "http:\n  routers:\n    broken:\n      rule: PathPrefix(`/broken`\n      service: app\n".to_string(),
        ),
        // Missing reference.
        (
            "missing-ref",
            "http:\n  routers:\n    broken:\n      rule: PathPrefix(`/broken`)\n      service: nope\n".to_string(),
        ),
    ];
    for (what, text) in &broken {
        write(&e.inbox.join("broken.yml"), text);
        assert_eq!(
            fp.wait_judged(&e.inbox, T),
            "rejected",
            "{what} was not rejected"
        );
        assert_eq!(published(&e.output), good, "{what} changed the publication");
        assert_eq!(
            e.traefik.status("/app/x"),
            200,
            "{what}: previous routes lost"
        );
        assert_eq!(e.traefik.status("/broken"), 404, "{what}");
        let status = fp.status();
        let findings = status["findings"].as_array().cloned().unwrap_or_default();
        let first = findings
            .iter()
            .find(|f| f["severity"] == "error")
            .unwrap_or_else(|| panic!("{what}: no error finding in {status}"));
        assert_eq!(first["source"]["path"], "broken.yml", "{what}: {first}");
        assert!(
            first["source"]["line"].as_u64().is_some(),
            "{what}: no line in {first}"
        );
        let log = fp.proc.log_text();
        assert!(
            log.contains("broken.yml:"),
            "{what}: rejection not logged with file:line:col:\n{log}"
        );
        assert!(log.contains("fix:"), "{what}: no fix in the log");
    }
    assert!(fp.metric("traefik_sync_file_provider_rejections_total") >= 4.0);
    assert_eq!(fp.metric("traefik_sync_file_provider_inbox_valid"), 0.0);

    write(
        &e.inbox.join("broken.yml"),
        &route("broken", e.backend.port),
    );
    assert_eq!(fp.wait_judged(&e.inbox, T), "published");
    assert!(
        e.traefik.wait_status("/broken", 200, T),
        "fixed file not served"
    );
    assert_eq!(e.traefik.status("/app/x"), 200);
    assert_eq!(fp.metric("traefik_sync_file_provider_inbox_valid"), 1.0);
    // The status file mirrors /status, outside Traefik's directory.
    let sf: serde_json::Value =
        serde_json::from_slice(&std::fs::read(e.work.join("status.json")).expect("status file"))
            .expect("status json");
    assert_eq!(sf["gate"]["state"], "published");
    assert!(sf["http"]["routers"]["broken@file"].is_object(), "{sf}");
}

#[test]
fn editor_saves_and_configmap_swaps() {
    let e = env();
    // The inbox is laid out like a ConfigMap volume from the start.
    let inbox = &e.inbox;
    let v1 = inbox.join("..2026_11_25_00_00_00.000000001");
    std::fs::create_dir(&v1).expect("mkdir");
    write(&v1.join("cm.yml"), &route("cm1", e.backend.port));
    symlink(v1.file_name().expect("name"), inbox.join("..data")).expect("symlink");
    symlink("..data/cm.yml", inbox.join("cm.yml")).expect("symlink");
    let fp = FileProvider::start(&e.work, inbox, &e.output, Some(&e.traefik.static_file), &[]);
    assert!(
        e.traefik.wait_status("/cm1", 200, T),
        "ConfigMap file not served"
    );

    // kubelet's atomic writer: new timestamped dir, new link, rename over ..data, remove old dir.
    let v2 = inbox.join("..2026_11_25_00_00_01.000000002");
    std::fs::create_dir(&v2).expect("mkdir");
    write(&v2.join("cm.yml"), &route("cm2", e.backend.port));
    symlink(v2.file_name().expect("name"), inbox.join("..data_tmp")).expect("symlink");
    std::fs::rename(inbox.join("..data_tmp"), inbox.join("..data")).expect("rename");
    std::fs::remove_dir_all(&v1).expect("rm");
    assert!(
        e.traefik.wait_status("/cm2", 200, T),
        "ConfigMap swap not picked up"
    );
    assert_eq!(e.traefik.status("/cm1"), 404);

    // Write to a temp name, then rename over the target (many editors, `install`, Ansible).
    let tmp = inbox.join(".edit.yml.tmp-1234");
    write(&tmp, &route("edit1", e.backend.port));
    std::fs::rename(&tmp, inbox.join("edit.yml")).expect("rename");
    assert!(
        e.traefik.wait_status("/edit1", 200, T),
        "temp+rename save not served"
    );

    // vim's backup dance: probe file 4913, rename the original to `edit.yml~`,
    // write the new file, delete the backup. A swap file sits next to it all along.
    write(&inbox.join(".edit.yml.swp"), "b0VIM 9.0 not yaml at all: [");
    write(&inbox.join("4913"), "");
    std::fs::remove_file(inbox.join("4913")).expect("rm");
    std::fs::rename(inbox.join("edit.yml"), inbox.join("edit.yml~")).expect("rename");
    write(&inbox.join("edit.yml"), &route("edit2", e.backend.port));
    std::fs::remove_file(inbox.join("edit.yml~")).expect("rm");
    assert!(
        e.traefik.wait_status("/edit2", 200, T),
        "vim-style save not served"
    );
    assert_eq!(fp.wait_judged(inbox, T), "published");
    std::fs::remove_file(inbox.join(".edit.yml.swp")).expect("rm");
    assert_eq!(e.traefik.status("/edit1"), 404);
    assert_eq!(e.traefik.status("/cm2"), 200);
    assert_eq!(
        fp.metric("traefik_sync_file_provider_rejections_total"),
        0.0,
        "{}",
        fp.proc.log_text()
    );
}

#[test]
fn half_written_file_is_not_judged() {
    let e = env();
    // Settle longer than the writer's pause: the half file is never judged.
    let fp = FileProvider::start(
        &e.work,
        &e.inbox,
        &e.output,
        Some(&e.traefik.static_file),
        &["--settle-ms", "1500"],
    );
    let full = route("slow", e.backend.port);
    let (a, b) = full.split_at(full.len() / 2);
    let path = e.inbox.join("slow.yml");
    let mut f = std::fs::File::create(&path).expect("create");
    std::io::Write::write_all(&mut f, a.as_bytes()).expect("write");
    std::io::Write::flush(&mut f).expect("flush");
    std::thread::sleep(Duration::from_millis(600));
    std::io::Write::write_all(&mut f, b.as_bytes()).expect("write");
    drop(f);
    assert!(e.traefik.wait_status("/slow", 200, T));
    assert_eq!(
        fp.metric("traefik_sync_file_provider_rejections_total"),
        0.0,
        "{}",
        fp.proc.log_text()
    );
}

#[test]
fn two_hundred_rapid_edits_end_in_the_last_state() {
    let e = env();
    let fp = FileProvider::start(
        &e.work,
        &e.inbox,
        &e.output,
        Some(&e.traefik.static_file),
        &[],
    );
    let path = e.inbox.join("rapid.yml");
    for i in 0..200 {
        let text = route(&format!("v{i}"), e.backend.port);
        if i % 2 == 0 {
            write(&path, &text);
        } else {
            let tmp = e.inbox.join(format!(".rapid.yml.{i}"));
            write(&tmp, &text);
            std::fs::rename(&tmp, &path).expect("rename");
        }
        if i % 50 == 0 {
            // An invalid intermediate state now and then: must never reach Traefik.
            write(&e.inbox.join("zz-broken.yml"), "http: [");
            std::fs::remove_file(e.inbox.join("zz-broken.yml")).expect("rm");
        }
    }
    assert!(
        e.traefik.wait_status("/v199", 200, T),
        "last edit not served"
    );
    assert_eq!(fp.wait_judged(&e.inbox, T), "published");
    assert_eq!(e.traefik.status("/v198"), 404);
    // The publication is exactly what `check --render-to` renders from the same inbox.
    let rendered = e.work.join("rendered.yml");
    let st = std::process::Command::new(bin())
        .args(["check", "--inbox"])
        .arg(&e.inbox)
        .arg("--static")
        .arg(&e.traefik.static_file)
        .arg("--render-to")
        .arg(&rendered)
        .output()
        .expect("check");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stdout)
    );
    assert_eq!(
        std::fs::read(&rendered).expect("rendered"),
        published(&e.output)
    );
}

#[test]
fn restart_with_invalid_inbox_keeps_last_publication() {
    let e = env();
    let mut fp = FileProvider::start(
        &e.work,
        &e.inbox,
        &e.output,
        Some(&e.traefik.static_file),
        &[],
    );
    write(&e.inbox.join("app.yml"), &route("app", e.backend.port));
    assert!(e.traefik.wait_status("/app", 200, T));
    assert_eq!(fp.wait_judged(&e.inbox, T), "published");
    let live = fp.status()["gate"]["liveRevision"].clone();
    let good = published(&e.output);
    fp.proc.terminate();

    write(
        &e.inbox.join("app.yml"),
        "http:\n  routers:\n    app:\n      rule: [\n",
    );
    let fp = FileProvider::start(
        &e.work,
        &e.inbox,
        &e.output,
        Some(&e.traefik.static_file),
        &[],
    );
    assert_eq!(fp.wait_judged(&e.inbox, T), "rejected");
    assert_eq!(published(&e.output), good);
    assert_eq!(
        fp.status()["gate"]["liveRevision"],
        live,
        "live revision read back from the published file"
    );
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(e.traefik.status("/app"), 200);
    // No temp file ever left in Traefik's directory.
    let mut names: Vec<String> = std::fs::read_dir(&e.output)
        .expect("ls")
        .flatten()
        .map(|d| d.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, [".file-provider-staging", "dynamic.yml"]);
    let staged = std::fs::read_dir(e.output.join(".file-provider-staging"))
        .expect("ls")
        .count();
    assert_eq!(staged, 0);
}

#[test]
fn escaping_symlink_is_refused_and_output_restored_if_tampered() {
    let e = env();
    let fp = FileProvider::start(
        &e.work,
        &e.inbox,
        &e.output,
        Some(&e.traefik.static_file),
        &[],
    );
    write(&e.inbox.join("app.yml"), &route("app", e.backend.port));
    assert!(e.traefik.wait_status("/app", 200, T));
    assert_eq!(fp.wait_judged(&e.inbox, T), "published");
    let good = published(&e.output);

    // Someone edits Traefik's file by hand: the periodic rescan restores the publication.
    write(&e.output.join("dynamic.yml"), "http: {}\n");
    assert!(
        wait_until(T, || published(&e.output) == good),
        "tampered output not restored"
    );

    let outside = e.work.join("outside.yml");
    write(&outside, &route("outside", e.backend.port));
    symlink(&outside, e.inbox.join("outside.yml")).expect("symlink");
    assert_eq!(fp.wait_judged(&e.inbox, T), "rejected");
    let status = fp.status();
    assert!(
        status["findings"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["code"] == "symlink-escapes-inbox")),
        "{status}"
    );
    assert_eq!(published(&e.output), good);
    assert_eq!(e.traefik.status("/outside"), 404);
}

#[test]
fn subdirectories_and_toml_are_watched_and_served() {
    let e = env();
    let fp = FileProvider::start(
        &e.work,
        &e.inbox,
        &e.output,
        Some(&e.traefik.static_file),
        &[],
    );
    // Traefik itself loads sub-directories but does not watch them; the gate does.
    write(
        &e.inbox.join("team-a/deep/svc.yml"),
        &route("deep", e.backend.port),
    );
    assert!(
        e.traefik.wait_status("/deep", 200, T),
        "file in a sub-directory not served"
    );
    write(
        &e.inbox.join("team-b/svc.toml"),
        "[http.routers.tomlr]\nrule = \"PathPrefix(`/tomlr`)\"\nentryPoints = [\"web\"]\nservice = \"deep\"\n",
    );
    assert!(
        e.traefik.wait_status("/tomlr", 200, T),
        "TOML file not served"
    );
    std::fs::remove_dir_all(e.inbox.join("team-a")).expect("rm");
    // (the rejection below arrives through the watch, well before the 2 s rescan)
    assert_eq!(
        fp.wait_judged(&e.inbox, T),
        "rejected",
        "tomlr now points at a missing service"
    );
    assert_eq!(e.traefik.status("/tomlr"), 200, "previous publication kept");
    assert_eq!(e.traefik.status("/deep/x"), 200);
}

#[test]
fn replaced_inbox_directory_is_watched_again() {
    let e = env();
    // A long rescan interval: only a working watch can pick the change up in time.
    let fp = FileProvider::start(
        &e.work,
        &e.inbox,
        &e.output,
        Some(&e.traefik.static_file),
        &["--rescan-seconds", "3600"],
    );
    write(&e.inbox.join("a.yml"), &route("a", e.backend.port));
    assert!(e.traefik.wait_status("/a", 200, T));
    // `rm -rf inbox && mkdir inbox`: the old inotify watch is gone with the directory.
    std::fs::remove_dir_all(&e.inbox).expect("rm");
    std::fs::create_dir(&e.inbox).expect("mkdir");
    write(&e.inbox.join("b.yml"), &route("b", e.backend.port));
    assert!(
        e.traefik.wait_status("/b", 200, T),
        "{}",
        fp.proc.log_text()
    );
    write(&e.inbox.join("c.yml"), &route("c", e.backend.port));
    assert!(
        e.traefik.wait_status("/c", 200, T),
        "{}",
        fp.proc.log_text()
    );
    assert_eq!(e.traefik.status("/a"), 404);
}
