//! The access phase: find the credential (Kong's search order), authenticate it, authorize the
//! claims and the consumer, then shape the upstream request and the response headers.

use std::sync::Arc;

use http::Method;
use serde_json::{Map, Value};
use sha2::Digest;

use super::claims;
use super::cluster_cache::Item;
use super::code_flow::CodeFlow;
use super::credentials::{self, Args, Location};
use super::reply::{self, Failure};
use super::session::{Invalid, Presented, Session};
use super::{OpenIdConnect, Tokens};
use crate::entities::consumer_groups::ConsumerGroup;
use crate::entities::{Consumer, Consumers};
use crate::plugins::context::{
    Anonymous, AuthenticatedConsumer, AuthenticatedConsumerGroups, AuthenticatedCredential,
    RequestToken, UserInfo,
};
use crate::plugins::{AccessRequest, Flow};
use crate::rp::client::{Client, ClientAuth};
use crate::rp::jwt::{self, Claims, JwtError, Rules};
use crate::rp::RpError;

/// A successful authentication.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The auth method that succeeded.
    pub method: &'static str,
    /// The tokens (for `bearer`/`introspection`/`userinfo`, the caller's token).
    pub tokens: Tokens,
    /// The claims authorization and mapping read: the JWT payload, the introspection answer,
    /// or the userinfo (shared with the cache they came from).
    pub claims: Claims,
    /// The introspection answer, when introspected.
    pub introspection: Option<Arc<Value>>,
    /// The userinfo, when fetched.
    pub userinfo: Option<Arc<Value>>,
    /// The session the request came with (or that this request renewed).
    pub session: Option<Session>,
    /// Where the credential was, for `hide_credentials`.
    pub location: Option<Location>,
    /// A consumer the token itself names (`kong_oauth2`).
    pub consumer: Option<Arc<Consumer>>,
    /// The credential the token itself names (`kong_oauth2`: the OAuth 2.0 credential's
    /// `client_id`), sent as `X-Credential-Identifier` instead of `credential_claim`.
    pub credential: Option<String>,
}

/// What the session cookie of a request gave.
#[derive(Debug)]
enum SessionLookup {
    /// A usable session (its access token refreshed if it had expired).
    Found(Box<Authenticated>),
    /// No session: none sent, unsealable, timed out, logged out, another audience or binding.
    Absent,
    /// A valid session that can no longer serve: its access token expired and could not be
    /// refreshed, or no longer verifies.
    Ended,
}

/// Marks a request whose session ended ([`SessionLookup::Ended`]): whatever it is answered
/// deletes the session cookies.
#[derive(Debug, Clone, Copy)]
struct SessionEnded;

impl Authenticated {
    pub(super) fn new(method: &'static str, tokens: Tokens, claims: impl Into<Claims>) -> Self {
        Self {
            method,
            tokens,
            claims: claims.into(),
            introspection: None,
            userinfo: None,
            session: None,
            location: None,
            consumer: None,
            credential: None,
        }
    }
}

fn hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    for p in parts {
        // Length-prefixed, so ("ab","c") and ("a","bc") differ.
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    h.finalize().into()
}

fn number(v: &Value, name: &str) -> Option<i64> {
    v.get(name).and_then(|n| {
        n.as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
    })
}

