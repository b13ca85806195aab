//! `get-tokens-by-code`: checks the state oxd issued, redeems the code with the PKCE verifier,
//! verifies the ID token (signature, issuer, audience, expiry, nonce, at_hash).

use std::borrow::Cow;
use std::time::Instant;

use axum::extract::State;
use axum::Json;
use openidconnect::{
    AccessTokenHash, AuthorizationCode, Nonce, OAuth2TokenResponse, PkceCodeVerifier, RedirectUrl,
    TokenResponse as _,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::authorization::pending_key;
use crate::error::OxdError;
use crate::protection::Protected;
use crate::provider::{chain, token_error, IdToken, Metadata, Providers};
use crate::request::{required, without_nulls, Command};
use crate::server::AppState;
use crate::store::Site;

/// `get-tokens-by-code` request.
#[derive(Debug, Deserialize)]
pub struct GetTokensByCode {
    oxd_id: Option<String>,
    code: Option<String>,
    state: Option<String>,
}

/// `POST /get-tokens-by-code` (protected) → `access_token, expires_in, id_token, refresh_token,
/// id_token_claims`.
pub async fn get_tokens_by_code(
    State(app): State<AppState>,
    protected: Protected,
    Command(req): Command<GetTokensByCode>,
) -> Result<Json<Value>, OxdError> {
    let site = app.site(req.oxd_id)?;
    protected.allows(&app, &site).await?;
    let code = required(req.code, "code")?;
    let state = required(req.state, "state")?;
    let pending = app
        .store
        .take_pending(&pending_key(&site.oxd_id, &state), Instant::now())
        .ok_or(OxdError::BadState)?;
    let redirect = RedirectUrl::new(pending.redirect_uri.clone())
        .map_err(|e| OxdError::Op(format!("stored redirect_uri unusable: {e}")))?;

    let metadata = app.providers.metadata(&site.op_host).await?;
    let client = Providers::client(&metadata, &site.client_id, &site.client_secret);
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| OxdError::Op(format!("OP {}: {e}", site.op_host)))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
        .set_redirect_uri(Cow::Owned(redirect))
        .request_async(app.providers.http())
        .await
        .map_err(|e| token_error("token", e))?;
    let id_token = response
        .id_token()
        .ok_or_else(|| OxdError::Op("OP token response carries no id_token".into()))?;
    let nonce = Nonce::new(pending.nonce);
    let claims = match verify(&metadata, &site, id_token, response.access_token(), &nonce) {
        Ok(claims) => claims,
        // The OP may have rotated its keys since discovery was cached: refetch once.
        Err(_) => {
            let fresh = app.providers.refresh(&site.op_host).await?;
            verify(&fresh, &site, id_token, response.access_token(), &nonce)?
        }
    };
    Ok(Json(without_nulls(json!({
        "access_token": response.access_token().secret(),
        "token_type": response.token_type().as_ref(),
        "expires_in": response.expires_in().map(|d| d.as_secs()),
        "refresh_token": response.refresh_token().map(|t| t.secret()),
        "scope": response.scopes().map(|s| s.iter().map(|s| s.as_str().to_owned()).collect::<Vec<_>>()),
        "id_token": id_token.to_string(),
        "id_token_claims": claims,
    }))))
}

/// Verifies the ID token with the keys of `metadata` and returns its claims as JSON.
fn verify(
    metadata: &Metadata,
    site: &Site,
    id_token: &IdToken,
    access_token: &openidconnect::AccessToken,
    nonce: &Nonce,
) -> Result<Value, OxdError> {
    let client = Providers::client(metadata, &site.client_id, &site.client_secret);
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, nonce)
        .map_err(|e| OxdError::Op(format!("OP returned an invalid id_token: {}", chain(&e))))?;
    if let Some(expected) = claims.access_token_hash() {
        let alg = id_token
            .signing_alg()
            .map_err(|e| OxdError::Op(format!("id_token: {}", chain(&e))))?;
        let key = id_token
            .signing_key(&verifier)
            .map_err(|e| OxdError::Op(format!("id_token: {}", chain(&e))))?;
        let actual = AccessTokenHash::from_token(access_token, alg, key)
            .map_err(|e| OxdError::Op(format!("id_token at_hash: {}", chain(&e))))?;
        if actual != *expected {
            return Err(OxdError::Op(
                "OP returned an id_token whose at_hash does not match the access token".into(),
            ));
        }
    }
    serde_json::to_value(claims)
        .map_err(|e| OxdError::Op(format!("cannot encode id_token claims: {e}")))
}
