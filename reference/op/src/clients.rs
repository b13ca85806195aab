//! Clients (static and dynamically registered) and client authentication at the token,
//! introspection and revocation endpoints (`client_secret_basic`, `client_secret_post`,
//! `client_secret_jwt`, `private_key_jwt`, `none`; the registered method is enforced, except
//! that the two secret methods stand in for each other).

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use regex::Regex;

use crate::acr::AcrMethod;
use crate::config::ClientConfig;
use crate::error::OAuthError;
use crate::protocol::{
    ApplicationType, ClientAlg, GrantType, ResponseType, SigningAlg, SubjectType,
    TokenEndpointAuthMethod,
};
use crate::scopes::{compile_pattern, ScopeSet};
use crate::server::AppState;
use crate::util::secure_eq;

impl Registration {
    /// The storage expiry of the client record.
    pub fn record_expiry(&self) -> i64 {
        if self.expires_at == 0 {
            crate::storage::NEVER
        } else {
            self.expires_at
        }
    }
}

/// Registration data of a dynamically registered client (RFC 7592 management).
#[derive(Debug, Clone)]
pub struct Registration {
    /// Bearer token for GET/PUT/DELETE of the registration.
    pub access_token: String,
    /// `client_id_issued_at`.
    pub issued_at: i64,
    /// `client_secret_expires_at`: when the client stops existing (0 = never).
    pub expires_at: i64,
    /// Metadata echoed back but not interpreted (client_uri, logo_uri, contacts, ...).
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// What the registration was allowed to ask for; updates are held to it.
    pub allowance: crate::registration_policy::Allowance,
}

/// A client as the OP uses it.
#[derive(Debug, Clone)]
pub struct Client {
    /// Identifier.
    pub client_id: String,
    /// Secret of a confidential client.
    pub client_secret: Option<String>,
    /// Display name.
    pub client_name: String,
    /// `web` or `native`: which redirect URI schemes it may register.
    pub application_type: ApplicationType,
    /// Registered redirect URIs (matched exactly).
    pub redirect_uris: Vec<String>,
    /// Scopes the client may be granted.
    pub scopes: ScopeSet,
    /// Allowed grant types.
    pub grant_types: Vec<GrantType>,
    /// Authentication method at the token endpoint.
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    /// Skip consent.
    pub pre_authorized: bool,
    /// Remember consent.
    pub persist_client_authorizations: bool,
    /// Spontaneous scopes allowed.
    pub allow_spontaneous_scopes: bool,
    /// Spontaneous scope patterns (source, compiled whole-match regex).
    pub spontaneous_scopes: Vec<(String, Regex)>,
    /// JWT access tokens.
    pub access_token_as_jwt: bool,
    /// JWT access token algorithm.
    pub access_token_signing_alg: SigningAlg,
    /// ID token algorithm.
    pub id_token_signed_response_alg: SigningAlg,
    /// When set, userinfo answers a JWT signed with it (`application/jwt`, OIDC Core §5.3.2)
    /// instead of JSON.
    pub userinfo_signed_response_alg: Option<SigningAlg>,
    /// When set, the only algorithm its client assertions may use (OpenID Connect Dynamic
    /// Client Registration 1.0 §2, `token_endpoint_auth_signing_alg`).
    pub token_endpoint_auth_signing_alg: Option<ClientAlg>,
    /// Its public keys, registered by value ([`crate::client_jwt::key_set`]).
    pub jwks: Option<jsonwebtoken::jwk::JwkSet>,
    /// Where its public keys are fetched.
    pub jwks_uri: Option<String>,
    /// The one algorithm its request objects must use, when it registered one.
    pub request_object_signing_alg: Option<ClientAlg>,
    /// Default ACR values (known methods only).
    pub default_acr_values: Vec<AcrMethod>,
    /// Default maximum authentication age.
    pub default_max_age: Option<i64>,
    /// Registered post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Front-channel logout URI ([`crate::logout::frontchannel`]).
    pub frontchannel_logout_uri: Option<String>,
    /// `iss` and `sid` go to the front-channel logout URI.
    pub frontchannel_logout_session_required: bool,
    /// Back-channel logout URI ([`crate::logout::backchannel`]).
    pub backchannel_logout_uri: Option<String>,
    /// The client requires `sid` in logout tokens (always sent).
    pub backchannel_logout_session_required: bool,
    /// Audiences of its access tokens after its own id.
    pub additional_audience: Vec<String>,
    /// Resource servers it serves (introspection of tokens naming them).
    pub resource_servers: Vec<String>,
    /// May introspect every token.
    pub introspect_any_token: bool,
    /// Refused everywhere.
    pub disabled: bool,
    /// Which `sub` it sees ([`crate::subjects`]).
    pub subject_type: SubjectType,
    /// Its registered `sector_identifier_uri`, checked at registration; its host is the sector
    /// of its pairwise subjects ([`crate::subjects::sector_for`]).
    pub sector_identifier_uri: Option<String>,
    /// Scopes added to every grant.
    pub default_scopes: ScopeSet,
    /// Fixed claims of access tokens (JWT and introspection).
    pub access_token_claims: serde_json::Map<String, serde_json::Value>,
    /// Present for dynamically registered clients.
    pub registration: Option<Registration>,
}

