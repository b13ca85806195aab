//! The Dashboard: the Kong node (`GET /`, `GET /status`), entity counts, the plugins the node
//! offers (those in use highlighted) and where oxd and the OP are.

use axum::response::Response;
use minijinja::context;
use serde_json::Value;

use super::Page;

/// `GET /`.
pub async fn show(page: Page) -> Response {
    let kong = &page.app.kong;
    let node = match kong.get("/").await {
        Ok(n) => n,
        Err(e) => return page.kong_error("dashboard", &e),
    };
    let status = kong.get("/status").await.unwrap_or(Value::Null);
    let mut counts = Vec::new();
    let mut in_use: Vec<String> = Vec::new();
    for (label, path) in [
        ("Services", "/services"),
        ("Routes", "/routes"),
        ("Consumers", "/consumers"),
        ("Plugins", "/plugins"),
    ] {
        match kong.list(path).await {
            Ok(items) => {
                if path == "/plugins" {
                    for p in &items {
                        if let Some(n) = p.get("name").and_then(Value::as_str) {
                            if !in_use.iter().any(|x| x == n) {
                                in_use.push(n.to_owned());
                            }
                        }
                    }
                }
                counts.push(context! { label => label, count => items.len(), href => path });
            }
            Err(e) => return page.kong_error("dashboard", &e),
        }
    }
    let available: Vec<Value> = node
        .pointer("/plugins/available_on_server")
        .map(|v| match v {
            // Kong 2.x answers an object name → true; 3.x a list of names.
            Value::Object(o) => o.keys().map(|k| Value::String(k.clone())).collect(),
            Value::Array(a) => a.clone(),
            _ => Vec::new(),
        })
        .unwrap_or_default();
    let plugins: Vec<_> = available
        .iter()
        .filter_map(Value::as_str)
        .map(|n| context! { name => n, used => in_use.iter().any(|x| x == n) })
        .collect();
    let text = |v: &Value, p: &str| {
        v.pointer(p)
            .map(|x| match x {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            })
            .unwrap_or_default()
    };
    page.render(
        "dashboard.html",
        "dashboard",
        context! {
            node => context! {
                tagline => text(&node, "/tagline"),
                version => text(&node, "/version"),
                hostname => text(&node, "/hostname"),
                database => text(&node, "/configuration/database"),
                admin_url => page.app.kong.base().as_str(),
            },
            status => context! {
                reachable => text(&status, "/database/reachable"),
                connections => text(&status, "/server/connections_active"),
            },
            counts => counts,
            plugins => plugins,
            oxd_url => page.app.oxd.base().as_str(),
            op_url => page.app.config.op_url.as_str(),
        },
    )
}
