//! Middleware and MiddlewareTCP → `http.middlewares`, `tcp.middlewares`
//! (`loadConfigurationFromCRD` and the `create*Middleware` helpers of `kubernetes.go`).

use super::http::{duration, path_with};
use super::manifest::{Object, Seg};
use super::naming::{RefError, make_id, normalize, resolve_reference};
use super::spec::{self, MiddlewareSpec, MiddlewareTcpSpec};
use super::{Ctx, Lookup};
use crate::finding::Severity;
use crate::model::{
    BasicAuth, Buffering, Chain, CircuitBreaker, ClientTls, Compress, DigestAuth, ErrorPage,
    ForwardAuth, MILLISECOND, Middleware, RateLimit, Redis, Retry, SECOND, TcpMiddleware,
    TypesClientTls,
};
use crate::objects::ObjectKind;
use base64::Engine;

type Res<T> = Result<T, String>;

fn mw_path(field: &str) -> Vec<Seg> {
    vec![Seg::Key("spec".into()), Seg::Key(field.into())]
}

impl Ctx<'_> {
    pub(crate) fn load_middlewares(&mut self, middlewares: &[(&Object, MiddlewareSpec)]) {
        for (obj, spec) in middlewares {
            let id = normalize(&make_id(&obj.namespace, &obj.name));
            match self.build_middleware(obj, spec, &id) {
                Ok(m) => {
                    self.produced(ObjectKind::HttpMiddleware, &id, obj, &[]);
                    self.http.middlewares.insert(id, m);
                }
                Err((field, e)) => {
                    self.refused(obj, &mw_path(field), Some(&id), &e, "crd-object-dropped", "Traefik drops this Middleware; routers using it get \"middleware ... does not exist\"");
                }
            }
        }
    }

    fn build_middleware(
        &mut self,
        obj: &Object,
        spec: &MiddlewareSpec,
        id: &str,
    ) -> Result<Middleware, (&'static str, RefError)> {
        let ns = obj.namespace.clone();
        fn other(
            field: &'static str,
            prefix: &'static str,
        ) -> impl Fn(String) -> (&'static str, RefError) {
            move |e: String| (field, RefError::other(format!("{prefix}: {e}")))
        }
        let basic_auth = self
            .basic_auth(obj, &ns, spec.basic_auth.as_ref())
            .map_err(other(
                "basicAuth",
                "Error while reading basic auth middleware",
            ))?;
        let digest_auth = self
            .digest_auth(obj, &ns, spec.digest_auth.as_ref())
            .map_err(other(
                "digestAuth",
                "Error while reading digest auth middleware",
            ))?;
        let forward_auth = self
            .forward_auth(obj, &ns, spec.forward_auth.as_ref())
            .map_err(other(
                "forwardAuth",
                "Error while reading forward auth middleware",
            ))?;
        let mut errors = None;
        if let Some(ep) = &spec.errors {
            let path = path_with(&mw_path("errors"), &["service"], None);
            let (name, svc) = self
                .name_and_service(obj, &path, &ns, &ep.service)
                .map_err(|e| {
                    (
                        "errors",
                        e.wrap("Error while reading error page middleware"),
                    )
                })?;
            let service = match svc {
                Some(svc) => {
                    let service_name = format!("{id}-errorpage-service");
                    self.produced(ObjectKind::HttpService, &service_name, obj, &path);
                    self.http.services.insert(service_name.clone(), svc);
                    service_name
                }
                None => name,
            };
            errors = Some(ErrorPage {
                status: ep.status.clone(),
                status_rewrites: ep.status_rewrites.clone(),
                service,
                query: ep.query.clone(),
                error_request_headers: ep.error_request_headers.clone(),
            });
        }
        let plugin = match &spec.plugin {
            None => indexmap::IndexMap::new(),
            Some(plugins) => {
                let mut out = indexmap::IndexMap::new();
                for (name, conf) in plugins {
                    if conf.is_null() {
                        out.insert(name.clone(), indexmap::IndexMap::new());
                        continue;
                    }
                    let serde_json::Value::Object(map) = conf else {
                        return Err((
                            "plugin",
                            RefError::other(format!(
                                "Error while reading plugins middleware: json: cannot unmarshal {} into Go value of type dynamic.PluginConf",
                                json_kind(conf)
                            )),
                        ));
                    };
                    let mut pc = indexmap::IndexMap::new();
                    for (k, v) in map {
                        let v = self
                            .load_secret_keys(obj, &ns, v.clone())
                            .map_err(other("plugin", "Error while reading plugins middleware"))?;
                        pc.insert(k.clone(), v);
                    }
                    out.insert(name.clone(), pc);
                }
                out
            }
        };
        let rate_limit = self
            .rate_limit(obj, &ns, spec.rate_limit.as_ref())
            .map_err(other(
                "rateLimit",
                "Error while reading rateLimit middleware",
            ))?;
        let retry = spec
            .retry
            .as_ref()
            .map(retry)
            .transpose()
            .map_err(other("retry", "Error while reading retry middleware"))?;
        let circuit_breaker = spec
            .circuit_breaker
            .as_ref()
            .map(circuit_breaker)
            .transpose()
            .map_err(other(
                "circuitBreaker",
                "Error while reading circuit breaker middleware",
            ))?;
        let chain = match &spec.chain {
            None => None,
            Some(c) => {
                let mut mds = Vec::new();
                for (i, mi) in c.middlewares.iter().enumerate() {
                    let r = resolve_reference(&ns, &mi.namespace, &mi.name, self.opts).map_err(
                        |e| {
                            (
                                "chain",
                                e.wrap(format!("invalid reference to middleware {}", mi.name))
                                    .wrap("Error while reading chain middleware"),
                            )
                        },
                    )?;
                    if let Some(n) = &r.ignored_namespace {
                        self.ignored_namespace(
                            obj,
                            &path_with(&mw_path("chain"), &["middlewares"], Some(i)),
                            n,
                        );
                    }
                    mds.push(r.name);
                }
                Some(Chain { middlewares: mds })
            }
        };
        if spec.ip_white_list.is_some() {
            self.report(
                Severity::Warning,
                "crd-deprecated",
                obj,
                &mw_path("ipWhiteList"),
                Some(id),
                "ipWhiteList is deprecated, use ipAllowList".to_string(),
            );
        }
        Ok(Middleware {
            add_prefix: spec.add_prefix.clone().map(Box::new),
            strip_prefix: spec.strip_prefix.clone().map(Box::new),
            strip_prefix_regex: spec.strip_prefix_regex.clone().map(Box::new),
            replace_path: spec.replace_path.clone().map(Box::new),
            replace_path_regex: spec.replace_path_regex.clone().map(Box::new),
            chain: chain.map(Box::new),
            ip_white_list: spec.ip_white_list.clone().map(Box::new),
            ip_allow_list: spec.ip_allow_list.clone().map(Box::new),
            headers: spec.headers.clone().map(Box::new),
            encoded_characters: spec.encoded_characters.clone().map(Box::new),
            errors: errors.map(Box::new),
            rate_limit: rate_limit.map(Box::new),
            redirect_regex: spec.redirect_regex.clone().map(Box::new),
            redirect_scheme: spec.redirect_scheme.clone().map(Box::new),
            basic_auth: basic_auth.map(Box::new),
            digest_auth: digest_auth.map(Box::new),
            forward_auth: forward_auth.map(Box::new),
            in_flight_req: spec.in_flight_req.clone().map(Box::new),
            buffering: spec.buffering.as_ref().map(|b| {
                Box::new(Buffering {
                    mem_request_body_bytes: b.mem_request_body_bytes,
                    max_request_body_bytes: b.max_request_body_bytes,
                    mem_response_body_bytes: b.mem_response_body_bytes,
                    max_response_body_bytes: b.max_response_body_bytes,
                    retry_expression: b.retry_expression.clone(),
                })
            }),
            circuit_breaker: circuit_breaker.map(Box::new),
            compress: spec.compress.as_ref().map(compress).map(Box::new),
            pass_tls_client_cert: spec.pass_tls_client_cert.clone().map(Box::new),
            retry: retry.map(Box::new),
            content_type: spec.content_type.clone().map(Box::new),
            grpc_web: spec.grpc_web.clone().map(Box::new),
            plugin,
        })
    }

    /// `loadSecretKeys`: `urn:k8s:secret:<name>:<key>` strings are replaced by the secret value.
    fn load_secret_keys(
        &mut self,
        obj: &Object,
        ns: &str,
        v: serde_json::Value,
    ) -> Res<serde_json::Value> {
        use serde_json::Value;
        Ok(match v {
            Value::String(s) if s.starts_with("urn:k8s:secret:") => {
                let parts: Vec<&str> = s.split(':').collect();
                if parts.len() != 5 {
                    return Err(format!("malformed secret URN {s:?}"));
                }
                match self.secret(obj, &mw_path("plugin"), ns, parts[3]) {
                    Lookup::Found(secret) => match secret.data.get(parts[4]) {
                        Some(v) => Value::String(String::from_utf8_lossy(v).into_owned()),
                        None => {
                            return Err(format!(
                                "key {:?} not found in secret {ns}/{}",
                                parts[4], parts[3]
                            ));
                        }
                    },
                    Lookup::Assumed => Value::String(String::new()),
                    Lookup::Missing => {
                        return Err(format!("secret {ns}/{} is not found", parts[3]));
                    }
                }
            }
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|i| self.load_secret_keys(obj, ns, i))
                    .collect::<Res<_>>()?,
            ),
            Value::Object(map) => {
                let mut out = serde_json::Map::new();
                for (k, v) in map {
                    out.insert(k, self.load_secret_keys(obj, ns, v)?);
                }
                Value::Object(out)
            }
            other => other,
        })
    }

    fn basic_auth(
        &mut self,
        obj: &Object,
        ns: &str,
        auth: Option<&spec::BasicAuth>,
    ) -> Res<Option<BasicAuth>> {
        let Some(auth) = auth else { return Ok(None) };
        if auth.secret.is_empty() {
            return Err("auth secret must be set".to_string());
        }
        let lookup = self.secret(obj, &mw_path("basicAuth"), ns, &auth.secret);
        let users_assumed = matches!(lookup, Lookup::Assumed);
        let users = match lookup {
            Lookup::Missing => return Err(format!("secret '{ns}/{}' not found", auth.secret)),
            // Content unknown (not in the manifests, or watched as metadata
            // only): `users_assumed` tells validation the Secret holds users.
            Lookup::Assumed => Vec::new(),
            Lookup::Found(secret) if secret.type_ == "kubernetes.io/basic-auth" => {
                let (Some(user), Some(password)) =
                    (secret.data.get("username"), secret.data.get("password"))
                else {
                    return Err(format!(
                        "failed to load basic auth credentials: secret '{}/{}' must contain both username and password keys",
                        secret.namespace, secret.name
                    ));
                };
                let sum =
                    base64::engine::general_purpose::STANDARD.encode(super::sha1::sha1(password));
                vec![format!("{}:{{SHA}}{sum}", String::from_utf8_lossy(user))]
            }
            Lookup::Found(secret) => auth_credentials(secret)
                .map_err(|e| format!("failed to load basic auth credentials: {e}"))?,
        };
        Ok(Some(BasicAuth {
            users,
            realm: auth.realm.clone(),
            remove_header: auth.remove_header,
            header_field: auth.header_field.clone(),
            users_assumed,
            ..BasicAuth::default()
        }))
    }

    fn digest_auth(
        &mut self,
        obj: &Object,
        ns: &str,
        auth: Option<&spec::BasicAuth>,
    ) -> Res<Option<DigestAuth>> {
        let Some(auth) = auth else { return Ok(None) };
        if auth.secret.is_empty() {
            return Err("auth secret must be set".to_string());
        }
        let users = match self.secret(obj, &mw_path("digestAuth"), ns, &auth.secret) {
            Lookup::Missing => return Err(format!("secret '{ns}/{}' not found", auth.secret)),
            Lookup::Assumed => Vec::new(),
            Lookup::Found(secret) => auth_credentials(secret)
                .map_err(|e| format!("failed to load digest auth credentials: {e}"))?,
        };
        Ok(Some(DigestAuth {
            users,
            realm: auth.realm.clone(),
            remove_header: auth.remove_header,
            header_field: auth.header_field.clone(),
            ..DigestAuth::default()
        }))
    }

    fn forward_auth(
        &mut self,
        obj: &Object,
        ns: &str,
        auth: Option<&spec::ForwardAuth>,
    ) -> Res<Option<ForwardAuth>> {
        let Some(auth) = auth else { return Ok(None) };
        if auth.address.is_empty() {
            return Err("forward authentication requires an address".to_string());
        }
        let mut out = ForwardAuth {
            address: auth.address.clone(),
            trust_forward_header: auth.trust_forward_header,
            auth_response_headers: auth.auth_response_headers.clone(),
            auth_response_headers_regex: auth.auth_response_headers_regex.clone(),
            auth_request_headers: auth.auth_request_headers.clone(),
            add_auth_cookies_to_response: auth.add_auth_cookies_to_response.clone(),
            header_field: auth.header_field.clone(),
            forward_body: auth.forward_body,
            preserve_location_header: auth.preserve_location_header,
            preserve_request_method: auth.preserve_request_method,
            auth_signin_url: auth.auth_signin_url.clone(),
            max_body_size: Some(auth.max_body_size.unwrap_or(-1)),
            max_response_body_size: auth.max_response_body_size,
            ..ForwardAuth::default()
        };
        if let Some(tls) = &auth.tls {
            let mut t = ClientTls {
                insecure_skip_verify: tls.insecure_skip_verify,
                ..ClientTls::default()
            };
            let path = path_with(&mw_path("forwardAuth"), &["tls"], None);
            if !tls.ca_secret.is_empty() {
                t.ca = self
                    .ca_secret(obj, &path, ns, &tls.ca_secret)
                    .map_err(|e| format!("failed to load auth ca secret: {e}"))?;
            }
            if !tls.cert_secret.is_empty() {
                let (c, k) = self
                    .tls_secret(obj, &path, ns, &tls.cert_secret)
                    .map_err(|e| format!("failed to load auth secret: {e}"))?;
                t.cert = c;
                t.key = k;
            }
            t.ca_optional = tls.ca_optional;
            out.tls = Some(t);
        }
        Ok(Some(out))
    }

    fn rate_limit(
        &mut self,
        obj: &Object,
        ns: &str,
        rl: Option<&spec::RateLimit>,
    ) -> Res<Option<RateLimit>> {
        let Some(rl) = rl else { return Ok(None) };
        let mut out = RateLimit {
            burst: 1,
            period: super::http::nanos(SECOND),
            ..RateLimit::default()
        };
        if let Some(a) = rl.average {
            out.average = a;
        }
        if let Some(b) = rl.burst {
            out.burst = b;
        }
        if let Some(p) = &rl.period {
            out.period = duration(p)?;
        }
        out.source_criterion = rl.source_criterion.clone();
        if let Some(r) = &rl.redis {
            let mut redis = Redis {
                db: r.db,
                pool_size: r.pool_size,
                min_idle_conns: r.min_idle_conns,
                max_active_conns: r.max_active_conns,
                endpoints: vec!["localhost:6379".to_string()],
                read_timeout: Some(super::http::nanos(3 * SECOND)),
                write_timeout: Some(super::http::nanos(3 * SECOND)),
                dial_timeout: Some(super::http::nanos(5 * SECOND)),
                ..Redis::default()
            };
            if !r.endpoints.is_empty() {
                redis.endpoints = r.endpoints.clone();
            }
            let path = path_with(&mw_path("rateLimit"), &["redis"], None);
            if let Some(tls) = &r.tls {
                let mut t = TypesClientTls {
                    insecure_skip_verify: tls.insecure_skip_verify,
                    ..TypesClientTls::default()
                };
                if !tls.ca_secret.is_empty() {
                    t.ca = self
                        .ca_secret(obj, &path, ns, &tls.ca_secret)
                        .map_err(|e| format!("failed to load auth ca secret: {e}"))?;
                }
                if !tls.cert_secret.is_empty() {
                    let (c, k) = self
                        .tls_secret(obj, &path, ns, &tls.cert_secret)
                        .map_err(|e| format!("failed to load auth secret: {e}"))?;
                    t.cert = c;
                    t.key = k;
                }
                redis.tls = Some(t);
            }
            if let Some(d) = &r.dial_timeout {
                redis.dial_timeout = Some(duration(d)?);
            }
            if let Some(d) = &r.read_timeout {
                redis.read_timeout = Some(duration(d)?);
            }
            if let Some(d) = &r.write_timeout {
                redis.write_timeout = Some(duration(d)?);
            }
            if !r.secret.is_empty() {
                match self.secret(obj, &path, ns, &r.secret) {
                    Lookup::Missing => return Err(format!("secret '{ns}/{}' not found", r.secret)),
                    Lookup::Assumed => {}
                    Lookup::Found(s) => {
                        let (Some(u), Some(p)) = (s.data.get("username"), s.data.get("password"))
                        else {
                            return Err(format!(
                                "secret '{}/{}' must contain both username and password keys",
                                s.namespace, s.name
                            ));
                        };
                        redis.username = String::from_utf8_lossy(u).into_owned();
                        redis.password = String::from_utf8_lossy(p).into_owned();
                    }
                }
            }
            out.redis = Some(redis);
        }
        Ok(Some(out))
    }

    /// `loadCASecret`.
    pub(crate) fn ca_secret(
        &mut self,
        obj: &Object,
        path: &[Seg],
        ns: &str,
        name: &str,
    ) -> Res<String> {
        match self.secret(obj, path, ns, name) {
            Lookup::Missing => Err(format!("secret '{ns}/{name}' not found")),
            Lookup::Assumed => Ok(String::new()),
            Lookup::Found(secret) => {
                if let Some(v) = secret
                    .data
                    .get("tls.ca")
                    .or_else(|| secret.data.get("ca.crt"))
                {
                    return Ok(String::from_utf8_lossy(v).into_owned());
                }
                if secret.data.len() == 1
                    && let Some(v) = secret.data.values().next()
                {
                    return Ok(String::from_utf8_lossy(v).into_owned());
                }
                Err(format!(
                    "secret '{ns}/{name}' has no CA block: secret {ns}/{name} contains neither tls.ca nor ca.crt"
                ))
            }
        }
    }

    /// `loadCAConfigMap`.
    pub(crate) fn ca_config_map(
        &mut self,
        obj: &Object,
        path: &[Seg],
        ns: &str,
        name: &str,
    ) -> Res<String> {
        match self.config_map(obj, path, ns, name) {
            Lookup::Missing => Err(format!("configMap '{ns}/{name}' not found")),
            Lookup::Assumed => Ok(String::new()),
            Lookup::Found(data) => data
                .get("tls.ca")
                .or_else(|| data.get("ca.crt"))
                .cloned()
                .ok_or_else(|| format!("configMap '{ns}/{name}' has no CA block: config map {ns}/{name} contains neither tls.ca nor ca.crt")),
        }
    }

    /// `loadAuthTLSSecret`.
    pub(crate) fn tls_secret(
        &mut self,
        obj: &Object,
        path: &[Seg],
        ns: &str,
        name: &str,
    ) -> Res<(String, String)> {
        match self.secret(obj, path, ns, name) {
            Lookup::Missing => Err(format!("secret '{ns}/{name}' does not exist")),
            Lookup::Assumed => Ok((String::new(), String::new())),
            Lookup::Found(secret) => certificate_blocks(secret, ns, name),
        }
    }

    pub(crate) fn load_middlewares_tcp(&mut self, middlewares: &[(&Object, MiddlewareTcpSpec)]) {
        for (obj, spec) in middlewares {
            let id = normalize(&make_id(&obj.namespace, &obj.name));
            if spec.ip_white_list.is_some() {
                self.report(
                    Severity::Warning,
                    "crd-deprecated",
                    obj,
                    &mw_path("ipWhiteList"),
                    Some(&id),
                    "ipWhiteList is deprecated, use ipAllowList".to_string(),
                );
            }
            self.produced(ObjectKind::TcpMiddleware, &id, obj, &[]);
            self.tcp.middlewares.insert(
                id,
                TcpMiddleware {
                    in_flight_conn: spec.in_flight_conn.clone(),
                    ip_white_list: spec.ip_white_list.clone(),
                    ip_allow_list: spec.ip_allow_list.clone(),
                },
            );
        }
    }
}

