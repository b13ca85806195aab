//! Steps of `features/op/`: Gluu Server 4.2's "OpenID Connect Provider (OP)" page
//! (<https://gluu.org/docs/gluu-server/4.2/admin-guide/openid-connect/>), one feature per
//! section. The relying party here plays the administrator's clients (configured in the stack's
//! OP config, the analogue of oxTrust: a scenario names them by `client_id`) as well as clients
//! it registers itself at the `registration_endpoint`.
//!
//! The user's browser stays on the OP's origin: the redirect back to a client's redirect URI is
//! read from the redirect itself (its query or fragment), so the clients' sites
//! (`https://web.example.org/callback`, ...) need not exist. Everything else goes through the
//! endpoints the discovery document names.

use anyhow::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use serde_json::{Map, Value};
use sha2::Digest;

use super::check;
use super::oidcc;
use crate::browser::{driver, Browser};
use crate::rp::id_token::{self, IdToken};
use crate::rp::{self, AuthResponse, Delivery};
use crate::world::{GateWorld, Response, STEP_HTTP_TIMEOUT};

/// The WebFinger link relation of an OpenID Connect issuer (OpenID Connect Discovery 1.0 §2).
const ISSUER_REL: &str = "http://openid.net/specs/connect/1.0/issuer";

/// What the features' relying party keeps during a scenario.
#[derive(Debug, Default)]
pub struct DocState {
    /// Clients it registered dynamically (the administrator's come from the target).
    clients: Vec<DocClient>,
    /// Every authorization request, in order.
    flows: Vec<DocFlow>,
    /// The last registration answer.
    registration: Option<Response>,
    /// The last answer of an endpoint called directly (token, introspection, revocation,
    /// userinfo, WebFinger, a registration read).
    answer: Option<Response>,
    /// The last access token a client got for itself (client_credentials).
    client_token: Option<String>,
    /// Where the RP serves its sector identifier document.
    sector_uri: Option<String>,
}

#[derive(Debug, Clone)]
struct DocClient {
    name: String,
    client_id: String,
    client_secret: Option<String>,
    redirect_uris: Vec<String>,
    /// The registration answer of a dynamically registered client.
    registration: Option<Value>,
}

#[derive(Debug)]
struct DocFlow {
    client: DocClient,
    params: Vec<(String, String)>,
    history_mark: usize,
    response: Option<AuthResponse>,
    front_id_token: Option<IdToken>,
    token: Option<Response>,
    token_id_token: Option<IdToken>,
}

impl DocFlow {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn id_token(&self) -> Option<&IdToken> {
        self.token_id_token
            .as_ref()
            .or(self.front_id_token.as_ref())
    }
}

// ---------------------------------------------------------------------------------------------
// Stacks

fn set_path(doc: &mut Value, path: &str, value: Value) -> anyhow::Result<()> {
    let mut at = doc;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let obj = at
            .as_object_mut()
            .with_context(|| format!("op.{path}: {part} is not inside a mapping"))?;
        if i + 1 == parts.len() {
            obj.insert((*part).to_owned(), value);
            return Ok(());
        }
        at = obj
            .entry((*part).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    Ok(())
}

#[given(expr = "the {string} stack is running with the OP's {string} set to {string}")]
async fn stack_with_setting(
    w: &mut GateWorld,
    name: String,
    path: String,
    value: String,
) -> anyhow::Result<()> {
    let value: Value =
        serde_yaml::from_str(&value).with_context(|| format!("{value:?} is not a YAML value"))?;
    let mut failed = None;
    w.start_stack(
        &name,
        |s| {
            if let Err(e) = set_path(&mut s.op, &path, value) {
                failed = Some(e);
            }
        },
        false,
    )
    .await?;
    match failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Clients and the browser

fn client(w: &GateWorld, name: &str) -> anyhow::Result<DocClient> {
    if let Some(c) = w.op_doc.clients.iter().rev().find(|c| c.name == name) {
        return Ok(c.clone());
    }
    let site = w.target()?.site(name)?;
    Ok(DocClient {
        name: name.to_owned(),
        client_id: site.client_id.clone(),
        client_secret: Some(site.client_secret.clone()),
        redirect_uris: site.redirect_uris.clone(),
        registration: None,
    })
}

/// A new browser (a new user session) that follows redirects only on the OP's origin.
fn op_browser(w: &GateWorld) -> anyhow::Result<Browser> {
    let origin = w.target()?.op.discovery.pages_origin()?;
    Ok(Browser::builder()
        .timeout(STEP_HTTP_TIMEOUT)
        .recorder(w.recorder.clone())
        .stay_on(&origin)?
        .build()?)
}

fn flow(w: &GateWorld) -> anyhow::Result<&DocFlow> {
    w.op_doc
        .flows
        .last()
        .context("no client has sent the user to the OP yet")
}

fn flow_mut(w: &mut GateWorld) -> anyhow::Result<&mut DocFlow> {
    w.op_doc
        .flows
        .last_mut()
        .context("no client has sent the user to the OP yet")
}

fn parse_params(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (p.to_owned(), String::new()),
        })
        .collect()
}

