//! Integration tests of the oxd API: against the reference OP, and against wiremock standing in
//! for an OP that misbehaves.

mod common;
mod errors;
mod id_token;
mod op_faults;
mod security;
mod with_op;
