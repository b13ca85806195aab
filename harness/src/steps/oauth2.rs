//! Kong's `oauth2` plugin as the kong-oauth2 guide uses it (`docs/kong-guides.md`): plugins on
//! a route, OAuth 2.0 credentials through the Admin API, token requests to the TLS proxy
//! listener as `curl -k` sends them, and the gateway's clock moved to watch a token expire.
//! Kept values (`${ACCESS_TOKEN}`) are shared with the kong steps.

use cucumber::{then, when};
use serde_json::Value;

use super::check;
use super::kong::fill;
use crate::world::{GateWorld, Response};

fn doc(step: &cucumber::gherkin::Step) -> anyhow::Result<String> {
    step.docstring
        .clone()
        .ok_or_else(|| anyhow::anyhow!("the step needs a JSON doc string"))
}

/// POSTs to the Admin API; what it creates is removed again after the scenario on a target
/// gateway (as `DELETE {admin}{collection}/{id}`).
async fn admin_post(
    w: &mut GateWorld,
    path: &str,
    collection: &str,
    body: &str,
) -> anyhow::Result<Response> {
    let admin = w.target()?.admin_url()?.to_owned();
    let url = format!("{admin}{path}");
    let body: Value = serde_json::from_str(&fill(w, body)?)?;
    let resp = w.http.post(&url).json(&body).send().await?;
    let r = Response::read(format!("POST {url}"), resp).await?;
    r.expect_status(201)?;
    w.admin_created(&format!("{admin}{collection}"), &r.json()?);
    Ok(r)
}

#[when(expr = "the administrator adds the plugin {string} to the route {string} with:")]
async fn add_route_plugin(
    w: &mut GateWorld,
    step: &cucumber::gherkin::Step,
    plugin: String,
    route: String,
) -> anyhow::Result<()> {
    let config = doc(step)?;
    let body = format!(
        "{{\"name\": {}, \"config\": {config}}}",
        Value::String(plugin)
    );
    let r = admin_post(w, &format!("/routes/{route}/plugins"), "/plugins", &body).await?;
    w.admin = Some(r);
    Ok(())
}

#[when(
    expr = "the administrator adds the route {string} with the path {string} to the service {string}"
)]
async fn add_path_route(
    w: &mut GateWorld,
    route: String,
    path: String,
    service: String,
) -> anyhow::Result<()> {
    let body = serde_json::json!({"name": route, "paths": [path]}).to_string();
    let r = admin_post(w, &format!("/services/{service}/routes"), "/routes", &body).await?;
    w.admin = Some(r);
    Ok(())
}

#[when(expr = "the administrator adds an OAuth 2.0 application to the consumer {string} with:")]
async fn add_credential(
    w: &mut GateWorld,
    step: &cucumber::gherkin::Step,
    consumer: String,
) -> anyhow::Result<()> {
    let body = doc(step)?;
    let r = admin_post(
        w,
        &format!("/consumers/{consumer}/oauth2"),
        &format!("/consumers/{consumer}/oauth2"),
        &body,
    )
    .await?;
    w.admin = Some(r);
    Ok(())
}

/// `curl -k -X <METHOD> https://…<path>` to the gateway's TLS listener, optionally with a JSON
/// body (`--json`) or one header.
async fn send_https(
    w: &mut GateWorld,
    method: &str,
    path: &str,
    header: Option<(String, String)>,
    json: Option<String>,
) -> anyhow::Result<()> {
    let base = w.fill("${gateway.proxy_ssl}")?;
    let path = fill(w, path)?;
    let mut shown = format!("curl -k -X {method} {base}{path}");
    let mut req = http::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"));
    if let Some((name, value)) = header {
        let value = fill(w, &value)?;
        shown.push_str(&format!(" -H '{name}: {value}'"));
        req = req.header(name, value);
    }
    let body = match json {
        Some(j) => {
            let j = fill(w, &j)?;
            shown.push_str(&format!(" --json '{j}'"));
            req = req.header("content-type", "application/json");
            gatecheck_gateway::tls::RequestBody::from(j)
        }
        None => gatecheck_gateway::tls::RequestBody::empty(),
    };
    let client = gatecheck_gateway::tls::Client::insecure()?;
    let resp = client.send(req.body(body)?).await?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    w.response = Some(Response {
        request: shown,
        status,
        headers,
        body: String::from_utf8_lossy(resp.body()).into_owned(),
    });
    Ok(())
}

