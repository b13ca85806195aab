//! Serving an upstream app on an already-bound listener.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

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
}

impl App {
    /// The axum router of this app.
    pub fn router(self) -> axum::Router {
        match self {
            App::Echo => crate::echo::router(),
            App::Website => crate::website::router(),
            App::DemoApi => crate::demo_api::router(),
        }
    }
}

/// A running upstream app; dropping it stops the server.
#[derive(Debug)]
pub struct Handle {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Handle {
    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, e.g. `http://127.0.0.1:4400`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and waits for in-flight requests to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Serves `app` on `listener` until the returned handle is shut down or dropped.
pub async fn start(app: App, listener: TcpListener) -> std::io::Result<Handle> {
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let router = app.router();
    let task = tokio::spawn(async move {
        let served = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = rx.await;
        })
        .await;
        if let Err(err) = served {
            tracing::error!(%err, "upstream server stopped");
        }
    });
    Ok(Handle {
        addr,
        shutdown: Some(tx),
        task: Some(task),
    })
}
