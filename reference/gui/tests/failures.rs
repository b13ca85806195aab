//! Partial failures and upstream errors, with wiremock standing in for the Admin API and oxd;
//! HTML escaping of what the Admin API returns.

mod common;

use common::*;
use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn kong_with_service() -> MockServer {
    let kong = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/services/svc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "svc", "name": "oauth-demo", "host": "localhost", "port": 3000, "protocol": "http"})))
        .mount(&kong)
        .await;
    kong
}

async fn oxd_registering(op: &MockServer) -> MockServer {
    let oxd = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/register-site"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "oxd_id": "site-1", "client_id": "client-1", "client_secret": "secret-1",
            "client_registration_access_token": "rat",
            "client_registration_client_uri": format!("{}/register?client_id=client-1", op.uri()),
        })))
        .expect(1)
        .mount(&oxd)
        .await;
    Mock::given(method("POST"))
        .and(path("/get-client-token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "prot", "expires_in": 300})),
        )
        .mount(&oxd)
        .await;
    oxd
}

async fn oauth_form(a: &Agent) -> Page {
    let form = a.get("/services/svc/plugins/add/gluu-oauth-auth-pep").await;
    assert_eq!(form.status, 200, "{}", form.body);
    a.submit(&form, "plugin-form", &[], "add-path:scope").await
}

async fn submit_tutorial(a: &Agent, form: &Page) -> Page {
    let mut fields = form.form_fields("plugin-form");
    fields.retain(|(k, _)| k != "scope.0.path" && k != "scope.0.0.g.new");
    for (k, v) in [
        ("scope.0.path", "/transactions/?"),
        ("scope.0.0.methods", "GET"),
        ("scope.0.0.g.new", "^transactions:.+$"),
        ("op", "save"),
    ] {
        fields.push((k.into(), v.into()));
    }
    a.post(&form.form_action("plugin-form"), &fields).await
}

#[tokio::test]
async fn a_refused_second_plugin_undoes_the_first_plugin_and_the_client() {
    let op = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/register"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&op)
        .await;
    let oxd = oxd_registering(&op).await;
    Mock::given(method("POST"))
        .and(path("/remove-site"))
        .and(body_partial_json(json!({"oxd_id": "site-1"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"oxd_id": "site-1"})))
        .expect(1)
        .mount(&oxd)
        .await;
    let kong = kong_with_service().await;
    Mock::given(method("POST"))
        .and(path("/plugins"))
        .and(body_partial_json(json!({"name": "gluu-oauth-auth"})))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"id": "auth-1", "name": "gluu-oauth-auth"})),
        )
        .expect(1)
        .mount(&kong)
        .await;
    Mock::given(method("POST"))
        .and(path("/plugins"))
        .and(body_partial_json(json!({"name": "gluu-oauth-pep"})))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "code": 2, "name": "schema violation", "message": "schema violation (config.deny_by_default: expected a boolean)",
            "fields": {"config": {"deny_by_default": "expected a boolean"}}})))
        .expect(1)
        .mount(&kong)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/plugins/auth-1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&kong)
        .await;
    let g = gui(config(&kong.uri(), &oxd.uri(), &op.uri())).await;
    let a = Agent::new(&g);
    a.login().await;
    let form = oauth_form(&a).await;
    let failed = submit_tutorial(&a, &form).await;
    assert_eq!(failed.status, 422, "{}", failed.body);
    let message = failed.text("#form-error").unwrap();
    assert!(
        message.contains("Adding gluu-oauth-pep failed"),
        "{message}"
    );
    assert!(message.contains("schema violation"), "{message}");
    assert!(message.contains("Nothing was changed"), "{message}");
    assert_eq!(
        failed.field_error("deny_by_default").as_deref(),
        Some("expected a boolean")
    );
    // The expectations (one DELETE of the plugin, one remove-site, one OP DELETE) are checked
    // when the mocks drop.
}

