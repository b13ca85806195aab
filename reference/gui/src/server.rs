//! Shared state, the router, [`start`] and the server [`Handle`].

use std::sync::Arc;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::kong::Kong;
use crate::oxd::Oxd;
use crate::pages;
use crate::session::{self, Sessions};

/// Everything a page handler needs.
#[derive(Debug)]
pub struct App {
    /// The configuration.
    pub config: Config,
    /// The Kong Admin API.
    pub kong: Kong,
    /// oxd.
    pub oxd: Oxd,
    /// Sessions.
    pub sessions: Sessions,
    /// Verified for an unknown username, so both failures cost the same.
    pub dummy_hash: String,
}

/// Shared handle on [`App`].
pub type AppState = Arc<App>;

impl App {
    /// Builds the state: one HTTP client (timeouts, no redirects) for the Admin API and oxd.
    pub fn new(config: Config) -> anyhow::Result<Self> {
        config.validate()?;
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout())
            .connect_timeout(config.request_timeout())
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let sessions = Sessions::new(
            config.session_secret.as_deref(),
            Duration::from_secs(config.session_idle_secs.max(60)),
            config.secure_cookie,
        );
        Ok(Self {
            kong: Kong::new(http.clone(), config.admin_url.clone()),
            oxd: Oxd::new(http, config.oxd_url.clone()),
            sessions,
            dummy_hash: dummy_hash(&config)?,
            config,
        })
    }
}

/// The hash an unknown username is checked against: the first administrator's cost, so an
/// unknown username costs what a known one does ([`gatecheck_passwords::dummy_like`]: one per
/// cost per process, as the harness starts a GUI per scenario).
fn dummy_hash(config: &Config) -> anyhow::Result<String> {
    let like = config.users.first().map(|u| u.password_hash.as_str());
    Ok(gatecheck_passwords::dummy_like(like)?)
}

/// The GUI's router (every page behind [`session::gate`]).
pub fn router(app: AppState) -> Router {
    use pages::{consumers, dashboard, login, plugins, routes, services};
    Router::new()
        .route("/", get(dashboard::show))
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/assets/{name}",
            get(
                |axum::extract::Path(name): axum::extract::Path<String>| async move {
                    crate::views::asset(&name)
                },
            ),
        )
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/services", get(services::list).post(services::create))
        .route("/services/new", get(services::new_form))
        .route("/services/{id}", get(services::show).post(services::update))
        .route(
            "/services/{id}/delete",
            get(services::confirm_delete).post(services::delete),
        )
        .route(
            "/services/{id}/routes",
            get(routes::list_of_service).post(routes::create),
        )
        .route("/services/{id}/routes/new", get(routes::new_form))
        .route("/routes", get(routes::list))
        .route("/routes/{id}", get(routes::show).post(routes::update))
        .route(
            "/routes/{id}/delete",
            get(routes::confirm_delete).post(routes::delete),
        )
        .route("/consumers", get(consumers::list).post(consumers::create))
        .route("/consumers/new", get(consumers::new_form))
        .route(
            "/consumers/clients/new",
            get(consumers::client_form).post(consumers::create_client),
        )
        .route(
            "/consumers/{id}/delete",
            get(consumers::confirm_delete).post(consumers::delete),
        )
        .route("/plugins", get(plugins::list_global))
        .route("/plugins/add", get(plugins::catalog_global))
        .route(
            "/plugins/add/{kind}",
            get(plugins::add_form_global).post(plugins::add_global),
        )
        .route("/services/{id}/plugins", get(plugins::list_service))
        .route("/services/{id}/plugins/add", get(plugins::catalog_service))
        .route(
            "/services/{id}/plugins/add/{kind}",
            get(plugins::add_form_service).post(plugins::add_service),
        )
        .route("/routes/{id}/plugins", get(plugins::list_route))
        .route("/routes/{id}/plugins/add", get(plugins::catalog_route))
        .route(
            "/routes/{id}/plugins/add/{kind}",
            get(plugins::add_form_route).post(plugins::add_route),
        )
        .route(
            "/plugins/{id}",
            get(plugins::edit_form).post(plugins::update),
        )
        .route("/plugins/{id}/toggle", post(plugins::toggle))
        .route(
            "/plugins/{id}/delete",
            get(plugins::confirm_delete).post(plugins::delete),
        )
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            session::gate,
        ))
        .with_state(app)
}

/// A running GUI (`url()` is its base). Dropping it aborts the server task.
pub type Handle = gatecheck_serve::Server;

/// Starts the GUI on `listener`.
pub async fn start(config: Config, listener: TcpListener) -> anyhow::Result<Handle> {
    let app = Arc::new(App::new(config)?);
    Ok(Handle::spawn(listener, router(app), "gui")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(m_cost: u32) -> Config {
        let cost = gatecheck_passwords::Cost::argon2id(m_cost, 1, 1).unwrap();
        let hash = gatecheck_passwords::hash_with("pw", &cost).unwrap();
        serde_json::from_value(serde_json::json!({
            "admin_url": "http://127.0.0.1:1", "oxd_url": "http://127.0.0.1:2",
            "op_url": "http://127.0.0.1:3",
            "users": [{"username": "admin", "password_hash": hash}]
        }))
        .unwrap()
    }

    #[test]
    fn the_dummy_has_the_users_parameters_and_is_made_once_per_set() {
        let a = dummy_hash(&config(72)).unwrap();
        let b = dummy_hash(&config(72)).unwrap();
        assert_eq!(a, b, "same parameters, one dummy");
        assert!(a.starts_with("$argon2id$v=19$m=72,t=1,p=1$"), "{a}");
        let c = dummy_hash(&config(136)).unwrap();
        assert!(c.starts_with("$argon2id$v=19$m=136,t=1,p=1$"), "{c}");
    }
}
