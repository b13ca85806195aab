//! The immutable snapshot requests run under: compiled router, each route's plugin chain, the
//! entities plugins look up. A configuration change builds a new snapshot and swaps it in whole.

use std::collections::HashMap;
use std::sync::Arc;

use http::HeaderValue;
use uuid::Uuid;

use crate::entities::{Consumers, Entities, Route, Service, Tables};
use crate::gateway::ClientPool;
use crate::plugins::Plugin;
use crate::router::Router;
use crate::store::State;
use crate::upstream_pool::HostPool;

/// One configuration snapshot.
#[derive(Debug, Default)]
pub struct Runtime {
    /// Routes, indexed by [`crate::router::RouteMatch::route`].
    pub routes: Vec<Route>,
    /// Each route's service, resolved (same index as `routes`; `None`: a route without one).
    pub upstreams: Vec<Option<Arc<Upstream>>>,
    /// How many services the configuration has (disabled ones included).
    pub service_count: usize,
    /// Compiled routes.
    pub router: Router,
    /// Plugin chain of each route (same index as `routes`).
    pub chains: Vec<Arc<Chain>>,
    /// Consumers for plugin lookups (also in [`Runtime::entities`]).
    pub consumers: Arc<Consumers>,
    /// Every entity plugins look up: consumers, DAO indexes, runtime tables.
    pub entities: Arc<Entities>,
}

impl Runtime {
    /// Compiles `state` over the gateway's runtime `tables`, taking each service's keep-alive
    /// client from `pool`. Routes of disabled services are left out (Kong does not load them).
    pub fn build(state: &State, tables: Arc<Tables>, pool: &ClientPool) -> Runtime {
        let services: HashMap<Uuid, Arc<Upstream>> = state
            .services
            .iter()
            .map(|s| (s.id, Arc::new(Upstream::new(s.clone(), pool))))
            .collect();
        let routes: Vec<Route> = state
            .routes
            .iter()
            .filter(|r| {
                r.service
                    .and_then(|f| services.get(&f.id))
                    .is_some_and(|u| u.service.enabled)
            })
            .cloned()
            .collect();
        let upstreams = routes
            .iter()
            .map(|r| r.service.and_then(|f| services.get(&f.id).cloned()))
            .collect();
        let chains = routes
            .iter()
            .map(|route| Arc::new(Chain::for_route(state, route)))
            .collect();
        let entities = Arc::new(Entities::build(state, tables));
        Runtime {
            router: Router::new(&routes),
            routes,
            upstreams,
            service_count: services.len(),
            chains,
            consumers: entities.consumers().clone(),
            entities,
        }
    }
}

/// A service as the proxy sends to it. Everything a request would otherwise look up, lock or
/// format per request (the service by id, its pooled client, its authority and `Host`) is
/// worked out once per configuration snapshot.
#[derive(Debug)]
pub struct Upstream {
    /// The service entity.
    pub service: Service,
    /// `host:port`.
    pub authority: String,
    /// The `Host` sent when the route does not preserve the client's: the port is left out
    /// when it is http's default (RFC 9110 §7.2). `None` when the host is not a valid value.
    pub host: Option<HeaderValue>,
    /// The keep-alive pool of the service's authority and connect timeout (`None`: the host
    /// and port make no valid authority; requests to it fail with 502).
    pub pool: Option<Arc<HostPool>>,
}

impl Upstream {
    fn new(service: Service, pool: &ClientPool) -> Upstream {
        let authority = format!("{}:{}", service.host, service.port);
        let host = if service.port == 80 {
            HeaderValue::from_str(&service.host).ok()
        } else {
            HeaderValue::from_str(&authority).ok()
        };
        let pool = pool.pool(
            &authority,
            std::time::Duration::from_millis(service.connect_timeout),
        );
        Upstream {
            service,
            authority,
            host,
            pool,
        }
    }
}

/// Kong's plugin precedence (`docs/kong.md#plugin-precedence`): lower is more specific.
fn rank(consumer: bool, route: bool, service: bool) -> u8 {
    match (consumer, route, service) {
        (true, true, true) => 1,
        (true, true, false) => 3,
        (true, false, true) => 4,
        (false, true, true) => 7,
        (true, false, false) => 8,
        (false, true, false) => 10,
        (false, false, true) => 11,
        (false, false, false) => 12,
    }
}

/// The instances of one plugin name that may apply to a route.
#[derive(Debug)]
struct Entry {
    priority: i32,
    /// The most specific instance not scoped to a consumer.
    general: Option<(u8, Arc<dyn Plugin>)>,
    /// The most specific instance per consumer.
    by_consumer: HashMap<Uuid, (u8, Arc<dyn Plugin>)>,
}

impl Entry {
    fn pick(&self, consumer: Option<Uuid>) -> Option<&Arc<dyn Plugin>> {
        let scoped = consumer.and_then(|c| self.by_consumer.get(&c));
        match (scoped, &self.general) {
            (Some((a, p)), Some((b, _))) if a < b => Some(p),
            (Some((_, p)), None) => Some(p),
            (_, Some((_, p))) => Some(p),
            (None, None) => None,
        }
    }
}

/// A route's plugins by descending priority. Each name's instance is chosen when the request
/// reaches it: an instance scoped to the consumer an earlier (higher-priority) plugin
/// authenticated wins over a less specific one, as Kong re-evaluates its plugin iterator once
/// the consumer is known.
#[derive(Debug, Default)]
pub struct Chain {
    entries: Vec<Entry>,
}

impl Chain {
    /// The chain of `route`: every enabled instance whose route and service scopes match it.
    pub fn for_route(state: &State, route: &Route) -> Chain {
        let service = route.service.map(|f| f.id);
        let mut by_name: HashMap<&str, Entry> = HashMap::new();
        for p in state.plugins.iter().filter(|p| p.entity.enabled) {
            let e = &p.entity;
            if e.route.is_some_and(|r| r.id != route.id)
                || e.service.is_some_and(|s| Some(s.id) != service)
            {
                continue;
            }
            let r = rank(e.consumer.is_some(), e.route.is_some(), e.service.is_some());
            let entry = by_name.entry(e.name.as_str()).or_insert_with(|| Entry {
                priority: p.instance.priority(),
                general: None,
                by_consumer: HashMap::new(),
            });
            let slot = match e.consumer {
                Some(c) => entry.by_consumer.get_mut(&c.id),
                None => entry.general.as_mut(),
            };
            match slot {
                Some(current) if current.0 <= r => {}
                Some(current) => *current = (r, p.instance.clone()),
                None => match e.consumer {
                    Some(c) => {
                        entry.by_consumer.insert(c.id, (r, p.instance.clone()));
                    }
                    None => entry.general = Some((r, p.instance.clone())),
                },
            }
        }
        let mut entries: Vec<Entry> = by_name.into_values().collect();
        entries.sort_by_key(|e| std::cmp::Reverse(e.priority));
        Chain { entries }
    }

    /// How many plugin names may run on the route.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no plugin applies to the route.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The instance of the `i`-th plugin name for a request from `consumer` (none when only
    /// other consumers have one).
    pub fn pick(&self, i: usize, consumer: Option<Uuid>) -> Option<&Arc<dyn Plugin>> {
        self.entries.get(i).and_then(|e| e.pick(consumer))
    }
}
