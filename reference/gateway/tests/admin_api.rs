//! Admin API: CRUD, nested collections, pagination, Kong's errors, form bodies, `/config`.

mod common;

use common::*;
use serde_json::{json, Value};

async fn post(base: &str, path: &str, body: Value) -> reqwest::Response {
    client()
        .post(format!("{base}{path}"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn json_of(resp: reqwest::Response) -> Value {
    resp.json().await.unwrap()
}

#[tokio::test]
async fn service_crud_with_url_shorthand_and_defaults() {
    let gw = gateway(Default::default()).await;
    let admin = gw.admin_url();
    let resp = post(
        &admin,
        "/services",
        json!({"name": "oauth-demo", "url": "http://localhost:3000"}),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let s = json_of(resp).await;
    assert_eq!(s["protocol"], "http");
    assert_eq!(s["host"], "localhost");
    assert_eq!(s["port"], 3000);
    assert_eq!(s["path"], Value::Null);
    assert_eq!(s["retries"], 5);
    assert_eq!(s["connect_timeout"], 60000);
    assert_eq!(s["enabled"], true);
    let id = s["id"].as_str().unwrap().to_owned();

    let by_name = json_of(
        client()
            .get(format!("{admin}/services/oauth-demo"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(by_name["id"], id.as_str());

    let patched = client()
        .patch(format!("{admin}/services/{id}"))
        .json(&json!({"read_timeout": 5000, "url": "https://api.example:8443/v1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let p = json_of(patched).await;
    assert_eq!(p["read_timeout"], 5000);
    assert_eq!(p["protocol"], "https");
    assert_eq!(p["port"], 8443);
    assert_eq!(p["path"], "/v1");
    assert_eq!(p["name"], "oauth-demo");
    assert_eq!(p["created_at"], s["created_at"]);

    let put = client()
        .put(format!("{admin}/services/other"))
        .json(&json!({"host": "example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    assert_eq!(json_of(put).await["name"], "other");

    let del = client()
        .delete(format!("{admin}/services/other"))
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 204);
    let gone = client()
        .get(format!("{admin}/services/other"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    assert_eq!(json_of(gone).await, json!({"message": "Not found"}));
}

#[tokio::test]
async fn schema_violations_name_the_fields() {
    let gw = gateway(Default::default()).await;
    let admin = gw.admin_url();
    let resp = post(&admin, "/services", json!({"port": "x", "bogus": 1})).await;
    assert_eq!(resp.status(), 400);
    let e = json_of(resp).await;
    assert_eq!(e["code"], 2);
    assert_eq!(e["name"], "schema violation");
    assert_eq!(e["fields"]["port"], "expected an integer");
    assert_eq!(e["fields"]["bogus"], "unknown field");
    assert_eq!(e["fields"]["host"], "required field missing");
    assert!(e["message"]
        .as_str()
        .unwrap()
        .starts_with("3 schema violations ("));

    post(&admin, "/services", json!({"name": "s", "host": "h"})).await;
    let route = post(&admin, "/services/s/routes", json!({"name": "r"})).await;
    assert_eq!(route.status(), 400);
    let e = json_of(route).await;
    assert_eq!(
        e["fields"]["@entity"],
        json!([
            "must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'"
        ])
    );
    let bad_regex = post(&admin, "/services/s/routes", json!({"paths": ["~/x/("]})).await;
    assert_eq!(bad_regex.status(), 400);
    assert!(json_of(bad_regex).await["fields"]["paths"]
        .as_str()
        .unwrap()
        .starts_with("invalid regex"));

    let dup = post(&admin, "/services", json!({"name": "s", "host": "h2"})).await;
    assert_eq!(dup.status(), 409);
    let e = json_of(dup).await;
    assert_eq!(e["code"], 5);
    assert_eq!(e["message"], "UNIQUE violation detected on '{name=\"s\"}'");

    let fk = post(
        &admin,
        "/routes",
        json!({"paths": ["/x"], "service": {"id": "9748f662-7711-4a90-8186-dc02f10eb0f5"}}),
    )
    .await;
    assert_eq!(fk.status(), 400);
    assert_eq!(json_of(fk).await["code"], 4);

    let in_use = client()
        .delete(format!("{admin}/services/s"))
        .send()
        .await
        .unwrap();
    assert_eq!(in_use.status(), 204, "service without routes can go");
    let bad_json = client()
        .post(format!("{admin}/services"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);
}

#[tokio::test]
async fn service_with_routes_cannot_be_deleted() {
    let gw = gateway(Default::default()).await;
    let admin = gw.admin_url();
    post(&admin, "/services", json!({"name": "s", "host": "h"})).await;
    post(&admin, "/services/s/routes", json!({"paths": ["/x"]})).await;
    let resp = client()
        .delete(format!("{admin}/services/s"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(json_of(resp).await["code"], 4);
}

#[tokio::test]
async fn form_bodies_like_the_tutorials() {
    let gw = gateway(Default::default()).await;
    let admin = gw.admin_url();
    let s = client()
        .post(format!("{admin}/services"))
        .form(&[("name", "demo"), ("url", "http://localhost:3000/api")])
        .send()
        .await
        .unwrap();
    assert_eq!(s.status(), 201);
    let s = json_of(s).await;
    let r = client()
        .post(format!("{admin}/routes"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "name=r1&paths[]=/a&paths[]=/b&hosts=oauth-demo.example.com&strip_path=false&service.id={}",
            s["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = json_of(r).await;
    assert_eq!(r["paths"], json!(["/a", "/b"]));
    assert_eq!(r["hosts"], json!(["oauth-demo.example.com"]));
    assert_eq!(r["strip_path"], false);
    assert_eq!(r["service"]["id"], s["id"]);
    assert_eq!(r["protocols"], json!(["http", "https"]));
    assert_eq!(r["regex_priority"], 0);
    assert_eq!(r["path_handling"], "v0");
    assert_eq!(r["https_redirect_status_code"], 426);
    let p = client()
        .post(format!("{admin}/routes/r1/plugins"))
        .form(&[
            ("name", "gluu-oauth-pep"),
            ("config.oxd_id", "o"),
            ("config.oxd_url", "http://oxd.example"),
            ("config.client_id", "c"),
            ("config.client_secret", "s"),
            ("config.op_url", "https://op.example"),
            ("config.deny_by_default", "false"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(p.status(), 201);
    let p = json_of(p).await;
    assert_eq!(p["config"]["deny_by_default"], false);
    assert_eq!(p["route"]["id"], r["id"]);
    assert_eq!(p["service"], Value::Null);
    assert_eq!(p["enabled"], true);
    let listed = json_of(
        client()
            .get(format!("{admin}/routes/r1/plugins"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    let svc_routes = json_of(
        client()
            .get(format!("{admin}/services/demo/routes"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(svc_routes["data"][0]["id"], r["id"]);
}

#[tokio::test]
async fn pagination_walks_every_page() {
    let gw = gateway(Default::default()).await;
    let admin = gw.admin_url();
    for i in 0..5 {
        post(&admin, "/consumers", json!({"username": format!("u{i}"), "tags": if i % 2 == 0 { json!(["even"]) } else { json!(["odd"]) }})).await;
    }
    let mut seen = Vec::new();
    let mut next = Some("/consumers?size=2".to_owned());
    while let Some(path) = next {
        let page = json_of(client().get(format!("{admin}{path}")).send().await.unwrap()).await;
        for c in page["data"].as_array().unwrap() {
            seen.push(c["username"].as_str().unwrap().to_owned());
        }
        next = page["next"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, ["u0", "u1", "u2", "u3", "u4"]);
    let even = json_of(
        client()
            .get(format!("{admin}/consumers?tags=even"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(even["data"].as_array().unwrap().len(), 3);
    let bad = client()
        .get(format!("{admin}/consumers?size=0"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(json_of(bad).await["code"], 9);
    let bad = client()
        .get(format!("{admin}/consumers?offset=%21"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(json_of(bad).await["code"], 7);
    let no_cid = post(&admin, "/consumers", json!({})).await;
    assert_eq!(no_cid.status(), 400);
}

#[tokio::test]
async fn invalid_plugin_configs_are_schema_violations_and_change_nothing() {
    let gw = gateway(Default::default()).await;
    let admin = gw.admin_url();
    post(
        &admin,
        "/services",
        json!({"name": "s", "url": "http://127.0.0.1:9"}),
    )
    .await;
    let resp = post(&admin, "/services/s/plugins", json!({"name": "gluu-oauth-pep", "config": {
        "oxd_id": "o", "oxd_url": "http://oxd", "client_id": "c", "client_secret": "s", "op_url": "https://op",
        "oauth_scope_expression": "[{\"path\":\"/a\",\"conditions\":[]}]"
    }})).await;
    assert_eq!(resp.status(), 400);
    let e = json_of(resp).await;
    assert_eq!(
        e["fields"]["config"]["oauth_scope_expression"],
        "Conditions are missing in expression (at /0/conditions)"
    );
    assert_eq!(e["code"], 2);

    let resp = post(&admin, "/plugins", json!({"name": "gluu-oauth-auth", "config": {
        "oxd_id": "o", "oxd_url": "http://oxd", "client_id": "c", "client_secret": "s", "op_url": "https://op",
        "custom_headers": [{"header_name": "x-a", "value_lua_exp": "os.execute('x')"}]
    }})).await;
    assert_eq!(resp.status(), 400);
    let e = json_of(resp).await;
    // Nested as Kong nests them: the first element of `custom_headers`.
    assert!(
        e["fields"]["config"]["custom_headers"][0]["value_lua_exp"]
            .as_str()
            .unwrap()
            .starts_with("x-a has not a valid value expression"),
        "{e}"
    );
    assert!(e["message"]
        .as_str()
        .unwrap()
        .starts_with("schema violation (config.custom_headers.1.value_lua_exp: x-a has not"));

    let unknown = post(&admin, "/plugins", json!({"name": "key-auth"})).await;
    assert_eq!(unknown.status(), 400);
    assert!(json_of(unknown).await["fields"]["name"]
        .as_str()
        .unwrap()
        .contains("not enabled"));
    let listed = json_of(
        client()
            .get(format!("{admin}/plugins"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed["data"], json!([]));

    let ok = post(&admin, "/plugins", json!({"name": "gluu-oauth-pep", "config": {
        "oxd_id": "o", "oxd_url": "http://oxd", "client_id": "c", "client_secret": "s", "op_url": "https://op"}})).await;
    assert_eq!(ok.status(), 201);
    let dup = post(&admin, "/plugins", json!({"name": "gluu-oauth-pep", "config": {
        "oxd_id": "o", "oxd_url": "http://oxd", "client_id": "c", "client_secret": "s", "op_url": "https://op"}})).await;
    assert_eq!(dup.status(), 409);
    let id = json_of(ok).await["id"].as_str().unwrap().to_owned();
    let bad_patch = client()
        .patch(format!("{admin}/plugins/{id}"))
        .json(&json!({"config": {"deny_by_default": "maybe"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_patch.status(), 400);
    let still = json_of(
        client()
            .get(format!("{admin}/plugins/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(still["config"]["deny_by_default"], true);
    let good_patch = client()
        .patch(format!("{admin}/plugins/{id}"))
        .json(&json!({"config": {"deny_by_default": false}}))
        .send()
        .await
        .unwrap();
    assert_eq!(good_patch.status(), 200);
    assert_eq!(json_of(good_patch).await["config"]["oxd_id"], "o");
}

const KONG_YML: &str = r#"
_format_version: "3.0"
services:
  - name: oauth-demo
    url: http://127.0.0.1:9
    routes:
      - name: demo-route
        hosts: [oauth-demo.example.com]
        paths: [/]
    plugins:
      - name: gluu-oauth-pep
        config:
          oxd_id: o
          oxd_url: http://oxd.example
          client_id: c
          client_secret: s
          op_url: https://op.example
          oauth_scope_expression: '[{"path":"/transactions/?","conditions":[{"httpMethods":["GET"],"scope_expression":{"rule":{"and":[{"var":0}]},"data":["^transactions:.+$"]}}]}]'
consumers:
  - username: alex
    custom_id: client-1
"#;

#[tokio::test]
async fn declarative_config_at_start_and_via_post_config() {
    let gw = gateway(gatecheck_gateway::Config {
        declarative_config_string: Some(Value::String(KONG_YML.into())),
        ..Default::default()
    })
    .await;
    let admin = gw.admin_url();
    let routes = json_of(
        client()
            .get(format!("{admin}/services/oauth-demo/routes"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(routes["data"][0]["name"], "demo-route");
    let plugins = json_of(
        client()
            .get(format!("{admin}/plugins"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        plugins["data"][0]["service"]["id"],
        routes["data"][0]["service"]["id"]
    );
    assert_eq!(plugins["data"][0]["config"]["deny_by_default"], true);

    // A rejected config leaves the running one untouched.
    let bad = KONG_YML.replace("paths: [/]", "paths: [nope]");
    let resp = client()
        .post(format!("{admin}/config"))
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let e = json_of(resp).await;
    assert_eq!(e["code"], 14);
    assert!(
        e["fields"]["services.0.routes.0"]["paths"].is_string(),
        "{e}"
    );
    let still = json_of(
        client()
            .get(format!("{admin}/routes/demo-route"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(still["paths"], json!(["/"]));

    // A good one replaces everything.
    let replacement = r#"{"_format_version": "3.0", "services": [{"name": "other", "host": "127.0.0.1", "port": 9, "routes": [{"paths": ["/o"]}]}]}"#;
    let resp = client()
        .post(format!("{admin}/config"))
        .body(replacement)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let services = json_of(
        client()
            .get(format!("{admin}/services"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(services["data"].as_array().unwrap().len(), 1);
    assert_eq!(services["data"][0]["name"], "other");
    let exported = json_of(
        client()
            .get(format!("{admin}/config"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(exported["config"].as_str().unwrap().contains("name: other"));
}

#[tokio::test]
async fn the_gateway_refuses_to_start_with_a_config_it_cannot_enforce() {
    for bad in [
        KONG_YML.replace("\"^transactions:.+$\"", "\"^transactions:(.+$\""),
        KONG_YML.replace("_format_version: \"3.0\"", "_format_version: \"9.9\""),
        KONG_YML.replace(
            "client_secret: s",
            "client_secret: s\n          surprise: 1",
        ),
        KONG_YML.replace("gluu-oauth-pep", "no-such-plugin"),
        "_format_version: \"3.0\"\nservices: [{name: x}]".to_owned(),
    ] {
        let result = gatecheck_gateway::start(
            gatecheck_gateway::Config {
                declarative_config_string: Some(Value::String(bad.clone())),
                ..Default::default()
            },
            listener().await,
            listener().await,
        )
        .await;
        assert!(result.is_err(), "started with {bad}");
    }
}

#[tokio::test]
async fn declarative_top_level_entities_reference_by_name() {
    let doc = r#"
_format_version: "3.0"
services:
  - name: s1
    host: 127.0.0.1
    port: 9
routes:
  - name: r1
    service: s1
    paths: [/r1]
    plugins:
      - name: gluu-oauth-pep
        config: {oxd_id: o, oxd_url: "http://oxd", client_id: c, client_secret: s, op_url: "https://op", deny_by_default: false}
plugins:
  - name: gluu-oauth-auth
    service: s1
    config: {oxd_id: o, oxd_url: "http://oxd", client_id: c, client_secret: s, op_url: "https://op"}
"#;
    let gw = gateway(Default::default()).await;
    let admin = gw.admin_url();
    let resp = client()
        .post(format!("{admin}/config"))
        .form(&[("config", doc)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let route = json_of(
        client()
            .get(format!("{admin}/routes/r1"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let service = json_of(
        client()
            .get(format!("{admin}/services/s1"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(route["service"]["id"], service["id"]);
    let on_route = json_of(
        client()
            .get(format!("{admin}/routes/r1/plugins"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(on_route["data"][0]["name"], "gluu-oauth-pep");
    let on_service = json_of(
        client()
            .get(format!("{admin}/services/s1/plugins"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(on_service["data"][0]["name"], "gluu-oauth-auth");

    let with_acls =
        "_format_version: \"3.0\"\nconsumers: [{username: alex, keyauth_credentials: [{key: k}]}]";
    let resp = client()
        .post(format!("{admin}/config"))
        .body(with_acls)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let e = json_of(resp).await;
    assert!(e["fields"]["consumers.0.keyauth_credentials"]
        .as_str()
        .unwrap()
        .contains("not supported"));
    let dangling = "_format_version: \"3.0\"\nroutes: [{name: r, service: nope, paths: [/]}]";
    let resp = client()
        .post(format!("{admin}/config"))
        .body(dangling)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        json_of(
            client()
                .get(format!("{admin}/routes/r1"))
                .send()
                .await
                .unwrap()
        )
        .await["name"],
        "r1"
    );
}

#[tokio::test]
async fn shutdown_stops_both_listeners() {
    let gw = gateway(Default::default()).await;
    let (proxy, admin) = (gw.proxy_url(), gw.admin_url());
    assert_eq!(
        client()
            .get(format!("{admin}/"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    gw.shutdown().await;
    assert!(client().get(format!("{admin}/")).send().await.is_err());
    assert!(client().get(format!("{proxy}/")).send().await.is_err());
}

#[tokio::test]
async fn root_lists_the_available_plugins() {
    let gw = gateway(Default::default()).await;
    let root = json_of(
        client()
            .get(format!("{}/", gw.admin_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let available = root["plugins"]["available_on_server"].as_array().unwrap();
    assert!(available.contains(&json!("gluu-oauth-auth")));
    assert!(available.contains(&json!("gluu-oauth-pep")));
    let enabled = json_of(
        client()
            .get(format!("{}/plugins/enabled", gw.admin_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        enabled["enabled_plugins"].as_array().unwrap().len(),
        available.len()
    );
    let unknown = client()
        .get(format!("{}/nope", gw.admin_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}
