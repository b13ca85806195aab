//! `gatecheck oxd`: placeholder until the oxd crate lands.

/// Arguments of `gatecheck oxd`.
#[derive(Debug, clap::Args)]
pub struct OxdArgs {}

/// Runs the oxd until interrupted.
pub async fn run(_args: OxdArgs) -> anyhow::Result<()> {
    anyhow::bail!("gatecheck oxd is not built yet")
}
