//! `gatecheck policy`: check and evaluate expression documents.

use std::process::ExitCode;

/// `gatecheck policy` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PolicyCommand {
    /// Validate an expression document.
    Check {
        /// The expression document (JSON).
        file: std::path::PathBuf,
    },
}

/// Runs a `gatecheck policy` subcommand.
pub fn run(_command: PolicyCommand) -> ExitCode {
    eprintln!("gatecheck policy is not built yet");
    ExitCode::from(2)
}
