//! The relying party of the OpenID Foundation's OP certification plans (`features/oidcc`): it
//! finds the OP by discovery, registers its clients at the `registration_endpoint`, sends the
//! user's browser to the authorization endpoint, receives the response at its own callback
//! server ([`crate::rp::callback`]) and checks what the suite's modules check
//! ([`crate::rp::id_token`], [`crate::rp`]). Nothing here knows the reference OP's paths.
//!
//! Authorization-request parameters are written `name=value&name=value` (values as typed, not
//! URL-encoded); a few values are computed: `(128 characters)` (a long random `state`),
//! `(first ID token)`, `(acr_values_supported)`, `(unregistered)` (the registered redirect URI
//! with a suffix), `(S256)` (a PKCE challenge of a new verifier, sent later at the token
//! endpoint); `(callback)` in a registration document is the RP's callback URL.

use std::time::Duration;

use anyhow::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use jsonwebtoken::jwk::JwkSet;
use serde_json::{json, Map, Value};
use sha2::Digest;

use super::check;
use crate::browser::{driver, generic};
use crate::rp::callback::CallbackServer;
use crate::rp::id_token::{self, IdToken};
use crate::rp::{self as rp, AuthResponse, Delivery};
use crate::target::OpProduct;
use crate::world::{GateWorld, Response};

/// The path of the RP's redirect URI on its callback server.
const CALLBACK_PATH: &str = "/cb";

/// What the certification RP keeps during a scenario.
#[derive(Debug, Default)]
pub struct RpState {
    pub(crate) server: Option<CallbackServer>,
    pub(crate) clients: Vec<RpClient>,
    response_type: String,
    response_mode: Option<String>,
    pub(crate) flows: Vec<Flow>,
    jwks: Option<JwkSet>,
    registration: Option<Response>,
    /// The metadata the variant registered its first client with ("a second client the same
    /// way" gets it too).
    metadata: Map<String, Value>,
    userinfo: Option<Response>,
    refresh: Option<Response>,
    /// RP-initiated logout, front- and back-channel logout, session management.
    pub(crate) logout: super::oidcc_logout::LogoutState,
}

#[derive(Debug, Clone)]
pub(crate) struct RpClient {
    pub(crate) client_id: String,
    client_secret: Option<String>,
    pub(crate) redirect_uris: Vec<String>,
    /// Its registered `token_endpoint_auth_method`.
    auth_method: String,
    /// The kid of the RP key its `private_key_jwt` assertions are signed with.
    pub(crate) kid: &'static str,
}

/// How the RP authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// As the client registered: `client_secret_basic` or `private_key_jwt` with `aud` = the
    /// token endpoint.
    Registered,
    /// `client_secret_post`.
    SecretPost,
    /// `private_key_jwt` with `aud` = the issuer (OIDC Core §9 allows either).
    AssertionForIssuer,
}

/// One authorization request and what came of it.
#[derive(Debug, Default)]
pub(crate) struct Flow {
    pub(crate) client: usize,
    params: Vec<(String, String)>,
    history_mark: usize,
    callback_mark: usize,
    verifier: Option<String>,
    response: Option<AuthResponse>,
    pub(crate) auth_id_token: Option<IdToken>,
    token: Option<Response>,
    pub(crate) token_id_token: Option<IdToken>,
}

impl Flow {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) fn random(bytes: usize) -> String {
    let buf: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    URL_SAFE_NO_PAD.encode(buf)
}

pub(crate) async fn server(w: &mut GateWorld) -> anyhow::Result<&CallbackServer> {
    if w.oidcc.server.is_none() {
        w.oidcc.server = Some(CallbackServer::start().await?);
    }
    w.oidcc.server.as_ref().context("callback server")
}

pub(crate) async fn callback_url(w: &mut GateWorld) -> anyhow::Result<String> {
    Ok(format!("{}{CALLBACK_PATH}", server(w).await?.base()))
}

pub(crate) fn client(w: &GateWorld, index: usize) -> anyhow::Result<&RpClient> {
    w.oidcc
        .clients
        .get(index)
        .context("the RP has not registered a client yet")
}

pub(crate) fn flow(w: &GateWorld, back: usize) -> anyhow::Result<&Flow> {
    let n = w.oidcc.flows.len();
    n.checked_sub(1 + back)
        .and_then(|i| w.oidcc.flows.get(i))
        .context("the RP has not sent the user to the OP yet")
}

fn flow_mut(w: &mut GateWorld) -> anyhow::Result<&mut Flow> {
    w.oidcc
        .flows
        .last_mut()
        .context("the RP has not sent the user to the OP yet")
}

/// The grant types a response type needs (RFC 7591 §2.1), with the refresh-token grant.
fn grant_types(response_type: &str) -> Vec<&'static str> {
    let mut grants = Vec::new();
    let parts: Vec<&str> = response_type.split(' ').collect();
    if parts.contains(&"code") {
        grants.push("authorization_code");
    }
    if parts.contains(&"id_token") || parts.contains(&"token") {
        grants.push("implicit");
    }
    grants.push("refresh_token");
    grants
}

fn has(response_type: &str, part: &str) -> bool {
    response_type.split(' ').any(|p| p == part)
}

pub(crate) async fn jwks(w: &mut GateWorld) -> anyhow::Result<JwkSet> {
    if let Some(k) = &w.oidcc.jwks {
        return Ok(k.clone());
    }
    let set = fetch_jwks(w).await?;
    w.oidcc.jwks = Some(set.clone());
    Ok(set)
}

/// The OP's JWK set as its `jwks_uri` serves it now (uncached: a rotation must be seen).
pub(crate) async fn fetch_jwks(w: &mut GateWorld) -> anyhow::Result<JwkSet> {
    let url = w.target()?.op.discovery.field("jwks_uri")?.to_owned();
    let resp = w.http.get(&url).send().await?;
    check!(
        resp.status().is_success(),
        "GET {url} answered {}",
        resp.status()
    );
    let set: JwkSet = resp
        .json()
        .await
        .with_context(|| format!("GET {url}: not a JWK set"))?;
    id_token::check_jwks(&set)?;
    Ok(set)
}

// ---------------------------------------------------------------------------------------------
// Registration

/// `(callback)` is the RP's redirect URI, `(rp)` its callback server's base URL (where the
/// suite's RP has its `/post_logout_redirect`, `/frontchannel_logout` and `/backchannel_logout`).
fn fill_callback(doc: &str, callback: &str) -> String {
    let base = callback.strip_suffix(CALLBACK_PATH).unwrap_or(callback);
    doc.replace("(callback)", callback).replace("(rp)", base)
}

