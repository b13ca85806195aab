//! `gatecheck upstream`: runs one of the tutorials' upstream apps standalone.

use std::net::SocketAddr;

use anyhow::Context;

/// Which upstream app to serve.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum UpstreamApp {
    /// The step-up tutorial's website (seed 000; the tutorial serves it on port 4400).
    Website,
    /// The spontaneous-scope tutorial's API (seed 002; the tutorial serves it on port 3000).
    DemoApi,
    /// httpbin-style echo: answers every request with the request it received, as JSON.
    Echo,
    /// httpbin's `/anything` in httpbin's JSON shape (Kong's OIDC guides; port 3002).
    Httpbin,
}

impl UpstreamApp {
    fn app(self) -> gatecheck_upstream::App {
        match self {
            UpstreamApp::Website => gatecheck_upstream::App::Website,
            UpstreamApp::DemoApi => gatecheck_upstream::App::DemoApi,
            UpstreamApp::Echo => gatecheck_upstream::App::Echo,
            UpstreamApp::Httpbin => gatecheck_upstream::App::Httpbin,
        }
    }

    /// The tutorial's port for this app; the echo gets the port `gatecheck up` gives it.
    fn default_listen(self) -> SocketAddr {
        let port = match self {
            UpstreamApp::Website => 4400,
            UpstreamApp::DemoApi => 3000,
            UpstreamApp::Echo => 3001,
            UpstreamApp::Httpbin => 3002,
        };
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn name(self) -> &'static str {
        match self {
            UpstreamApp::Website => "website",
            UpstreamApp::DemoApi => "demo API",
            UpstreamApp::Echo => "echo",
            UpstreamApp::Httpbin => "httpbin",
        }
    }
}

/// Arguments of `gatecheck upstream`.
#[derive(Debug, clap::Args)]
pub struct UpstreamArgs {
    /// The app to serve.
    #[arg(value_enum)]
    pub app: UpstreamApp,
    /// Address to listen on (default: the tutorial's port, 127.0.0.1:4400 for the website,
    /// 127.0.0.1:3000 for the demo API, 127.0.0.1:3001 for the echo).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
}

/// Serves the app until Ctrl-C or SIGTERM.
pub async fn run(args: UpstreamArgs) -> anyhow::Result<()> {
    let addr = args.listen.unwrap_or_else(|| args.app.default_listen());
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let upstream = gatecheck_upstream::start(args.app.app(), listener)
        .await
        .with_context(|| format!("cannot start the {}", args.app.name()))?;
    let stop = crate::cmd::shutdown_signal();
    println!("{} listening on {}", args.app.name(), upstream.url());
    stop.await;
    upstream.shutdown().await;
    Ok(())
}
