//! The `acl` plugin behind gluu-oauth-auth (which authenticates the consumer whose `custom_id` is
//! the token's client), with ACL groups given through the Admin API and declaratively.

mod common;

use common::*;
use serde_json::{json, Value};

const FORBIDDEN: &str = "You cannot consume this service";

/// A gateway: oauth-auth + acl (`acl` config) on the echo upstream, consumers `alex`
/// (client `alex-client`, ACL group `gold`) and `sam` (client `sam-client`, no groups).
async fn stack(
    acl: Value,
) -> (
    gatecheck_gateway::Handle,
    gatecheck_upstream::Handle,
    wiremock::MockServer,
) {
    let oxd = oxd().await;
    let up = echo().await;
    for who in ["alex", "sam"] {
        introspects(
            &oxd,
            &format!("{who}-token"),
            active(&format!("{who}-client"), &["openid"]),
        )
        .await;
    }
    let doc = json!({
        "_format_version": "3.0",
        "services": [{
            "name": "api", "url": up.url(), "routes": [{"name": "r", "paths": ["/"]}],
            "plugins": [
                {"name": "gluu-oauth-auth", "config": with(plugin_base(&oxd.uri()), json!({}))},
                {"name": "acl", "config": acl}
            ]
        }],
        "consumers": [
            {"username": "alex", "custom_id": "alex-client", "acls": [{"group": "gold"}]},
            {"username": "sam", "custom_id": "sam-client"}
        ]
    });
    (gateway_with(doc).await, up, oxd)
}

async fn call(gw: &gatecheck_gateway::Handle, who: &str) -> reqwest::Response {
    client()
        .get(format!("{}/anything", gw.proxy_url()))
        .header("authorization", format!("Bearer {who}-token"))
        .header("x-consumer-groups", "admin")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn allow_list_through_the_proxy() {
    let (gw, _up, _oxd) = stack(json!({"allow": ["gold"]})).await;
    let resp = call(&gw, "alex").await;
    assert_eq!(resp.status(), 200);
    let seen: Value = resp.json().await.unwrap();
    assert_eq!(seen["headers"]["x-consumer-groups"], "gold", "{seen}");
    expect_message(call(&gw, "sam").await, 403, FORBIDDEN).await;

    // Groups change through the Admin API take effect on the next request.
    let admin = gw.admin_url();
    let resp = client()
        .post(format!("{admin}/consumers/sam/acls"))
        .json(&json!({"group": "gold"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(call(&gw, "sam").await.status(), 200);
    let resp = client()
        .delete(format!("{admin}/consumers/sam/acls/gold"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    expect_message(call(&gw, "sam").await, 403, FORBIDDEN).await;
}

#[tokio::test]
async fn deny_list_through_the_proxy() {
    let (gw, _up, _oxd) = stack(json!({"deny": ["gold"], "hide_groups_header": true})).await;
    expect_message(call(&gw, "alex").await, 403, FORBIDDEN).await;
    let resp = call(&gw, "sam").await;
    assert_eq!(resp.status(), 200);
    let seen: Value = resp.json().await.unwrap();
    assert!(
        seen["headers"].get("x-consumer-groups").is_none(),
        "the client's own value never reaches the upstream: {seen}"
    );
}

#[tokio::test]
async fn acls_through_the_admin_api() {
    let (gw, _up, _oxd) = stack(json!({"allow": ["gold"]})).await;
    let admin = gw.admin_url();
    let c = client();
    let send = |req: reqwest::RequestBuilder| async move {
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json::<Value>().await.unwrap_or(Value::Null))
    };
    let (status, mine) = send(c.get(format!("{admin}/consumers/alex/acls"))).await;
    assert_eq!(status, 200);
    assert_eq!(mine["data"][0]["group"], "gold");
    let id = mine["data"][0]["id"].as_str().unwrap().to_owned();
    assert!(mine["data"][0]["consumer"]["id"].is_string());
    let (status, one) = send(c.get(format!("{admin}/consumers/alex/acls/gold"))).await;
    assert_eq!((status, one["id"].as_str()), (200, Some(id.as_str())));
    let (_, owner) = send(c.get(format!("{admin}/acls/{id}/consumer"))).await;
    assert_eq!(owner["username"], "alex");
    let (status, e) = send(
        c.post(format!("{admin}/consumers/alex/acls"))
            .json(&json!({"group": "gold"})),
    )
    .await;
    assert_eq!(status, 409, "{e}");
    let (status, e) = send(
        c.post(format!("{admin}/consumers/alex/acls"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(e["fields"]["group"], "required field missing");
    let (status, _) = send(
        c.post(format!("{admin}/consumers/nobody/acls"))
            .json(&json!({"group": "gold"})),
    )
    .await;
    assert_eq!(status, 404);
    // PUT by group name creates under the consumer; the top-level list shows every ACL.
    let (status, put) = send(
        c.put(format!("{admin}/consumers/sam/acls/silver"))
            .json(&json!({"tags": ["t"]})),
    )
    .await;
    assert_eq!(status, 200, "{put}");
    assert_eq!(put["group"], "silver");
    let (_, all) = send(c.get(format!("{admin}/acls"))).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    // A bad plugin config names the field, Kong-style.
    let (status, e) = send(
        c.post(format!("{admin}/plugins"))
            .json(&json!({"name": "acl", "config": {"allow": ["a"], "deny": ["b"]}})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        e["fields"]["@entity"][0],
        "only one of these fields must be non-empty: 'config.allow', 'config.deny'"
    );
    // Deleting the consumer deletes its ACLs.
    let (status, _) = send(c.delete(format!("{admin}/consumers/alex"))).await;
    assert_eq!(status, 204);
    let (_, all) = send(c.get(format!("{admin}/acls"))).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 1);
    let (status, _) = send(c.get(format!("{admin}/acls/{id}"))).await;
    assert_eq!(status, 404);
    let (status, schema) = send(c.get(format!("{admin}/schemas/plugins/acl"))).await;
    assert_eq!(status, 200);
    assert_eq!(
        schema["entity_checks"][0]["only_one_of"],
        json!(["config.allow", "config.deny"])
    );
}
