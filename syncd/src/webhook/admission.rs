//! AdmissionReview v1 handling for the `traefik.io` kinds.
//!
//! The API server sends `{"apiVersion": "admission.k8s.io/v1", "kind":
//! "AdmissionReview", "request": {...}}`; the answer echoes the request's
//! `uid`. Requests for kinds we do not handle are allowed (the webhook
//! configuration should not send them, but a too-wide rule must not block the
//! cluster); undecodable requests for our kinds are refused with a message
//! saying what is wrong. `dryRun` requests get the same answer as real ones.

use super::decision::{Operation, Verdict, decide};
use crate::view::{CrdChange, ObjectRef, Snapshot};
use serde_json::{Value, json};

/// The API group of Traefik's CRDs.
pub const GROUP: &str = "traefik.io";

/// The ten `traefik.io` kinds the webhook judges.
pub const KINDS: [&str; 10] = [
    "IngressRoute",
    "IngressRouteTCP",
    "IngressRouteUDP",
    "Middleware",
    "MiddlewareTCP",
    "TraefikService",
    "ServersTransport",
    "ServersTransportTCP",
    "TLSOption",
    "TLSStore",
];

/// A request that cannot be judged, with the reason.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The body is not JSON.
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    /// A required field is missing or has the wrong type.
    #[error("AdmissionReview: {0}")]
    Field(String),
}

/// The fields of an `AdmissionReview.request` the webhook reads.
#[derive(Debug, Clone)]
pub struct Request {
    /// `request.uid`, echoed in the response.
    pub uid: String,
    /// `request.kind.group`.
    pub group: String,
    /// `request.kind.kind`.
    pub kind: String,
    /// `request.namespace`.
    pub namespace: String,
    /// `request.name`.
    pub name: String,
    /// `request.operation`.
    pub operation: String,
    /// `request.object` (CREATE, UPDATE).
    pub object: Option<Value>,
    /// `request.oldObject` (UPDATE, DELETE).
    pub old_object: Option<Value>,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

/// Read the request part of an AdmissionReview body.
pub fn parse_request(body: &[u8]) -> Result<Request, RequestError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| RequestError::NotJson(e.to_string()))?;
    let req = v
        .get("request")
        .filter(|r| r.is_object())
        .ok_or_else(|| RequestError::Field("no `request` object".into()))?;
    let uid = str_at(req, &["uid"])
        .ok_or_else(|| RequestError::Field("`request.uid` is missing".into()))?
        .to_string();
    let present = |key: &str| req.get(key).filter(|o| !o.is_null()).cloned();
    Ok(Request {
        uid,
        group: str_at(req, &["kind", "group"]).unwrap_or_default().into(),
        kind: str_at(req, &["kind", "kind"]).unwrap_or_default().into(),
        namespace: str_at(req, &["namespace"]).unwrap_or_default().into(),
        name: str_at(req, &["name"]).unwrap_or_default().into(),
        operation: str_at(req, &["operation"]).unwrap_or_default().into(),
        object: present("object"),
        old_object: present("oldObject"),
    })
}

/// Whether the webhook judges this group and kind.
pub fn is_ours(group: &str, kind: &str) -> bool {
    group == GROUP && KINDS.contains(&kind)
}

/// The CRD change a request asks for, and the identity of the object.
pub fn change_of(req: &Request) -> Result<(Operation, ObjectRef, CrdChange), String> {
    let op = match req.operation.as_str() {
        "CREATE" => Operation::Create,
        "UPDATE" => Operation::Update,
        "DELETE" => Operation::Delete,
        other => return Err(format!("operation {other:?} is not judged")),
    };
    if op == Operation::Delete {
        let key = match &req.old_object {
            Some(old) => ObjectRef::of(old),
            None => None,
        };
        let key = key.unwrap_or_else(|| ObjectRef {
            kind: req.kind.clone(),
            namespace: req.namespace.clone(),
            name: req.name.clone(),
        });
        if key.name.is_empty() {
            return Err("DELETE without `request.name` or `request.oldObject`".into());
        }
        return Ok((op, key.clone(), CrdChange::Delete(key)));
    }
    let Some(mut obj) = req.object.clone() else {
        return Err(format!("{} without `request.object`", req.operation));
    };
    let Some(map) = obj.as_object_mut() else {
        return Err("`request.object` is not a JSON object".into());
    };
    // The API server always fills these; a hand-made request may not.
    map.entry("kind").or_insert_with(|| json!(req.kind));
    let meta = map.entry("metadata").or_insert_with(|| json!({}));
    let Some(meta) = meta.as_object_mut() else {
        return Err("`request.object.metadata` is not a JSON object".into());
    };
    if !req.namespace.is_empty() {
        meta.entry("namespace")
            .or_insert_with(|| json!(req.namespace));
    }
    if !req.name.is_empty() {
        meta.entry("name").or_insert_with(|| json!(req.name));
    }
    let key = ObjectRef::of(&obj)
        .ok_or_else(|| "`request.object` has no kind or metadata.name".to_string())?;
    if key.kind != req.kind {
        return Err(format!(
            "`request.object.kind` is {:?}, the request says {:?}",
            key.kind, req.kind
        ));
    }
    Ok((op, key, CrdChange::Apply(obj)))
}

/// The verdict on one request against the view in `snapshot`, computed on
/// slices of the view ([`super::incremental`]); equal to [`judge_full`].
pub fn judge(snapshot: &Snapshot, req: &Request) -> Verdict {
    if !is_ours(&req.group, &req.kind) {
        return Verdict::allow();
    }
    match change_of(req) {
        Ok((op, key, change)) => super::incremental::judge_change(snapshot, op, &key, &change),
        Err(e) => Verdict::deny(format!("traefik-sync: cannot judge this request: {e}")),
    }
}

/// The verdict by full re-validation of the view after the change, compared
/// with the snapshot's report (the reference the incremental verdict is
/// tested against; about half a second at 10,000 routers).
pub fn judge_full(snapshot: &Snapshot, req: &Request) -> Verdict {
    if !is_ours(&req.group, &req.kind) {
        return Verdict::allow();
    }
    let (op, key, change) = match change_of(req) {
        Ok(c) => c,
        Err(e) => return Verdict::deny(format!("traefik-sync: cannot judge this request: {e}")),
    };
    let after = snapshot.inputs.report_with_crd_change(&change);
    decide(op, &key, &snapshot.report, &after)
}

/// The AdmissionReview v1 response for a verdict.
pub fn response(uid: &str, verdict: &Verdict) -> Value {
    let mut resp = json!({"uid": uid, "allowed": verdict.allowed});
    if let Some(msg) = &verdict.message {
        resp["status"] = json!({"code": 403, "reason": "Forbidden", "message": msg});
    }
    if !verdict.warnings.is_empty() {
        resp["warnings"] = json!(verdict.warnings);
    }
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": resp})
}

/// AdmissionReview v1 in → AdmissionReview v1 out (uid echoed).
///
/// A body without a readable `request.uid` cannot be answered in a way the
/// API server accepts; the answer then has an empty uid and `allowed: false`
/// with the reason.
pub fn review(snapshot: &Snapshot, body: &[u8]) -> Value {
    match parse_request(body) {
        Ok(req) => response(&req.uid, &judge(snapshot, &req)),
        Err(e) => response(
            "",
            &Verdict::deny(format!(
                "traefik-sync: cannot read the AdmissionReview: {e}"
            )),
        ),
    }
}
