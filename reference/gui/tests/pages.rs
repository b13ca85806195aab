//! The GUI against the reference gateway, oxd and OP: every page through HTTP as a browser
//! without JavaScript uses it.

mod common;

use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn every_page_needs_a_login_and_a_wrong_password_is_refused() {
    let s = stack().await;
    let g = gui(s.config()).await;
    let a = Agent::new(&g);
    for path in [
        "/",
        "/services",
        "/services/new",
        "/routes",
        "/consumers",
        "/plugins",
        "/plugins/add",
    ] {
        let p = a.get(path).await;
        assert_eq!(p.status, 303, "{path}");
        assert!(
            p.location.as_deref().unwrap().starts_with("/login"),
            "{path}: {:?}",
            p.location
        );
    }
    let p = a.get("/services/new").await;
    assert_eq!(p.location.as_deref(), Some("/login?next=%2Fservices%2Fnew"));
    let fresh = Agent::new(&g).get("/").await;
    // The session cookie: sealed, HttpOnly, SameSite=Strict.
    let cookie = fresh.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let form = a.get("/login").await;
    let wrong = a
        .submit(
            &form,
            "loginForm",
            &[("username", USER), ("password", "nope")],
            "",
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert_eq!(
        wrong.text("#login-error").as_deref(),
        Some("Wrong username or password.")
    );
    let unknown = a
        .submit(
            &form,
            "loginForm",
            &[("username", "root"), ("password", PASSWORD)],
            "",
        )
        .await;
    assert_eq!(unknown.status, 422);
    assert_eq!(a.get("/services").await.status, 303, "still logged out");
    let dash = a.login().await;
    assert_eq!(dash.status, 200);
    assert!(dash.body.contains("Welcome to kong"), "{}", dash.body);
    // After logout the pages are closed again.
    let logout = a.submit(&dash, "logout-form", &[], "").await;
    assert_eq!(logout.location.as_deref(), Some("/login"));
    assert_eq!(a.get("/services").await.status, 303);
}

#[tokio::test]
async fn a_form_without_the_session_csrf_token_changes_nothing() {
    let s = stack().await;
    let g = gui(s.config()).await;
    let a = Agent::new(&g);
    a.login().await;
    let form = a.get("/services/new").await;
    let mut fields = form.form_fields("service-form");
    fields.retain(|(k, _)| k != "csrf_token");
    fields.extend([
        ("name".into(), "forged".into()),
        ("url".into(), "http://localhost:3000".into()),
        ("op".into(), "save".into()),
    ]);
    let refused = a.post("/services", &fields).await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("CSRF"), "{}", refused.body);
    fields.push(("csrf_token".into(), "not-the-token".into()));
    assert_eq!(a.post("/services", &fields).await.status, 403);
    // Another session's token is no good either.
    let b = Agent::new(&g);
    let other = b.login().await;
    let theirs = other.form_fields("logout-form");
    let mut with_theirs = fields.clone();
    with_theirs.retain(|(k, _)| k != "csrf_token");
    with_theirs.extend(theirs.into_iter().filter(|(k, _)| k == "csrf_token"));
    assert_eq!(a.post("/services", &with_theirs).await.status, 403);
    assert_eq!(s.admin_get("/services").await["data"], json!([]));
    // Logging in needs the token as well (no login CSRF).
    let c = Agent::new(&g);
    let login = c
        .post(
            "/login",
            &[
                ("username".into(), USER.into()),
                ("password".into(), PASSWORD.into()),
            ],
        )
        .await;
    assert_eq!(login.status, 403);
}

