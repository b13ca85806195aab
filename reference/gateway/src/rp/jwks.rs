//! One key cache per provider: the verification keys of the tokens it signs, fetched through a
//! [`KeySource`] (directly from `jwks_uri` and extra URIs with [`HttpKeys`], or through oxd's
//! `get-jwks` with [`OxdKeys`], the Gluu plugins' transport),
//! kept until a token names a `kid` the set lacks; then refreshed once, and not again for
//! `min_refresh` seconds, so a stream of tokens with forged kids cannot become a stream of calls
//! to the provider.
//!
//! The set also remembers which tokens a key has verified: checking an RSA signature costs
//! about 250 µs, and a client presents the same access token on every request. A remembered
//! verification names the key object that made it, so once the set is reloaded (rotation, an
//! unknown kid, `forget`) every token is checked again; it lasts until the token's `exp`, at
//! most [`VERIFIED_FOR`] seconds. Claims are still checked on every use, on the clock.

use std::sync::Arc;

use futures::future::BoxFuture;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

use super::discovery::Discovery;
use super::RpError;
use crate::cache::ExpiringCache;
use crate::clock::SharedClock;
use crate::plugins::oxd::{OxdClient, OxdError};

/// Longest time a verified signature is remembered (tokens without `exp`, or long-lived ones).
pub const VERIFIED_FOR: i64 = 3600;

/// Tokens remembered per key set at most.
const VERIFIED_CAPACITY: u64 = 10_000;

/// A signature a key verified, the claims it protects, and what the token's JOSE header said
/// (a token's bytes never change, so a remembered token need not have its header parsed again).
#[derive(Debug, Clone)]
pub struct Verified {
    /// The key object that verified the signature (a reload makes new ones).
    pub key: Arc<DecodingKey>,
    /// The payload.
    pub claims: super::jwt::Claims,
    /// The header's `kid`.
    pub kid: Option<Arc<str>>,
    /// The header's `alg`.
    pub alg: Algorithm,
    /// Whether the header's `typ` allows an access token (absent, `JWT` or `at+jwt`).
    pub access_token_typ: bool,
}

/// Where a key set comes from.
pub trait KeySource: Send + Sync + std::fmt::Debug {
    /// Fetches the keys; `unknown_kid` says a token named a key the cached set lacks (a source
    /// may then re-read where its keys live, e.g. rediscover the provider).
    fn fetch(&self, unknown_kid: bool) -> BoxFuture<'_, Result<Vec<Jwk>, RpError>>;
}

/// Reads the keys of a JWKS document; entries that are not usable signature keys (unknown
/// `kty`, `use: enc`, malformed) are skipped rather than failing the whole set.
pub fn parse_set(document: &Value) -> Option<Vec<Jwk>> {
    Some(usable(document.get("keys")?.as_array()?.iter()))
}

fn usable<'a>(keys: impl Iterator<Item = &'a Value>) -> Vec<Jwk> {
    keys.filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
        .filter(|k| !matches!(k.common.public_key_use, Some(PublicKeyUse::Encryption)))
        .collect()
}

/// The provider's `jwks_uri` (or the `jwks_endpoint` override) plus `extra_jwks_uris`, over HTTP.
#[derive(Debug)]
pub struct HttpKeys {
    discovery: Arc<Discovery>,
    jwks_endpoint: Option<Url>,
    extra: Vec<Url>,
    http: reqwest::Client,
}

impl HttpKeys {
    /// Keys of the provider `discovery` describes.
    pub fn new(
        discovery: Arc<Discovery>,
        jwks_endpoint: Option<Url>,
        extra: Vec<Url>,
        http: reqwest::Client,
    ) -> Self {
        Self {
            discovery,
            jwks_endpoint,
            extra,
            http,
        }
    }

    async fn fetch_uri(&self, uri: &Url) -> Result<Vec<Jwk>, RpError> {
        let endpoint = uri.as_str();
        let doc = super::client::get_json(&self.http, uri).await?;
        parse_set(&doc).ok_or_else(|| RpError::Malformed {
            endpoint: endpoint.to_owned(),
            reason: "no keys array".to_owned(),
        })
    }
}

