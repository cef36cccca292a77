//! The Kubernetes manifests under `manifests/`:
//!
//! * every core-kind manifest validates offline against Kubernetes' OpenAPI
//!   schemas with PyPI `kubernetes-validate` (strict: unknown fields refused);
//! * the kustomizations are checked by hand (kustomize is not installable
//!   here): listed resources exist, names and namespaces agree, the webhook
//!   points at the Service's port, RBAC covers what syncd reads;
//! * every `traefik.io` object under `manifests/` and `examples/` passes
//!   Traefik's CRD schemas (the core's checker, the one the API server's
//!   structural-schema rules are reproduced in).

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use sync_core::decode::crd::decode_manifests;
use sync_core::decode::file_provider::SourceFile;
use sync_core::static_config::CrdProviderOptions;
use syncd::webhook::admission::KINDS;

/// The `syncd` container of the shipped Deployment.
fn syncd_container() -> Value {
    let (_, objects) = kustomize(&repo().join("manifests/syncd"));
    find(&objects, "Deployment", "syncd")["spec"]["template"]["spec"]["containers"][0].clone()
}

/// The container's args with `$(VAR)` expanded the way the kubelet does it:
/// from the container's `env` (literal values; `valueFrom` ones get a
/// placeholder, the API server only knows them at run time).
fn expanded_args(c: &Value) -> Vec<String> {
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    for e in c["env"].as_array().into_iter().flatten() {
        let name = e["name"].as_str().unwrap().to_string();
        let value = e["value"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("placeholder-{}", name.to_lowercase()));
        env.insert(name, value);
    }
    c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let mut a = a.as_str().unwrap().to_string();
            for (k, v) in &env {
                a = a.replace(&format!("$({k})"), v);
            }
            assert!(
                !a.contains("$("),
                "{a}: references a variable the container does not define"
            );
            a
        })
        .collect()
}

/// Kubernetes version whose schemas the manifests are checked against
/// (bundled by kubernetes-validate 1.37.0).
const K8S_VERSION: &str = "1.34.0";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            yaml_files(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
            out.push(p);
        }
    }
}

/// The documents of a YAML file (one parse per document).
fn docs(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    for (i, doc) in text.split("\n---").enumerate() {
        let doc = doc.strip_prefix("---").unwrap_or(doc);
        if doc
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            continue;
        }
        let v: Value = serde_saphyr::from_str(doc)
            .unwrap_or_else(|e| panic!("{} document {}: {e}", path.display(), i + 1));
        out.push(v);
    }
    out
}

fn is_k8s_object(v: &Value) -> bool {
    v["apiVersion"].is_string() && v["kind"].is_string() && v["metadata"].is_object()
}

#[test]
fn core_manifests_validate_with_kubernetes_validate() {
    let tool = repo().join(".venv/bin/kubernetes-validate");
    assert!(
        tool.is_file(),
        "{} missing: run scripts/setup-test-env.sh (setup.d/45-kubernetes-validate.sh installs it)",
        tool.display()
    );
    let mut files = Vec::new();
    yaml_files(&repo().join("manifests"), &mut files);
    let mut checked = Vec::new();
    for f in &files {
        let ds = docs(f);
        if ds.is_empty() || !ds.iter().all(is_k8s_object) {
            continue;
        }
        if ds.iter().any(|d| {
            let api = d["apiVersion"].as_str().unwrap_or_default();
            api.starts_with("traefik.io/") || api.starts_with("kustomize.config.k8s.io/")
        }) {
            continue;
        }
        checked.push(f.clone());
    }
    assert!(checked.len() >= 10, "{checked:?}");
    let out = std::process::Command::new(&tool)
        .args(["--strict", "-k", K8S_VERSION])
        .args(&checked)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    for f in &checked {
        assert!(
            text.contains(&f.display().to_string()),
            "{} not reported: {text}",
            f.display()
        );
    }
    assert!(
        !text.contains("ERROR") && !text.contains("failed"),
        "{text}"
    );
    let docs_checked: usize = checked.iter().map(|f| docs(f).len()).sum();
    assert_eq!(
        text.matches(" passed for resource ").count(),
        docs_checked,
        "{text}"
    );

    // The tool can fail: a wrong field type is refused.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  ports:\n    - port: \"eighty\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(&tool)
        .args(["--strict", "-k", K8S_VERSION])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
}

