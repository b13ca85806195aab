//! Runs every feature in `features/` (skipping `@wip`) as part of `cargo test`; cucumber owns
//! the output, which ends with the plain line `N passed, N failed`. Exits non-zero on failure.
//!
//! `GATECHECK_TAGS` overrides the tag expression (e.g. `GATECHECK_TAGS=@wip`);
//! `GATECHECK_TARGET=FILE` runs them against a target file's systems.
//! The components' logs go to stderr filtered by `GATECHECK_TEST_LOG` (default: why
//! openid-connect refused a request, so that a scenario failing in CI says why the gateway
//! answered as it did; `off` silences it).

use std::process::ExitCode;

fn main() -> ExitCode {
    gatecheck_harness::world::set_gatecheck_exe(env!("CARGO_BIN_EXE_gatecheck").into());
    let filter = std::env::var("GATECHECK_TEST_LOG")
        .unwrap_or_else(|_| "gatecheck_gateway::plugins::openid_connect=info".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = gatecheck_harness::runner::RunOptions {
        tags: std::env::var("GATECHECK_TAGS")
            .ok()
            .filter(|t| !t.trim().is_empty()),
        target: std::env::var_os("GATECHECK_TARGET")
            .filter(|t| !t.is_empty())
            .map(Into::into),
        ..Default::default()
    };
    match runtime.block_on(gatecheck_harness::runner::run(options)) {
        Ok(summary) if summary.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            println!("0 passed, 1 failed");
            ExitCode::FAILURE
        }
    }
}
