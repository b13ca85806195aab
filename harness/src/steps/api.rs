//! The requesting party (a client application) getting tokens from oxd or the OP and calling
//! APIs through the gateway; what the gateway answers and what the upstream received.

use cucumber::{then, when};
use serde_json::{json, Value};

use super::check;
use crate::world::{GateWorld, Response};

/// The demo API's answer to every GET/POST/DELETE (`docs/gluu-gateway.md#demo-api`).
pub fn demo_transaction() -> Value {
    json!({
        "id": 1,
        "title": "sunt aut facere repellat provident occaecati excepturi optio reprehenderit",
        "body": "quia et suscipit suscipit recusandae consequuntur expedita et cum reprehenderit molestiae ut ut quas totam nostrum rerum est autem sunt rem eveniet architecto"
    })
}

fn scopes(list: &str) -> Vec<String> {
    list.split_whitespace().map(str::to_owned).collect()
}

/// A client token from oxd for the scenario's site `site`, or for a client the administrator
/// copied from the Admin GUI under that name.
async fn client_token_from_oxd(w: &mut GateWorld, site: &str, scope: &str) -> anyhow::Result<()> {
    let target = w.target()?;
    let (client_id, client_secret) = match w.copied_clients.iter().find(|(n, _, _)| n == site) {
        Some((_, id, secret)) => (id.clone(), secret.clone()),
        None => {
            let s = target.site(site)?;
            (s.client_id.clone(), s.client_secret.clone())
        }
    };
    let url = format!("{}/get-client-token", target.oxd_url()?);
    let body = json!({
        "client_id": client_id,
        "client_secret": client_secret,
        "op_host": target.op.issuer,
        "scope": scopes(scope),
    });
    let resp = w.http.post(&url).json(&body).send().await?;
    w.token = Some(Response::read(format!("POST {url}"), resp).await?);
    Ok(())
}

#[when(expr = "the requesting party gets a client token with scope {string} from oxd")]
async fn token_from_oxd(w: &mut GateWorld, scope: String) -> anyhow::Result<()> {
    client_token_from_oxd(w, "consumer", &scope).await
}

#[when(expr = "the {string} client gets a client token with scope {string} from oxd")]
async fn named_token_from_oxd(
    w: &mut GateWorld,
    site: String,
    scope: String,
) -> anyhow::Result<()> {
    client_token_from_oxd(w, &site, &scope).await
}

#[when(expr = "the requesting party gets a client token with scope {string} directly from the OP")]
async fn token_from_op(w: &mut GateWorld, scope: String) -> anyhow::Result<()> {
    let target = w.target()?;
    let s = target.site("consumer")?;
    let url = target.op.discovery.token_endpoint()?.to_owned();
    let resp = w
        .http
        .post(&url)
        .basic_auth(&s.client_id, Some(&s.client_secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", scope.as_str()),
        ])
        .send()
        .await?;
    w.token = Some(Response::read(format!("POST {url}"), resp).await?);
    Ok(())
}

fn token_response(w: &GateWorld) -> anyhow::Result<&Response> {
    w.token
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("no token was requested in this scenario"))
}

fn access_token(w: &GateWorld) -> anyhow::Result<String> {
    let t = token_response(w)?;
    t.expect_status(200)?;
    t.json()?
        .get("access_token")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("the token response has no access_token: {}", t.body))
}

fn granted(w: &GateWorld) -> anyhow::Result<Vec<String>> {
    let t = token_response(w)?;
    t.expect_status(200)?;
    Ok(match t.json()?.get("scope") {
        Some(Value::String(s)) => scopes(s),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        other => anyhow::bail!("the token response has no scope: {other:?}"),
    })
}

#[then(expr = "the token response grants the scope {string}")]
async fn grants(w: &mut GateWorld, scope: String) -> anyhow::Result<()> {
    let g = granted(w)?;
    check!(g.contains(&scope), "granted scopes {g:?} lack {scope}");
    Ok(())
}

