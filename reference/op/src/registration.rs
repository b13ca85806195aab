//! Dynamic client registration (OpenID Connect Dynamic Client Registration 1.0, RFC 7591) and
//! client configuration management (RFC 7592) at `/oxauth/restv1/register`.
//!
//! `POST` registers and answers 201 with the client's metadata, `client_id`, `client_secret`
//! (unless `token_endpoint_auth_method` is `none`), `registration_access_token` and
//! `registration_client_uri` (`{register}?client_id=...`). `GET`/`PUT`/`DELETE` on that URI with
//! `Authorization: Bearer <registration_access_token>` read (200), replace (200) and delete (204)
//! the registration. Besides the standard metadata, Gluu's `allow_spontaneous_scopes`,
//! `spontaneous_scopes` (array or space-separated string), `access_token_as_jwt` and
//! `access_token_signing_alg` are understood. Unknown metadata is ignored (RFC 7591 §2).
//! What a registration may ask for (scopes, grant types, spontaneous-scope patterns) is decided
//! by [`crate::registration_policy`]; without `scope` the client gets the published scopes
//! allowed for dynamic registration.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::acr::AcrMethod;
use crate::bearer;
use crate::clients::{Client, Registration};
use crate::error::OAuthError;
use crate::protocol::{
    ApplicationType, ClientAlg, GrantType, ResponseType, SigningAlg, SubjectType,
    TokenEndpointAuthMethod,
};
use crate::redirect_uris::{self, Origin};
use crate::registration_policy::{self, Allowance};
use crate::scopes::{compile_pattern, ScopeSet};
use crate::server::{paths, AppState};
use crate::storage::NEVER;
use crate::util::{random_token, secure_eq};

/// Either a JSON array of strings or one space-separated string (Gluu accepts both).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StringOrList {
    One(String),
    Many(Vec<String>),
}

impl StringOrList {
    fn into_vec(self) -> Vec<String> {
        match self {
            StringOrList::One(s) => s
                .split(' ')
                .filter(|x| !x.is_empty())
                .map(String::from)
                .collect(),
            StringOrList::Many(v) => v,
        }
    }
}

