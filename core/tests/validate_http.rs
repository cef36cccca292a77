//! HTTP routers, services and middlewares: statuses and texts seen on Traefik 3.7.15.

mod validate_common;
use sync_core::report::Status::{Disabled, Enabled, Warning};
use validate_common::*;

const C1: &str = include_str!("validate_data/c1.yml");

#[test]
fn references_entrypoints_and_build_order() {
    // Traefik accepts `empty: {}` (an empty middleware); the file decoder does not
    // yet, so the empty middleware is put in after decoding.
    let mut p = file(C1);
    if let Some(h) = p.config.http.as_mut() {
        h.middlewares.insert("empty".into(), Default::default());
    }
    let r = sync_core::validate::validate(Some(&static_cfg()), &[p]);
    assert!(r.providers["file"].status == "ok", "{:?}", r.providers);
    assert_eq!(
        router(&r, "r-badre@file"),
        (
            Disabled,
            s(&["error parsing regexp: missing closing ): `(`"])
        )
    );
    assert_eq!(
        router(&r, "r-empty-mw@file"),
        (
            Disabled,
            s(&[
                "cannot create middleware: multi-types middleware not supported, consider declaring two different pieces of middleware instead"
            ])
        )
    );
    assert_eq!(
        router(&r, "r-ep-only-bad@file"),
        (
            Disabled,
            s(&[
                "entryPoint \"nosuchep\" doesn't exist",
                "no valid entryPoint for this router"
            ])
        )
    );
    assert_eq!(
        router(&r, "r-ep@file"),
        (
            Warning,
            s(&[
                "entryPoint \"nosuchep\" doesn't exist",
                "entryPoint \"other\" doesn't exist"
            ])
        )
    );
    assert_eq!(
        router(&r, "r-missing-svc@file"),
        (Disabled, s(&["the service \"nope@file\" does not exist"]))
    );
    assert_eq!(router(&r, "r-noep@file"), (Enabled, s(&[])));
    assert_eq!(
        r.http.routers["r-noep@file"].entry_points,
        s(&["web", "websecure"])
    );
    assert_eq!(r.http.routers["r-noep@file"].priority, 21);
    assert_eq!(
        router(&r, "r-norule@file"),
        (
            Disabled,
            s(&["error while parsing rule : parsing rule : 1:1: expected operand, found 'EOF'"])
        )
    );
    assert_eq!(
        router(&r, "r-nosvc@file"),
        (
            Disabled,
            s(&[
                "router has no service and no child routers",
                "router must have either a service or child routers"
            ])
        )
    );
    assert_eq!(
        router(&r, "r-prio@file"),
        (
            Disabled,
            s(&[
                "the router priority 9223372036854775000 exceeds the max user-defined priority 9223372036854774807"
            ])
        )
    );
    assert_eq!(
        router(&r, "r-svc-and-mw@file"),
        (Disabled, s(&["the service \"nope2@file\" does not exist"]))
    );
    assert_eq!(
        router(&r, "r-tls-bad@file"),
        (
            Disabled,
            s(&["building router handler: unknown TLS options: nosuchopt@file"])
        )
    );
    assert_eq!(
        router(&r, "r-two-mw@file"),
        (
            Disabled,
            s(&["middleware \"m2missing@file\" does not exist"])
        )
    );
    assert_eq!(
        router(&r, "r-wrr@file"),
        (
            Disabled,
            s(&["building HTTP service \"ghost\": the service \"ghost@file\" does not exist"])
        )
    );
    assert_eq!(service(&r, "multisvc@file"), (Enabled, s(&[])));
    assert_eq!(service(&r, "ok@file").0, Enabled);
    assert_eq!(
        service(&r, "wrr@file"),
        (
            Disabled,
            s(&["building HTTP service \"ghost\": the service \"ghost@file\" does not exist"])
        )
    );
    assert_eq!(r.http.services["wrr@file"].used_by, s(&["r-wrr@file"]));
    assert_eq!(
        middleware(&r, "badre@file"),
        (
            Disabled,
            s(&["error parsing regexp: missing closing ): `(`"])
        )
    );
    assert_eq!(middleware(&r, "empty@file"), (Enabled, s(&[])));
    assert_eq!(middleware(&r, "multi@file").0, Disabled);
    assert_eq!(middleware(&r, "unused-badre@file"), (Enabled, s(&[])));
    assert_eq!(r.http.routers.len(), 13);
    let c = codes(&r);
    assert!(c.contains(&"broken-unused-service"), "{c:?}");
    assert!(c.contains(&"broken-unused-middleware"), "{c:?}");
}