impl OpenIdConnect {
    pub(super) fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The configured client for this request: `client_arg` names one by id or 1-based index.
    pub(super) fn client_index(&self, req: &AccessRequest, args: &Args) -> usize {
        let ids = &self.config.client_id;
        if ids.len() <= 1 {
            // Nothing to choose between (and no per-request lookups on the hot path).
            return 0;
        }
        let arg = &self.config.client_arg;
        let wanted = req
            .headers()
            .get(arg.replace('_', "-").as_str())
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| {
                args.arg(
                    arg,
                    super::config::ParamTypes {
                        header: false,
                        query: true,
                        body: true,
                        cookie: false,
                    },
                )
                .map(|(v, _)| v)
            });
        wanted
            .and_then(|w| {
                ids.iter().position(|id| *id == w).or_else(|| {
                    w.parse::<usize>()
                        .ok()
                        .filter(|i| (1..=ids.len()).contains(i))
                        .map(|i| i - 1)
                })
            })
            .unwrap_or(0)
    }

    pub(super) fn client(
        &self,
        index: usize,
        endpoint_method: Option<&str>,
    ) -> Result<Client, Failure> {
        let id = self
            .config
            .client_id
            .get(index)
            .cloned()
            .ok_or_else(|| Failure::unexpected("no client_id configured"))?;
        let secret = self
            .config
            .client_secret
            .get(index)
            .or_else(|| self.config.client_secret.first())
            .cloned();
        let method = endpoint_method.or_else(|| {
            self.config
                .client_auth
                .get(index)
                .or_else(|| self.config.client_auth.first())
                .map(String::as_str)
        });
        let auth = self
            .config
            .client_keys
            .client_auth(method, index)
            .map_err(|e| Failure::unexpected(format!("cannot sign the client assertion: {e}")))?;
        Ok(Client {
            id,
            secret,
            // Client assertions name the token endpoint as their audience (OpenID Connect Core
            // §9) whichever endpoint they are sent to; when it is only discovered, see
            // `with_token_audience`.
            audience: self.config.token_endpoint.clone(),
            auth,
        })
    }

    /// The client of a `client_credentials` caller. With `private_key_jwt` the assertion proves
    /// only the gateway's key, not the caller's secret: the caller must then present one of the
    /// plugin's own clients with its secret (compared in constant time), which is authenticated
    /// with its key; anyone else is 401 without a call to the provider.
    fn caller_client(
        &self,
        id: String,
        secret: String,
        method: Option<&str>,
    ) -> Result<Client, Failure> {
        let c = &self.config;
        let index = c.client_id.iter().position(|own| *own == id);
        if method == Some("private_key_jwt") {
            let own_secret = index.and_then(|i| c.client_secret.get(i).or(c.client_secret.first()));
            let proven = own_secret.is_some_and(|s| {
                bool::from(subtle::ConstantTimeEq::ct_eq(
                    s.as_bytes(),
                    secret.as_bytes(),
                ))
            });
            return match index {
                Some(i) if proven => self.client(i, method),
                _ => Err(Failure::unauthorized(
                    "client_credentials: not one of the plugin's clients (private_key_jwt)",
                )),
            };
        }
        let auth = c
            .client_keys
            .client_auth(method, index.unwrap_or(0))
            .map_err(|e| Failure::unexpected(format!("cannot sign the client assertion: {e}")))?;
        Ok(Client {
            id,
            secret: Some(secret),
            auth,
            audience: c.token_endpoint.clone(),
        })
    }

    /// `client` with the token endpoint (configured or discovered) as its assertions'
    /// audience, when it sends assertions.
    pub(super) async fn with_token_audience(&self, mut client: Client) -> Result<Client, Failure> {
        if client.audience.is_none()
            && matches!(
                client.auth,
                ClientAuth::SecretJwt { .. } | ClientAuth::PrivateKeyJwt { .. }
            )
        {
            client.audience = Some(
                self.endpoint(
                    &self.config.token_endpoint,
                    |p| p.token_endpoint.clone(),
                    "token_endpoint",
                )
                .await?,
            );
        }
        Ok(client)
    }

    pub(super) fn rules(&self, issuer: &str, method: &str) -> Rules {
        Rules {
            verify_signature: self.config.verify_signature
                && !self.config.ignore_signature.iter().any(|g| g == method),
            verify_claims: self.config.verify_claims,
            issuers: if self.config.issuers_allowed.is_empty() {
                vec![issuer.to_owned()]
            } else {
                self.config.issuers_allowed.clone()
            },
            audiences: Vec::new(),
            leeway: self.config.leeway,
            hs_secrets: if self.config.enable_hs_signatures {
                self.config
                    .client_secret
                    .iter()
                    .map(|s| s.as_bytes().to_vec())
                    .collect()
            } else {
                Vec::new()
            },
            access_token: true,
            require_exp: true,
        }
    }

    pub(super) async fn provider(&self) -> Result<Arc<crate::rp::discovery::Provider>, Failure> {
        self.provider
            .discovery
            .provider()
            .await
            .map_err(|e| Failure::unexpected(format!("discovery failed: {e}")))
    }

    /// Verifies a JWT access token (`bearer`).
    async fn verify_jwt(&self, token: &str, method: &str) -> Result<Claims, Failure> {
        let provider = self.provider().await?;
        let rules = self.rules(&provider.issuer, method);
        jwt::verify_shared(token, &self.provider.keys, &rules, self.now())
            .await
            .map_err(|e| match e {
                JwtError::Keys(_) => Failure::unexpected(e.to_string()),
                e => Failure::invalid_token(e.to_string()),
            })
    }

    pub(super) async fn endpoint(
        &self,
        configured: &Option<url::Url>,
        pick: fn(&crate::rp::discovery::Provider) -> Option<url::Url>,
        name: &'static str,
    ) -> Result<url::Url, Failure> {
        if let Some(u) = configured {
            return Ok(u.clone());
        }
        let provider = self.provider().await?;
        pick(&provider).ok_or_else(|| Failure::unexpected(RpError::NoEndpoint(name).to_string()))
    }

    /// Introspects `token` (cached per `cache_introspection`; the inactive answer only with
    /// `cache_ttl_neg`).
    pub(super) async fn introspect(
        &self,
        token: &str,
        client_index: usize,
    ) -> Result<Arc<Value>, Failure> {
        // The cache is consulted before anything is copied: the key needs only borrowed parts.
        let provider;
        let endpoint = match &self.config.introspection_endpoint {
            Some(configured) => configured,
            None => {
                provider = self.provider().await?;
                provider.introspection_endpoint.as_ref().ok_or_else(|| {
                    Failure::unexpected(RpError::NoEndpoint("introspection_endpoint").to_string())
                })?
            }
        };
        let client_id = self
            .config
            .client_id
            .get(client_index)
            .ok_or_else(|| Failure::unexpected("no client_id configured"))?;
        let key = hash(&[
            b"introspection",
            endpoint.as_str().as_bytes(),
            client_id.as_bytes(),
            self.config.introspection_hint.as_bytes(),
            token.as_bytes(),
        ]);
        if self.config.cache_introspection {
            if let Some(hit) = self.introspections.get(&key).await {
                return Ok(hit);
            }
            // The shared level answers for the rest of the entry's life on this instance too.
            if let Some((hit, until)) = self.cluster.get::<Value>(Item::Introspection, &key).await {
                let hit = Arc::new(hit);
                self.introspections.insert(key, hit.clone(), until).await;
                return Ok(hit);
            }
        }
        let endpoint = endpoint.clone();
        let client = self.client(
            client_index,
            self.config.introspection_endpoint_auth_method.as_deref(),
        )?;
        let client = self.with_token_audience(client).await?;
        let mut extra = Vec::new();
        let hint = Some(self.config.introspection_hint.as_str()).filter(|h| !h.is_empty());
        let answer = if self.config.introspection_token_param_name == "token" {
            self.provider
                .op
                .introspect(&endpoint, &client, token, hint, &extra, self.now())
                .await
        } else {
            extra.push((
                self.config.introspection_token_param_name.clone(),
                token.to_owned(),
            ));
            self.provider
                .op
                .introspect(&endpoint, &client, "", hint, &extra, self.now())
                .await
        }
        .map_err(|e| {
            // The provider refusing the call (say, the gateway's client assertion) leaves the
            // token unverified: 401, as Kong answers; a failing provider is 500.
            if e.is_rejection() {
                Failure::invalid_token(format!("introspection refused: {e}"))
            } else {
                Failure::unexpected(format!("introspection failed: {e}"))
            }
        })?;
        let answer = Arc::new(answer);
        let active = answer.get("active").and_then(Value::as_bool) == Some(true);
        let now = self.now();
        if self.config.cache_introspection {
            let until = if active {
                Some(self.config.cache_until(now, number(&answer, "exp")))
            } else {
                self.config
                    .cache_ttl_neg
                    .filter(|n| *n > 0)
                    .map(|neg| now.saturating_add(neg))
            };
            if let Some(until) = until {
                self.introspections.insert(key, answer.clone(), until).await;
                self.cluster
                    .set(Item::Introspection, &key, &*answer, until)
                    .await;
            }
        }
        Ok(answer)
    }

    async fn userinfo(&self, token: &str) -> Result<Arc<Value>, Failure> {
        let endpoint = self
            .endpoint(
                &self.config.userinfo_endpoint,
                |p| p.userinfo_endpoint.clone(),
                "userinfo_endpoint",
            )
            .await?;
        let key = hash(&[b"userinfo", endpoint.as_str().as_bytes(), token.as_bytes()]);
        if self.config.cache_user_info {
            if let Some(hit) = self.userinfos.get(&key).await {
                return Ok(hit);
            }
        }
        let answer = match self.provider.op.userinfo(&endpoint, token).await {
            Ok(v) => Arc::new(v),
            Err(e) if e.is_rejection() => return Err(Failure::invalid_token(e.to_string())),
            Err(e) => return Err(Failure::unexpected(format!("userinfo failed: {e}"))),
        };
        if self.config.cache_user_info {
            // An opaque token's expiry is unknown here; a JWT's bounds the entry.
            let exp = jwt::looks_like_jwt(token)
                .then(|| jwt::unverified_claims(token).ok())
                .flatten()
                .and_then(|c| c.get("exp").and_then(Value::as_i64));
            let until = self.config.cache_until(self.now(), exp);
            self.userinfos.insert(key, answer.clone(), until).await;
        }
        Ok(answer)
    }

    /// The claims of tokens a grant or a session produced.
    pub(super) async fn claims_of(
        &self,
        tokens: &Tokens,
        method: &str,
        client_index: usize,
    ) -> Result<Map<String, Value>, Failure> {
        if jwt::looks_like_jwt(&tokens.access_token) {
            return self
                .verify_jwt(&tokens.access_token, method)
                .await
                .map(|c| c.to_map());
        }
        let can_introspect = self.config.introspection_endpoint.is_some()
            || self
                .provider()
                .await
                .is_ok_and(|p| p.introspection_endpoint.is_some());
        if can_introspect && !self.config.client_id.is_empty() {
            let answer = self.introspect(&tokens.access_token, client_index).await?;
            if let Some(map) = answer.as_object() {
                return Ok(map.clone());
            }
        }
        let mut map = Map::new();
        if let Some(scope) = &tokens.scope {
            map.insert("scope".into(), Value::String(scope.clone()));
        }
        if let Some(exp) = tokens.expires_at {
            map.insert("exp".into(), Value::from(exp));
        }
        Ok(map)
    }

    /// A token-endpoint grant, cached per `cache_tokens` under everything the answer depends
    /// on (grant, client, the caller's credentials, the salt, the scope when configured).
    async fn grant(
        &self,
        grant_type: &'static str,
        client: Client,
        params: Vec<(&'static str, String)>,
    ) -> Result<Arc<Tokens>, Failure> {
        let endpoint = self
            .endpoint(
                &self.config.token_endpoint,
                |p| p.token_endpoint.clone(),
                "token_endpoint",
            )
            .await?;
        let scope = self.config.scopes.join(" ");
        let mut key_parts: Vec<&[u8]> = vec![
            b"tokens",
            grant_type.as_bytes(),
            endpoint.as_str().as_bytes(),
            client.id.as_bytes(),
            client.secret.as_deref().unwrap_or("").as_bytes(),
            self.config
                .cache_tokens_salt
                .as_deref()
                .unwrap_or("")
                .as_bytes(),
        ];
        for (k, v) in &params {
            key_parts.push(k.as_bytes());
            key_parts.push(v.as_bytes());
        }
        if self.config.token_cache_key_include_scope {
            key_parts.push(scope.as_bytes());
        }
        let key = hash(&key_parts);
        let fetch = || async {
            let mut form: Vec<(&str, &str)> = vec![("grant_type", grant_type)];
            for (k, v) in &params {
                form.push((k, v.as_str()));
            }
            if !scope.is_empty() {
                form.push(("scope", scope.as_str()));
            }
            let now = self.now();
            let answer = self
                .provider
                .op
                .token(&endpoint, &client, &form, now)
                .await?;
            let tokens = tokens_from(&answer, now);
            let until = self.config.cache_until(now, tokens.expires_at);
            Ok::<_, RpError>((Arc::new(tokens), until))
        };
        let result = if self.config.cache_tokens {
            // On a local miss (one caller per key), the shared level before the IdP.
            let shared = async {
                if let Some((tokens, until)) = self.cluster.get::<Tokens>(Item::Tokens, &key).await
                {
                    return Ok((Arc::new(tokens), until));
                }
                let (tokens, until) = fetch().await?;
                self.cluster.set(Item::Tokens, &key, &*tokens, until).await;
                Ok((tokens, until))
            };
            self.tokens.get_or_try_insert(key, shared).await
        } else {
            fetch().await.map(|(t, _)| t).map_err(Arc::new)
        };
        result.map_err(|e| {
            if e.is_rejection() {
                Failure::unauthorized(format!("{grant_type} grant refused: {e}"))
            } else {
                Failure::unexpected(format!("{grant_type} grant failed: {e}"))
            }
        })
    }

    async fn after_grant(
        &self,
        method: &'static str,
        tokens: Arc<Tokens>,
        client_index: usize,
        location: Location,
    ) -> Result<Authenticated, Failure> {
        let claims = self.claims_of(&tokens, method, client_index).await?;
        let mut a = Authenticated::new(method, (*tokens).clone(), claims);
        a.location = Some(location);
        Ok(a)
    }

    /// A bearer token through the enabled token methods, in Kong's order.
    async fn token_methods(
        &self,
        token: String,
        location: Location,
        client_index: usize,
        service: Option<uuid::Uuid>,
        consumers: Arc<Consumers>,
    ) -> Result<Authenticated, Failure> {
        let c = &self.config;
        let is_jwt = jwt::looks_like_jwt(&token);
        // The token and where it was move into the one `Authenticated` a branch returns (no
        // copy of a kilobyte token per request).
        let plain = |method, token: String, claims: Claims, exp: Option<i64>| {
            let mut a = Authenticated::new(
                method,
                Tokens {
                    access_token: token,
                    expires_at: exp,
                    refresh_token: None,
                    id_token: None,
                    scope: claims
                        .get("scope")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                },
                claims,
            );
            a.location = Some(location);
            a
        };
        if c.allows("bearer") && is_jwt {
            let claims = self.verify_jwt(&token, "bearer").await?;
            if c.introspect_jwt_tokens && c.allows("introspection") {
                let answer = self.introspect(&token, client_index).await?;
                if answer.get("active").and_then(Value::as_bool) != Some(true) {
                    return Err(Failure::invalid_token("token is not active"));
                }
            }
            // Read when the claims were verified (and cached), not looked up per request.
            let exp = claims.exp_integer();
            return Ok(plain("bearer", token, claims, exp));
        }
        if c.allows("kong_oauth2") {
            let found = self
                .oauth2
                .lookup(&token, service, self.now())
                .and_then(|found| {
                    // A token whose consumer is gone identifies no one (the store drops
                    // tokens with their consumer; this covers the moment in between).
                    let consumer = consumers.by_id(&found.consumer_id?.to_string())?;
                    Some((found, consumer))
                });
            if let Some((found, consumer)) = found {
                let mut claims = Map::new();
                claims.insert("client_id".into(), Value::String(found.client_id.clone()));
                if let Some(s) = &found.scope {
                    claims.insert("scope".into(), Value::String(s.clone()));
                }
                if let Some(u) = &found.authenticated_userid {
                    claims.insert("sub".into(), Value::String(u.clone()));
                }
                if let Some(exp) = found.expires_at {
                    claims.insert("exp".into(), Value::from(exp));
                }
                let mut a = plain("kong_oauth2", token, claims.into(), found.expires_at);
                a.consumer = Some(consumer);
                a.credential = Some(found.client_id);
                return Ok(a);
            }
        }
        if c.allows("introspection") {
            let answer = self.introspect(&token, client_index).await?;
            let active = answer.get("active").and_then(Value::as_bool) == Some(true);
            if c.introspection_check_active && !active {
                return Err(Failure::invalid_token("token is not active"));
            }
            let exp = number(&answer, "exp");
            let mut a = plain(
                "introspection",
                token,
                Claims::from_object(answer.clone()),
                exp,
            );
            a.introspection = Some(answer);
            return Ok(a);
        }
        if c.allows("userinfo") {
            let info = self.userinfo(&token).await?;
            let mut a = plain("userinfo", token, Claims::from_object(info.clone()), None);
            a.userinfo = Some(info);
            return Ok(a);
        }
        Err(Failure::invalid_token(if is_jwt {
            "no enabled auth method accepts this token"
        } else {
            "the token is not a JWT and neither introspection nor userinfo is enabled"
        }))
    }

    /// A session cookie: opened (from Redis with `session_storage: redis`), timeouts, audience
    /// and binding checked, the access token refreshed when it expired and a refresh token is at
    /// hand. [`SessionLookup::Absent`]: no usable session (the search goes on). A Redis that
    /// fails is no session either, as lua-resty-session's `open` failing is for Kong: the
    /// browser logs in again rather than seeing a 500. [`SessionLookup::Ended`]: a session
    /// whose access token expired and cannot be refreshed (no refresh token, `refresh_tokens`
    /// off, the IdP refused the refresh) or no longer verifies: it is over for good, and its
    /// cookies are deleted with whatever the request gets (`unauthorized_destroy_session`).
    async fn session(
        &self,
        presented: &Presented,
        client_index: usize,
    ) -> Result<SessionLookup, Failure> {
        let now = self.now();
        let mut session = match self.sessions.load(presented, now).await {
            Ok(s) => s,
            Err(Invalid::Storage(e)) => {
                tracing::warn!(%e, "openid-connect: session storage failed; no session");
                return Ok(SessionLookup::Absent);
            }
            Err(_) => return Ok(SessionLookup::Absent),
        };
        if self.is_revoked(&session.id).await {
            return Ok(SessionLookup::Absent);
        }
        let expired = session.expires_at.is_some_and(|exp| exp <= now);
        if expired {
            let Some(rt) = session
                .refresh_token
                .clone()
                .filter(|_| self.config.refresh_tokens)
            else {
                return Ok(SessionLookup::Ended);
            };
            let client = self.client(
                client_index,
                self.config.token_endpoint_auth_method.as_deref(),
            )?;
            let tokens = match self
                .grant("refresh_token", client, vec![("refresh_token", rt)])
                .await
            {
                Ok(t) => t,
                Err(Failure::Unauthorized { reason, .. }) => {
                    tracing::info!(%reason, "openid-connect: the session's refresh was refused; the session ends");
                    return Ok(SessionLookup::Ended);
                }
                Err(e) => return Err(e),
            };
            session.access_token = tokens.access_token.clone();
            session.expires_at = tokens.expires_at;
            if tokens.refresh_token.is_some() {
                session.refresh_token = tokens.refresh_token.clone();
            }
            if tokens.id_token.is_some() {
                session.id_token = tokens.id_token.clone();
            }
        }
        let tokens = Tokens {
            access_token: session.access_token.clone(),
            expires_at: session.expires_at,
            refresh_token: session.refresh_token.clone(),
            id_token: session.id_token.clone(),
            scope: None,
        };
        // A JWT was verified when the session was made, and the seal proves the cookie is the
        // one this gateway issued; a refreshed one was just verified by `claims_of`. With
        // `reverify` it is verified again on every request (signature, expiry, issuer, ...).
        let reverify = self.sessions.options().reverify;
        let claims = if jwt::looks_like_jwt(&tokens.access_token) && !expired && !reverify {
            jwt::unverified_claims(&tokens.access_token).unwrap_or_default()
        } else {
            match self.claims_of(&tokens, "session", client_index).await {
                Ok(c) => c,
                Err(Failure::Unauthorized { .. }) => return Ok(SessionLookup::Ended),
                Err(e) => return Err(e),
            }
        };
        let mut a = Authenticated::new("session", tokens, claims);
        a.session = Some(session);
        Ok(SessionLookup::Found(Box::new(a)))
    }

    /// Kong's search: the first credential found decides.
    async fn authenticate(&self, req: &mut AccessRequest) -> Result<Authenticated, Failure> {
        let c = &self.config;
        let want_body = [
            (c.allows("bearer")
                || c.allows("introspection")
                || c.allows("userinfo")
                || c.allows("kong_oauth2"))
                && c.bearer_token_param_type.body,
            c.allows("refresh_token") && c.refresh_token_param_type.body,
            c.allows("password") && c.password_param_type.body,
            c.allows("client_credentials") && c.client_credentials_param_type.body,
        ]
        .into_iter()
        .any(|b| b);
        let args = Args::read(req, want_body).await;
        let client_index = self.client_index(req, &args);
        if c.allows("session") {
            let presented = Presented::of(req);
            match self.session(&presented, client_index).await? {
                SessionLookup::Found(a) => return Ok(*a),
                SessionLookup::Ended => {
                    req.extensions_mut().insert(SessionEnded);
                }
                SessionLookup::Absent => {}
            }
        }
        if ["bearer", "kong_oauth2", "introspection", "userinfo"]
            .iter()
            .any(|m| c.allows(m))
        {
            if let Some((token, at)) = credentials::bearer(
                req,
                &args,
                c.bearer_token_param_type,
                c.bearer_token_cookie_name.as_deref(),
            ) {
                let (service, consumers) = (req.service_id(), req.consumers().clone());
                return self
                    .token_methods(token, at, client_index, service, consumers)
                    .await;
            }
        }
        if c.allows("refresh_token") {
            if let Some(name) = &c.refresh_token_param_name {
                if let Some((rt, at)) =
                    credentials::refresh_token(req, &args, c.refresh_token_param_type, name)
                {
                    let client =
                        self.client(client_index, c.token_endpoint_auth_method.as_deref())?;
                    let tokens = self
                        .grant("refresh_token", client, vec![("refresh_token", rt)])
                        .await?;
                    return self
                        .after_grant("refresh_token", tokens, client_index, at)
                        .await;
                }
            }
        }
        if c.allows("password") {
            if let Some((user, password, at)) =
                credentials::pair(req, &args, c.password_param_type, ("username", "password"))
            {
                let client = self.client(client_index, c.token_endpoint_auth_method.as_deref())?;
                let tokens = self
                    .grant(
                        "password",
                        client,
                        vec![("username", user), ("password", password)],
                    )
                    .await?;
                return self.after_grant("password", tokens, client_index, at).await;
            }
        }
        if c.allows("client_credentials") {
            if let Some((id, secret, at)) = credentials::pair(
                req,
                &args,
                c.client_credentials_param_type,
                ("client_id", "client_secret"),
            ) {
                // The caller's own client, authenticated the way the plugin's clients are.
                let method = c
                    .token_endpoint_auth_method
                    .as_deref()
                    .or(c.client_auth.first().map(String::as_str));
                let client = self.caller_client(id, secret, method)?;
                let tokens = self.grant("client_credentials", client, Vec::new()).await?;
                return self
                    .after_grant("client_credentials", tokens, client_index, at)
                    .await;
            }
        }
        Err(Failure::no_credentials())
    }

    /// The consumer the claims map to (`consumer_claims` × `consumer_by`).
    fn consumer(&self, req: &AccessRequest, claims: &Map<String, Value>) -> Option<Arc<Consumer>> {
        let consumers = req.consumers();
        for path in &self.config.consumer_claims {
            let Some(value) = claims::lookup(claims, path) else {
                continue;
            };
            for candidate in claims::values(value) {
                for by in &self.config.consumer_by {
                    let found = match by.as_str() {
                        "id" => consumers.by_id(&candidate),
                        "username" => {
                            consumers.by_username(&candidate, self.config.by_username_ignore_case)
                        }
                        _ => consumers.by_custom_id(&candidate),
                    };
                    if found.is_some() {
                        return found;
                    }
                }
            }
        }
        None
    }

    /// The consumer groups named by the `consumer_groups_claim` values, in the claim's order
    /// (values naming no group are skipped, as Kong does).
    fn consumer_groups(
        &self,
        req: &AccessRequest,
        claims: &Map<String, Value>,
        path: &[String],
    ) -> Vec<Arc<ConsumerGroup>> {
        let (Some(value), Some(index)) = (claims::lookup(claims, path), req.consumer_group_index())
        else {
            return Vec::new();
        };
        let mut groups: Vec<Arc<ConsumerGroup>> = Vec::new();
        for name in claims::values(value) {
            if let Some(g) = index.by_name(&name) {
                if !groups.iter().any(|have| have.id == g.id) {
                    groups.push(g.clone());
                }
            }
        }
        groups
    }

    /// Lets the request through as the `anonymous` consumer.
    fn anonymous(&self, req: &mut AccessRequest, anonymous: &str) -> Flow {
        let Some(consumer) = req.consumers().by_id_or_username(anonymous) else {
            tracing::warn!(anonymous, "anonymous consumer not found");
            return Flow::Respond(reply::failure(
                &self.config,
                &Failure::unexpected("anonymous consumer not found"),
            ));
        };
        reply::set_consumer(req, &consumer);
        req.headers_mut()
            .insert(reply::ANONYMOUS, http::HeaderValue::from_static("true"));
        req.extensions_mut().insert(Anonymous);
        req.extensions_mut().insert(AuthenticatedConsumer(consumer));
        Flow::Continue
    }

    /// The access phase.
    pub(super) async fn run(&self, req: &mut AccessRequest) -> Flow {
        if req.method() == Method::OPTIONS && !self.config.run_on_preflight {
            return Flow::Continue;
        }
        reply::strip_identity_headers(req);
        if self.is_logout(req).await {
            return Flow::Respond(self.logout(req).await);
        }
        // The request's cookies, address and User-Agent, read once: only a code-flow login
        // changes them (it removes its authorization cookie), and is read again below.
        let presented = Presented::of(req);
        let had_session = self.sessions.presented_in(&presented);
        let mut pending = None;
        let result = match self.authenticate(req).await {
            Err(f) if f.is_no_credentials() && self.config.allows("authorization_code") => {
                match self.code_flow(req).await {
                    CodeFlow::LoggedIn(a, p) => {
                        pending = Some(*p);
                        Ok(*a)
                    }
                    CodeFlow::Respond(mut r) => {
                        // A session that ended (its refresh refused) is deleted with the
                        // redirect to the login, as with the 401 an API client gets below.
                        if req.extensions().get::<SessionEnded>().is_some()
                            && self.config.unauthorized_destroy_session
                        {
                            for v in self.sessions.destroy_cookies(&Presented::of(req)) {
                                r.headers.append(http::header::SET_COOKIE, v);
                            }
                        }
                        return Flow::Respond(r);
                    }
                    CodeFlow::Failed(f) => Err(f),
                }
            }
            other => other,
        };
        let auth = match result {
            Ok(a) => a,
            Err(failure) => {
                if let (Failure::Unauthorized { .. }, Some(anonymous)) =
                    (&failure, self.config.anonymous.clone())
                {
                    return self.anonymous(req, &anonymous);
                }
                let mut response = self.failure_response(&failure);
                if had_session && self.config.unauthorized_destroy_session {
                    for v in self.sessions.destroy_cookies(&Presented::of(req)) {
                        response.headers.append(http::header::SET_COOKIE, v);
                    }
                }
                return Flow::Respond(response);
            }
        };
        // acr step-up (a gatecheck extension, step_up.rs), before what the claims authorize.
        let (mut auth, pending) = match self.step_up(req, auth, pending).await {
            Ok(x) => x,
            Err(flow) => return flow,
        };
        if let Some(rule) = claims::first_unmet(&auth.claims, &self.config.claim_rules) {
            return self.forbidden(req, had_session, format!("{} required", rule.name));
        }
        // A consumer the token names (kong_oauth2) is the one; consumer_claims map the others.
        let consumer = if auth.consumer.is_some() || self.config.consumer_claims.is_empty() {
            auth.consumer.clone()
        } else {
            match self.consumer(req, &auth.claims) {
                Some(c) => Some(c),
                None if self.config.consumer_optional => None,
                None => return self.forbidden(req, had_session, "consumer not found".into()),
            }
        };
        let groups = match &self.config.consumer_groups_claim {
            None => None,
            Some(path) => match self.consumer_groups(req, &auth.claims, path) {
                found if !found.is_empty() => Some(found),
                _ if self.config.consumer_groups_optional => None,
                _ => {
                    return self.forbidden(req, had_session, "consumer group not found".into());
                }
            },
        };
        let presented = if pending.is_some() {
            Presented::of(req)
        } else {
            presented
        };
        let mut hidden = None;
        if self.config.hide_credentials {
            if let Some(at) = &auth.location {
                hidden = credentials::hide(req, at);
            }
            if auth.method == "session" {
                self.sessions.remove_cookies(req);
            }
        }
        let now = self.now();
        let set_cookie = match self.session_cookie(&presented, &mut auth, now).await {
            Ok(v) => v,
            Err(failure) => return Flow::Respond(self.failure_response(&failure)),
        };
        self.session_headers(req, auth.session.as_ref(), now);
        // The credential's identifier: the one the token names, else `credential_claim`'s
        // value (the upstream header and the request's context carry the same string).
        let credential = auth.credential.clone().or_else(|| {
            claims::lookup(&auth.claims, &self.config.credential_claim).map(claims::header_value)
        });
        reply::upstream(
            req,
            &self.config,
            &auth,
            consumer.as_deref(),
            hidden.as_ref(),
            credential.as_deref(),
        );
        if let Some(groups) = groups {
            reply::set_consumer_groups(req, &groups);
            req.extensions_mut()
                .insert(AuthenticatedConsumerGroups(groups.into()));
        }
        reply::downstream(req, &self.config, &auth);
        for v in set_cookie {
            req.response_headers_mut()
                .append(http::header::SET_COOKIE, v);
        }
        let token: Arc<str> = Arc::from(auth.tokens.access_token.as_str());
        let data = auth.claims.as_value().clone();
        let ext = req.extensions_mut();
        if let Some(c) = consumer {
            ext.insert(AuthenticatedConsumer(c));
        }
        if let Some(id) = credential {
            ext.insert(AuthenticatedCredential { id });
        }
        if let Some(info) = &auth.userinfo {
            ext.insert(UserInfo(info.clone()));
        }
        ext.insert(RequestToken {
            token,
            // The scopes read once from these same claims (`data`) when they were built.
            scopes: auth.claims.scopes().clone(),
            exp: auth.tokens.expires_at,
            data,
        });
        match self.after_login(req, &auth, pending.as_ref()) {
            Some(response) => Flow::Respond(response),
            None => Flow::Continue,
        }
    }

    /// The response for `failure`: a redirect to `unauthorized_redirect_uri`,
    /// `forbidden_redirect_uri` or `unexpected_redirect_uri` when configured, else Kong's.
    pub(super) fn failure_response(&self, failure: &Failure) -> crate::plugins::PluginResponse {
        let b = &self.config.browser;
        let redirect = match failure {
            Failure::Unauthorized { .. } => b.unauthorized_redirect_uri.first(),
            Failure::Forbidden { .. } => b.forbidden_redirect_uri.first(),
            Failure::Unexpected { .. } => b.unexpected_redirect_uri.first(),
        };
        redirect
            .and_then(|u| crate::plugins::PluginResponse::redirect(u.as_str()))
            .unwrap_or_else(|| reply::failure(&self.config, failure))
    }

    fn forbidden(&self, req: &AccessRequest, had_session: bool, reason: String) -> Flow {
        let mut response = self.failure_response(&Failure::Forbidden { reason });
        if had_session && self.config.forbidden_destroy_session {
            for v in self.sessions.destroy_cookies(&Presented::of(req)) {
                response.headers.append(http::header::SET_COOKIE, v);
            }
        }
        Flow::Respond(response)
    }

    /// The `Set-Cookie` values for a new or renewed session, if any. A session that cannot be
    /// stored (Redis down) is 500: the login cannot complete.
    async fn session_cookie(
        &self,
        presented: &Presented,
        auth: &mut Authenticated,
        now: i64,
    ) -> Result<Vec<http::HeaderValue>, Failure> {
        if !self.config.allows("session") {
            return Ok(Vec::new());
        }
        let session = match auth.session.as_mut() {
            Some(session) => {
                let changed_tokens = session.access_token != auth.tokens.access_token;
                if !(self.sessions.touch(session, now) || changed_tokens) {
                    return Ok(Vec::new());
                }
                session.clone()
            }
            None => {
                if self.config.disable_session.iter().any(|g| g == auth.method) {
                    return Ok(Vec::new());
                }
                let mut session = self.sessions.create(auth.method, &auth.tokens, now);
                session.subject = auth
                    .claims
                    .get("sub")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                self.sessions.bind(&mut session, presented);
                auth.session = Some(session.clone());
                session
            }
        };
        self.sessions
            .save(presented, &session, now)
            .await
            .map_err(|e| Failure::unexpected(format!("the session could not be stored: {e:?}")))
    }

    /// `session_request_headers` upstream and `session_response_headers` downstream (a
    /// client's own `Session-*` copies of the configured ones are removed first).
    fn session_headers(&self, req: &mut AccessRequest, session: Option<&Session>, now: i64) {
        let o = self.sessions.options();
        for name in super::session::Sessions::header_names(&o.request_headers) {
            req.headers_mut().remove(name);
        }
        let Some(session) = session else {
            return;
        };
        for (name, value) in self.sessions.headers(session, &o.request_headers, now) {
            req.headers_mut().insert(name, value);
        }
        for (name, value) in self.sessions.headers(session, &o.response_headers, now) {
            req.response_headers_mut().insert(name, value);
        }
    }
}

