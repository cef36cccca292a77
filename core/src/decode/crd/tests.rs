//! Unit tests of the CRD decoder (Traefik's own fixtures live in `core/tests/crd_traefik_fixtures.rs`).

use super::*;

pub(crate) fn files(text: &str) -> Vec<SourceFile> {
    vec![SourceFile {
        path: "m.yaml".into(),
        content: text.as_bytes().to_vec(),
    }]
}

#[test]
fn simple_ingress_route() {
    let p = decode_manifests(
        &files(
            "apiVersion: traefik.io/v1alpha1\nkind: IngressRoute\nmetadata:\n  name: test.route\n  namespace: default\nspec:\n  entryPoints: [foo]\n  routes:\n  - match: Host(`foo.com`) && PathPrefix(`/bar`)\n    kind: Rule\n    priority: 12\n    services:\n    - name: whoami\n      port: 80\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: whoami\n  namespace: default\nspec:\n  ports:\n  - name: web\n    port: 80\n",
        ),
        &CrdProviderOptions::default(),
    );
    let http = p.config.http.as_ref().expect("http");
    assert!(
        http.routers
            .contains_key("default-test-route-6b204d94623b3df4370c"),
        "{:?}",
        http.routers.keys()
    );
    assert!(
        http.services
            .contains_key("default-test-route-6b204d94623b3df4370c")
    );
}