/// `getCertificateBlocks`.
pub(crate) fn certificate_blocks(
    secret: &super::cluster::Secret,
    ns: &str,
    name: &str,
) -> Res<(String, String)> {
    let crt = secret.data.get("tls.crt");
    let key = secret.data.get("tls.key");
    let mut missing = Vec::new();
    if crt.is_none() {
        missing.push("tls.crt");
    }
    if key.is_none() {
        missing.push("tls.key");
    }
    if !missing.is_empty() {
        return Err(format!(
            "secret {ns}/{name} is missing the following TLS data entries: {}",
            missing.join(", ")
        ));
    }
    let crt = String::from_utf8_lossy(crt.map(Vec::as_slice).unwrap_or_default()).into_owned();
    let key = String::from_utf8_lossy(key.map(Vec::as_slice).unwrap_or_default()).into_owned();
    if crt.is_empty() {
        missing.push("tls.crt");
    }
    if key.is_empty() {
        missing.push("tls.key");
    }
    if !missing.is_empty() {
        return Err(format!(
            "secret {ns}/{name} contains the following empty TLS data entries: {}",
            missing.join(", ")
        ));
    }
    Ok((crt, key))
}

/// `loadAuthCredentials`: one data entry, one credential per non-empty line.
fn auth_credentials(secret: &super::cluster::Secret) -> Res<Vec<String>> {
    if secret.data.len() != 1 {
        return Err(format!(
            "found {} elements for secret '{}/{}', must be single element exactly",
            secret.data.len(),
            secret.namespace,
            secret.name
        ));
    }
    let data = secret
        .data
        .values()
        .next()
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .unwrap_or_default();
    let creds: Vec<String> = data
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    if creds.is_empty() {
        return Err(format!(
            "secret '{}/{}' does not contain any credentials",
            secret.namespace, secret.name
        ));
    }
    Ok(creds)
}

