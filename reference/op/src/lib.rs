//! gatecheck's reference OpenID Provider, modelled on the Gluu Server 4.2 OP (oxAuth).
//!
//! It serves Gluu's endpoint layout under an issuer equal to its base URL:
//! `/.well-known/openid-configuration` and `/oxauth/restv1/{authorize, token, userinfo, jwks,
//! register, introspection, revoke, end_session}` and `/oxauth/opiframe.htm`. Authentication methods (ACR values) are
//! `auth_ldap_server` and `basic` (username + password) and `otp` (password, then a TOTP code,
//! enrolling an authenticator from a QR code first when needed).
//!
//! # Use
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! // Or build one in code: `Config { keys: gatecheck_op::fixture_keys(), users, clients, ..Default::default() }`.
//! let config = gatecheck_op::Config::example()?; // fixtures/op/op.yml
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let op = gatecheck_op::start(config, listener).await?;
//! println!("discovery: {}/.well-known/openid-configuration", op.issuer());
//! op.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Pages and form fields (stable; scripted agents rely on them)
//!
//! See [`interaction`]: login (`username`, `password`), OTP enrollment (QR `img#otp_qr`, secret
//! `#otp_secret`, "Finish"), OTP code (`otp_code`), consent (`decision` = `allow`/`deny`); every form
//! has a hidden `csrf_token`. The form's `action` attribute is the URL to post to.
//!
//! # Layout
//!
//! One module per protocol concept: [`discovery`], [`keys`], [`registration`], [`clients`],
//! [`authorize`] (a pipeline of checks in [`authorize::checks`]), [`interaction`] (pages),
//! [`grants`] (one module per grant type), [`id_token`], [`tokens`], [`userinfo`],
//! [`introspection`], [`revocation`], [`end_session`], [`sessions`], [`logout`] (back- and
//! front-channel logout, session management), [`otp`], [`redirect_uris`]
//! (which redirect URIs a client may have), [`storage`]
//! (a [`storage::Table`] interface with an in-memory implementation and purge of expired items).

#![warn(missing_docs)]

pub mod acr;
pub mod authorize;
pub mod bearer;
pub mod claims;
pub mod client_jwt;
pub mod clients;
pub mod clock;
pub mod config;
pub mod discovery;
pub mod end_session;
pub mod error;
pub mod fetch;
pub mod grants;
pub mod guesses;
pub mod id_token;
pub mod interaction;
pub mod introspection;
pub mod keys;
pub mod logout;
pub mod model;
pub mod otp;
pub mod pages;
pub mod passwords;
pub mod protocol;
pub mod redirect_uris;
pub mod registration;
pub mod registration_policy;
pub mod revocation;
pub mod scopes;
pub mod server;
pub mod sessions;
pub mod storage;
pub mod subjects;
pub mod tokens;
pub mod userinfo;
pub mod users;
pub mod util;
pub mod webfinger;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{example_config_path, fixture_keys, ClientConfig, Config, UserConfig};
pub use server::{start, start_with_clock, Handle};
