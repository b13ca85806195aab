//! Kong's OpenID Connect guides (`docs/kong-guides.md`) as a reader follows them with curl:
//! requests to the proxy with `-u user:pass`, a header, a query or a cookie jar, values taken
//! from the httpbin echo (`jq '.headers.Authorization'`) and sent again, consumers added through
//! the Admin API. Plugins are added with the admin steps (`the administrator adds the plugin ...`).
//!
//! Kept values are written `${NAME}` in later steps (e.g. `access_token=${TOKEN}`), as the guides
//! `export TOKEN=...` and write `$TOKEN`.

use std::collections::HashMap;

use base64::Engine;
use cucumber::{then, when};
use serde_json::Value;

use super::check;
use crate::world::{GateWorld, Response};

/// What a guide's shell keeps between requests.
#[derive(Debug, Default)]
pub struct KongState {
    /// `export NAME=value`.
    pub kept: HashMap<String, String>,
    /// curl's `--cookie-jar NAME`: cookie name → value.
    pub jars: HashMap<String, Vec<(String, String)>>,
}

/// The placeholder for the issuer's host: openid-connect's challenge realm
/// (`docs/kong.md#failure-responses`), whatever OP the target runs.
const ISSUER_HOST: &str = "${op.issuer_host}";

/// Fills the kept values and `${op.issuer_host}`, then the target's placeholders.
pub(super) fn fill(w: &GateWorld, text: &str) -> anyhow::Result<String> {
    let mut out = text.to_owned();
    for (name, value) in &w.kong.kept {
        out = out.replace(&format!("${{{name}}}"), value);
    }
    if out.contains(ISSUER_HOST) {
        let issuer = w.fill("${op.issuer}")?;
        let host = url::Url::parse(&issuer)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .ok_or_else(|| anyhow::anyhow!("the issuer {issuer} has no host"))?;
        out = out.replace(ISSUER_HOST, &host);
    }
    w.fill(&out)
}

/// How a request carries its credential.
enum Credential {
    None,
    Basic(String),
    Header(String, String),
    /// Basic credentials and one more header (a client's forged copy of a gateway header).
    BasicAnd(String, String, String),
    Jar(String),
}

async fn send(
    w: &mut GateWorld,
    method: &str,
    path: &str,
    credential: Credential,
    keep_jar: Option<&str>,
) -> anyhow::Result<()> {
    let path = fill(w, path)?;
    let url = format!("{}{}", w.target()?.proxy_url()?, path);
    let method = reqwest::Method::from_bytes(method.as_bytes())?;
    let mut req = w.http.request(method.clone(), &url);
    let mut shown = format!("{method} {path}");
    match credential {
        Credential::None => {}
        Credential::Basic(pair) => {
            let pair = fill(w, &pair)?;
            let encoded = base64::engine::general_purpose::STANDARD.encode(&pair);
            req = req.header("authorization", format!("Basic {encoded}"));
            shown.push_str(&format!(" -u {pair}"));
        }
        Credential::Header(name, value) => {
            let value = fill(w, &value)?;
            shown.push_str(&format!(" -H '{name}: {value}'"));
            req = req.header(name.as_str(), value);
        }
        Credential::BasicAnd(pair, name, value) => {
            let pair = fill(w, &pair)?;
            let value = fill(w, &value)?;
            let encoded = base64::engine::general_purpose::STANDARD.encode(&pair);
            req = req
                .header("authorization", format!("Basic {encoded}"))
                .header(name.as_str(), value.as_str());
            shown.push_str(&format!(" -u {pair} -H '{name}: {value}'"));
        }
        Credential::Jar(jar) => {
            let cookies = w
                .kong
                .jars
                .get(&jar)
                .ok_or_else(|| anyhow::anyhow!("no cookie jar {jar:?} was kept"))?;
            let header = cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req = req.header("cookie", header);
            shown.push_str(&format!(" --cookie {jar}"));
        }
    }
    let resp = req.send().await?;
    let response = Response::read(shown, resp).await?;
    if let Some(jar) = keep_jar {
        let mut cookies = Vec::new();
        for v in response.headers.get_all("set-cookie") {
            let text = v.to_str().unwrap_or("");
            // `name=value; attributes`: what curl's cookie jar keeps.
            let pair = text.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                cookies.push((name.trim().to_owned(), value.trim().to_owned()));
            }
        }
        w.kong.jars.insert(jar.to_owned(), cookies);
    }
    w.response = Some(response);
    Ok(())
}

