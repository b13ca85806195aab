//! One module per subcommand.

use std::future::Future;
use std::process::ExitCode;

pub mod gateway;
pub mod gui;
pub mod huge_pages;
pub mod op;
pub mod oxd;
pub mod policy;
pub mod rqp;
pub mod run;
pub mod target;
pub mod up;
pub mod upstream;

/// Runs a long-lived server subcommand on a multi-threaded runtime, with logging to stderr
/// and without transparent huge pages ([`huge_pages`]).
pub fn serve(fut: impl Future<Output = anyhow::Result<()>>) -> ExitCode {
    init_tracing();
    huge_pages::disable_unless_allowed();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(fut) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr; `RUST_LOG` overrides the default `info` level.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Resolves when the process receives Ctrl-C or SIGTERM.
///
/// The handlers are installed when this is called, not when the future is first polled, so a
/// caller can install them before it announces readiness (a supervisor that signals right after
/// reading the announcement must not kill the process with the default action). Call it inside
/// the runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let terminate = signal(SignalKind::terminate()).ok();
        let interrupt = signal(SignalKind::interrupt()).ok();
        async move {
            let terminate = async {
                match terminate {
                    Some(mut sig) => {
                        sig.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let interrupt = async {
                match interrupt {
                    Some(mut sig) => {
                        sig.recv().await;
                    }
                    None => {
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
            };
            tokio::select! {
                _ = terminate => {},
                _ = interrupt => {},
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
