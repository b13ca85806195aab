//! `gatecheck up SCENARIO`: starts a tutorial stack and serves it until Ctrl-C or SIGTERM,
//! printing every URL, user, password and the tutorial's commands with the real values.

use gatecheck_harness::scenario::{PortMode, Scenario};
use gatecheck_harness::stack::Stack;

/// Arguments of `gatecheck up`.
#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// Scenario name (`stepped-up-otp`, `spontaneous-scope`, `combined`) or a scenario file.
    pub scenario: String,
    /// Listen on ephemeral ports instead of the tutorial's (OP 8080, oxd 8443, proxy 8000,
    /// admin 8001, Admin GUI 1338, website 4400, API 3000).
    #[arg(long)]
    pub ephemeral: bool,
    /// Print one JSON object describing the stack as the first stdout line.
    #[arg(long)]
    pub json: bool,
}

/// Starts the stack and serves until interrupted.
pub async fn run(args: UpArgs) -> anyhow::Result<()> {
    // Installed before the stack is announced: a driver may signal right after the first line.
    let stop = crate::cmd::shutdown_signal();
    let scenario = Scenario::load(&args.scenario)?;
    let mode = if args.ephemeral {
        PortMode::Ephemeral
    } else {
        PortMode::Tutorial
    };
    let stack = Stack::start(&scenario, mode).await?;
    if args.json {
        println!("{}", serde_json::to_string(&stack.describe())?);
    }
    print!("{}", guide(&scenario, &stack));
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    stop.await;
    eprintln!("shutting down {} ...", scenario.name);
    stack.shutdown().await;
    Ok(())
}

/// The human-readable description: URLs, users, clients, routes and the guide.
pub fn guide(scenario: &Scenario, stack: &Stack) -> String {
    let d = stack.describe();
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!(
        "gatecheck stack {:?} is running: {}",
        scenario.name, scenario.description
    ));
    line(String::new());
    line(format!(
        "  OpenID Provider  {}  (discovery: {}/.well-known/openid-configuration)",
        stack.op.issuer(),
        stack.op.issuer()
    ));
    line(format!("  oxd              {}", stack.oxd.url()));
    line(format!("  Kong proxy       {}", stack.proxy_url()));
    if let Some(url) = stack.gateway.proxy_ssl_url() {
        line(format!("  Kong proxy (TLS) {url}  (self-signed: curl -k)"));
    }
    line(format!("  Kong Admin API   {}", stack.admin_url()));
    line(format!(
        "  Admin GUI        {}  (log in as {} / {})",
        stack.gui.url(),
        stack.gui_user.username,
        stack.gui_user.password
    ));
    for (name, url) in &d.upstreams {
        line(format!("  upstream {name:<8}{url}"));
    }
    line(String::new());
    for u in &d.users {
        line(format!("  user {} / password {}", u.username, u.password));
    }
    for c in &d.clients {
        line(format!(
            "  client {}: client_id {} client_secret {} oxd_id {}",
            c.name, c.client_id, c.client_secret, c.oxd_id
        ));
    }
    for r in &d.routes {
        let hosts = if r.hosts.is_empty() {
            "any host".to_owned()
        } else {
            r.hosts.join(", ")
        };
        let paths = if r.paths.is_empty() {
            "any path".to_owned()
        } else {
            r.paths.join(", ")
        };
        line(format!("  route of {}: {hosts}; {paths}", r.service));
    }
    for (title, text) in &stack.guide {
        line(String::new());
        line(format!("# {title}"));
        line(text.clone());
    }
    line(String::new());
    line("Ctrl-C or SIGTERM stops the stack.".to_owned());
    out
}
