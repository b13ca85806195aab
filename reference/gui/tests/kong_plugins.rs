//! Kong's own plugins (`acl`, `openid-connect`, `oauth2`, and any other plugin the gateway
//! declares a schema for) through the GUI's generic form, against the REAL reference gateway: the
//! form is built from its `GET /schemas/plugins/{name}`, the values submitted become the plugin's
//! config, and the gateway's `schema violation` comes back next to the field it names.

mod common;

use common::*;
use serde_json::{json, Value};

/// A logged-in agent, the stack, and a service to put plugins on.
async fn setup() -> (Stack, gatecheck_gui::Handle, String) {
    let s = stack().await;
    let service = s
        .admin_post(
            "/services",
            json!({"name": "api", "url": "http://127.0.0.1:9"}),
        )
        .await;
    let id = service["id"].as_str().unwrap().to_owned();
    let g = gui(s.config()).await;
    (s, g, id)
}

/// The form's fields with every `name` replaced by `values` (checkbox groups and tag lists
/// carry one field per value).
fn with(page: &Page, form: &str, name: &str, values: &[&str]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = page
        .form_fields(form)
        .into_iter()
        .filter(|(n, _)| n != name)
        .collect();
    fields.extend(values.iter().map(|v| (name.to_owned(), (*v).to_owned())));
    fields
}

fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    fields.retain(|(n, _)| n != name);
    fields.push((name.to_owned(), value.to_owned()));
}

