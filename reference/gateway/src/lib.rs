//! gatecheck-gateway: the reference Gluu Gateway — a Kong-compatible Admin API, router and
//! proxy running the `gluu-oauth-auth`, `gluu-oauth-pep` and `gluu-openid-connect` plugins.
#![warn(missing_docs)]

pub mod entities;
pub mod path;
pub mod plugins;
pub mod router;
