//! The certification RP's logout steps (`features/oidcc/{rp_initiated_logout, frontchannel_logout,
//! backchannel_logout, session_management}.feature`): RP-Initiated Logout 1.0 requests to the
//! `end_session_endpoint`, the front-channel iframes and back-channel logout tokens the RP's
//! callback server receives ([`crate::rp::callback`], checked by [`crate::rp::logout_token`]),
//! and OpenID Connect Session Management's `session_state` and `check_session_iframe`.
//!
//! End-session parameters are written `name=value&...`; computed values: `(ID token)` (the last
//! flow's ID token), `(modified ID token)` (its claims re-encoded with `alg: none` and no
//! signature, as the suite's modified-hint module does), `(ID token signed by the RP)` (its
//! claims signed with the RP's own key, as the bad-hint module does), `(state)` (a fresh random
//! state, remembered), `(client_id)`, and `(rp)` (the callback server's base URL) inside values.
//!
//! The check-session iframe is judged by running the OP's own page script in Node.js (inline
//! scripts of the `check_session_iframe` page, the browser's cookies for it as
//! `document.cookie`, a `postMessage` from the RP's origin), so nothing here knows how an OP
//! computes `session_state`. Without `node` the step is skipped with a message naming it.

use std::time::Duration;

use anyhow::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cucumber::{then, when};
use serde_json::{json, Value};

use super::check;
use super::oidcc::{self, flow};
use crate::rp::callback::{Received, BACKCHANNEL_LOGOUT_PATH};
use crate::rp::logout_token;
use crate::target::OpProduct;
use crate::world::GateWorld;

/// The suite's RP paths on the callback server.
const POST_LOGOUT_PATH: &str = "/post_logout_redirect";
const FRONTCHANNEL_PATH: &str = "/frontchannel_logout";

/// How long the RP waits for a logout token an OP sends on its own.
const BACKCHANNEL_WAIT: Duration = Duration::from_secs(10);

/// The logout request of a scenario and where the browser and the RP's server were before it.
#[derive(Debug, Default)]
pub struct LogoutState {
    state: Option<String>,
    history_mark: usize,
    callback_mark: usize,
    session_state: Option<String>,
}

fn id_token_raw(w: &GateWorld) -> anyhow::Result<(String, serde_json::Map<String, Value>)> {
    let f = flow(w, 0)?;
    let token = f
        .token_id_token
        .as_ref()
        .or(f.auth_id_token.as_ref())
        .context("the RP has no ID token yet")?;
    Ok((token.raw.clone(), token.claims.clone()))
}

fn client_id(w: &GateWorld) -> anyhow::Result<String> {
    Ok(oidcc::client(w, 0)?.client_id.clone())
}

/// `alg: none` and no signature over the same claims.
fn modified(raw: &str) -> anyhow::Result<String> {
    let claims = raw.split('.').nth(1).context("not a JWT")?;
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT"}).to_string());
    Ok(format!("{header}.{claims}."))
}

fn base(w: &GateWorld) -> anyhow::Result<String> {
    Ok(w.oidcc
        .server
        .as_ref()
        .context("the RP's callback server is not running")?
        .base()
        .to_owned())
}

#[then(expr = "the OP's discovery document names its {string}")]
async fn discovery_names(w: &mut GateWorld, field: String) -> anyhow::Result<()> {
    let url = w.target()?.op.discovery.field(&field)?.to_owned();
    url::Url::parse(&url).with_context(|| format!("discovery's {field} {url:?} is not a URL"))?;
    check!(
        oidcc::secure(&url),
        "discovery's {field} {url} is not https (CheckDiscEndpointAllEndpointsAreHttps)"
    );
    Ok(())
}

