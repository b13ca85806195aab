//! Reference oxd server: the HTTP JSON API Gluu Gateway's plugins and the tutorials use to talk to
//! an OpenID Provider (`docs/gluu-gateway.md#oxd-api-used-by-the-plugins`). oxd is an OpenID
//! Connect relying party: discovery, dynamic registration, token requests, code exchange with
//! state/nonce/PKCE checks, ID token verification, userinfo and introspection all go through the
//! `openidconnect` crate.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let oxd = gatecheck_oxd::start(gatecheck_oxd::Config::default(), listener).await?;
//! println!("POST {}/get-client-token", oxd.url());
//! oxd.shutdown().await;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod api;
pub mod config;
pub mod error;
pub mod protection;
pub mod provider;
pub mod request;
pub mod server;
pub mod store;

pub use config::Config;
pub use error::OxdError;
pub use server::{start, start_with_store, Handle};
pub use store::{MemoryStore, PendingAuthorization, Site, SiteStore};
