//! Shared state, the router (Gluu's endpoint layout), [`start`] and the server [`Handle`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::clients::Client;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::error::OAuthError;
use crate::keys::KeySet;
use crate::model::OtpEnrollment;
use crate::pages::Pages;
use crate::storage::{Storage, NEVER};
use crate::users::UserStore;

/// Paths of the endpoints (Gluu layout).
pub mod paths {
    /// Discovery document.
    pub const DISCOVERY: &str = "/.well-known/openid-configuration";
    /// WebFinger issuer discovery.
    pub const WEBFINGER: &str = "/.well-known/webfinger";
    /// Authorization endpoint.
    pub const AUTHORIZE: &str = "/oxauth/restv1/authorize";
    /// Token endpoint.
    pub const TOKEN: &str = "/oxauth/restv1/token";
    /// UserInfo endpoint.
    pub const USERINFO: &str = "/oxauth/restv1/userinfo";
    /// JWK set.
    pub const JWKS: &str = "/oxauth/restv1/jwks";
    /// Dynamic registration and client configuration.
    pub const REGISTER: &str = "/oxauth/restv1/register";
    /// Token introspection.
    pub const INTROSPECTION: &str = "/oxauth/restv1/introspection";
    /// Token revocation.
    pub const REVOKE: &str = "/oxauth/restv1/revoke";
    /// RP-initiated logout.
    pub const END_SESSION: &str = "/oxauth/restv1/end_session";
    /// The OP iframe of OpenID Connect Session Management 1.0 (Gluu's path).
    pub const CHECK_SESSION_IFRAME: &str = "/oxauth/opiframe.htm";
    /// Login, OTP and consent pages live under this prefix.
    pub const INTERACTION: &str = "/oxauth/interaction";
}

/// Everything a handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The validated configuration.
    pub config: Arc<Config>,
    /// Issuer URL without trailing slash.
    pub issuer: Arc<str>,
    /// Signing keys.
    pub keys: Arc<KeySet>,
    /// Users.
    pub users: Arc<UserStore>,
    /// All mutable state.
    pub storage: Storage,
    /// Time source.
    pub clock: Arc<dyn Clock>,
    /// HTML templates.
    pub pages: Arc<Pages>,
    /// Pairwise subject key and salt.
    pub pairwise: Arc<crate::subjects::PairwiseSecrets>,
    /// The one client for the OP's outgoing fetches (`request_uri`, `jwks_uri`):
    /// [`crate::fetch::client`].
    pub http: reqwest::Client,
    /// The discovery document serialized: it follows from the configuration alone, so it is
    /// built at the first request, not at every one ([`crate::discovery::handler`]).
    pub discovery: Arc<std::sync::OnceLock<bytes::Bytes>>,
}

impl AppState {
    /// Builds the state: loads keys, hashes passwords, registers static clients and enrollments.
    pub fn new(config: Config, issuer: String, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        config.validate()?;
        let keys = KeySet::load(&config)?.with_clock(clock.clone());
        let users = UserStore::load(&config.users)?;
        let storage = Storage::in_memory();
        for (i, c) in config.clients.iter().enumerate() {
            let client = Client::from_config(c).with_context(|| format!("clients[{i}]"))?;
            storage
                .clients
                .insert(&client.client_id.clone(), Arc::new(client), NEVER);
        }
        for user in &config.users {
            if let Some(secret) = &user.otp_secret {
                let secret = crate::otp::decode_secret(secret).map_err(anyhow::Error::msg)?;
                storage.otp.insert(
                    &user.username,
                    OtpEnrollment {
                        secret,
                        last_step: None,
                    },
                    NEVER,
                );
            }
        }
        Ok(Self {
            pairwise: Arc::new(crate::subjects::PairwiseSecrets::new(&config.pairwise)),
            config: Arc::new(config),
            issuer: issuer.trim_end_matches('/').into(),
            keys: Arc::new(keys),
            users: Arc::new(users),
            storage,
            clock,
            pages: Arc::new(Pages::new()?),
            http: crate::fetch::client()?,
            discovery: Arc::default(),
        })
    }

    /// Current time (Unix seconds).
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Absolute URL of an OP path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }

    /// Whether cookies must be `Secure` (https issuer).
    pub fn secure_cookies(&self) -> bool {
        self.issuer.starts_with("https://")
    }
}

