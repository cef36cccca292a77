//! Building HTTP services and middleware chains the way Traefik's service manager
//! (`pkg/server/service/service.go`) and middleware builder
//! (`pkg/server/middleware/middlewares.go`) do: same order, same caching, same
//! recursion detection, same error texts, same objects marked in error.

use super::go_url;
use super::middleware_config;
use super::runtime::{Rt, provider_of, q, qualify};
use crate::model::{Middleware, Service};
use std::collections::{BTreeMap, BTreeSet, HashMap};

const MULTI_SERVICE: &str = "cannot create service: multi-types service not supported, consider declaring two different pieces of service instead";
const MULTI_MIDDLEWARE: &str = "cannot create middleware: multi-types middleware not supported, consider declaring two different pieces of middleware instead";

/// What a built service handler can do for health-check propagation
/// (`healthcheck.StatusUpdater`): `Ok` when it accepts an updater, the
/// registration error otherwise; `NotUpdater` for handlers that are no updater.
#[derive(Debug, Clone)]
pub(crate) enum Handler {
    Updater(Result<(), String>),
    NotUpdater(&'static str),
}

impl Handler {
    fn register(&self) -> Result<(), String> {
        match self {
            Handler::Updater(r) => r.clone(),
            Handler::NotUpdater(_) => Ok(()),
        }
    }
}

/// Builder state for one configuration build.
pub(crate) struct HttpBuild<'a> {
    pub services: &'a mut BTreeMap<String, Rt<Service>>,
    pub middlewares: &'a mut BTreeMap<String, Rt<Middleware>>,
    pub transports: &'a BTreeSet<String>,
    /// Whether `api@internal` / `dashboard@internal` exist.
    pub api: bool,
    /// Declared plugins (`None`: unknown, every plugin is accepted).
    pub plugins: Option<Vec<String>>,
    built: HashMap<String, Handler>,
}

fn hc_disabled(kind: &str) -> Result<(), String> {
    Err(format!(
        "healthCheck not enabled in config for this {kind} service"
    ))
}

impl<'a> HttpBuild<'a> {
    pub fn new(
        services: &'a mut BTreeMap<String, Rt<Service>>,
        middlewares: &'a mut BTreeMap<String, Rt<Middleware>>,
        transports: &'a BTreeSet<String>,
        api: bool,
    ) -> Self {
        Self {
            services,
            middlewares,
            transports,
            api,
            plugins: None,
            built: HashMap::new(),
        }
    }

    /// `Manager.BuildHTTP`: `raw` resolved against `ctx`'s provider.
    pub fn build_service(
        &mut self,
        ctx: Option<&str>,
        raw: &str,
        stack: &[String],
    ) -> Result<Handler, String> {
        let name = qualify(ctx, raw);
        if let Some(h) = self.built.get(&name) {
            return Ok(h.clone());
        }
        if name.ends_with("@internal") {
            return self.internal(&name);
        }
        let Some(svc) = self.services.get(&name) else {
            return Err(format!("the service {} does not exist", q(&name)));
        };
        if svc.state.status == crate::report::Status::Disabled {
            return Err(svc.state.errors.join(", "));
        }
        let cfg = svc.cfg.clone();
        let types = cfg.type_names();
        if types.len() > 1 {
            return Err(self.svc_error(&name, MULTI_SERVICE.to_string()));
        }
        let key = format!("service:{name}");
        if stack.contains(&key) {
            let chain = stack
                .iter()
                .cloned()
                .chain([key])
                .collect::<Vec<_>>()
                .join("->");
            let err =
                format!("could not instantiate service {name}: recursion detected in {chain}");
            return Err(self.svc_error(&name, err));
        }
        let mut stack = stack.to_vec();
        stack.push(key);
        let own = provider_of(&name);
        let handler = match self.build_kind(&name, own, &cfg, &stack) {
            Ok(h) => h,
            Err(e) => return Err(self.svc_error(&name, e)),
        };
        if !cfg.middlewares.is_empty()
            && let Err(e) = self.build_chain(own, &cfg.middlewares, &stack)
        {
            return Err(self.svc_error(&name, e));
        }
        self.built.insert(name, handler.clone());
        Ok(handler)
    }

    fn svc_error(&mut self, name: &str, err: String) -> String {
        if let Some(s) = self.services.get_mut(name) {
            s.state.add_error(err.clone(), true);
        }
        err
    }

