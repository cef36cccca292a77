//! The published file is equivalent to the inbox FOR REAL TRAEFIK: for every scenario of the
//! shared corpus (`tests/corpus`, file provider only) that Traefik accepts, Traefik's view
//! of the single rendered `dynamic.yml` must equal the committed snapshot of its view of the
//! original files — same objects, statuses, error texts, rules and priorities.

use std::path::Path;
use sync_core::decode::file_provider::decode_provider;
use sync_tests::scenario::{self, SnapshotCheck};

#[test]
fn rendered_file_gives_traefik_the_same_view_as_the_original_files() {
    let scenarios = scenario::discover(&sync_tests::corpus_root()).expect("corpus");
    // Kept under target/difftests/ for inspection, like the differential tests.
    let work_root = sync_tests::output_root().join("file-provider-equivalence");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (mut checked, mut skipped, mut failures) = (Vec::new(), Vec::new(), Vec::new());
    for sc in &scenarios {
        let mut prepared = scenario::prepare(sc, &work_root).expect("prepare");
        let Some(files_dir) = prepared.files_dir.clone() else {
            skipped.push(format!("{} (no files)", sc.id()));
            continue;
        };
        if prepared.consul || !sc.snapshot_path().is_file() {
            skipped.push(format!("{} (consul or no snapshot)", sc.id()));
            continue;
        }
        let files = sync_core::load::file_provider_files(&files_dir).expect("load");
        let provider = decode_provider(&files);
        if provider.is_rejected()
            || provider
                .findings
                .iter()
                .any(|f| f.code == "template-not-evaluated")
        {
            skipped.push(format!("{} (rejected or templated)", sc.id()));
            continue;
        }
        let rendered = match file_provider::render::render(&files, "sha256:test", &provider.config)
        {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: render failed: {e}", sc.id()));
                continue;
            }
        };
        let out = prepared.work_dir.join("rendered");
        std::fs::create_dir_all(&out).expect("mkdir");
        std::fs::write(out.join("dynamic.yml"), &rendered).expect("write");
        prepared.files_dir = Some(out);
        let side = match runtime.block_on(scenario::run_traefik(&prepared)) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{}: Traefik: {e:#}", sc.id()));
                continue;
            }
        };
        match scenario::check_snapshot(sc, &side).expect("snapshot") {
            SnapshotCheck::Matches => checked.push(sc.id()),
            SnapshotCheck::Absent => skipped.push(format!("{} (no snapshot)", sc.id())),
            SnapshotCheck::Differs(diff) => failures.push(format!(
                "{}: Traefik's view of the rendered file differs:\n{diff}\nrendered file: {}",
                sc.id(),
                Path::new(&prepared.work_dir)
                    .join("rendered/dynamic.yml")
                    .display()
            )),
        }
    }
    eprintln!(
        "equivalent for {} scenarios; skipped {}: {:?}",
        checked.len(),
        skipped.len(),
        skipped
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        checked.len() >= 20,
        "too few scenarios checked: {checked:?}"
    );
}
