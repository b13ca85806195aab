//! Sites (oxd_id → OP client) and the authorization requests pending on them, behind a small
//! storage trait so a persistent store could replace the in-memory one.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Instant;

use serde_json::Value;

/// One relying party registered through `register-site`.
#[derive(Debug, Clone)]
pub struct Site {
    /// oxd's own identifier of the site (UUID).
    pub oxd_id: String,
    /// The OP (issuer URL, without a trailing slash).
    pub op_host: String,
    /// Client at the OP.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// RFC 7592 management token, when oxd registered the client itself.
    pub registration_access_token: Option<String>,
    /// RFC 7592 management URI, when oxd registered the client itself.
    pub registration_client_uri: Option<String>,
    /// When the OP issued the client (seconds since the epoch), if it said.
    pub client_id_issued_at: Option<i64>,
    /// When the secret expires (0 = never), if the OP said.
    pub client_secret_expires_at: Option<i64>,
    /// Registered redirect URIs; the first is the default of `get-authorization-url`.
    pub redirect_uris: Vec<String>,
    /// Registered post-logout redirect URIs; the first is the default of `get-logout-uri`.
    pub post_logout_redirect_uris: Vec<String>,
    /// Default scopes of `get-authorization-url`.
    pub scopes: Vec<String>,
    /// Default `acr_values` of `get-authorization-url`.
    pub acr_values: Vec<String>,
    /// Grant types registered.
    pub grant_types: Vec<String>,
    /// Client metadata as last sent to the OP (replayed by `update-site`).
    pub metadata: serde_json::Map<String, Value>,
}

/// What `get-authorization-url` must remember for `get-tokens-by-code` to check the response.
#[derive(Debug, Clone)]
pub struct PendingAuthorization {
    /// Site that asked.
    pub oxd_id: String,
    /// Nonce put in the request; the ID token must carry it.
    pub nonce: String,
    /// PKCE verifier whose S256 challenge was sent.
    pub pkce_verifier: String,
    /// Redirect URI of the request (the token request must repeat it).
    pub redirect_uri: String,
    /// After this instant the state is refused.
    pub expires_at: Instant,
}

/// Storage of sites and pending authorizations.
pub trait SiteStore: Send + Sync + 'static {
    /// Stores (or replaces) a site.
    fn put_site(&self, site: Site);
    /// The site with this oxd_id.
    fn site(&self, oxd_id: &str) -> Option<Site>;
    /// Forgets a site; returns it when it existed.
    fn remove_site(&self, oxd_id: &str) -> Option<Site>;
    /// Remembers an authorization request under its `state`.
    fn put_pending(&self, state: String, pending: PendingAuthorization);
    /// Removes and returns the authorization request of `state` (single use), if not expired.
    fn take_pending(&self, state: &str, now: Instant) -> Option<PendingAuthorization>;
}

/// In-memory [`SiteStore`] (oxd's default for a test install; state is lost at restart).
#[derive(Debug, Default)]
pub struct MemoryStore {
    sites: RwLock<HashMap<String, Site>>,
    pending: RwLock<HashMap<String, PendingAuthorization>>,
}

impl SiteStore for MemoryStore {
    fn put_site(&self, site: Site) {
        let mut sites = self.sites.write().unwrap_or_else(|e| e.into_inner());
        sites.insert(site.oxd_id.clone(), site);
    }

    fn site(&self, oxd_id: &str) -> Option<Site> {
        let sites = self.sites.read().unwrap_or_else(|e| e.into_inner());
        sites.get(oxd_id).cloned()
    }

    fn remove_site(&self, oxd_id: &str) -> Option<Site> {
        let mut sites = self.sites.write().unwrap_or_else(|e| e.into_inner());
        sites.remove(oxd_id)
    }

    fn put_pending(&self, state: String, pending: PendingAuthorization) {
        let mut map = self.pending.write().unwrap_or_else(|e| e.into_inner());
        // Expired entries are dropped here so abandoned logins do not accumulate.
        let now = Instant::now();
        map.retain(|_, p| p.expires_at > now);
        map.insert(state, pending);
    }

    fn take_pending(&self, state: &str, now: Instant) -> Option<PendingAuthorization> {
        let mut map = self.pending.write().unwrap_or_else(|e| e.into_inner());
        map.remove(state).filter(|p| p.expires_at > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn pending(expires_at: Instant) -> PendingAuthorization {
        PendingAuthorization {
            oxd_id: "site".into(),
            nonce: "n".into(),
            pkce_verifier: "v".into(),
            redirect_uri: "https://rp/cb".into(),
            expires_at,
        }
    }

    #[test]
    fn pending_state_is_single_use() {
        let store = MemoryStore::default();
        let now = Instant::now();
        store.put_pending("s".into(), pending(now + Duration::from_secs(60)));
        assert!(store.take_pending("s", now).is_some());
        assert!(store.take_pending("s", now).is_none());
    }

    #[test]
    fn expired_state_is_refused() {
        let store = MemoryStore::default();
        let now = Instant::now();
        store.put_pending("s".into(), pending(now + Duration::from_secs(1)));
        assert!(store
            .take_pending("s", now + Duration::from_secs(2))
            .is_none());
    }
}
