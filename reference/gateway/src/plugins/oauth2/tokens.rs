//! The tokens the `oauth2` plugin issues (`oauth2_tokens`): a runtime table, written while
//! proxying and kept across configuration changes; listed, read, created and deleted through
//! the Admin API (`/oauth2_tokens`), dropped with their credential, consumer or service, and
//! consulted by openid-connect's `kong_oauth2` auth method through [`KongOAuth2Tokens`].
//!
//! A token record lives `refresh_token_ttl` seconds (Kong gives the database row that TTL);
//! the access token inside it stops being accepted after `expires_in` seconds.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::daos::{Credentials, OAUTH2_CREDENTIALS, OAUTH2_TOKENS};
use crate::entities::dao::RuntimeTable;
use crate::entities::records;
use crate::error::AdminError;
use crate::plugins::openid_connect::kong_oauth2::{KongOAuth2Token, KongOAuth2Tokens};
use crate::store::State;

/// One issued token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Primary key.
    pub id: Uuid,
    /// Issue time (Unix seconds, the plugin's clock).
    pub created_at: i64,
    /// The service it was issued for; `None` for a global token (`global_credentials`).
    pub service: Option<Uuid>,
    /// The `oauth2_credentials` record it was issued to.
    pub credential: Uuid,
    /// That credential's consumer.
    pub consumer: Uuid,
    /// That credential's `client_id`.
    pub client_id: String,
    /// Lifetime of the access token in seconds; 0: never expires.
    pub expires_in: i64,
    /// The access token.
    pub access_token: String,
    /// The refresh token, if one was issued.
    pub refresh_token: Option<String>,
    /// `authenticated_userid` given at issuance.
    pub authenticated_userid: Option<String>,
    /// Granted scopes, space-separated.
    pub scope: Option<String>,
    /// When the record is dropped (Unix seconds); `None`: kept until deleted.
    pub keep_until: Option<i64>,
    seq: u64,
}

impl Token {
    /// Whether the record still exists at `now`.
    pub fn kept_at(&self, now: i64) -> bool {
        self.keep_until.is_none_or(|t| now < t)
    }

    /// Whether the access token is accepted at `now` (Kong: expired once more than
    /// `expires_in` seconds have passed).
    pub fn valid_at(&self, now: i64) -> bool {
        self.kept_at(now) && (self.expires_in <= 0 || now - self.created_at <= self.expires_in)
    }

    /// When the access token expires, if it does.
    pub fn expires_at(&self) -> Option<i64> {
        (self.expires_in > 0).then_some(self.created_at + self.expires_in)
    }

    /// The record as the Admin API shows it (Kong's `oauth2_tokens` fields).
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "created_at": self.created_at,
            "service": self.service.map(|s| json!({"id": s})),
            "credential": {"id": self.credential},
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "authenticated_userid": self.authenticated_userid,
            "scope": self.scope,
        })
    }
}

/// What a new token is issued with.
#[derive(Debug, Clone)]
pub struct Issue {
    /// `None` for a global token.
    pub service: Option<Uuid>,
    /// The credential.
    pub credential: Uuid,
    /// Its consumer.
    pub consumer: Uuid,
    /// Its client id.
    pub client_id: String,
    /// Access token lifetime (0: never expires).
    pub expires_in: i64,
    /// The refresh token to issue with it, if any.
    pub refresh_token: Option<String>,
    /// `authenticated_userid`.
    pub authenticated_userid: Option<String>,
    /// Scopes, space-separated.
    pub scope: Option<String>,
    /// Record lifetime (`None`: forever).
    pub keep_for: Option<i64>,
}

/// Seconds an authorization code is good for (Kong stores codes with a 300 s TTL).
pub const CODE_LIFETIME: i64 = 300;

/// An authorization code `/oauth2/authorize` issued (Kong's `oauth2_authorization_codes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    /// The service it was issued on; `None` under `global_credentials`.
    pub service: Option<Uuid>,
    /// The credential (`client_id`) it was issued to.
    pub credential: Uuid,
    /// `authenticated_userid` the authorization page vouched for.
    pub authenticated_userid: Option<String>,
    /// Granted scopes, space-separated.
    pub scope: Option<String>,
    /// PKCE `code_challenge` (RFC 7636 §4.3), if one was sent.
    pub challenge: Option<String>,
    /// Its `code_challenge_method`: `S256` or `plain`.
    pub challenge_method: Option<String>,
    /// Unix seconds after which the code is gone.
    pub expires_at: i64,
}

#[derive(Debug, Default)]
struct Inner {
    codes: HashMap<String, Code>,
    by_access: HashMap<String, Arc<Token>>,
    by_refresh: HashMap<String, String>,
    by_id: HashMap<Uuid, String>,
}

impl Inner {
    fn insert(&mut self, token: Arc<Token>) {
        if let Some(r) = &token.refresh_token {
            self.by_refresh
                .insert(r.clone(), token.access_token.clone());
        }
        self.by_id.insert(token.id, token.access_token.clone());
        self.by_access.insert(token.access_token.clone(), token);
    }

