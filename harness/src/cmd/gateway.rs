//! `gatecheck gateway`: placeholder until the gateway crate lands.

/// Arguments of `gatecheck gateway`.
#[derive(Debug, clap::Args)]
pub struct GatewayArgs {}

/// Runs the gateway until interrupted.
pub async fn run(_args: GatewayArgs) -> anyhow::Result<()> {
    anyhow::bail!("gatecheck gateway is not built yet")
}