/// Registers a client (RFC 7591) with `metadata` over the RP's defaults; keeps the answer.
async fn register(w: &mut GateWorld, metadata: Map<String, Value>) -> anyhow::Result<()> {
    let callback = callback_url(w).await?;
    let rt = w.oidcc.response_type.clone();
    let mut body = json!({
        "application_type": "native",
        "client_name": "gatecheck certification RP",
        "redirect_uris": [callback],
        "response_types": [rt],
        "grant_types": grant_types(&rt),
        "token_endpoint_auth_method": "client_secret_basic",
        // The prompt, max_age and id_token_hint modules compare auth_time across ID tokens;
        // an OP includes it in every ID token only when the client asks (OpenID Connect
        // Dynamic Client Registration 1.0 §2, require_auth_time; node oidc-provider omits it
        // otherwise).
        "require_auth_time": true,
        "contacts": ["certification@gatecheck.invalid"],
    });
    if let Some(obj) = body.as_object_mut() {
        obj.extend(metadata);
    }
    let url = w
        .target()?
        .op
        .discovery
        .field("registration_endpoint")?
        .to_owned();
    let resp = w.http.post(&url).json(&body).send().await?;
    w.oidcc.registration = Some(Response::read(format!("POST {url}"), resp).await?);
    Ok(())
}

/// The suite's check of every dynamic registration: 201, JSON, no `error`, a `client_id`, and
/// both or neither of `registration_client_uri` / `registration_access_token`.
fn registered(w: &mut GateWorld) -> anyhow::Result<RpClient> {
    let resp = w
        .oidcc
        .registration
        .as_ref()
        .context("no registration was sent")?;
    check!(
        resp.status == 201,
        "{} answered {} (the suite requires 201): {}",
        resp.request,
        resp.status,
        resp.body
    );
    let doc = resp.json()?;
    check!(
        doc.get("error").is_none(),
        "the registration answered an error: {doc}"
    );
    let client_id = doc["client_id"]
        .as_str()
        .context("the registration answered no client_id")?
        .to_owned();
    check!(
        doc.get("registration_client_uri").is_some()
            == doc.get("registration_access_token").is_some(),
        "registration_client_uri and registration_access_token come together or not at all: {doc}"
    );
    let redirect_uris = doc["redirect_uris"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Ok(RpClient {
        client_id,
        client_secret: doc["client_secret"].as_str().map(str::to_owned),
        redirect_uris,
        auth_method: doc["token_endpoint_auth_method"]
            .as_str()
            .unwrap_or("client_secret_basic")
            .to_owned(),
        kid: crate::rp::signing::KID,
    })
}

pub(crate) fn metadata_of(step: &Step, callback: &str) -> anyhow::Result<Map<String, Value>> {
    let doc = step.docstring.as_deref().unwrap_or("{}");
    let v: Value = serde_json::from_str(&fill_callback(doc, callback))
        .with_context(|| format!("the step's registration document is not JSON: {doc}"))?;
    v.as_object()
        .cloned()
        .context("the registration document is not a JSON object")
}

pub(crate) async fn use_variant(
    w: &mut GateWorld,
    response_type: &str,
    response_mode: &str,
    metadata: Map<String, Value>,
) -> anyhow::Result<()> {
    w.oidcc.response_type = response_type.to_owned();
    w.oidcc.response_mode = (response_mode != "default").then(|| response_mode.to_owned());
    w.oidcc.metadata = metadata.clone();
    register(w, metadata).await?;
    let c = registered(w)?;
    w.oidcc.clients.push(c);
    Ok(())
}

#[given(expr = "the certification RP uses response type {string} and response mode {string}")]
async fn variant(w: &mut GateWorld, rt: String, mode: String) -> anyhow::Result<()> {
    use_variant(w, &rt, &mode, Map::new()).await
}

#[given(
    expr = "the certification RP uses response type {string} and response mode {string}, registered with:"
)]
async fn variant_with(
    w: &mut GateWorld,
    step: &Step,
    rt: String,
    mode: String,
) -> anyhow::Result<()> {
    let callback = callback_url(w).await?;
    let meta = metadata_of(step, &callback)?;
    use_variant(w, &rt, &mode, meta).await
}

#[given("the certification RP has registered a second client the same way")]
async fn second_client(w: &mut GateWorld) -> anyhow::Result<()> {
    let metadata = w.oidcc.metadata.clone();
    register(w, metadata).await?;
    let c = registered(w)?;
    w.oidcc.clients.push(c);
    Ok(())
}

#[when(expr = "the certification RP registers a client for response type {string} with:")]
async fn registers_with(w: &mut GateWorld, step: &Step, rt: String) -> anyhow::Result<()> {
    w.oidcc.response_type = rt;
    let callback = callback_url(w).await?;
    let meta = metadata_of(step, &callback)?;
    register(w, meta).await
}

#[then("the OP registers the client")]
async fn op_registers(w: &mut GateWorld) -> anyhow::Result<()> {
    let c = registered(w)?;
    w.oidcc.clients.push(c);
    Ok(())
}

#[then(expr = "the OP refuses the registration with {string}")]
async fn registration_refused(w: &mut GateWorld, errors: String) -> anyhow::Result<()> {
    let resp = w
        .oidcc
        .registration
        .as_ref()
        .context("no registration was sent")?;
    check!(
        resp.status == 400,
        "{} answered {} (expected 400): {}",
        resp.request,
        resp.status,
        resp.body
    );
    let doc = resp.json()?;
    let error = doc["error"].as_str().unwrap_or_default();
    check!(
        errors.split(" or ").any(|e| e == error),
        "the registration was refused with {error:?}, expected {errors}: {doc}"
    );
    Ok(())
}

#[then(expr = "the registration and a read at its registration_client_uri echo {string}")]
async fn registration_echoes(w: &mut GateWorld, field: String) -> anyhow::Result<()> {
    let resp = w
        .oidcc
        .registration
        .as_ref()
        .context("no registration was sent")?;
    let doc = resp.json()?;
    let sent = doc.get(&field).cloned().unwrap_or(Value::Null);
    check!(
        !sent.is_null(),
        "the registration answer has no {field}: {doc}"
    );
    let uri = doc["registration_client_uri"]
        .as_str()
        .context("the registration answered no registration_client_uri")?;
    let token = doc["registration_access_token"]
        .as_str()
        .context("the registration answered no registration_access_token")?;
    let read = w.http.get(uri).bearer_auth(token).send().await?;
    let read = Response::read(format!("GET {uri}"), read).await?;
    read.expect_status(200)?;
    let read_doc = read.json()?;
    check!(
        read_doc.get(&field) == Some(&sent),
        "reading the client gives {field} = {:?}, registered {sent}",
        read_doc.get(&field)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The authorization request

/// Request parameters in order.
type Params = Vec<(String, String)>;

fn parse_params(text: &str) -> Params {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (p.to_owned(), String::new()),
        })
        .collect()
}

fn set(params: &mut Vec<(String, String)>, key: &str, value: String) {
    match params.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value,
        None => params.push((key.to_owned(), value)),
    }
}