/// Sends the user's browser to the authorization endpoint for `name`: `client_id`, its first
/// redirect URI, `response_type`, `scope=openid profile`, a random `state` and `nonce`, then
/// `extra` (`name=value&...`; a value `(omitted)` removes the parameter).
async fn send(
    w: &mut GateWorld,
    name: &str,
    response_type: &str,
    extra: &str,
) -> anyhow::Result<()> {
    let c = client(w, name)?;
    let redirect = c
        .redirect_uris
        .first()
        .cloned()
        .with_context(|| format!("the client {name} has no redirect URI"))?;
    let mut params = vec![
        ("client_id".to_owned(), c.client_id.clone()),
        ("redirect_uri".to_owned(), redirect),
        ("response_type".to_owned(), response_type.to_owned()),
        ("scope".to_owned(), "openid profile".to_owned()),
        ("state".to_owned(), oidcc::random(12)),
        ("nonce".to_owned(), oidcc::random(12)),
    ];
    for (k, v) in parse_params(extra) {
        params.retain(|(pk, _)| *pk != k);
        if v != "(omitted)" {
            params.push((k, v));
        }
    }
    if w.browser.is_none() {
        w.browser = Some(op_browser(w)?);
    }
    let endpoint = w
        .target()?
        .op
        .discovery
        .authorization_endpoint()?
        .to_owned();
    let mut url = url::Url::parse(&endpoint).context("authorization_endpoint")?;
    url.query_pairs_mut().extend_pairs(&params);
    let history_mark = w.browser()?.history().len();
    w.op_doc.flows.push(DocFlow {
        client: c,
        params,
        history_mark,
        response: None,
        front_id_token: None,
        token: None,
        token_id_token: None,
    });
    w.browser()?.open(url.as_str()).await?;
    Ok(())
}

#[when(expr = "the {string} client sends the user to the OP with response type {string}")]
async fn sends(w: &mut GateWorld, name: String, rt: String) -> anyhow::Result<()> {
    send(w, &name, &rt, "").await
}

#[when(
    expr = "the {string} client sends the user to the OP with response type {string} and {string}"
)]
async fn sends_with(
    w: &mut GateWorld,
    name: String,
    rt: String,
    extra: String,
) -> anyhow::Result<()> {
    send(w, &name, &rt, &extra).await
}

#[when("the user comes back later in a new browser")]
async fn new_browser(w: &mut GateWorld) -> anyhow::Result<()> {
    if let Some(old) = w.browser.take() {
        old.close().await;
    }
    w.browser = Some(op_browser(w)?);
    Ok(())
}

/// The authorization response of the last flow: the redirect to its redirect URI that the OP
/// sent the browser since the request.
fn auth_response(w: &mut GateWorld) -> anyhow::Result<AuthResponse> {
    if let Some(r) = &flow(w)?.response {
        return Ok(r.clone());
    }
    let f = flow(w)?;
    let redirect = f.param("redirect_uri").unwrap_or_default().to_owned();
    let browser = w.browser.as_ref().context("no browser")?;
    let found = browser
        .history()
        .get(f.history_mark..)
        .unwrap_or_default()
        .iter()
        .filter_map(|h| h.location.as_ref())
        .filter_map(|l| rp::from_location(l, &redirect))
        .next_back()
        .with_context(|| {
            let page = browser
                .page()
                .map(|p| {
                    let text: String = p.text().chars().take(300).collect();
                    format!("{} {}: {text}", p.status, p.url)
                })
                .unwrap_or_default();
            format!("the OP did not send the user back to {redirect}; the browser is at {page}")
        })?;
    flow_mut(w)?.response = Some(found.clone());
    Ok(found)
}

fn op_now(w: &GateWorld) -> i64 {
    oidcc::now() + w.stack().map(|s| s.op_clock.offset()).unwrap_or(0)
}

async fn verify_id_token(
    w: &mut GateWorld,
    raw: &str,
    client_id: &str,
    nonce: Option<&str>,
) -> anyhow::Result<IdToken> {
    let jwks = oidcc::jwks(w).await?;
    let issuer = w.target()?.op.issuer.clone();
    let now = op_now(w);
    id_token::check(
        raw,
        &jwks,
        &id_token::Expected {
            issuer: &issuer,
            client_id,
            nonce,
            now,
        },
    )
}

#[then(expr = "the client receives {string} in the {word}")]
async fn receives(w: &mut GateWorld, what: String, mode: String) -> anyhow::Result<()> {
    let r = auth_response(w)?;
    check!(
        r.get("error").is_none(),
        "the OP answered an error: {}",
        r.describe()
    );
    let want = match mode.as_str() {
        "query" => Delivery::Query,
        "fragment" => Delivery::Fragment,
        other => anyhow::bail!("`{other}`: say query or fragment"),
    };
    check!(
        r.delivery == want,
        "the response came in the {}, expected the {mode}: {}",
        r.delivery.mode(),
        r.describe()
    );
    let parts: Vec<&str> = what.split(' ').collect();
    for (part, param) in [
        ("code", "code"),
        ("id_token", "id_token"),
        ("token", "access_token"),
    ] {
        check!(
            parts.contains(&part) == r.get(param).is_some(),
            "response type {what}: {param} is {} in the response: {}",
            if r.get(param).is_some() {
                "unexpected"
            } else {
                "missing"
            },
            r.describe()
        );
    }
    check!(
        !r.query_beside_fragment.iter().any(|(k, _)| k == "code"),
        "a code came in the query of a fragment response"
    );
    let f = flow(w)?;
    let sent_state = f.param("state").map(str::to_owned);
    let nonce = f.param("nonce").map(str::to_owned);
    let client_id = f.client.client_id.clone();
    check!(
        r.get("state").map(str::to_owned) == sent_state,
        "state came back as {:?}, sent {sent_state:?}",
        r.get("state")
    );
    let issuer = w.target()?.op.issuer.clone();
    if let Some(iss) = r.get("iss") {
        check!(
            iss == issuer,
            "the response's iss is {iss:?}, not {issuer:?}"
        );
    }
    if r.get("access_token").is_some() {
        check!(
            r.get("token_type").is_some(),
            "the response has an access_token without token_type"
        );
    }
    if let Some(raw) = r.get("id_token") {
        let token = verify_id_token(w, raw, &client_id, nonce.as_deref()).await?;
        if let Some(at) = r.get("access_token") {
            id_token::check_hash(&token, "at_hash", at, true)?;
        }
        if let Some(code) = r.get("code") {
            id_token::check_hash(&token, "c_hash", code, true)?;
        }
        flow_mut(w)?.front_id_token = Some(token);
    }
    Ok(())
}

