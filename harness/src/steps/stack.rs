//! Starting stacks and looking at the OP's discovery document.

use cucumber::{given, then};
use serde_json::Value;

use super::check;
use crate::world::GateWorld;

#[given(expr = "the {string} stack is running")]
async fn stack_is_running(w: &mut GateWorld, name: String) -> anyhow::Result<()> {
    w.start_stack(&name, |_| {}, true).await
}

#[given(expr = "the {string} stack is running without its gateway configuration")]
async fn stack_without_gateway_config(w: &mut GateWorld, name: String) -> anyhow::Result<()> {
    w.start_stack(
        &name,
        |s| s.gateway.declarative = serde_json::json!({"_format_version": "3.0"}),
        false,
    )
    .await
}

#[given(expr = "the {string} stack is running with the OP's {string} method disabled")]
async fn stack_with_acr_disabled(
    w: &mut GateWorld,
    name: String,
    acr: String,
) -> anyhow::Result<()> {
    w.start_stack(
        &name,
        |s| {
            if let Some(Value::Array(enabled)) = s.op.pointer_mut("/acr/enabled") {
                enabled.retain(|v| v.as_str() != Some(acr.as_str()));
            }
        },
        false,
    )
    .await
}

async fn discovery(w: &GateWorld) -> anyhow::Result<Value> {
    let url = w.target()?.op.discovery.url.clone();
    let resp = w.http.get(&url).send().await?;
    check!(
        resp.status().is_success(),
        "GET {url} answered {}",
        resp.status()
    );
    Ok(resp.json().await?)
}

fn listed(doc: &Value, field: &str, value: &str) -> anyhow::Result<bool> {
    let list = doc
        .get(field)
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow::anyhow!("discovery has no list {field}: {doc}"))?;
    Ok(list.iter().any(|v| v.as_str() == Some(value)))
}

#[then(expr = "the OP's discovery document lists {string} in {word}")]
async fn discovery_lists(w: &mut GateWorld, value: String, field: String) -> anyhow::Result<()> {
    let doc = discovery(w).await?;
    check!(
        listed(&doc, &field, &value)?,
        "{field} does not list {value:?}: {}",
        doc[&field]
    );
    Ok(())
}

#[then(expr = "the OP's discovery document does not list {string} in {word}")]
async fn discovery_does_not_list(
    w: &mut GateWorld,
    value: String,
    field: String,
) -> anyhow::Result<()> {
    let doc = discovery(w).await?;
    check!(
        !listed(&doc, &field, &value)?,
        "{field} lists {value:?}: {}",
        doc[&field]
    );
    Ok(())
}
