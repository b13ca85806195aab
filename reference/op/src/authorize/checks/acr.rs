//! Authentication method selection: the first enabled value of `acr_values`, else the first
//! enabled client default, else the OP default.

use super::{param, Params};
use crate::acr::AcrMethod;
use crate::clients::Client;
use crate::server::AppState;

/// The method to satisfy.
pub fn check(state: &AppState, client: &Client, params: &Params) -> AcrMethod {
    let enabled = &state.config.acr.enabled;
    let requested = param(params, "acr_values")
        .unwrap_or_default()
        .split(' ')
        .filter_map(AcrMethod::parse)
        .find(|m| enabled.contains(m));
    requested
        .or_else(|| {
            client
                .default_acr_values
                .iter()
                .copied()
                .find(|m| enabled.contains(m))
        })
        .unwrap_or(state.config.acr.default)
}