/// Every object of a kustomization, following `resources` (files and bases).
fn kustomize(dir: &Path) -> (Value, Vec<Value>) {
    let k = docs(&dir.join("kustomization.yaml")).remove(0);
    let mut objects = Vec::new();
    for r in k["resources"].as_array().expect("resources") {
        let p = dir.join(r.as_str().unwrap());
        assert!(
            p.exists(),
            "{}: resource {} does not exist",
            dir.display(),
            p.display()
        );
        if p.is_dir() {
            assert!(
                p.join("kustomization.yaml").is_file(),
                "{} is not a kustomization",
                p.display()
            );
            objects.extend(kustomize(&p).1);
        } else {
            objects.extend(docs(&p));
        }
    }
    for patch in k["patches"].as_array().into_iter().flatten() {
        if let Some(p) = patch["path"].as_str() {
            let p = dir.join(p);
            assert!(p.is_file(), "patch {} does not exist", p.display());
            // A strategic-merge patch must name an object of the base.
            let d = docs(&p).remove(0);
            assert!(
                objects
                    .iter()
                    .any(|o| o["kind"] == d["kind"]
                        && o["metadata"]["name"] == d["metadata"]["name"]),
                "patch {} names no object of the base",
                p.display()
            );
        }
    }
    if let Some(ns) = k["namespace"].as_str() {
        for o in &mut objects {
            if !CLUSTER_SCOPED.contains(&o["kind"].as_str().unwrap_or_default()) {
                // Kustomize sets it; the files say it already (kubectl apply -f works too).
                assert_eq!(
                    o["metadata"]["namespace"].as_str(),
                    Some(ns),
                    "{} {} in {}",
                    o["kind"],
                    o["metadata"]["name"],
                    dir.display()
                );
            }
        }
    }
    (k, objects)
}

const CLUSTER_SCOPED: [&str; 5] = [
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "ValidatingWebhookConfiguration",
    "CustomResourceDefinition",
];

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

/// `(group, resource)` → verbs granted by the rules of a role.
fn grants(role: &Value) -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut out: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for rule in role["rules"].as_array().unwrap() {
        for g in rule["apiGroups"].as_array().unwrap() {
            for r in rule["resources"].as_array().unwrap() {
                let e = out
                    .entry((g.as_str().unwrap().into(), r.as_str().unwrap().into()))
                    .or_default();
                for v in rule["verbs"].as_array().unwrap() {
                    e.insert(v.as_str().unwrap().into());
                }
            }
        }
    }
    out
}

fn plural(kind: &str) -> String {
    format!("{}s", kind.to_lowercase())
}