#[then("the OP sends the user back to the client without asking for consent")]
async fn back_without_consent(w: &mut GateWorld) -> anyhow::Result<()> {
    let page = w.browser()?.page()?;
    check!(
        driver::Prompt::of(&page)? == driver::Prompt::None,
        "the OP asks the user something at {} ({})",
        page.url,
        page.heading().unwrap_or_default()
    );
    let redirect = flow(w)?
        .param("redirect_uri")
        .unwrap_or_default()
        .to_owned();
    let back = page
        .location()
        .and_then(|l| rp::from_location(&l, &redirect));
    check!(
        page.is_redirect() && back.is_some(),
        "the page after the login is {} {}, not the redirect to {redirect}",
        page.status,
        page.url
    );
    Ok(())
}

#[then(expr = "the client receives the error {string}")]
async fn receives_error(w: &mut GateWorld, error: String) -> anyhow::Result<()> {
    let r = auth_response(w)?;
    check!(
        r.get("error") == Some(error.as_str()),
        "expected the error {error}, the client received {}",
        r.describe()
    );
    let sent_state = flow(w)?.param("state").map(str::to_owned);
    check!(
        r.get("state").map(str::to_owned) == sent_state,
        "state came back as {:?}, sent {sent_state:?}",
        r.get("state")
    );
    for p in ["code", "id_token", "access_token"] {
        check!(r.get(p).is_none(), "the error response carries {p}");
    }
    Ok(())
}