#[tokio::test]
async fn what_could_not_be_undone_is_named() {
    let op = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/register"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&op)
        .await;
    let oxd = oxd_registering(&op).await;
    Mock::given(method("POST"))
        .and(path("/remove-site"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"oxd_id": "site-1"})))
        .mount(&oxd)
        .await;
    let kong = kong_with_service().await;
    Mock::given(method("POST"))
        .and(path("/plugins"))
        .and(body_partial_json(json!({"name": "gluu-oauth-auth"})))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"id": "auth-1", "name": "gluu-oauth-auth"})),
        )
        .mount(&kong)
        .await;
    Mock::given(method("POST"))
        .and(path("/plugins"))
        .and(body_partial_json(json!({"name": "gluu-oauth-pep"})))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream down"))
        .mount(&kong)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/plugins/auth-1"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"message": "An unexpected error occurred"})),
        )
        .mount(&kong)
        .await;
    let g = gui(config(&kong.uri(), &oxd.uri(), &op.uri())).await;
    let a = Agent::new(&g);
    a.login().await;
    let form = oauth_form(&a).await;
    let failed = submit_tutorial(&a, &form).await;
    let message = failed.text("#form-error").unwrap();
    assert!(message.contains("503 upstream down"), "{message}");
    assert!(message.contains("still exist"), "{message}");
    assert!(message.contains("plugin auth-1"), "{message}");
    assert!(message.contains("OP client client-1"), "{message}");
    assert!(
        !message.contains("oxd site site-1"),
        "the site was removed: {message}"
    );
}

#[tokio::test]
async fn a_failed_registration_creates_no_plugin() {
    let op = MockServer::start().await;
    let oxd = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/register-site"))
        .respond_with(ResponseTemplate::new(500).set_body_json(
            json!({"error": "internal_error", "error_description": "OP unreachable"}),
        ))
        .mount(&oxd)
        .await;
    let kong = kong_with_service().await;
    Mock::given(method("POST"))
        .and(path("/plugins"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "x"})))
        .expect(0)
        .mount(&kong)
        .await;
    let g = gui(config(&kong.uri(), &oxd.uri(), &op.uri())).await;
    let a = Agent::new(&g);
    a.login().await;
    let form = oauth_form(&a).await;
    let failed = submit_tutorial(&a, &form).await;
    let message = failed.text("#form-error").unwrap();
    assert!(
        message.contains("internal_error: OP unreachable"),
        "{message}"
    );
    assert!(message.contains("Nothing was changed"), "{message}");
}

#[tokio::test]
async fn admin_api_errors_are_shown_never_swallowed() {
    let kong = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/services"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"message": "An unexpected error occurred"})),
        )
        .mount(&kong)
        .await;
    let g = gui(config(
        &kong.uri(),
        "http://127.0.0.1:9",
        "http://127.0.0.1:9",
    ))
    .await;
    let a = Agent::new(&g);
    a.login().await;
    let p = a.get("/services").await;
    assert_eq!(p.status, 502);
    assert!(
        p.body.contains("500 An unexpected error occurred"),
        "{}",
        p.body
    );
    // An unreachable Admin API is named too.
    let g2 = gui(config(
        "http://127.0.0.1:9",
        "http://127.0.0.1:9",
        "http://127.0.0.1:9",
    ))
    .await;
    let b = Agent::new(&g2);
    b.login().await;
    let p = b.get("/consumers").await;
    assert_eq!(p.status, 502);
    assert!(
        p.body.contains("did not answer GET &#x2f;consumers"),
        "{}",
        p.body
    );
}

