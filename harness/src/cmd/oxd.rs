//! `gatecheck oxd`: runs the reference oxd server standalone.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;

/// Arguments of `gatecheck oxd`.
#[derive(Debug, clap::Args)]
pub struct OxdArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// oxd configuration file (YAML or JSON); defaults apply without one.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Runs oxd until Ctrl-C or SIGTERM.
pub async fn run(args: OxdArgs) -> anyhow::Result<()> {
    let config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            gatecheck_oxd::Config::from_yaml_str(&text)
                .with_context(|| format!("invalid oxd config {}", path.display()))?
        }
        None => gatecheck_oxd::Config::default(),
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let oxd = gatecheck_oxd::start(config, listener).await?;
    // Handlers first: a supervisor may signal as soon as it reads the announcement.
    let stop = crate::cmd::shutdown_signal();
    println!("oxd listening on {}", oxd.url());
    stop.await;
    oxd.shutdown().await;
    Ok(())
}
