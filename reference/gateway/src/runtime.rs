//! The immutable snapshot requests run under: compiled router, each route's plugin chain, the
//! consumers index. A configuration change builds a new snapshot and swaps it in whole.

use std::collections::HashMap;
use std::sync::Arc;

use uuid::Uuid;

use crate::entities::{Consumers, Route, Service};
use crate::plugins::Plugin;
use crate::router::Router;
use crate::store::State;

/// One configuration snapshot.
#[derive(Debug, Default)]
pub struct Runtime {
    /// Routes, indexed by [`crate::router::RouteMatch::route`].
    pub routes: Vec<Route>,
    /// Services by id.
    pub services: HashMap<Uuid, Service>,
    /// Compiled routes.
    pub router: Router,
    /// Plugin chain of each route (same index as `routes`), highest priority first.
    pub chains: Vec<Arc<[Arc<dyn Plugin>]>>,
    /// Consumers for plugin lookups.
    pub consumers: Arc<Consumers>,
}

impl Runtime {
    /// Compiles `state`. Routes of disabled services are left out (Kong does not load them).
    pub fn build(state: &State) -> Runtime {
        let services: HashMap<Uuid, Service> =
            state.services.iter().map(|s| (s.id, s.clone())).collect();
        let routes: Vec<Route> = state
            .routes
            .iter()
            .filter(|r| {
                r.service
                    .and_then(|f| services.get(&f.id))
                    .is_some_and(|s| s.enabled)
            })
            .cloned()
            .collect();
        let chains = routes.iter().map(|route| chain_for(state, route)).collect();
        Runtime {
            router: Router::new(&routes),
            routes,
            services,
            chains,
            consumers: Arc::new(Consumers::new(&state.consumers)),
        }
    }
}

/// Per plugin name the most specific enabled instance: route, then service, then global.
fn chain_for(state: &State, route: &Route) -> Arc<[Arc<dyn Plugin>]> {
    let service = route.service.map(|f| f.id);
    let mut picked: HashMap<&str, (u8, Arc<dyn Plugin>)> = HashMap::new();
    for p in state
        .plugins
        .iter()
        .filter(|p| p.entity.enabled && p.entity.consumer.is_none())
    {
        let rank = match (p.entity.route, p.entity.service) {
            (Some(r), _) if r.id == route.id => 3,
            (Some(_), _) => continue,
            (None, Some(s)) if Some(s.id) == service => 2,
            (None, Some(_)) => continue,
            (None, None) => 1,
        };
        let entry = picked
            .entry(p.entity.name.as_str())
            .or_insert((0, p.instance.clone()));
        if rank > entry.0 {
            *entry = (rank, p.instance.clone());
        }
    }
    let mut chain: Vec<Arc<dyn Plugin>> = picked.into_values().map(|(_, p)| p).collect();
    chain.sort_by_key(|p| std::cmp::Reverse(p.priority()));
    chain.into()
}