    fn remove(&mut self, access_token: &str) -> Option<Arc<Token>> {
        let token = self.by_access.remove(access_token)?;
        self.by_id.remove(&token.id);
        if let Some(r) = &token.refresh_token {
            if self.by_refresh.get(r).map(String::as_str) == Some(access_token) {
                self.by_refresh.remove(r);
            }
        }
        Some(token)
    }

    fn key_to_access(&self, key: &str) -> Option<String> {
        if self.by_access.contains_key(key) {
            return Some(key.to_owned());
        }
        Uuid::parse_str(key)
            .ok()
            .and_then(|id| self.by_id.get(&id).cloned())
    }

    fn purge(&mut self, now: i64) {
        let gone: Vec<String> = self
            .by_access
            .values()
            .filter(|t| !t.kept_at(now))
            .map(|t| t.access_token.clone())
            .collect();
        for a in gone {
            self.remove(&a);
        }
    }
}

/// The token store: shared by the Admin API, the `oauth2` plugin and openid-connect.
#[derive(Debug, Default)]
pub struct TokenTable {
    inner: Arc<Store>,
}

/// The store behind a [`TokenTable`]; what [`KongOAuth2Tokens`] is implemented on.
#[derive(Debug, Default)]
pub struct Store {
    inner: Mutex<Inner>,
    seq: AtomicU64,
}

impl Store {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Stores a new token issued at `now` and returns it.
    pub fn issue(&self, issue: Issue, now: i64) -> Arc<Token> {
        let token = Arc::new(Token {
            id: Uuid::new_v4(),
            created_at: now,
            service: issue.service,
            credential: issue.credential,
            consumer: issue.consumer,
            client_id: issue.client_id,
            expires_in: issue.expires_in,
            access_token: records::random_string(),
            refresh_token: issue.refresh_token,
            authenticated_userid: issue.authenticated_userid,
            scope: issue.scope,
            keep_until: issue.keep_for.map(|ttl| now + ttl),
            seq: self.seq.fetch_add(1, Ordering::Relaxed),
        });
        let mut inner = self.lock();
        inner.purge(now);
        inner.insert(token.clone());
        token
    }

    /// The token whose access token is `access_token`, if it is still kept at `now` (its
    /// expiry is the caller's to judge: Kong answers an expired token differently from an
    /// unknown one only in logs).
    pub fn by_access_token(&self, access_token: &str, now: i64) -> Option<Arc<Token>> {
        self.lock()
            .by_access
            .get(access_token)
            .filter(|t| t.kept_at(now))
            .cloned()
    }

    /// The token holding refresh token `refresh_token`, if still kept at `now`.
    pub fn by_refresh_token(&self, refresh_token: &str, now: i64) -> Option<Arc<Token>> {
        let inner = self.lock();
        let access = inner.by_refresh.get(refresh_token)?;
        inner
            .by_access
            .get(access)
            .filter(|t| t.kept_at(now))
            .cloned()
    }

    /// Stores an authorization code issued at `now` (good for [`CODE_LIFETIME`] seconds) and
    /// returns its value.
    pub fn issue_code(&self, code: Code) -> String {
        let value = records::random_string();
        let mut inner = self.lock();
        let now = code.expires_at - CODE_LIFETIME;
        inner.codes.retain(|_, c| c.expires_at > now);
        inner.codes.insert(value.clone(), code);
        value
    }

    /// The code `value`, if issued and not expired at `now`.
    pub fn code(&self, value: &str, now: i64) -> Option<Code> {
        self.lock()
            .codes
            .get(value)
            .filter(|c| c.expires_at > now)
            .cloned()
    }

    /// Removes the code `value` (redeemed: a code is good once).
    pub fn remove_code(&self, value: &str) -> bool {
        self.lock().codes.remove(value).is_some()
    }

    /// Removes the token with primary key `id`.
    pub fn remove_id(&self, id: Uuid) -> bool {
        let mut inner = self.lock();
        match inner.by_id.get(&id).cloned() {
            Some(a) => inner.remove(&a).is_some(),
            None => false,
        }
    }