#[when(expr = "the caller sends {word} {string}")]
async fn plain(w: &mut GateWorld, method: String, path: String) -> anyhow::Result<()> {
    send(w, &method, &path, Credential::None, None).await
}

#[when(expr = "the caller sends {word} {string} with the basic credentials {string}")]
async fn basic(
    w: &mut GateWorld,
    method: String,
    path: String,
    pair: String,
) -> anyhow::Result<()> {
    send(w, &method, &path, Credential::Basic(pair), None).await
}

#[when(
    expr = "the caller sends {word} {string} with the basic credentials {string} keeping the cookies as {string}"
)]
async fn basic_jar(
    w: &mut GateWorld,
    method: String,
    path: String,
    pair: String,
    jar: String,
) -> anyhow::Result<()> {
    send(w, &method, &path, Credential::Basic(pair), Some(&jar)).await
}

#[when(expr = "the caller sends {word} {string} with the cookies {string}")]
async fn with_jar(
    w: &mut GateWorld,
    method: String,
    path: String,
    jar: String,
) -> anyhow::Result<()> {
    send(w, &method, &path, Credential::Jar(jar), None).await
}

#[when(expr = "the caller sends {word} {string} with the header {string} set to {string}")]
async fn with_header(
    w: &mut GateWorld,
    method: String,
    path: String,
    name: String,
    value: String,
) -> anyhow::Result<()> {
    send(w, &method, &path, Credential::Header(name, value), None).await
}

#[when(
    expr = "the caller sends {word} {string} with the basic credentials {string} and the header {string} set to {string}"
)]
async fn basic_and_header(
    w: &mut GateWorld,
    method: String,
    path: String,
    pair: String,
    name: String,
    value: String,
) -> anyhow::Result<()> {
    send(
        w,
        &method,
        &path,
        Credential::BasicAnd(pair, name, value),
        None,
    )
    .await
}

/// The httpbin echo's `headers` object of the last answer (which must be 200).
fn echoed(w: &GateWorld) -> anyhow::Result<serde_json::Map<String, Value>> {
    let r = w
        .response
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("nothing was sent through the gateway yet"))?;
    r.expect_status(200)?;
    r.json()?
        .get("headers")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("not an httpbin answer: {}", r.body))
}

fn echoed_header(w: &GateWorld, name: &str) -> anyhow::Result<Option<String>> {
    Ok(echoed(w)?
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_owned))
}

#[when(expr = "the caller keeps the echoed header {string} as {string}")]
async fn keep(w: &mut GateWorld, header: String, name: String) -> anyhow::Result<()> {
    let value = echoed_header(w, &header)?
        .ok_or_else(|| anyhow::anyhow!("the echo shows no {header} header"))?;
    w.kong.kept.insert(name, value);
    Ok(())
}

#[when(
    expr = "the caller keeps the echoed header {string} without the {string} prefix as {string}"
)]
async fn keep_stripped(
    w: &mut GateWorld,
    header: String,
    prefix: String,
    name: String,
) -> anyhow::Result<()> {
    let value = echoed_header(w, &header)?
        .ok_or_else(|| anyhow::anyhow!("the echo shows no {header} header"))?;
    let stripped = value
        .strip_prefix(&prefix)
        .ok_or_else(|| anyhow::anyhow!("{header} is {value:?}, not prefixed with {prefix:?}"))?;
    w.kong.kept.insert(name, stripped.to_owned());
    Ok(())
}