fn retry(r: &spec::Retry) -> Res<Retry> {
    Ok(Retry {
        attempts: r.attempts,
        status: r.status.clone(),
        disable_retry_on_network_error: r.disable_retry_on_network_error,
        retry_non_idempotent_method: r.retry_non_idempotent_method,
        initial_interval: duration(&r.initial_interval)?,
        timeout: duration(&r.timeout)?,
        max_request_body_bytes: Some(r.max_request_body_bytes.unwrap_or(2 * 1024 * 1024)),
    })
}

fn circuit_breaker(c: &spec::CircuitBreaker) -> Res<CircuitBreaker> {
    let mut out = CircuitBreaker {
        expression: c.expression.clone(),
        check_period: super::http::nanos(100 * MILLISECOND),
        fallback_duration: super::http::nanos(10 * SECOND),
        recovery_duration: super::http::nanos(10 * SECOND),
        response_code: 503,
    };
    if let Some(d) = &c.check_period {
        out.check_period = duration(d)?;
    }
    if let Some(d) = &c.fallback_duration {
        out.fallback_duration = duration(d)?;
    }
    if let Some(d) = &c.recovery_duration {
        out.recovery_duration = duration(d)?;
    }
    if c.response_code != 0 {
        out.response_code = c.response_code;
    }
    Ok(out)
}

fn compress(c: &spec::Compress) -> Compress {
    Compress {
        excluded_content_types: c.excluded_content_types.clone().unwrap_or_default(),
        included_content_types: c.included_content_types.clone().unwrap_or_default(),
        min_response_body_bytes: c.min_response_body_bytes.unwrap_or(0),
        encodings: c
            .encodings
            .clone()
            .unwrap_or_else(|| vec!["gzip".into(), "br".into(), "zstd".into()]),
        default_encoding: c.default_encoding.clone().unwrap_or_default(),
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}