async fn plugins(s: &Stack) -> Vec<Value> {
    s.admin_get("/plugins").await["data"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn the_acl_form_is_the_gateways_schema() {
    let (s, g, id) = setup().await;
    let a = Agent::new(&g);
    a.login().await;
    let form = a.get(&format!("/services/{id}/plugins/add/acl")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    // Every config field of the gateway's schema is a form field, typed as declared.
    let schema = s.admin_get("/schemas/plugins/acl").await;
    let declared = schema["fields"][2]["config"]["fields"].as_array().unwrap();
    for f in declared {
        let name = f.as_object().unwrap().keys().next().unwrap();
        assert!(
            form.body.contains(&format!("id=\"f-config.{name}\"")),
            "{name} is not in the form"
        );
    }
    assert!(!form.body.contains("publishes no schema"), "{}", form.body);
    // Both lists: the gateway's entity check comes back, nothing is created.
    let both = a
        .submit(
            &form,
            "plugin-form",
            &[("config.allow.new", "gold")],
            "refresh",
        )
        .await;
    let refused = a
        .submit(
            &both,
            "plugin-form",
            &[("config.deny.new", "silver")],
            "save",
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("only one of these fields must be non-empty"),
        "{}",
        refused.body
    );
    assert!(plugins(&s).await.is_empty(), "nothing half-applied");
    let done = a
        .submit(
            &both,
            "plugin-form",
            &[("config.hide_groups_header", "on")],
            "save",
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let list = plugins(&s).await;
    let acl = &list[0];
    assert_eq!(acl["name"], "acl");
    assert_eq!(acl["service"]["id"], id.as_str());
    assert_eq!(acl["config"]["allow"], json!(["gold"]));
    assert_eq!(acl["config"]["deny"], Value::Null);
    assert_eq!(acl["config"]["hide_groups_header"], true);

    // Editing it from allow to deny: the emptied list is cleared, not merged back in.
    let plugin_id = acl["id"].as_str().unwrap().to_owned();
    let edit = a.get(&format!("/plugins/{plugin_id}")).await;
    assert_eq!(edit.status, 200, "{}", edit.body);
    let mut fields = with(&edit, "plugin-form", "config.allow", &[]);
    set(&mut fields, "config.deny.new", "silver");
    set(&mut fields, "op", "save");
    let saved = a.post(&edit.form_action("plugin-form"), &fields).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let acl = &plugins(&s).await[0];
    assert_eq!(acl["config"]["allow"], Value::Null, "{acl}");
    assert_eq!(acl["config"]["deny"], json!(["silver"]));
}

#[tokio::test]
async fn the_openid_connect_form_creates_the_plugin_with_the_values_given() {
    let (s, g, id) = setup().await;
    let a = Agent::new(&g);
    a.login().await;
    let form = a
        .get(&format!("/services/{id}/plugins/add/openid-connect"))
        .await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(!form.body.contains("publishes no schema"), "{}", form.body);
    let fields = form.form_fields("plugin-form");
    let values = |name: &str| -> Vec<String> {
        fields
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    // The schema's defaults are the form's: the nine auth methods checked, in Kong's order.
    assert_eq!(
        values("config.auth_methods"),
        [
            "session",
            "bearer",
            "kong_oauth2",
            "introspection",
            "userinfo",
            "refresh_token",
            "password",
            "client_credentials",
            "authorization_code"
        ]
    );
    assert_eq!(values("config.timeout"), ["10000"]);
    // A required record without a default of its own shows its fields' defaults, so the form
    // can be saved as it comes.
    let redis: Value = serde_json::from_str(&values("config.cluster_cache_redis")[0]).unwrap();
    assert_eq!(redis["connect_timeout"], json!(2000), "{redis}");
    assert_eq!(values("config.session_cookie_same_site"), ["Lax"]);
    assert_eq!(values("config.hide_credentials"), ["on"]);
    // A boolean without a default offers "unset" (Secure on https only) besides true/false.
    assert_eq!(values("config.session_cookie_secure"), [""]);
    assert!(form.body.contains("id=\"f-config.issuer\""));
    assert!(
        form.body.contains("id=\"f-config.upstream_headers\""),
        "records are JSON fields"
    );

    // A value the gateway refuses: its message next to the field, nothing created.
    let mut fields = with(&form, "plugin-form", "config.auth_methods", &["password"]);
    set(&mut fields, "config.issuer", &s.op.issuer());
    set(&mut fields, "config.timeout", "0");
    set(&mut fields, "config.client_id.new", "kong");
    set(&mut fields, "op", "save");
    let action = form.form_action("plugin-form");
    let refused = a.post(&action, &fields).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(
        refused.field_error("config.timeout").as_deref(),
        Some("value should be between 1 and 3600000")
    );
    assert!(plugins(&s).await.is_empty(), "nothing half-applied");
    // An element a crafted request adds outside the choices: Kong's message, on the list.
    let mut crafted = fields.clone();
    set(&mut crafted, "config.timeout", "5000");
    crafted.push(("config.auth_methods".into(), "magic".into()));
    let refused = a.post(&action, &crafted).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .field_error("config.auth_methods")
            .is_some_and(|e| e.starts_with("item 2: expected one of: session, bearer")),
        "{}",
        refused.body
    );

    set(&mut fields, "config.timeout", "5000");
    set(&mut fields, "config.session_cookie_secure", "true");
    set(&mut fields, "config.consumer_groups_claim.new", "tier");
    let done = a.post(&action, &fields).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let list = plugins(&s).await;
    let oidc = &list[0];
    assert_eq!(oidc["name"], "openid-connect");
    assert_eq!(oidc["service"]["id"], id.as_str());
    let c = &oidc["config"];
    assert_eq!(c["issuer"], s.op.issuer());
    assert_eq!(c["auth_methods"], json!(["password"]));
    assert_eq!(c["timeout"], 5000);
    assert_eq!(c["client_id"], json!(["kong"]));
    assert_eq!(c["session_cookie_secure"], true);
    assert_eq!(c["consumer_groups_claim"], json!(["tier"]));
    assert_eq!(c["hide_credentials"], true);
    assert_eq!(c["upstream_access_token_header"], "authorization:bearer");

    // The edit form shows what the gateway stored.
    let edit = a
        .get(&format!("/plugins/{}", oidc["id"].as_str().unwrap()))
        .await;
    assert_eq!(edit.status, 200, "{}", edit.body);
    let stored = edit.form_fields("plugin-form");
    let picked: Vec<&str> = stored
        .iter()
        .filter(|(n, _)| n == "config.auth_methods")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(picked, ["password"]);
}

#[tokio::test]
async fn the_oauth2_form_holds_kongs_flow_and_scope_rules_and_creates_the_plugin() {
    let (s, g, id) = setup().await;
    let a = Agent::new(&g);
    a.login().await;
    let form = a.get(&format!("/services/{id}/plugins/add/oauth2")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(!form.body.contains("publishes no schema"), "{}", form.body);
    let schema = s.admin_get("/schemas/plugins/oauth2").await;
    let declared = schema["fields"][2]["config"]["fields"].as_array().unwrap();
    assert!(declared.len() >= 18, "{schema}");
    for f in declared {
        let name = f.as_object().unwrap().keys().next().unwrap();
        assert!(
            form.body.contains(&format!("id=\"f-config.{name}\"")),
            "{name} is not in the form"
        );
    }
    // Kong's defaults are the form's.
    let fields = form.form_fields("plugin-form");
    let value = |name: &str| -> Vec<String> {
        fields
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    assert_eq!(value("config.token_expiration"), ["7200"]);
    assert_eq!(value("config.refresh_token_ttl"), ["1209600"]);
    assert_eq!(value("config.pkce"), ["lax"]);
    assert!(value("config.enable_client_credentials").is_empty(), "off");

    let action = form.form_action("plugin-form");
    let mut fields = form.form_fields("plugin-form");
    set(&mut fields, "op", "save");
    // No grant flow on: Kong's entity check, nothing created.
    let refused = a.post(&action, &fields).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("at least one of these fields must be true: enable_authorization_code"),
        "{}",
        refused.body
    );
    assert!(plugins(&s).await.is_empty(), "nothing half-applied");
    // mandatory_scope without scopes: the missing field is named next to it.
    set(&mut fields, "config.enable_client_credentials", "on");
    set(&mut fields, "config.mandatory_scope", "on");
    let refused = a.post(&action, &fields).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(
        refused.field_error("config.scopes").as_deref(),
        Some("required field missing"),
        "{}",
        refused.body
    );
    // A negative lifetime: the field's validator message.
    set(&mut fields, "config.scopes.new", "bank");
    set(&mut fields, "config.token_expiration", "-1");
    let refused = a.post(&action, &fields).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(
        refused.field_error("config.token_expiration").as_deref(),
        Some("value must be greater than or equal to 0")
    );
    assert!(plugins(&s).await.is_empty(), "nothing half-applied");

    set(&mut fields, "config.token_expiration", "3600");
    let done = a.post(&action, &fields).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let list = plugins(&s).await;
    let oauth2 = &list[0];
    assert_eq!(oauth2["name"], "oauth2");
    assert_eq!(oauth2["service"]["id"], id.as_str());
    let c = &oauth2["config"];
    assert_eq!(c["enable_client_credentials"], true);
    assert_eq!(c["mandatory_scope"], true);
    assert_eq!(c["scopes"], json!(["bank"]));
    assert_eq!(c["token_expiration"], 3600);
    assert_eq!(c["pkce"], "lax");
    // The form left provision_key empty: the gateway generated one, as Kong does.
    assert!(
        c["provision_key"].as_str().is_some_and(|k| k.len() >= 16),
        "{c}"
    );
    // The edit form shows what the gateway stored, the generated key included.
    let edit = a
        .get(&format!("/plugins/{}", oauth2["id"].as_str().unwrap()))
        .await;
    assert_eq!(edit.status, 200, "{}", edit.body);
    let stored = edit.form_fields("plugin-form");
    assert!(stored.iter().any(
        |(n, v)| n == "config.provision_key" && Some(v.as_str()) == c["provision_key"].as_str()
    ));
}
