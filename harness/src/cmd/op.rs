//! `gatecheck op`: runs the reference OpenID Provider standalone.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;

/// Arguments of `gatecheck op`.
#[derive(Debug, clap::Args)]
pub struct OpArgs {
    /// OP configuration file (YAML or TOML), e.g. fixtures/op/op.yml.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
}

/// Runs the OP until Ctrl-C or SIGTERM.
pub async fn run(args: OpArgs) -> anyhow::Result<()> {
    let config = gatecheck_op::Config::from_path(&args.config)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let op = gatecheck_op::start(config, listener).await?;
    // Handlers first: a supervisor may signal as soon as it reads the announcement.
    let stop = crate::cmd::shutdown_signal();
    println!("OpenID Provider issuer: {}", op.issuer());
    println!(
        "discovery: {}/.well-known/openid-configuration",
        op.issuer()
    );
    stop.await;
    op.shutdown().await;
    Ok(())
}
