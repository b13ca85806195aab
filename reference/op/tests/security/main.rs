//! The OP's security corpus: many generated cases per class of attack, on top of the
//! regression tests in `tests/it/`. Each module prints how many cases it ran, e.g.
//! `cargo test -p gatecheck-op --test security -- --nocapture`.
//!
//! - [`redirect_uris`]: redirect URI matching at the authorization endpoint (case, trailing
//!   slash, encodings, userinfo, ports, fragments, dot segments, queries) and dangerous schemes at
//!   registration and in the config.
//! - [`jwt_forgeries`]: every place the OP accepts a JWT — `id_token_hint` at the authorization
//!   and end-session endpoints — against `alg: none`, HS256 keyed with the public key, foreign
//!   keys, `kid`/`jku`/`x5u`/embedded `jwk` headers, re-encoded and tampered claims, JWT access
//!   tokens; request objects and client assertions, which the OP does not accept at all.
//! - [`bodies`]: deep and huge bodies and query strings on every endpoint that parses input.
//! - [`no_panic`]: proptest properties: arbitrary input to the form and JSON endpoints never
//!   gets a 5xx, and the OP keeps serving.

#[path = "../it/common.rs"]
mod common;

mod bodies;
mod jwt_forgeries;
mod no_panic;
mod redirect_uris;

/// Prints a module's case count (visible with `--nocapture`).
pub fn report(what: &str, cases: usize) {
    println!("security corpus: {what}: {cases} cases");
}
