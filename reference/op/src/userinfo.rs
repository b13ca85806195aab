//! The UserInfo endpoint (OIDC Core §5.3): GET or POST, bearer token in the header or (POST) the
//! form body; claims released by scope. A client that registered `userinfo_signed_response_alg`
//! gets them as a JWT signed with the OP's key, with `iss` and `aud` (OIDC Core §5.3.2), served
//! as `application/jwt`; every other client gets JSON.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::bearer;
use crate::config::{ScopeConfig, ScopeType};
use crate::error::OAuthError;
use crate::scopes::ScopeSet;
use crate::server::{parse_form, AppState};
use crate::tokens;

/// Claims each standard scope releases (OIDC Core §5.4).
pub const SCOPE_CLAIMS: &[(&str, &[&str])] = &[
    (
        "profile",
        &[
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
    ),
    ("email", &["email", "email_verified"]),
    ("address", &["address"]),
    ("phone", &["phone_number", "phone_number_verified"]),
];

/// Every claim name the OP can release: the standard scopes' and those the configured
/// `openid` scopes list.
pub fn claims_supported(scopes: &[ScopeConfig]) -> Vec<String> {
    let mut claims = vec!["sub".to_owned()];
    for (_, names) in SCOPE_CLAIMS {
        claims.extend(names.iter().map(|n| (*n).to_owned()));
    }
    for scope in scopes {
        for claim in &scope.claims {
            if !claims.contains(claim) {
                claims.push(claim.clone());
            }
        }
    }
    claims
}

/// The claims a granted scope releases: Gluu's scope types — an `oauth` scope none, an `openid`
/// one the standard scope's (OIDC Core §5.4) and the claims it is configured with. A scope the
/// config does not publish keeps its standard claims, if it is a standard scope.
fn claims_of_scope<'a>(scope: &str, configured: &'a [ScopeConfig]) -> Vec<&'a str> {
    let def = configured.iter().find(|s| s.name == scope);
    if def.is_some_and(|d| d.scope_type != ScopeType::OpenId) {
        return Vec::new();
    }
    let mut names: Vec<&str> = SCOPE_CLAIMS
        .iter()
        .find(|(name, _)| *name == scope)
        .map(|(_, names)| names.to_vec())
        .unwrap_or_default();
    if let Some(d) = def {
        names.extend(d.claims.iter().map(String::as_str));
    }
    names
}

/// `GET /userinfo`.
pub async fn get_handler(State(state): State<AppState>, headers: HeaderMap) -> Response {
    respond(&state, bearer::from_header(&headers))
}

/// `POST /userinfo`.
pub async fn post_handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let token = parse_form(&body).and_then(|form| bearer::from_header_or_form(&headers, &form));
    respond(&state, token)
}

