//! The entity registry through the Admin API: consumer groups and memberships (a core DAO),
//! cascade deletes, declarative `consumer_groups`, and `GET /schemas/...` derived from the
//! schemas configs are validated with.

mod common;

use common::*;
use serde_json::{json, Value};

async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// `GET /config` as a document (it answers `{"config": "<yaml>"}`), and the YAML text.
async fn exported(admin: &str) -> (Value, String) {
    let (_, answer) = send(client().get(format!("{admin}/config"))).await;
    let text = answer["config"].as_str().unwrap().to_owned();
    (serde_yaml::from_str(&text).unwrap(), text)
}

#[tokio::test]
async fn consumer_groups_crud_and_memberships_from_both_sides() {
    let gw = gateway(Default::default()).await;
    let admin = gw.admin_url();
    let c = client();
    for name in ["alex", "sam"] {
        let (status, _) = send(
            c.post(format!("{admin}/consumers"))
                .json(&json!({ "username": name })),
        )
        .await;
        assert_eq!(status, 201);
    }
    let (status, gold) = send(
        c.post(format!("{admin}/consumer_groups"))
            .json(&json!({"name": "gold"})),
    )
    .await;
    assert_eq!(status, 201, "{gold}");
    assert!(gold["id"].is_string() && gold["created_at"].is_number());
    let (status, e) = send(
        c.post(format!("{admin}/consumer_groups"))
            .json(&json!({"name": "gold"})),
    )
    .await;
    assert_eq!(status, 409, "{e}");
    assert_eq!(e["name"], "unique constraint violation");
    let (status, e) = send(
        c.post(format!("{admin}/consumer_groups"))
            .json(&json!({"name": "no spaces"})),
    )
    .await;
    assert_eq!(status, 400, "{e}");
    assert!(e["fields"]["name"]
        .as_str()
        .unwrap()
        .contains("alphanumerics"));
    let (status, e) = send(c.post(format!("{admin}/consumer_groups")).json(&json!({}))).await;
    assert_eq!(status, 400);
    assert_eq!(e["fields"]["name"], "required field missing");

    // Members added from the group's side (several at once) and from the consumer's side.
    let (status, added) = send(
        c.post(format!("{admin}/consumer_groups/gold/consumers"))
            .json(&json!({"consumer": ["alex"]})),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["consumers"][0]["username"], "alex");
    send(
        c.post(format!("{admin}/consumer_groups"))
            .json(&json!({"name": "silver"})),
    )
    .await;
    let (status, added) = send(
        c.post(format!("{admin}/consumers/alex/consumer_groups"))
            .json(&json!({"group": "silver"})),
    )
    .await;
    assert_eq!(status, 201, "{added}");
    let (_, mine) = send(c.get(format!("{admin}/consumers/alex/consumer_groups"))).await;
    let names: Vec<&str> = mine["consumer_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gold", "silver"]);
    let (_, group) = send(c.get(format!("{admin}/consumer_groups/gold?list_consumers=true"))).await;
    assert_eq!(group["consumer_group"]["name"], "gold");
    assert_eq!(group["consumers"][0]["username"], "alex");

    // A second membership of the same pair is refused; an unknown member names what is missing
    // and adds nothing (all or nothing).
    let (status, _) = send(
        c.post(format!("{admin}/consumer_groups/gold/consumers"))
            .json(&json!({"consumer": "alex"})),
    )
    .await;
    assert_eq!(status, 409);
    let (status, e) = send(
        c.post(format!("{admin}/consumer_groups/gold/consumers"))
            .json(&json!({"consumer": ["sam", "nobody"]})),
    )
    .await;
    assert_eq!(status, 400, "{e}");
    let (_, members) = send(c.get(format!("{admin}/consumer_groups/gold/consumers"))).await;
    assert_eq!(members["consumers"].as_array().unwrap().len(), 1);
    let (status, _) = send(c.get(format!("{admin}/consumer_groups/bronze/consumers"))).await;
    assert_eq!(status, 404);

    // Removing one membership, then deleting the consumer: its memberships go with it.
    let (status, _) =
        send(c.delete(format!("{admin}/consumers/alex/consumer_groups/silver"))).await;
    assert_eq!(status, 204);
    let (status, _) =
        send(c.delete(format!("{admin}/consumers/alex/consumer_groups/silver"))).await;
    assert_eq!(status, 404);
    let (status, _) = send(c.delete(format!("{admin}/consumers/alex"))).await;
    assert_eq!(status, 204);
    let (_, members) = send(c.get(format!("{admin}/consumer_groups/gold/consumers"))).await;
    assert_eq!(members["consumers"], json!([]));
    let (config, _) = exported(&admin).await;
    assert_eq!(config["consumer_groups"].as_array().unwrap().len(), 2);
    assert!(config.get("consumer_group_consumers").is_none(), "{config}");

    // Deleting a group deletes its memberships too.
    send(
        c.post(format!("{admin}/consumer_groups/gold/consumers"))
            .json(&json!({"consumer": "sam"})),
    )
    .await;
    let (status, _) = send(c.delete(format!("{admin}/consumer_groups/gold"))).await;
    assert_eq!(status, 204);
    let (_, mine) = send(c.get(format!("{admin}/consumers/sam/consumer_groups"))).await;
    assert_eq!(mine["consumer_groups"], json!([]));
}

