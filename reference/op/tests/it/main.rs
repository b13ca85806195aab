//! Integration tests: the OP in-process on an ephemeral port, driven over HTTP by the
//! `openidconnect` crate (an independent relying party) and the workspace's scripted browser
//! (`gatecheck-browser`).

mod common;

mod claims;
mod client_assertions;
mod client_credentials;
mod code_flow;
mod discovery;
mod end_session;
mod errors;
mod introspection;
mod keycloak_mappers;
mod logout;
mod otp;
mod pairwise;
mod password_lockout;
mod redirect_schemes;
mod registration;
mod registration_policy;
mod request_objects;
mod response_types;
mod tokens;
mod userinfo_signed;