impl KeySource for HttpKeys {
    fn fetch(&self, unknown_kid: bool) -> BoxFuture<'_, Result<Vec<Jwk>, RpError>> {
        Box::pin(async move {
            let primary = match &self.jwks_endpoint {
                Some(uri) => uri.clone(),
                None => {
                    if unknown_kid {
                        self.discovery.rediscover().await;
                    }
                    let provider = self.discovery.provider().await?;
                    provider
                        .jwks_uri
                        .clone()
                        .ok_or(RpError::NoEndpoint("jwks_uri"))?
                }
            };
            let mut keys = self.fetch_uri(&primary).await?;
            for uri in &self.extra {
                match self.fetch_uri(uri).await {
                    Ok(more) => keys.extend(more),
                    Err(e) => tracing::warn!(error = %e, "extra JWKS unavailable"),
                }
            }
            Ok(keys)
        })
    }
}

/// The OP's keys as oxd's `POST /get-jwks` reports them (the Gluu plugins' transport:
/// `docs/gluu-gateway.md#jwt-access-tokens`). A key whose `exp` has passed on the gateway's clock
/// is left out; oxd's swagger gives that `exp` in milliseconds while Gluu Gateway read seconds,
/// so both are accepted (`docs/differences.md#jwk-expiry-units`).
#[derive(Debug)]
pub struct OxdKeys {
    oxd: Arc<OxdClient>,
    clock: SharedClock,
}

impl OxdKeys {
    /// Keys of the OP `oxd` is configured for (its `op_host`).
    pub fn new(oxd: Arc<OxdClient>, clock: SharedClock) -> Self {
        Self { oxd, clock }
    }
}

/// Whether a JWK's (non-standard, Gluu's) `exp` is still ahead of `now`; a key without one
/// does not expire.
fn unexpired(key: &Value, now: i64) -> bool {
    match key.get("exp").and_then(Value::as_i64) {
        None => true,
        Some(exp) => {
            // Anything past the year 5138 in seconds is taken as milliseconds.
            let exp = if exp > 100_000_000_000 {
                exp / 1000
            } else {
                exp
            };
            exp > now
        }
    }
}

impl KeySource for OxdKeys {
    fn fetch(&self, _unknown_kid: bool) -> BoxFuture<'_, Result<Vec<Jwk>, RpError>> {
        Box::pin(async move {
            let document = self.oxd.jwks().await.map_err(|e| match e {
                OxdError::Transport(reason) => RpError::Unreachable {
                    endpoint: "get-jwks".to_owned(),
                    reason,
                },
                OxdError::Status { status, body, .. } => RpError::Refused {
                    endpoint: "get-jwks".to_owned(),
                    status,
                    error: body
                        .get("error")
                        .and_then(Value::as_str)
                        .map_or_else(|| format!("http_{status}"), str::to_owned),
                    description: body
                        .get("error_description")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                },
                OxdError::BadResponse { reason, .. } => RpError::Malformed {
                    endpoint: "get-jwks".to_owned(),
                    reason,
                },
            })?;
            let now = self.clock.now();
            let keys = document
                .get("keys")
                .and_then(Value::as_array)
                .ok_or_else(|| RpError::Malformed {
                    endpoint: "get-jwks".to_owned(),
                    reason: "no keys array".to_owned(),
                })?;
            Ok(usable(keys.iter().filter(|k| unexpired(k, now))))
        })
    }
}

/// A key and its decoded form, built once per load (not per token).
#[derive(Clone)]
struct Entry {
    jwk: Jwk,
    key: Arc<DecodingKey>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("kid", &self.jwk.common.key_id)
            .finish()
    }
}

#[derive(Debug)]
struct State {
    keys: Arc<[Entry]>,
    loaded: bool,
    /// The last refresh an unknown kid caused (the first load does not count, so a key
    /// rotated right after it is still picked up).
    refreshed_at: Option<i64>,
}

/// Why no key was found for a token.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KeyError {
    /// No key has the token's `kid` (or, without a kid, no single key fits its algorithm), even
    /// after a refresh.
    #[error("no key matches the token's kid")]
    Unknown,
    /// The key the token's `kid` names is of another type or declares another `alg`: an
    /// algorithm-confusion attempt, not a rotation, so no refresh is made for it.
    #[error("the key the token's kid names does not fit its algorithm")]
    Mismatch,
    /// The keys could not be fetched.
    #[error(transparent)]
    Fetch(#[from] RpError),
}

/// The cached verification keys of one provider.
#[derive(Debug)]
pub struct KeySet {
    source: Arc<dyn KeySource>,
    clock: SharedClock,
    min_refresh: i64,
    state: Mutex<State>,
    verified: ExpiringCache<Arc<str>, Verified>,
}

