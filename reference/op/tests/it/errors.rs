//! Every client mistake gets the error code its standard names, and never a 500.

use serde_json::Value;

use crate::common::*;

#[tokio::test]
async fn untrusted_client_or_redirect_uri_get_an_error_page_never_a_redirect() {
    let op = TestOp::start().await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (demo_params(&[("client_id", "unknown")]), "invalid_client"),
        (
            demo_params(&[("redirect_uri", "https://evil.example/cb")]),
            "invalid_request_redirect_uri",
        ),
        (
            demo_params(&[("redirect_uri", "http://localhost:4400/callback?x=1")]),
            "invalid_request_redirect_uri",
        ),
        (
            vec![
                ("response_type", "code"),
                ("client_id", "demo-rp"),
                ("scope", "openid"),
            ],
            "invalid_request_redirect_uri", // two registered URIs, none given
        ),
        (vec![("response_type", "code")], "invalid_client"),
    ];
    for (params, error) in cases {
        let response = http()
            .get(authorize_url(&op, &params))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{params:?}");
        let page = Page {
            status: 400,
            url: String::new(),
            html: response.text().await.unwrap(),
        };
        assert_eq!(
            page.text_of("#error_code").as_deref(),
            Some(error),
            "{params:?}"
        );
    }
    // Repeated parameters.
    let url = format!(
        "{}&client_id=demo-rp",
        authorize_url(&op, &demo_params(&[]))
    );
    let response = http().get(url).send().await.unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn request_errors_are_redirected_with_state() {
    let mut config = fixture_config();
    let mut spa = config.clients[0].clone();
    spa.client_id = "spa".into();
    spa.token_endpoint_auth_method = gatecheck_op::protocol::TokenEndpointAuthMethod::None;
    spa.client_secret = None;
    config.clients.push(spa);
    let op = TestOp::with_config(config).await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (demo_params(&[("response_type", "")]), "invalid_request"),
        (
            demo_params(&[("response_type", "code code")]),
            "unsupported_response_type",
        ),
        (
            demo_params(&[("response_type", "none")]),
            "unsupported_response_type",
        ),
        // demo-rp has no implicit grant
        (
            demo_params(&[("response_type", "token")]),
            "unauthorized_client",
        ),
        (
            demo_params(&[("response_type", "code id_token")]),
            "unauthorized_client",
        ),
        (
            demo_params(&[("response_mode", "web_message")]),
            "invalid_request",
        ),
        // Request objects are read (tests/it/request_objects.rs); one that cannot be is an
        // error at the query's redirect URI with the query's state.
        (
            demo_params(&[("request", "not-a-jwt")]),
            "invalid_request_object",
        ),
        (
            // alg none with a signature is not an unsigned object.
            demo_params(&[("request", "eyJhbGciOiJub25lIn0.e30.c2ln")]),
            "invalid_request_object",
        ),
        (
            // Nothing listens on port 1.
            demo_params(&[("request_uri", "http://127.0.0.1:1/req")]),
            "invalid_request_uri",
        ),
        (
            demo_params(&[
                ("request", "eyJhbGciOiJub25lIn0.e30."),
                ("request_uri", "http://127.0.0.1:1/req"),
            ]),
            "invalid_request",
        ),
        (demo_params(&[("prompt", "none login")]), "invalid_request"),
        (demo_params(&[("prompt", "sometimes")]), "invalid_request"),
        (demo_params(&[("max_age", "-1")]), "invalid_request"),
        (demo_params(&[("max_age", "soon")]), "invalid_request"),
        (
            demo_params(&[("scope", "nothing allowed")]),
            "invalid_scope",
        ),
        (demo_params(&[("scope", "")]), "invalid_scope"),
        (demo_params(&[("prompt", "none")]), "login_required"),
        (
            demo_params(&[("id_token_hint", "not.a.jwt")]),
            "invalid_request",
        ),
        // public client without PKCE
        (demo_params(&[("client_id", "spa")]), "invalid_request"),
        (
            demo_params(&[
                ("code_challenge", "short"),
                ("code_challenge_method", "S256"),
            ]),
            "invalid_request",
        ),
        (
            demo_params(&[
                (
                    "code_challenge",
                    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                ),
                ("code_challenge_method", "S512"),
            ]),
            "invalid_request",
        ),
        (
            demo_params(&[("code_challenge_method", "S256")]),
            "invalid_request",
        ),
    ];
    for (params, error) in cases {
        let response = http()
            .get(authorize_url(&op, &params))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302, "{params:?}");
        let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
        assert!(location.as_str().starts_with(RP_CALLBACK));
        assert_eq!(
            response_param(&location, "error").as_deref(),
            Some(error),
            "{params:?}"
        );
        assert_eq!(response_param(&location, "state").as_deref(), Some("st-1"));
        assert!(response_param(&location, "error_description").is_some());
        assert!(response_param(&location, "code").is_none());
    }
}