/// The request's parameters: the RP's defaults, then `extra` (computed values filled in),
/// without `removed`.
fn build_request(
    w: &GateWorld,
    client_index: usize,
    extra: &str,
    removed: &[&str],
) -> anyhow::Result<(Params, Option<String>)> {
    let c = client(w, client_index)?;
    let redirect = c
        .redirect_uris
        .first()
        .cloned()
        .context("the client has no redirect URI")?;
    let mut params = vec![
        ("client_id".to_owned(), c.client_id.clone()),
        ("redirect_uri".to_owned(), redirect.clone()),
        ("response_type".to_owned(), w.oidcc.response_type.clone()),
        ("scope".to_owned(), "openid".to_owned()),
        ("state".to_owned(), random(12)),
        ("nonce".to_owned(), random(12)),
    ];
    if let Some(mode) = &w.oidcc.response_mode {
        params.push(("response_mode".to_owned(), mode.clone()));
    }
    let mut verifier = None;
    for (k, v) in parse_params(extra) {
        let value = match v.as_str() {
            "(128 characters)" => {
                let mut s = random(96);
                s.truncate(128);
                s
            }
            "(first ID token)" => flow(w, 0)?
                .auth_id_token
                .as_ref()
                .or(flow(w, 0)?.token_id_token.as_ref())
                .context("the first flow has no ID token")?
                .raw
                .clone(),
            "(acr_values_supported)" => w
                .target()?
                .op
                .discovery
                .list("acr_values_supported")
                .context("discovery lists no acr_values_supported")?
                .join(" "),
            "(unregistered)" => format!("{redirect}/unregistered"),
            "(name essential)" => {
                // In the ID token when there is no access token for userinfo (OIDC Core §5.5).
                let target = if w.oidcc.response_type == "id_token" {
                    "id_token"
                } else {
                    "userinfo"
                };
                json!({ target: {"name": {"essential": true}} }).to_string()
            }
            "(S256)" => {
                let v = random(32);
                let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(v.as_bytes()));
                verifier = Some(v);
                set(&mut params, "code_challenge_method", "S256".to_owned());
                challenge
            }
            other => other.replace(
                "(callback)",
                redirect.split('?').next().unwrap_or(&redirect),
            ),
        };
        set(&mut params, &k, value);
    }
    params.retain(|(k, _)| !removed.contains(&k.as_str()));
    Ok((params, verifier))
}

/// How the RP carries an authorization request's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Carry {
    /// In the query of a GET.
    Query,
    /// In the form body of a POST (OIDC Core §3.1.2.1).
    Post,
    /// In an unsigned (`alg: none`) request object, `request` (OIDC Core §6.1).
    RequestObject,
    /// In an unsigned request object the OP fetches from `request_uri` (OIDC Core §6.2).
    RequestUri,
    /// In an unsigned request object with the registered `redirect_uri`, while the query
    /// names another one.
    RequestObjectOtherRedirect,
    /// In a request object signed RS256 by the RP's registered key ([`crate::rp::signing`]),
    /// fetched from `request_uri`.
    SignedRequestUri,
}

fn unsigned_jwt(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{body}.")
}

/// The request object's claims (every parameter, `iss` = the client, `aud` = the OP) and
/// the parameters OIDC Core §6.1 says the query must still carry.
fn into_request_object(
    params: Vec<(String, String)>,
    issuer: &str,
) -> (Value, Vec<(String, String)>) {
    let mut claims = Map::new();
    for (k, v) in &params {
        claims.insert(k.clone(), Value::String(v.clone()));
    }
    if let Some(client_id) = claims.get("client_id").cloned() {
        claims.insert("iss".into(), client_id);
    }
    claims.insert("aud".into(), Value::String(issuer.to_owned()));
    let outside = params
        .into_iter()
        .filter(|(k, _)| {
            matches!(
                k.as_str(),
                "client_id" | "response_type" | "scope" | "redirect_uri"
            )
        })
        .collect();
    (Value::Object(claims), outside)
}

pub(crate) async fn send_user(
    w: &mut GateWorld,
    extra: &str,
    removed: &[&str],
    carry: Carry,
    reversed: bool,
) -> anyhow::Result<()> {
    let (mut params, verifier) = build_request(w, 0, extra, removed)?;
    if reversed {
        params.reverse();
    }
    let endpoint = w
        .target()?
        .op
        .discovery
        .authorization_endpoint()?
        .to_owned();
    let issuer = w.target()?.op.issuer.clone();
    let callback_mark = server(w).await?.count();
    let browser = w.browser()?;
    let history_mark = browser.history().len();
    w.oidcc.flows.push(Flow {
        client: 0,
        params: params.clone(),
        history_mark,
        callback_mark,
        verifier,
        ..Default::default()
    });
    let sent = match carry {
        Carry::Query | Carry::Post => params,
        Carry::RequestObject => {
            let (claims, mut outside) = into_request_object(params, &issuer);
            outside.push(("request".into(), unsigned_jwt(&claims)));
            outside
        }
        Carry::RequestObjectOtherRedirect => {
            let (claims, mut outside) = into_request_object(params, &issuer);
            for (k, v) in &mut outside {
                if k == "redirect_uri" {
                    v.push_str("/other");
                }
            }
            outside.push(("request".into(), unsigned_jwt(&claims)));
            outside
        }
        Carry::RequestUri | Carry::SignedRequestUri => {
            let (claims, mut outside) = into_request_object(params, &issuer);
            let jwt = if carry == Carry::SignedRequestUri {
                crate::rp::signing::sign_request_object(&claims)?
            } else {
                unsigned_jwt(&claims)
            };
            let path = format!("/requests/{}.jwt", random(9));
            let url = server(w)
                .await?
                .serve(&path, "application/oauth-authz-req+jwt", jwt);
            outside.push(("request_uri".into(), url));
            outside
        }
    };
    let browser = w.browser()?;
    if carry == Carry::Post {
        browser.post_form(&endpoint, sent).await?;
    } else {
        let mut url = url::Url::parse(&endpoint).context("authorization_endpoint")?;
        url.query_pairs_mut().extend_pairs(&sent);
        browser.open(url.as_str()).await?;
    }
    Ok(())
}

#[when("the RP sends the user to the OP with its request in an unsigned request object")]
async fn sends_request_object(w: &mut GateWorld) -> anyhow::Result<()> {
    send_user(w, "", &[], Carry::RequestObject, false).await
}

#[when(
    "the RP sends the user to the OP with its request in an unsigned request object naming another redirect URI"
)]
async fn sends_request_object_other_redirect(w: &mut GateWorld) -> anyhow::Result<()> {
    send_user(w, "", &[], Carry::RequestObjectOtherRedirect, false).await
}

#[then("the OP uses the request object's redirect URI or shows an error page")]
async fn request_object_redirect(w: &mut GateWorld) -> anyhow::Result<()> {
    if on_error_page(w)?.is_some() {
        return Ok(());
    }
    successful_response(w).await
}

#[when("the RP sends the user to the OP with its request in an unsigned request object passed by reference")]
async fn sends_request_uri(w: &mut GateWorld) -> anyhow::Result<()> {
    send_user(w, "", &[], Carry::RequestUri, false).await
}

#[when("the RP sends the user to the OP")]
async fn sends(w: &mut GateWorld) -> anyhow::Result<()> {
    send_user(w, "", &[], Carry::Query, false).await
}

#[when(expr = "the RP sends the user to the OP with {string}")]
async fn sends_with(w: &mut GateWorld, extra: String) -> anyhow::Result<()> {
    send_user(w, &extra, &[], Carry::Query, false).await
}