    fn internal(&self, name: &str) -> Result<Handler, String> {
        let ok = Handler::NotUpdater("http.HandlerFunc");
        match name {
            "noop@internal" => Ok(ok),
            "api@internal" if self.api => Ok(ok),
            "dashboard@internal" if self.api => Ok(ok),
            "api@internal" => Err("api is not enabled".into()),
            "dashboard@internal" => Err("dashboard is not enabled".into()),
            "acme-http@internal" => Err("HTTP challenge is not enabled".into()),
            "rest@internal" => Err("rest is not enabled".into()),
            "ping@internal" => Err("ping is not enabled".into()),
            "prometheus@internal" => Err("prometheus is not enabled".into()),
            _ => Err(format!("unknown internal service {name}")),
        }
    }

    fn build_kind(
        &mut self,
        name: &str,
        own: Option<&str>,
        cfg: &Service,
        stack: &[String],
    ) -> Result<Handler, String> {
        if let Some(lb) = &cfg.load_balancer {
            let kind = match lb.strategy.as_str() {
                "wrr" | "" => "WRR",
                "p2c" => "P2C",
                "hrw" => "HRW",
                "leasttime" => "LeastTime",
                other => return Err(format!("unsupported load-balancer strategy {}", q(other))),
            };
            let transport = if lb.servers_transport.is_empty() {
                None
            } else {
                Some(qualify(own, &lb.servers_transport))
            };
            let missing = transport
                .as_ref()
                .filter(|t| !self.transports.contains(*t) && !t.ends_with("@internal"));
            // `getLoadBalancerServiceHandler`: each server's URL is parsed, then its
            // proxy built (servers are shuffled: the first failing one in order here).
            for server in &lb.servers {
                if let Some(e) = go_url::parse_error(&server.url) {
                    return Err(format!("error parsing server URL {}: {e}", server.url));
                }
                if let Some(t) = missing {
                    return Err(format!(
                        "error building proxy for server URL {}: getting RoundTripper: servers transport not found {t}",
                        server.url
                    ));
                }
            }
            if let Some(t) = missing {
                if let Some(server) = lb.servers.first() {
                    return Err(format!(
                        "error building proxy for server URL {}: getting RoundTripper: servers transport not found {t}",
                        server.url
                    ));
                }
                if lb.health_check.is_some() {
                    return Err(format!(
                        "getting RoundTripper: servers transport not found {t}"
                    ));
                }
            }
            return Ok(Handler::Updater(if lb.health_check.is_some() {
                Ok(())
            } else {
                hc_disabled(kind)
            }));
        }
        if let Some(w) = &cfg.weighted {
            for child in &w.services {
                let h = self
                    .build_service(own, &child.name, stack)
                    .map_err(|e| format!("building HTTP service {}: {e}", q(&child.name)))?;
                if w.health_check.is_some() {
                    if let Handler::NotUpdater(t) = h {
                        return Err(format!(
                            "child service {} of {name} not a healthcheck.StatusUpdater ({t})",
                            child.name
                        ));
                    }
                    h.register().map_err(|e| {
                        format!("cannot register {} as updater for {name}: {e}", child.name)
                    })?;
                }
            }
            return Ok(Handler::Updater(if w.health_check.is_some() {
                Ok(())
            } else {
                hc_disabled("WRR")
            }));
        }
        if let Some(h) = &cfg.highest_random_weight {
            for child in &h.services {
                let ch = self.build_service(own, &child.name, stack)?;
                if h.health_check.is_some() {
                    if let Handler::NotUpdater(t) = ch {
                        return Err(format!(
                            "child service {} of {name} not a healthcheck.StatusUpdater ({t})",
                            child.name
                        ));
                    }
                    ch.register().map_err(|e| {
                        format!("cannot register {} as updater for {name}: {e}", child.name)
                    })?;
                }
            }
            return Ok(Handler::Updater(if h.health_check.is_some() {
                Ok(())
            } else {
                hc_disabled("HRW")
            }));
        }
        if let Some(m) = &cfg.mirroring {
            let main = self.build_service(own, &m.service, stack)?;
            for mirror in &m.mirrors {
                self.build_service(own, &mirror.name, stack)?;
                if !(0..=100).contains(&mirror.percent) {
                    return Err("percent must be between 0 and 100".into());
                }
            }
            let reg = if m.health_check.is_none() {
                hc_disabled("mirroring")
            } else {
                match main {
                    Handler::NotUpdater(t) => Err(format!(
                        "service of mirroring {t} not a healthcheck.StatusUpdater"
                    )),
                    Handler::Updater(r) => r.map_err(|e| {
                        format!("cannot register service of mirroring as updater: {e}")
                    }),
                }
            };
            return Ok(Handler::Updater(reg));
        }
        if let Some(f) = &cfg.failover {
            let main = self.build_service(own, &f.service, stack)?;
            let errors_defined = f.errors.as_ref().is_some_and(|e| !e.status.is_empty());
            if let Handler::NotUpdater(t) = main {
                if !errors_defined {
                    return Err(format!(
                        "child service {} of {name} not a healthcheck.StatusUpdater ({t})",
                        f.service
                    ));
                }
            } else if let Err(e) = main.register()
                && !errors_defined
            {
                return Err(format!(
                    "cannot register {} as updater for {name}: {e}",
                    f.service
                ));
            }
            if let Some(errs) = &f.errors {
                middleware_config::check_code_ranges(&errs.status).map_err(|e| {
                    format!(
                        "error creating failover service {name}: creating HTTP code ranges: {e}"
                    )
                })?;
            }
            let fallback = self.build_service(own, &f.fallback, stack)?;
            if f.health_check.is_some() {
                if let Handler::NotUpdater(t) = fallback {
                    return Err(format!(
                        "child service {} of {name} not a healthcheck.StatusUpdater ({t})",
                        f.fallback
                    ));
                }
                fallback.register().map_err(|e| {
                    format!("cannot register {} as updater for {name}: {e}", f.fallback)
                })?;
            }
            return Ok(Handler::Updater(if f.health_check.is_some() {
                Ok(())
            } else {
                hc_disabled("failover")
            }));
        }
        Err(format!(
            "the service {} does not have any type defined",
            q(name)
        ))
    }

