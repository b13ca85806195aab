//! Discovery (`/.well-known/openid-configuration`) and the JWK set (`/oxauth/restv1/jwks`).
//! Every list states what the OP actually implements.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{json, Value};

use crate::protocol::{
    ClientAlg, GrantType, ResponseMode, ResponseType, SubjectType, TokenEndpointAuthMethod,
};
use crate::server::{paths, AppState};
use crate::userinfo::claims_supported;

/// The discovery document.
pub fn document(state: &AppState) -> Value {
    let algs: Vec<&str> = state.keys.algs().iter().map(|a| a.as_str()).collect();
    let acrs: Vec<&str> = state
        .config
        .acr
        .enabled
        .iter()
        .map(|a| a.as_str())
        .collect();
    let mut levels = std::collections::BTreeMap::<String, Vec<&str>>::new();
    for m in &state.config.acr.enabled {
        levels
            .entry(m.level().to_string())
            .or_default()
            .push(m.as_str());
    }
    // Introspection authenticates as the token endpoint does, or with a bearer token.
    let mut introspection_methods: Vec<&str> = TokenEndpointAuthMethod::ALL
        .iter()
        .filter(|m| **m != TokenEndpointAuthMethod::None)
        .map(|m| m.as_str())
        .collect();
    introspection_methods.push("bearer");
    let mut document = json!({
        "issuer": &*state.issuer,
        "authorization_endpoint": state.url(paths::AUTHORIZE),
        "token_endpoint": state.url(paths::TOKEN),
        "userinfo_endpoint": state.url(paths::USERINFO),
        "jwks_uri": state.url(paths::JWKS),
        "registration_endpoint": state.url(paths::REGISTER),
        "introspection_endpoint": state.url(paths::INTROSPECTION),
        "revocation_endpoint": state.url(paths::REVOKE),
        "token_revocation_endpoint": state.url(paths::REVOKE),
        "scopes_supported": state.config.scopes.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        "response_types_supported": ResponseType::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "response_modes_supported": ResponseMode::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "grant_types_supported": GrantType::ALL.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "acr_values_supported": acrs,
        "auth_level_mapping": levels,
        "subject_types_supported": SubjectType::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "id_token_signing_alg_values_supported": algs,
        "access_token_signing_alg_values_supported": algs,
        // The list registration checks userinfo_signed_response_alg against.
        "userinfo_signing_alg_values_supported": algs,
        "token_endpoint_auth_methods_supported":
            TokenEndpointAuthMethod::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "introspection_endpoint_auth_methods_supported": introspection_methods,
        "token_endpoint_auth_signing_alg_values_supported":
            ClientAlg::ASSERTION.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "revocation_endpoint_auth_methods_supported":
            TokenEndpointAuthMethod::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "code_challenge_methods_supported": ["S256", "plain"],
        "claims_supported": claims_supported(&state.config.scopes),
        "claims_parameter_supported": true,
        "request_parameter_supported": state.config.request_objects.request,
        "request_uri_parameter_supported": state.config.request_objects.request_uri,
        "request_object_signing_alg_values_supported":
            ClientAlg::REQUEST_OBJECT.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "require_request_uri_registration": false,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "authorization_response_iss_parameter_supported": true,
        "ui_locales_supported": ["en"],
        "claim_types_supported": ["normal"],
    });
    if let Value::Object(map) = &mut document {
        map.extend(crate::logout::metadata(state));
    }
    document
}

fn json_response(body: Bytes) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            ),
        ],
        body,
    )
        .into_response()
}

/// `GET /.well-known/openid-configuration`.
pub async fn handler(State(state): State<AppState>) -> Response {
    let body = state
        .discovery
        .get_or_init(|| Bytes::from(document(&state).to_string()));
    json_response(body.clone())
}

/// `GET /oxauth/restv1/jwks`.
pub async fn jwks(State(state): State<AppState>) -> Response {
    json_response(state.keys.jwks_body())
}
