//! Shared state, the router, [`start`] and the server [`Handle`].

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tokio::net::TcpListener;

use crate::api;
use crate::config::Config;
use crate::error::OxdError;
use crate::protection::ProtectionTokens;
use crate::provider::{normalise_op_host, Providers};
use crate::request::{required, MAX_BODY_BYTES};
use crate::store::{MemoryStore, Site, SiteStore};

/// Everything a command handler needs.
pub struct App {
    /// The configuration.
    pub config: Config,
    /// Sites and pending authorizations.
    pub store: Arc<dyn SiteStore>,
    /// OP discovery cache and HTTP client.
    pub providers: Providers,
    /// Protection tokens handed out.
    pub protection: ProtectionTokens,
}

/// Shared handle on [`App`].
pub type AppState = Arc<App>;

impl App {
    /// Builds the state (HTTP client with the configured timeouts, redirects never followed).
    pub fn new(config: Config, store: Arc<dyn SiteStore>) -> anyhow::Result<Self> {
        config.validate()?;
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout())
            .timeout(config.request_timeout())
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let providers = Providers::new(
            http,
            std::time::Duration::from_secs(config.discovery_cache_secs.max(1)),
        );
        Ok(Self {
            config,
            store,
            providers,
            protection: ProtectionTokens::default(),
        })
    }

    /// The site named by a request's `oxd_id`.
    pub fn site(&self, oxd_id: Option<String>) -> Result<Site, OxdError> {
        let oxd_id = required(oxd_id, "oxd_id")?;
        self.store
            .site(oxd_id.trim())
            .ok_or(OxdError::UnknownOxdId(oxd_id))
    }

    /// A request's `op_host`, or the configured default, normalised.
    pub fn op_host(&self, op_host: Option<String>) -> Result<String, OxdError> {
        match op_host.filter(|s| !s.trim().is_empty()) {
            Some(h) => normalise_op_host(&h),
            None => match &self.config.default_op_host {
                Some(h) => normalise_op_host(h),
                None => Err(OxdError::MissingField("op_host")),
            },
        }
    }
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(health))
        .route("/health-check", get(health))
        .route("/register-site", post(api::site::register_site))
        .route("/update-site", post(api::site::update_site))
        .route("/remove-site", post(api::site::remove_site))
        .route("/get-client-token", post(api::token::get_client_token))
        .route(
            "/get-access-token-by-refresh-token",
            post(api::token::get_access_token_by_refresh_token),
        )
        .route(
            "/introspect-access-token",
            post(api::introspect::introspect_access_token),
        )
        .route("/get-jwks", post(api::jwks::get_jwks))
        .route(
            "/get-authorization-url",
            post(api::authorization::get_authorization_url),
        )
        .route("/get-tokens-by-code", post(api::code::get_tokens_by_code))
        .route("/get-user-info", post(api::userinfo::get_user_info))
        .route("/get-logout-uri", post(api::logout::get_logout_uri))
        .fallback(|| async { OxdError::NotFound })
        .method_not_allowed_fallback(|| async { OxdError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Readiness (GG's test mock expects a `HEAD` first; `GET`/`HEAD` both answer).
async fn health() -> Json<serde_json::Value> {
    Json(json!({"status": "running"}))
}

/// A running oxd server (`url()` is the base of every `POST {url}/<command>`). Dropping it
/// aborts the server task.
pub type Handle = gatecheck_serve::Server;

/// Starts oxd on `listener` with in-memory storage.
pub async fn start(config: Config, listener: TcpListener) -> anyhow::Result<Handle> {
    start_with_store(config, listener, Arc::new(MemoryStore::default())).await
}

/// Starts oxd on `listener` with the given site storage.
pub async fn start_with_store(
    config: Config,
    listener: TcpListener,
    store: Arc<dyn SiteStore>,
) -> anyhow::Result<Handle> {
    let app = Arc::new(App::new(config, store)?);
    Ok(Handle::spawn(listener, router(app), "oxd")?)
}