#[when(expr = "the caller keeps {string} with its signature altered as {string}")]
async fn keep_altered(w: &mut GateWorld, from: String, name: String) -> anyhow::Result<()> {
    let token = w
        .kong
        .kept
        .get(&from)
        .ok_or_else(|| anyhow::anyhow!("nothing kept as {from}"))?
        .clone();
    let (rest, sig) = token
        .rsplit_once('.')
        .ok_or_else(|| anyhow::anyhow!("{from} is not a JWT"))?;
    let mut sig = sig.to_owned().into_bytes();
    let last = sig.len().saturating_sub(2);
    sig[last] = if sig[last] == b'A' { b'B' } else { b'A' };
    w.kong
        .kept
        .insert(name, format!("{rest}.{}", String::from_utf8_lossy(&sig)));
    Ok(())
}

#[then(expr = "the echo shows the header {string} with {string}")]
async fn shows(w: &mut GateWorld, header: String, value: String) -> anyhow::Result<()> {
    let value = fill(w, &value)?;
    let got = echoed_header(w, &header)?;
    check!(
        got.as_deref() == Some(value.as_str()),
        "the upstream saw {header}: {got:?}, expected {value:?}; all: {:?}",
        echoed(w)?
    );
    Ok(())
}

#[then(expr = "the echo shows the header {string} starting with {string}")]
async fn shows_prefix(w: &mut GateWorld, header: String, prefix: String) -> anyhow::Result<()> {
    let got = echoed_header(w, &header)?;
    check!(
        got.as_deref()
            .is_some_and(|g| g.starts_with(&prefix) && g.len() > prefix.len()),
        "the upstream saw {header}: {got:?}, expected it to start with {prefix:?}"
    );
    Ok(())
}

#[then(expr = "the echo shows no header {string}")]
async fn shows_no(w: &mut GateWorld, header: String) -> anyhow::Result<()> {
    let got = echoed_header(w, &header)?;
    check!(got.is_none(), "the upstream saw {header}: {got:?}");
    Ok(())
}

#[then(expr = "the echo shows no argument {string}")]
async fn shows_no_arg(w: &mut GateWorld, arg: String) -> anyhow::Result<()> {
    let r = w
        .response
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("nothing was sent through the gateway yet"))?;
    let args = r.json()?.get("args").cloned().unwrap_or(Value::Null);
    check!(
        args.get(&arg).is_none(),
        "the upstream saw the argument {arg}: {args}"
    );
    Ok(())
}

#[then(expr = "the gateway sets a session cookie {string}")]
async fn sets_cookie(w: &mut GateWorld, name: String) -> anyhow::Result<()> {
    let r = w
        .response
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("nothing was sent through the gateway yet"))?;
    let found = r
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")));
    check!(
        found.is_some_and(|c| c.contains("HttpOnly") && c.contains("SameSite=Lax")),
        "no HttpOnly, SameSite=Lax {name} cookie in {:?}",
        r.headers.get_all("set-cookie")
    );
    Ok(())
}

#[then(expr = "the gateway's challenge is {string}")]
async fn challenge(w: &mut GateWorld, expected: String) -> anyhow::Result<()> {
    // Cucumber passes `\"` inside a quoted argument through as written.
    let expected = fill(w, &expected.replace("\\\"", "\""))?;
    let r = w
        .response
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("nothing was sent through the gateway yet"))?;
    let got = r
        .headers
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok());
    check!(
        got == Some(expected.as_str()),
        "WWW-Authenticate is {got:?}, expected {expected:?}"
    );
    Ok(())
}

#[when(expr = "the administrator adds the consumer {string} through the Admin API")]
async fn add_consumer(w: &mut GateWorld, username: String) -> anyhow::Result<()> {
    let url = format!("{}/consumers", w.target()?.admin_url()?);
    let resp = w
        .http
        .post(&url)
        .form(&[("username", username)])
        .send()
        .await?;
    let r = Response::read(format!("POST {url}"), resp).await?;
    r.expect_status(201)?;
    // Against a target gateway, what the scenario added is removed afterwards.
    w.admin_created(&url, &r.json()?);
    w.admin = Some(r);
    Ok(())
}

/// An Admin API call of the guides' `deck gateway apply`; 2xx or the step fails.
async fn apply(
    w: &mut GateWorld,
    method: reqwest::Method,
    url: String,
    body: Value,
) -> anyhow::Result<Response> {
    let resp = w
        .http
        .request(method.clone(), &url)
        .json(&body)
        .send()
        .await?;
    let r = Response::read(format!("{method} {url}"), resp).await?;
    check!(
        (200..300).contains(&r.status),
        "{} answered {}: {}",
        r.request,
        r.status,
        r.body
    );
    Ok(r)
}

