//! Differential scenarios: the corpus under `tests/corpus/<category>/`.
//!
//! A scenario is either
//! * a directory `tests/corpus/<category>/<name>/` holding any of
//!   - `static.yml` — extra static settings merged into the generated static configuration
//!     (entry points replace the default `web`/`websecure` set; `providers.precedence`,
//!     `core.defaultRuleSyntax`, `providers.consul.rootKey`, ...),
//!   - `files/` — the file provider's directory,
//!   - `consul.json` — a `consul kv export` document served by the [`ConsulDouble`]
//!     (a `providers.consul` section in `static.yml` alone also enables Consul, empty);
//!   - `README.md` — what the scenario exercises (first line shown in listings),
//!   - `traefik.snapshot.json` — optional: Traefik's view as last recorded
//!     (`traefik-view --update-snapshot`); a live Traefik that differs from it is reported;
//! * or a rule list `tests/corpus/<category>/<stem>.txt` ([`crate::rules_list`]), with an
//!   optional `<stem>.snapshot.json` beside it.
//!
//! [`run`] starts real Traefik on the scenario, runs `syncctl validate --static <generated
//! static file> [--files <dir>] [--consul-export <file>] --format json` on the very same
//! input, and compares the objects ([`crate::compare`]). Every run leaves its inputs and
//! outputs in `target/difftests/<category>/<name>/` (`static.yml`, `traefik.log`,
//! `traefik-view.json`, `syncctl-report.json`, `diff.txt`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::compare::{Comparison, compare};
use crate::consul_double::ConsulDouble;
use crate::rules_list::RuleList;
use crate::syncctl::{self, Report, ValidateArgs};
use crate::traefik::log::ProviderOutcome;
use crate::traefik::static_config::{get_ci, read_yaml};
use crate::traefik::{Traefik, TraefikSpec};
use crate::view::View;

/// Where a scenario's input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A scenario directory.
    Dir(PathBuf),
    /// A rule list file.
    RuleList(PathBuf),
}

/// One scenario of the corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    pub category: String,
    pub name: String,
    pub source: Source,
}

impl Scenario {
    /// `category/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.category, self.name)
    }

    /// The first line of the scenario's README.md, if any.
    pub fn description(&self) -> Option<String> {
        let Source::Dir(dir) = &self.source else {
            return None;
        };
        let text = std::fs::read_to_string(dir.join("README.md")).ok()?;
        text.lines()
            .map(|l| l.trim_start_matches('#').trim())
            .find(|l| !l.is_empty())
            .map(str::to_owned)
    }

    /// The path of the optional Traefik snapshot.
    pub fn snapshot_path(&self) -> PathBuf {
        match &self.source {
            Source::Dir(dir) => dir.join("traefik.snapshot.json"),
            Source::RuleList(file) => file.with_extension("snapshot.json"),
        }
    }

    /// Loads one scenario from a path (a scenario directory or a rule list file).
    pub fn from_path(path: &Path) -> Result<Scenario> {
        let path = path
            .canonicalize()
            .with_context(|| format!("no scenario at {}", path.display()))?;
        let category = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("adhoc")
            .to_owned();
        if path.is_dir() {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("scenario")
                .to_owned();
            Ok(Scenario {
                category,
                name,
                source: Source::Dir(path),
            })
        } else if path.extension().and_then(|e| e.to_str()) == Some("txt") {
            let name = path
                .file_stem()
                .and_then(|n| n.to_str())
                .unwrap_or("rules")
                .to_owned();
            Ok(Scenario {
                category,
                name,
                source: Source::RuleList(path),
            })
        } else {
            bail!(
                "{} is neither a scenario directory nor a .txt rule list",
                path.display()
            )
        }
    }
}

/// Categories with their own runner: `routing/` scenarios are request replays
/// (`tests/tests/routing_differential.rs`), not validation scenarios.
const OTHER_RUNNERS: [&str; 1] = ["routing"];

/// Every scenario under `root` (`root/<category>/<name>/` and `root/<category>/*.txt`),
/// sorted by category then name.
pub fn discover(root: &Path) -> Result<Vec<Scenario>> {
    let mut scenarios = Vec::new();
    for category in sorted_entries(root)? {
        let own_runner = category
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| OTHER_RUNNERS.contains(&n));
        if !category.is_dir() || own_runner {
            continue;
        }
        for entry in sorted_entries(&category)? {
            let is_txt = entry.extension().and_then(|e| e.to_str()) == Some("txt");
            if entry.is_dir() || (entry.is_file() && is_txt) {
                scenarios.push(Scenario::from_path(&entry)?);
            }
        }
    }
    Ok(scenarios)
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    entries.sort();
    Ok(entries)
}