#[tokio::test]
async fn every_value_from_the_admin_api_is_shown_as_text() {
    let kong = MockServer::start().await;
    let evil = "<script>alert(1)</script>";
    Mock::given(method("GET"))
        .and(path("/services"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{"id": "\"><img src=x onerror=alert(1)>", "name": evil, "host": "h<b>", "port": 80, "protocol": "http", "tags": [evil]}], "next": null})))
        .mount(&kong)
        .await;
    Mock::given(method("GET"))
        .and(path("/plugins"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [], "next": null})))
        .mount(&kong)
        .await;
    Mock::given(method("GET"))
        .and(path("/consumers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": [{"id": "c", "username": evil, "custom_id": evil}], "next": null}),
        ))
        .mount(&kong)
        .await;
    let g = gui(config(
        &kong.uri(),
        "http://127.0.0.1:9",
        "http://127.0.0.1:9",
    ))
    .await;
    let a = Agent::new(&g);
    a.login().await;
    for page in ["/services", "/consumers"] {
        let p = a.get(page).await;
        assert_eq!(p.status, 200, "{}", p.body);
        assert!(!p.body.contains("<script>alert"), "{page}: {}", p.body);
        assert!(!p.body.contains("<img"), "{page}: {}", p.body);
        assert!(
            p.body
                .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
            "{page}: {}",
            p.body
        );
        let sel = scraper::Selector::parse("table.list td").unwrap();
        let html = p.html();
        let cell = html.select(&sel).next().unwrap().text().collect::<String>();
        assert!(cell.contains(evil), "{page}: shown as text: {cell}");
    }
    // A value typed into a form comes back escaped in its field.
    let form = a.get("/services/new").await;
    let again = a
        .submit(
            &form,
            "service-form",
            &[("name", evil), ("url", "\"><script>x</script>")],
            "save",
        )
        .await;
    assert_eq!(again.status, 422);
    assert!(!again.body.contains("<script>"), "{}", again.body);
    let fields = again.form_fields("service-form");
    assert!(fields.contains(&("name".into(), evil.into())), "{fields:?}");
}

#[tokio::test]
async fn the_generic_form_follows_the_admin_api_schema_or_falls_back_to_json() {
    let kong = kong_with_service().await;
    Mock::given(method("GET"))
        .and(path("/schemas/plugins/acl"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"fields": [
            {"protocols": {"type": "set"}},
            {"config": {"type": "record", "fields": [
                {"allow": {"type": "array", "elements": {"type": "string"}}},
                {"deny": {"type": "array", "elements": {"type": "string"}}},
                {"hide_groups_header": {"type": "boolean", "default": false, "required": true}},
                {"mode": {"type": "string", "one_of": ["a", "b"]}},
                {"limit": {"type": "integer"}}
            ]}}
        ]})))
        .mount(&kong)
        .await;
    Mock::given(method("POST"))
        .and(path("/plugins"))
        .and(body_partial_json(
            json!({"name": "acl", "service": {"id": "svc"},
            "config": {"allow": ["gold", "silver"], "hide_groups_header": true, "limit": 5}}),
        ))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"id": "acl-1", "name": "acl"})),
        )
        .expect(1)
        .mount(&kong)
        .await;
    Mock::given(method("POST"))
        .and(path("/plugins"))
        .and(body_partial_json(
            json!({"name": "oauth2", "config": {"scopes": ["email"]}}),
        ))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"id": "o-1", "name": "oauth2"})),
        )
        .expect(1)
        .mount(&kong)
        .await;
    let g = gui(config(
        &kong.uri(),
        "http://127.0.0.1:9",
        "http://127.0.0.1:9",
    ))
    .await;
    let a = Agent::new(&g);
    a.login().await;
    let form = a.get("/services/svc/plugins/add/acl").await;
    assert!(form.body.contains("id=\"f-config.allow\""), "{}", form.body);
    let bad = a
        .submit(&form, "plugin-form", &[("config.limit", "many")], "save")
        .await;
    assert_eq!(
        bad.field_error("config.limit").as_deref(),
        Some("Expected a number.")
    );
    let one = a
        .submit(
            &form,
            "plugin-form",
            &[("config.allow.new", "gold")],
            "refresh",
        )
        .await;
    let done = a
        .submit(
            &one,
            "plugin-form",
            &[
                ("config.allow.new", "silver"),
                ("config.hide_groups_header", "on"),
                ("config.limit", "5"),
            ],
            "save",
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    // No schema endpoint (404): the config is edited as JSON.
    let json_form = a.get("/services/svc/plugins/add/oauth2").await;
    assert!(
        json_form.body.contains("publishes no schema"),
        "{}",
        json_form.body
    );
    let bad = a
        .submit(&json_form, "plugin-form", &[("config_json", "[1]")], "save")
        .await;
    assert!(bad.field_error("config_json").is_some());
    let done = a
        .submit(
            &json_form,
            "plugin-form",
            &[("config_json", r#"{"scopes": ["email"]}"#)],
            "save",
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
}