fn respond(state: &AppState, token: Result<Option<String>, OAuthError>) -> Response {
    let answer = userinfo(state, token).and_then(|(claims, client_id)| {
        let alg = crate::clients::find_enabled(state, &client_id)
            .ok()
            .and_then(|c| c.userinfo_signed_response_alg);
        match alg {
            None => Ok(axum::Json(claims).into_response()),
            Some(alg) => signed(state, alg, claims, &client_id).map(|jwt| {
                (
                    [(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/jwt"),
                    )],
                    jwt,
                )
                    .into_response()
            }),
        }
    });
    match answer {
        Ok(mut response) => {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(err) => err.into_response(),
    }
}

/// The claims as a JWT signed with `alg`, issued by the OP to `client_id` (OIDC Core §5.3.2:
/// "SHOULD contain the Claims iss and aud").
fn signed(
    state: &AppState,
    alg: crate::protocol::SigningAlg,
    claims: Value,
    client_id: &str,
) -> Result<String, OAuthError> {
    let mut claims = match claims {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    claims.insert("iss".into(), json!(&*state.issuer));
    claims.insert("aud".into(), json!(client_id));
    state
        .keys
        .sign(alg, "JWT", &claims)
        .map_err(|e| OAuthError::ServerError(format!("signing the userinfo response: {e}")))
}

/// The released claims and the client the token was issued to.
fn userinfo(
    state: &AppState,
    token: Result<Option<String>, OAuthError>,
) -> Result<(Value, String), OAuthError> {
    let token =
        token?.ok_or_else(|| OAuthError::InvalidToken("no access token was presented".into()))?;
    let record = tokens::lookup_access_token(state, &token).ok_or_else(|| {
        OAuthError::InvalidToken("the access token is unknown, expired or revoked".into())
    })?;
    if !record.scopes.contains("openid") {
        return Err(OAuthError::InsufficientScope(
            "the access token lacks the openid scope".into(),
        ));
    }
    let auth = record.auth.as_ref().ok_or_else(|| {
        OAuthError::InsufficientScope("the access token was not issued for a user".into())
    })?;
    let user = state
        .users
        .get(&auth.username)
        .ok_or_else(|| OAuthError::InvalidToken("the token's user no longer exists".into()))?;
    let sub = crate::subjects::subject_for_client_id(state, &record.client_id, &user.sub);
    let mut claims = release(
        &state.config.scopes,
        &record.scopes,
        &sub,
        &user.username,
        &user.claims,
    );
    let requested = crate::claims::of_grant(state, &record.grant_id);
    if let Value::Object(map) = &mut claims {
        map.extend(crate::claims::released(state, auth, &requested.userinfo));
    }
    Ok((claims, record.client_id.clone()))
}

/// The claims `scopes` release about the user of `auth`, without `sub` (for an ID token that
/// has its own); `None` if the user no longer exists.
pub fn claims_for(
    state: &AppState,
    scopes: &ScopeSet,
    auth: &crate::model::AuthContext,
) -> Option<Map<String, Value>> {
    let user = state.users.get(&auth.username)?;
    match release(
        &state.config.scopes,
        scopes,
        &user.sub,
        &user.username,
        &user.claims,
    ) {
        Value::Object(mut claims) => {
            claims.remove("sub");
            Some(claims)
        }
        _ => None,
    }
}

/// The claims `scopes` release for a user (`configured`: the OP's published scopes).
pub fn release(
    configured: &[ScopeConfig],
    scopes: &ScopeSet,
    sub: &str,
    username: &str,
    claims: &std::collections::BTreeMap<String, Value>,
) -> Value {
    let mut out = Map::new();
    out.insert("sub".into(), json!(sub));
    let mut available: HashMap<&str, Value> = claims
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    available
        .entry("preferred_username")
        .or_insert_with(|| json!(username));
    for scope in scopes.iter() {
        for name in claims_of_scope(scope, configured) {
            if let Some(value) = available.get(name) {
                out.insert(name.into(), value.clone());
            }
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_follow_scopes() {
        let claims = [
            ("name".to_string(), json!("Admin")),
            ("email".to_string(), json!("a@x")),
            ("phone_number".to_string(), json!("+1")),
        ]
        .into_iter()
        .collect();
        let out = release(&[], &ScopeSet::parse("openid email"), "s", "admin", &claims);
        assert_eq!(out, json!({"sub": "s", "email": "a@x"}));
        let out = release(
            &[],
            &ScopeSet::parse("openid profile"),
            "s",
            "admin",
            &claims,
        );
        assert_eq!(
            out,
            json!({"sub": "s", "name": "Admin", "preferred_username": "admin"})
        );
    }

    #[test]
    fn scope_types_decide_the_claims() {
        let config = crate::config::Config::from_yaml_str(
            "scopes: [openid, profile, {name: employee, claims: [department]}, \
             {name: email, scope_type: oauth}, reports]\n",
        )
        .unwrap();
        let claims = [
            ("name".to_string(), json!("Admin")),
            ("email".to_string(), json!("a@x")),
            ("department".to_string(), json!("Finance")),
        ]
        .into_iter()
        .collect();
        // A custom openid scope maps its claims; oauth scopes (email made one, and reports,
        // which lists none) release nothing.
        let out = release(
            &config.scopes,
            &ScopeSet::parse("openid employee email reports"),
            "s",
            "admin",
            &claims,
        );
        assert_eq!(out, json!({"sub": "s", "department": "Finance"}));
        assert!(claims_supported(&config.scopes).contains(&"department".to_owned()));
        for bad in [
            "scopes: [{name: org, scope_type: dynamic}]\n",
            "scopes: [{name: api, scope_type: oauth, claims: [department]}]\n",
            "scopes: [{name: x, claims: [sub]}]\n",
        ] {
            assert!(crate::config::Config::from_yaml_str(bad).is_err(), "{bad}");
        }
    }
}
