//! The tutorials' upstream applications: the echo upstream (what tests inspect), and later the
//! step-up demo website (seed 000) and the demo API (seed 002).
#![warn(missing_docs)]

pub mod echo;
pub mod server;

pub use server::{start, App, Handle};