#[then(expr = "the OP shows the error page {string} and does not send the user to the client")]
async fn error_page(w: &mut GateWorld, error: String) -> anyhow::Result<()> {
    let f = flow(w)?;
    let redirect = f.param("redirect_uri").unwrap_or_default().to_owned();
    let base = redirect.split('?').next().unwrap_or_default().to_owned();
    let mark = f.history_mark;
    let browser = w.browser.as_ref().context("no browser")?;
    let page = browser.page()?;
    let sent_back: Vec<String> = browser
        .history()
        .get(mark..)
        .unwrap_or_default()
        .iter()
        .filter_map(|h| h.location.as_ref())
        .map(|l| l.to_string())
        .filter(|l| !base.is_empty() && l.starts_with(&base))
        .collect();
    check!(
        sent_back.is_empty(),
        "the OP sent the user to the client: {sent_back:?}"
    );
    check!(
        page.status >= 400,
        "the OP answered {} at {}, not an error page",
        page.status,
        page.url
    );
    let code = page.text_of("#error_code")?.unwrap_or_default();
    check!(
        code.trim() == error,
        "the error page says {code:?}, expected {error}: {}",
        page.text().chars().take(300).collect::<String>()
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The token endpoint

async fn token_call(
    w: &mut GateWorld,
    c: &DocClient,
    form: Vec<(String, String)>,
) -> anyhow::Result<Response> {
    let url = w.target()?.op.discovery.token_endpoint()?.to_owned();
    // RFC 6749 §2.3.1: both are form-urlencoded before Basic encoding.
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let secret = c.client_secret.clone().unwrap_or_default();
    let resp = w
        .http
        .post(&url)
        .basic_auth(&enc(&c.client_id), Some(&enc(&secret)))
        .form(&form)
        .send()
        .await?;
    Response::read(format!("POST {url}"), resp).await
}

#[when("the client exchanges the code at the token endpoint")]
async fn exchanges(w: &mut GateWorld) -> anyhow::Result<()> {
    let r = auth_response(w)?;
    let code = r
        .get("code")
        .context("the authorization response has no code")?
        .to_owned();
    let f = flow(w)?;
    let c = f.client.clone();
    let form = vec![
        ("grant_type".to_owned(), "authorization_code".to_owned()),
        ("code".to_owned(), code),
        (
            "redirect_uri".to_owned(),
            f.param("redirect_uri").unwrap_or_default().to_owned(),
        ),
    ];
    let resp = token_call(w, &c, form).await?;
    flow_mut(w)?.token = Some(resp);
    Ok(())
}

fn token_doc(w: &GateWorld) -> anyhow::Result<Map<String, Value>> {
    let resp = flow(w)?
        .token
        .as_ref()
        .context("the client has not exchanged the code")?;
    resp.expect_status(200)?;
    resp.json()?
        .as_object()
        .cloned()
        .context("the token response is not a JSON object")
}

#[then("the token endpoint answers an access token and an ID token")]
async fn token_answers(w: &mut GateWorld) -> anyhow::Result<()> {
    let doc = token_doc(w)?;
    check!(
        doc.get("access_token").and_then(Value::as_str).is_some(),
        "no access_token: {doc:?}"
    );
    check!(
        doc.get("token_type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("bearer")),
        "token_type is not Bearer: {doc:?}"
    );
    let raw = doc
        .get("id_token")
        .and_then(Value::as_str)
        .context("the token response has no id_token")?
        .to_owned();
    let f = flow(w)?;
    let nonce = f.param("nonce").map(str::to_owned);
    let client_id = f.client.client_id.clone();
    let token = verify_id_token(w, &raw, &client_id, nonce.as_deref()).await?;
    if let Some(at) = doc.get("access_token").and_then(Value::as_str) {
        id_token::check_hash(&token, "at_hash", at, false)?;
    }
    if let Some(front) = &flow(w)?.front_id_token {
        check!(
            front.str("sub") == token.str("sub"),
            "the ID tokens of the authorization and token endpoints name different subs"
        );
    }
    flow_mut(w)?.token_id_token = Some(token);
    Ok(())
}

fn scopes_of(text: &str) -> std::collections::BTreeSet<String> {
    text.split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[then(expr = "the token endpoint grants exactly the scopes {string}")]
async fn grants_exactly(w: &mut GateWorld, scopes: String) -> anyhow::Result<()> {
    let doc = token_doc(w)?;
    let granted = scopes_of(doc.get("scope").and_then(Value::as_str).unwrap_or_default());
    check!(
        granted == scopes_of(&scopes),
        "the token endpoint granted {granted:?}, expected {scopes}"
    );
    Ok(())
}

/// When the user signs in to a client: the code flow from the request to the tokens, the user
/// answering every page (password, consent) the OP shows.
#[when(expr = "the user signs in to the {string} client as {string} with password {string}")]
async fn signs_in(
    w: &mut GateWorld,
    name: String,
    user: String,
    password: String,
) -> anyhow::Result<()> {
    signs_in_with(w, name, String::new(), user, password).await
}

#[when(
    expr = "the user signs in to the {string} client with {string} as {string} with password {string}"
)]
async fn signs_in_with(
    w: &mut GateWorld,
    name: String,
    extra: String,
    user: String,
    password: String,
) -> anyhow::Result<()> {
    send(w, &name, "code", &extra).await?;
    let (username, typed) = w.target()?.login(&user, &password)?;
    let mut authenticator = None;
    driver::complete_login(
        w.browser()?,
        &username,
        &typed,
        &mut authenticator,
        driver::Code::Now,
    )
    .await?;
    receives(w, "code".into(), "query".into()).await?;
    exchanges(w).await?;
    token_answers(w).await
}

#[when(expr = "the {string} client asks the token endpoint for a client_credentials token")]
async fn client_credentials(w: &mut GateWorld, name: String) -> anyhow::Result<()> {
    let c = client(w, &name)?;
    let form = vec![("grant_type".to_owned(), "client_credentials".to_owned())];
    let resp = token_call(w, &c, form).await?;
    if resp.status == 200 {
        w.op_doc.client_token = resp
            .json()?
            .get("access_token")
            .and_then(Value::as_str)
            .map(str::to_owned);
    }
    w.op_doc.answer = Some(resp);
    Ok(())
}

#[then("the token endpoint answers an access token")]
async fn answers_access_token(w: &mut GateWorld) -> anyhow::Result<()> {
    let resp = w.op_doc.answer.as_ref().context("nothing was asked")?;
    resp.expect_status(200)?;
    check!(
        resp.json()?.get("access_token").is_some(),
        "no access_token: {}",
        resp.body
    );
    Ok(())
}

#[then(expr = "the OP answers {int} with the error {string}")]
async fn answers_error(w: &mut GateWorld, status: u16, error: String) -> anyhow::Result<()> {
    let resp = w.op_doc.answer.as_ref().context("nothing was asked")?;
    resp.expect_status(status)?;
    let doc = resp.json()?;
    check!(
        doc["error"] == error.as_str(),
        "{} answered the error {}, expected {error}: {doc}",
        resp.request,
        doc["error"]
    );
    Ok(())
}

/// The last access token: the client's own (client_credentials) when it asked for one last,
/// else the last flow's.
fn last_access_token(w: &GateWorld) -> anyhow::Result<String> {
    if let Some(t) = &w.op_doc.client_token {
        return Ok(t.clone());
    }
    let f = flow(w)?;
    if let Some(resp) = &f.token {
        if let Some(t) = resp.json()?.get("access_token").and_then(Value::as_str) {
            return Ok(t.to_owned());
        }
    }
    f.response
        .as_ref()
        .and_then(|r| r.get("access_token"))
        .map(str::to_owned)
        .context("no access token was issued")
}

async fn with_client_auth(
    w: &mut GateWorld,
    name: &str,
    endpoint_field: &str,
    form: Vec<(String, String)>,
) -> anyhow::Result<Response> {
    let c = client(w, name)?;
    let url = w.target()?.op.discovery.field(endpoint_field)?.to_owned();
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let secret = c.client_secret.clone().unwrap_or_default();
    let resp = w
        .http
        .post(&url)
        .basic_auth(&enc(&c.client_id), Some(&enc(&secret)))
        .form(&form)
        .send()
        .await?;
    Response::read(format!("POST {url}"), resp).await
}

#[when(expr = "the {string} client introspects the access token")]
async fn introspects(w: &mut GateWorld, name: String) -> anyhow::Result<()> {
    let token = last_access_token(w)?;
    let form = vec![("token".to_owned(), token)];
    let resp = with_client_auth(w, &name, "introspection_endpoint", form).await?;
    w.op_doc.answer = Some(resp);
    Ok(())
}

#[when(expr = "the {string} client revokes the access token")]
async fn revokes(w: &mut GateWorld, name: String) -> anyhow::Result<()> {
    let token = last_access_token(w)?;
    let form = vec![("token".to_owned(), token)];
    let resp = with_client_auth(w, &name, "revocation_endpoint", form).await?;
    w.op_doc.answer = Some(resp);
    Ok(())
}

#[then(expr = "the introspection answers the token active with the scopes {string}")]
async fn introspection_active(w: &mut GateWorld, scopes: String) -> anyhow::Result<()> {
    let resp = w.op_doc.answer.as_ref().context("nothing was asked")?;
    resp.expect_status(200)?;
    let doc = resp.json()?;
    check!(doc["active"] == true, "the token is not active: {doc}");
    let got = scopes_of(doc["scope"].as_str().unwrap_or_default());
    check!(
        got == scopes_of(&scopes),
        "introspection says the scopes {got:?}, expected {scopes}"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ID tokens and userinfo

fn last_id_token(w: &GateWorld) -> anyhow::Result<&IdToken> {
    flow(w)?
        .id_token()
        .context("the last flow has no checked ID token")
}

#[then(expr = "the ID token's {word} is {string}")]
async fn id_token_claim_is(w: &mut GateWorld, claim: String, value: String) -> anyhow::Result<()> {
    let t = last_id_token(w)?;
    check!(
        t.str(&claim) == Some(value.as_str()),
        "the ID token's {claim} is {:?}, expected {value:?}",
        t.claims.get(&claim)
    );
    Ok(())
}

#[then(expr = "the ID token's {word} includes {string}")]
async fn id_token_claim_includes(
    w: &mut GateWorld,
    claim: String,
    value: String,
) -> anyhow::Result<()> {
    let t = last_id_token(w)?;
    let has = t
        .claims
        .get(&claim)
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|v| v == value.as_str()));
    check!(
        has,
        "the ID token's {claim} {:?} does not include {value:?}",
        t.claims.get(&claim)
    );
    Ok(())
}

fn names(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[then(expr = "the ID token carries the claims {string}")]
async fn id_token_carries(w: &mut GateWorld, claims: String) -> anyhow::Result<()> {
    let t = last_id_token(w)?;
    for c in names(&claims) {
        check!(
            t.claims.contains_key(&c),
            "the ID token has no {c}: {:?}",
            t.claims
        );
    }
    Ok(())
}

#[then("the ID token's c_hash is the base64url left half of the code's SHA-256")]
async fn c_hash_is(w: &mut GateWorld) -> anyhow::Result<()> {
    let r = auth_response(w)?;
    let code = r.get("code").context("the response has no code")?;
    let t = flow(w)?
        .front_id_token
        .as_ref()
        .context("the authorization response had no ID token")?;
    check!(
        t.alg.ends_with("256"),
        "the ID token is signed with {}",
        t.alg
    );
    let digest = sha2::Sha256::digest(code.as_bytes());
    let want = URL_SAFE_NO_PAD.encode(&digest[..16]);
    check!(
        t.str("c_hash") == Some(want.as_str()),
        "c_hash is {:?}, the code's hash {want:?}",
        t.str("c_hash")
    );
    Ok(())
}

#[then("a code altered in transit does not match the ID token's c_hash")]
async fn altered_code(w: &mut GateWorld) -> anyhow::Result<()> {
    let r = auth_response(w)?;
    let code = r.get("code").context("the response has no code")?;
    let mut altered: Vec<char> = code.chars().collect();
    if let Some(last) = altered.last_mut() {
        *last = if *last == 'A' { 'B' } else { 'A' };
    }
    let altered: String = altered.into_iter().collect();
    let t = flow(w)?
        .front_id_token
        .as_ref()
        .context("the authorization response had no ID token")?;
    check!(
        id_token::check_hash(t, "c_hash", &altered, true).is_err(),
        "the ID token's c_hash also matches the altered code {altered}"
    );
    Ok(())
}

async fn userinfo_call(w: &mut GateWorld, token: &str) -> anyhow::Result<Response> {
    let url = w
        .target()?
        .op
        .discovery
        .field("userinfo_endpoint")?
        .to_owned();
    let resp = w.http.get(&url).bearer_auth(token).send().await?;
    Response::read(format!("GET {url}"), resp).await
}

async fn userinfo_doc(w: &mut GateWorld) -> anyhow::Result<Map<String, Value>> {
    let token = last_access_token(w)?;
    let resp = userinfo_call(w, &token).await?;
    resp.expect_status(200)?;
    let doc = resp
        .json()?
        .as_object()
        .cloned()
        .context("userinfo answered no JSON object")?;
    if let Ok(t) = last_id_token(w) {
        check!(
            doc.get("sub").and_then(Value::as_str) == t.str("sub"),
            "userinfo's sub is {:?}, the ID token's {:?}",
            doc.get("sub"),
            t.str("sub")
        );
    }
    Ok(doc)
}

#[then(expr = "the userinfo endpoint answers the claims {string}")]
async fn userinfo_claims(w: &mut GateWorld, claims: String) -> anyhow::Result<()> {
    let doc = userinfo_doc(w).await?;
    for c in names(&claims) {
        check!(doc.contains_key(&c), "userinfo has no {c}: {doc:?}");
    }
    Ok(())
}

#[then(expr = "the userinfo endpoint does not answer the claims {string}")]
async fn userinfo_not_claims(w: &mut GateWorld, claims: String) -> anyhow::Result<()> {
    let doc = userinfo_doc(w).await?;
    for c in names(&claims) {
        check!(!doc.contains_key(&c), "userinfo has {c}: {doc:?}");
    }
    Ok(())
}

#[then("the userinfo endpoint answers no claim but sub")]
async fn userinfo_only_sub(w: &mut GateWorld) -> anyhow::Result<()> {
    let doc = userinfo_doc(w).await?;
    let keys: Vec<&String> = doc.keys().collect();
    check!(keys == ["sub"], "userinfo answers more than sub: {doc:?}");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// JWT access tokens

fn jwt_parts(token: &str) -> Option<(Map<String, Value>, Map<String, Value>)> {
    id_token::decode_unverified(token).ok()
}

async fn access_token_claims(w: &mut GateWorld) -> anyhow::Result<Map<String, Value>> {
    let token = last_access_token(w)?;
    let (_, claims) = jwt_parts(&token).context("the access token is not a JWT")?;
    Ok(claims)
}

#[then(expr = "the access token is a JWT signed with {string} by a key of the OP's JWKS")]
async fn access_token_jwt(w: &mut GateWorld, alg: String) -> anyhow::Result<()> {
    let token = last_access_token(w)?;
    let header = jsonwebtoken::decode_header(&token).context("the access token is not a JWS")?;
    check!(
        format!("{:?}", header.alg) == alg,
        "the access token is signed with {:?}, not {alg}",
        header.alg
    );
    let jwks = oidcc::jwks(w).await?;
    let key = header
        .kid
        .as_deref()
        .and_then(|kid| jwks.find(kid))
        .context("the access token's kid names no key of the OP's JWKS")?;
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    jsonwebtoken::decode::<Map<String, Value>>(
        &token,
        &jsonwebtoken::DecodingKey::from_jwk(key)?,
        &validation,
    )
    .context("the access token's signature does not verify with the OP's key")?;
    Ok(())
}

#[then("the access token is not a JWT")]
async fn access_token_opaque(w: &mut GateWorld) -> anyhow::Result<()> {
    let token = last_access_token(w)?;
    check!(
        jwt_parts(&token).is_none(),
        "the access token is a JWT: {token}"
    );
    Ok(())
}

#[then(expr = "the access token has the claims {string}")]
async fn access_token_has(w: &mut GateWorld, claims: String) -> anyhow::Result<()> {
    let doc = access_token_claims(w).await?;
    for c in names(&claims) {
        check!(doc.contains_key(&c), "the access token has no {c}: {doc:?}");
    }
    Ok(())
}

#[then(expr = "the access token's {word} is {string}")]
async fn access_token_claim_is(
    w: &mut GateWorld,
    claim: String,
    value: String,
) -> anyhow::Result<()> {
    let doc = access_token_claims(w).await?;
    check!(
        doc.get(&claim).and_then(Value::as_str) == Some(value.as_str()),
        "the access token's {claim} is {:?}, expected the string {value:?}",
        doc.get(&claim)
    );
    Ok(())
}

#[then("the access token's iss is the OP's issuer and its sub the ID token's")]
async fn access_token_iss_sub(w: &mut GateWorld) -> anyhow::Result<()> {
    let doc = access_token_claims(w).await?;
    let issuer = w.target()?.op.issuer.clone();
    check!(
        doc.get("iss").and_then(Value::as_str) == Some(issuer.as_str()),
        "the access token's iss is {:?}, not {issuer}",
        doc.get("iss")
    );
    let sub = last_id_token(w)?.str("sub").map(str::to_owned);
    check!(
        doc.get("sub").and_then(Value::as_str).map(str::to_owned) == sub,
        "the access token's sub is {:?}, the ID token's {sub:?}",
        doc.get("sub")
    );
    Ok(())
}

#[then("the access token's aud names the client")]
async fn access_token_aud(w: &mut GateWorld) -> anyhow::Result<()> {
    let doc = access_token_claims(w).await?;
    let client_id = flow(w)?.client.client_id.clone();
    let aud = doc.get("aud").cloned().unwrap_or(Value::Null);
    let ok = aud == client_id.as_str()
        || aud
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == client_id.as_str()));
    check!(ok, "the access token's aud {aud} does not name {client_id}");
    Ok(())
}

#[then(expr = "the access token expires {int} seconds after it was issued")]
async fn access_token_lifetime(w: &mut GateWorld, seconds: i64) -> anyhow::Result<()> {
    let doc = access_token_claims(w).await?;
    let exp = doc
        .get("exp")
        .and_then(Value::as_i64)
        .context("no integer exp")?;
    let iat = doc
        .get("iat")
        .and_then(Value::as_i64)
        .context("no integer iat")?;
    check!(
        exp - iat == seconds,
        "the access token lives {} seconds (iat {iat}, exp {exp}), expected {seconds}",
        exp - iat
    );
    Ok(())
}

#[then(expr = "the userinfo endpoint refuses an altered copy of the access token with {int}")]
async fn altered_access_token(w: &mut GateWorld, status: u16) -> anyhow::Result<()> {
    let token = last_access_token(w)?;
    let (head, sig) = token
        .rsplit_once('.')
        .context("the access token is not a JWT")?;
    let mut sig: Vec<char> = sig.chars().collect();
    if let Some(first) = sig.first_mut() {
        *first = if *first == 'A' { 'B' } else { 'A' };
    }
    let altered = format!("{head}.{}", sig.into_iter().collect::<String>());
    let resp = userinfo_call(w, &altered).await?;
    check!(
        resp.status == status,
        "userinfo answered {} for the altered token (expected {status}): {}",
        resp.status,
        resp.body
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Subjects

fn subs_of(w: &GateWorld, name: &str) -> anyhow::Result<Vec<String>> {
    let subs: Vec<String> = w
        .op_doc
        .flows
        .iter()
        .filter(|f| f.client.name == name)
        .filter_map(|f| f.id_token().and_then(|t| t.str("sub")).map(str::to_owned))
        .collect();
    check!(!subs.is_empty(), "the user has not signed in to {name}");
    Ok(subs)
}

fn sub_of(w: &GateWorld, name: &str) -> anyhow::Result<String> {
    subs_of(w, name)?
        .pop()
        .context("no ID token for that client")
}

#[then(expr = "the {string} and {string} clients see the same sub")]
async fn same_sub(w: &mut GateWorld, a: String, b: String) -> anyhow::Result<()> {
    let (sa, sb) = (sub_of(w, &a)?, sub_of(w, &b)?);
    check!(sa == sb, "{a} sees {sa:?}, {b} sees {sb:?}");
    Ok(())
}

#[then(expr = "the {string} and {string} clients see different subs")]
async fn different_subs(w: &mut GateWorld, a: String, b: String) -> anyhow::Result<()> {
    let (sa, sb) = (sub_of(w, &a)?, sub_of(w, &b)?);
    check!(sa != sb, "{a} and {b} both see {sa:?}");
    Ok(())
}

#[then(expr = "the {string} client sees the sub {string}")]
async fn sees_sub(w: &mut GateWorld, name: String, sub: String) -> anyhow::Result<()> {
    let got = sub_of(w, &name)?;
    check!(got == sub, "{name} sees the sub {got:?}, expected {sub:?}");
    Ok(())
}

#[then(expr = "the {string} client does not see the sub {string}")]
async fn not_sees_sub(w: &mut GateWorld, name: String, sub: String) -> anyhow::Result<()> {
    let got = sub_of(w, &name)?;
    check!(got != sub, "{name} sees the sub {sub:?}");
    Ok(())
}

#[then(expr = "every sign-in to the {string} client saw the same sub")]
async fn stable_sub(w: &mut GateWorld, name: String) -> anyhow::Result<()> {
    let subs = subs_of(w, &name)?;
    check!(subs.len() >= 2, "the user signed in to {name} only once");
    check!(
        subs.iter().all(|s| *s == subs[0]),
        "{name} saw different subs: {subs:?}"
    );
    Ok(())
}

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&sha2::Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = sha2::Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = sha2::Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner);
    outer.finalize().into()
}

fn algorithmic_sub(key: &str, sector: &str, user: &str, salt: &str) -> String {
    let message = format!("{sector}{user}{salt}");
    URL_SAFE_NO_PAD.encode(hmac_sha256(key.as_bytes(), message.as_bytes()))
}

#[then(
    expr = "the sub the {string} client sees is base64url\\(HMAC-SHA256\\({string}, {string} + {string} + {string}\\)\\)"
)]
async fn sub_is_algorithmic(
    w: &mut GateWorld,
    name: String,
    key: String,
    sector: String,
    user: String,
    salt: String,
) -> anyhow::Result<()> {
    let got = sub_of(w, &name)?;
    let want = algorithmic_sub(&key, &sector, &user, &salt);
    check!(
        got == want,
        "{name} sees {got:?}; the algorithmic pairwise sub is {want:?}"
    );
    Ok(())
}