#[when(expr = "the RP sends the user to the end_session_endpoint with {string}")]
async fn end_session(w: &mut GateWorld, params: String) -> anyhow::Result<()> {
    oidcc::server(w).await?;
    let rp = base(w)?;
    let endpoint = w
        .target()?
        .op
        .discovery
        .field("end_session_endpoint")?
        .to_owned();
    let mut url = url::Url::parse(&endpoint).context("end_session_endpoint is not a URL")?;
    let mut state = None;
    let mut pairs = Vec::new();
    for part in params.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let value = match v {
            "(ID token)" => id_token_raw(w)?.0,
            "(modified ID token)" => modified(&id_token_raw(w)?.0)?,
            "(ID token signed by the RP)" => {
                crate::rp::signing::sign_request_object(&Value::Object(id_token_raw(w)?.1))?
            }
            "(state)" => {
                let s = oidcc::random(12);
                state = Some(s.clone());
                s
            }
            "(client_id)" => client_id(w)?,
            other => other.replace("(rp)", &rp),
        };
        pairs.push((k.to_owned(), value));
    }
    url.query_pairs_mut().extend_pairs(&pairs);
    w.oidcc.logout.state = state;
    w.oidcc.logout.history_mark = w.browser()?.history().len();
    w.oidcc.logout.callback_mark = w.oidcc.server.as_ref().map_or(0, |s| s.count());
    w.browser()?.open(url.as_str()).await?;
    Ok(())
}

#[when("the user confirms the logout if the OP asks")]
async fn confirms(w: &mut GateWorld) -> anyhow::Result<()> {
    let page = w.browser()?.page()?;
    let gatecheck = w.target()?.op.product == OpProduct::Gatecheck;
    let form = if gatecheck {
        page.has("form#logoutForm")?.then_some("logoutForm")
    } else {
        None
    };
    match form {
        Some(id) => {
            w.browser()?.submit(Some(id), &[], None).await?;
        }
        // Another OP's confirmation: its one form, submitted as a person clicks its button.
        None if !gatecheck && page.forms()?.len() == 1 => {
            w.browser()?.submit(None, &[], None).await?;
        }
        None => {}
    }
    Ok(())
}

#[when("the browser loads the logged-out page's iframes and goes on as the page's script does")]
async fn loads_frames(w: &mut GateWorld) -> anyhow::Result<()> {
    let browser = w.browser()?;
    if browser.is_chromium() {
        // Chromium ran the page: iframes loaded and the script navigated on its own.
        return Ok(());
    }
    browser.load_frames().await?;
    // The page's script goes on to the post_logout_redirect_uri once the frames loaded; the
    // scripted browser follows the page's link there instead.
    let rp = base(w)?;
    let target = format!("{rp}{POST_LOGOUT_PATH}");
    let page = w.browser()?.page()?;
    let link = page
        .html()
        .select(&scraper::Selector::parse("a[href]").map_err(|e| anyhow::anyhow!("{e:?}"))?)
        .filter_map(|a| a.value().attr("href"))
        .find(|h| h.starts_with(&target))
        .map(str::to_owned);
    if let Some(link) = link {
        w.browser()?.open(&link).await?;
    }
    Ok(())
}

fn received_since(w: &GateWorld, path: &str) -> Vec<Received> {
    let mark = w.oidcc.logout.callback_mark;
    w.oidcc
        .server
        .as_ref()
        .map(|s| s.since(mark))
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.uri.split('?').next() == Some(path))
        .collect()
}

