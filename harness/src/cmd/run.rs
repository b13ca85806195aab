//! `gatecheck run`: runs the Gherkin features against in-process reference stacks, or against the
//! systems of a target file (`--target FILE`).

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `gatecheck run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Feature files or directories [default: features/].
    #[arg(value_name = "FEATURES")]
    pub features: Vec<PathBuf>,
    /// Tag expression selecting scenarios, e.g. `@seed-002 and not @slow` (default: `not @wip`).
    #[arg(long, value_name = "EXPR")]
    pub tags: Option<String>,
    /// Write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a Cucumber JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// How many scenarios run at the same time [default: 64].
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Write a static HTML report (every step's HTTP exchanges and screenshots) into DIR.
    #[arg(long, value_name = "DIR")]
    pub html: Option<PathBuf>,
    /// Show passwords, client secrets, tokens and cookies in the HTML report and the JSON
    /// embeddings instead of masking them.
    #[arg(long)]
    pub reveal_secrets: bool,
    /// Which browser runs the browser steps: the scripted one, or headless Chromium (Debian's
    /// `chromium` and `chromium-driver`), which also screenshots every page into the report.
    #[arg(long, value_enum, default_value_t = gatecheck_harness::runner::BrowserKind::Scripted)]
    pub browser: gatecheck_harness::runner::BrowserKind,
    /// Run against the systems a target file names (see `gatecheck target check`) instead of
    /// the in-process reference stack.
    #[arg(long, value_name = "FILE", env = "GATECHECK_TARGET")]
    pub target: Option<PathBuf>,
}

/// Runs the features; exit status 0 only when every selected scenario passed.
pub fn run(args: RunArgs) -> ExitCode {
    if let Ok(exe) = std::env::current_exe() {
        gatecheck_harness::world::set_gatecheck_exe(exe);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = gatecheck_harness::runner::RunOptions {
        paths: args.features,
        tags: args.tags,
        junit: args.junit,
        json: args.json,
        concurrency: args.concurrency,
        html: args.html,
        reveal_secrets: args.reveal_secrets,
        browser: args.browser,
        target: args.target,
    };
    match runtime.block_on(gatecheck_harness::runner::run(options)) {
        Ok(summary) if summary.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