#[tokio::test]
async fn prompt_none_without_consent_is_consent_required() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    code_via_login(&op, &agent, &[]).await;
    // Consent was for "openid profile email"; phone-less but adding offline_access needs consent.
    let location = agent
        .open(&authorize_url(
            &op,
            &demo_params(&[("prompt", "none"), ("scope", "openid offline_access")]),
        ))
        .await
        .left();
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("consent_required")
    );
}

#[tokio::test]
async fn token_endpoint_errors() {
    let op = TestOp::start().await;
    let post = |auth: Option<(&str, &str)>, form: Vec<(&str, &str)>| {
        let url = op.url("/oxauth/restv1/token");
        let auth = auth.map(|(a, b)| (a.to_owned(), b.to_owned()));
        let form: Vec<(String, String)> = form
            .into_iter()
            .map(|(a, b)| (a.into(), b.into()))
            .collect();
        async move {
            let mut request = http().post(url).form(&form);
            if let Some((id, secret)) = auth {
                request = request.basic_auth(id, Some(secret));
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let www = response.headers().get("www-authenticate").is_some();
            let cache = response
                .headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap().to_owned());
            let body: Value = response.json().await.unwrap();
            (
                status,
                body["error"].as_str().unwrap_or_default().to_owned(),
                www,
                cache,
            )
        }
    };
    let cases = vec![
        (post(Some(API), vec![]).await, 400, "invalid_request"),
        (
            post(Some(API), vec![("grant_type", "implicit")]).await,
            400,
            "unsupported_grant_type",
        ),
        (
            post(
                Some(API),
                vec![("grant_type", "urn:ietf:params:oauth:grant-type:device_code")],
            )
            .await,
            400,
            "unsupported_grant_type",
        ),
        (
            post(
                Some(API),
                vec![("grant_type", "authorization_code"), ("code", "x")],
            )
            .await,
            400,
            "unauthorized_client",
        ),
        (
            post(Some(DEMO), vec![("grant_type", "client_credentials")]).await,
            400,
            "unauthorized_client",
        ),
        (
            post(
                Some(("api-consumer", "wrong")),
                vec![("grant_type", "client_credentials")],
            )
            .await,
            401,
            "invalid_client",
        ),
        (
            post(
                Some(("nobody", "x")),
                vec![("grant_type", "client_credentials")],
            )
            .await,
            401,
            "invalid_client",
        ),
        (
            post(None, vec![("grant_type", "client_credentials")]).await,
            401,
            "invalid_client",
        ),
        (
            post(
                None,
                vec![
                    ("grant_type", "client_credentials"),
                    ("client_id", "api-consumer"),
                ],
            )
            .await,
            401,
            "invalid_client",
        ),
        (
            post(
                None,
                vec![
                    ("grant_type", "client_credentials"),
                    ("client_id", "api-consumer"),
                    ("client_secret", "api-consumer-secret"),
                ],
            )
            .await,
            200,
            "",
        ),
        (
            post(
                Some(API),
                vec![
                    ("grant_type", "client_credentials"),
                    ("client_secret", "api-consumer-secret"),
                ],
            )
            .await,
            400,
            "invalid_request",
        ),
        (
            post(Some(DEMO), vec![("grant_type", "refresh_token")]).await,
            400,
            "invalid_request",
        ),
        (
            post(
                Some(DEMO),
                vec![("grant_type", "refresh_token"), ("refresh_token", "x")],
            )
            .await,
            400,
            "invalid_grant",
        ),
    ];
    for ((status, error, www, cache), want_status, want_error) in cases {
        assert_eq!((status, error.as_str()), (want_status, want_error));
        assert_eq!(cache.as_deref(), Some("no-store"));
        if want_status == 401 {
            assert!(www, "invalid_client carries WWW-Authenticate");
        }
    }
}

