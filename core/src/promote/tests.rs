use super::*;
use crate::decode::consul_kv::{KvPair, decode_provider};
use crate::encode::kv;
use crate::model::{
    Chain, Configuration, HttpConfiguration, Middleware, Router, RouterTlsConfig, Server,
    ServersLoadBalancer, ServersTransport, Service, StripPrefix, TlsConfiguration, TlsOptions,
    WeightedRoundRobin, WrrService,
};
use proptest::prelude::*;

fn rel_pairs(cfg: &Configuration) -> BTreeMap<String, Vec<u8>> {
    let encoded = kv::encode(cfg, "traefik").expect("encodes");
    encoded
        .pairs
        .into_iter()
        .map(|p| (p.key["traefik/".len()..].to_string(), p.value))
        .collect()
}

fn entry(value: &str, modify_index: u64) -> LiveEntry {
    LiveEntry {
        value: value.as_bytes().to_vec(),
        modify_index,
    }
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
        .collect()
}

#[test]
fn small_change_is_one_cas_guarded_batch() {
    let staging = map(&[
        ("http/routers/r/rule", "Host(`b`)"),
        ("http/routers/r/service", "s"),
        (
            "http/services/s/loadBalancer/servers/0/url",
            "http://127.0.0.1:1",
        ),
    ]);
    let live: BTreeMap<String, LiveEntry> = [
        ("http/routers/r/rule".to_string(), entry("Host(`a`)", 7)),
        ("http/routers/r/service".to_string(), entry("s", 8)),
        ("http/routers/old/rule".to_string(), entry("Host(`o`)", 9)),
    ]
    .into();
    let input = PlanInput {
        staging,
        previous: live.clone(),
        owned: live.keys().cloned().collect(),
        live,
        max_ops: 64,
        overwrite_conflicts: false,
    };
    let plan = plan(&input);
    assert!(plan.conflicts.is_empty());
    assert_eq!(plan.batches.len(), 1);
    let ops = &plan.batches[0];
    assert!(ops.contains(&KvOp::Set {
        key: "http/routers/r/rule".into(),
        value: b"Host(`b`)".to_vec(),
        cas: Some(7)
    }));
    assert!(ops.contains(&KvOp::Set {
        key: "http/services/s/loadBalancer/servers/0/url".into(),
        value: b"http://127.0.0.1:1".to_vec(),
        cas: Some(0)
    }));
    assert!(ops.contains(&KvOp::Delete {
        key: "http/routers/old/rule".into(),
        cas: Some(9)
    }));
    assert_eq!(ops.len(), 3);
    assert_eq!(plan.created.len(), 1);
    assert!(
        plan.summary()
            .starts_with("2 key(s) to set (1 changed), 1 to delete, in 1 transaction(s)")
    );
}

#[test]
fn edits_behind_the_gates_back_block_and_foreign_keys_stay() {
    let staging = map(&[("http/routers/r/rule", "Host(`b`)")]);
    let live: BTreeMap<String, LiveEntry> = [
        (
            "http/routers/r/rule".to_string(),
            entry("Host(`hand-edited`)", 12),
        ),
        ("http/routers/hand/rule".to_string(), entry("Host(`h`)", 13)),
    ]
    .into();
    let previous: BTreeMap<String, LiveEntry> =
        [("http/routers/r/rule".to_string(), entry("Host(`a`)", 5))].into();
    let mut input = PlanInput {
        staging,
        live,
        owned: ["http/routers/r/rule".to_string()].into(),
        previous,
        max_ops: 64,
        overwrite_conflicts: false,
    };
    let blocked = plan(&input);
    assert!(blocked.is_blocked());
    assert_eq!(blocked.conflicts.len(), 1);
    assert!(matches!(
        blocked.conflicts[0].kind,
        ConflictKind::EditedLive { .. }
    ));
    assert!(blocked.foreign.contains("http/routers/hand/rule"));
    assert!(blocked.summary().contains("blocked: 1 conflict(s)"));

    input.overwrite_conflicts = true;
    let forced = plan(&input);
    assert_eq!(
        forced.batches,
        vec![vec![KvOp::Set {
            key: "http/routers/r/rule".into(),
            value: b"Host(`b`)".to_vec(),
            cas: None
        }]]
    );
}

#[test]
fn unowned_key_staging_would_overwrite_is_a_conflict() {
    let input = PlanInput {
        staging: map(&[("http/routers/r/rule", "Host(`b`)")]),
        live: [("http/routers/r/rule".to_string(), entry("Host(`x`)", 3))].into(),
        max_ops: 64,
        ..Default::default()
    };
    let plan = plan(&input);
    assert!(plan.is_blocked());
    assert!(matches!(
        plan.conflicts[0].kind,
        ConflictKind::NotOwned { .. }
    ));
}

