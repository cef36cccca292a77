//! `traefik-view`: shows what real Traefik makes of corpus scenarios, without `syncctl`.
//!
//! ```text
//! traefik-view [--json] [--update-snapshot] SCENARIO...   # a path, or category/name under tests/corpus
//! traefik-view [--json] [--update-snapshot] --all
//! traefik-view kv-encode FILE|-     # `key<TAB>value` lines -> consul kv export JSON
//! traefik-view kv-decode FILE       # consul kv export JSON -> `key<TAB>value` lines
//! ```
//!
//! For each scenario it starts Traefik exactly as the differential test does, prints the
//! provider outcomes and every object with status, errors, rule and priority, and checks
//! the committed snapshot. `--update-snapshot` (re)writes the snapshot from the live run.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use sync_tests::consul_double::{export_from_lines, lines_from_pairs, read_export};
use sync_tests::scenario::{self, Scenario, Snapshot, SnapshotCheck};
use sync_tests::traefik::log::ProviderOutcome;
use sync_tests::view::KINDS;

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("traefik-view: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn real_main() -> Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("kv-encode") => {
            let text = read_input(args.get(1).map(String::as_str).unwrap_or("-"))?;
            print!("{}", export_from_lines(&text)?);
            return Ok(ExitCode::SUCCESS);
        }
        Some("kv-decode") => {
            let Some(path) = args.get(1) else {
                bail!("usage: traefik-view kv-decode FILE")
            };
            print!("{}", lines_from_pairs(&read_export(Path::new(path))?));
            return Ok(ExitCode::SUCCESS);
        }
        Some("-h" | "--help") | None => {
            eprintln!(
                "usage: traefik-view [--json] [--update-snapshot] (--all | SCENARIO...)\n       traefik-view kv-encode FILE|-\n       traefik-view kv-decode FILE"
            );
            return Ok(ExitCode::from(2));
        }
        _ => {}
    }
    let json = args.iter().any(|a| a == "--json");
    let update = args.iter().any(|a| a == "--update-snapshot");
    let all = args.iter().any(|a| a == "--all");
    let mut scenarios = Vec::new();
    if all {
        scenarios = scenario::discover(&sync_tests::corpus_root())?;
    }
    for arg in args.iter().filter(|a| !a.starts_with("--")) {
        scenarios.push(resolve(arg)?);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the Tokio runtime")?;
    let mut failures = 0;
    for scenario in &scenarios {
        let result = runtime.block_on(show(scenario, json, update));
        if let Err(err) = result {
            failures += 1;
            eprintln!("== {}: {err:#}", scenario.id());
        }
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn read_input(path: &str) -> Result<String> {
    if path == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {path}"))
    }
}

/// A path, or `category/name` (or `category/stem.txt`) under the corpus.
fn resolve(arg: &str) -> Result<Scenario> {
    let path = PathBuf::from(arg);
    if path.exists() {
        return Scenario::from_path(&path);
    }
    let in_corpus = sync_tests::corpus_root().join(arg);
    if in_corpus.exists() {
        return Scenario::from_path(&in_corpus);
    }
    let txt = sync_tests::corpus_root().join(format!("{arg}.txt"));
    if txt.exists() {
        return Scenario::from_path(&txt);
    }
    bail!(
        "no scenario {arg:?} (neither a path nor under {})",
        sync_tests::corpus_root().display()
    )
}

async fn show(scenario: &Scenario, json: bool, update: bool) -> Result<()> {
    let prepared = scenario::prepare(scenario, &sync_tests::output_root())?;
    let side = scenario::run_traefik(&prepared).await?;
    let snapshot = Snapshot::of(&side);
    std::fs::write(
        prepared.work_dir.join("traefik-view.json"),
        snapshot.to_json(),
    )?;
    if json {
        print!("{}", snapshot.to_json());
    } else {
        println!(
            "== {}  (Traefik ready in {:.2}s){}",
            scenario.id(),
            side.startup.as_secs_f64(),
            scenario
                .description()
                .map(|d| format!("  — {d}"))
                .unwrap_or_default()
        );
        println!("   run dir: {}", prepared.work_dir.display());
        for (name, outcome) in &side.providers {
            match outcome {
                ProviderOutcome::Rejected { message, error } => {
                    println!("   provider {name}: REJECTED — {message}: {error}")
                }
                other => println!("   provider {name}: {}", other.status()),
            }
        }
        for note in &side.notes {
            println!("   note: {note}");
        }
        for (protocol, kind) in KINDS {
            for (name, state) in side.view.kind(protocol, kind) {
                let mut line = format!(
                    "   {:<16} {:<40} {:<8}",
                    format!("{protocol}.{kind}"),
                    name,
                    state.status
                );
                if let Some(priority) = state.priority {
                    line.push_str(&format!(" prio={priority}"));
                }
                if let Some(rule) = &state.rule {
                    line.push_str(&format!(" rule={}", serde_json::to_string(rule)?));
                }
                println!("{line}");
                for error in &state.errors {
                    println!("   {:<16}   ! {error}", "");
                }
            }
        }
        let counts = side.view.status_counts();
        println!("   totals: {} objects {:?}", side.view.len(), counts);
    }
    if update {
        let path = scenario.snapshot_path();
        std::fs::write(&path, snapshot.to_json())
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("   snapshot written: {}", path.display());
    } else {
        match scenario::check_snapshot(scenario, &side)? {
            SnapshotCheck::Absent => eprintln!("   (no snapshot)"),
            SnapshotCheck::Matches => eprintln!("   snapshot: matches"),
            SnapshotCheck::Differs(diff) => {
                eprintln!("   snapshot DIFFERS:\n{diff}");
                bail!("live Traefik differs from the committed snapshot");
            }
        }
    }
    Ok(())
}