#[when(expr = "the caller posts to {string} over HTTPS with the JSON {string}")]
async fn post_https(w: &mut GateWorld, path: String, json: String) -> anyhow::Result<()> {
    send_https(w, "POST", &path, None, Some(json)).await
}

#[when(
    expr = "the caller sends {word} {string} over HTTPS with the header {string} set to {string}"
)]
async fn get_https(
    w: &mut GateWorld,
    method: String,
    path: String,
    name: String,
    value: String,
) -> anyhow::Result<()> {
    send_https(w, &method, &path, Some((name, value)), None).await
}

#[when(expr = "the caller keeps the JSON field {string} as {string}")]
async fn keep_field(w: &mut GateWorld, field: String, name: String) -> anyhow::Result<()> {
    let r = w
        .response
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("nothing was called through the gateway yet"))?;
    let body = r.json()?;
    let value = body
        .get(&field)
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow::anyhow!("{} answered no {field:?}: {}", r.request, r.body))?
        .to_owned();
    w.kong.kept.insert(name, value);
    Ok(())
}

#[then(expr = "the gateway answers {int} with the OAuth error {string} saying {string}")]
async fn oauth_error(
    w: &mut GateWorld,
    status: u16,
    error: String,
    description: String,
) -> anyhow::Result<()> {
    let r = w
        .response
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("nothing was called through the gateway yet"))?;
    check!(
        r.status == status,
        "{} answered {}, not {status}: {}",
        r.request,
        r.status,
        r.body
    );
    let body = r.json()?;
    check!(
        body == serde_json::json!({"error": error, "error_description": description}),
        "{} answered {}",
        r.request,
        r.body
    );
    Ok(())
}

#[when(expr = "{int} seconds pass on the gateway's clock")]
async fn time_passes(w: &mut GateWorld, seconds: i64) -> anyhow::Result<()> {
    w.stack()?.gateway_clock.advance(seconds);
    Ok(())
}

/// The URL in the last answer's JSON field `field` (Kong's `/oauth2/authorize` answers
/// `{"redirect_uri": "<uri>?code=…"}`).
fn json_url(w: &GateWorld, field: &str) -> anyhow::Result<url::Url> {
    let r = w
        .response
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("nothing was called through the gateway yet"))?;
    let body = r.json()?;
    let text = body
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow::anyhow!("{} answered no {field:?}: {}", r.request, r.body))?;
    url::Url::parse(text).map_err(|e| anyhow::anyhow!("{field} {text:?} is not a URL: {e}"))
}

#[then(expr = "the JSON field {string} is a redirect to {string}")]
async fn json_redirect_to(w: &mut GateWorld, field: String, target: String) -> anyhow::Result<()> {
    let mut url = json_url(w, &field)?;
    url.set_query(None);
    url.set_fragment(None);
    let target = fill(w, &target)?;
    check!(
        url.as_str() == target,
        "{field} redirects to {url}, not {target}"
    );
    Ok(())
}

#[when(
    expr = "the caller keeps the query parameter {string} of the JSON field {string} as {string}"
)]
async fn keep_redirect_param(
    w: &mut GateWorld,
    param: String,
    field: String,
    name: String,
) -> anyhow::Result<()> {
    let url = json_url(w, &field)?;
    let value = url
        .query_pairs()
        .find(|(k, _)| *k == param.as_str())
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| anyhow::anyhow!("{url} has no {param:?} parameter"))?;
    w.kong.kept.insert(name, value);
    Ok(())
}