/// A small deterministic generator (xorshift) driven by proptest's seeds.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, from: &'a [String]) -> &'a String {
        &from[self.below(from.len() as u64) as usize]
    }
}

/// A random configuration where every reference resolves: leaf and weighted
/// services, plain and chain middlewares, routers using them. Names come from
/// small pools so that two configurations share, change and drop objects.
fn random_config(seed: u64) -> Configuration {
    let mut g = Gen(seed | 1);
    let mut http = HttpConfiguration::default();
    let leaves: Vec<String> = (0..6)
        .filter(|_| g.below(3) > 0)
        .map(|i| format!("s{i}"))
        .collect();
    let leaves = if leaves.is_empty() {
        vec!["s0".to_string()]
    } else {
        leaves
    };
    let transports: Vec<String> = (0..2)
        .filter(|_| g.below(2) == 0)
        .map(|i| format!("st{i}"))
        .collect();
    for name in &transports {
        http.servers_transports.insert(
            name.clone(),
            ServersTransport {
                max_idle_conns_per_host: 1 + g.below(4) as i64,
                ..Default::default()
            },
        );
    }
    let mut tls = TlsConfiguration::default();
    let options: Vec<String> = (0..2)
        .filter(|_| g.below(2) == 0)
        .map(|i| format!("t{i}"))
        .collect();
    for name in &options {
        let version = if g.below(2) == 0 {
            "VersionTLS12"
        } else {
            "VersionTLS13"
        };
        tls.options.insert(
            name.clone(),
            TlsOptions {
                min_version: version.into(),
                ..Default::default()
            },
        );
    }
    for name in &leaves {
        let port = 10000 + g.below(5);
        let servers_transport = if transports.is_empty() || g.below(2) == 0 {
            String::new()
        } else {
            g.pick(&transports).clone()
        };
        http.services.insert(
            name.clone(),
            Service {
                load_balancer: Some(ServersLoadBalancer {
                    servers: vec![Server {
                        url: format!("http://127.0.0.1:{port}"),
                        ..Default::default()
                    }],
                    servers_transport,
                    ..Default::default()
                }),
                ..Default::default()
            },
        );
    }
    let mut all_services = leaves.clone();
    for i in 0..3 {
        if g.below(2) == 0 {
            continue;
        }
        let children: Vec<WrrService> = (0..1 + g.below(3))
            .map(|_| WrrService {
                name: g.pick(&leaves).clone(),
                weight: Some(1 + g.below(3) as i64),
            })
            .collect();
        let name = format!("w{i}");
        http.services.insert(
            name.clone(),
            Service {
                weighted: Some(WeightedRoundRobin {
                    services: children,
                    ..Default::default()
                }),
                ..Default::default()
            },
        );
        all_services.push(name);
    }
    let plain: Vec<String> = (0..4)
        .filter(|_| g.below(2) == 0)
        .map(|i| format!("m{i}"))
        .collect();
    for name in &plain {
        let prefix = format!("/p{}", g.below(3));
        http.middlewares.insert(
            name.clone(),
            Middleware {
                strip_prefix: Some(Box::new(StripPrefix {
                    prefixes: vec![prefix],
                    ..Default::default()
                })),
                ..Default::default()
            },
        );
    }
    let mut all_middlewares = plain.clone();
    if !plain.is_empty() {
        for i in 0..2 {
            if g.below(2) == 0 {
                continue;
            }
            let members: Vec<String> = (0..1 + g.below(2))
                .map(|_| g.pick(&plain).clone())
                .collect();
            let name = format!("c{i}");
            http.middlewares.insert(
                name.clone(),
                Middleware {
                    chain: Some(Box::new(Chain {
                        middlewares: members,
                    })),
                    ..Default::default()
                },
            );
            all_middlewares.push(name);
        }
    }
    for i in 0..5 {
        if g.below(3) == 0 {
            continue;
        }
        let middlewares = if all_middlewares.is_empty() {
            Vec::new()
        } else {
            (0..g.below(3))
                .map(|_| g.pick(&all_middlewares).clone())
                .collect()
        };
        http.routers.insert(
            format!("r{i}"),
            Router {
                entry_points: vec!["web".into()],
                rule: format!("Host(`r{i}-{}.lan`)", g.below(2)),
                service: g.pick(&all_services).clone(),
                middlewares,
                tls: (!options.is_empty() && g.below(2) == 0).then(|| RouterTlsConfig {
                    options: g.pick(&options).clone(),
                    ..Default::default()
                }),
                ..Default::default()
            },
        );
    }
    Configuration {
        http: Some(http),
        tls: (!tls.options.is_empty()).then_some(tls),
        ..Default::default()
    }
}