/// `deck gateway apply` of one plugin on a service: the plugin of that name on the service is
/// replaced whole (its old config does not linger, as decK sets the entity it describes), or
/// created when there is none.
#[when(expr = "the administrator applies the plugin {string} to the service {string} with:")]
async fn apply_plugin(
    w: &mut GateWorld,
    step: &cucumber::gherkin::Step,
    plugin: String,
    service: String,
) -> anyhow::Result<()> {
    let doc = super::admin::doc_string(step)?;
    let config: Value = serde_json::from_str(&fill(w, &doc)?)
        .map_err(|e| anyhow::anyhow!("the plugin config in the step is not JSON: {e}"))?;
    let admin = w.target()?.admin_url()?.to_owned();
    let list = apply(
        w,
        reqwest::Method::GET,
        format!("{admin}/services/{service}/plugins"),
        Value::Null,
    )
    .await?;
    let existing = list.json()?["data"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["name"] == plugin.as_str()))
        .and_then(|p| p["id"].as_str())
        .map(str::to_owned);
    let body = serde_json::json!({"name": plugin, "config": config});
    let r = match existing {
        Some(id) => {
            let url = format!("{admin}/services/{service}/plugins/{id}");
            apply(w, reqwest::Method::PUT, url, body).await?
        }
        None => {
            let url = format!("{admin}/services/{service}/plugins");
            let r = apply(w, reqwest::Method::POST, url, body).await?;
            w.admin_created(&format!("{admin}/plugins"), &r.json()?);
            r
        }
    };
    w.admin = Some(r);
    Ok(())
}

/// `deck gateway apply` of `consumer_groups: [{name: NAME}]`.
#[when(expr = "the administrator applies the consumer group {string}")]
async fn apply_consumer_group(w: &mut GateWorld, name: String) -> anyhow::Result<()> {
    let admin = w.target()?.admin_url()?.to_owned();
    let existing = w
        .http
        .get(format!("{admin}/consumer_groups/{name}"))
        .send()
        .await?;
    if existing.status() == reqwest::StatusCode::OK {
        // decK leaves an entity that is already as described alone.
        return Ok(());
    }
    let collection = format!("{admin}/consumer_groups");
    let r = apply(
        w,
        reqwest::Method::POST,
        collection.clone(),
        serde_json::json!({"name": name}),
    )
    .await?;
    w.admin_created(&collection, &r.json()?);
    w.admin = Some(r);
    Ok(())
}

/// The httpbin echo the browser's current page shows.
fn browser_echo(w: &GateWorld) -> anyhow::Result<Value> {
    let page = w
        .browser
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the browser has not opened anything yet"))?
        .page()?;
    check!(
        page.status == 200,
        "the browser is at {} with {}: {}",
        page.url,
        page.status,
        page.body.chars().take(300).collect::<String>()
    );
    Ok(page.json()?)
}

#[then(expr = "the browser's page echoes the header {string} starting with {string}")]
async fn browser_echo_header(
    w: &mut GateWorld,
    name: String,
    prefix: String,
) -> anyhow::Result<()> {
    let echo = browser_echo(w)?;
    let got = echo["headers"]
        .as_object()
        .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case(&name)))
        .and_then(|(_, v)| v.as_str())
        .unwrap_or_default()
        .to_owned();
    check!(
        got.starts_with(&prefix),
        "the upstream saw {name}: {got:?}, expected it to start with {prefix:?}"
    );
    Ok(())
}

#[then(expr = "the browser's page echoes the argument {string} with {string}")]
async fn browser_echo_arg(w: &mut GateWorld, name: String, value: String) -> anyhow::Result<()> {
    let echo = browser_echo(w)?;
    check!(
        echo["args"][name.as_str()] == value.as_str(),
        "the upstream saw the arguments {}, expected {name}={value}",
        echo["args"]
    );
    Ok(())
}