/// Access-token claims `access_token_claims` cannot override.
const RESERVED_CLAIMS: [&str; 13] = [
    "iss",
    "aud",
    "sub",
    "client_id",
    "scope",
    "token_type",
    "exp",
    "iat",
    "nbf",
    "jti",
    "username",
    "preferred_username",
    "active",
];

impl Client {
    /// Builds a client from its static configuration (already validated).
    pub fn from_config(c: &ClientConfig) -> anyhow::Result<Self> {
        let spontaneous_scopes = c
            .spontaneous_scopes
            .iter()
            .map(|p| compile_pattern(p).map(|re| (p.clone(), re)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(anyhow::Error::msg)?;
        Ok(Self {
            client_id: c.client_id.clone(),
            client_secret: c.client_secret.clone(),
            client_name: c.client_name.clone().unwrap_or_else(|| c.client_id.clone()),
            application_type: c.application_type,
            redirect_uris: c.redirect_uris.clone(),
            scopes: c.scopes.iter().cloned().collect(),
            grant_types: c.grant_types.clone(),
            token_endpoint_auth_method: c.token_endpoint_auth_method,
            pre_authorized: c.pre_authorized,
            persist_client_authorizations: c.persist_client_authorizations,
            allow_spontaneous_scopes: c.allow_spontaneous_scopes,
            spontaneous_scopes,
            access_token_as_jwt: c.access_token_as_jwt,
            access_token_signing_alg: c.access_token_signing_alg.unwrap_or_default(),
            id_token_signed_response_alg: c.id_token_signed_response_alg.unwrap_or_default(),
            userinfo_signed_response_alg: c.userinfo_signed_response_alg,
            token_endpoint_auth_signing_alg: c.token_endpoint_auth_signing_alg,
            jwks: c.jwks.clone(),
            jwks_uri: c.jwks_uri.clone(),
            request_object_signing_alg: c.request_object_signing_alg,
            default_acr_values: c
                .default_acr_values
                .iter()
                .filter_map(|a| AcrMethod::parse(a))
                .collect(),
            default_max_age: c.default_max_age,
            post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
            frontchannel_logout_uri: c.frontchannel_logout_uri.clone(),
            frontchannel_logout_session_required: c.frontchannel_logout_session_required,
            backchannel_logout_uri: c.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: c.backchannel_logout_session_required,
            additional_audience: c.additional_audience.clone(),
            resource_servers: c.resource_servers.clone(),
            introspect_any_token: c.introspect_any_token,
            disabled: c.disabled,
            subject_type: c.subject_type,
            sector_identifier_uri: None,
            default_scopes: c
                .default_scopes
                .iter()
                .filter(|s| c.scopes.contains(s))
                .cloned()
                .collect(),
            access_token_claims: c
                .access_token_claims
                .iter()
                .filter(|(k, _)| !RESERVED_CLAIMS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            registration: None,
        })
    }

    /// Whether the client is public (no secret).
    pub fn is_public(&self) -> bool {
        self.token_endpoint_auth_method == TokenEndpointAuthMethod::None
    }

    /// The response types its grant types allow (the registration response echoes these).
    pub fn response_types(&self) -> Vec<ResponseType> {
        ResponseType::ALL
            .into_iter()
            .filter(|r| r.grant_types().iter().all(|g| self.allows_grant(*g)))
            .collect()
    }

    /// Whether the client may use `grant`.
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// `aud` of its access tokens: its own id, then each additional audience (no repeats).
    pub fn audience(&self) -> Vec<String> {
        let mut audience = vec![self.client_id.clone()];
        for a in &self.additional_audience {
            if !audience.contains(a) {
                audience.push(a.clone());
            }
        }
        audience
    }

    /// The pattern matching a spontaneous scope, if the client allows spontaneous scopes.
    pub fn spontaneous_match(&self, scope: &str) -> Option<&str> {
        if !self.allow_spontaneous_scopes {
            return None;
        }
        self.spontaneous_scopes
            .iter()
            .find(|(source, re)| source == scope || re.is_match(scope))
            .map(|(source, _)| source.as_str())
    }
}

/// Credentials a request presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedCredentials {
    /// How they were presented.
    pub method: TokenEndpointAuthMethod,
    /// Claimed client id.
    pub client_id: String,
    /// Secret, absent for `none` and assertions.
    pub secret: Option<String>,
    /// A `client_assertion` (RFC 7523 §2.2), verified by [`authenticate`].
    pub assertion: Option<String>,
}

/// RFC 7523 §2.2's `client_assertion_type`.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The presented form of an assertion: who it claims to be (`iss`, RFC 7523 §3) and which
/// method its algorithm means; unverified.
fn assertion_claims(assertion: &str) -> Result<(String, TokenEndpointAuthMethod), OAuthError> {
    use jsonwebtoken::Algorithm::{HS256, HS384, HS512};
    let bad = |why: String| OAuthError::InvalidClient(format!("client_assertion: {why}"));
    // Read only to find the client and its method; the signature is verified afterwards
    // with that client's secret or keys (`client_jwt::verify`).
    let header =
        jsonwebtoken::decode_header(assertion).map_err(|e| bad(format!("not a JWT ({e})")))?;
    let claims = jsonwebtoken::dangerous::insecure_decode::<serde_json::Value>(assertion)
        .map_err(|e| bad(format!("not a JWT ({e})")))?
        .claims;
    let iss = claims["iss"]
        .as_str()
        .ok_or_else(|| bad("no iss".into()))?
        .to_owned();
    let method = if matches!(header.alg, HS256 | HS384 | HS512) {
        TokenEndpointAuthMethod::ClientSecretJwt
    } else {
        TokenEndpointAuthMethod::PrivateKeyJwt
    };
    Ok((iss, method))
}

/// Reads client credentials from `Authorization: Basic` or the form body. `Ok(None)` means the
/// request presented none at all.
pub fn presented_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<Option<PresentedCredentials>, OAuthError> {
    let basic = match headers.get(header::AUTHORIZATION) {
        Some(value) => {
            let value = value
                .to_str()
                .map_err(|_| OAuthError::InvalidClient("malformed Authorization header".into()))?;
            match value.split_once(' ') {
                Some((scheme, rest)) if scheme.eq_ignore_ascii_case("basic") => {
                    Some(decode_basic(rest.trim())?)
                }
                _ => None,
            }
        }
        None => None,
    };
    let form_id = form.get("client_id").filter(|v| !v.is_empty());
    let form_secret = form.get("client_secret").filter(|v| !v.is_empty());
    let assertion = form.get("client_assertion").filter(|v| !v.is_empty());
    let assertion_type = form.get("client_assertion_type").filter(|v| !v.is_empty());
    if assertion.is_some() || assertion_type.is_some() {
        if basic.is_some() || form_secret.is_some() {
            return Err(OAuthError::InvalidRequest(
                "client authenticated with more than one method".into(),
            ));
        }
        let (Some(assertion), Some(kind)) = (assertion, assertion_type) else {
            return Err(OAuthError::InvalidRequest(
                "client_assertion and client_assertion_type come together".into(),
            ));
        };
        if kind != JWT_BEARER {
            return Err(OAuthError::InvalidClient(format!(
                "client_assertion_type `{kind}` is not supported (use {JWT_BEARER})"
            )));
        }
        let (iss, method) = assertion_claims(assertion)?;
        if form_id.is_some_and(|f| *f != iss) {
            return Err(OAuthError::InvalidClient(
                "client_id differs from the assertion's iss".into(),
            ));
        }
        return Ok(Some(PresentedCredentials {
            method,
            client_id: iss,
            secret: None,
            assertion: Some(assertion.clone()),
        }));
    }
    match (basic, form_secret) {
        (Some(_), Some(_)) => Err(OAuthError::InvalidRequest(
            "client authenticated with more than one method".into(),
        )),
        (Some((id, secret)), None) => {
            if form_id.is_some_and(|f| *f != id) {
                return Err(OAuthError::InvalidClient(
                    "client_id in the body differs from the Basic credentials".into(),
                ));
            }
            Ok(Some(PresentedCredentials {
                method: TokenEndpointAuthMethod::ClientSecretBasic,
                client_id: id,
                secret: Some(secret),
                assertion: None,
            }))
        }
        (None, Some(secret)) => match form_id {
            Some(id) => Ok(Some(PresentedCredentials {
                method: TokenEndpointAuthMethod::ClientSecretPost,
                client_id: id.clone(),
                secret: Some(secret.clone()),
                assertion: None,
            })),
            None => Err(OAuthError::InvalidRequest(
                "client_secret without client_id".into(),
            )),
        },
        (None, None) => Ok(form_id.map(|id| PresentedCredentials {
            method: TokenEndpointAuthMethod::None,
            client_id: id.clone(),
            secret: None,
            assertion: None,
        })),
    }
}

fn decode_basic(encoded: &str) -> Result<(String, String), OAuthError> {
    let bad = || OAuthError::InvalidClient("malformed Basic credentials".into());
    let bytes = STANDARD.decode(encoded).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad)?;
    // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
    let decode = |s: &str| {
        // Most ids and secrets have nothing encoded: copied once, not rewritten and decoded.
        if !s.contains(['+', '%']) {
            return Ok(s.to_owned());
        }
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| bad())
    };
    Ok((decode(id)?, decode(secret)?))
}