/// A scenario's input, materialised for a run.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// `target/difftests/<category>/<name>/`.
    pub work_dir: PathBuf,
    pub overlay: Option<Value>,
    pub files_dir: Option<PathBuf>,
    pub consul_export: Option<PathBuf>,
    pub consul: bool,
}

/// Materialises the scenario's input under `work_root/<category>/<name>/` (emptied first).
pub fn prepare(scenario: &Scenario, work_root: &Path) -> Result<Prepared> {
    let work_dir = work_root.join(&scenario.category).join(&scenario.name);
    if work_dir.exists() {
        std::fs::remove_dir_all(&work_dir)
            .with_context(|| format!("emptying {}", work_dir.display()))?;
    }
    std::fs::create_dir_all(&work_dir)
        .with_context(|| format!("creating {}", work_dir.display()))?;
    match &scenario.source {
        Source::Dir(dir) => {
            let static_file = dir.join("static.yml");
            let overlay = if static_file.is_file() {
                Some(read_yaml(&static_file)?)
            } else {
                None
            };
            let files = dir.join("files");
            let export = dir.join("consul.json");
            let consul_in_static = overlay
                .as_ref()
                .and_then(|o| get_ci(o, "providers"))
                .and_then(|p| get_ci(p, "consul"))
                .is_some();
            Ok(Prepared {
                work_dir,
                overlay,
                files_dir: files.is_dir().then_some(files),
                consul: export.is_file() || consul_in_static,
                consul_export: export.is_file().then_some(export),
            })
        }
        Source::RuleList(file) => {
            let list = RuleList::read(file)?;
            let files = work_dir.join("files");
            std::fs::create_dir_all(&files)?;
            std::fs::write(files.join(format!("{}.yml", list.stem)), list.to_yaml())?;
            Ok(Prepared {
                work_dir,
                overlay: None,
                files_dir: Some(files),
                consul_export: None,
                consul: false,
            })
        }
    }
}

/// What real Traefik made of a scenario.
#[derive(Debug, Clone)]
pub struct TraefikSide {
    pub view: View,
    pub providers: BTreeMap<String, ProviderOutcome>,
    pub notes: Vec<String>,
    pub static_path: PathBuf,
    pub startup: Duration,
}

impl TraefikSide {
    /// `ok` / `rejected` per configured provider.
    pub fn provider_statuses(&self) -> BTreeMap<String, String> {
        self.providers
            .iter()
            .filter(|(name, _)| name.as_str() != "internal")
            .map(|(name, outcome)| (name.clone(), outcome.status().to_owned()))
            .collect()
    }
}