impl KeySet {
    /// Keys from `source`, refreshed for an unknown kid at most every `min_refresh` seconds.
    pub fn new(source: Arc<dyn KeySource>, clock: SharedClock, min_refresh: i64) -> Self {
        Self {
            source,
            min_refresh,
            state: Mutex::new(State {
                keys: Arc::from(Vec::new()),
                loaded: false,
                refreshed_at: None,
            }),
            verified: ExpiringCache::new(VERIFIED_CAPACITY, clock.clone()),
            clock,
        }
    }

    /// The claims of `token` if `key` (this very key object, not a reloaded one) has verified
    /// its signature before.
    pub async fn verified_claims(
        &self,
        token: &str,
        key: &Arc<DecodingKey>,
    ) -> Option<super::jwt::Claims> {
        let found = self.verified.get(token).await?;
        Arc::ptr_eq(&found.key, key).then_some(found.claims)
    }

    /// What was remembered of `token`'s verification, if its key is still the set's current
    /// key for the token's `kid` and `alg` (a reload, an unknown kid or `forget` makes it stale).
    pub async fn verified(&self, token: &str) -> Option<Verified> {
        let found = self.verified.get(token).await?;
        let current = self.key(found.kid.as_deref(), found.alg).await.ok()?;
        Arc::ptr_eq(&found.key, &current).then_some(found)
    }

    /// Remembers that `key` verified `token`'s signature, until the token's `exp` (at most
    /// [`VERIFIED_FOR`] seconds from now).
    pub async fn remember_verified(&self, token: &str, verified: Verified) {
        let claims = &verified.claims;
        let cap = self.clock.now().saturating_add(VERIFIED_FOR);
        let until = claims
            .get("exp")
            .and_then(Value::as_i64)
            .map_or(cap, |exp| exp.min(cap));
        self.verified
            .insert(Arc::from(token), verified, until)
            .await;
    }

    /// The keys currently cached (the Admin API's `/openid-connect/jwks`), loading them first
    /// if never loaded.
    pub async fn keys(&self) -> Result<Vec<Jwk>, RpError> {
        let mut state = self.state.lock().await;
        if !state.loaded {
            self.load(&mut state, false).await?;
        }
        Ok(state.keys.iter().map(|e| e.jwk.clone()).collect())
    }

    /// The keys currently cached, without loading them (empty if never loaded).
    pub async fn cached(&self) -> Vec<Jwk> {
        let state = self.state.lock().await;
        state.keys.iter().map(|e| e.jwk.clone()).collect()
    }

    /// Drops the cached keys (the next token loads them again).
    pub async fn forget(&self) {
        let mut state = self.state.lock().await;
        state.keys = Arc::from(Vec::new());
        state.loaded = false;
    }

    async fn load(&self, state: &mut State, unknown_kid: bool) -> Result<(), RpError> {
        if unknown_kid {
            state.refreshed_at = Some(self.clock.now());
        }
        let keys = self.source.fetch(unknown_kid).await?;
        let entries: Vec<Entry> = keys
            .into_iter()
            .filter_map(|jwk| {
                let key = DecodingKey::from_jwk(&jwk).ok()?;
                Some(Entry {
                    jwk,
                    key: Arc::new(key),
                })
            })
            .collect();
        state.keys = Arc::from(entries);
        state.loaded = true;
        Ok(())
    }

    /// The key that verifies a token with header `kid`/`alg`.
    pub async fn key(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<DecodingKey>, KeyError> {
        let mut state = self.state.lock().await;
        if !state.loaded {
            self.load(&mut state, false).await?;
            return find(&state.keys, kid, alg);
        }
        match find(&state.keys, kid, alg) {
            Err(KeyError::Unknown) => {}
            found => return found,
        }
        if state
            .refreshed_at
            .is_some_and(|at| self.clock.now() < at.saturating_add(self.min_refresh))
        {
            return Err(KeyError::Unknown);
        }
        self.load(&mut state, true).await?;
        find(&state.keys, kid, alg)
    }
}

/// Whether `jwk` can verify `alg`: the key type fits, and a declared `alg` is that one.
fn fits(jwk: &Jwk, alg: Algorithm) -> bool {
    use Algorithm::*;
    let family = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => matches!(alg, RS256 | RS384 | RS512 | PS256 | PS384 | PS512),
        AlgorithmParameters::EllipticCurve(_) => matches!(alg, ES256 | ES384),
        AlgorithmParameters::OctetKeyPair(_) => matches!(alg, EdDSA),
        AlgorithmParameters::OctetKey(_) => false,
    };
    family
        && jwk
            .common
            .key_algorithm
            .is_none_or(|declared| key_algorithm(declared) == Some(alg))
}