#[derive(Debug, Deserialize)]
struct Metadata {
    application_type: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    response_types: Option<Vec<String>>,
    grant_types: Option<Vec<String>>,
    token_endpoint_auth_method: Option<String>,
    scope: Option<StringOrList>,
    scopes: Option<Vec<String>>,
    client_name: Option<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    frontchannel_logout_uri: Option<String>,
    #[serde(default)]
    frontchannel_logout_session_required: bool,
    backchannel_logout_uri: Option<String>,
    #[serde(default)]
    backchannel_logout_session_required: bool,
    #[serde(default)]
    default_acr_values: Vec<String>,
    default_max_age: Option<i64>,
    subject_type: Option<String>,
    id_token_signed_response_alg: Option<String>,
    userinfo_signed_response_alg: Option<String>,
    token_endpoint_auth_signing_alg: Option<String>,
    #[serde(default)]
    allow_spontaneous_scopes: bool,
    spontaneous_scopes: Option<StringOrList>,
    #[serde(default)]
    access_token_as_jwt: bool,
    access_token_signing_alg: Option<String>,
    initiate_login_uri: Option<String>,
    jwks: Option<Value>,
    jwks_uri: Option<String>,
    request_object_signing_alg: Option<String>,
    sector_identifier_uri: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// Metadata fields echoed back without interpretation.
const ECHOED: &[&str] = &[
    "contacts",
    "logo_uri",
    "client_uri",
    "policy_uri",
    "tos_uri",
    "require_auth_time",
    "initiate_login_uri",
    "software_id",
    "software_version",
];

/// The most `redirect_uris` (and `post_logout_redirect_uris`) one registration may list.
pub const MAX_REDIRECT_URIS: usize = 100;

fn metadata_error(message: impl Into<String>) -> OAuthError {
    OAuthError::InvalidClientMetadata(message.into())
}

fn parse_alg(field: &str, value: Option<&str>, state: &AppState) -> Result<SigningAlg, OAuthError> {
    match value {
        None => Ok(SigningAlg::RS256),
        Some(v) => SigningAlg::parse(v)
            .filter(|a| state.keys.algs().contains(a))
            .ok_or_else(|| metadata_error(format!("{field} `{v}` is not supported"))),
    }
}

/// `token_endpoint_auth_signing_alg`: one of discovery's
/// `token_endpoint_auth_signing_alg_values_supported` ([`ClientAlg::ASSERTION`]), and one the
/// registered method's assertions can use (HS256 for `client_secret_jwt`, RS256/ES256 for
/// `private_key_jwt`). With a method that sends no assertion it has nothing to restrict and is
/// refused rather than silently ignored.
fn assertion_alg(value: &str, method: TokenEndpointAuthMethod) -> Result<ClientAlg, OAuthError> {
    let alg = ClientAlg::parse(value)
        .filter(|a| ClientAlg::ASSERTION.contains(a))
        .ok_or_else(|| {
            metadata_error(format!(
                "token_endpoint_auth_signing_alg `{value}` is not supported"
            ))
        })?;
    if !method.assertion_algs().contains(&alg) {
        return Err(metadata_error(format!(
            "token_endpoint_auth_signing_alg `{value}` cannot sign {} client authentication",
            method.as_str()
        )));
    }
    Ok(alg)
}

/// Validates registration metadata into a client (without id/secret/registration), within what
/// `allowance` lets it ask for.
fn build_client(
    state: &AppState,
    body: &[u8],
    allowance: &Allowance,
) -> Result<(Client, Map<String, Value>), OAuthError> {
    let raw: Value = serde_json::from_slice(body)
        .map_err(|e| metadata_error(format!("the body is not JSON: {e}")))?;
    let Value::Object(object) = &raw else {
        return Err(metadata_error("the body must be a JSON object"));
    };
    let meta: Metadata = serde_json::from_value(raw.clone())
        .map_err(|e| metadata_error(format!("malformed metadata: {e}")))?;
    // RFC 7591 §2.1: response types and grant types must agree; each defaults to what the
    // other needs (`code` and `authorization_code` when neither is given).
    let response_types = match &meta.response_types {
        None => None,
        Some(list) => Some(
            list.iter()
                .map(|t| {
                    ResponseType::parse(t).ok_or_else(|| {
                        metadata_error(format!("response_types: `{t}` is not supported"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let grant_types = match meta.grant_types {
        None => {
            let mut grants = Vec::new();
            for r in response_types.as_deref().unwrap_or(&[ResponseType::CODE]) {
                for g in r.grant_types() {
                    if !grants.contains(&g) {
                        grants.push(g);
                    }
                }
            }
            grants
        }
        Some(list) => list
            .iter()
            .map(|g| {
                GrantType::parse(g)
                    .ok_or_else(|| metadata_error(format!("grant_type `{g}` is not supported")))
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    for r in response_types.iter().flatten() {
        if let Some(g) = r
            .grant_types()
            .into_iter()
            .find(|g| !grant_types.contains(g))
        {
            return Err(metadata_error(format!(
                "response_types: `{}` needs the {} grant type in grant_types",
                r.as_str(),
                g.as_str()
            )));
        }
    }
    if grant_types.contains(&GrantType::AuthorizationCode) && meta.redirect_uris.is_empty() {
        return Err(OAuthError::InvalidRedirectUri(
            "redirect_uris is required for the authorization_code grant".into(),
        ));
    }
    let application_type = match meta.application_type.as_deref() {
        None => ApplicationType::Web,
        Some(t) => ApplicationType::parse(t).ok_or_else(|| {
            metadata_error(format!(
                "application_type `{t}` is not supported; use `web` or `native`"
            ))
        })?,
    };
    // Every authorization request searches the list: an anonymous client must not make that
    // (and its own record) arbitrarily large.
    if meta.redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(OAuthError::InvalidRedirectUri(format!(
            "redirect_uris: at most {MAX_REDIRECT_URIS} entries"
        )));
    }
    if meta.post_logout_redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(metadata_error(format!(
            "post_logout_redirect_uris: at most {MAX_REDIRECT_URIS} entries"
        )));
    }
    let implicit_web =
        application_type == ApplicationType::Web && grant_types.contains(&GrantType::Implicit);
    for uri in &meta.redirect_uris {
        let url = redirect_uris::check(uri, application_type, Origin::Registration)
            .map_err(|e| OAuthError::InvalidRedirectUri(format!("redirect_uris: {e}")))?;
        if implicit_web {
            redirect_uris::check_for_implicit_web_client(&url)
                .map_err(|e| OAuthError::InvalidRedirectUri(format!("redirect_uris: {e}")))?;
        }
    }
    for uri in &meta.post_logout_redirect_uris {
        redirect_uris::check(uri, application_type, Origin::Registration)
            .map_err(|e| metadata_error(format!("post_logout_redirect_uris: {e}")))?;
    }
    // Logout URIs (Front-Channel Logout 1.0 §2, Back-Channel Logout 1.0 §2.2); the standard
    // error of RFC 7591 §3.2.2 where Gluu answers its own `invalid_logout_uri`.
    for (field, channel, uri) in [
        (
            "frontchannel_logout_uri",
            crate::logout::Channel::Front,
            &meta.frontchannel_logout_uri,
        ),
        (
            "backchannel_logout_uri",
            crate::logout::Channel::Back,
            &meta.backchannel_logout_uri,
        ),
    ] {
        if let Some(uri) = uri {
            crate::logout::check_uri(channel, uri, &meta.redirect_uris, application_type, false)
                .map_err(|e| metadata_error(format!("{field}: {e}")))?;
        }
    }
    let method = match meta.token_endpoint_auth_method.as_deref() {
        None => TokenEndpointAuthMethod::ClientSecretBasic,
        Some(m) => TokenEndpointAuthMethod::parse(m).ok_or_else(|| {
            metadata_error(format!("token_endpoint_auth_method `{m}` is not supported"))
        })?,
    };
    if method == TokenEndpointAuthMethod::None
        && grant_types.contains(&GrantType::ClientCredentials)
    {
        return Err(metadata_error(
            "a public client (token_endpoint_auth_method none) cannot use client_credentials",
        ));
    }
    let subject_type = match meta.subject_type.as_deref() {
        None => SubjectType::Public,
        Some(t) => SubjectType::parse(t).ok_or_else(|| {
            metadata_error(format!(
                "subject_type `{t}` is not supported; use `public` or `pairwise`"
            ))
        })?,
    };
    // With a sector_identifier_uri the sector is its host, and the document (fetched by
    // `check_sector`) vouches for redirect URIs on any host.
    if subject_type == SubjectType::Pairwise && meta.sector_identifier_uri.is_none() {
        crate::subjects::sector_of(&meta.redirect_uris)
            .map_err(|e| metadata_error(format!("subject_type: {e}")))?;
    }
    if let Some(uri) = &meta.initiate_login_uri {
        if !uri.starts_with("https://") || url::Url::parse(uri).is_err() {
            return Err(metadata_error("initiate_login_uri must be an https URL"));
        }
    }
    let id_alg = parse_alg(
        "id_token_signed_response_alg",
        meta.id_token_signed_response_alg.as_deref(),
        state,
    )?;
    let at_alg = parse_alg(
        "access_token_signing_alg",
        meta.access_token_signing_alg.as_deref(),
        state,
    )?;
    // Discovery's userinfo_signing_alg_values_supported is this same list (the OP's keys);
    // `none` is not a JWS a userinfo answer can be (OIDC Core §5.3.2 wants it signed or JSON).
    let userinfo_alg = meta
        .userinfo_signed_response_alg
        .as_deref()
        .map(|v| parse_alg("userinfo_signed_response_alg", Some(v), state))
        .transpose()?;
    let assertion_alg = meta
        .token_endpoint_auth_signing_alg
        .as_deref()
        .map(|a| assertion_alg(a, method))
        .transpose()?;
    let jwks: Option<jsonwebtoken::jwk::JwkSet> = meta
        .jwks
        .map(|v| {
            serde_json::from_value(v)
                .map_err(|e| metadata_error(format!("jwks: not a JWK set: {e}")))
        })
        .transpose()?;
    let request_object_signing_alg = meta
        .request_object_signing_alg
        .as_deref()
        .map(|a| {
            ClientAlg::parse(a).ok_or_else(|| {
                metadata_error(format!("request_object_signing_alg `{a}` is not supported"))
            })
        })
        .transpose()?;
    crate::client_jwt::check_metadata(
        jwks.as_ref(),
        meta.jwks_uri.as_deref(),
        method.uses_secret(),
        &[
            ("request_object_signing_alg", request_object_signing_alg),
            (
                "token_endpoint_auth_method",
                assertion_alg.or(method.assertion_algs().first().copied()),
            ),
        ],
    )
    .map_err(metadata_error)?;
    let mut default_acr_values = Vec::new();
    for acr in &meta.default_acr_values {
        let method = AcrMethod::parse(acr)
            .filter(|m| state.config.acr.enabled.contains(m))
            .ok_or_else(|| {
                metadata_error(format!("default_acr_values: `{acr}` is not supported"))
            })?;
        default_acr_values.push(method);
    }
    if meta.default_max_age.is_some_and(|a| a < 0) {
        return Err(metadata_error("default_max_age must not be negative"));
    }
    let patterns = meta
        .spontaneous_scopes
        .map(StringOrList::into_vec)
        .unwrap_or_default();
    let scopes: ScopeSet = match (meta.scope, meta.scopes) {
        (Some(s), _) => s.into_vec().into_iter().collect(),
        (None, Some(list)) => list.into_iter().collect(),
        (None, None) => state
            .config
            .scopes
            .iter()
            .filter(|s| s.dynamic_registration)
            .map(|s| s.name.clone())
            .collect(),
    };
    // Before compiling anything a client wrote: only patterns the policy lists get that far.
    allowance.check(&state.config, &grant_types, &scopes, &patterns)?;
    let mut spontaneous_scopes = Vec::new();
    for pattern in patterns {
        let re = compile_pattern(&pattern)
            .map_err(|e| metadata_error(format!("spontaneous_scopes: {e}")))?;
        spontaneous_scopes.push((pattern, re));
    }
    let client_name = meta.client_name.clone().unwrap_or_else(|| {
        meta.redirect_uris
            .first()
            .and_then(|u| url::Url::parse(u).ok())
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "dynamic client".into())
    });
    let extra: Map<String, Value> = object
        .iter()
        .filter(|(k, _)| ECHOED.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let client = Client {
        client_id: meta.client_id.unwrap_or_default(),
        client_secret: meta.client_secret,
        client_name,
        application_type,
        redirect_uris: meta.redirect_uris,
        scopes,
        grant_types,
        token_endpoint_auth_method: method,
        pre_authorized: false,
        persist_client_authorizations: true,
        allow_spontaneous_scopes: meta.allow_spontaneous_scopes,
        spontaneous_scopes,
        access_token_as_jwt: meta.access_token_as_jwt,
        access_token_signing_alg: at_alg,
        id_token_signed_response_alg: id_alg,
        userinfo_signed_response_alg: userinfo_alg,
        token_endpoint_auth_signing_alg: assertion_alg,
        jwks,
        jwks_uri: meta.jwks_uri,
        request_object_signing_alg,
        default_acr_values,
        default_max_age: meta.default_max_age,
        post_logout_redirect_uris: meta.post_logout_redirect_uris,
        frontchannel_logout_uri: meta.frontchannel_logout_uri,
        frontchannel_logout_session_required: meta.frontchannel_logout_session_required,
        backchannel_logout_uri: meta.backchannel_logout_uri,
        backchannel_logout_session_required: meta.backchannel_logout_session_required,
        additional_audience: Vec::new(),
        resource_servers: Vec::new(),
        introspect_any_token: false,
        disabled: false,
        subject_type,
        sector_identifier_uri: meta.sector_identifier_uri,
        default_scopes: ScopeSet::default(),
        access_token_claims: Map::new(),
        registration: None,
    };
    Ok((client, extra))
}

/// Fetches and checks the client's `sector_identifier_uri`, if it has one
/// ([`crate::subjects::check_sector_identifier_uri`]). Runs after every other check, so a
/// registration the OP refuses anyway costs no fetch.
async fn check_sector(state: &AppState, client: &Client) -> Result<(), OAuthError> {
    match &client.sector_identifier_uri {
        Some(uri) => {
            crate::subjects::check_sector_identifier_uri(state, uri, &client.redirect_uris)
                .await
                .map_err(metadata_error)
        }
        None => Ok(()),
    }
}

/// The registration response body.
fn describe(state: &AppState, client: &Client) -> Value {
    let mut body = json!({
        "client_id": client.client_id,
        "client_name": client.client_name,
        "application_type": client.application_type.as_str(),
        "redirect_uris": client.redirect_uris,
        "response_types": client.response_types().iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "grant_types": client.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "token_endpoint_auth_method": client.token_endpoint_auth_method.as_str(),
        "scope": client.scopes.to_string(),
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "default_acr_values": client.default_acr_values.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        "subject_type": client.subject_type.as_str(),
        "id_token_signed_response_alg": client.id_token_signed_response_alg.as_str(),
        "allow_spontaneous_scopes": client.allow_spontaneous_scopes,
        "spontaneous_scopes": client.spontaneous_scopes.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(),
        "access_token_as_jwt": client.access_token_as_jwt,
        "access_token_signing_alg": client.access_token_signing_alg.as_str(),
    });
    if let Some(age) = client.default_max_age {
        body["default_max_age"] = json!(age);
    }
    if let Value::Object(map) = &mut body {
        crate::logout::describe(client, map);
    }
    if let Some(jwks) = &client.jwks {
        body["jwks"] = json!(jwks);
    }
    if let Some(uri) = &client.jwks_uri {
        body["jwks_uri"] = json!(uri);
    }
    if let Some(alg) = client.request_object_signing_alg {
        body["request_object_signing_alg"] = json!(alg.as_str());
    }
    if let Some(uri) = &client.sector_identifier_uri {
        body["sector_identifier_uri"] = json!(uri);
    }
    if let Some(alg) = client.userinfo_signed_response_alg {
        body["userinfo_signed_response_alg"] = json!(alg.as_str());
    }
    if let Some(alg) = client.token_endpoint_auth_signing_alg {
        body["token_endpoint_auth_signing_alg"] = json!(alg.as_str());
    }
    if let Some(secret) = &client.client_secret {
        body["client_secret"] = json!(secret);
        body["client_secret_expires_at"] =
            json!(client.registration.as_ref().map_or(0, |r| r.expires_at));
    }
    if let Some(reg) = &client.registration {
        body["registration_access_token"] = json!(reg.access_token);
        body["registration_client_uri"] = json!(registration_client_uri(state, &client.client_id));
        body["client_id_issued_at"] = json!(reg.issued_at);
        if let Value::Object(map) = &mut body {
            for (k, v) in &reg.extra {
                map.insert(k.clone(), v.clone());
            }
        }
    }
    body
}

fn registration_client_uri(state: &AppState, client_id: &str) -> String {
    let mut url = state.url(paths::REGISTER);
    url.push_str("?client_id=");
    url.push_str(&url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect::<String>());
    url
}

fn json_status(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}

/// `POST /register`, optionally with `Authorization: Bearer <initial access token>`.
pub async fn create(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if !state.config.dynamic_registration {
        return OAuthError::AccessDenied("dynamic registration is disabled".into()).into_response();
    }
    let allowance = match bearer::from_header(&headers)
        .and_then(|token| registration_policy::allowance(&state.config, token.as_deref()))
    {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let (mut client, extra) = match build_client(&state, &body, &allowance) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = check_sector(&state, &client).await {
        return e.into_response();
    }
    client.client_id = uuid::Uuid::new_v4().to_string();
    client.client_secret = client
        .token_endpoint_auth_method
        .uses_secret()
        .then(|| random_token(32));
    let now = state.now();
    let lifetime = state.config.registration.client_lifetime;
    let registration = Registration {
        access_token: random_token(32),
        issued_at: now,
        expires_at: if lifetime > 0 {
            now.saturating_add(lifetime)
        } else {
            0
        },
        extra,
        allowance,
    };
    let expiry = registration.record_expiry();
    client.registration = Some(registration);
    // Past its expiry the record is gone: the client is unknown everywhere (invalid_client).
    state
        .storage
        .clients
        .insert(&client.client_id, Arc::new(client.clone()), expiry);
    json_status(StatusCode::CREATED, describe(&state, &client))
}

/// Authorizes a management request; both a wrong token and an unknown client are
/// `invalid_token` (RFC 7592 §2: don't reveal which).
fn managed(
    state: &AppState,
    headers: &HeaderMap,
    query: &Option<String>,
) -> Result<Arc<Client>, OAuthError> {
    let query = crate::server::parse_form(query.as_deref().unwrap_or_default().as_bytes())?;
    let token = bearer::from_header(headers)?.ok_or_else(|| {
        OAuthError::InvalidToken("the registration access token is missing".into())
    })?;
    let client_id = query
        .get("client_id")
        .map(String::as_str)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| OAuthError::InvalidRequest("client_id is required".into()))?;
    let invalid =
        || OAuthError::InvalidToken("the access token is not valid for the client".into());
    let client = state
        .storage
        .clients
        .get(client_id, state.now())
        .ok_or_else(invalid)?;
    match &client.registration {
        Some(reg) if secure_eq(&reg.access_token, &token) => Ok(client),
        _ => Err(invalid()),
    }
}

/// `GET /register?client_id=...`.
pub async fn read(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match managed(&state, &headers, &query) {
        Ok(client) => json_status(StatusCode::OK, describe(&state, &client)),
        Err(e) => e.into_response(),
    }
}

/// `PUT /register?client_id=...`: replaces the metadata (id, secret and token are kept).
pub async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let existing = match managed(&state, &headers, &query) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let allowance = existing
        .registration
        .as_ref()
        .map(|r| r.allowance.clone())
        .unwrap_or_default();
    let (mut client, extra) = match build_client(&state, &body, &allowance) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = check_sector(&state, &client).await {
        return e.into_response();
    }
    if !client.client_id.is_empty() && client.client_id != existing.client_id {
        return OAuthError::InvalidRequest("client_id in the body does not match".into())
            .into_response();
    }
    if let (Some(given), Some(stored)) = (&client.client_secret, &existing.client_secret) {
        if !secure_eq(given, stored) {
            return OAuthError::InvalidRequest("client_secret in the body does not match".into())
                .into_response();
        }
    }
    client.client_id = existing.client_id.clone();
    client.client_secret = if !client.token_endpoint_auth_method.uses_secret() {
        None
    } else {
        existing
            .client_secret
            .clone()
            .or_else(|| Some(random_token(32)))
    };
    client.registration = existing
        .registration
        .clone()
        .map(|r| Registration { extra, ..r });
    // An update keeps the registration's expiry: it does not extend the client's life.
    let expiry = client
        .registration
        .as_ref()
        .map_or(NEVER, Registration::record_expiry);
    state
        .storage
        .clients
        .insert(&client.client_id, Arc::new(client.clone()), expiry);
    json_status(StatusCode::OK, describe(&state, &client))
}

/// `DELETE /register?client_id=...`: removes the client and every token issued to it.
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match managed(&state, &headers, &query) {
        Ok(client) => {
            let id = client.client_id.clone();
            state.storage.clients.remove(&id);
            state
                .storage
                .access_tokens
                .remove_where(&|t| t.client_id == id);
            state
                .storage
                .refresh_tokens
                .remove_where(&|t| t.client_id == id);
            state.storage.codes.remove_where(&|c| c.client_id == id);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => e.into_response(),
    }
}
