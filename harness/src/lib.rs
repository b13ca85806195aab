//! gatecheck's harness: tutorial stacks composed from the reference components, a scripted
//! browser, and the cucumber world and steps that replay the tutorials (`features/`).
//!
//! * [`scenario`]: the stack files in `scenarios/` and their `${...}` placeholders;
//! * [`stack`]: starting and stopping a stack in-process (OP → oxd → sites → upstreams → gateway);
//! * [`target`]: what steps talk to (URLs, credentials, users, capabilities), however produced;
//! * [`browser`]: the scripted browser and the authenticator app;
//! * [`world`] and [`steps`]: the cucumber world and the step library;
//! * [`rp`]: the relying party of the OpenID Foundation's OP certification plans;
//! * [`runner`]: running features with reports (`gatecheck run`, the `features` test target);
//! * [`report`]: the HTML report and the recorded exchanges in the Cucumber JSON.
#![warn(missing_docs)]

/// The scripted browser (the `gatecheck-browser` crate, shared with every crate's tests).
pub use gatecheck_browser as browser;

pub mod report;
pub mod rp;
pub mod runner;
pub mod scenario;
pub mod stack;
pub mod steps;
pub mod target;
pub mod world;
