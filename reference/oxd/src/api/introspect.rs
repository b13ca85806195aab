//! `introspect-access-token`: RFC 7662 introspection at the OP with the site's credentials.

use axum::extract::State;
use axum::Json;
use openidconnect::{AccessToken, TokenIntrospectionResponse};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::OxdError;
use crate::protection::Protected;
use crate::provider::{token_error, IntrospectionResponse, Providers};
use crate::request::{required, Command};
use crate::server::{App, AppState};
use crate::store::Site;

/// `introspect-access-token` request.
#[derive(Debug, Deserialize)]
pub struct IntrospectAccessToken {
    oxd_id: Option<String>,
    access_token: Option<String>,
}

/// `POST /introspect-access-token` (protected) → `active, client_id, scope[], exp, ...`.
pub async fn introspect_access_token(
    State(app): State<AppState>,
    protected: Protected,
    Command(req): Command<IntrospectAccessToken>,
) -> Result<Json<Value>, OxdError> {
    let site = app.site(req.oxd_id)?;
    protected.allows(&app, &site).await?;
    let token = AccessToken::new(required(req.access_token, "access_token")?);
    let response = introspect(&app, &site, &token).await?;
    Ok(Json(introspection_json(&response)))
}

/// Introspects `token` at the site's OP with the site's client credentials.
pub async fn introspect(
    app: &App,
    site: &Site,
    token: &AccessToken,
) -> Result<IntrospectionResponse, OxdError> {
    let metadata = app.providers.metadata(&site.op_host).await?;
    let endpoint = metadata
        .additional_metadata()
        .introspection_endpoint
        .clone()
        .ok_or_else(|| {
            OxdError::Op(format!(
                "OP {} publishes no introspection_endpoint",
                site.op_host
            ))
        })?;
    let client = Providers::client(&metadata, &site.client_id, &site.client_secret)
        .set_introspection_url(endpoint);
    client
        .introspect(token)
        .request_async(app.providers.http())
        .await
        .map_err(|e| token_error("introspection", e))
}

/// oxd's shape: `scope` as an array, absent fields left out.
fn introspection_json(r: &IntrospectionResponse) -> Value {
    let mut out = Map::new();
    out.insert("active".into(), json!(r.active()));
    if let Some(scopes) = r.scopes() {
        let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        out.insert("scope".into(), json!(scopes));
    }
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(v) = value {
            out.insert(key.into(), v);
        }
    };
    put("client_id", r.client_id().map(|c| json!(c.as_str())));
    put("username", r.username().map(|u| json!(u)));
    put(
        "token_type",
        r.token_type()
            .map(|t| json!(t.as_ref().to_ascii_lowercase())),
    );
    put("exp", r.exp().map(|t| json!(t.timestamp())));
    put("iat", r.iat().map(|t| json!(t.timestamp())));
    put("nbf", r.nbf().map(|t| json!(t.timestamp())));
    put("sub", r.sub().map(|s| json!(s)));
    put("aud", r.aud().map(|a| json!(a)));
    put("iss", r.iss().map(|i| json!(i)));
    put("jti", r.jti().map(|j| json!(j)));
    let extra = r.extra_fields();
    put("acr_values", extra.acr_values.clone());
    put("extension_field", extra.extension_field.clone());
    Value::Object(out)
}
