//! `register-site` (dynamic registration at the OP, or adoption of an existing client) and
//! `update-site` (RFC 7592 update of a client oxd registered).

use axum::extract::State;
use axum::Json;
use openidconnect::core::{
    CoreApplicationType, CoreClientAuthMethod, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreRegisterErrorResponseType, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::registration::{
    AdditionalClientMetadata, ClientRegistrationError, ClientRegistrationRequest,
    EmptyAdditionalClientRegistrationResponse,
};
use openidconnect::{
    AuthenticationContextClass, ClientName, LocalizedClaim, RedirectUrl, ResponseTypes,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::error::OxdError;
use crate::protection::Protected;
use crate::provider::{chain, excerpt};
use crate::request::{absolute_urls, required, without_nulls, Command, StringList};
use crate::server::AppState;
use crate::store::Site;

/// Gluu's client metadata beyond OpenID Connect Dynamic Client Registration 1.0. Kept as JSON
/// values so an OP echoing them in another shape does not fail the registration.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GluuClientMetadata {
    /// Space-separated scopes the client may request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Value>,
    /// RP-initiated logout redirect URIs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_logout_redirect_uris: Option<Value>,
    /// Whether spontaneous scopes are granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_spontaneous_scopes: Option<Value>,
    /// Regexes of grantable spontaneous scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spontaneous_scopes: Option<Value>,
    /// Whether access tokens are JWTs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_as_jwt: Option<Value>,
    /// Signing algorithm of JWT access tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_signing_alg: Option<Value>,
    /// Whether RPTs are JWTs (UMA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpt_as_jwt: Option<Value>,
    /// UMA claims redirect URIs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims_redirect_uri: Option<Value>,
}
impl AdditionalClientMetadata for GluuClientMetadata {}

type RegistrationRequest = ClientRegistrationRequest<
    GluuClientMetadata,
    EmptyAdditionalClientRegistrationResponse,
    CoreApplicationType,
    CoreClientAuthMethod,
    CoreRegisterErrorResponseType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// Scopes registered when the request names none: `oxd` lets the site obtain protection tokens.
const DEFAULT_SCOPES: [&str; 2] = ["openid", "oxd"];
/// Grant types registered when the request names none.
const DEFAULT_GRANT_TYPES: [&str; 3] =
    ["authorization_code", "refresh_token", "client_credentials"];

/// Client settings shared by `register-site` and `update-site`.
#[derive(Debug, Default, Deserialize)]
pub struct SiteSettings {
    redirect_uris: Option<Vec<String>>,
    /// Legacy single redirect URI (GG's tests still send it).
    authorization_redirect_uri: Option<String>,
    post_logout_redirect_uris: Option<Vec<String>>,
    /// Legacy single post-logout redirect URI.
    post_logout_redirect_uri: Option<String>,
    scope: Option<StringList>,
    acr_values: Option<StringList>,
    grant_types: Option<Vec<String>>,
    client_name: Option<String>,
    claims_redirect_uri: Option<Vec<String>>,
    access_token_as_jwt: Option<bool>,
    rpt_as_jwt: Option<bool>,
    access_token_signing_alg: Option<String>,
    allow_spontaneous_scopes: Option<bool>,
    spontaneous_scopes: Option<StringList>,
}

impl SiteSettings {
    fn redirect_uris(&self) -> Option<Vec<String>> {
        match (&self.redirect_uris, &self.authorization_redirect_uri) {
            (Some(list), _) => Some(list.clone()),
            (_, Some(one)) if !one.trim().is_empty() => Some(vec![one.trim().to_owned()]),
            _ => None,
        }
    }

    fn post_logout_redirect_uris(&self) -> Option<Vec<String>> {
        match (
            &self.post_logout_redirect_uris,
            &self.post_logout_redirect_uri,
        ) {
            (Some(list), _) => Some(list.clone()),
            (_, Some(one)) if !one.trim().is_empty() => Some(vec![one.trim().to_owned()]),
            _ => None,
        }
    }

    /// Applies these settings over `site` (fields left out keep their value).
    fn apply(self, site: &mut Site) -> Result<(), OxdError> {
        if let Some(uris) = self.redirect_uris() {
            if uris.is_empty() {
                return Err(OxdError::invalid("redirect_uris", "must not be empty"));
            }
            absolute_urls("redirect_uris", &uris)?;
            site.redirect_uris = uris;
        }
        if let Some(uris) = self.post_logout_redirect_uris() {
            absolute_urls("post_logout_redirect_uris", &uris)?;
            site.post_logout_redirect_uris = uris;
        }
        if let Some(scope) = self.scope {
            site.scopes = scope.into_vec();
        }
        if let Some(acrs) = self.acr_values {
            site.acr_values = acrs.into_vec();
        }
        if let Some(grants) = self.grant_types {
            for (i, g) in grants.iter().enumerate() {
                if g.trim().is_empty() {
                    return Err(OxdError::invalid(format!("grant_types[{i}]"), "is empty"));
                }
            }
            site.grant_types = grants;
        }
        if let Some(uris) = self.claims_redirect_uri {
            absolute_urls("claims_redirect_uri", &uris)?;
            site.metadata
                .insert("claims_redirect_uri".into(), json!(uris));
        }
        let mut set = |key: &str, v: Option<Value>| {
            if let Some(v) = v {
                site.metadata.insert(key.into(), v);
            }
        };
        set("client_name", self.client_name.map(Value::from));
        set(
            "access_token_as_jwt",
            self.access_token_as_jwt.map(Value::from),
        );
        set("rpt_as_jwt", self.rpt_as_jwt.map(Value::from));
        set(
            "access_token_signing_alg",
            self.access_token_signing_alg.map(Value::from),
        );
        set(
            "allow_spontaneous_scopes",
            self.allow_spontaneous_scopes.map(Value::from),
        );
        set(
            "spontaneous_scopes",
            self.spontaneous_scopes.map(|s| json!(s.into_vec())),
        );
        Ok(())
    }
}

/// `register-site` request.
#[derive(Debug, Deserialize)]
pub struct RegisterSite {
    op_host: Option<String>,
    /// An existing client to adopt instead of registering one.
    client_id: Option<String>,
    client_secret: Option<String>,
    #[serde(flatten)]
    settings: SiteSettings,
}

/// `POST /register-site` (unprotected) → `oxd_id, client_id, client_secret, ...`.
pub async fn register_site(
    State(app): State<AppState>,
    Command(req): Command<RegisterSite>,
) -> Result<Json<Value>, OxdError> {
    if req.settings.redirect_uris().is_none() {
        return Err(OxdError::MissingField("redirect_uris"));
    }
    let op_host = app.op_host(req.op_host)?;
    let mut site = Site {
        oxd_id: uuid::Uuid::new_v4().to_string(),
        op_host: op_host.clone(),
        client_id: String::new(),
        client_secret: String::new(),
        registration_access_token: None,
        registration_client_uri: None,
        client_id_issued_at: None,
        client_secret_expires_at: None,
        redirect_uris: Vec::new(),
        post_logout_redirect_uris: Vec::new(),
        scopes: DEFAULT_SCOPES.map(str::to_owned).to_vec(),
        acr_values: Vec::new(),
        grant_types: DEFAULT_GRANT_TYPES.map(str::to_owned).to_vec(),
        metadata: Map::new(),
    };
    req.settings.apply(&mut site)?;
    let grant_types = parse_grant_types(&site.grant_types)?;
    let metadata = app.providers.metadata(&op_host).await?;

    match (
        req.client_id.filter(|s| !s.trim().is_empty()),
        req.client_secret,
    ) {
        (Some(client_id), secret) => {
            // Adopting a client created elsewhere (GG's UI does this): nothing to register.
            site.client_secret = required(secret, "client_secret")?;
            site.client_id = client_id;
        }
        (None, _) => {
            let endpoint = metadata.registration_endpoint().cloned().ok_or_else(|| {
                OxdError::Op(format!(
                    "OP {op_host} publishes no registration_endpoint; pass client_id and client_secret of an existing client"
                ))
            })?;
            let request = registration_request(&site, grant_types)?;
            let response = request
                .register_async(&endpoint, app.providers.http())
                .await
                .map_err(registration_error)?;
            site.client_id = response.client_id().as_str().to_owned();
            site.client_secret = response
                .client_secret()
                .map(|s| s.secret().clone())
                .ok_or_else(|| {
                    OxdError::Op(format!("OP {op_host} registered a client without secret"))
                })?;
            site.registration_access_token = response
                .registration_access_token()
                .map(|t| t.secret().clone());
            site.registration_client_uri = response
                .registration_client_uri()
                .map(|u| u.url().to_string());
            site.client_id_issued_at = response.client_id_issued_at().map(|t| t.timestamp());
            site.client_secret_expires_at =
                response.client_secret_expires_at().map(|t| t.timestamp());
        }
    }
    let body = without_nulls(json!({
        "oxd_id": site.oxd_id,
        "op_host": site.op_host,
        "client_id": site.client_id,
        "client_secret": site.client_secret,
        "client_registration_access_token": site.registration_access_token,
        "client_registration_client_uri": site.registration_client_uri,
        "client_id_issued_at": site.client_id_issued_at,
        "client_secret_expires_at": site.client_secret_expires_at,
    }));
    app.store.put_site(site);
    Ok(Json(body))
}

fn parse_grant_types(grants: &[String]) -> Result<Vec<CoreGrantType>, OxdError> {
    grants
        .iter()
        .enumerate()
        .map(|(i, g)| {
            serde_json::from_value(Value::String(g.clone()))
                .map_err(|e| OxdError::invalid(format!("grant_types[{i}]"), e.to_string()))
        })
        .collect()
}

fn registration_request(
    site: &Site,
    grant_types: Vec<CoreGrantType>,
) -> Result<RegistrationRequest, OxdError> {
    let redirect_uris = site
        .redirect_uris
        .iter()
        .enumerate()
        .map(|(i, u)| {
            RedirectUrl::new(u.clone())
                .map_err(|e| OxdError::invalid(format!("redirect_uris[{i}]"), e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let extra = |k: &str| site.metadata.get(k).cloned();
    let gluu = GluuClientMetadata {
        scope: Some(json!(site.scopes.join(" "))),
        post_logout_redirect_uris: (!site.post_logout_redirect_uris.is_empty())
            .then(|| json!(site.post_logout_redirect_uris)),
        allow_spontaneous_scopes: extra("allow_spontaneous_scopes"),
        spontaneous_scopes: extra("spontaneous_scopes"),
        access_token_as_jwt: extra("access_token_as_jwt"),
        access_token_signing_alg: extra("access_token_signing_alg"),
        rpt_as_jwt: extra("rpt_as_jwt"),
        claims_redirect_uri: extra("claims_redirect_uri"),
    };
    let response_types = if site.grant_types.iter().any(|g| g == "authorization_code") {
        Some(vec![ResponseTypes::new(vec![CoreResponseType::Code])])
    } else {
        None
    };
    let acrs = (!site.acr_values.is_empty()).then(|| {
        site.acr_values
            .iter()
            .map(|a| AuthenticationContextClass::new(a.clone()))
            .collect()
    });
    let name = site
        .metadata
        .get("client_name")
        .and_then(Value::as_str)
        .map(|n| LocalizedClaim::from(ClientName::new(n.to_owned())));
    Ok(RegistrationRequest::new(redirect_uris, gluu)
        .set_grant_types(Some(grant_types))
        .set_response_types(response_types)
        .set_token_endpoint_auth_method(Some(CoreClientAuthMethod::ClientSecretBasic))
        .set_default_acr_values(acrs)
        .set_client_name(name))
}

fn registration_error<RE: std::error::Error + 'static>(
    e: ClientRegistrationError<CoreRegisterErrorResponseType, RE>,
) -> OxdError {
    match e {
        ClientRegistrationError::ServerResponse(resp) => {
            let code = resp.error().as_ref().to_owned();
            let mut description = format!("OP registration endpoint refused the client: {code}");
            if let Some(d) = resp.error_description() {
                description.push_str(": ");
                description.push_str(d);
            }
            OxdError::OpRejected { code, description }
        }
        ClientRegistrationError::Request(inner) => OxdError::Op(format!(
            "OP registration endpoint unreachable or too slow: {}",
            chain(&inner)
        )),
        ClientRegistrationError::Response(status, body, _) => OxdError::Op(format!(
            "OP registration endpoint answered {status}: {}",
            excerpt(&body)
        )),
        other => OxdError::Op(format!("OP registration failed: {}", chain(&other))),
    }
}

/// `update-site` request.
#[derive(Debug, Deserialize)]
pub struct UpdateSite {
    oxd_id: Option<String>,
    #[serde(flatten)]
    settings: SiteSettings,
}

/// `POST /update-site` (protected): changes the site and, when oxd registered the client,
/// the client at the OP (RFC 7592). The local site changes only if the OP accepted.
pub async fn update_site(
    State(app): State<AppState>,
    protected: Protected,
    Command(req): Command<UpdateSite>,
) -> Result<Json<Value>, OxdError> {
    let site = app.site(req.oxd_id)?;
    protected.allows(&app, &site).await?;
    let mut updated = site.clone();
    req.settings.apply(&mut updated)?;
    let grant_types = parse_grant_types(&updated.grant_types)?;
    if let (Some(uri), Some(token)) = (
        &updated.registration_client_uri,
        &updated.registration_access_token,
    ) {
        let request = registration_request(&updated, grant_types)?;
        let mut body = serde_json::to_value(request.client_metadata())
            .map_err(|e| OxdError::Op(format!("cannot encode client metadata: {e}")))?;
        if let Value::Object(map) = &mut body {
            map.insert("client_id".into(), json!(updated.client_id));
        }
        let response = app
            .providers
            .http()
            .put(uri)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                OxdError::Op(format!(
                    "OP client configuration endpoint unreachable or too slow: {}",
                    chain(&e)
                ))
            })?;
        let status = response.status();
        if !status.is_success() {
            let bytes = response.bytes().await.unwrap_or_default();
            let op: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let description = format!(
                "OP client configuration endpoint answered {status}: {}",
                excerpt(&bytes)
            );
            return Err(match op.get("error").and_then(Value::as_str) {
                Some(code) if status.is_client_error() => OxdError::OpRejected {
                    code: code.to_owned(),
                    description,
                },
                _ => OxdError::Op(description),
            });
        }
    }
    let oxd_id = updated.oxd_id.clone();
    app.store.put_site(updated);
    Ok(Json(json!({ "oxd_id": oxd_id })))
}

/// `remove-site` request.
#[derive(Debug, Deserialize)]
pub struct RemoveSite {
    oxd_id: Option<String>,
}

/// `POST /remove-site` (protected): forgets the site (the client at the OP stays, as in oxd;
/// delete it there with RFC 7592 if it must go).
pub async fn remove_site(
    State(app): State<AppState>,
    protected: Protected,
    Command(req): Command<RemoveSite>,
) -> Result<Json<Value>, OxdError> {
    let site = app.site(req.oxd_id)?;
    protected.allows(&app, &site).await?;
    app.store.remove_site(&site.oxd_id);
    Ok(Json(json!({ "oxd_id": site.oxd_id })))
}