/// Looks up an enabled client.
pub fn find_enabled(state: &AppState, client_id: &str) -> Result<Arc<Client>, OAuthError> {
    let client = state
        .storage
        .clients
        .get(client_id, state.now())
        .ok_or_else(|| OAuthError::InvalidClient(format!("unknown client `{client_id}`")))?;
    if client.disabled {
        return Err(OAuthError::InvalidClient(format!(
            "client `{client_id}` is disabled"
        )));
    }
    Ok(client)
}

/// Authenticates the client of a token/introspection/revocation request with the method it
/// registered: a secret (Basic or form, either way) for `client_secret_basic`/`_post`, an
/// assertion for `client_secret_jwt`/`private_key_jwt`, nothing for `none`.
pub async fn authenticate(
    state: &AppState,
    presented: Option<PresentedCredentials>,
) -> Result<Arc<Client>, OAuthError> {
    let presented = presented
        .ok_or_else(|| OAuthError::InvalidClient("client authentication is required".into()))?;
    let client = find_enabled(state, &presented.client_id)?;
    let registered = client.token_endpoint_auth_method;
    if let Some(assertion) = &presented.assertion {
        if registered.assertion_algs().is_empty() {
            return Err(OAuthError::InvalidClient(format!(
                "this client authenticates with {}, not a client assertion",
                registered.as_str()
            )));
        }
        verify_assertion(state, &client, assertion).await?;
        return Ok(client);
    }
    if !registered.assertion_algs().is_empty() {
        return Err(OAuthError::InvalidClient(format!(
            "this client must authenticate with {} (a client_assertion)",
            registered.as_str()
        )));
    }
    match (&client.client_secret, &presented.secret) {
        (Some(expected), Some(given)) if secure_eq(expected, given) => Ok(client),
        (Some(_), Some(_)) => Err(OAuthError::InvalidClient("client secret is wrong".into())),
        (Some(_), None) => Err(OAuthError::InvalidClient(
            "this confidential client must authenticate with its secret".into(),
        )),
        (None, None) => Ok(client),
        (None, Some(_)) => Err(OAuthError::InvalidClient(
            "this public client has no secret".into(),
        )),
    }
}

