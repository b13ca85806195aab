//! Provider metadata (OpenID Connect Discovery 1.0 §4): fetched on first use, kept for a TTL,
//! re-fetched early at most once per `rediscovery_lifetime` when asked (an unknown `kid`), and
//! served stale when a re-fetch fails — as Kong's plugin does
//! (`docs/kong.md#discovery-issuer-and-client`).

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

use super::RpError;
use crate::clock::SharedClock;

const WELL_KNOWN: &str = "/.well-known/openid-configuration";

/// The parts of a discovery document the gateway uses; `document` keeps all of it (the Admin
/// API's `/openid-connect/issuers` shows it).
#[derive(Debug, Clone)]
pub struct Provider {
    /// `issuer`.
    pub issuer: String,
    /// `jwks_uri`.
    pub jwks_uri: Option<Url>,
    /// `token_endpoint`.
    pub token_endpoint: Option<Url>,
    /// `introspection_endpoint`.
    pub introspection_endpoint: Option<Url>,
    /// `userinfo_endpoint`.
    pub userinfo_endpoint: Option<Url>,
    /// `revocation_endpoint`.
    pub revocation_endpoint: Option<Url>,
    /// The whole document.
    pub document: Arc<Value>,
}

impl Provider {
    /// Reads a discovery document (`issuer` required; endpoints must be absolute URLs).
    pub fn from_document(document: Value) -> Result<Self, String> {
        let issuer = document
            .get("issuer")
            .and_then(Value::as_str)
            .ok_or("no issuer")?
            .to_owned();
        let url = |name: &str| -> Result<Option<Url>, String> {
            match document.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => {
                    Url::parse(s).map(Some).map_err(|e| format!("{name}: {e}"))
                }
                Some(_) => Err(format!("{name}: not a string")),
            }
        };
        Ok(Self {
            jwks_uri: url("jwks_uri")?,
            token_endpoint: url("token_endpoint")?,
            introspection_endpoint: url("introspection_endpoint")?,
            userinfo_endpoint: url("userinfo_endpoint")?,
            revocation_endpoint: url("revocation_endpoint")?,
            issuer,
            document: Arc::new(document),
        })
    }
}

