//! Serving an upstream app on an already-bound listener.

use tokio::net::TcpListener;

/// Which upstream application to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum App {
    /// httpbin-style echo: answers every request with the request it received, as JSON.
    Echo,
    /// The step-up tutorial's website (seed 000, port 4400).
    Website,
    /// The spontaneous-scope tutorial's API (seed 002, port 3000).
    DemoApi,
    /// httpbin's `/anything`, as Kong's guides read it (`httpbin.konghq.com`).
    Httpbin,
}

impl App {
    /// The axum router of this app.
    pub fn router(self) -> axum::Router {
        match self {
            App::Echo => crate::echo::router(),
            App::Website => crate::website::router(),
            App::DemoApi => crate::demo_api::router(),
            App::Httpbin => crate::httpbin::router(),
        }
    }
}

/// A running upstream app: `url()`, `addr()`, `shutdown()`; dropping it stops the server.
pub type Handle = gatecheck_serve::Server;

/// Serves `app` on `listener` until the returned handle is shut down or dropped.
pub async fn start(app: App, listener: TcpListener) -> std::io::Result<Handle> {
    Handle::spawn(listener, app.router(), "upstream")
}