#[tokio::test]
async fn disabled_clients_are_refused_everywhere() {
    let mut config = fixture_config();
    config.clients[1].disabled = true; // api-consumer
    config.clients[0].disabled = true; // demo-rp
    let op = TestOp::with_config(config).await;
    let (status, body, _) = token_request(&op, API, &[("grant_type", "client_credentials")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let response = http()
        .get(authorize_url(&op, &demo_params(&[])))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn introspection_errors() {
    let op = TestOp::start().await;
    let (_, token, _) = token_request(&op, API, &[("grant_type", "client_credentials")]).await;
    let token = token["access_token"].as_str().unwrap();
    let no_auth = http()
        .post(op.url("/oxauth/restv1/introspection"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(no_auth.status(), 400);
    assert_eq!(
        no_auth.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
    let bad_creds = http()
        .post(op.url("/oxauth/restv1/introspection"))
        .basic_auth("api-consumer", Some("wrong"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_creds.status(), 401);
    assert_eq!(
        bad_creds.json::<Value>().await.unwrap()["error"],
        "access_denied"
    );
    let bad_bearer = http()
        .post(op.url("/oxauth/restv1/introspection"))
        .bearer_auth("bogus")
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_bearer.status(), 401);
    let no_token = http()
        .post(op.url("/oxauth/restv1/introspection"))
        .basic_auth(API.0, Some(API.1))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 400);
    assert_eq!(
        no_token.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
}

#[tokio::test]
async fn csrf_token_mismatch_is_forbidden() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let page = agent
        .open(&authorize_url(&op, &demo_params(&[])))
        .await
        .page();
    let (action, _) = page.form("loginForm");
    let forged = vec![
        ("csrf_token".to_string(), "forged".to_string()),
        ("username".to_string(), "admin".to_string()),
        ("password".to_string(), "secret".to_string()),
    ];
    let refused = agent.post(&action, &forged).await.page();
    assert_eq!(refused.status, 403);
    let missing = vec![
        ("username".to_string(), "admin".to_string()),
        ("password".to_string(), "secret".to_string()),
    ];
    assert_eq!(agent.post(&action, &missing).await.page().status, 403);
    // The genuine form still works afterwards (a forged post is not a failure of the user).
    let page = agent.login(&page, "admin", "secret").await.page();
    assert!(page.has("form#consentForm"));
    // The consent form is protected as well.
    let (action, _) = page.form("consentForm");
    let forged = vec![
        ("csrf_token".to_string(), "x".to_string()),
        ("decision".to_string(), "allow".to_string()),
    ];
    assert_eq!(agent.post(&action, &forged).await.page().status, 403);
}

#[tokio::test]
async fn an_interaction_cannot_be_driven_from_another_browser() {
    let op = TestOp::start().await;
    let victim = Agent::new(&op);
    let page = victim
        .open(&authorize_url(&op, &demo_params(&[])))
        .await
        .page();
    let (action, hidden) = page.form("loginForm");
    // The attacker has the page's URL and even its CSRF token, but not the browser cookie.
    let attacker = Agent::new(&op);
    let mut values = hidden.clone();
    values.push(("username".into(), "admin".into()));
    values.push(("password".into(), "secret".into()));
    assert_eq!(attacker.post(&action, &values).await.page().status, 403);
    let shown = attacker.open(&page.url).await.page();
    assert_eq!(shown.status, 403);
    // Unknown interaction id.
    let gone = victim
        .open(&op.url("/oxauth/interaction/nope"))
        .await
        .page();
    assert_eq!(gone.status, 400);
}

#[tokio::test]
async fn cookies_are_http_only_and_same_site_lax() {
    let op = TestOp::start().await;
    let response = http()
        .get(authorize_url(&op, &demo_params(&[])))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("op_interaction="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let agent = Agent::new(&op);
    let page = agent
        .open(&authorize_url(&op, &demo_params(&[])))
        .await
        .page();
    let (action, mut values) = page.form("loginForm");
    values.push(("username".into(), "admin".into()));
    values.push(("password".into(), "secret".into()));
    let response = agent
        .http
        .post(op.url(&action))
        .form(&values)
        .send()
        .await
        .unwrap();
    let session = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("session_id="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    assert!(!session.contains("Secure"), "http issuer: no Secure flag");
}

#[tokio::test]
async fn authorization_requests_may_be_posted() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let values: Vec<(String, String)> = demo_params(&[])
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let page = agent.post("/oxauth/restv1/authorize", &values).await.page();
    assert!(page.has("form#loginForm"));
}

#[tokio::test]
async fn an_expired_login_attempt_is_gone() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let page = agent
        .open(&authorize_url(&op, &demo_params(&[])))
        .await
        .page();
    op.clock.advance(600);
    let gone = agent.login(&page, "admin", "secret").await.page();
    assert_eq!(gone.status, 400);
    assert!(gone.html.contains("expired"));
}