#[when(expr = "the RP sends the user to the OP without {string}")]
async fn sends_without(w: &mut GateWorld, removed: String) -> anyhow::Result<()> {
    let removed: Vec<&str> = removed.split(',').map(str::trim).collect();
    send_user(w, "", &removed, Carry::Query, false).await
}

#[when(expr = "the RP sends the user to the OP with {string} in reverse order")]
async fn sends_reversed(w: &mut GateWorld, extra: String) -> anyhow::Result<()> {
    send_user(w, &extra, &[], Carry::Query, true).await
}

#[when("the RP posts the authorization request to the OP")]
async fn posts(w: &mut GateWorld) -> anyhow::Result<()> {
    send_user(w, "", &[], Carry::Post, false).await
}

#[when(expr = "the user logs in as {string} with password {string} and consents")]
async fn logs_in_and_consents(
    w: &mut GateWorld,
    user: String,
    password: String,
) -> anyhow::Result<()> {
    let (user, password) = w.target()?.login(&user, &password)?;
    if w.target()?.op.product == OpProduct::Gatecheck {
        let mut authenticator = None;
        let browser = w.browser()?;
        driver::complete_login(
            browser,
            &user,
            &password,
            &mut authenticator,
            driver::Code::Now,
        )
        .await?;
        return Ok(());
    }
    // Another OP's pages: the form with a password input, then its allow button, as a person
    // answers them, until the browser leaves the OP.
    for _ in 0..6 {
        let page = w.browser()?.page()?;
        match generic::ask(&page)? {
            generic::Ask::Login { .. } => {
                generic::log_in(w.browser()?, &user, &password).await?;
            }
            generic::Ask::Consent { .. } => {
                generic::consent(w.browser()?, true).await?;
            }
            generic::Ask::Otp { .. } => {
                anyhow::bail!("the OP asks for a one-time password at {}", page.url)
            }
            generic::Ask::Nothing => return Ok(()),
        }
    }
    anyhow::bail!("the login did not finish")
}