#[then(expr = "the token response does not grant the scope {string}")]
async fn does_not_grant(w: &mut GateWorld, scope: String) -> anyhow::Result<()> {
    let g = granted(w)?;
    check!(!g.contains(&scope), "granted scopes {g:?} include {scope}");
    Ok(())
}

#[then(expr = "the token request is refused with {string}")]
async fn token_refused(w: &mut GateWorld, error: String) -> anyhow::Result<()> {
    let t = token_response(w)?;
    check!(
        t.status >= 400,
        "{} answered {}: {}",
        t.request,
        t.status,
        t.body
    );
    let got = t
        .json()?
        .get("error")
        .and_then(Value::as_str)
        .map(str::to_owned);
    check!(
        got.as_deref() == Some(error.as_str()),
        "error is {got:?}: {}",
        t.body
    );
    Ok(())
}

async fn call(
    w: &mut GateWorld,
    method: &str,
    path: &str,
    host: &str,
    auth: Option<String>,
) -> anyhow::Result<()> {
    let url = format!("{}{}", w.target()?.proxy_url()?, path);
    let method = reqwest::Method::from_bytes(method.as_bytes())?;
    let mut req = w.http.request(method.clone(), &url).header("host", host);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    if method == reqwest::Method::POST || method == reqwest::Method::PUT {
        req = req.header("content-type", "application/json").body("{}");
    }
    let resp = req.send().await?;
    w.response = Some(Response::read(format!("{method} {url} (Host: {host})"), resp).await?);
    Ok(())
}

#[when(expr = "the requesting party calls {word} {string} on {string} with the token")]
async fn call_with_token(
    w: &mut GateWorld,
    method: String,
    path: String,
    host: String,
) -> anyhow::Result<()> {
    let token = access_token(w)?;
    call(w, &method, &path, &host, Some(format!("Bearer {token}"))).await
}

#[when(
    expr = "the requesting party calls {word} {string} on {string} with the token in a lower-case {string} header"
)]
async fn call_lower_case(
    w: &mut GateWorld,
    method: String,
    path: String,
    host: String,
    _h: String,
) -> anyhow::Result<()> {
    let token = access_token(w)?;
    call(w, &method, &path, &host, Some(format!("bearer {token}"))).await
}

#[when(expr = "the requesting party calls {word} {string} on {string} without a token")]
async fn call_without_token(
    w: &mut GateWorld,
    method: String,
    path: String,
    host: String,
) -> anyhow::Result<()> {
    call(w, &method, &path, &host, None).await
}

#[when(expr = "the requesting party calls {word} {string} on {string} with the token {string}")]
async fn call_with_literal(
    w: &mut GateWorld,
    method: String,
    path: String,
    host: String,
    token: String,
) -> anyhow::Result<()> {
    call(w, &method, &path, &host, Some(format!("Bearer {token}"))).await
}

fn response(w: &GateWorld) -> anyhow::Result<&Response> {
    w.response
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("nothing was called through the gateway yet"))
}

#[then(expr = "the gateway answers {int}")]
async fn answers(w: &mut GateWorld, status: u16) -> anyhow::Result<()> {
    let r = response(w)?;
    check!(
        r.status == status,
        "{} answered {}, not {status}: {}",
        r.request,
        r.status,
        r.body
    );
    Ok(())
}

#[then(expr = "the gateway answers {int} with the demo transaction")]
async fn answers_demo(w: &mut GateWorld, status: u16) -> anyhow::Result<()> {
    answers(w, status).await?;
    let r = response(w)?;
    check!(
        r.json()? == demo_transaction(),
        "{} answered {}",
        r.request,
        r.body
    );
    Ok(())
}

#[then(expr = "the gateway answers {int} with the message {string}")]
async fn answers_message(w: &mut GateWorld, status: u16, message: String) -> anyhow::Result<()> {
    answers(w, status).await?;
    let r = response(w)?;
    let body = r.json()?;
    check!(
        body == json!({"message": message}),
        "{} answered {}",
        r.request,
        r.body
    );
    Ok(())
}

