//! The administrator configuring the gateway through the Kong Admin API, with the REST calls a
//! person would make (seed 001, point 3).

use cucumber::{then, when};
use serde_json::{json, Value};

use super::check;
use crate::world::{GateWorld, Response};

/// A request body as a person would send it with curl: `--data k=v` form fields, or JSON.
enum Body {
    Form(Vec<(&'static str, String)>),
    Json(Value),
}

async fn admin(
    w: &mut GateWorld,
    method: reqwest::Method,
    path: &str,
    body: Option<Body>,
) -> anyhow::Result<()> {
    let admin_url = w.target()?.admin_url()?.to_owned();
    let url = format!("{admin_url}{path}");
    let mut req = w.http.request(method.clone(), &url);
    match &body {
        Some(Body::Form(fields)) => req = req.form(fields),
        Some(Body::Json(v)) => req = req.json(v),
        None => {}
    }
    let resp = req.send().await?;
    let r = Response::read(format!("{method} {url}"), resp).await?;
    if r.status == 201 {
        // A real gateway keeps what a scenario adds: it is removed after the scenario, by the
        // entity's own URL (`/routes/{id}` for `/services/x/routes`).
        if let (Ok(answer), Some(collection)) = (r.json(), path.rsplit('/').next()) {
            w.admin_created(&format!("{admin_url}/{collection}"), &answer);
        }
    }
    w.admin = Some(r);
    Ok(())
}

fn last(w: &GateWorld) -> anyhow::Result<&Response> {
    w.admin
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the Admin API was not called"))
}

fn created(w: &GateWorld) -> anyhow::Result<()> {
    let r = last(w)?;
    r.expect_status(201)?;
    Ok(())
}

#[when(
    expr = "the administrator adds the service {string} with URL {string} through the Admin API"
)]
async fn add_service(w: &mut GateWorld, name: String, url: String) -> anyhow::Result<()> {
    let url = w.fill(&url)?;
    admin(
        w,
        reqwest::Method::POST,
        "/services",
        Some(Body::Form(vec![("name", name), ("url", url)])),
    )
    .await?;
    created(w)
}

#[when(expr = "the administrator adds a route with host {string} to the service {string}")]
async fn add_route(w: &mut GateWorld, host: String, service: String) -> anyhow::Result<()> {
    let path = format!("/services/{service}/routes");
    admin(
        w,
        reqwest::Method::POST,
        &path,
        Some(Body::Form(vec![("name", service), ("hosts[]", host)])),
    )
    .await?;
    created(w)
}

/// Tries to add a plugin; the step text says whether it must succeed.
async fn post_plugin(
    w: &mut GateWorld,
    plugin: &str,
    service: &str,
    config: &str,
) -> anyhow::Result<()> {
    let config: Value = serde_json::from_str(&w.fill(config)?)
        .map_err(|e| anyhow::anyhow!("the plugin config in the step is not JSON: {e}"))?;
    let path = format!("/services/{service}/plugins");
    admin(
        w,
        reqwest::Method::POST,
        &path,
        Some(Body::Json(json!({"name": plugin, "config": config}))),
    )
    .await
}

/// The step's JSON doc string (a plugin config).
pub(super) fn doc_string(step: &cucumber::gherkin::Step) -> anyhow::Result<String> {
    step.docstring
        .clone()
        .ok_or_else(|| anyhow::anyhow!("the step needs a JSON doc string"))
}

#[when(expr = "the administrator adds the plugin {string} to the service {string} with:")]
async fn add_plugin(
    w: &mut GateWorld,
    step: &cucumber::gherkin::Step,
    plugin: String,
    service: String,
) -> anyhow::Result<()> {
    post_plugin(w, &plugin, &service, &doc_string(step)?).await?;
    created(w)
}

#[when(expr = "the administrator tries to add the plugin {string} to the service {string} with:")]
async fn try_add_plugin(
    w: &mut GateWorld,
    step: &cucumber::gherkin::Step,
    plugin: String,
    service: String,
) -> anyhow::Result<()> {
    post_plugin(w, &plugin, &service, &doc_string(step)?).await
}

#[when(expr = "the administrator adds the consumer {string} for the {string} client")]
async fn add_consumer(w: &mut GateWorld, username: String, site: String) -> anyhow::Result<()> {
    let custom_id = w.target()?.site(&site)?.client_id.clone();
    admin(
        w,
        reqwest::Method::POST,
        "/consumers",
        Some(Body::Form(vec![
            ("username", username),
            ("custom_id", custom_id),
        ])),
    )
    .await?;
    created(w)
}

#[then(expr = "the Admin API answers {int} naming the field {string}")]
async fn answers_naming(w: &mut GateWorld, status: u16, field: String) -> anyhow::Result<()> {
    let r = last(w)?;
    r.expect_status(status)?;
    let body = r.json()?;
    let mut at = &body["fields"];
    for part in field.split('.') {
        at = &at[part];
    }
    check!(!at.is_null(), "the error does not name {field}: {}", r.body);
    Ok(())
}

#[then(expr = "the Admin API lists the {word} {string}")]
async fn lists(w: &mut GateWorld, collection: String, name: String) -> anyhow::Result<()> {
    let path = format!("/{collection}");
    admin(w, reqwest::Method::GET, &path, None).await?;
    let r = last(w)?;
    r.expect_status(200)?;
    let body = r.json()?;
    let found = body["data"].as_array().is_some_and(|d| {
        d.iter().any(|e| {
            e.get("name")
                .or_else(|| e.get("username"))
                .and_then(Value::as_str)
                == Some(name.as_str())
        })
    });
    check!(found, "{} does not list {name}: {}", r.request, r.body);
    Ok(())
}
