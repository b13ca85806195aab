//! Authentication method selection: the first enabled value of `acr_values`, else the first
//! enabled client default, else the OP default.

use super::{param, Params};
use crate::acr::AcrMethod;
use crate::clients::Client;
use crate::server::AppState;

/// The method to satisfy; without `acr_values`, the `acr` values of a `claims` request
/// (OIDC Core §5.5.1.1).
pub fn check(
    state: &AppState,
    client: &Client,
    params: &Params,
    claims: &crate::claims::ClaimsRequest,
) -> AcrMethod {
    let enabled = &state.config.acr.enabled;
    let requested = match param(params, "acr_values") {
        Some(values) => values.split(' ').collect(),
        None => claims.acr_values(),
    }
    .into_iter()
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
