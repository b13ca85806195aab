//! `POST …/oauth2/token` (and the HTTPS rule every endpoint shares): Kong's `issue_token`
//! (<https://developer.konghq.com/plugins/oauth2/>), with its error bodies and the order in
//! which it judges a request. A later finding replaces an earlier one, as in Kong, so a request
//! with an unknown grant type and an unknown client gets `invalid_client`.

use http::header::{HeaderMap, HeaderValue, CACHE_CONTROL, CONTENT_TYPE, PRAGMA, WWW_AUTHENTICATE};
use http::StatusCode;
use serde_json::{json, Map, Value};
use subtle::ConstantTimeEq;

use super::daos::{Credential, Credentials};
use super::params::Params;
use super::schema::Config;
use super::secret;
use super::tokens::{Code, Issue, Store, Token, CODE_LIFETIME};
use crate::entities::records;
use crate::plugins::response::JSON_UTF8;
use crate::plugins::{AccessRequest, PluginResponse};

/// An OAuth 2.0 error (RFC 6749 §5.2) as Kong words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// `error`.
    pub error: &'static str,
    /// `error_description`.
    pub description: String,
    /// 401 with `WWW-Authenticate: Basic realm="OAuth2.0"` (client credentials sent in the
    /// authorization header were wrong, RFC 6749 §5.2).
    pub basic_challenge: bool,
}

impl OAuthError {
    fn new(error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            error,
            description: description.into(),
            basic_challenge: false,
        }
    }
}

fn invalid_client(from_header: bool) -> OAuthError {
    OAuthError {
        basic_challenge: from_header,
        ..OAuthError::new("invalid_client", "Invalid client authentication")
    }
}

/// Whether the request reached the gateway over HTTPS, or (with
/// `accept_http_if_already_terminated`) a trusted proxy says it did with one
/// `X-Forwarded-Proto: https` (Kong's `check_https`).
pub fn check_https(req: &AccessRequest, config: &Config) -> Result<(), OAuthError> {
    if req.secure() {
        return Ok(());
    }
    let denied = |d: &str| Err(OAuthError::new("access_denied", d));
    if !(config.accept_http_if_already_terminated && req.trusted_peer()) {
        return denied("You must use HTTPS");
    }
    let mut values = req.headers().get_all("x-forwarded-proto").iter();
    let first = values.next();
    if values.next().is_some() {
        return denied("Only one X-Forwarded-Proto header allowed");
    }
    match first.and_then(|v| v.to_str().ok()) {
        Some(p) if p.trim().eq_ignore_ascii_case("https") => Ok(()),
        _ => denied("You must use HTTPS"),
    }
}

/// The client's credentials: `client_id` + `client_secret` parameters, else HTTP Basic in the
/// configured header. The flag says they came from the header.
fn client_credentials(
    params: &Params,
    req: &AccessRequest,
    config: &Config,
) -> (Option<String>, Option<String>, bool) {
    if let (Some(id), Some(secret)) = (params.text("client_id"), params.text("client_secret")) {
        return (Some(id.to_owned()), Some(secret.to_owned()), false);
    }
    let Some(header) = req
        .headers()
        .get(config.auth_header())
        .and_then(|v| v.to_str().ok())
    else {
        return (None, None, false);
    };
    let mut parts = header.split_whitespace();
    let basic = parts
        .next()
        .filter(|s| s.eq_ignore_ascii_case("basic"))
        .and(parts.next());
    let decoded = basic.and_then(|b| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.decode(b).ok()
    });
    let text = decoded.and_then(|d| String::from_utf8(d).ok());
    match text.as_deref().and_then(|t| t.split_once(':')) {
        Some((id, secret)) => (Some(id.to_owned()), Some(secret.to_owned()), true),
        None => (None, None, true),
    }
}

