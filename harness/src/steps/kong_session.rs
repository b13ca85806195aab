//! The browser side of Kong's `openid-connect` code flow beyond the guide's happy path
//! (`features/kong/auth_code_flow.feature`): what `login_action: response` answers, an IdP
//! error coming back on the callback, and a copy of the browser's cookies replayed by a caller
//! after logout. Requests through the gateway by a caller are `kong.rs`'s steps.

use cucumber::{then, when};
use serde_json::Value;

use super::check;
use crate::browser::Body;
use crate::world::GateWorld;

/// The `state` the gateway sent the browser to the OP with (the last redirect to the OP).
fn state_sent(w: &mut GateWorld) -> anyhow::Result<String> {
    let authorize = w
        .target()?
        .op
        .discovery
        .authorization_endpoint()?
        .to_owned();
    let b = w.browser()?;
    b.history()
        .iter()
        .rev()
        .filter_map(|h| h.location.as_ref())
        .find(|l| l.as_str().starts_with(&authorize))
        .and_then(|l| {
            l.query_pairs()
                .find(|(k, _)| k == "state")
                .map(|(_, v)| v.into_owned())
        })
        .ok_or_else(|| anyhow::anyhow!("the browser was never sent to the OP with a state"))
}

/// The OP's error response (RFC 6749 §4.1.2.1) as it reaches the callback: the browser opens
/// the redirect URI with the error and the state it left with, its authorization cookie sent.
#[when(expr = "the browser comes back from the OP to {string} with {string}")]
async fn comes_back_with(w: &mut GateWorld, path: String, args: String) -> anyhow::Result<()> {
    let state = state_sent(w)?;
    let url = format!(
        "{}{path}?{args}&state={}",
        w.target()?.proxy_url()?,
        url::form_urlencoded::byte_serialize(state.as_bytes()).collect::<String>()
    );
    w.browser()?.open(&url).await?;
    Ok(())
}

#[then(expr = "the browser's page is JSON with {string} starting with {string}")]
async fn page_json_field(w: &mut GateWorld, field: String, prefix: String) -> anyhow::Result<()> {
    let page = w.browser()?.page()?;
    check!(
        page.status == 200,
        "the browser is at {} with {}: {}",
        page.url,
        page.status,
        page.body
    );
    let json = page.json()?;
    let got = json.get(&field).and_then(Value::as_str).unwrap_or_default();
    check!(
        got.starts_with(&prefix) && got.len() > prefix.len(),
        "{field} is {got:?} in {}",
        page.body
    );
    Ok(())
}

#[then(expr = "the browser has no cookie {string} for the gateway")]
async fn no_cookie(w: &mut GateWorld, name: String) -> anyhow::Result<()> {
    let url = url::Url::parse(w.target()?.proxy_url()?)?;
    let cookies = w.browser()?.cookies_for(&url).unwrap_or_default();
    let has = cookies
        .split(';')
        .any(|c| c.trim().starts_with(&format!("{name}=")));
    check!(!has, "the browser holds {name} for the gateway: {cookies}");
    Ok(())
}

/// A copy of the browser's cookies for the gateway, kept as a curl cookie jar (what an
/// attacker who stole them, or a second tab, would send).
#[when(expr = "the caller copies the browser's cookies for the gateway as {string}")]
async fn copy_cookies(w: &mut GateWorld, jar: String) -> anyhow::Result<()> {
    let url = url::Url::parse(w.target()?.proxy_url()?)?;
    let cookies = w.browser()?.cookies_for(&url).unwrap_or_default();
    let pairs: Vec<(String, String)> = cookies
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    check!(
        !pairs.is_empty(),
        "the browser holds no cookie for the gateway"
    );
    w.kong.jars.insert(jar, pairs);
    Ok(())
}

#[when(expr = "the browser posts to {string} through the gateway")]
async fn post(w: &mut GateWorld, path: String) -> anyhow::Result<()> {
    let url = format!("{}{path}", w.target()?.proxy_url()?);
    w.browser()?
        .request("POST", &url, &[], Some(Body::Form(Vec::new())))
        .await?;
    Ok(())
}