fn upstream_headers(w: &GateWorld) -> anyhow::Result<serde_json::Map<String, Value>> {
    let r = response(w)?;
    r.expect_status(200)?;
    r.json()?
        .get("headers")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("not an echo upstream answer: {}", r.body))
}

#[then(expr = "the upstream received the header {string} with {string}")]
async fn upstream_header(w: &mut GateWorld, name: String, value: String) -> anyhow::Result<()> {
    let value = w.fill(&value)?;
    let h = upstream_headers(w)?;
    let got = h.get(&name.to_ascii_lowercase()).and_then(Value::as_str);
    check!(
        got == Some(value.as_str()),
        "upstream saw {name}: {got:?}, expected {value:?}; all: {h:?}"
    );
    Ok(())
}

#[then(expr = "the upstream received no {string} header")]
async fn upstream_no_header(w: &mut GateWorld, name: String) -> anyhow::Result<()> {
    let h = upstream_headers(w)?;
    check!(
        !h.contains_key(&name.to_ascii_lowercase()),
        "upstream saw {name}: {:?}",
        h.get(&name.to_ascii_lowercase())
    );
    Ok(())
}

#[when("the OP revokes the token")]
async fn revoke(w: &mut GateWorld) -> anyhow::Result<()> {
    let token = access_token(w)?;
    let target = w.target()?;
    let s = target.site("consumer")?;
    let url = target.op.discovery.revocation_endpoint()?.to_owned();
    let resp = w
        .http
        .post(&url)
        .basic_auth(&s.client_id, Some(&s.client_secret))
        .form(&[
            ("token", token.as_str()),
            ("token_type_hint", "access_token"),
        ])
        .send()
        .await?;
    check!(
        resp.status().is_success(),
        "POST {url} answered {}",
        resp.status()
    );
    Ok(())
}

#[when("the gateway's client introspects the token through oxd")]
async fn introspect(w: &mut GateWorld) -> anyhow::Result<()> {
    let token = access_token(w)?;
    let target = w.target()?;
    let gw = target.site("gateway")?;
    let oxd = target.oxd_url()?;
    // oxd commands other than get-client-token need a protection token (scope oxd).
    let pt: Value = w
        .http
        .post(format!("{oxd}/get-client-token"))
        .json(
            &json!({"client_id": gw.client_id, "client_secret": gw.client_secret,
                      "op_host": target.op.issuer, "scope": ["openid", "oxd"]}),
        )
        .send()
        .await?
        .json()
        .await?;
    let protection = pt
        .get("access_token")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow::anyhow!("no protection token: {pt}"))?;
    let url = format!("{oxd}/introspect-access-token");
    let resp = w
        .http
        .post(&url)
        .bearer_auth(protection)
        .json(&json!({"oxd_id": gw.oxd_id, "access_token": token}))
        .send()
        .await?;
    w.oxd = Some(Response::read(format!("POST {url}"), resp).await?);
    Ok(())
}

#[then(expr = "oxd reports the token active with the scope {string} for the {string} client")]
async fn introspection_active(
    w: &mut GateWorld,
    scope: String,
    site: String,
) -> anyhow::Result<()> {
    let client_id = w.target()?.site(&site)?.client_id.clone();
    let r = w
        .oxd
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("nothing was asked of oxd"))?;
    r.expect_status(200)?;
    let v = r.json()?;
    check!(v["active"] == json!(true), "not active: {v}");
    check!(
        v["client_id"] == json!(client_id),
        "client_id is {}",
        v["client_id"]
    );
    let has = match &v["scope"] {
        Value::Array(a) => a.iter().any(|s| s.as_str() == Some(scope.as_str())),
        Value::String(s) => s.split_whitespace().any(|s| s == scope),
        _ => false,
    };
    check!(has, "scope is {}", v["scope"]);
    Ok(())
}