#[then(
    expr = "the sub the {string} client sees is not base64url\\(HMAC-SHA256\\({string}, {string} + {string} + {string}\\)\\)"
)]
async fn sub_is_not_algorithmic(
    w: &mut GateWorld,
    name: String,
    key: String,
    sector: String,
    user: String,
    salt: String,
) -> anyhow::Result<()> {
    let got = sub_of(w, &name)?;
    let not = algorithmic_sub(&key, &sector, &user, &salt);
    check!(
        got != not,
        "{name} sees the algorithmic pairwise sub {got:?}"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Dynamic registration

#[given(expr = "the RP serves a sector identifier document listing {string}")]
async fn serves_sector(w: &mut GateWorld, uris: String) -> anyhow::Result<()> {
    let listed: Vec<String> = names(&uris);
    let body = serde_json::to_string(&listed)?;
    let path = format!("/sector/{}.json", oidcc::random(6));
    let url = oidcc::server(w)
        .await?
        .serve(&path, "application/json", body);
    w.op_doc.sector_uri = Some(url);
    Ok(())
}

async fn register(w: &mut GateWorld, name: &str, step: &Step) -> anyhow::Result<()> {
    let text = step.docstring.as_deref().unwrap_or("{}");
    let text = match &w.op_doc.sector_uri {
        Some(uri) => text.replace("(sector)", uri),
        None => text.to_owned(),
    };
    let extra: Value = serde_json::from_str(&text)
        .with_context(|| format!("the step's registration document is not JSON: {text}"))?;
    let mut body = serde_json::json!({
        "client_name": name,
        "redirect_uris": [format!("https://{name}.example.org/callback")],
    });
    if let (Some(obj), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        obj.extend(extra.clone());
    }
    let url = w
        .target()?
        .op
        .discovery
        .field("registration_endpoint")?
        .to_owned();
    let resp = w.http.post(&url).json(&body).send().await?;
    let resp = Response::read(format!("POST {url}"), resp).await?;
    if resp.status == 201 {
        let doc = resp.json()?;
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        w.op_doc.clients.push(DocClient {
            name: name.to_owned(),
            client_id: doc["client_id"].as_str().unwrap_or_default().to_owned(),
            client_secret: doc["client_secret"].as_str().map(str::to_owned),
            redirect_uris: strings(&doc["redirect_uris"]),
            registration: Some(doc),
        });
    }
    w.op_doc.registration = Some(resp);
    Ok(())
}

#[when(expr = "the RP registers the client {string} with:")]
async fn registers(w: &mut GateWorld, step: &Step, name: String) -> anyhow::Result<()> {
    register(w, &name, step).await
}

#[given(expr = "the RP registered the client {string} with:")]
async fn registered(w: &mut GateWorld, step: &Step, name: String) -> anyhow::Result<()> {
    register(w, &name, step).await?;
    registration_ok(w).await
}

fn registration(w: &GateWorld) -> anyhow::Result<&Response> {
    w.op_doc
        .registration
        .as_ref()
        .context("the RP has not registered a client")
}

#[then("the OP registers the client with a client_id and a client_secret")]
async fn registration_ok(w: &mut GateWorld) -> anyhow::Result<()> {
    let resp = registration(w)?;
    check!(
        resp.status == 201,
        "{} answered {} (expected 201): {}",
        resp.request,
        resp.status,
        resp.body
    );
    let doc = resp.json()?;
    for field in ["client_id", "client_secret"] {
        check!(
            doc[field].as_str().is_some_and(|s| !s.is_empty()),
            "the registration answered no {field}: {doc}"
        );
    }
    Ok(())
}

#[then(expr = "the registration is refused with {int} and {string}")]
async fn registration_refused(w: &mut GateWorld, status: u16, error: String) -> anyhow::Result<()> {
    let resp = registration(w)?;
    resp.expect_status(status)?;
    let doc = resp.json()?;
    check!(
        doc["error"] == error.as_str(),
        "the registration was refused with {}, expected {error}: {doc}",
        doc["error"]
    );
    Ok(())
}

#[then(expr = "the registration is refused with {int} and {string} naming {string}")]
async fn registration_refused_naming(
    w: &mut GateWorld,
    status: u16,
    error: String,
    named: String,
) -> anyhow::Result<()> {
    registration_refused(w, status, error).await?;
    let doc = registration(w)?.json()?;
    let description = doc["error_description"].as_str().unwrap_or_default();
    check!(
        description.contains(&named),
        "the refusal does not name {named:?}: {description:?}"
    );
    Ok(())
}

#[then(
    expr = "the registration's client_secret_expires_at is {int} seconds after its client_id_issued_at"
)]
async fn registration_expiry(w: &mut GateWorld, seconds: i64) -> anyhow::Result<()> {
    let doc = registration(w)?.json()?;
    let issued = doc["client_id_issued_at"]
        .as_i64()
        .context("the registration answered no client_id_issued_at")?;
    let expires = doc["client_secret_expires_at"]
        .as_i64()
        .context("the registration answered no client_secret_expires_at")?;
    check!(
        expires - issued == seconds,
        "client_secret_expires_at {expires} is {} seconds after client_id_issued_at {issued}",
        expires - issued
    );
    Ok(())
}

