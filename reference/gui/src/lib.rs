//! gatecheck-gui: the Gluu Gateway Admin GUI (GG's port 1338), server-rendered.
//!
//! The pages mirror GG's left panel: Dashboard, Services (and their Routes), Routes,
//! Consumers (+ CREATE CLIENT through oxd), Plugins (global, per service, per route) with the
//! Gluu plugin forms and their expression builder. Every change is a call to the Kong Admin
//! API over HTTP (so the GUI works against a real Kong too); OP clients are registered through
//! oxd. Pages work without JavaScript; a small script adds tag-input chips.
//!
//! In process: [`start`]`(Config, TcpListener) -> Handle`.
#![warn(missing_docs)]

pub mod config;
pub mod expr;
pub mod forms;
pub mod kong;
pub mod oxd;
pub mod pages;
pub mod server;
pub mod session;
pub mod views;

pub use config::{hash_password, AdminUser, Config};
pub use server::{start, Handle};
