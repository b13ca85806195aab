//! The `gatecheck` command line: runs the reference components standalone, tutorial stacks
//! (`gatecheck up`), the Gherkin features that replay the tutorials (`gatecheck run`) and the
//! tutorial's requesting party (`gatecheck rqp`).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// The servers (`gatecheck up`, `gateway`, `op`) allocate on every request: header maps,
/// bodies, JSON. mimalloc's per-thread free lists cost less there than glibc's arenas
/// (instructions per request with and without it: benches/load/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// gatecheck: executable conformance scenarios for OpenID Connect gateways.
#[derive(Debug, Parser)]
#[command(name = "gatecheck", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check and evaluate path/scope/ACR expression documents.
    #[command(subcommand)]
    Policy(cmd::policy::PolicyCommand),
    /// Run the reference OpenID Provider.
    Op(cmd::op::OpArgs),
    /// Run the reference oxd server.
    Oxd(cmd::oxd::OxdArgs),
    /// Run the reference gateway (Kong Admin API + proxy with the Gluu plugins).
    Gateway(cmd::gateway::GatewayArgs),
    /// Run the Gherkin features that replay the tutorials (default: all of features/).
    Run(cmd::run::RunArgs),
    /// Run the Gluu Gateway Admin GUI (services, routes, consumers, plugins through the Admin API).
    Gui(Box<cmd::gui::GuiArgs>),
    /// Run one of the tutorials' upstream apps (website, demo API, echo).
    Upstream(cmd::upstream::UpstreamArgs),
    /// Start a tutorial stack (OP, oxd, gateway, upstreams) and serve it until interrupted.
    Up(cmd::up::UpArgs),
    /// The requesting party of the spontaneous-scope tutorial (oauth-ss-demo.py).
    Rqp(cmd::rqp::RqpArgs),
    /// Target files: the real systems `gatecheck run --target FILE` runs the features against.
    #[command(subcommand)]
    Target(cmd::target::TargetCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Policy(command) => cmd::policy::run(command),
        Command::Op(args) => cmd::serve(cmd::op::run(args)),
        Command::Oxd(args) => cmd::serve(cmd::oxd::run(args)),
        Command::Gateway(args) => cmd::serve(cmd::gateway::run(args)),
        Command::Run(args) => cmd::run::run(args),
        Command::Upstream(args) => cmd::serve(cmd::upstream::run(args)),
        Command::Gui(args) => cmd::serve(cmd::gui::run(*args)),
        Command::Up(args) => cmd::serve(cmd::up::run(args)),
        Command::Rqp(args) => cmd::rqp::run(args),
        Command::Target(command) => cmd::target::run(command),
    }
}