#[then(expr = "the registration's scope includes {string} but not {string}")]
async fn registration_scope(w: &mut GateWorld, has: String, lacks: String) -> anyhow::Result<()> {
    let doc = registration(w)?.json()?;
    let scopes = scopes_of(doc["scope"].as_str().unwrap_or_default());
    for s in scopes_of(&has) {
        check!(
            scopes.contains(&s),
            "the registered scope lacks {s}: {scopes:?}"
        );
    }
    for s in scopes_of(&lacks) {
        check!(
            !scopes.contains(&s),
            "the registered scope has {s}: {scopes:?}"
        );
    }
    Ok(())
}

#[when(expr = "the RP reads the {string} client's registration at its registration_client_uri")]
async fn reads_registration(w: &mut GateWorld, name: String) -> anyhow::Result<()> {
    let c = client(w, &name)?;
    let doc = c
        .registration
        .context("that client was not registered dynamically")?;
    let uri = doc["registration_client_uri"]
        .as_str()
        .context("the registration answered no registration_client_uri")?;
    let token = doc["registration_access_token"]
        .as_str()
        .context("the registration answered no registration_access_token")?;
    let resp = w.http.get(uri).bearer_auth(token).send().await?;
    w.op_doc.answer = Some(Response::read(format!("GET {uri}"), resp).await?);
    Ok(())
}

