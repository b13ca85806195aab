//! The browser side of Kong's `openid-connect` code flow beyond the guide's happy path
//! (`features/kong/auth_code_flow.feature`, `features/kong/auth_code_sessions.feature`): what
//! `login_action: response` and `redirect` send the browser, an IdP error coming back on the
//! callback, a session refreshed or ended, a copy of the browser's cookies replayed by a caller
//! after logout, and a callback replayed with its original authorization cookie. Requests
//! through the gateway by a caller are `kong.rs`'s steps.
//!
//! What the gateway told the browser (its redirects' `Location`, its `Set-Cookie`s) is read from
//! the scenario's recorded exchanges, which the scripted browser and Chromium's recording proxy
//! write alike, so these steps run in both browsers (`gatecheck run --browser chromium`).

use base64::Engine;
use cucumber::{then, when};
use serde_json::Value;
use url::Url;

use super::check;
use super::kong::fill;
use crate::browser::record::{Exchange, Record};
use crate::browser::Body;
use crate::world::{GateWorld, Response};

/// Every HTTP exchange of the scenario so far, in the order they finished.
fn exchanges(w: &GateWorld) -> Vec<Exchange> {
    // The recorder hands its records over only by draining them: they are put back unchanged,
    // so the report still attaches each to the step it started in (by its time).
    let records = w.recorder.drain();
    let out = records
        .iter()
        .filter_map(|r| match r {
            Record::Exchange(e) => Some(e.clone()),
            Record::Screenshot(_) => None,
        })
        .collect();
    for r in records {
        w.recorder.push(r);
    }
    out
}

/// The browser's exchanges with the gateway (not a step's own calls), in order.
fn browser_with_gateway(w: &GateWorld) -> anyhow::Result<Vec<Exchange>> {
    let proxy = Url::parse(w.target()?.proxy_url()?)?;
    Ok(exchanges(w)
        .into_iter()
        .filter(|e| e.source != "http")
        .filter(|e| Url::parse(&e.url).is_ok_and(|u| u.origin() == proxy.origin()))
        .collect())
}

/// The values of response header `name` of `e`.
fn response_header<'a>(e: &'a Exchange, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    e.response_headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Whether a `Set-Cookie` value deletes its cookie: an empty value, or a `Max-Age` of zero or
/// less (RFC 6265 §5.2.2: the cookie expires at once).
fn deletes(set_cookie: &str) -> bool {
    let mut parts = set_cookie.split(';');
    let value = parts
        .next()
        .and_then(|p| p.split_once('='))
        .map(|(_, v)| v.trim())
        .unwrap_or_default();
    value.is_empty()
        || parts.any(|a| {
            a.trim()
                .split_once('=')
                .filter(|(k, _)| k.trim().eq_ignore_ascii_case("max-age"))
                .and_then(|(_, v)| v.trim().parse::<i64>().ok())
                .is_some_and(|age| age <= 0)
        })
}

