//! The gateway's security corpus: generated attacks on the Admin API and the proxy, each class
//! asserting the property that must hold for every case (the counts are printed per class).
//!
//! - `admin_bodies`: deep, wide and huge bodies on every Admin API endpoint that parses one;
//!   overflowing pagination offsets.
//! - `admin_fuzz`: arbitrary Admin API requests never panic and never get a 5xx.
//! - `headers`: spoofed and `Connection`-listed headers against what the plugins vouch for.
//! - `jwt`: forged and unacceptable JWT access tokens against `gluu-oauth-auth`.
//! - `proxy_inputs`: deep, wide and huge bodies, paths, headers, cookies, tokens and queries on
//!   every kind of plugin chain.
//! - `paths`: route prefixes × request paths: the upstream receives the path the plugins
//!   judged, or the request is refused before any plugin runs.
//! - `wire`: raw bytes on TCP: `Host` rules, absolute-form targets, chunked framing errors,
//!   request smuggling (the upstream gets exactly the requests the plugins judged).

#[path = "../common/mod.rs"]
mod common;

mod admin_bodies;
mod admin_fuzz;
mod headers;
mod jwt;
mod paths;
mod proxy_inputs;
mod support;
mod wire;