#[then(expr = "the OP answers {int} with the client's {string}")]
async fn answers_client_field(w: &mut GateWorld, status: u16, field: String) -> anyhow::Result<()> {
    let resp = w.op_doc.answer.as_ref().context("nothing was asked")?;
    resp.expect_status(status)?;
    check!(
        resp.json()?.get(&field).is_some(),
        "the answer has no {field}: {}",
        resp.body
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Discovery and WebFinger

#[then(
    expr = "the OP's discovery document is served at its issuer + {string} and names that issuer"
)]
async fn discovery_at_issuer(w: &mut GateWorld, path: String) -> anyhow::Result<()> {
    let issuer = w.target()?.op.issuer.clone();
    let url = format!("{}{path}", issuer.trim_end_matches('/'));
    let resp = w.http.get(&url).send().await?;
    let resp = Response::read(format!("GET {url}"), resp).await?;
    resp.expect_status(200)?;
    let ct = resp
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    check!(
        ct.starts_with("application/json"),
        "{url} is served as {ct:?}"
    );
    let doc = resp.json()?;
    check!(
        doc["issuer"] == issuer.as_str(),
        "the document names the issuer {}, not {issuer}",
        doc["issuer"]
    );
    Ok(())
}

#[then(expr = "the OP's discovery document names the endpoints {string} under the issuer's origin")]
async fn discovery_endpoints(w: &mut GateWorld, fields: String) -> anyhow::Result<()> {
    let issuer = url::Url::parse(&w.target()?.op.issuer).context("the issuer is not a URL")?;
    let origin = issuer.origin().ascii_serialization();
    let d = &w.target()?.op.discovery;
    for field in names(&fields) {
        let value = d.field(&field)?;
        let url =
            url::Url::parse(value).with_context(|| format!("{field} {value} is not a URL"))?;
        check!(
            url.origin().ascii_serialization() == origin,
            "{field} {value} is not on the issuer's origin {origin}"
        );
    }
    Ok(())
}

