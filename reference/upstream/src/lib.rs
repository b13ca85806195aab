//! The tutorials' upstream applications: the step-up demo website (seed 000), the demo API
//! (seed 002) and an echo upstream (what tests inspect).
#![warn(missing_docs)]

pub mod demo_api;
pub mod echo;
mod express;
pub mod httpbin;
pub mod server;
pub mod website;

pub use server::{start, App, Handle};