    /// `BuildMiddlewareChain(...).Then(next)`: alice builds the constructors from
    /// the last middleware to the first and stops at the first error.
    pub fn build_chain(
        &mut self,
        ctx: Option<&str>,
        names: &[String],
        stack: &[String],
    ) -> Result<(), String> {
        for raw in names.iter().rev() {
            self.build_middleware(ctx, raw, stack)?;
        }
        Ok(())
    }

    /// `findPluginConfig` then the plugin builder's lookup by type.
    fn check_plugin(&self, cfg: &Middleware) -> Result<(), String> {
        if cfg.plugin.len() != 1 {
            return Err(
                "plugin: invalid configuration: no configuration or too many plugin definition"
                    .into(),
            );
        }
        let Some(kind) = cfg.plugin.keys().next() else {
            return Ok(());
        };
        if kind.is_empty() {
            return Err("plugin: missing plugin type".into());
        }
        match &self.plugins {
            Some(known) if !known.contains(kind) => {
                Err(format!("plugin: unknown plugin type: {kind}"))
            }
            _ => Ok(()),
        }
    }

    fn mw_error(&mut self, name: &str, err: String) -> String {
        if let Some(m) = self.middlewares.get_mut(name) {
            m.state.add_error(err.clone(), true);
        }
        err
    }

    fn build_middleware(
        &mut self,
        ctx: Option<&str>,
        raw: &str,
        stack: &[String],
    ) -> Result<(), String> {
        let name = qualify(ctx, raw);
        let Some(mw) = self.middlewares.get(&name) else {
            return Err(format!("middleware {} does not exist", q(&name)));
        };
        let cfg = mw.cfg.clone();
        let key = format!("middleware:{name}");
        if stack.contains(&key) {
            let chain = stack
                .iter()
                .cloned()
                .chain([key])
                .collect::<Vec<_>>()
                .join("->");
            let err =
                format!("could not instantiate middleware {name}: recursion detected in {chain}");
            return Err(self.mw_error(&name, err));
        }
        let mut stack = stack.to_vec();
        stack.push(key);
        let types = cfg.type_names();
        if types.len() > 1 {
            return Err(self.mw_error(&name, MULTI_MIDDLEWARE.to_string()));
        }
        if types.is_empty() {
            let err = format!(
                "invalid middleware {} configuration: invalid middleware type or middleware does not exist",
                q(&name)
            );
            return Err(self.mw_error(&name, err));
        }
        let own = provider_of(&name);
        let result = if let Some(chain) = &cfg.chain {
            self.build_chain(own, &chain.middlewares, &stack)
        } else if !cfg.plugin.is_empty() {
            self.check_plugin(&cfg)
        } else if let Some(errors) = &cfg.errors {
            middleware_config::check_code_ranges(&errors.status)
                .and_then(|()| self.build_service(own, &errors.service, &stack).map(|_| ()))
                .and_then(|()| {
                    let keys: Vec<String> = errors.status_rewrites.keys().cloned().collect();
                    middleware_config::check_code_ranges(&keys)
                })
        } else {
            middleware_config::check_http(&cfg)
        };
        result.map_err(|e| self.mw_error(&name, e))
    }
}