pub(super) fn cookie_value(req: &AccessRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// The tokens of a token-endpoint answer received at `now`.
pub fn tokens_from(answer: &Value, now: i64) -> Tokens {
    let s = |n: &str| answer.get(n).and_then(Value::as_str).map(str::to_owned);
    let access_token = s("access_token").unwrap_or_default();
    let expires_at = number(answer, "expires_in")
        .map(|e| now.saturating_add(e.max(0)))
        .or_else(|| {
            jwt::looks_like_jwt(&access_token)
                .then(|| jwt::unverified_claims(&access_token).ok())
                .flatten()
                .and_then(|c| c.get("exp").and_then(Value::as_i64))
        });
    Tokens {
        access_token,
        expires_at,
        refresh_token: s("refresh_token"),
        id_token: s("id_token"),
        scope: s("scope"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::body::Body;
    use http::header::{ACCEPT, COOKIE, LOCATION, SET_COOKIE};
    use http::{HeaderMap, HeaderValue, StatusCode};
    use serde_json::json;
    use wiremock::matchers::{body_string_contains, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;
    use crate::entities::Entities;
    use crate::plugins::openid_connect::session::Sessions;
    use crate::plugins::PluginEnv;

    /// An IdP whose token endpoint refuses every refresh token (RFC 6749 §5.2 `invalid_grant`:
    /// revoked, expired, or its OP session ended).
    async fn refusing_idp() -> MockServer {
        let idp = MockServer::start().await;
        let base = idp.uri();
        Mock::given(method("GET"))
            .and(path("/.well-known/openid-configuration"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "issuer": base,
                "authorization_endpoint": format!("{base}/authorize"),
                "token_endpoint": format!("{base}/token"),
                "jwks_uri": format!("{base}/jwks"),
            })))
            .mount(&idp)
            .await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .and(body_string_contains("grant_type=refresh_token"))
            .respond_with(ResponseTemplate::new(400).set_body_json(json!({
                "error": "invalid_grant", "error_description": "the refresh token is revoked"
            })))
            .mount(&idp)
            .await;
        idp
    }

    /// The instance, and sessions sealed as it seals them.
    fn plugin(idp: &MockServer, extra: Value) -> (Arc<dyn crate::plugins::Plugin>, Sessions) {
        let mut config = json!({
            "issuer": idp.uri(), "client_id": ["kong"], "client_secret": ["secret"],
            "client_auth": ["client_secret_post"],
            "auth_methods": ["authorization_code", "session"],
        });
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            config[k] = v;
        }
        let env = PluginEnv::new(Duration::from_secs(5), cookie::Key::generate());
        let (typed, _) = super::super::Config::from_value(&config).expect("a valid config");
        let sessions = Sessions::new(env.session_key.clone(), typed.session);
        let plugin = super::super::configure(&config, &env)
            .expect("a valid config")
            .plugin;
        (plugin, sessions)
    }

    /// A request carrying a session whose access token expired 10 s ago, with a refresh token.
    fn with_expired_session(sessions: &Sessions, accept: &'static str) -> AccessRequest {
        let now = crate::clock::system().now();
        let tokens = Tokens {
            access_token: "expired-at".into(),
            expires_at: Some(now - 10),
            refresh_token: Some("revoked-rt".into()),
            id_token: None,
            scope: None,
        };
        let session = sessions.create("authorization_code", &tokens, now - 70);
        let set = sessions.seal(&session, now, false).expect("sealed");
        let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(&pair).unwrap());
        headers.insert(ACCEPT, HeaderValue::from_static(accept));
        AccessRequest::new(
            Method::GET,
            "/anything".into(),
            "/anything?hello=world".into(),
            headers,
            Body::empty(),
            "127.0.0.1:1".parse().unwrap(),
            false,
            Arc::new(Entities::default()),
        )
    }

    fn deletes_session(r: &crate::plugins::PluginResponse) -> bool {
        r.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|c| c.starts_with("session=;") && c.contains("Max-Age=0"))
    }

    async fn respond(
        p: &Arc<dyn crate::plugins::Plugin>,
        mut req: AccessRequest,
    ) -> crate::plugins::PluginResponse {
        match p.access(&mut req).await {
            Flow::Respond(r) => r,
            other => panic!("the request was let through: {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_refused_refresh_ends_the_session_and_deletes_its_cookie() {
        let idp = refusing_idp().await;
        let (p, sessions) = plugin(&idp, json!({}));
        // A browser is sent to log in again, and its dead session cookie goes with the redirect.
        let r = respond(&p, with_expired_session(&sessions, "text/html")).await;
        assert_eq!(r.status, StatusCode::FOUND);
        let location = r.headers[LOCATION].to_str().unwrap();
        assert!(
            location.starts_with(&format!("{}/authorize?", idp.uri())),
            "{location}"
        );
        assert!(deletes_session(&r), "{:?}", r.headers);
        // An API client gets the 401, the cookie deleted too.
        let r = respond(&p, with_expired_session(&sessions, "application/json")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(deletes_session(&r), "{:?}", r.headers);
        // The IdP was asked each time with the session's refresh token.
        let asked = idp
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|r| r.url.path() == "/token")
            .filter(|r| String::from_utf8_lossy(&r.body).contains("refresh_token=revoked-rt"))
            .count();
        assert_eq!(asked, 2);
    }

    #[tokio::test]
    async fn unauthorized_destroy_session_false_keeps_the_cookie() {
        let idp = refusing_idp().await;
        let (p, sessions) = plugin(&idp, json!({"unauthorized_destroy_session": false}));
        let r = respond(&p, with_expired_session(&sessions, "text/html")).await;
        assert_eq!(r.status, StatusCode::FOUND);
        assert!(!deletes_session(&r), "{:?}", r.headers);
    }

    #[tokio::test]
    async fn an_expired_session_without_a_refresh_token_ends_too() {
        let idp = refusing_idp().await;
        let (p, sessions) = plugin(&idp, json!({"refresh_tokens": false}));
        let r = respond(&p, with_expired_session(&sessions, "text/html")).await;
        assert_eq!(r.status, StatusCode::FOUND);
        assert!(deletes_session(&r), "{:?}", r.headers);
        // refresh_tokens off: the IdP is never asked.
        let asked = idp
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|r| r.url.path() == "/token")
            .count();
        assert_eq!(asked, 0);
    }
}
