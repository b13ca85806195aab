//! `gatecheck gateway`: runs the reference Gluu Gateway (Kong Admin API + proxy) standalone.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;

/// Arguments of `gatecheck gateway`.
#[derive(Debug, clap::Args)]
pub struct GatewayArgs {
    /// Declarative configuration (`kong.yml`, YAML or JSON, `_format_version: "3.0"`) loaded at
    /// start; without it the gateway starts empty and is configured through the Admin API.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address of the proxy (Kong's 8000).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8000")]
    pub proxy_listen: SocketAddr,
    /// Also serve the proxy over TLS on this address (Kong's 8443).
    #[arg(long, value_name = "ADDR")]
    pub proxy_listen_ssl: Option<SocketAddr>,
    /// PEM certificate chain of the TLS listener (default: self-signed, generated at start).
    #[arg(long, value_name = "FILE", requires = "ssl_cert_key")]
    pub ssl_cert: Option<PathBuf>,
    /// PEM private key of `--ssl-cert`.
    #[arg(long, value_name = "FILE", requires = "ssl_cert")]
    pub ssl_cert_key: Option<PathBuf>,
    /// Peers (IPs or CIDR blocks) whose `X-Forwarded-Proto` is believed (Kong's `trusted_ips`).
    #[arg(long, value_name = "IP|CIDR", value_delimiter = ',')]
    pub trusted_ips: Vec<String>,
    /// Address of the Admin API (Kong's 8001).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8001")]
    pub admin_listen: SocketAddr,
    /// Secret sealing OIDC session cookies; gateways sharing it share sessions.
    #[arg(long, env = "GATECHECK_SESSION_SECRET", hide_env_values = true)]
    pub session_secret: Option<String>,
    /// File of the `openid-connect` plugin's own `private_key_jwt` signing keys (a private JWK
    /// set; generated there when absent), so restarts and other gateways sign with the same key.
    #[arg(long, value_name = "FILE")]
    pub openid_connect_jwks: Option<PathBuf>,
    /// Timeout in milliseconds of every plugin call to oxd or the OP.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub plugin_timeout_ms: u64,
}

/// Runs the gateway until Ctrl-C or SIGTERM.
pub async fn run(args: GatewayArgs) -> anyhow::Result<()> {
    let config = gatecheck_gateway::Config {
        declarative_config: args.config,
        declarative_config_string: None,
        plugin_http_timeout_ms: args.plugin_timeout_ms,
        session_secret: args.session_secret,
        proxy_listen_ssl: args.proxy_listen_ssl,
        ssl_cert: args.ssl_cert,
        ssl_cert_key: args.ssl_cert_key,
        trusted_ips: args.trusted_ips,
        openid_connect_jwks: args.openid_connect_jwks,
    };
    let proxy = tokio::net::TcpListener::bind(args.proxy_listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.proxy_listen))?;
    let admin = tokio::net::TcpListener::bind(args.admin_listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.admin_listen))?;
    let gateway = gatecheck_gateway::start(config, proxy, admin).await?;
    // Handlers first: a supervisor may signal as soon as it reads the announcement.
    let stop = crate::cmd::shutdown_signal();
    println!("proxy: {}", gateway.proxy_url());
    if let Some(url) = gateway.proxy_ssl_url() {
        println!("proxy (TLS): {url}");
    }
    println!("admin API: {}", gateway.admin_url());
    stop.await;
    gateway.shutdown().await;
    Ok(())
}