/// Kong's `retrieve_scope`: the requested scopes, each one configured; `Ok(None)` when none
/// was asked for (and none is mandatory).
pub fn requested_scope(params: &Params, config: &Config) -> Result<Option<String>, OAuthError> {
    let asked = params.get("scope").filter(|v| !v.is_null());
    match (&config.scopes, asked) {
        (Some(allowed), Some(v)) => {
            let Some(text) = v.as_str() else {
                return Err(OAuthError::new("invalid_scope", "scope must be a string"));
            };
            let mut granted = Vec::new();
            for s in text.split_whitespace() {
                if !allowed.iter().any(|a| a == s) {
                    return Err(OAuthError::new(
                        "invalid_scope",
                        format!("\"{s}\" is an invalid scope"),
                    ));
                }
                granted.push(s);
            }
            Ok((!granted.is_empty()).then(|| granted.join(" ")))
        }
        (_, None) if config.mandatory_scope => {
            Err(OAuthError::new("invalid_scope", "You must specify a scope"))
        }
        _ => Ok(None),
    }
}

fn same_secret(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// What the token endpoint needs besides the request.
pub struct Endpoint<'a> {
    /// The plugin's config.
    pub config: &'a Config,
    /// The credentials of the configuration the request runs under.
    pub credentials: Option<&'a Credentials>,
    /// The token store.
    pub store: &'a Store,
    /// Now (Unix seconds).
    pub now: i64,
}

