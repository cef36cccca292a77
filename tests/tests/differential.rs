//! Differential conformance: for every scenario of `tests/corpus/`, real Traefik 3.7 and
//! `syncctl validate` must show the same objects with the same statuses, errors, rules and
//! priorities, and the same provider verdicts (`providers.<name>.status`: ok | rejected).
//!
//! Needs `scripts/setup-test-env.sh` (real Traefik in `.venv/`) and `cargo build -p syncd`
//! (`target/debug/syncctl`). Environment:
//! * `DIFFTESTS_FILTER=substr` — only scenarios whose `category/name` contains it;
//! * `DIFFTESTS_JOBS=N` — scenarios run at once (default 2);
//! * `DIFFTESTS_OUT=dir` — where runs leave their files (default `target/difftests/`).
//!
//! Run with `--nocapture` (cargo test) to see the summary table on success too; it is
//! also written to `target/difftests/summary.txt`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use sync_tests::rules_list::RuleList;
use sync_tests::scenario::{self, Outcome, Scenario, SnapshotCheck, Source};
use tokio::sync::Semaphore;

#[derive(Default)]
struct Tally {
    scenarios: usize,
    scenarios_agreeing: usize,
    objects: usize,
    agreeing: usize,
    snapshots_checked: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn differential_corpus() {
    let syncctl = match sync_tests::syncctl::syncctl_binary() {
        Ok(path) => path,
        Err(err) => panic!("{err:#}"),
    };
    let mut scenarios =
        scenario::discover(&sync_tests::corpus_root()).expect("reading tests/corpus");
    if let Ok(filter) = std::env::var("DIFFTESTS_FILTER") {
        scenarios.retain(|s| s.id().contains(&filter));
    }
    assert!(!scenarios.is_empty(), "no scenario selected");
    let jobs = std::env::var("DIFFTESTS_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or(2usize)
        .max(1);
    let out = sync_tests::output_root();
    let started = std::time::Instant::now();

    let semaphore = Arc::new(Semaphore::new(jobs));
    let mut handles = Vec::new();
    for scenario in scenarios {
        let semaphore = semaphore.clone();
        let syncctl = syncctl.clone();
        let out = out.clone();
        handles.push(tokio::spawn(async move {
            let _permit = semaphore.acquire_owned().await.expect("semaphore closed");
            scenario::run(&scenario, &syncctl, &out).await
        }));
    }
    let mut outcomes: Vec<Outcome> = Vec::new();
    for handle in handles {
        outcomes.push(handle.await.expect("scenario task panicked"));
    }

    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut failures = String::new();
    for outcome in &outcomes {
        let tally = tallies
            .entry(outcome.scenario.category.clone())
            .or_default();
        tally.scenarios += 1;
        tally.objects += outcome.comparison.objects;
        tally.agreeing += outcome.comparison.agreeing;
        if outcome.snapshot != SnapshotCheck::Absent {
            tally.snapshots_checked += 1;
        }
        let snapshot_ok = !matches!(outcome.snapshot, SnapshotCheck::Differs(_));
        if outcome.agrees() {
            tally.scenarios_agreeing += 1;
        }
        if !outcome.agrees() || !snapshot_ok {
            let _ = writeln!(
                failures,
                "\n✗ {}  (files: {})\n{}",
                outcome.scenario.id(),
                outcome.work_dir.display(),
                outcome.render_failure()
            );
        }
    }

    let mut summary = String::new();
    let _ = writeln!(
        summary,
        "\n{:<12} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "category", "scenarios", "agreeing", "objects", "agreeing", "snapshots"
    );
    let mut total = Tally::default();
    for (category, t) in &tallies {
        let _ = writeln!(
            summary,
            "{category:<12} {:>9} {:>9} {:>9} {:>9} {:>10}",
            t.scenarios, t.scenarios_agreeing, t.objects, t.agreeing, t.snapshots_checked
        );
        total.scenarios += t.scenarios;
        total.scenarios_agreeing += t.scenarios_agreeing;
        total.objects += t.objects;
        total.agreeing += t.agreeing;
        total.snapshots_checked += t.snapshots_checked;
    }
    let _ = writeln!(
        summary,
        "{:<12} {:>9} {:>9} {:>9} {:>9} {:>10}\n({} at a time, {:.1}s; run files in {})",
        "total",
        total.scenarios,
        total.scenarios_agreeing,
        total.objects,
        total.agreeing,
        total.snapshots_checked,
        jobs,
        started.elapsed().as_secs_f64(),
        out.display()
    );
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(out.join("summary.txt"), format!("{summary}{failures}"));
    println!("{summary}");
    if !failures.is_empty() {
        panic!("Traefik and syncctl disagree:\n{failures}\n{summary}");
    }
}

/// The corpus keeps the sizes the project promises (no Traefik needed).
#[test]
fn corpus_meets_minimum_sizes() {
    let scenarios = scenario::discover(&sync_tests::corpus_root()).expect("reading tests/corpus");
    let count = |category: &str| scenarios.iter().filter(|s| s.category == category).count();
    let mut rules = 0;
    for scenario in scenarios.iter().filter(|s| s.category == "rules") {
        rules += match &scenario.source {
            Source::RuleList(file) => RuleList::read(file).expect("rule list").rules.len(),
            Source::Dir(dir) => count_rules(dir),
        };
    }
    let report = format!(
        "rules={rules} reference={} decode={} consul={}",
        count("reference"),
        count("decode"),
        count("consul")
    );
    assert!(rules >= 150, "{report}");
    assert!(count("reference") >= 30, "{report}");
    assert!(count("decode") >= 15, "{report}");
    assert!(count("consul") >= 10, "{report}");
    let undocumented: Vec<String> = scenarios
        .iter()
        .filter(|s| matches!(s.source, Source::Dir(_)) && s.description().is_none())
        .map(Scenario::id)
        .collect();
    assert!(
        undocumented.is_empty(),
        "scenarios without README.md: {undocumented:?}"
    );
}

/// Counts `rule:` lines in a rules scenario directory's files (YAML) — rough but stable.
fn count_rules(dir: &std::path::Path) -> usize {
    let mut total = 0;
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                total += text
                    .lines()
                    .filter(|l| l.trim_start().to_ascii_lowercase().starts_with("rule:"))
                    .count();
            }
        }
    }
    total
}
