//! gatecheck-gateway: the reference Gluu Gateway — a Kong-compatible Admin API, router and
//! proxy running the Gluu plugins (`docs/gluu-gateway.md`; the Admin API as in
//! `docs/kong.md#admin-api`; deliberate differences in `docs/differences.md#gateway-plugins`).
//!
//! ```text
//! client ─▶ proxy listener ─▶ path::normalize ─▶ router (Kong precedence) ─▶ plugin chain
//!          (per route, by priority: oauth-auth 999 ▸ openid-connect 997 ▸ oauth-pep 996)
//!          ─▶ upstream_pool (keep-alive per service authority) ─▶ service
//! admin ─▶ Admin API (axum) ─▶ store::State (copy, validate, build plugins) ─▶ runtime swap
//! ```
//!
//! Start it in-process with [`start`], or from the CLI with `gatecheck gateway`.
#![warn(missing_docs)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;
use tokio::net::TcpListener;

pub mod admin;
pub mod cache;
mod client_body;
pub mod clock;
pub mod declarative;
pub mod entities;
pub mod error;
pub mod gateway;
pub mod idle_body;
pub mod path;
pub mod plugins;
pub mod proxy;
pub mod router;
pub mod rp;
pub mod runtime;
pub mod schema;
pub mod store;
pub mod tls;
pub mod upstream_pool;
mod yaml_depth;

/// Gateway configuration (what `gatecheck gateway` and scenario files give).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Path of a declarative `kong.yml` (YAML or JSON) loaded at start. Default: none.
    #[serde(default)]
    pub declarative_config: Option<PathBuf>,
    /// An inline declarative config: YAML/JSON text or the document itself. Default: none.
    /// When both are given the file is loaded and this one is refused.
    #[serde(default)]
    pub declarative_config_string: Option<serde_json::Value>,
    /// Timeout in milliseconds of every call a plugin makes to oxd or the OP. Default 10000.
    #[serde(default = "default_plugin_timeout")]
    pub plugin_http_timeout_ms: u64,
    /// Secret sealing OIDC session cookies; gateways with the same secret share sessions.
    /// Default: a random secret per process.
    #[serde(default)]
    pub session_secret: Option<String>,
    /// Also serve the proxy over TLS on this address (Kong's `proxy_listen … ssl`, e.g.
    /// `127.0.0.1:8443`; port 0 picks one). Default: no TLS listener.
    #[serde(default)]
    pub proxy_listen_ssl: Option<SocketAddr>,
    /// PEM certificate chain of the TLS listener. Default: a self-signed certificate generated
    /// at start.
    #[serde(default)]
    pub ssl_cert: Option<PathBuf>,
    /// PEM private key of `ssl_cert`.
    #[serde(default)]
    pub ssl_cert_key: Option<PathBuf>,
    /// Peers (IP addresses or CIDR blocks) whose `X-Forwarded-Proto` is believed, as Kong's
    /// `trusted_ips`. Default: none.
    #[serde(default)]
    pub trusted_ips: Vec<String>,
    /// File holding the `openid-connect` plugin's own signing keys (a private JWK set, written
    /// with mode 0600 when the gateway generates the key): gateways given the same file, or a
    /// restarted one, sign `private_key_jwt` assertions with the same key, as Kong's keyring in
    /// its database does. Default: a key generated in memory per process (Kong's DB-less mode).
    #[serde(default)]
    pub openid_connect_jwks: Option<PathBuf>,
}

fn default_plugin_timeout() -> u64 {
    10_000
}

impl Default for Config {
    fn default() -> Self {
        Self {
            declarative_config: None,
            declarative_config_string: None,
            plugin_http_timeout_ms: default_plugin_timeout(),
            session_secret: None,
            proxy_listen_ssl: None,
            ssl_cert: None,
            ssl_cert_key: None,
            trusted_ips: Vec::new(),
            openid_connect_jwks: None,
        }
    }
}

impl Config {
    fn trusted_ips(&self) -> anyhow::Result<Vec<ipnet::IpNet>> {
        self.trusted_ips
            .iter()
            .map(|t| {
                t.parse::<ipnet::IpNet>()
                    .or_else(|_| t.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        anyhow::anyhow!("trusted_ips: {t:?} is not an IP address or CIDR block")
                    })
            })
            .collect()
    }

    fn env(&self, clock: clock::SharedClock) -> plugins::PluginEnv {
        let session_key = match &self.session_secret {
            Some(secret) => {
                use sha2::Digest;
                let digest = sha2::Sha512::digest(secret.as_bytes());
                cookie::Key::from(&digest[..])
            }
            None => cookie::Key::generate(),
        };
        plugins::PluginEnv {
            http_timeout: Duration::from_millis(self.plugin_http_timeout_ms.max(1)),
            session_key,
            clock,
            oauth2_tokens: plugins::openid_connect::kong_oauth2::none(),
            issuers: Arc::default(),
            client_keys: Arc::new(rp::keys::Keyring::new(self.openid_connect_jwks.clone())),
        }
    }

    fn initial_state(&self, env: &plugins::PluginEnv) -> anyhow::Result<store::State> {
        let doc = match (&self.declarative_config, &self.declarative_config_string) {
            (Some(_), Some(_)) => {
                anyhow::bail!(
                    "give either declarative_config or declarative_config_string, not both"
                )
            }
            (Some(path), None) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                Some(declarative::parse_text(&text).map_err(describe)?)
            }
            (None, Some(serde_json::Value::String(text))) => {
                Some(declarative::parse_text(text).map_err(describe)?)
            }
            (None, Some(doc)) => Some(doc.clone()),
            (None, None) => None,
        };
        match doc {
            Some(doc) => declarative::load(&doc, env).map_err(describe),
            None => Ok(store::State::default()),
        }
    }
}