impl Endpoint<'_> {
    /// Answers a token request.
    pub async fn token(&self, req: &mut AccessRequest) -> PluginResponse {
        let params = Params::read(req).await;
        let state = params.text("state").map(str::to_owned);
        let body = match self.decide(req, &params) {
            Ok(mut body) => {
                if let Some(s) = &state {
                    body.insert("state".into(), Value::String(s.clone()));
                }
                return reply(StatusCode::OK, Value::Object(body), None);
            }
            Err(e) => e,
        };
        let mut out = Map::new();
        out.insert("error".into(), Value::String(body.error.into()));
        out.insert(
            "error_description".into(),
            Value::String(body.description.clone()),
        );
        if let Some(s) = state {
            out.insert("state".into(), Value::String(s));
        }
        let (status, challenge) = if body.basic_challenge {
            (StatusCode::UNAUTHORIZED, Some("Basic realm=\"OAuth2.0\""))
        } else {
            (StatusCode::BAD_REQUEST, None)
        };
        reply(status, Value::Object(out), challenge)
    }

    fn decide(
        &self,
        req: &AccessRequest,
        params: &Params,
    ) -> Result<Map<String, Value>, OAuthError> {
        check_https(req, self.config)?;
        let c = self.config;
        let grant_type = params.text("grant_type");
        let mut finding = None;
        let supported = match grant_type {
            Some("authorization_code") => c.enable_authorization_code,
            Some("refresh_token") => true,
            Some("client_credentials") => c.enable_client_credentials,
            Some("password") => c.enable_password_grant,
            _ => false,
        };
        if !supported {
            finding = Some(OAuthError::new(
                "unsupported_grant_type",
                "Invalid grant_type",
            ));
        }
        let (client_id, client_secret, from_header) = client_credentials(params, req, c);
        let client = client_id
            .as_deref()
            .and_then(|id| self.credentials.and_then(|cs| cs.by_client_id(id)))
            .cloned();
        match &client {
            None => finding = Some(invalid_client(from_header)),
            Some(cred) => {
                if grant_type != Some("client_credentials") {
                    if let Some(e) = redirect_mismatch(cred, params) {
                        finding = Some(e);
                    }
                }
                // A public client (RFC 6749 §2.1) has no secret to keep: at the code grant
                // it proves itself with its PKCE verifier instead (RFC 7636 §1), which
                // `pkce` then requires.
                let by_pkce = cred.public
                    && grant_type == Some("authorization_code")
                    && client_secret.is_none()
                    && c.pkce != "none";
                let presented = client_secret.as_deref().unwrap_or_default();
                if !by_pkce && !secret::verify(presented, &cred.client_secret, cred.hash_secret) {
                    finding = Some(invalid_client(from_header));
                }
            }
        }
        if let Some(e) = finding {
            return Err(e);
        }
        let Some(client) = client else {
            return Err(invalid_client(from_header));
        };
        let store = self.store;
        let userid = params.text("authenticated_userid").map(str::to_owned);
        let provision_ok = || {
            params
                .text("provision_key")
                .is_some_and(|k| same_secret(k, &c.provision_key))
        };
        let token = match grant_type {
            Some("client_credentials") => {
                if params.has("authenticated_userid") && !provision_ok() {
                    return Err(invalid_provision_key());
                }
                let scope = requested_scope(params, c)?;
                self.issue(store, req, &client, userid, scope, None, true)
            }
            Some("password") => {
                if !provision_ok() {
                    return Err(invalid_provision_key());
                }
                let Some(userid) = userid.filter(|u| !u.trim().is_empty()) else {
                    return Err(OAuthError::new(
                        "invalid_authenticated_userid",
                        "Missing authenticated_userid parameter",
                    ));
                };
                let scope = requested_scope(params, c)?;
                self.issue(store, req, &client, Some(userid), scope, None, false)
            }
            Some("refresh_token") => {
                let old = params
                    .text("refresh_token")
                    .and_then(|r| store.by_refresh_token(r, self.now))
                    .filter(|t| c.global_credentials || t.service == req.service_id());
                let Some(old) = old else {
                    return Err(OAuthError::new("invalid_request", "Invalid refresh_token"));
                };
                if old.credential != client.id {
                    return Err(invalid_client(from_header));
                }
                // `persistent_refresh_token`: the used token record stays (its refresh token
                // remains good, its access token until it expires) and the same refresh token is
                // handed back; otherwise the record is deleted, so the old refresh token and
                // access token stop working, and a new refresh token is issued unless
                // `reuse_refresh_token`.
                let persistent = c.persistent_refresh_token;
                let reuse = (c.reuse_refresh_token || persistent)
                    .then(|| old.refresh_token.clone())
                    .flatten();
                if !persistent {
                    store.remove_id(old.id);
                }
                self.issue(
                    store,
                    req,
                    &client,
                    old.authenticated_userid.clone(),
                    old.scope.clone(),
                    reuse,
                    false,
                )
            }
            _ => {
                let invalid_code = || OAuthError::new("invalid_request", "Invalid code");
                let value = params.text("code").ok_or_else(invalid_code)?;
                let code = store.code(value, self.now).ok_or_else(invalid_code)?;
                if !c.global_credentials && code.service != req.service_id() {
                    return Err(invalid_code());
                }
                if code.credential != client.id {
                    return Err(invalid_code());
                }
                check_verifier(c, &client, &code, params)?;
                store.remove_code(value);
                self.issue(
                    store,
                    req,
                    &client,
                    code.authenticated_userid,
                    code.scope,
                    None,
                    false,
                )
            }
        };
        Ok(token_body(&token))
    }

    #[allow(clippy::too_many_arguments)]
    fn issue(
        &self,
        store: &Store,
        req: &AccessRequest,
        client: &Credential,
        authenticated_userid: Option<String>,
        scope: Option<String>,
        refresh_token: Option<String>,
        no_refresh: bool,
    ) -> std::sync::Arc<Token> {
        let c = self.config;
        let expires_in = c.expires_in();
        let refresh_token = if no_refresh || expires_in <= 0 {
            None
        } else {
            Some(refresh_token.unwrap_or_else(records::random_string))
        };
        store.issue(
            Issue {
                service: if c.global_credentials {
                    None
                } else {
                    req.service_id()
                },
                credential: client.id,
                consumer: client.consumer,
                client_id: client.client_id.clone(),
                expires_in,
                refresh_token,
                authenticated_userid,
                scope,
                keep_for: c.keep_for(),
            },
            self.now,
        )
    }
}

/// PKCE at the code grant (RFC 7636 §4.6), per `pkce`: `none` checks nothing; `lax` checks
/// the verifier of a code issued with a challenge and requires one from a public client;
/// `strict` requires a challenge and its verifier for every code.
fn check_verifier(
    c: &Config,
    client: &Credential,
    code: &Code,
    params: &Params,
) -> Result<(), OAuthError> {
    let required = match c.pkce.as_str() {
        "none" => return Ok(()),
        "strict" => true,
        _ => client.public,
    };
    let invalid = |d: &str| Err(OAuthError::new("invalid_request", d));
    let Some(challenge) = &code.challenge else {
        return if required {
            invalid("code_verifier is required for PKCE authorization requests")
        } else {
            Ok(())
        };
    };
    let Some(verifier) = params.text("code_verifier").filter(|v| !v.is_empty()) else {
        return invalid("code_verifier is required for PKCE authorization requests");
    };
    let derived = match code.challenge_method.as_deref() {
        Some("S256") => {
            use base64::Engine;
            use sha2::Digest;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(sha2::Sha256::digest(verifier.as_bytes()))
        }
        _ => verifier.to_owned(),
    };
    if same_secret(&derived, challenge) {
        Ok(())
    } else {
        invalid("code_verifier does not match code_challenge")
    }
}