#[test]
fn the_syncd_kustomization_is_consistent() {
    let dir = repo().join("manifests/syncd");
    let (k, objects) = kustomize(&dir);
    let ns = k["namespace"].as_str().unwrap();
    find(&objects, "Namespace", ns);

    let deploy = find(&objects, "Deployment", "syncd");
    let spec = &deploy["spec"]["template"]["spec"];
    let sa = spec["serviceAccountName"].as_str().unwrap();
    find(&objects, "ServiceAccount", sa);
    assert_eq!(deploy["spec"]["replicas"], 2);
    assert!(spec["affinity"]["podAntiAffinity"].is_object());
    assert_eq!(spec["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        spec["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let c = &spec["containers"][0];
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    assert_eq!(c["securityContext"]["capabilities"]["drop"][0], "ALL");
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert!(
        c["resources"]["requests"].is_object() && c["resources"]["limits"]["memory"].is_string()
    );
    let labels = &deploy["spec"]["template"]["metadata"]["labels"];
    assert_eq!(
        &deploy["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"],
        &labels["app.kubernetes.io/name"]
    );

    // Every mount has a volume; the cert dir flag points at the Secret's mount.
    let volumes: BTreeMap<&str, &Value> = spec["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["name"].as_str().unwrap(), v))
        .collect();
    let mut mounts = BTreeMap::new();
    for m in c["volumeMounts"].as_array().unwrap() {
        let name = m["name"].as_str().unwrap();
        assert!(volumes.contains_key(name), "volume {name} missing");
        mounts.insert(m["mountPath"].as_str().unwrap(), name);
    }
    let args: Vec<&str> = c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args[0], "run");
    let flag = |name: &str| {
        args.iter()
            .find_map(|a| a.strip_prefix(&format!("--{name}=")))
            .unwrap_or_else(|| panic!("--{name} missing"))
    };
    let cert_dir = flag("webhook-cert-dir");
    assert!(volumes[mounts[cert_dir]]["secret"]["secretName"].is_string());
    let static_file = flag("static");
    let static_dir = Path::new(static_file).parent().unwrap().to_str().unwrap();
    assert!(volumes[mounts[static_dir]]["configMap"].is_object());
    assert!(mounts.contains_key(flag("files")));
    let token = flag("consul-token-file");
    let token_dir = Path::new(token).parent().unwrap().to_str().unwrap();
    assert!(
        volumes[mounts[token_dir]]["secret"].is_object(),
        "the Consul token comes from a Secret"
    );
    assert_eq!(flag("lease-namespace"), "$(POD_NAMESPACE)");
    let env: BTreeSet<&str> = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(env.contains("POD_NAME") && env.contains("POD_NAMESPACE"));
    for a in &args {
        assert!(
            !a.to_lowercase().contains("token=") || a.starts_with("--consul-token-file="),
            "secret on argv: {a}"
        );
    }

    // The Service selects the pods and names container ports that exist.
    let svc = find(&objects, "Service", "syncd");
    assert_eq!(
        &svc["spec"]["selector"]["app.kubernetes.io/name"],
        &labels["app.kubernetes.io/name"]
    );
    let container_ports: BTreeMap<&str, i64> = c["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap(),
                p["containerPort"].as_i64().unwrap(),
            )
        })
        .collect();
    let listen_port = |f: &str| flag(f).rsplit(':').next().unwrap().parse::<i64>().unwrap();
    assert_eq!(container_ports["http"], listen_port("listen"));
    assert_eq!(container_ports["webhook"], listen_port("webhook-listen"));
    let mut svc_ports = BTreeMap::new();
    for p in svc["spec"]["ports"].as_array().unwrap() {
        assert!(container_ports.contains_key(p["targetPort"].as_str().unwrap()));
        svc_ports.insert(p["name"].as_str().unwrap(), p["port"].as_i64().unwrap());
    }
    assert_eq!(svc_ports["http"], 8080);
    assert_eq!(svc_ports["webhook"], 8443);

    // The webhook calls this Service on its webhook port, for the kinds syncd judges.
    let vwc = objects
        .iter()
        .find(|o| o["kind"] == "ValidatingWebhookConfiguration")
        .expect("webhook configuration");
    let wh = &vwc["webhooks"][0];
    let target = &wh["clientConfig"]["service"];
    assert_eq!(target["name"], svc["metadata"]["name"]);
    assert_eq!(target["namespace"], ns);
    assert_eq!(target["port"].as_i64(), Some(svc_ports["webhook"]));
    assert_eq!(wh["admissionReviewVersions"], serde_json::json!(["v1"]));
    assert_eq!(wh["sideEffects"], "None");
    assert!(wh["timeoutSeconds"].as_i64().unwrap() <= 10);
    assert!(wh["failurePolicy"].is_string() && wh["matchPolicy"].is_string());
    let excluded: BTreeSet<&str> = wh["namespaceSelector"]["matchExpressions"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(excluded.contains("kube-system") && excluded.contains(ns));
    let rule = &wh["rules"][0];
    assert_eq!(rule["apiGroups"], serde_json::json!(["traefik.io"]));
    let ops: BTreeSet<&str> = rule["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(ops, BTreeSet::from(["CREATE", "UPDATE", "DELETE"]));
    let judged: BTreeSet<String> = rule["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let ours: BTreeSet<String> = KINDS.iter().map(|k| plural(k)).collect();
    assert_eq!(judged, ours);

    // RBAC: bindings point at what exists; syncd may read all it watches.
    let cr = find(&objects, "ClusterRole", "syncd");
    let crb = find(&objects, "ClusterRoleBinding", "syncd");
    assert_eq!(crb["roleRef"]["name"], cr["metadata"]["name"]);
    assert_eq!(crb["subjects"][0]["name"], sa);
    assert_eq!(crb["subjects"][0]["namespace"], ns);
    let g = grants(cr);
    let has = |group: &str, res: &str, verbs: &[&str]| {
        let got = g
            .get(&(group.to_string(), res.to_string()))
            .cloned()
            .unwrap_or_default();
        for v in verbs {
            assert!(got.contains(*v), "ClusterRole lacks {v} on {group}/{res}");
        }
    };
    for p in &ours {
        has("traefik.io", p, &["get", "list", "watch"]);
    }
    has("", "services", &["get", "list", "watch"]);
    // syncd does not watch EndpointSlices (ViewInputs::crd_options assumes
    // endpoints): no grant for them, nor for anything else it does not read.
    let watched: BTreeSet<(String, String)> = ours
        .iter()
        .map(|p| ("traefik.io".to_string(), p.clone()))
        .chain(
            [
                ("", "services"),
                ("", "secrets"),
                ("", "events"),
                ("events.k8s.io", "events"),
            ]
            .map(|(g, r)| (g.to_string(), r.to_string())),
        )
        .collect();
    for key in g.keys() {
        assert!(
            watched.contains(key),
            "ClusterRole grants {key:?}, which syncd does not use"
        );
    }
    has("", "secrets", &["list", "watch"]);
    has("", "events", &["create", "patch"]);
    // Least privilege: nothing writes, nothing reads secrets one by one.
    for ((group, res), verbs) in &g {
        if res != "events" {
            assert!(
                verbs
                    .iter()
                    .all(|v| ["get", "list", "watch"].contains(&v.as_str())),
                "{group}/{res}: {verbs:?}"
            );
        }
    }
    assert!(!g[&(String::new(), "secrets".to_string())].contains("get"));
    let role = objects
        .iter()
        .find(|o| o["kind"] == "Role")
        .expect("lease Role");
    let rb = objects
        .iter()
        .find(|o| o["kind"] == "RoleBinding")
        .expect("lease RoleBinding");
    assert_eq!(rb["roleRef"]["name"], role["metadata"]["name"]);
    assert_eq!(rb["subjects"][0]["name"], sa);
    let lg = grants(role);
    let lease = &lg[&("coordination.k8s.io".to_string(), "leases".to_string())];
    for v in ["get", "create", "update"] {
        assert!(lease.contains(v), "lease {v}");
    }
    assert_eq!(flag("lease-name"), "syncd");

    let pdb = find(&objects, "PodDisruptionBudget", "syncd");
    assert_eq!(pdb["spec"]["minAvailable"], 1);
    assert_eq!(
        &pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"],
        &labels["app.kubernetes.io/name"]
    );
}

#[test]
fn the_traefik_kustomization_is_consistent() {
    let (_, objects) = kustomize(&repo().join("manifests/traefik"));
    let deploy = find(&objects, "Deployment", "traefik");
    let spec = &deploy["spec"]["template"]["spec"];
    find(
        &objects,
        "ServiceAccount",
        spec["serviceAccountName"].as_str().unwrap(),
    );
    assert!(
        spec["initContainers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "file-provider" && c["restartPolicy"] == "Always"),
        "the file-provider sidecar"
    );
    let cr = find(&objects, "ClusterRole", "traefik");
    let g = grants(cr);
    for k in KINDS {
        assert!(
            g.contains_key(&("traefik.io".to_string(), plural(k))),
            "{k}"
        );
    }
    // The patched static configuration enables the three providers syncd validates.
    let patch = docs(&repo().join("manifests/traefik/static-config.yaml")).remove(0);
    let st = sync_core::static_config::StaticConfig::parse(
        "traefik.yml",
        patch["data"]["traefik.yml"].as_str().unwrap(),
    )
    .unwrap();
    for p in ["file", "consul", "kubernetescrd"] {
        assert!(
            st.enabled_providers.iter().any(|e| e == p),
            "{p}: {:?}",
            st.enabled_providers
        );
    }
    assert!(st.providers_precedence.is_some());
}

#[test]
fn every_traefik_object_in_manifests_and_examples_passes_the_crd_schemas() {
    let mut files = Vec::new();
    yaml_files(&repo().join("manifests"), &mut files);
    yaml_files(&repo().join("examples"), &mut files);
    let mut sources = Vec::new();
    let mut count = 0;
    for f in &files {
        let text = std::fs::read(f).unwrap();
        let ds = docs(f);
        let n = ds
            .iter()
            .filter(|d| {
                d["apiVersion"]
                    .as_str()
                    .is_some_and(|a| a.starts_with("traefik.io/"))
            })
            .count();
        if n > 0 {
            count += n;
            sources.push(SourceFile {
                path: f.display().to_string(),
                content: text,
            });
        }
    }
    assert!(count >= 3, "{count} traefik.io objects found");
    let schema_codes = [
        "crd-schema-invalid",
        "crd-unknown-field",
        "crd-manifest-invalid",
        "crd-invalid-value",
        "crd-unknown-kind",
    ];
    let p = decode_manifests(&sources, &CrdProviderOptions::default());
    let bad: Vec<_> = p
        .findings
        .iter()
        .filter(|f| schema_codes.contains(&f.code))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");

    // The checker can fail: a field of the wrong type is refused.
    let broken = SourceFile {
        path: "broken.yaml".into(),
        content: b"apiVersion: traefik.io/v1alpha1\nkind: Middleware\nmetadata:\n  name: m\n  namespace: d\nspec:\n  stripPrefix:\n    prefixes: 3\n".to_vec(),
    };
    let p = decode_manifests(&[broken], &CrdProviderOptions::default());
    assert!(
        p.findings.iter().any(|f| schema_codes.contains(&f.code)),
        "{:#?}",
        p.findings
    );
}

#[test]
fn the_dockerfile_builds_every_binary_into_a_non_root_image() {
    let text = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let froms: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert!(froms.len() >= 2, "multi-stage");
    assert!(text.contains("--locked"));
    for bin in ["syncd", "syncctl", "file-provider", "haproxy-sync"] {
        assert!(text.contains(&format!("target/release/{bin}")), "{bin}");
    }
    assert!(text.contains("distroless") && text.contains("USER 65532"));
    assert!(!text.contains("--release") || text.contains("cargo build --release"));
    // The image user matches the manifests' runAsUser.
    for f in [
        "manifests/syncd/deployment.yaml",
        "manifests/file-provider/deployment-sidecar.yaml",
    ] {
        assert!(
            std::fs::read_to_string(repo().join(f))
                .unwrap()
                .contains("runAsUser: 65532"),
            "{f}"
        );
    }
}

#[test]
fn webhook_cert_fills_the_ca_bundle_of_the_shipped_webhook_configuration() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("webhook.yaml");
    std::fs::copy(repo().join("manifests/syncd/webhook.yaml"), &manifest).unwrap();
    let svc = docs(&repo().join("manifests/syncd/service.yaml")).remove(0);
    syncd::webhook::cert::run(&syncd::webhook::cert::WebhookCertArgs {
        service: svc["metadata"]["name"].as_str().unwrap().into(),
        namespace: svc["metadata"]["namespace"].as_str().unwrap().into(),
        out_dir: dir.path().join("tls"),
        webhook_config: Some(manifest.clone()),
        days: 30,
    })
    .unwrap();
    let v = docs(&manifest).remove(0);
    let bundle = v["webhooks"][0]["clientConfig"]["caBundle"]
        .as_str()
        .unwrap();
    let ca = base64::engine::general_purpose::STANDARD
        .decode(bundle)
        .unwrap();
    assert_eq!(ca, std::fs::read(dir.path().join("tls/ca.crt")).unwrap());
    // Everything else is unchanged, comments included.
    let before = std::fs::read_to_string(repo().join("manifests/syncd/webhook.yaml")).unwrap();
    let after = std::fs::read_to_string(&manifest).unwrap();
    let diff: Vec<_> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(diff.len(), 1, "{diff:?}");
    assert_eq!(before.lines().count(), after.lines().count());
}

#[test]
fn every_deployment_arg_is_a_flag_of_syncd_run_with_a_valid_value() {
    let c = syncd_container();
    let args = expanded_args(&c);
    assert_eq!(args[0], "run");
    let bin = env!("CARGO_BIN_EXE_syncd");
    let help = std::process::Command::new(bin)
        .args(["run", "--help"])
        .output()
        .expect("running syncd run --help");
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let known: BTreeSet<&str> = help
        .split(|ch: char| ch.is_whitespace() || ch == ',' || ch == '[' || ch == ']')
        .filter(|w| w.starts_with("--"))
        .collect();
    let mut flags = BTreeSet::new();
    for a in &args[1..] {
        let flag = a.split_once('=').map_or(a.as_str(), |(f, _)| f);
        assert!(flag.starts_with("--"), "{a}: not a --flag");
        assert!(
            known.contains(flag),
            "{flag} is not a flag of `syncd run` (known: {known:?})"
        );
        flags.insert(flag);
    }
    // What the Deployment is for: the Kubernetes source, the files inbox, the
    // webhook and the Consul gate, on the Lease the RBAC grants.
    for f in [
        "--kube",
        "--files",
        "--static",
        "--webhook-listen",
        "--webhook-cert-dir",
        "--consul",
        "--consul-addr",
        "--consul-token-file",
        "--consul-live-prefix",
        "--consul-staging-prefix",
        "--lease-name",
        "--lease-namespace",
        "--lease-duration",
    ] {
        assert!(flags.contains(f), "the Deployment does not pass {f}");
    }
    // clap parses left to right: every argument before `--help` is checked
    // (unknown flags and unparsable values exit 2) before help is printed.
    let out = std::process::Command::new(bin)
        .args(&args)
        .arg("--help")
        .output()
        .expect("running syncd");
    assert!(
        out.status.success(),
        "syncd refuses the Deployment's args {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The check can fail: a typo in a flag or a bad value is refused.
    for bad in ["--consul-adr=http://x:8500", "--lease-duration=fifteen"] {
        let out = std::process::Command::new(bin)
            .args(&args)
            .arg(bad)
            .arg("--help")
            .output()
            .expect("running syncd");
        assert_eq!(out.status.code(), Some(2), "{bad} was accepted");
    }
}
