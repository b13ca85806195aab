//! `gatecheck gui`: runs the Gluu Gateway Admin GUI standalone; `gatecheck gui hash-password`
//! prints the argon2 hash of a password read from stdin.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use url::Url;

/// Arguments of `gatecheck gui`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct GuiArgs {
    /// `hash-password`: read a password on stdin, print its argon2 hash.
    #[command(subcommand)]
    pub command: Option<GuiCommand>,
    /// A YAML or JSON file with the GUI's configuration (reference/gui/README.md); the flags
    /// below override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to serve on. GG's GUI is reachable on localhost only; another address needs
    /// --allow-remote.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:1338")]
    pub listen: SocketAddr,
    /// Serve on a non-loopback address.
    #[arg(long)]
    pub allow_remote: bool,
    /// The Kong Admin API.
    #[arg(long, value_name = "URL")]
    pub admin_url: Option<Url>,
    /// The oxd server.
    #[arg(long, value_name = "URL")]
    pub oxd_url: Option<Url>,
    /// The OpenID Provider (issuer URL).
    #[arg(long, value_name = "URL")]
    pub op_url: Option<Url>,
    /// The Kong proxy URL users open (redirect URIs of OpenID Connect clients are made from it).
    #[arg(long, value_name = "URL")]
    pub proxy_url: Option<Url>,
    /// Administrator login name.
    #[arg(long, default_value = "admin")]
    pub user: String,
    /// The administrator's argon2 password hash (`gatecheck gui hash-password`).
    #[arg(long, env = "GATECHECK_GUI_PASSWORD_HASH", hide_env_values = true)]
    pub password_hash: Option<String>,
    /// Seals session cookies (at least 32 characters); random per process when absent.
    #[arg(long, env = "GATECHECK_GUI_SESSION_SECRET", hide_env_values = true)]
    pub session_secret: Option<String>,
}

/// Subcommands of `gatecheck gui`.
#[derive(Debug, clap::Subcommand)]
pub enum GuiCommand {
    /// Read a password on stdin and print its argon2 hash for --password-hash.
    HashPassword,
}

fn load(args: &GuiArgs) -> anyhow::Result<gatecheck_gui::Config> {
    let mut doc: serde_json::Value = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            serde_yaml::from_str(&text)
                .with_context(|| format!("{}: not YAML or JSON", path.display()))?
        }
        None => serde_json::json!({}),
    };
    let obj = doc
        .as_object_mut()
        .context("the configuration file must be a mapping")?;
    let mut set = |key: &str, v: Option<&Url>| {
        if let Some(v) = v {
            obj.insert(key.into(), serde_json::json!(v.as_str()));
        }
    };
    set("admin_url", args.admin_url.as_ref());
    set("oxd_url", args.oxd_url.as_ref());
    set("op_url", args.op_url.as_ref());
    set("proxy_url", args.proxy_url.as_ref());
    if let Some(hash) = &args.password_hash {
        obj.insert(
            "users".into(),
            serde_json::json!([{"username": args.user, "password_hash": hash}]),
        );
    }
    if let Some(s) = &args.session_secret {
        obj.insert("session_secret".into(), serde_json::json!(s));
    }
    for key in ["admin_url", "oxd_url", "op_url"] {
        anyhow::ensure!(
            obj.contains_key(key),
            "--{} is required",
            key.replace('_', "-")
        );
    }
    anyhow::ensure!(
        obj.contains_key("users"),
        "--password-hash is required (make one with `gatecheck gui hash-password`)"
    );
    serde_json::from_value(doc).context("invalid GUI configuration")
}

/// Runs `gatecheck gui`.
pub async fn run(args: GuiArgs) -> anyhow::Result<()> {
    if let Some(GuiCommand::HashPassword) = args.command {
        let mut password = String::new();
        std::io::stdin()
            .read_line(&mut password)
            .context("cannot read the password from stdin")?;
        let password = password.trim_end_matches(['\r', '\n']);
        anyhow::ensure!(!password.is_empty(), "the password is empty");
        println!("{}", gatecheck_gui::hash_password(password)?);
        return Ok(());
    }
    anyhow::ensure!(
        args.listen.ip().is_loopback() || args.allow_remote,
        "{} is not a loopback address: the Admin GUI is served on localhost only unless --allow-remote is given",
        args.listen
    );
    let config = load(&args)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let gui = gatecheck_gui::start(config, listener).await?;
    // Handlers first: a supervisor may signal as soon as it reads the announcement.
    let stop = crate::cmd::shutdown_signal();
    println!("Admin GUI: {}", gui.url());
    stop.await;
    gui.shutdown().await;
    Ok(())
}