#[when(expr = "{int} second(s) pass(es)")]
async fn time_passes(w: &mut GateWorld, seconds: i64) -> anyhow::Result<()> {
    match w.stack() {
        Ok(stack) => stack.op_clock.advance(seconds),
        // A real OP's clock cannot be moved: wait as the suite does.
        Err(_) => tokio::time::sleep(Duration::from_secs(seconds.unsigned_abs())).await,
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The authorization response

/// The authorization response of the last flow, read once from what the browser and the
/// callback server saw since the request.
pub(crate) fn response(w: &mut GateWorld) -> anyhow::Result<AuthResponse> {
    if let Some(r) = &flow(w, 0)?.response {
        return Ok(r.clone());
    }
    let f = flow(w, 0)?;
    let redirect = f
        .param("redirect_uri")
        .map(str::to_owned)
        .unwrap_or_else(|| {
            client(w, f.client)
                .ok()
                .and_then(|c| c.redirect_uris.first().cloned())
                .unwrap_or_default()
        });
    let posted = w
        .oidcc
        .server
        .as_ref()
        .map(|s| s.since(f.callback_mark))
        .unwrap_or_default()
        .into_iter()
        .rfind(|r| r.method == "POST");
    let found = match posted {
        Some(post) => {
            let ct = post.content_type.clone().unwrap_or_default();
            check!(
                ct.starts_with("application/x-www-form-urlencoded"),
                "the form_post response arrived as {ct:?}, not application/x-www-form-urlencoded"
            );
            AuthResponse {
                delivery: Delivery::FormPost,
                params: post.form(),
                query_beside_fragment: Vec::new(),
            }
        }
        None => {
            let history = w.browser.as_ref().map(|b| b.history()).unwrap_or_default();
            history
                .get(f.history_mark..)
                .unwrap_or_default()
                .iter()
                .filter_map(|h| h.location.as_ref())
                .filter_map(|l| rp::from_location(l, &redirect))
                .next_back()
                .with_context(|| {
                    let page = w
                        .browser
                        .as_ref()
                        .and_then(|b| b.page().ok())
                        .map(|p| {
                            let text: String = p.text().chars().take(300).collect();
                            format!("{} {}: {text}", p.status, p.url)
                        })
                        .unwrap_or_default();
                    format!(
                        "the OP did not send the user back to {redirect}; the browser is at {page}"
                    )
                })?
        }
    };
    flow_mut(w)?.response = Some(found.clone());
    Ok(found)
}

fn expected_delivery(w: &GateWorld) -> Delivery {
    match w.oidcc.response_mode.as_deref() {
        Some("form_post") => Delivery::FormPost,
        Some("query") => Delivery::Query,
        Some("fragment") => Delivery::Fragment,
        _ if w.oidcc.response_type == "code" => Delivery::Query,
        _ => Delivery::Fragment,
    }
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

async fn check_id_token(
    w: &mut GateWorld,
    raw: &str,
    nonce: Option<&str>,
) -> anyhow::Result<IdToken> {
    let jwks = jwks(w).await?;
    let issuer = w.target()?.op.issuer.clone();
    let c = client(w, flow(w, 0)?.client)?.client_id.clone();
    // The reference OP's clock may have been moved forward (`N seconds pass`).
    let now = now() + w.stack().map(|s| s.op_clock.offset()).unwrap_or(0);
    let expected = id_token::Expected {
        issuer: &issuer,
        client_id: &c,
        nonce,
        now,
    };
    match id_token::decode_unverified(raw)?
        .0
        .get("alg")
        .and_then(Value::as_str)
    {
        Some("none") => {
            let (header, claims) = id_token::decode_unverified(raw)?;
            let token = IdToken {
                raw: raw.to_owned(),
                alg: "none".into(),
                kid: header.get("kid").and_then(Value::as_str).map(str::to_owned),
                claims,
            };
            id_token::check_claims(&token, &expected)?;
            Ok(token)
        }
        _ => id_token::check(raw, &jwks, &expected),
    }
}

#[then("the RP receives a successful authorization response")]
async fn successful_response(w: &mut GateWorld) -> anyhow::Result<()> {
    let r = response(w)?;
    check!(
        r.get("error").is_none(),
        "the OP answered an error: {}",
        r.describe()
    );
    let want = expected_delivery(w);
    check!(
        r.delivery == want,
        "the response came by {}, expected {}",
        r.delivery.mode(),
        want.mode()
    );
    check!(
        !r.query_beside_fragment.iter().any(|(k, _)| k == "code"),
        "a code came in the query of a fragment response"
    );
    let f = flow(w, 0)?;
    let sent_state = f.param("state").map(str::to_owned);
    let nonce = f.param("nonce").map(str::to_owned);
    check!(
        r.get("state").map(str::to_owned) == sent_state,
        "state came back as {:?}, sent {:?}",
        r.get("state"),
        sent_state
    );
    let issuer = w.target()?.op.issuer.clone();
    if let Some(iss) = r.get("iss") {
        check!(
            iss == issuer,
            "the response's iss is {iss:?}, not {issuer:?} (RFC 9207)"
        );
    }
    let rt = w.oidcc.response_type.clone();
    if has(&rt, "code") {
        let code = r.get("code").context("the response has no code")?;
        check!(
            code.len() * 8 >= 128 && rp::entropy_bits(code) >= 96.0,
            "the code {code:?} is shorter than 128 bits or has less than 96 bits of entropy"
        );
    } else {
        check!(
            r.get("code").is_none(),
            "response type {rt} answered a code"
        );
    }
    if has(&rt, "token") {
        check!(
            r.get("access_token").is_some(),
            "the response has no access_token"
        );
        check!(
            r.get("token_type").is_some(),
            "the response has no token_type"
        );
    }
    if has(&rt, "id_token") {
        let raw = r
            .get("id_token")
            .context("the response has no id_token")?
            .to_owned();
        let token = check_id_token(w, &raw, nonce.as_deref()).await?;
        if let Some(at) = r.get("access_token") {
            id_token::check_hash(&token, "at_hash", at, true)?;
        }
        if let Some(code) = r.get("code") {
            id_token::check_hash(&token, "c_hash", code, true)?;
        }
        flow_mut(w)?.auth_id_token = Some(token);
    }
    Ok(())
}

#[then(expr = "the redirect to the RP keeps its query {string}")]
async fn keeps_query(w: &mut GateWorld, query: String) -> anyhow::Result<()> {
    let r = response(w)?;
    let got = match r.delivery {
        Delivery::Fragment => r.query_beside_fragment.clone(),
        _ => r.params.clone(),
    };
    for (k, v) in parse_params(&query) {
        check!(
            got.iter().any(|(gk, gv)| *gk == k && *gv == v),
            "the redirect URI's query {k}={v} was lost: {got:?}"
        );
    }
    Ok(())
}

#[then(expr = "the RP receives the error {string}")]
async fn error_response(w: &mut GateWorld, errors: String) -> anyhow::Result<()> {
    let r = response(w)?;
    check_error(w, &r, &errors)
}

fn check_error(w: &GateWorld, r: &AuthResponse, errors: &str) -> anyhow::Result<()> {
    let error = r
        .get("error")
        .with_context(|| format!("the OP answered no error: {}", r.describe()))?;
    check!(
        errors.split(" or ").any(|e| e == error),
        "the OP answered {error:?}, expected {errors}: {}",
        r.describe()
    );
    let sent_state = flow(w, 0)?.param("state");
    check!(
        r.get("state") == sent_state,
        "state came back as {:?}, sent {:?}",
        r.get("state"),
        sent_state
    );
    for (k, v) in &r.params {
        check!(
            rp::ERROR_PARAMS.contains(&k.as_str()),
            "the error response carries {k}={v} (only {:?} are allowed)",
            rp::ERROR_PARAMS
        );
        if k == "error_description" || k == "error" {
            check!(
                rp::allowed_error_chars(v),
                "{k} has characters RFC 6749 §4.1.2.1 does not allow: {v:?}"
            );
        }
    }
    Ok(())
}

/// Whether the browser ended on an OP error page without the RP hearing of it.
fn on_error_page(w: &GateWorld) -> anyhow::Result<Option<String>> {
    let f = flow(w, 0)?;
    let browser = w.browser.as_ref().context("no browser")?;
    let page = browser.page()?;
    let redirect = f.param("redirect_uri").unwrap_or_default().to_owned();
    let origin = page.url.origin().ascii_serialization();
    let op_origin = w.target()?.op.discovery.pages_origin()?;
    let callbacks = w
        .oidcc
        .server
        .as_ref()
        .map(|s| s.since(f.callback_mark).len())
        .unwrap_or_default();
    let redirected = browser
        .history()
        .get(f.history_mark..)
        .unwrap_or_default()
        .iter()
        .filter_map(|h| h.location.as_ref())
        .any(|l| {
            !redirect.is_empty()
                && l.as_str()
                    .starts_with(redirect.split('?').next().unwrap_or(&redirect))
        });
    if origin == op_origin && page.status >= 400 && callbacks == 0 && !redirected {
        Ok(Some(
            page.text_of("#error_code")?.unwrap_or_else(|| page.text()),
        ))
    } else {
        Ok(None)
    }
}

#[then("the OP shows an error page and does not send the user to the RP")]
async fn error_page(w: &mut GateWorld) -> anyhow::Result<()> {
    let page = on_error_page(w)?;
    check!(
        page.is_some(),
        "the OP did not stop on an error page: {}",
        {
            let p = w.browser.as_ref().context("no browser")?.page()?;
            format!("{} {}", p.status, p.url)
        }
    );
    Ok(())
}

#[then(expr = "the OP refuses the request with {string}, at the RP or on its own page")]
async fn refused_either_way(w: &mut GateWorld, errors: String) -> anyhow::Result<()> {
    if on_error_page(w)?.is_some() {
        return Ok(());
    }
    let r = response(w)?;
    check_error(w, &r, &errors)?;
    check!(r.get("code").is_none(), "the error response carries a code");
    Ok(())
}

#[then(expr = "the OP processes the request object or refuses it with {string}")]
async fn request_object_outcome(w: &mut GateWorld, errors: String) -> anyhow::Result<()> {
    let r = response(w)?;
    if let Some(error) = r.get("error") {
        // An OP that does not read request objects cannot know the state inside one.
        check!(
            errors.split(" or ").any(|e| e == error),
            "the OP answered {error:?}, expected {errors} or a processed request: {}",
            r.describe()
        );
        check!(r.get("code").is_none(), "the error response carries a code");
        Ok(())
    } else {
        successful_response(w).await
    }
}

#[then("the OP asks the user to log in")]
async fn asks_login(w: &mut GateWorld) -> anyhow::Result<()> {
    let page = w.browser()?.page()?;
    let login = if w.target()?.op.product == OpProduct::Gatecheck {
        driver::Prompt::of(&page)? == driver::Prompt::Login
    } else {
        matches!(generic::ask(&page)?, generic::Ask::Login { .. })
    };
    check!(
        login,
        "the OP did not show its login page: {} {}",
        page.status,
        page.url
    );
    Ok(())
}

#[then("the OP answers without asking the user anything")]
async fn answers_silently(w: &mut GateWorld) -> anyhow::Result<()> {
    let page = w.browser()?.page()?;
    let asked = if w.target()?.op.product == OpProduct::Gatecheck {
        driver::Prompt::of(&page)? != driver::Prompt::None
    } else {
        generic::ask(&page)? != generic::Ask::Nothing
    };
    check!(!asked, "the OP asked the user something at {}", page.url);
    successful_response(w).await
}

// ---------------------------------------------------------------------------------------------
// The token endpoint

pub(crate) async fn token_request(
    w: &mut GateWorld,
    client_index: usize,
    form: Vec<(String, String)>,
    auth: Auth,
) -> anyhow::Result<Response> {
    let url = w.target()?.op.discovery.token_endpoint()?.to_owned();
    let c = client(w, client_index)?.clone();
    let secret = c.client_secret.clone().unwrap_or_default();
    let mut form = form;
    let assertion_aud = match auth {
        Auth::AssertionForIssuer => Some(w.target()?.op.issuer.clone()),
        Auth::Registered if c.auth_method == "private_key_jwt" => Some(url.clone()),
        _ => None,
    };
    let req = if let Some(aud) = assertion_aud {
        // The reference OP's clock may have been moved forward (`N seconds pass`).
        let now = now() + w.stack().map(|s| s.op_clock.offset()).unwrap_or(0);
        let assertion = crate::rp::signing::client_assertion(c.kid, &c.client_id, &aud, now)?;
        form.push((
            "client_assertion_type".into(),
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
        ));
        form.push(("client_assertion".into(), assertion));
        w.http.post(&url)
    } else if auth == Auth::SecretPost {
        form.push(("client_id".into(), c.client_id.clone()));
        form.push(("client_secret".into(), secret));
        w.http.post(&url)
    } else {
        // RFC 6749 §2.3.1: both are form-urlencoded before Basic encoding.
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        w.http
            .post(&url)
            .basic_auth(&enc(&c.client_id), Some(&enc(&secret)))
    };
    let resp = req.form(&form).send().await?;
    Response::read(format!("POST {url}"), resp).await
}

async fn exchange(w: &mut GateWorld, auth: Auth) -> anyhow::Result<()> {
    let r = response(w)?;
    let code = r
        .get("code")
        .context("the authorization response has no code")?
        .to_owned();
    let f = flow(w, 0)?;
    let mut form = vec![
        ("grant_type".to_owned(), "authorization_code".to_owned()),
        ("code".to_owned(), code),
        (
            "redirect_uri".to_owned(),
            f.param("redirect_uri").unwrap_or_default().to_owned(),
        ),
    ];
    if let Some(v) = &f.verifier {
        form.push(("code_verifier".to_owned(), v.clone()));
    }
    let index = f.client;
    let resp = token_request(w, index, form, auth).await?;
    flow_mut(w)?.token = Some(resp);
    Ok(())
}

#[when("the RP exchanges the code at the token endpoint")]
async fn exchanges(w: &mut GateWorld) -> anyhow::Result<()> {
    exchange(w, Auth::Registered).await
}

#[when("the RP exchanges the code at the token endpoint with client_secret_post")]
async fn exchanges_post(w: &mut GateWorld) -> anyhow::Result<()> {
    exchange(w, Auth::SecretPost).await
}

#[when("the RP exchanges the code at the token endpoint with a client assertion whose aud is the issuer")]
async fn exchanges_issuer_aud(w: &mut GateWorld) -> anyhow::Result<()> {
    exchange(w, Auth::AssertionForIssuer).await
}

#[when("the RP exchanges the same code again")]
async fn exchanges_again(w: &mut GateWorld) -> anyhow::Result<()> {
    let first = flow_mut(w)?.token.take();
    let first_id = flow_mut(w)?.token_id_token.take();
    exchange(w, Auth::Registered).await?;
    let f = flow_mut(w)?;
    let second = f.token.take();
    f.token = first;
    f.token_id_token = first_id;
    w.oidcc.refresh = second;
    Ok(())
}

fn token_json(resp: &Response) -> anyhow::Result<Map<String, Value>> {
    resp.expect_status(200)?;
    let cache = resp
        .headers
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    check!(
        cache.contains("no-store"),
        "the token response's Cache-Control is {cache:?}, not no-store"
    );
    resp.json()?
        .as_object()
        .cloned()
        .context("the token response is not a JSON object")
}

#[then("the token endpoint answers with tokens for the code")]
async fn tokens_for_code(w: &mut GateWorld) -> anyhow::Result<()> {
    let resp = flow(w, 0)?
        .token
        .clone()
        .context("the RP has not exchanged a code")?;
    let doc = token_json(&resp)?;
    check!(
        doc.get("access_token").and_then(Value::as_str).is_some(),
        "no access_token: {doc:?}"
    );
    check!(
        doc.get("token_type").and_then(Value::as_str).is_some(),
        "no token_type: {doc:?}"
    );
    let raw = doc
        .get("id_token")
        .and_then(Value::as_str)
        .context("the token response has no id_token (OIDC Core §3.1.3.3)")?
        .to_owned();
    let nonce = flow(w, 0)?.param("nonce").map(str::to_owned);
    let token = check_id_token(w, &raw, nonce.as_deref()).await?;
    if let Some(at) = doc.get("access_token").and_then(Value::as_str) {
        id_token::check_hash(&token, "at_hash", at, false)?;
    }
    if let Some(front) = &flow(w, 0)?.auth_id_token {
        check!(
            front.str("sub") == token.str("sub"),
            "the ID tokens of the authorization and token endpoints have different subs"
        );
    }
    flow_mut(w)?.token_id_token = Some(token);
    Ok(())
}

fn refused(resp: &Response, error: &str) -> anyhow::Result<()> {
    check!(
        resp.status == 400 || resp.status == 401,
        "{} answered {} (expected 400): {}",
        resp.request,
        resp.status,
        resp.body
    );
    let doc = resp.json()?;
    check!(doc["error"] == error, "expected {error}, got {doc}");
    Ok(())
}

#[then(expr = "the token endpoint refuses the second exchange with {string}")]
async fn second_exchange_refused(w: &mut GateWorld, error: String) -> anyhow::Result<()> {
    let resp = w
        .oidcc
        .refresh
        .clone()
        .context("the code was not exchanged twice")?;
    refused(&resp, &error)
}

// ---------------------------------------------------------------------------------------------
// ID tokens

fn last_id_token(w: &GateWorld, back: usize) -> anyhow::Result<&IdToken> {
    let f = flow(w, back)?;
    f.token_id_token
        .as_ref()
        .or(f.auth_id_token.as_ref())
        .context("that flow has no checked ID token")
}

#[then(expr = "the ID token is signed with {string} and names its key")]
async fn signed_with(w: &mut GateWorld, alg: String) -> anyhow::Result<()> {
    let t = last_id_token(w, 0)?;
    check!(
        t.alg == alg,
        "the ID token is signed with {}, not {alg}",
        t.alg
    );
    check!(t.kid.is_some(), "the ID token's header has no kid");
    Ok(())
}

#[then("the ID token is unsigned")]
async fn unsigned(w: &mut GateWorld) -> anyhow::Result<()> {
    let t = last_id_token(w, 0)?;
    check!(t.alg == "none", "the ID token is signed with {}", t.alg);
    check!(
        t.raw.ends_with('.'),
        "an alg none token has an empty signature"
    );
    Ok(())
}

#[then(expr = "the ID token has {string}")]
async fn id_token_has(w: &mut GateWorld, claim: String) -> anyhow::Result<()> {
    let t = last_id_token(w, 0)?;
    check!(
        t.claims.contains_key(&claim),
        "the ID token has no {claim}: {:?}",
        t.claims
    );
    Ok(())
}

#[then(expr = "both ID tokens have the same {string}")]
async fn same_claim(w: &mut GateWorld, claim: String) -> anyhow::Result<()> {
    let second = last_id_token(w, 0)?.claims.get(&claim).cloned();
    let first = last_id_token(w, 1)?.claims.get(&claim).cloned();
    check!(first.is_some(), "the first ID token has no {claim}");
    check!(
        first == second,
        "{claim} changed: {first:?} then {second:?}"
    );
    Ok(())
}

#[then("the second ID token has a later auth_time than the first")]
async fn later_auth_time(w: &mut GateWorld) -> anyhow::Result<()> {
    let second = last_id_token(w, 0)?
        .int("auth_time")
        .context("the second ID token has no auth_time")?;
    let first = last_id_token(w, 1)?
        .int("auth_time")
        .context("the first ID token has no auth_time")?;
    check!(
        second > first,
        "auth_time did not move: {first} then {second}"
    );
    Ok(())
}

#[then("the ID token's acr is one of the requested acr values")]
async fn acr_requested(w: &mut GateWorld) -> anyhow::Result<()> {
    let requested = flow(w, 0)?
        .param("acr_values")
        .unwrap_or_default()
        .to_owned();
    let acr = last_id_token(w, 0)?
        .str("acr")
        .context("the ID token has no acr")?;
    check!(
        requested.split(' ').any(|a| a == acr),
        "acr {acr:?} is not one of {requested:?}"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Userinfo

fn access_token(w: &GateWorld, back: usize) -> anyhow::Result<String> {
    let f = flow(w, back)?;
    if let Some(resp) = &f.token {
        if let Some(t) = resp.json()?.get("access_token").and_then(Value::as_str) {
            return Ok(t.to_owned());
        }
    }
    f.response
        .as_ref()
        .and_then(|r| r.get("access_token"))
        .map(str::to_owned)
        .context("the flow gave no access token")
}

async fn userinfo(w: &mut GateWorld, how: &str, token: String) -> anyhow::Result<Response> {
    let url = w
        .target()?
        .op
        .discovery
        .field("userinfo_endpoint")?
        .to_owned();
    let req = match how {
        "GET with a bearer header" => w.http.get(&url).bearer_auth(&token),
        "POST with a bearer header" => w.http.post(&url).bearer_auth(&token),
        "POST with the token in the body" => {
            w.http.post(&url).form(&[("access_token", token.as_str())])
        }
        other => anyhow::bail!("unknown userinfo call {other:?}"),
    };
    let resp = req.send().await?;
    Response::read(format!("{how} {url}"), resp).await
}

#[when(expr = "the RP calls the userinfo endpoint by {string}")]
async fn calls_userinfo(w: &mut GateWorld, how: String) -> anyhow::Result<()> {
    let token = access_token(w, 0)?;
    let resp = userinfo(w, &how, token).await?;
    w.oidcc.userinfo = Some(resp);
    Ok(())
}

#[then("the userinfo endpoint answers for the ID token's subject")]
async fn userinfo_answers(w: &mut GateWorld) -> anyhow::Result<()> {
    if w.oidcc.userinfo.is_none() {
        calls_userinfo(w, "GET with a bearer header".into()).await?;
    }
    let resp = w.oidcc.userinfo.as_ref().context("no userinfo call")?;
    resp.expect_status(200)?;
    let doc = resp.json()?;
    let sub = last_id_token(w, 0)?.str("sub").unwrap_or_default();
    check!(
        doc["sub"] == sub,
        "userinfo's sub is {}, the ID token's {sub:?}",
        doc["sub"]
    );
    Ok(())
}

#[then(
    expr = "the userinfo endpoint answers a JWT signed with {string} for the ID token's subject"
)]
async fn userinfo_signed(w: &mut GateWorld, alg: String) -> anyhow::Result<()> {
    if w.oidcc.userinfo.is_none() {
        calls_userinfo(w, "GET with a bearer header".into()).await?;
    }
    let resp = w.oidcc.userinfo.clone().context("no userinfo call")?;
    resp.expect_status(200)?;
    let ct = resp
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    check!(
        ct.starts_with("application/jwt"),
        "userinfo answered {ct:?}, not application/jwt (OIDC Core §5.3.2)"
    );
    let jwks = jwks(w).await?;
    let jwt = resp.body.trim();
    let header = jsonwebtoken::decode_header(jwt).context("userinfo's answer is not a JWS")?;
    check!(
        format!("{:?}", header.alg) == alg,
        "the userinfo JWT is signed with {:?}, not {alg}",
        header.alg
    );
    let key = header
        .kid
        .as_deref()
        .and_then(|kid| jwks.find(kid))
        .context("the userinfo JWT's kid names no key of the OP's JWKS")?;
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let claims = jsonwebtoken::decode::<Map<String, Value>>(
        jwt,
        &jsonwebtoken::DecodingKey::from_jwk(key)?,
        &validation,
    )
    .context("the userinfo JWT's signature does not verify with the OP's key")?
    .claims;
    let issuer = w.target()?.op.issuer.clone();
    let client_id = client(w, flow(w, 0)?.client)?.client_id.clone();
    // OIDC Core §5.3.2: iss and aud SHOULD be there; the suite checks them when present.
    if let Some(iss) = claims.get("iss") {
        check!(iss == issuer.as_str(), "the userinfo JWT's iss is {iss}");
    }
    if let Some(aud) = claims.get("aud") {
        let ok = aud == client_id.as_str()
            || aud
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == client_id.as_str()));
        check!(ok, "the userinfo JWT's aud {aud} does not name {client_id}");
    }
    check!(
        claims.get("nonce").is_none(),
        "the userinfo JWT carries a nonce"
    );
    let sub = last_id_token(w, 0)?.str("sub").unwrap_or_default();
    check!(
        claims.get("sub").and_then(Value::as_str) == Some(sub),
        "the userinfo JWT's sub is {:?}, the ID token's {sub:?}",
        claims.get("sub")
    );
    Ok(())
}

#[then(expr = "the OP releases the claims {string}")]
async fn releases_claims(w: &mut GateWorld, claims: String) -> anyhow::Result<()> {
    // Without an access token (response_type=id_token) the claims are in the ID token
    // (OIDC Core §5.4); otherwise at userinfo.
    let released: Map<String, Value> = if access_token(w, 0).is_err() {
        last_id_token(w, 0)?.claims.clone()
    } else {
        if w.oidcc.userinfo.is_none() {
            calls_userinfo(w, "GET with a bearer header".into()).await?;
        }
        let resp = w.oidcc.userinfo.as_ref().context("no userinfo call")?;
        resp.expect_status(200)?;
        resp.json()?.as_object().cloned().unwrap_or_default()
    };
    for claim in claims.split(',').map(str::trim) {
        check!(
            released.contains_key(claim),
            "the OP did not release {claim}: {released:?}"
        );
    }
    Ok(())
}

#[then("the access token of the first exchange no longer works at the userinfo endpoint")]
async fn first_access_token_revoked(w: &mut GateWorld) -> anyhow::Result<()> {
    let token = access_token(w, 0)?;
    let resp = userinfo(w, "GET with a bearer header", token).await?;
    check!(
        resp.status == 401,
        "userinfo answered {} for the revoked token: {}",
        resp.status,
        resp.body
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Refresh

fn refresh_token(w: &GateWorld) -> anyhow::Result<String> {
    let f = flow(w, 0)?;
    let resp = f
        .token
        .as_ref()
        .context("the RP has not exchanged a code")?;
    resp.json()?
        .get("refresh_token")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .context("the token response has no refresh_token")
}

#[when("the RP refreshes the tokens")]
async fn refreshes(w: &mut GateWorld) -> anyhow::Result<()> {
    let rt = refresh_token(w)?;
    let index = flow(w, 0)?.client;
    let form = vec![
        ("grant_type".to_owned(), "refresh_token".to_owned()),
        ("refresh_token".to_owned(), rt),
    ];
    w.oidcc.refresh = Some(token_request(w, index, form, Auth::Registered).await?);
    Ok(())
}

#[then("the refreshed ID token keeps iss, sub, aud, auth_time and azp and has a new iat")]
async fn refreshed_ok(w: &mut GateWorld) -> anyhow::Result<()> {
    let resp = w
        .oidcc
        .refresh
        .clone()
        .context("the RP has not refreshed")?;
    let doc = token_json(&resp)?;
    check!(
        doc.get("access_token").is_some(),
        "the refresh answered no access_token: {doc:?}"
    );
    let Some(raw) = doc.get("id_token").and_then(Value::as_str) else {
        return Ok(());
    };
    let token = check_id_token(w, raw, None).await?;
    let first = last_id_token(w, 0)?;
    for claim in ["iss", "sub", "aud", "auth_time", "azp"] {
        check!(
            first.claims.get(claim) == token.claims.get(claim),
            "the refreshed ID token's {claim} is {:?}, was {:?}",
            token.claims.get(claim),
            first.claims.get(claim)
        );
    }
    check!(
        token.int("iat") != first.int("iat"),
        "the refreshed ID token has the same iat"
    );
    Ok(())
}

#[then(expr = "the second client's use of the refresh token is refused with {string}")]
async fn other_client_refused(w: &mut GateWorld, error: String) -> anyhow::Result<()> {
    let rt = refresh_token(w)?;
    let form = vec![
        ("grant_type".to_owned(), "refresh_token".to_owned()),
        ("refresh_token".to_owned(), rt),
    ];
    let resp = token_request(w, 1, form, Auth::Registered).await?;
    refused(&resp, &error)
}

// ---------------------------------------------------------------------------------------------
// Discovery (`oidcc-discovery-endpoint-verification`)

fn is_loopback_http(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| {
        u.scheme() == "http"
            && match u.host() {
                Some(url::Host::Domain(d)) => d == "localhost",
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            }
    })
}

pub(crate) fn secure(url: &str) -> bool {
    url.starts_with("https://") || is_loopback_http(url)
}

async fn verify_discovery(w: &mut GateWorld, dynamic: bool) -> anyhow::Result<()> {
    let d = w.target()?.op.discovery.clone();
    let issuer = w.target()?.op.issuer.clone();
    check!(
        d.url.ends_with("/.well-known/openid-configuration"),
        "the discovery URL {} does not end with /.well-known/openid-configuration",
        d.url
    );
    check!(secure(&d.url), "the discovery URL {} is not https", d.url);
    check!(
        d.url.starts_with(issuer.trim_end_matches('/')),
        "the issuer {issuer} is not the discovery URL's prefix"
    );
    check!(
        url::Url::parse(&issuer).is_ok(),
        "the issuer {issuer:?} is not a URL"
    );
    let rts = d
        .list("response_types_supported")
        .context("no response_types_supported")?;
    let oidc = [
        "code",
        "id_token",
        "id_token token",
        "code id_token",
        "code token",
        "code id_token token",
    ];
    check!(
        rts.iter().any(|r| oidc.contains(r)),
        "response_types_supported has no OpenID Connect response type: {rts:?}"
    );
    if dynamic {
        for rt in ["code", "id_token", "id_token token"] {
            let want: std::collections::BTreeSet<_> = rt.split(' ').collect();
            check!(
                rts.iter()
                    .any(|r| r.split(' ').collect::<std::collections::BTreeSet<_>>() == want),
                "a dynamic OP lists {rt:?} in response_types_supported: {rts:?}"
            );
        }
        let grants = d
            .list("grant_types_supported")
            .context("no grant_types_supported")?;
        for g in ["authorization_code", "implicit"] {
            check!(
                grants.contains(&g),
                "a dynamic OP lists {g} in grant_types_supported: {grants:?}"
            );
        }
    }
    let subjects = d
        .list("subject_types_supported")
        .context("no subject_types_supported")?;
    check!(
        subjects.iter().any(|s| *s == "public" || *s == "pairwise"),
        "subject_types_supported: {subjects:?}"
    );
    check!(
        d.lists("id_token_signing_alg_values_supported", "RS256"),
        "id_token_signing_alg_values_supported lacks RS256"
    );
    check!(
        d.lists("scopes_supported", "openid"),
        "scopes_supported lacks openid"
    );
    check!(
        d.list("claims_supported").is_some(),
        "claims_supported is not an array"
    );
    if let Some(v) = d.doc.get("grant_types_supported") {
        check!(
            v.as_array().is_some_and(|a| !a.is_empty()),
            "grant_types_supported is not a non-empty array"
        );
    }
    if let Some(v) = d.doc.get("code_challenge_methods_supported") {
        check!(
            v.is_array(),
            "code_challenge_methods_supported is not an array"
        );
    }
    for field in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
    ] {
        let url = d.field(field)?;
        check!(secure(url), "{field} {url} is not https");
    }
    if let Some(obj) = d.doc.as_object() {
        for (k, v) in obj {
            if k.ends_with("_endpoint") {
                let url = v.as_str().with_context(|| format!("{k} is not a string"))?;
                check!(secure(url), "{k} {url} is not https");
            }
        }
    }
    jwks(w).await?;
    Ok(())
}

#[then("the OP's discovery document passes the suite's checks")]
async fn discovery_ok(w: &mut GateWorld) -> anyhow::Result<()> {
    verify_discovery(w, false).await
}

#[then("the OP's discovery document passes the suite's checks for dynamic clients")]
async fn discovery_ok_dynamic(w: &mut GateWorld) -> anyhow::Result<()> {
    verify_discovery(w, true).await
}

#[then(expr = "the OP's discovery document says {string} is {string}")]
async fn discovery_says(w: &mut GateWorld, field: String, value: String) -> anyhow::Result<()> {
    let d = &w.target()?.op.discovery;
    let got = d.doc.get(&field).cloned().unwrap_or(Value::Null);
    let want: Value = serde_json::from_str(&value).unwrap_or(Value::String(value.clone()));
    check!(got == want, "discovery's {field} is {got}, expected {want}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_read_as_typed_and_grants_follow_the_response_type() {
        assert_eq!(
            parse_params("prompt=login&scope=openid profile&extra"),
            vec![
                ("prompt".to_owned(), "login".to_owned()),
                ("scope".to_owned(), "openid profile".to_owned()),
                ("extra".to_owned(), String::new()),
            ]
        );
        assert_eq!(grant_types("code"), ["authorization_code", "refresh_token"]);
        assert_eq!(grant_types("id_token token"), ["implicit", "refresh_token"]);
        assert_eq!(
            grant_types("code id_token"),
            ["authorization_code", "implicit", "refresh_token"]
        );
        assert!(secure("https://op.example/x"));
        assert!(secure("http://127.0.0.1:8080/x"));
        assert!(!secure("http://op.example/x"));
    }
}