/// Starts Traefik (and the Consul double) on the prepared input and reads its view.
pub async fn run_traefik(prepared: &Prepared) -> Result<TraefikSide> {
    let double = match (&prepared.consul_export, prepared.consul) {
        (Some(export), _) => Some(ConsulDouble::from_export_file(export).await?),
        (None, true) => Some(ConsulDouble::start(Vec::new()).await?),
        (None, false) => None,
    };
    let mut spec = TraefikSpec::new(&prepared.work_dir);
    spec.statics.overlay = prepared.overlay.clone();
    spec.statics.file_directory = prepared.files_dir.clone();
    spec.statics.consul = double.as_ref().map(ConsulDouble::addr);
    let traefik = Traefik::start(&spec).await?;
    let view = traefik.view().await?;
    let side = TraefikSide {
        view,
        providers: traefik
            .providers()
            .iter()
            .filter(|(name, _)| spec.providers().contains(&name.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        notes: traefik.notes().to_vec(),
        static_path: traefik.static_path().to_owned(),
        startup: traefik.startup(),
    };
    drop(traefik);
    drop(double);
    Ok(side)
}

/// Traefik's recorded view of a scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// `ok` / `rejected` per provider.
    #[serde(default)]
    pub providers: BTreeMap<String, String>,
    #[serde(flatten)]
    pub view: View,
}

impl Snapshot {
    /// The snapshot of a Traefik run.
    pub fn of(side: &TraefikSide) -> Snapshot {
        Snapshot {
            providers: side.provider_statuses(),
            view: side.view.clone(),
        }
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// How the live Traefik compares with the committed snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotCheck {
    /// The scenario has no snapshot.
    Absent,
    /// Live Traefik matches the snapshot.
    Matches,
    /// Live Traefik differs (rendered differences).
    Differs(String),
}

/// Compares a Traefik run with the scenario's snapshot, if it has one.
pub fn check_snapshot(scenario: &Scenario, side: &TraefikSide) -> Result<SnapshotCheck> {
    let path = scenario.snapshot_path();
    if !path.is_file() {
        return Ok(SnapshotCheck::Absent);
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let recorded: Snapshot =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let live = Snapshot::of(side);
    let mut comparison = compare(&recorded.view, &live.view);
    let names: std::collections::BTreeSet<&String> = recorded
        .providers
        .keys()
        .chain(live.providers.keys())
        .collect();
    for name in names {
        let r = recorded
            .providers
            .get(name)
            .map_or("absent", String::as_str);
        let l = live.providers.get(name).map_or("absent", String::as_str);
        comparison.add_provider(name, r, l);
    }
    if comparison.agrees() {
        Ok(SnapshotCheck::Matches)
    } else {
        Ok(SnapshotCheck::Differs(
            comparison
                .render("live traefik")
                .replace("traefik:", "snapshot:"),
        ))
    }
}

/// The result of one differential run.
#[derive(Debug)]
pub struct Outcome {
    pub scenario: Scenario,
    pub work_dir: PathBuf,
    /// Real Traefik's side (an error is a harness failure).
    pub traefik: Result<TraefikSide, String>,
    /// `syncctl`'s report (an error — crash, exit 2, bad JSON — counts as a disagreement).
    pub candidate: Result<Report, String>,
    pub comparison: Comparison,
    pub snapshot: SnapshotCheck,
}

impl Outcome {
    /// True when Traefik ran, syncctl reported, and they agree on every object.
    pub fn agrees(&self) -> bool {
        self.traefik.is_ok() && self.candidate.is_ok() && self.comparison.agrees()
    }

    /// A readable account of what went wrong (empty when it agrees and the snapshot is fine).
    pub fn render_failure(&self) -> String {
        let mut out = String::new();
        if let Err(err) = &self.traefik {
            out.push_str(&format!("  real Traefik could not be run: {err}\n"));
        }
        if let Err(err) = &self.candidate {
            out.push_str(&format!("  syncctl failed: {err}\n"));
        }
        out.push_str(&self.comparison.render("syncctl"));
        if let SnapshotCheck::Differs(diff) = &self.snapshot {
            out.push_str("  Traefik no longer matches the committed snapshot (traefik-view --update-snapshot):\n");
            out.push_str(diff);
        }
        out
    }
}

/// Runs one scenario on both sides and compares them. `syncctl` is the binary to test.
pub async fn run(scenario: &Scenario, syncctl: &Path, work_root: &Path) -> Outcome {
    let prepared = match prepare(scenario, work_root) {
        Ok(p) => p,
        Err(err) => {
            return Outcome {
                scenario: scenario.clone(),
                work_dir: work_root.join(&scenario.category).join(&scenario.name),
                traefik: Err(format!("{err:#}")),
                candidate: Err("not run".into()),
                comparison: Comparison::default(),
                snapshot: SnapshotCheck::Absent,
            };
        }
    };
    let traefik = run_traefik(&prepared).await.map_err(|e| format!("{e:#}"));
    let (candidate, comparison, snapshot) = match &traefik {
        Ok(side) => {
            let _ = std::fs::write(
                prepared.work_dir.join("traefik-view.json"),
                Snapshot::of(side).to_json(),
            );
            let args = ValidateArgs {
                static_file: Some(side.static_path.clone()),
                files: prepared.files_dir.clone(),
                consul_export: prepared.consul_export.clone(),
            };
            let binary = syncctl.to_owned();
            let candidate = tokio::task::spawn_blocking(move || syncctl::validate(&binary, &args))
                .await
                .map_err(|e| format!("{e}"))
                .and_then(|r| r.map_err(|e| format!("{e:#}")));
            let mut comparison = Comparison::default();
            if let Ok(report) = &candidate {
                let _ = std::fs::write(
                    prepared.work_dir.join("syncctl-report.json"),
                    serde_json::to_string_pretty(&report.json).unwrap_or_default(),
                );
                comparison = compare(&side.view, &report.view);
                // The contract's `providers.<name>.status` (ok|rejected) must match what
                // Traefik did with each provider it ran.
                for (provider, status) in side.provider_statuses() {
                    let reported = report.provider_status(&provider).unwrap_or("(absent)");
                    comparison.add_provider(&provider, &status, reported);
                }
            }
            let snapshot = check_snapshot(scenario, side)
                .unwrap_or_else(|e| SnapshotCheck::Differs(format!("  {e:#}\n")));
            (candidate, comparison, snapshot)
        }
        Err(_) => (
            Err("not run".into()),
            Comparison::default(),
            SnapshotCheck::Absent,
        ),
    };
    let outcome = Outcome {
        scenario: scenario.clone(),
        work_dir: prepared.work_dir.clone(),
        traefik,
        candidate,
        comparison,
        snapshot,
    };
    let _ = std::fs::write(prepared.work_dir.join("diff.txt"), outcome.render_failure());
    outcome
}