fn key_algorithm(k: KeyAlgorithm) -> Option<Algorithm> {
    Some(match k {
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::PS384 => Algorithm::PS384,
        KeyAlgorithm::PS512 => Algorithm::PS512,
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        _ => return None,
    })
}

/// The key for a token: the one its `kid` names (and that fits `alg`); without a kid, the only
/// key that fits `alg` — with several, the token must say which (OpenID Connect Core 1.0 §10.1:
/// "If there are multiple keys in the referenced JWK Set document, a kid value MUST be
/// provided").
fn find(keys: &[Entry], kid: Option<&str>, alg: Algorithm) -> Result<Arc<DecodingKey>, KeyError> {
    match kid {
        Some(kid) => {
            let mut named = keys
                .iter()
                .filter(|e| e.jwk.common.key_id.as_deref() == Some(kid))
                .peekable();
            if named.peek().is_none() {
                return Err(KeyError::Unknown);
            }
            named
                .find(|e| fits(&e.jwk, alg))
                .map(|e| e.key.clone())
                .ok_or(KeyError::Mismatch)
        }
        None => {
            let mut fitting = keys.iter().filter(|e| fits(&e.jwk, alg));
            match (fitting.next(), fitting.next()) {
                (Some(only), None) => Ok(only.key.clone()),
                _ => Err(KeyError::Unknown),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use std::sync::atomic::{AtomicUsize, Ordering};

    const N: &str = "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw";

    fn rsa(kid: &str) -> Jwk {
        serde_json::from_value(
            serde_json::json!({"kty": "RSA", "kid": kid, "n": N, "e": "AQAB", "alg": "RS256"}),
        )
        .unwrap()
    }

    #[derive(Debug)]
    struct Counting {
        calls: AtomicUsize,
        rediscoveries: AtomicUsize,
        keys: std::sync::Mutex<Vec<Jwk>>,
    }

    impl KeySource for Counting {
        fn fetch(&self, unknown_kid: bool) -> BoxFuture<'_, Result<Vec<Jwk>, RpError>> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if unknown_kid {
                self.rediscoveries.fetch_add(1, Ordering::SeqCst);
            }
            let keys = self.keys.lock().unwrap().clone();
            Box::pin(async move { Ok(keys) })
        }
    }

    fn set(keys: Vec<Jwk>) -> (KeySet, Arc<Counting>, ManualClock) {
        let source = Arc::new(Counting {
            calls: AtomicUsize::new(0),
            rediscoveries: AtomicUsize::new(0),
            keys: std::sync::Mutex::new(keys),
        });
        let clock = ManualClock::default();
        (
            KeySet::new(source.clone(), Arc::new(clock.clone()), 30),
            source,
            clock,
        )
    }

    #[tokio::test]
    async fn keys_load_once_and_an_unknown_kid_refreshes_once_per_interval() {
        let (keys, source, clock) = set(vec![rsa("a")]);
        assert!(keys.key(Some("a"), Algorithm::RS256).await.is_ok());
        assert!(keys.key(Some("a"), Algorithm::RS256).await.is_ok());
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
        assert!(matches!(
            keys.key(Some("b"), Algorithm::RS256).await,
            Err(KeyError::Unknown)
        ));
        assert!(keys.key(Some("b"), Algorithm::RS256).await.is_err());
        assert_eq!(
            source.calls.load(Ordering::SeqCst),
            2,
            "one refresh per interval"
        );
        assert_eq!(source.rediscoveries.load(Ordering::SeqCst), 1);
        source.keys.lock().unwrap().push(rsa("b"));
        assert!(keys.key(Some("b"), Algorithm::RS256).await.is_err());
        clock.advance(30);
        assert!(keys.key(Some("b"), Algorithm::RS256).await.is_ok());
        assert_eq!(source.calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_key_must_fit_the_algorithm() {
        let (keys, _, _) = set(vec![rsa("a")]);
        assert!(keys.key(Some("a"), Algorithm::ES256).await.is_err());
        assert!(
            keys.key(Some("a"), Algorithm::RS384).await.is_err(),
            "declared alg RS256"
        );
        assert!(keys.key(None, Algorithm::RS256).await.is_ok());
    }

    #[tokio::test]
    async fn a_kid_naming_a_key_of_another_algorithm_is_a_mismatch_without_refresh() {
        let (keys, source, _) = set(vec![rsa("a")]);
        assert!(keys.key(Some("a"), Algorithm::RS256).await.is_ok());
        assert!(matches!(
            keys.key(Some("a"), Algorithm::ES256).await,
            Err(KeyError::Mismatch)
        ));
        assert!(matches!(
            keys.key(Some("a"), Algorithm::RS512).await,
            Err(KeyError::Mismatch)
        ));
        assert_eq!(source.calls.load(Ordering::SeqCst), 1, "no refresh");
    }

    #[tokio::test]
    async fn without_a_kid_only_a_single_fitting_key_is_used() {
        let (keys, _, _) = set(vec![rsa("a"), rsa("b")]);
        assert!(matches!(
            keys.key(None, Algorithm::RS256).await,
            Err(KeyError::Unknown)
        ));
        assert!(keys.key(Some("b"), Algorithm::RS256).await.is_ok());
    }

    #[test]
    fn gluu_key_expiry_in_seconds_or_milliseconds() {
        let now = 1_700_000_000;
        assert!(unexpired(&serde_json::json!({}), now));
        assert!(unexpired(&serde_json::json!({"exp": now + 1}), now));
        assert!(!unexpired(&serde_json::json!({"exp": now}), now));
        assert!(unexpired(
            &serde_json::json!({"exp": (now + 60) * 1000}),
            now
        ));
        assert!(!unexpired(
            &serde_json::json!({"exp": (now - 60) * 1000}),
            now
        ));
    }

    #[tokio::test]
    async fn oxd_keys_come_from_get_jwks_without_expired_ones() {
        use wiremock::matchers::{body_partial_json, header, method, path};
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let oxd = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/get-client-token"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"access_token": "pat", "expires_in": 300})),
            )
            .mount(&oxd)
            .await;
        let clock = ManualClock::default();
        let now = clock.now();
        let mut expired = serde_json::to_value(rsa("old")).unwrap();
        expired["exp"] = serde_json::json!((now - 1) * 1000);
        let mut live = serde_json::to_value(rsa("new")).unwrap();
        live["exp"] = serde_json::json!(now + 600);
        Mock::given(method("POST"))
            .and(path("/get-jwks"))
            .and(header("authorization", "Bearer pat"))
            .and(body_partial_json(
                serde_json::json!({"op_host": "https://op"}),
            ))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"keys": [expired, live, rsa("plain")]})),
            )
            .expect(1)
            .mount(&oxd)
            .await;
        let client = OxdClient::new(
            Url::parse(&oxd.uri()).unwrap(),
            "site".into(),
            "client".into(),
            "secret".into(),
            "https://op".into(),
            std::time::Duration::from_secs(5),
        )
        .unwrap();
        let keys = KeySet::new(
            Arc::new(OxdKeys::new(Arc::new(client), Arc::new(clock.clone()))),
            Arc::new(clock),
            10,
        );
        let kids: Vec<_> = keys
            .keys()
            .await
            .unwrap()
            .into_iter()
            .filter_map(|k| k.common.key_id)
            .collect();
        assert_eq!(kids, ["new", "plain"]);
    }

    #[tokio::test]
    async fn an_oxd_failure_or_a_set_without_keys_is_a_fetch_error() {
        use wiremock::matchers::{method, path};
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let oxd = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/get-client-token"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"access_token": "pat", "expires_in": 300})),
            )
            .mount(&oxd)
            .await;
        Mock::given(method("POST"))
            .and(path("/get-jwks"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
            .up_to_n_times(1)
            .mount(&oxd)
            .await;
        Mock::given(method("POST"))
            .and(path("/get-jwks"))
            .respond_with(
                ResponseTemplate::new(500).set_body_json(serde_json::json!({"error": "internal"})),
            )
            .mount(&oxd)
            .await;
        let client = OxdClient::new(
            Url::parse(&oxd.uri()).unwrap(),
            "site".into(),
            "client".into(),
            "secret".into(),
            "https://op".into(),
            std::time::Duration::from_secs(5),
        )
        .unwrap();
        let clock: SharedClock = Arc::new(ManualClock::default());
        let source = OxdKeys::new(Arc::new(client), clock);
        assert!(matches!(
            source.fetch(false).await,
            Err(RpError::Malformed { .. })
        ));
        assert!(matches!(
            source.fetch(false).await,
            Err(RpError::Refused { status: 500, ref error, .. }) if error == "internal"
        ));
    }

    #[test]
    fn unusable_entries_are_skipped() {
        let doc = serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "a", "n": N, "e": "AQAB"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": N, "e": "AQAB"},
            {"kty": "nope"},
            "garbage"
        ]});
        let keys = parse_set(&doc).unwrap();
        assert_eq!(keys.len(), 1);
        assert!(parse_set(&serde_json::json!({"nokeys": []})).is_none());
    }
}