/// What `/oauth2/authorize` answers before it knows the client (no redirect possible).
fn authorize_precheck(req: &AccessRequest, c: &Config, params: &Params) -> Result<(), OAuthError> {
    check_https(req, c)?;
    if !params
        .text("provision_key")
        .is_some_and(|k| same_secret(k, &c.provision_key))
    {
        return Err(invalid_provision_key());
    }
    if params
        .text("authenticated_userid")
        .is_none_or(|u| u.trim().is_empty())
    {
        return Err(OAuthError::new(
            "invalid_authenticated_userid",
            "Missing authenticated_userid parameter",
        ));
    }
    Ok(())
}

/// A PKCE challenge sent to `/oauth2/authorize`: `code_challenge_method` defaults to `plain`
/// (RFC 7636 §4.3); only `S256` and `plain` exist (§4.2).
fn challenge_of(params: &Params) -> Result<Option<(String, String)>, OAuthError> {
    let Some(challenge) = params.get("code_challenge").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let invalid = |d: &str| Err(OAuthError::new("invalid_request", d));
    let Some(challenge) = challenge.as_str().filter(|c| !c.is_empty()) else {
        return invalid("code_challenge must be a non-empty string");
    };
    match params.text("code_challenge_method").unwrap_or("plain") {
        m @ ("S256" | "plain") => Ok(Some((challenge.to_owned(), m.to_owned()))),
        _ => invalid("code_challenge_method is not supported, must be S256 or plain"),
    }
}