/// The discovery URL for `issuer` (an issuer, or already its discovery URL).
pub fn discovery_url(issuer: &Url) -> Url {
    if issuer.path().ends_with(WELL_KNOWN) {
        return issuer.clone();
    }
    let mut url = issuer.clone();
    let path = format!("{}{WELL_KNOWN}", url.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_query(None);
    url
}

#[derive(Debug, Default)]
struct State {
    provider: Option<Arc<Provider>>,
    fetched_at: i64,
    /// The last rediscovery (the first fetch is not one, so a key rotated right after it is
    /// still found).
    rediscovered_at: Option<i64>,
}

/// One provider's discovery, cached.
#[derive(Debug)]
pub struct Discovery {
    url: Url,
    http: reqwest::Client,
    clock: SharedClock,
    ttl: i64,
    rediscovery_lifetime: i64,
    /// Fetches and rediscoveries, one at a time.
    state: Mutex<State>,
    /// The current document and when it was fetched, read without waiting for a fetch.
    current: std::sync::RwLock<Option<(Arc<Provider>, i64)>>,
}

impl Discovery {
    /// Discovery of the provider at `url` (see [`discovery_url`]), cached `ttl` seconds,
    /// re-fetched early at most every `rediscovery_lifetime` seconds.
    pub fn new(
        url: Url,
        http: reqwest::Client,
        clock: SharedClock,
        ttl: i64,
        rediscovery_lifetime: i64,
    ) -> Self {
        Self {
            url,
            http,
            clock,
            ttl,
            rediscovery_lifetime,
            state: Mutex::new(State::default()),
            current: std::sync::RwLock::new(None),
        }
    }

    /// The discovery URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The cached metadata without fetching (the Admin API's view).
    pub async fn cached(&self) -> Option<Arc<Provider>> {
        self.state.lock().await.provider.clone()
    }

    /// The cached metadata and when it was fetched (Unix seconds), without fetching.
    pub async fn cached_with_time(&self) -> Option<(Arc<Provider>, i64)> {
        let state = self.state.lock().await;
        state.provider.clone().map(|p| (p, state.fetched_at))
    }

    /// Forgets the cached document (`DELETE /openid-connect/issuers`).
    pub async fn forget(&self) {
        let mut state = self.state.lock().await;
        *state = State::default();
        self.publish(&state);
    }

    fn publish(&self, state: &State) {
        let value = state.provider.clone().map(|p| (p, state.fetched_at));
        match self.current.write() {
            Ok(mut g) => *g = value,
            Err(poisoned) => *poisoned.into_inner() = value,
        }
    }

    fn fresh(&self, now: i64) -> Option<Arc<Provider>> {
        let guard = match self.current.read() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        guard
            .as_ref()
            .filter(|(_, at)| now < at.saturating_add(self.ttl))
            .map(|(p, _)| p.clone())
    }

    /// The metadata: the cached copy while fresh, else a fetch (the stale copy if that fails).
    pub async fn provider(&self) -> Result<Arc<Provider>, RpError> {
        if let Some(p) = self.fresh(self.clock.now()) {
            return Ok(p);
        }
        let mut state = self.state.lock().await;
        let now = self.clock.now();
        if let Some(p) = &state.provider {
            if now < state.fetched_at.saturating_add(self.ttl) {
                return Ok(p.clone());
            }
        }
        self.refresh(&mut state, now).await
    }

    /// Re-fetches the metadata unless the last attempt was less than `rediscovery_lifetime`
    /// ago; returns whether a re-fetch was made (a failed one keeps the stale document).
    pub async fn rediscover(&self) -> bool {
        let mut state = self.state.lock().await;
        let now = self.clock.now();
        if let Some(at) = state.rediscovered_at {
            if now < at.saturating_add(self.rediscovery_lifetime) {
                return false;
            }
        }
        state.rediscovered_at = Some(now);
        let _ = self.refresh(&mut state, now).await;
        true
    }

    async fn refresh(&self, state: &mut State, now: i64) -> Result<Arc<Provider>, RpError> {
        match self.fetch().await {
            Ok(provider) => {
                let provider = Arc::new(provider);
                state.provider = Some(provider.clone());
                state.fetched_at = now;
                self.publish(state);
                Ok(provider)
            }
            Err(e) => match &state.provider {
                Some(stale) => {
                    tracing::warn!(error = %e, "rediscovery failed; using the cached document");
                    Ok(stale.clone())
                }
                None => Err(e),
            },
        }
    }

    async fn fetch(&self) -> Result<Provider, RpError> {
        let endpoint = self.url.as_str();
        let document = super::client::get_json(&self.http, &self.url).await?;
        Provider::from_document(document).map_err(|reason| RpError::Malformed {
            endpoint: endpoint.to_owned(),
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_url_from_issuer_or_as_given() {
        let u = |s: &str| discovery_url(&Url::parse(s).unwrap()).to_string();
        assert_eq!(
            u("http://kc:8080/realms/master"),
            "http://kc:8080/realms/master/.well-known/openid-configuration"
        );
        assert_eq!(
            u("http://kc:8080/realms/master/"),
            "http://kc:8080/realms/master/.well-known/openid-configuration"
        );
        assert_eq!(
            u("http://op/.well-known/openid-configuration"),
            "http://op/.well-known/openid-configuration"
        );
        assert_eq!(u("http://op"), "http://op/.well-known/openid-configuration");
    }

    #[tokio::test]
    async fn cached_for_the_ttl_rediscovered_at_most_per_lifetime_stale_on_failure() {
        use crate::clock::ManualClock;
        use wiremock::matchers::path;
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let server = MockServer::start().await;
        let ok = Mock::given(path(WELL_KNOWN))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"issuer": "http://op"})),
            )
            .mount_as_scoped(&server)
            .await;
        let clock = ManualClock::default();
        let d = Discovery::new(
            discovery_url(&Url::parse(&server.uri()).unwrap()),
            reqwest::Client::new(),
            std::sync::Arc::new(clock.clone()),
            3600,
            30,
        );
        let calls = || async { server.received_requests().await.unwrap().len() };
        assert_eq!(d.provider().await.unwrap().issuer, "http://op");
        d.provider().await.unwrap();
        assert_eq!(calls().await, 1);
        assert!(d.rediscover().await, "the first fetch is not a rediscovery");
        assert!(
            !d.rediscover().await,
            "within rediscovery_lifetime of the last one"
        );
        assert_eq!(calls().await, 2);
        clock.advance(30);
        assert!(d.rediscover().await);
        assert_eq!(calls().await, 3);
        drop(ok);
        Mock::given(path(WELL_KNOWN))
            .respond_with(ResponseTemplate::new(503))
            .mount(&server)
            .await;
        clock.advance(3600);
        assert_eq!(
            d.provider().await.unwrap().issuer,
            "http://op",
            "stale copy on failure"
        );
        assert_eq!(calls().await, 4);
        d.forget().await;
        assert!(d.provider().await.is_err(), "nothing to fall back on");
    }

    #[test]
    fn a_document_needs_an_issuer_and_absolute_endpoints() {
        assert!(Provider::from_document(serde_json::json!({})).is_err());
        assert!(Provider::from_document(
            serde_json::json!({"issuer": "http://op", "token_endpoint": "/token"})
        )
        .is_err());
        let p = Provider::from_document(
            serde_json::json!({"issuer": "http://op", "token_endpoint": "http://op/token"}),
        )
        .unwrap();
        assert_eq!(p.token_endpoint.unwrap().as_str(), "http://op/token");
        assert!(p.jwks_uri.is_none());
    }
}
