//! The step library, in the tutorials' own words. One module per actor: the stack, the browser
//! (a person at a web browser), the requesting party and the API through the gateway, the
//! administrator at the Kong Admin API.

pub mod admin;
pub mod api;
pub mod browser;
pub mod gui;
pub mod kong;
pub mod kong_session;
pub mod oauth2;
pub mod oidcc;
pub mod oidcc_logout;
pub mod oidcc_request;
pub mod op_doc;
pub mod op_oidcc;
pub mod rqp;
pub mod stack;

/// Fails with a message when `cond` is false.
macro_rules! check {
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            anyhow::bail!($($arg)+);
        }
    };
}
pub(crate) use check;
