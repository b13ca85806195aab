//! `gatecheck op`: placeholder until the op crate lands.

/// Arguments of `gatecheck op`.
#[derive(Debug, clap::Args)]
pub struct OpArgs {}

/// Runs the op until interrupted.
pub async fn run(_args: OpArgs) -> anyhow::Result<()> {
    anyhow::bail!("gatecheck op is not built yet")
}