fn query_of(r: &Received) -> Vec<(String, String)> {
    let query = r.uri.split_once('?').map(|(_, q)| q).unwrap_or_default();
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn post_logout_arrival(w: &GateWorld) -> anyhow::Result<Received> {
    received_since(w, POST_LOGOUT_PATH)
        .into_iter()
        .next()
        .with_context(|| {
            let page = w
                .browser
                .as_ref()
                .and_then(|b| b.page().ok())
                .map(|p| {
                    let text: String = p.text().chars().take(200).collect();
                    format!("{} {}: {text}", p.status, p.url)
                })
                .unwrap_or_default();
            format!("the OP did not send the user to the post_logout_redirect_uri; the browser is at {page}")
        })
}

#[then("the OP sends the user to the post_logout_redirect_uri with the state")]
async fn redirected_with_state(w: &mut GateWorld) -> anyhow::Result<()> {
    let r = post_logout_arrival(w)?;
    let state: Vec<String> = query_of(&r)
        .into_iter()
        .filter(|(k, _)| k == "state")
        .map(|(_, v)| v)
        .collect();
    let sent = w.oidcc.logout.state.clone().context("no state was sent")?;
    check!(
        state == [sent.clone()],
        "the post-logout redirect carried state {state:?}, sent {sent:?} (CheckPostLogoutState)"
    );
    Ok(())
}

#[then("the OP sends the user to the post_logout_redirect_uri without a state")]
async fn redirected_without_state(w: &mut GateWorld) -> anyhow::Result<()> {
    let r = post_logout_arrival(w)?;
    check!(
        !query_of(&r).iter().any(|(k, _)| k == "state"),
        "the post-logout redirect carries a state none was sent: {}",
        r.uri
    );
    Ok(())
}

#[then("the OP does not send the user to the post_logout_redirect_uri")]
async fn not_redirected(w: &mut GateWorld) -> anyhow::Result<()> {
    let arrivals = received_since(w, POST_LOGOUT_PATH);
    check!(
        arrivals.is_empty(),
        "the OP sent the user to the post_logout_redirect_uri: {}",
        arrivals[0].uri
    );
    let rp = base(w)?;
    let hops = w.browser()?.history();
    let redirected = hops
        .get(w.oidcc.logout.history_mark..)
        .unwrap_or_default()
        .iter()
        .filter_map(|h| h.location.as_ref())
        .any(|l| l.as_str().starts_with(&rp));
    check!(!redirected, "the OP redirected the browser to the RP");
    // An error page or a logout confirmation, at the OP.
    let page = w.browser()?.page()?;
    let op_origin = w.target()?.op.discovery.pages_origin()?;
    check!(
        page.url.origin().ascii_serialization() == op_origin,
        "the browser left the OP for {}",
        page.url
    );
    Ok(())
}

#[then("the OP loads the RP's frontchannel_logout_uri with its iss and the ID token's sid")]
async fn frontchannel_loaded(w: &mut GateWorld) -> anyhow::Result<()> {
    let (_, claims) = id_token_raw(w)?;
    let sid = claims
        .get("sid")
        .and_then(Value::as_str)
        .context("the ID token has no sid (Front-Channel Logout 1.0 §3)")?
        .to_owned();
    let issuer = w.target()?.op.issuer.clone();
    let loads = received_since(w, FRONTCHANNEL_PATH);
    let load = loads
        .iter()
        .find(|r| r.method == "GET")
        .context("the browser never loaded the RP's frontchannel_logout_uri")?;
    let q = query_of(load);
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    check!(
        get("iss") == Some(issuer.as_str()),
        "the frontchannel_logout_uri was loaded with iss {:?}, not {issuer:?}",
        get("iss")
    );
    check!(
        get("sid") == Some(sid.as_str()),
        "the frontchannel_logout_uri was loaded with sid {:?}, not the ID token's {sid:?}",
        get("sid")
    );
    Ok(())
}

#[then("the RP receives a valid logout token at its backchannel_logout_uri")]
async fn backchannel_received(w: &mut GateWorld) -> anyhow::Result<()> {
    let mark = w.oidcc.logout.callback_mark;
    let server = w.oidcc.server.as_ref().context("no callback server")?;
    let request = server
        .wait_for(mark, BACKCHANNEL_WAIT, |r| {
            r.uri.split('?').next() == Some(BACKCHANNEL_LOGOUT_PATH)
        })
        .await
        .with_context(|| {
            format!(
                "no logout token reached {BACKCHANNEL_LOGOUT_PATH} within {} s",
                BACKCHANNEL_WAIT.as_secs()
            )
        })?;
    let jwks = oidcc::jwks(w).await?;
    let (_, claims) = id_token_raw(w)?;
    let issuer = w.target()?.op.issuer.clone();
    let client = client_id(w)?;
    let now = oidcc::now() + w.stack().map(|s| s.op_clock.offset()).unwrap_or(0);
    let expected = logout_token::Expected {
        issuer: &issuer,
        client_id: &client,
        sub: claims.get("sub").and_then(Value::as_str),
        sid: claims.get("sid").and_then(Value::as_str),
        now,
    };
    let (_, notes) = logout_token::check_request(&request, &jwks, &expected)?;
    for note in notes {
        // The suite's WARNING, not a failure.
        println!("warning: {note}");
    }
    Ok(())
}

#[then("the authorization response has a session_state")]
async fn has_session_state(w: &mut GateWorld) -> anyhow::Result<()> {
    let r = oidcc::response(w)?;
    let s = r
        .get("session_state")
        .context("the authorization response has no session_state (Session Management 1.0 §3)")?;
    w.oidcc.logout.session_state = Some(s.to_owned());
    Ok(())
}

#[then(expr = "the OP's check_session_iframe answers {string} for the session_state")]
async fn iframe_answers(w: &mut GateWorld, want: String) -> anyhow::Result<()> {
    let session_state = w
        .oidcc
        .logout
        .session_state
        .clone()
        .context("no session_state was received")?;
    let iframe = w
        .target()?
        .op
        .discovery
        .field("check_session_iframe")?
        .to_owned();
    let browser = w.browser()?;
    check!(
        !browser.is_chromium(),
        "the check_session_iframe step uses the scripted browser's cookies; run it without --browser chromium"
    );
    let page = browser.http().get(&iframe).send().await?;
    check!(
        page.status().is_success(),
        "GET {iframe} answered {}",
        page.status()
    );
    let html = page.text().await?;
    let doc = scraper::Html::parse_document(&html);
    let selector = scraper::Selector::parse("script").map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let scripts: Vec<String> = doc
        .select(&selector)
        .filter(|s| s.value().attr("src").is_none())
        .map(|s| s.text().collect())
        .collect();
    check!(
        !scripts.is_empty(),
        "the check_session_iframe page has no inline script to run"
    );
    let cookies = browser
        .cookies_for(&url::Url::parse(&iframe)?)
        .unwrap_or_default();
    let rp_origin = url::Url::parse(&base(w)?)?.origin().ascii_serialization();
    let message = format!("{} {session_state}", client_id(w)?);
    let Some(answer) = run_iframe(&scripts.join("\n;\n"), &cookies, &message, &rp_origin)? else {
        return Ok(());
    };
    check!(
        answer == want,
        "the check_session_iframe answered {answer:?}, expected {want:?}"
    );
    Ok(())
}

/// Runs the OP iframe's `script` in Node.js with `document.cookie` = `cookies`, posts it
/// `message` from `origin` and returns its answer; `None` (with a printed reason) when `node`
/// is not installed.
fn run_iframe(
    script: &str,
    cookies: &str,
    message: &str,
    origin: &str,
) -> anyhow::Result<Option<String>> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let program = format!(
        r#"
const listeners = [];
globalThis.window = globalThis;
globalThis.addEventListener = (type, f) => {{ if (type === "message") listeners.push(f); }};
Object.defineProperty(globalThis, "onmessage", {{ set: (f) => listeners.push(f) }});
globalThis.document = {{ cookie: {cookies} }};
globalThis.parent = globalThis;
{script}
const answer = new Promise((resolve) => {{
  const source = {{ postMessage: (m, target) => {{ if (target === {origin} || target === "*") resolve(m); }} }};
  for (const f of listeners) f({{ data: {message}, origin: {origin}, source }});
}});
const timer = setTimeout(() => {{ console.log(JSON.stringify(null)); process.exit(0); }}, 5000);
answer.then((m) => {{ clearTimeout(timer); console.log(JSON.stringify(m)); }});
"#,
        cookies = Value::from(cookies),
        message = Value::from(message),
        origin = Value::from(origin),
    );
    let mut child = match Command::new("node")
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            println!("skipped: node (Node.js) is not installed ({e}); the check_session_iframe's script needs a JavaScript engine");
            return Ok(None);
        }
    };
    child
        .stdin
        .take()
        .context("node's stdin")?
        .write_all(program.as_bytes())?;
    let out = child.wait_with_output()?;
    check!(
        out.status.success(),
        "the check_session_iframe script failed in node: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: Value = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("node printed {:?}", String::from_utf8_lossy(&out.stdout)))?;
    match answer {
        Value::String(s) => Ok(Some(s)),
        _ => anyhow::bail!("the check_session_iframe did not answer the RP's postMessage"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_modified_hint_keeps_the_claims_and_drops_the_signature() {
        let raw = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln";
        let m = modified(raw).unwrap();
        let parts: Vec<&str> = m.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[1], "eyJzdWIiOiJ1In0");
        assert_eq!(parts[2], "");
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "none");
    }

    #[test]
    fn an_iframe_script_is_run_with_the_cookies_and_the_rps_origin() {
        let script = r#"window.addEventListener("message", function (e) {
            e.source.postMessage(document.cookie + "|" + e.data + "|" + e.origin, e.origin);
        });"#;
        match run_iframe(script, "opbs=1", "rp s.1", "http://127.0.0.1:9").unwrap() {
            Some(answer) => assert_eq!(answer, "opbs=1|rp s.1|http://127.0.0.1:9"),
            None => println!("skipped: node missing"),
        }
        let node = std::process::Command::new("node").arg("--version").output();
        if node.is_ok() {
            let silent = run_iframe("/* never answers */", "", "m", "http://rp");
            assert!(silent.is_err(), "a script that never answers is an error");
        }
    }
}
