//! ID tokens (OIDC Core §2): signed with the client's `id_token_signed_response_alg` (RS256 by
//! default), with `auth_time`, `acr`, `amr` and `sid` always, `nonce` when the request had one,
//! `at_hash`/`c_hash` when issued alongside an access token/code, `s_hash` (as Gluu does) when
//! issued from the authorization endpoint with a `state`, and the scopes' user claims when no
//! access token comes with it (response type `id_token`).

use serde::Serialize;

use crate::clients::Client;
use crate::error::OAuthError;
use crate::model::{AuthContext, IssuedIdToken};
use crate::server::AppState;
use crate::util::{b64, half_hash};

/// An `id_token_hint` the OP recognised as one of its ID tokens.
pub type Hint = IssuedIdToken;

fn digest(token: &str) -> String {
    use sha2::Digest;
    b64(&sha2::Sha256::digest(token.as_bytes()))
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    azp: &'a str,
    exp: i64,
    iat: i64,
    auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    acr: &'a str,
    amr: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    at_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    c_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    s_hash: Option<String>,
    #[serde(flatten)]
    user_claims: serde_json::Map<String, serde_json::Value>,
}

/// What the ID token accompanies.
#[derive(Debug, Default, Clone)]
pub struct Accompanying<'a> {
    /// Access token issued with it (`at_hash`).
    pub access_token: Option<&'a str>,
    /// Code issued with it (`c_hash`).
    pub code: Option<&'a str>,
    /// `state` of the authorization response carrying it (`s_hash`).
    pub state: Option<&'a str>,
    /// User claims to include (never `sub` or a registered claim name).
    pub user_claims: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Claims an ID token sets itself; user claims of these names are dropped.
const OWN_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "azp",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "sid",
    "at_hash",
    "c_hash",
    "s_hash",
];

/// Signs an ID token for `client` about `auth`.
pub fn issue(
    state: &AppState,
    client: &Client,
    auth: &AuthContext,
    nonce: Option<&str>,
    with: Accompanying<'_>,
) -> Result<String, OAuthError> {
    let now = state.now();
    let sub = crate::subjects::subject_for(state, client, &auth.sub);
    let claims = Claims {
        iss: &state.issuer,
        sub: &sub,
        aud: &client.client_id,
        azp: &client.client_id,
        exp: now.saturating_add(state.config.lifetimes.id_token),
        iat: now,
        auth_time: auth.auth_time,
        nonce,
        acr: auth.acr.as_str(),
        amr: &auth.amr,
        sid: auth.sid.as_deref(),
        at_hash: with.access_token.map(half_hash),
        c_hash: with.code.map(half_hash),
        s_hash: with.state.map(half_hash),
        user_claims: with
            .user_claims
            .unwrap_or_default()
            .into_iter()
            .filter(|(name, _)| !OWN_CLAIMS.contains(&name.as_str()))
            .collect(),
    };
    let token = state
        .keys
        .sign(client.id_token_signed_response_alg, "JWT", &claims)
        .map_err(|e| OAuthError::server("ID token signing failed", e))?;
    // Kept one session lifetime past expiry: RPs log out with the ID token they hold, and
    // RP-Initiated Logout lets an OP accept an expired one as a hint.
    let remembered_until = claims.exp.saturating_add(state.config.lifetimes.session);
    state.storage.id_tokens.insert(
        &digest(&token),
        IssuedIdToken {
            client_id: client.client_id.clone(),
            sub: auth.sub.clone(),
            sid: auth.sid.clone(),
        },
        remembered_until,
    );
    Ok(token)
}

/// Recognises an `id_token_hint`: a JWT signed by this OP (key by `kid`, its algorithm, our
/// `iss`) that is exactly an ID token the OP issued and still remembers. A JWT access token, a
/// token re-signed or re-encoded in any way, or one of another OP is refused with the reason.
pub fn verify_hint(state: &AppState, hint: &str) -> Result<Hint, String> {
    state.keys.verify(hint, &state.issuer)?;
    state
        .storage
        .id_tokens
        .get(&digest(hint), state.now())
        .ok_or_else(|| "not an ID token this OP issued (or too old to be a hint)".to_owned())
}