fn describe(e: error::AdminError) -> anyhow::Error {
    use axum::response::IntoResponse;
    match &e {
        error::AdminError::Declarative { fields, .. } => {
            anyhow::anyhow!("invalid declarative configuration: {fields}")
        }
        _ => {
            let status = e.clone().into_response().status();
            anyhow::anyhow!("invalid declarative configuration ({status}): {e:?}")
        }
    }
}

/// A running gateway; dropping it stops both listeners.
#[derive(Debug)]
pub struct Handle {
    proxy: gatecheck_serve::Server,
    proxy_ssl: Option<(
        gatecheck_serve::Server,
        Vec<tokio_rustls::rustls::pki_types::CertificateDer<'static>>,
    )>,
    admin: gatecheck_serve::Server,
    gateway: Arc<gateway::Gateway>,
}

impl Handle {
    /// Base URL of the proxy, e.g. `http://127.0.0.1:8000`.
    pub fn proxy_url(&self) -> String {
        self.proxy.url()
    }

    /// Base URL of the TLS proxy listener, e.g. `https://127.0.0.1:8443`, if there is one.
    pub fn proxy_ssl_url(&self) -> Option<String> {
        self.proxy_ssl.as_ref().map(|(s, _)| s.url())
    }

    /// The TLS listener's certificate chain (leaf first), to trust it in a client.
    pub fn proxy_ssl_certificate(
        &self,
    ) -> Option<&[tokio_rustls::rustls::pki_types::CertificateDer<'static>]> {
        self.proxy_ssl.as_ref().map(|(_, c)| c.as_slice())
    }

    /// Base URL of the Admin API, e.g. `http://127.0.0.1:8001`.
    pub fn admin_url(&self) -> String {
        self.admin.url()
    }

    /// The proxy's bound address.
    pub fn proxy_addr(&self) -> SocketAddr {
        self.proxy.addr()
    }

    /// The Admin API's bound address.
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin.addr()
    }

    /// The shared gateway (state and runtime), for in-process inspection.
    pub fn gateway(&self) -> &Arc<gateway::Gateway> {
        &self.gateway
    }

    /// Stops accepting connections and waits for in-flight requests: the proxy first, so no
    /// request is proxied under a configuration the Admin API can no longer change.
    pub async fn shutdown(self) {
        if let Some((tls, _)) = self.proxy_ssl {
            tls.shutdown().await;
        }
        self.proxy.shutdown().await;
        self.admin.shutdown().await;
    }
}

/// Starts the gateway on already-bound proxy and admin listeners. Fails (and serves nothing)
/// when the declarative config cannot be enforced.
pub async fn start(
    config: Config,
    proxy_listener: TcpListener,
    admin_listener: TcpListener,
) -> anyhow::Result<Handle> {
    start_with_clock(config, proxy_listener, admin_listener, clock::system()).await
}

/// [`start`] with the clock every plugin reads (tests move a [`clock::ManualClock`] to watch
/// cached tokens, grants and sessions expire).
pub async fn start_with_clock(
    config: Config,
    proxy_listener: TcpListener,
    admin_listener: TcpListener,
    clock: clock::SharedClock,
) -> anyhow::Result<Handle> {
    // The runtime tables exist before any plugin is configured: openid-connect's `kong_oauth2`
    // method holds the `oauth2` plugin's token store from its start.
    let tables = Arc::new(entities::Tables::new());
    let mut env = config.env(clock);
    env.oauth2_tokens = tables.kong_oauth2_tokens();
    let trusted = config.trusted_ips()?;
    let identity = match config.proxy_listen_ssl {
        Some(_) => Some(tls::Identity::load(
            config.ssl_cert.as_deref(),
            config.ssl_cert_key.as_deref(),
        )?),
        None if config.ssl_cert.is_some() || config.ssl_cert_key.is_some() => {
            anyhow::bail!("ssl_cert and ssl_cert_key need proxy_listen_ssl")
        }
        None => None,
    };
    let state = config.initial_state(&env)?;
    let gateway = Arc::new(gateway::Gateway::new(state, env, tables).with_trusted_ips(trusted));
    let proxy_addr = proxy_listener.local_addr()?;
    let admin_addr = admin_listener.local_addr()?;
    let proxy_ssl = match (config.proxy_listen_ssl, identity) {
        (Some(addr), Some(identity)) => {
            let listener = TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            let port = listener.local_addr()?.port();
            let server = gatecheck_serve::Server::spawn_handler_tls(
                listener,
                proxy::handler(gateway.clone(), port),
                identity.server_config()?,
                "TLS proxy",
            )?;
            tracing::info!(addr = %server.addr(), "TLS proxy listening");
            Some((server, identity.chain))
        }
        _ => None,
    };
    let admin_app = admin::router(gateway.clone());
    let proxy = gatecheck_serve::Server::spawn_handler(
        proxy_listener,
        proxy::handler(gateway.clone(), proxy_addr.port()),
        "proxy",
    )?;
    let admin = gatecheck_serve::Server::spawn(admin_listener, admin_app, "admin API")?;
    tracing::info!(%proxy_addr, %admin_addr, "gateway listening");
    Ok(Handle {
        proxy,
        proxy_ssl,
        admin,
        gateway,
    })
}