/// The last `Set-Cookie` the gateway sent the browser for cookie `name`, if any.
fn last_set_cookie(w: &GateWorld, name: &str) -> anyhow::Result<Option<String>> {
    let prefix = format!("{name}=");
    Ok(browser_with_gateway(w)?
        .iter()
        .flat_map(|e| {
            response_header(e, "set-cookie")
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .rfind(|c| c.starts_with(&prefix)))
}

/// Whether `token` is a JWS in compact serialization (RFC 7515 §7.1): three base64url parts,
/// a JSON header naming its `alg` and a JSON object payload.
fn jwt_shaped(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    let decode = |p: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    };
    parts.len() == 3
        && parts.iter().all(|p| !p.is_empty())
        && decode(parts[0]).is_some_and(|h| h.get("alg").is_some_and(Value::is_string))
        && decode(parts[1]).is_some_and(|p| p.is_object())
}

/// The URL without its fragment (what a browser requests).
fn sent(url: &Url) -> Url {
    let mut u = url.clone();
    u.set_fragment(None);
    u
}

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

/// The scripted browser's jar is read; Chromium's cookies are not readable from here, so in
/// Chromium the cookie is judged by what the gateway told the browser: none was ever set, or
/// the last `Set-Cookie` for it deletes it (a cookie Chromium refused to store counts as held,
/// so this never passes for a cookie that might be there).
#[then(expr = "the browser has no cookie {string} for the gateway")]
async fn no_cookie(w: &mut GateWorld, name: String) -> anyhow::Result<()> {
    if w.browser()?.is_chromium() {
        let last = last_set_cookie(w, &name)?;
        check!(
            last.as_deref().is_none_or(deletes),
            "the gateway's last word on {name} to the browser sets it: {last:?}"
        );
        return Ok(());
    }
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
    check!(
        !w.browser()?.is_chromium(),
        "copying the browser's cookies reads the scripted browser's jar; Chromium's cannot be \
         read from here (run without --browser chromium)"
    );
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

// ---------------------------------------------------------------------------------------------
// login_action: redirect

/// The redirect the gateway answered the login with: the last one the browser got from the
/// gateway to `target` (a URL, or a path on the gateway).
fn login_redirect(w: &GateWorld, target: &str) -> anyhow::Result<Option<(Exchange, Url)>> {
    let proxy = w.target()?.proxy_url()?.to_owned();
    let target = if target.starts_with('/') {
        format!("{proxy}{target}")
    } else {
        target.to_owned()
    };
    let found = browser_with_gateway(w)?.into_iter().rev().find_map(|e| {
        let base = Url::parse(&e.url).ok()?;
        let location = response_header(&e, "location").next()?;
        let location = base.join(location).ok()?;
        location
            .as_str()
            .starts_with(&target)
            .then_some((e, location))
    });
    Ok(found)
}

#[then(
    expr = "the gateway sends the browser to {string} with the login tokens {string} in the {word}"
)]
async fn sent_with_tokens(
    w: &mut GateWorld,
    target: String,
    tokens: String,
    part: String,
) -> anyhow::Result<()> {
    let target = fill(w, &target)?;
    let Some((exchange, location)) = login_redirect(w, &target)? else {
        let seen: Vec<String> = browser_with_gateway(w)?
            .iter()
            .map(|e| {
                let location = response_header(e, "location").next().unwrap_or("-");
                format!("{} {} -> {:?} {location}", e.method, e.url, e.status)
            })
            .collect();
        anyhow::bail!(
            "the gateway never redirected the browser to {target}; the browser's requests to \
             the gateway: {}",
            seen.join("; ")
        );
    };
    check!(
        exchange.status == Some(302),
        "{} {} answered {:?} with Location {location}",
        exchange.method,
        exchange.url,
        exchange.status
    );
    let (carrier, other) = match part.as_str() {
        "fragment" => (location.fragment(), location.query()),
        "query" => (location.query(), location.fragment()),
        _ => anyhow::bail!("the tokens travel in the fragment or the query, not the {part}"),
    };
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(carrier.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let elsewhere: Vec<(String, String)> =
        url::form_urlencoded::parse(other.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    for name in tokens.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let value = pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        check!(
            value.is_some_and(jwt_shaped),
            "the {part} of {location} carries {name} = {value:?}, not a JWT"
        );
        check!(
            !elsewhere.iter().any(|(k, _)| k == name),
            "{name} is also outside the {part} of {location}"
        );
    }
    // And the browser went there (without the fragment, which never leaves a browser).
    let went = w
        .browser()?
        .history()
        .iter()
        .any(|h| sent(&h.url) == sent(&location));
    check!(
        went,
        "the browser did not follow the redirect to {location}"
    );
    Ok(())
}

#[then(expr = "the gateway did not send the browser to {string}")]
async fn not_sent_to(w: &mut GateWorld, target: String) -> anyhow::Result<()> {
    let target = fill(w, &target)?;
    let found = login_redirect(w, &target)?;
    check!(
        found.is_none(),
        "the gateway redirected the browser to {:?}",
        found.map(|(_, l)| l.to_string())
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Refresh

/// The httpbin echo on the browser's page (a 200).
fn page_echo(w: &mut GateWorld) -> anyhow::Result<Value> {
    let page = w.browser()?.page()?;
    check!(
        page.status == 200,
        "the browser is at {} with {}: {}",
        page.url,
        page.status,
        page.body.chars().take(300).collect::<String>()
    );
    Ok(page.json()?)
}

fn echoed_header(echo: &Value, name: &str) -> Option<String> {
    echo["headers"]
        .as_object()
        .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
        .and_then(|(_, v)| v.as_str())
        .map(str::to_owned)
}

#[when(expr = "the echoed header {string} on the browser's page is kept as {string}")]
async fn keep_page_header(w: &mut GateWorld, name: String, kept: String) -> anyhow::Result<()> {
    let echo = page_echo(w)?;
    let value = echoed_header(&echo, &name)
        .ok_or_else(|| anyhow::anyhow!("the upstream saw no {name}: {}", echo["headers"]))?;
    w.kong.kept.insert(kept, value);
    Ok(())
}

#[then(expr = "the browser's page echoes the header {string} other than {string}")]
async fn page_header_changed(
    w: &mut GateWorld,
    name: String,
    before: String,
) -> anyhow::Result<()> {
    let before = fill(w, &before)?;
    let echo = page_echo(w)?;
    let got = echoed_header(&echo, &name).unwrap_or_default();
    check!(
        !got.is_empty() && got != before,
        "the upstream saw {name}: {got:?}, the same as before"
    );
    Ok(())
}

/// RFC 7662 introspection of `token` by the `kong` client: whether the OP says it is active.
async fn active_at_op(w: &GateWorld, token: &str) -> anyhow::Result<bool> {
    let endpoint = w
        .target()?
        .op
        .discovery
        .field("introspection_endpoint")?
        .to_owned();
    let (id, secret) = (
        w.fill("${sites.kong.client_id}")?,
        w.fill("${sites.kong.client_secret}")?,
    );
    let r = w
        .http
        .post(&endpoint)
        .form(&[
            ("token", token),
            ("token_type_hint", "refresh_token"),
            ("client_id", &id),
            ("client_secret", &secret),
        ])
        .send()
        .await?;
    let r = Response::read(format!("POST {endpoint}"), r).await?;
    r.expect_status(200)?;
    Ok(r.json()?.get("active").and_then(Value::as_bool) == Some(true))
}

/// The refresh token the upstream saw (`upstream_refresh_token_header`) is revoked by its client
/// at the OP (RFC 7009), as an administrator ending the user's sessions there would; the OP's
/// introspection says it was active before and is not after.
#[when(expr = "the refresh token the upstream received in {string} is revoked at the OP")]
async fn revoke_refresh_token(w: &mut GateWorld, header: String) -> anyhow::Result<()> {
    let echo = page_echo(w)?;
    let token = echoed_header(&echo, &header)
        .ok_or_else(|| anyhow::anyhow!("the upstream saw no {header}: {}", echo["headers"]))?;
    check!(
        active_at_op(w, &token).await?,
        "the OP does not know the refresh token the upstream received as active"
    );
    let endpoint = w
        .target()?
        .op
        .discovery
        .field("revocation_endpoint")?
        .to_owned();
    let (id, secret) = (
        w.fill("${sites.kong.client_id}")?,
        w.fill("${sites.kong.client_secret}")?,
    );
    let r = w
        .http
        .post(&endpoint)
        .form(&[
            ("token", token.as_str()),
            ("token_type_hint", "refresh_token"),
            ("client_id", &id),
            ("client_secret", &secret),
        ])
        .send()
        .await?;
    let r = Response::read(format!("POST {endpoint}"), r).await?;
    r.expect_status(200)?;
    check!(
        !active_at_op(w, &token).await?,
        "the OP still says the revoked refresh token is active"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// A replayed callback

/// The callback the browser brought back from the OP (`code` and `state` in the query) is sent
/// again by a caller with the authorization cookie `name` the gateway gave the browser when it
/// sent it to the OP (the last one set before that callback).
#[when(expr = "the caller replays the browser's callback with its original {string} cookie")]
async fn replay_callback(w: &mut GateWorld, name: String) -> anyhow::Result<()> {
    let seen = browser_with_gateway(w)?;
    let has = |u: &Url, k: &str| u.query_pairs().any(|(n, v)| n == k && !v.is_empty());
    let (at, callback) = seen
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, e)| {
            let u = Url::parse(&e.url).ok()?;
            (has(&u, "code") && has(&u, "state")).then_some((i, u))
        })
        .ok_or_else(|| {
            anyhow::anyhow!("the browser never came back with code and state in the query")
        })?;
    let prefix = format!("{name}=");
    let cookie = seen[..at]
        .iter()
        .flat_map(|e| {
            response_header(e, "set-cookie")
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .rfind(|c| c.starts_with(&prefix) && !deletes(c))
        .and_then(|c| c.split(';').next().map(str::to_owned))
        .ok_or_else(|| anyhow::anyhow!("the gateway never gave the browser a {name} cookie"))?;
    let r = w
        .http
        .get(callback.as_str())
        .header("cookie", &cookie)
        .header("accept", crate::browser::BROWSER_ACCEPT)
        .send()
        .await?;
    let path = &callback[url::Position::BeforePath..];
    w.response = Some(Response::read(format!("GET {path} --cookie {name}"), r).await?);
    Ok(())
}

#[then(expr = "the gateway's answer sets no cookie {string}")]
async fn sets_no_cookie(w: &mut GateWorld, name: String) -> anyhow::Result<()> {
    let r = w
        .response
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("nothing was sent through the gateway yet"))?;
    let prefix = format!("{name}=");
    let set: Vec<&str> = r
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|c| c.starts_with(&prefix) && !deletes(c))
        .collect();
    check!(set.is_empty(), "{} set {name}: {set:?}", r.request);
    Ok(())
}

/// The gateway's last redirect of the browser to the OP's authorization endpoint deletes cookie
/// `name` (the OP may log the user straight back in, so the browser's jar afterwards says
/// nothing about that redirect).
#[then(expr = "the gateway deletes the cookie {string} as it sends the browser to the OP")]
async fn deleted_on_the_way_to_op(w: &mut GateWorld, name: String) -> anyhow::Result<()> {
    let authorize = w
        .target()?
        .op
        .discovery
        .authorization_endpoint()?
        .to_owned();
    let redirect = browser_with_gateway(w)?
        .into_iter()
        .rev()
        .find(|e| response_header(e, "location").any(|l| l.starts_with(&authorize)))
        .ok_or_else(|| anyhow::anyhow!("the gateway never sent the browser to {authorize}"))?;
    let prefix = format!("{name}=");
    let cookies: Vec<&str> = response_header(&redirect, "set-cookie")
        .filter(|c| c.starts_with(&prefix))
        .collect();
    check!(
        !cookies.is_empty() && cookies.iter().all(|c| deletes(c)),
        "{} {} sent the browser to the OP with the {name} cookies {cookies:?}",
        redirect.method,
        redirect.url
    );
    Ok(())
}