/// Reference errors Traefik would show for the live state (decoded like Traefik's Consul provider).
fn reference_errors(live: &BTreeMap<String, LiveEntry>) -> Vec<String> {
    let pairs: Vec<KvPair> = live
        .iter()
        .map(|(k, e)| KvPair {
            key: format!("traefik/{k}"),
            value: e.value.clone(),
        })
        .collect();
    let provider = decode_provider(&pairs, "traefik");
    if provider.is_rejected() {
        return vec![format!("KV rejected: {:?}", provider.status)];
    }
    let report = crate::validate::validate(None, &[provider]);
    let json = serde_json::to_value(&report).expect("report serializes");
    let mut errors = Vec::new();
    for section in ["routers", "services", "middlewares"] {
        if let Some(objects) = json["http"][section].as_object() {
            for (name, object) in objects {
                for e in object["errors"].as_array().into_iter().flatten() {
                    let text = e.as_str().unwrap_or_default();
                    if text.contains("does not exist")
                        || text.contains("unknown TLS options")
                        || text.contains("servers transport not found")
                    {
                        errors.push(format!("{name}: {text}"));
                    }
                }
            }
        }
    }
    errors
}

/// Apply one transaction the way Consul does: every CAS holds or nothing happens.
fn apply(live: &mut BTreeMap<String, LiveEntry>, ops: &[KvOp], index: u64) -> Result<(), String> {
    for op in ops {
        let (key, cas) = match op {
            KvOp::Set { key, cas, .. } | KvOp::Delete { key, cas } => (key, cas),
        };
        let current = live.get(key).map(|e| e.modify_index);
        match (cas, current) {
            (None, _) => {}
            (Some(0), None) => {}
            (Some(want), Some(have)) if *want == have => {}
            (Some(want), have) => {
                return Err(format!("cas failed on {key}: want {want}, have {have:?}"));
            }
        }
    }
    for op in ops {
        match op {
            KvOp::Set { key, value, .. } => {
                live.insert(
                    key.clone(),
                    LiveEntry {
                        value: value.clone(),
                        modify_index: index,
                    },
                );
            }
            KvOp::Delete { key, .. } => {
                live.remove(key);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_intermediate_state_keeps_references(start in any::<u64>(), end in any::<u64>(), max_ops in 8usize..40) {
        let from = random_config(start);
        let to = random_config(end);
        let mut live: BTreeMap<String, LiveEntry> = rel_pairs(&from)
            .into_iter()
            .enumerate()
            .map(|(i, (k, v))| (k, LiveEntry { value: v, modify_index: 100 + i as u64 }))
            .collect();
        prop_assert!(reference_errors(&live).is_empty(), "start state invalid");
        let staging = rel_pairs(&to);
        let input = PlanInput {
            staging: staging.clone(),
            previous: live.clone(),
            owned: live.keys().cloned().collect(),
            live: live.clone(),
            max_ops,
            overwrite_conflicts: false,
        };
        let plan = plan(&input);
        prop_assert!(plan.conflicts.is_empty());
        let total: usize = plan.batches.iter().map(Vec::len).sum();
        if total <= max_ops {
            prop_assert!(plan.batches.len() <= 1);
        }
        for (i, batch) in plan.batches.iter().enumerate() {
            prop_assert!(batch.len() <= max_ops);
            apply(&mut live, batch, 1000 + i as u64).map_err(TestCaseError::fail)?;
            if plan.split_objects.is_empty() {
                let errors = reference_errors(&live);
                prop_assert!(errors.is_empty(), "after batch {} of {}: {:?}\nplan: {:#?}", i + 1, plan.batches.len(), errors, plan.batches);
            }
        }
        let final_state: BTreeMap<String, Vec<u8>> = live.into_iter().map(|(k, e)| (k, e.value)).collect();
        prop_assert_eq!(final_state, staging);
    }
}

#[test]
fn prefixes_are_whole_segments() {
    let pairs = vec![
        ("traefik/http/routers/r/rule".to_string(), 1),
        ("traefik-staging/http/routers/r/rule".to_string(), 2),
        ("traefik/".to_string(), 3),
    ];
    let live = relative("traefik/", pairs.clone());
    assert_eq!(
        live.into_iter().collect::<Vec<_>>(),
        [("http/routers/r/rule".to_string(), 1)]
    );
    let staging = relative("traefik-staging", pairs);
    assert_eq!(staging.len(), 1);
    let op = KvOp::Delete {
        key: "http/routers/r/rule".into(),
        cas: Some(4),
    };
    assert_eq!(op.under("traefik/").key(), "traefik/http/routers/r/rule");
}