/// RFC 7523 §3 and OIDC Core §9: signed by the client with an algorithm of its method, `iss`
/// and `sub` the client, `aud` the token endpoint or the issuer (or the endpoint called), `exp`
/// required and not past, `jti` required and never seen before for this client.
async fn verify_assertion(
    state: &AppState,
    client: &Client,
    assertion: &str,
) -> Result<(), OAuthError> {
    let bad = |why: String| OAuthError::InvalidClient(format!("client_assertion: {why}"));
    let registered = client.token_endpoint_auth_signing_alg.map(|a| [a]);
    let algs = match &registered {
        Some(one) => one.as_slice(),
        None => client.token_endpoint_auth_method.assertion_algs(),
    };
    let verified = crate::client_jwt::verify(state, client, assertion, algs)
        .await
        .map_err(bad)?;
    let claims = &verified.claims;
    for name in ["iss", "sub"] {
        if claims.get(name).and_then(|v| v.as_str()) != Some(client.client_id.as_str()) {
            return Err(bad(format!("{name} must be the client_id")));
        }
    }
    use crate::server::paths;
    let accepted = [
        state.issuer.to_string(),
        state.url(paths::TOKEN),
        state.url(paths::INTROSPECTION),
        state.url(paths::REVOKE),
    ];
    let accepted: Vec<&str> = accepted.iter().map(String::as_str).collect();
    if !crate::client_jwt::audience_is(claims, &accepted) {
        return Err(bad("aud must be the token endpoint or the issuer".into()));
    }
    let now = state.now();
    crate::client_jwt::check_times(claims, now, true).map_err(bad)?;
    let jti = claims
        .get("jti")
        .and_then(|v| v.as_str())
        .filter(|j| !j.is_empty())
        .ok_or_else(|| bad("jti is required".into()))?;
    let key = format!("{}\n{jti}", client.client_id);
    if state.storage.assertion_jtis.get(&key, now).is_some() {
        return Err(bad("this jti was used before (replay)".into()));
    }
    let exp = claims.get("exp").and_then(|v| v.as_i64()).unwrap_or(now);
    state.storage.assertion_jtis.insert(
        &key,
        (),
        exp.max(now).saturating_add(crate::client_jwt::LEEWAY),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn an_assertion_names_its_client_and_method_and_anything_else_is_invalid_client() {
        let b64 = |v: serde_json::Value| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        let jwt = |alg: &str, claims: serde_json::Value| {
            format!(
                "{}.{}.c2ln",
                b64(serde_json::json!({"alg": alg})),
                b64(claims)
            )
        };
        let iss = serde_json::json!({"iss": "rp-1", "aud": "https://op"});
        assert_eq!(
            assertion_claims(&jwt("HS256", iss.clone())).unwrap(),
            ("rp-1".to_owned(), TokenEndpointAuthMethod::ClientSecretJwt)
        );
        assert_eq!(
            assertion_claims(&jwt("RS256", iss.clone())).unwrap(),
            ("rp-1".to_owned(), TokenEndpointAuthMethod::PrivateKeyJwt)
        );
        for bad in [
            "garbage".to_owned(),
            "a.b.c".to_owned(),
            jwt("RS256", serde_json::json!({"aud": "https://op"})),
            jwt("none", iss),
        ] {
            match assertion_claims(&bad) {
                Err(OAuthError::InvalidClient(m)) => {
                    assert!(m.starts_with("client_assertion: "), "{m}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn basic(id: &str, secret: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&value).unwrap(),
        );
        headers
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let creds = presented_credentials(&basic("my%20client", "p%3Ass"), &form(&[]))
            .unwrap()
            .unwrap();
        assert_eq!(creds.client_id, "my client");
        assert_eq!(creds.secret.as_deref(), Some("p:ss"));
        assert_eq!(creds.method, TokenEndpointAuthMethod::ClientSecretBasic);
        let creds = presented_credentials(&basic("a+b", "plain-secret"), &form(&[]))
            .unwrap()
            .unwrap();
        assert_eq!(creds.client_id, "a b", "+ is a space");
        assert_eq!(creds.secret.as_deref(), Some("plain-secret"));
        let err = presented_credentials(&basic("%FF", "s"), &form(&[])).unwrap_err();
        assert_eq!(err.code(), "invalid_client", "not UTF-8 once decoded");
    }

    #[test]
    fn post_and_none_methods() {
        let creds = presented_credentials(
            &HeaderMap::new(),
            &form(&[("client_id", "a"), ("client_secret", "b")]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(creds.method, TokenEndpointAuthMethod::ClientSecretPost);
        let creds = presented_credentials(&HeaderMap::new(), &form(&[("client_id", "a")]))
            .unwrap()
            .unwrap();
        assert_eq!(creds.method, TokenEndpointAuthMethod::None);
        assert_eq!(
            presented_credentials(&HeaderMap::new(), &form(&[])).unwrap(),
            None
        );
    }

    #[test]
    fn malformed_or_double_credentials_are_rejected() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert_eq!(
            presented_credentials(&headers, &form(&[]))
                .unwrap_err()
                .code(),
            "invalid_client"
        );
        let err =
            presented_credentials(&basic("a", "b"), &form(&[("client_secret", "b")])).unwrap_err();
        assert_eq!(err.code(), "invalid_request");
        let err =
            presented_credentials(&basic("a", "b"), &form(&[("client_id", "other")])).unwrap_err();
        assert_eq!(err.code(), "invalid_client");
    }
}
