//! The shared gateway: the configuration state behind a writer lock and the runtime snapshot
//! requests read; every change is built on a copy and swapped in whole.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use crate::entities::Tables;
use crate::error::AdminError;
use crate::plugins::PluginEnv;
use crate::runtime::Runtime;
use crate::store::State;
use crate::upstream_pool::HostPool;

/// Everything the Admin API and the proxy share.
pub struct Gateway {
    writer: tokio::sync::Mutex<State>,
    runtime: RwLock<Arc<Runtime>>,
    /// Settings plugins are built with.
    pub env: PluginEnv,
    clients: ClientPool,
    tables: Arc<Tables>,
    trusted_ips: Vec<ipnet::IpNet>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway").finish_non_exhaustive()
    }
}

impl Gateway {
    /// A gateway running `state` over `tables` (the runtime tables `env`'s plugins were given).
    pub fn new(state: State, env: PluginEnv, tables: Arc<Tables>) -> Self {
        let clients = ClientPool::default();
        let runtime = Arc::new(Runtime::build(&state, tables.clone(), &clients));
        Self {
            writer: tokio::sync::Mutex::new(state),
            runtime: RwLock::new(runtime),
            env,
            clients,
            tables,
            trusted_ips: Vec::new(),
        }
    }

    /// Sets the peers whose forwarding headers are believed (Kong's `trusted_ips`).
    pub fn with_trusted_ips(mut self, trusted_ips: Vec<ipnet::IpNet>) -> Self {
        self.trusted_ips = trusted_ips;
        self
    }

    /// Whether `ip` is a trusted proxy.
    pub fn is_trusted(&self, ip: std::net::IpAddr) -> bool {
        let ip = match ip {
            std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, std::net::IpAddr::V4),
            v4 => v4,
        };
        self.trusted_ips.iter().any(|n| n.contains(&ip))
    }

    /// The runtime tables (issued tokens, codes), kept across configuration changes.
    pub fn tables(&self) -> &Arc<Tables> {
        &self.tables
    }

    fn install(&self, state: &State) {
        self.tables.retain_referenced(state);
        self.swap(Runtime::build(state, self.tables.clone(), &self.clients));
    }

    /// The current snapshot.
    pub fn runtime(&self) -> Arc<Runtime> {
        match self.runtime.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn swap(&self, runtime: Runtime) {
        let runtime = Arc::new(runtime);
        match self.runtime.write() {
            Ok(mut guard) => *guard = runtime,
            Err(poisoned) => *poisoned.into_inner() = runtime,
        }
    }

    /// Reads the configuration state.
    pub async fn read<T>(&self, f: impl FnOnce(&crate::store::State) -> T) -> T {
        let guard = self.writer.lock().await;
        f(&guard)
    }

    /// Applies `f` to a copy of the state; on success the copy and its runtime replace the
    /// current ones, on error nothing changes.
    pub async fn write<T>(
        &self,
        f: impl FnOnce(&mut State) -> Result<T, AdminError>,
    ) -> Result<T, AdminError> {
        let mut guard = self.writer.lock().await;
        let mut next = guard.clone();
        let out = f(&mut next)?;
        self.install(&next);
        *guard = next;
        Ok(out)
    }

    /// Replaces the whole state (declarative load).
    pub async fn replace(&self, state: State) {
        let mut guard = self.writer.lock().await;
        self.install(&state);
        *guard = state;
    }
}

/// The upstream keep-alive pools, one per service authority and connect timeout, kept across
/// configuration changes so a new snapshot reuses the open connections. Only snapshot builds
/// take its lock; requests use the pool their snapshot resolved.
#[derive(Default)]
pub struct ClientPool {
    pools: Mutex<HashMap<(String, u64), Arc<HostPool>>>,
}

impl ClientPool {
    /// The pool for `authority` (`host:port`) and `connect_timeout`; `None` when `authority`
    /// is not a valid URI authority.
    pub fn pool(&self, authority: &str, connect_timeout: Duration) -> Option<Arc<HostPool>> {
        let key = (authority.to_owned(), connect_timeout.as_millis() as u64);
        let mut pools = match self.pools.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if let Some(pool) = pools.get(&key) {
            return Some(pool.clone());
        }
        let pool = Arc::new(HostPool::new(authority, connect_timeout)?);
        pools.insert(key, pool.clone());
        Some(pool)
    }
}