/// The axum router of the OP.
pub fn router(state: AppState) -> Router {
    use paths::*;
    Router::new()
        .route(DISCOVERY, get(crate::discovery::handler))
        .route(JWKS, get(crate::discovery::jwks))
        .route(WEBFINGER, get(crate::webfinger::handler))
        .route(
            AUTHORIZE,
            get(crate::authorize::get_handler).post(crate::authorize::post_handler),
        )
        .route(TOKEN, post(crate::grants::handler))
        .route(
            USERINFO,
            get(crate::userinfo::get_handler).post(crate::userinfo::post_handler),
        )
        .route(
            REGISTER,
            post(crate::registration::create)
                .get(crate::registration::read)
                .put(crate::registration::update)
                .delete(crate::registration::delete),
        )
        .route(
            INTROSPECTION,
            get(crate::introspection::get_handler).post(crate::introspection::post_handler),
        )
        .route(REVOKE, post(crate::revocation::handler))
        .route(
            END_SESSION,
            get(crate::end_session::get_handler).post(crate::end_session::post_handler),
        )
        .route(
            CHECK_SESSION_IFRAME,
            get(crate::logout::check_session::handler),
        )
        .merge(crate::interaction::routes())
        .with_state(state)
}

/// A running OP.
#[derive(Debug)]
pub struct Handle {
    server: gatecheck_serve::Server,
    issuer: String,
    keys: Arc<KeySet>,
    _purger: Purger,
}

/// The periodic purge of expired state; it runs as long as the OP does.
#[derive(Debug)]
struct Purger(JoinHandle<()>);

impl Drop for Purger {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Handle {
    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The issuer URL (e.g. `http://127.0.0.1:PORT`); discovery is at
    /// `{issuer}/.well-known/openid-configuration`.
    pub fn issuer(&self) -> String {
        self.issuer.clone()
    }

    /// The base URL of the listener (`http://ADDR`), which equals the issuer unless the config
    /// sets one.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The administrator's key rotation ([`KeySet::rotate`]): new signing keys are published
    /// now and sign from `key_rotation.publish_ahead` seconds later on the OP's clock; the
    /// keys they replace stay published for `key_rotation.grace`.
    pub fn rotate_keys(&self) -> anyhow::Result<crate::keys::Rotation> {
        self.keys.rotate()
    }

    /// Stops accepting connections and waits for in-flight requests.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// Starts the OP on `listener` with the wall clock.
pub async fn start(config: Config, listener: TcpListener) -> anyhow::Result<Handle> {
    start_with_clock(config, listener, Arc::new(SystemClock)).await
}

/// Starts the OP with an injected clock (tests move time with [`crate::ManualClock`]).
pub async fn start_with_clock(
    config: Config,
    listener: TcpListener,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Handle> {
    let addr = listener.local_addr().context("listener has no address")?;
    let issuer = config
        .issuer
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let state = AppState::new(config, issuer.clone(), clock)?;
    let keys = state.keys.clone();
    let purger = Purger(tokio::spawn(purge_periodically(state.clone())));
    let server = gatecheck_serve::Server::spawn(listener, router(state), "OP")?;
    tracing::info!("OP listening on {addr}, issuer {issuer}");
    Ok(Handle {
        server,
        issuer: issuer.trim_end_matches('/').to_owned(),
        keys,
        _purger: purger,
    })
}

async fn purge_periodically(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        // A pass visits every record of every table (a million live access tokens take
        // milliseconds): on a blocking thread, so the async worker it would occupy keeps
        // serving requests meanwhile.
        let storage = state.storage.clone();
        let now = state.now();
        match tokio::task::spawn_blocking(move || storage.purge_expired(now)).await {
            Ok(0) => {}
            Ok(purged) => tracing::debug!("purged {purged} expired records"),
            Err(e) => tracing::error!("the purge of expired records failed: {e}"),
        }
    }
}

/// Parses an `application/x-www-form-urlencoded` body or query string. A repeated parameter is an
/// error (RFC 6749 §3.1, §3.2).
pub fn parse_form(raw: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let mut map = HashMap::new();
    for (key, value) in url::form_urlencoded::parse(raw) {
        if map.insert(key.to_string(), value.into_owned()).is_some() {
            return Err(OAuthError::InvalidRequest(format!(
                "parameter `{key}` is repeated"
            )));
        }
    }
    Ok(map)
}

/// A state for unit tests: the fixture keys, no users or clients, issuer `https://op.example`,
/// a manual clock.
#[cfg(test)]
pub fn test_state() -> AppState {
    let config = Config {
        keys: crate::config::fixture_keys(),
        ..Default::default()
    };
    AppState::new(
        config,
        "https://op.example".into(),
        Arc::new(crate::clock::ManualClock::default()),
    )
    .expect("test state")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_rejected() {
        assert_eq!(parse_form(b"a=1&b=2").unwrap()["b"], "2");
        assert_eq!(
            parse_form(b"a=1&a=2").unwrap_err().code(),
            "invalid_request"
        );
        assert_eq!(
            parse_form(b"scope=openid+profile").unwrap()["scope"],
            "openid profile"
        );
    }
}