#[when(expr = "the RP asks WebFinger about {string} with the rel {string}")]
async fn webfinger(w: &mut GateWorld, resource: String, rel: String) -> anyhow::Result<()> {
    let issuer = url::Url::parse(&w.target()?.op.issuer).context("the issuer is not a URL")?;
    // OpenID Connect Discovery 1.0 §2: WebFinger at the host of the issuer.
    let mut url = issuer.join("/.well-known/webfinger")?;
    {
        let mut q = url.query_pairs_mut();
        if resource != "(none)" {
            q.append_pair("resource", &resource);
        }
        q.append_pair("rel", &rel);
    }
    let resp = w.http.get(url.as_str()).send().await?;
    w.op_doc.answer = Some(Response::read(format!("GET {url}"), resp).await?);
    Ok(())
}

fn webfinger_links(w: &GateWorld) -> anyhow::Result<(Value, Vec<Value>)> {
    let resp = w
        .op_doc
        .answer
        .as_ref()
        .context("WebFinger was not asked")?;
    resp.expect_status(200)?;
    let doc = resp.json()?;
    let links = doc["links"].as_array().cloned().unwrap_or_default();
    Ok((doc, links))
}

#[then(expr = "WebFinger names the OP's issuer for {string}")]
async fn webfinger_issuer(w: &mut GateWorld, resource: String) -> anyhow::Result<()> {
    let (doc, links) = webfinger_links(w)?;
    check!(
        doc["subject"] == resource.as_str(),
        "the JRD's subject is {}, not {resource}",
        doc["subject"]
    );
    let issuer = w.target()?.op.issuer.clone();
    check!(
        links
            .iter()
            .any(|l| l["rel"] == ISSUER_REL && l["href"] == issuer.as_str()),
        "no issuer link to {issuer}: {doc}"
    );
    Ok(())
}

#[then("WebFinger answers no issuer link")]
async fn webfinger_no_issuer(w: &mut GateWorld) -> anyhow::Result<()> {
    let (doc, links) = webfinger_links(w)?;
    check!(
        !links.iter().any(|l| l["rel"] == ISSUER_REL),
        "an issuer link for another rel: {doc}"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn settings_are_set_at_dotted_paths() {
        let mut doc = serde_json::json!({"pairwise": {"key": "k"}});
        set_path(&mut doc, "pairwise.id_type", Value::from("persistent")).unwrap();
        set_path(&mut doc, "dynamic_registration", Value::Bool(false)).unwrap();
        assert_eq!(
            doc,
            serde_json::json!({"pairwise": {"key": "k", "id_type": "persistent"}, "dynamic_registration": false})
        );
    }
}
