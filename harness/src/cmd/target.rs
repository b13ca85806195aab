//! `gatecheck target check FILE`: validates a target file and probes every component it names.

use std::path::PathBuf;
use std::process::ExitCode;

/// `gatecheck target ...`.
#[derive(Debug, clap::Subcommand)]
pub enum TargetCommand {
    /// Check a target file and probe its components: what answers, the OP's endpoints and
    /// capabilities from discovery, the gateway's plugins, and which tagged scenarios would be
    /// skipped and why. Exit status 1 when a component does not answer, 2 for a bad file.
    Check {
        /// The target file (YAML).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

/// Runs a `target` subcommand.
pub fn run(command: TargetCommand) -> ExitCode {
    let TargetCommand::Check { file } = command;
    let parsed = match gatecheck_harness::target::TargetFile::load(&file) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(gatecheck_harness::target::probe::probe(&parsed)) {
        Ok(report) => {
            print!("{}", report.text);
            if report.reachable {
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "error: some components of {} did not answer",
                    file.display()
                );
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
