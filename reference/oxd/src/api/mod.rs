//! One module per family of oxd commands.

pub mod authorization;
pub mod code;
pub mod introspect;
pub mod jwks;
pub mod logout;
pub mod site;
pub mod token;
pub mod userinfo;