#[tokio::test]
async fn services_routes_and_their_validation_errors() {
    let s = stack().await;
    let g = gui(s.config()).await;
    let a = Agent::new(&g);
    a.login().await;
    let form = a.get("/services/new").await;
    let bad = a
        .submit(
            &form,
            "service-form",
            &[("name", "has space"), ("url", "localhost:4400")],
            "save",
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.field_error("name").unwrap().contains("no spaces"));
    assert!(
        bad.field_error("url").unwrap().contains("http"),
        "{:?}",
        bad.field_error("url")
    );
    let empty = a.submit(&form, "service-form", &[], "save").await;
    assert!(empty.field_error("name").is_some() && empty.field_error("url").is_some());

    let created = a
        .submit(
            &form,
            "service-form",
            &[
                ("name", "oidc-steppedup-demo"),
                ("url", "http://localhost:4400"),
            ],
            "save",
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let page = a.follow(&created).await;
    assert!(
        page.body.contains("Service oidc-steppedup-demo created."),
        "{}",
        page.body
    );
    let services = s.admin_get("/services").await;
    assert_eq!(services["data"][0]["name"], "oidc-steppedup-demo");
    assert_eq!(services["data"][0]["port"], 4400);
    // The same name again: Kong's unique violation is shown next to the field.
    let dup = a
        .submit(
            &form,
            "service-form",
            &[
                ("name", "oidc-steppedup-demo"),
                ("url", "http://localhost:4400"),
            ],
            "save",
        )
        .await;
    assert_eq!(dup.status, 422);
    assert!(
        dup.text("#form-error").unwrap().contains("409"),
        "{}",
        dup.body
    );
    assert!(dup.field_error("name").is_some(), "{}", dup.body);

    let sid = services["data"][0]["id"].as_str().unwrap().to_owned();
    // + ADD ROUTE: a host typed and accepted with Enter (the form's first button), then saved.
    let route_form = a.get(&format!("/services/{sid}/routes/new")).await;
    let accepted = a
        .submit(
            &route_form,
            "route-form",
            &[
                ("name", "oidc-steppedup-demo"),
                ("hosts.new", "dev1.gluu.org"),
            ],
            "refresh",
        )
        .await;
    assert_eq!(accepted.status, 422);
    let chips: Vec<_> = accepted
        .form_fields("route-form")
        .into_iter()
        .filter(|(k, _)| k == "hosts")
        .collect();
    assert_eq!(
        chips,
        vec![("hosts".to_owned(), "dev1.gluu.org".to_owned())]
    );
    let no_criteria = a
        .submit(&route_form, "route-form", &[("name", "r")], "save")
        .await;
    assert!(no_criteria
        .field_error("hosts")
        .unwrap()
        .contains("at least one"));
    let bad_path = a
        .submit(&route_form, "route-form", &[("paths.new", "api")], "save")
        .await;
    assert!(bad_path
        .field_error("paths")
        .unwrap()
        .contains("starts with /"));
    let saved = a.submit(&accepted, "route-form", &[], "save").await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let routes = s.admin_get("/routes").await;
    assert_eq!(routes["data"][0]["hosts"], json!(["dev1.gluu.org"]));
    assert_eq!(routes["data"][0]["strip_path"], true);
    assert_eq!(routes["data"][0]["preserve_host"], false);
    let list = a.get("/routes").await;
    assert!(list.body.contains("dev1.gluu.org"));

    // Deleting a service with routes: Kong refuses and the GUI says so.
    let confirm = a.get(&format!("/services/{sid}/delete")).await;
    let refused = a.submit(&confirm, "confirm-form", &[], "").await;
    let shown = a.follow(&refused).await;
    assert!(
        shown.body.contains("foreign key") || shown.body.contains("routes"),
        "{}",
        shown.body
    );
    assert_eq!(
        s.admin_get("/services").await["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn create_client_registers_through_oxd_and_create_consumer_maps_it() {
    let s = stack().await;
    let g = gui(s.config()).await;
    let a = Agent::new(&g);
    a.login().await;
    let form = a.get("/consumers/clients/new").await;
    let missing = a
        .submit(&form, "client-form", &[("client_id", "only-id")], "save")
        .await;
    assert_eq!(missing.status, 422);
    assert!(missing.field_error("client_name").is_some());
    assert!(missing.field_error("client_secret").is_some());
    let bad_regex = a
        .submit(
            &form,
            "client-form",
            &[
                ("client_name", "c"),
                ("spontaneous_scopes.new", "^(transactions"),
            ],
            "save",
        )
        .await;
    assert!(bad_regex.field_error("spontaneous_scopes").is_some());

    let created = a
        .submit(
            &form,
            "client-form",
            &[
                ("client_name", "consumer_op_client"),
                ("spontaneous_scopes.new", "^transactions:.+$"),
            ],
            "save",
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let client_id = created.text("#client_id").unwrap();
    let secret = created.text("#client_secret").unwrap();
    assert_eq!(
        created.text("#spontaneous_scopes").as_deref(),
        Some("^transactions:.+$")
    );
    // The client really exists: it gets a spontaneous transactions:123 token from oxd.
    let token: Value = reqwest::Client::new()
        .post(format!("{}/get-client-token", s.oxd.url()))
        .json(&json!({"client_id": client_id, "client_secret": secret, "op_host": s.op.issuer(), "scope": ["transactions:123"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        token["scope"].to_string().contains("transactions:123"),
        "{token}"
    );

    let consumer_link = {
        let html = created.html();
        let sel = scraper::Selector::parse("a.button.primary").unwrap();
        html.select(&sel)
            .next()
            .unwrap()
            .value()
            .attr("href")
            .unwrap()
            .to_owned()
    };
    let cform = a.get(&consumer_link).await;
    let fields = cform.form_fields("consumer-form");
    assert!(
        fields.contains(&("custom_id".into(), client_id.clone())),
        "{fields:?}"
    );
    let empty = a
        .submit(
            &cform,
            "consumer-form",
            &[("username", ""), ("custom_id", "")],
            "save",
        )
        .await;
    assert!(empty.field_error("username").is_some());
    let done = a.submit(&cform, "consumer-form", &[], "save").await;
    assert_eq!(done.status, 303, "{}", done.body);
    let consumers = s.admin_get("/consumers").await;
    assert_eq!(consumers["data"][0]["custom_id"], client_id.as_str());
    assert_eq!(consumers["data"][0]["username"], "consumer_op_client");
}

fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn gluu_oauth_auth_and_pep_with_the_expression_builder() {
    let s = stack().await;
    let g = gui(s.config()).await;
    let a = Agent::new(&g);
    a.login().await;
    let svc = s
        .admin_post(
            "/services",
            json!({"name": "oauth-demo", "url": "http://localhost:3000"}),
        )
        .await;
    let sid = svc["id"].as_str().unwrap();
    let catalog = a.get(&format!("/services/{sid}/plugins/add")).await;
    assert!(catalog.body.contains("Gluu OAuth Auth &amp; PEP"));
    let form = a
        .get(&format!("/services/{sid}/plugins/add/gluu-oauth-auth-pep"))
        .await;
    assert_eq!(form.status, 200, "{}", form.body);
    // + ADD PATH posts back and renders path 1 with one condition.
    let with_path = a.submit(&form, "plugin-form", &[], "add-path:scope").await;
    assert!(
        with_path.body.contains("id=\"f-scope.0.path\""),
        "{}",
        with_path.body
    );
    // A second path with the same text: GG's message next to the second path.
    let two = a
        .submit(
            &with_path,
            "plugin-form",
            &[("scope.0.path", "/transactions/?")],
            "add-path:scope",
        )
        .await;
    let dup = a
        .submit(
            &two,
            "plugin-form",
            &[
                ("scope.1.path", "/transactions/?"),
                ("scope.0.0.methods", "GET"),
                ("scope.1.0.methods", "GET"),
                ("scope.0.0.g.new", "a"),
                ("scope.1.0.g.new", "b"),
            ],
            "save",
        )
        .await;
    assert_eq!(dup.status, 422);
    assert_eq!(
        dup.field_error("scope.1.path").as_deref(),
        Some("Duplicate path in expression"),
        "{}",
        dup.body
    );
    // No method ticked: GG's message next to the methods.
    let no_method = a
        .submit(
            &with_path,
            "plugin-form",
            &[
                ("scope.0.path", "/transactions/?"),
                ("scope.0.0.g.new", "^transactions:.+$"),
            ],
            "save",
        )
        .await;
    assert_eq!(
        no_method.field_error("scope.0.0.methods").as_deref(),
        Some("HTTP Methods are missing or empty from condition in expression")
    );
    assert!(s.admin_get("/plugins").await["data"]
        .as_array()
        .unwrap()
        .is_empty());
    // The tutorial's expression.
    let mut fields = with_path.form_fields("plugin-form");
    fields.retain(|(k, _)| k != "scope.0.path" && k != "scope.0.0.g.new");
    for (k, v) in [
        ("scope.0.path", "/transactions/?"),
        ("scope.0.0.methods", "GET"),
        ("scope.0.0.methods", "POST"),
        ("scope.0.0.methods", "PUT"),
        ("scope.0.0.g.new", "^transactions:.+$"),
        ("op", "save"),
    ] {
        fields.push((k.into(), v.into()));
    }
    let saved = a.post(&with_path.form_action("plugin-form"), &fields).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let shown = a.follow(&saved).await;
    assert!(
        shown.body.contains("Gluu OAuth Auth &amp; PEP added"),
        "{}",
        shown.body
    );
    let plugins = s.admin_get("/plugins").await;
    let mut names = ids(&plugins);
    names.sort();
    assert_eq!(names, ["gluu-oauth-auth", "gluu-oauth-pep"]);
    let pep = plugins["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "gluu-oauth-pep")
        .unwrap();
    let text = pep["config"]["oauth_scope_expression"].clone();
    let doc: Value = match &text {
        Value::String(s) => serde_json::from_str(s).unwrap(),
        other => other.clone(),
    };
    assert_eq!(
        doc,
        json!([{"path": "/transactions/?", "conditions": [{"httpMethods": ["GET", "POST", "PUT"],
            "scope_expression": {"rule": {"and": [{"var": 0}]}, "data": ["^transactions:.+$"]}}]}])
    );
    assert_eq!(pep["service"]["id"], sid);
    // The plugins' OP client was registered through oxd: its site answers protection tokens.
    let oxd_id = pep["config"]["oxd_id"].as_str().unwrap();
    assert!(!oxd_id.is_empty());
}

#[tokio::test]
async fn an_existing_expression_loads_back_unchanged_and_lint_warnings_are_shown() {
    let s = stack().await;
    let g = gui(s.config()).await;
    let a = Agent::new(&g);
    a.login().await;
    let svc = s
        .admin_post(
            "/services",
            json!({"name": "api", "url": "http://localhost:3000"}),
        )
        .await;
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/policy/transactions.json"
        ))
        .unwrap(),
    )
    .unwrap();
    // The fixture's /status rule has no scope expression, which the gateway refuses; drop it.
    let mut doc = fixture.clone();
    doc.as_array_mut().unwrap().pop();
    let common = json!({"oxd_id": "o", "client_id": "c", "client_secret": "s", "op_url": s.op.issuer(), "oxd_url": s.oxd.url()});
    let mut pep_cfg = common.clone();
    pep_cfg["oauth_scope_expression"] = json!(doc.to_string());
    s.admin_post(
        "/plugins",
        json!({"name": "gluu-oauth-auth", "config": common, "service": {"id": svc["id"]}}),
    )
    .await;
    let pep = s
        .admin_post(
            "/plugins",
            json!({"name": "gluu-oauth-pep", "config": pep_cfg, "service": {"id": svc["id"]}}),
        )
        .await;
    let edit = a
        .get(&format!("/plugins/{}", pep["id"].as_str().unwrap()))
        .await;
    assert_eq!(edit.status, 200, "{}", edit.body);
    assert!(
        !edit.body.contains("Shown as JSON"),
        "the builder shows it: {}",
        edit.body
    );
    let saved = a.submit(&edit, "plugin-form", &[], "save").await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let after = s
        .admin_get(&format!("/plugins/{}", pep["id"].as_str().unwrap()))
        .await;
    let text = after["config"]["oauth_scope_expression"].as_str().unwrap();
    assert_eq!(serde_json::from_str::<Value>(text).unwrap(), doc);

    // A rule the no-backtracking matcher shadows: policy check's warning is on the form.
    let form = a
        .get(&format!(
            "/services/{}/plugins/add/gluu-oauth-auth-pep",
            svc["id"].as_str().unwrap()
        ))
        .await;
    let json_mode = a.submit(&form, "plugin-form", &[], "json-mode:scope").await;
    let shadowed = json!([
        {"path": "/a/?/c", "conditions": [{"httpMethods": ["GET"], "scope_expression": {"rule": {"and": [{"var": 0}]}, "data": ["x"]}}]},
        {"path": "/a/b/d", "conditions": [{"httpMethods": ["GET"], "scope_expression": {"rule": {"and": [{"var": 0}]}, "data": ["y"]}}]},
        {"path": "/a/{b|z}/c", "conditions": [{"httpMethods": ["GET"], "scope_expression": {"rule": {"and": [{"var": 0}]}, "data": ["z"]}}]}
    ]);
    let shown = a
        .submit(
            &json_mode,
            "plugin-form",
            &[("scope_json", &shadowed.to_string())],
            "builder-mode:scope",
        )
        .await;
    assert!(shown.text("#scope-lints").is_some(), "{}", shown.body);
    // Invalid JSON in the JSON editor: the message is next to it.
    let bad = a
        .submit(&json_mode, "plugin-form", &[("scope_json", "[{")], "save")
        .await;
    assert!(bad
        .field_error("scope_json")
        .unwrap()
        .starts_with("Invalid JSON in expression"));
}

#[tokio::test]
async fn gluu_oidc_registers_the_client_with_redirect_uris_from_the_proxy_url() {
    let s = stack().await;
    let mut cfg = s.config();
    cfg.proxy_url = Some(url::Url::parse(&s.gateway.proxy_url()).unwrap());
    let g = gui(cfg).await;
    let a = Agent::new(&g);
    a.login().await;
    let svc = s
        .admin_post(
            "/services",
            json!({"name": "web", "url": "http://localhost:4400"}),
        )
        .await;
    let route = s
        .admin_post(
            &format!("/services/{}/routes", svc["id"].as_str().unwrap()),
            json!({"name": "web", "paths": ["/"]}),
        )
        .await;
    let rid = route["id"].as_str().unwrap();
    let form = a
        .get(&format!("/routes/{rid}/plugins/add/gluu-openid-connect"))
        .await;
    assert_eq!(form.status, 200, "{}", form.body);
    let p1 = a.submit(&form, "plugin-form", &[], "add-path:acr").await;
    let p2 = a
        .submit(
            &p1,
            "plugin-form",
            &[
                ("acr.0.path", "/payments/??"),
                ("acr.0.0.methods", "?"),
                ("acr.0.0.acrs.new", "otp"),
            ],
            "add-path:acr",
        )
        .await;
    let no_acr = a
        .submit(
            &p2,
            "plugin-form",
            &[("acr.1.path", "/??"), ("acr.1.0.methods", "?")],
            "save",
        )
        .await;
    assert_eq!(
        no_acr.field_error("acr.1.0.acrs").as_deref(),
        Some("Add an ACR value, or tick no_auth")
    );
    let bad_age = a
        .submit(
            &p2,
            "plugin-form",
            &[
                ("acr.1.path", "/??"),
                ("acr.1.0.methods", "?"),
                ("acr.1.0.acrs.new", "auth_ldap_server"),
                ("max_id_token_age", "soon"),
            ],
            "save",
        )
        .await;
    assert!(bad_age.field_error("max_id_token_age").is_some());
    let saved = a
        .submit(
            &p2,
            "plugin-form",
            &[
                ("acr.1.path", "/??"),
                ("acr.1.0.methods", "?"),
                ("acr.1.0.acrs.new", "auth_ldap_server"),
            ],
            "save",
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let plugins = s.admin_get("/plugins").await;
    let p = &plugins["data"][0];
    assert_eq!(p["name"], "gluu-openid-connect");
    assert_eq!(p["route"]["id"], rid);
    let doc: Value =
        serde_json::from_str(p["config"]["required_acrs_expression"].as_str().unwrap()).unwrap();
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/policy/steppedup-acrs.json"
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(doc, fixture);
    // The client oxd registered redirects to the proxy's /callback.
    let auth: Value = {
        let token: Value = reqwest::Client::new()
            .post(format!("{}/get-client-token", s.oxd.url()))
            .json(&json!({"client_id": p["config"]["client_id"], "client_secret": p["config"]["client_secret"], "op_host": s.op.issuer(), "scope": ["openid", "oxd"]}))
            .send().await.unwrap().json().await.unwrap();
        reqwest::Client::new()
            .post(format!("{}/get-authorization-url", s.oxd.url()))
            .bearer_auth(token["access_token"].as_str().unwrap())
            .json(&json!({"oxd_id": p["config"]["oxd_id"]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    let url = auth["authorization_url"].as_str().unwrap();
    let expected = format!(
        "redirect_uri={}",
        url::form_urlencoded::byte_serialize(
            format!("{}/callback", s.gateway.proxy_url()).as_bytes()
        )
        .collect::<String>()
    );
    assert!(url.contains(&expected), "{url}");
}