impl Endpoint<'_> {
    /// `…/oauth2/authorize` (Kong's `authorize`): the page that authenticated the user posts
    /// `provision_key`, `authenticated_userid`, `response_type`, `client_id`, `redirect_uri`,
    /// `scope`, `state` (and PKCE's `code_challenge`); the answer is
    /// `{"redirect_uri": "<registered uri>?code=…&state=…"}` (`#access_token=…` for the implicit
    /// grant), the error in the same place once the client is known, else the error JSON.
    /// As in Kong, a later finding replaces an earlier one.
    pub async fn authorize(&self, req: &mut AccessRequest) -> PluginResponse {
        let params = Params::read(req).await;
        let state = params.text("state").map(str::to_owned);
        let c = self.config;
        let error_body = |e: OAuthError| {
            let mut body = Map::new();
            body.insert("error".into(), json!(e.error));
            body.insert("error_description".into(), json!(e.description));
            body
        };
        if let Err(e) = authorize_precheck(req, c, &params) {
            let mut body = error_body(e);
            if let Some(s) = &state {
                body.insert("state".into(), json!(s));
            }
            return reply(StatusCode::BAD_REQUEST, Value::Object(body), None);
        }
        let response_type = params.text("response_type");
        let mut finding = None;
        let implicit = response_type == Some("token") && c.enable_implicit_grant;
        if !(response_type == Some("code") && c.enable_authorization_code || implicit) {
            finding = Some(OAuthError::new(
                "unsupported_response_type",
                "Invalid response_type",
            ));
        }
        let scope = match requested_scope(&params, c) {
            Ok(s) => s,
            Err(e) => {
                finding = Some(e);
                None
            }
        };
        let client = params
            .text("client_id")
            .filter(|id| !id.is_empty())
            .and_then(|id| self.credentials.and_then(|cs| cs.by_client_id(id)))
            .cloned();
        let mut redirect = None;
        match &client {
            None => finding = Some(invalid_client(false)),
            Some(cred) => {
                let asked = params
                    .text("redirect_uri")
                    .or(cred.redirect_uris.first().map(String::as_str));
                match asked {
                    Some(uri) if cred.redirect_uris.iter().any(|u| u == uri) => {
                        redirect = Some(uri.to_owned());
                    }
                    _ => {
                        finding = Some(OAuthError::new(
                            "invalid_request",
                            "Invalid redirect_uri that does not match with any redirect_uri created with the application",
                        ));
                        // The error goes to the first registered URI, never to the one asked.
                        redirect = cred.redirect_uris.first().cloned();
                    }
                }
            }
        }
        let challenge = if finding.is_none() && !implicit {
            challenge_of(&params).unwrap_or_else(|e| {
                finding = Some(e);
                None
            })
        } else {
            None
        };
        let mut out = match (finding, client) {
            (Some(e), _) => Err(error_body(e)),
            (None, None) => Err(error_body(invalid_client(false))),
            (None, Some(client)) => {
                let userid = params.text("authenticated_userid").map(str::to_owned);
                if implicit {
                    let token = self.issue(self.store, req, &client, userid, scope, None, true);
                    Ok(token_body(&token))
                } else {
                    let (challenge, challenge_method) = challenge.unzip();
                    let code = self.store.issue_code(Code {
                        service: if c.global_credentials {
                            None
                        } else {
                            req.service_id()
                        },
                        credential: client.id,
                        authenticated_userid: userid,
                        scope,
                        challenge,
                        challenge_method,
                        expires_at: self.now + CODE_LIFETIME,
                    });
                    let mut body = Map::new();
                    body.insert("code".into(), json!(code));
                    Ok(body)
                }
            }
        };
        let (status, params_out) = match &mut out {
            Ok(body) => (StatusCode::OK, body),
            Err(body) => (StatusCode::BAD_REQUEST, body),
        };
        if let Some(s) = &state {
            params_out.insert("state".into(), json!(s));
        }
        let body = match redirect.and_then(|r| url::Url::parse(&r).ok()) {
            Some(mut uri) => {
                let fragment = implicit && status == StatusCode::OK;
                let existing = if fragment {
                    uri.fragment()
                } else {
                    uri.query()
                }
                .unwrap_or_default()
                .to_owned();
                let mut pairs = url::form_urlencoded::Serializer::new(String::new());
                for (k, v) in url::form_urlencoded::parse(existing.as_bytes()) {
                    if !params_out.contains_key(k.as_ref()) {
                        pairs.append_pair(&k, &v);
                    }
                }
                for (k, v) in params_out.iter() {
                    let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    pairs.append_pair(k, &v);
                }
                let encoded = pairs.finish();
                if fragment {
                    uri.set_fragment(Some(&encoded));
                } else {
                    uri.set_query(Some(&encoded));
                }
                json!({"redirect_uri": uri.as_str()})
            }
            None => Value::Object(params_out.clone()),
        };
        reply(status, body, None)
    }
}

fn invalid_provision_key() -> OAuthError {
    OAuthError::new("invalid_provision_key", "Invalid provision_key")
}

/// A `redirect_uri` sent with the request must be one the application registered.
fn redirect_mismatch(cred: &Credential, params: &Params) -> Option<OAuthError> {
    let asked = params.text("redirect_uri")?;
    (!cred.redirect_uris.iter().any(|u| u == asked)).then(|| {
        OAuthError::new(
            "invalid_request",
            "Invalid redirect_uri that does not match with any redirect_uri created with the application",
        )
    })
}

/// Kong's token response: `expires_in` only for a token that expires, `refresh_token` only when
/// one was issued.
fn token_body(token: &Token) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("access_token".into(), json!(token.access_token));
    body.insert("token_type".into(), json!("bearer"));
    if token.expires_in > 0 {
        body.insert("expires_in".into(), json!(token.expires_in));
    }
    if let Some(r) = &token.refresh_token {
        body.insert("refresh_token".into(), json!(r));
    }
    body
}

/// A JSON answer with `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1).
pub fn reply(status: StatusCode, body: Value, challenge: Option<&'static str>) -> PluginResponse {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    if let Some(c) = challenge {
        headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static(c));
    }
    PluginResponse {
        status,
        headers,
        body: bytes::Bytes::from(body.to_string()),
    }
}