    /// Number of stored records (live or not yet purged).
    pub fn len(&self) -> usize {
        self.lock().by_access.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl KongOAuth2Tokens for Store {
    fn lookup(
        &self,
        access_token: &str,
        service: Option<Uuid>,
        now: i64,
    ) -> Option<KongOAuth2Token> {
        let token = self.by_access_token(access_token, now)?;
        // A token issued without global_credentials belongs to its service (the oauth2
        // plugin's own check, `authenticate::judge`); a global one is good anywhere.
        let here = token.service.is_none() || token.service == service;
        (here && token.valid_at(now)).then(|| KongOAuth2Token {
            consumer_id: Some(token.consumer),
            client_id: token.client_id.clone(),
            scope: token.scope.clone(),
            authenticated_userid: token.authenticated_userid.clone(),
            expires_at: token.expires_at(),
        })
    }
}

impl TokenTable {
    /// A new, empty table (the DAO's [`crate::entities::dao::Storage::Runtime`] constructor).
    pub fn shared() -> Arc<dyn RuntimeTable> {
        Arc::new(TokenTable::default())
    }

    /// The store.
    pub fn store(&self) -> &Arc<Store> {
        &self.inner
    }
}

fn text(input: &Map<String, Value>, field: &str) -> Option<String> {
    input.get(field).and_then(Value::as_str).map(str::to_owned)
}

impl RuntimeTable for TokenTable {
    fn list(&self) -> Vec<Value> {
        let now = crate::entities::now();
        let inner = self.inner.lock();
        let mut tokens: Vec<&Arc<Token>> = inner
            .by_access
            .values()
            .filter(|t| t.kept_at(now))
            .collect();
        tokens.sort_by_key(|t| t.seq);
        tokens.iter().map(|t| t.to_json()).collect()
    }

    fn get(&self, key: &str) -> Option<Value> {
        let now = crate::entities::now();
        let inner = self.inner.lock();
        let access = inner.key_to_access(key)?;
        inner
            .by_access
            .get(&access)
            .filter(|t| t.kept_at(now))
            .map(|t| t.to_json())
    }

    /// Kong lets an operator create tokens (e.g. when migrating clients): the credential must
    /// exist, the service too when given; `access_token` is generated when absent.
    fn create(&self, input: Map<String, Value>, state: &State) -> Result<Value, AdminError> {
        let now = crate::entities::now();
        let mut input = input;
        for fk in ["credential", "service"] {
            if let Some(v) = input.get(fk).filter(|v| !v.is_null()) {
                if let Some(crate::entities::reader::ForeignRef::Id(id)) = records::foreign_ref(v) {
                    input.insert(fk.into(), json!({ "id": id }));
                }
            }
        }
        let record =
            records::build(&OAUTH2_TOKENS, input, false, None, now).map_err(AdminError::Schema)?;
        let credential_id = records::fk_id(&record, "credential").ok_or_else(|| {
            let mut f = Map::new();
            f.insert(
                "credential".into(),
                Value::String("required field missing".into()),
            );
            AdminError::Schema(f)
        })?;
        let credentials = Credentials::build(state);
        let Some(credential) = credentials.by_id(credential_id) else {
            return Err(AdminError::ForeignKey {
                field: "credential",
                collection: OAUTH2_CREDENTIALS.name,
                reference: format!("{{id=\"{credential_id}\"}}"),
            });
        };
        let service = records::fk_id(&record, "service");
        if let Some(s) = service {
            if !state.services.iter().any(|x| x.id == s) {
                return Err(AdminError::ForeignKey {
                    field: "service",
                    collection: "services",
                    reference: format!("{{id=\"{s}\"}}"),
                });
            }
        }
        let access_token = text(&record, "access_token").unwrap_or_else(records::random_string);
        let refresh_token = text(&record, "refresh_token");
        let mut inner = self.inner.lock();
        if inner.by_access.contains_key(&access_token) {
            return Err(AdminError::unique("access_token", &access_token));
        }
        if let Some(r) = &refresh_token {
            if inner.by_refresh.contains_key(r) {
                return Err(AdminError::unique("refresh_token", r));
            }
        }
        let token = Arc::new(Token {
            id: records::id_of(&record).unwrap_or_else(Uuid::new_v4),
            created_at: record
                .get("created_at")
                .and_then(Value::as_i64)
                .unwrap_or(now),
            service,
            credential: credential.id,
            consumer: credential.consumer,
            client_id: credential.client_id.clone(),
            expires_in: record
                .get("expires_in")
                .and_then(Value::as_i64)
                .unwrap_or(7200),
            access_token,
            refresh_token,
            authenticated_userid: text(&record, "authenticated_userid"),
            scope: text(&record, "scope"),
            keep_until: None,
            seq: self.inner.seq.fetch_add(1, Ordering::Relaxed),
        });
        if inner.by_id.contains_key(&token.id) {
            return Err(AdminError::PrimaryKey(token.id));
        }
        inner.insert(token.clone());
        Ok(token.to_json())
    }

    fn delete(&self, key: &str) -> bool {
        let mut inner = self.inner.lock();
        match inner.key_to_access(key) {
            Some(a) => inner.remove(&a).is_some(),
            None => false,
        }
    }

    fn retain_referenced(&self, state: &State) {
        let credentials = Credentials::build(state);
        let mut inner = self.inner.lock();
        let tokens: Vec<Arc<Token>> = inner.by_access.values().cloned().collect();
        for t in tokens {
            let service_gone = t
                .service
                .is_some_and(|s| !state.services.iter().any(|x| x.id == s));
            match credentials.by_id(t.credential) {
                Some(c) if !service_gone => {
                    // A credential moved to another consumer or renamed its client id: the
                    // token follows its credential, as Kong's foreign key does.
                    if c.consumer != t.consumer || c.client_id != t.client_id {
                        let mut moved = (*t).clone();
                        moved.consumer = c.consumer;
                        moved.client_id = c.client_id.clone();
                        inner.insert(Arc::new(moved));
                    }
                }
                _ => {
                    inner.remove(&t.access_token);
                }
            }
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn kong_oauth2_tokens(&self) -> Option<Arc<dyn KongOAuth2Tokens>> {
        Some(self.inner.clone())
    }
}