#[tokio::test]
async fn declarative_consumer_groups_load_and_export() {
    let gw = gateway_with(json!({
        "_format_version": "3.0",
        "consumer_groups": [{"name": "gold"}, {"name": "silver"}],
        "consumers": [
            {"username": "alex", "groups": [{"name": "gold"}]},
            {"username": "sam"}
        ]
    }))
    .await;
    let admin = gw.admin_url();
    let c = client();
    let (_, mine) = send(c.get(format!("{admin}/consumers/alex/consumer_groups"))).await;
    assert_eq!(mine["consumer_groups"][0]["name"], "gold");
    let (config, text) = exported(&admin).await;
    assert_eq!(config["consumer_groups"].as_array().unwrap().len(), 2);
    assert_eq!(
        config["consumer_group_consumers"].as_array().unwrap().len(),
        1
    );
    // The export loads back as the same configuration.
    let (status, e) = send(c.post(format!("{admin}/config")).body(text)).await;
    assert_eq!(status, 201, "{e}");
    let (_, mine) = send(c.get(format!("{admin}/consumers/alex/consumer_groups"))).await;
    assert_eq!(mine["consumer_groups"][0]["name"], "gold");

    // A membership of a group that does not exist refuses the whole file.
    let bad = json!({
        "_format_version": "3.0",
        "consumers": [{"username": "kim", "groups": [{"name": "platinum"}]}]
    });
    let (status, e) = send(c.post(format!("{admin}/config")).json(&bad)).await;
    assert_eq!(status, 400, "{e}");
    let (status, _) = send(c.get(format!("{admin}/consumers/alex"))).await;
    assert_eq!(status, 200, "the old configuration stays");
}

#[tokio::test]
async fn schemas_are_the_ones_configs_are_validated_with() {
    let gw = gateway(Default::default()).await;
    let admin = gw.admin_url();
    let c = client();
    let (status, _) = send(c.get(format!("{admin}/plugins/enabled"))).await;
    assert_eq!(status, 200);
    for name in [
        "gluu-oauth-auth",
        "gluu-oauth-pep",
        "gluu-openid-connect",
        "openid-connect",
    ] {
        let (status, schema) = send(c.get(format!("{admin}/schemas/plugins/{name}"))).await;
        assert_eq!(status, 200, "{name}");
        let fields = schema["fields"].as_array().unwrap();
        let config = fields
            .iter()
            .find_map(|f| f.get("config"))
            .unwrap_or_else(|| panic!("{name}: {schema}"));
        assert_eq!(config["type"], "record");
        assert!(!config["fields"].as_array().unwrap().is_empty(), "{name}");
        // Authentication plugins cannot be scoped to a consumer (Kong's `no_consumer`).
        let consumer = fields.iter().find_map(|f| f.get("consumer")).unwrap();
        assert_eq!(consumer["type"], "foreign");
        assert!(consumer.get("eq").is_some_and(Value::is_null));
    }
    // What the schema says is required is what the Admin API requires.
    let (_, schema) = send(c.get(format!("{admin}/schemas/plugins/gluu-openid-connect"))).await;
    let config = schema["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|f| f.get("config"))
        .unwrap();
    let required: Vec<String> = config["fields"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f.as_object().unwrap())
        .filter(|(_, f)| f["required"] == true && f.get("default").is_none())
        .map(|(n, _)| n.clone())
        .collect();
    let (status, e) = send(
        c.post(format!("{admin}/plugins"))
            .json(&json!({"name": "gluu-openid-connect", "config": {}})),
    )
    .await;
    assert_eq!(status, 400);
    let mut missing: Vec<String> = e["fields"]["config"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, m)| *m == "required field missing")
        .map(|(n, _)| n.clone())
        .collect();
    missing.sort();
    let mut required = required;
    required.sort();
    assert_eq!(missing, required, "{e}");

    let (status, e) = send(c.get(format!("{admin}/schemas/plugins/no-such-plugin"))).await;
    assert_eq!(status, 404, "{e}");
    assert_eq!(e["message"], "No plugin named 'no-such-plugin'");
    let (status, groups) = send(c.get(format!("{admin}/schemas/consumer_groups"))).await;
    assert_eq!(status, 200);
    let name = groups["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|f| f.get("name"))
        .unwrap();
    assert_eq!(name["required"], true);
    assert_eq!(name["unique"], true);
    let (status, e) = send(c.get(format!("{admin}/schemas/nothing"))).await;
    assert_eq!(status, 404);
    assert_eq!(e["message"], "No entity named 'nothing'");
}
