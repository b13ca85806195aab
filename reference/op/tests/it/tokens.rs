use serde_json::Value;

use crate::common::*;

async fn fresh_code(op: &TestOp, agent: &Agent, extra: &[(&str, &str)]) -> String {
    let callback = code_via_login(op, agent, extra).await;
    query_param(&callback, "code").unwrap()
}

async fn userinfo_status(op: &TestOp, token: &str) -> u16 {
    http()
        .get(op.url("/oxauth/restv1/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_its_tokens() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let code = fresh_code(&op, &agent, &[]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", RP_CALLBACK),
    ];
    let (status, first, headers) = token_request(&op, DEMO, &form).await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["pragma"], "no-cache");
    let access = first["access_token"].as_str().unwrap();
    let refresh = first["refresh_token"].as_str().unwrap();
    assert_eq!(userinfo_status(&op, access).await, 200);
    let (status, body, _) = token_request(&op, DEMO, &form).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(
        userinfo_status(&op, access).await,
        401,
        "access token revoked"
    );
    let (status, body, _) = token_request(
        &op,
        DEMO,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(status, 400, "refresh token revoked");
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn code_exchange_checks() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);

    // Wrong redirect_uri.
    let code = fresh_code(&op, &agent, &[]).await;
    let (_, body, _) = token_request(
        &op,
        DEMO,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:4400/callback"),
        ],
    )
    .await;
    assert_eq!(body["error"], "invalid_grant");

    // Missing redirect_uri although the request had one.
    let code = fresh_code(&op, &agent, &[]).await;
    let (_, body, _) = token_request(
        &op,
        DEMO,
        &[("grant_type", "authorization_code"), ("code", &code)],
    )
    .await;
    assert_eq!(body["error"], "invalid_request");

    // Expired code.
    let code = fresh_code(&op, &agent, &[]).await;
    op.clock.advance(60);
    let (_, body, _) = token_request(
        &op,
        DEMO,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", RP_CALLBACK),
        ],
    )
    .await;
    assert_eq!(body["error"], "invalid_grant");

    // Unknown code.
    let (status, body, _) = token_request(
        &op,
        DEMO,
        &[
            ("grant_type", "authorization_code"),
            ("code", "nope"),
            ("redirect_uri", RP_CALLBACK),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn pkce_verifier_is_checked() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let pkce = [
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    for (given, expected) in [
        (
            Some("wrong-verifier-wrong-verifier-wrong-verifier-1"),
            Some("invalid_grant"),
        ),
        (None, Some("invalid_request")),
        (Some(verifier), None),
    ] {
        let code = fresh_code(&op, &agent, &pkce).await;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", RP_CALLBACK),
        ];
        if let Some(v) = given {
            form.push(("code_verifier", v));
        }
        let (status, body, _) = token_request(&op, DEMO, &form).await;
        match expected {
            Some(error) => assert_eq!(body["error"], error, "{given:?}"),
            None => assert_eq!(status, 200, "{body}"),
        }
    }
}

#[tokio::test]
async fn codes_and_refresh_tokens_are_bound_to_their_client() {
    let mut config = fixture_config();
    let mut other = config.clients[0].clone();
    other.client_id = "other-rp".into();
    other.client_secret = Some("other-secret".into());
    config.clients.push(other);
    let op = TestOp::with_config(config).await;
    let agent = Agent::new(&op);
    let code = fresh_code(&op, &agent, &[]).await;
    let (_, body, _) = token_request(
        &op,
        ("other-rp", "other-secret"),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", RP_CALLBACK),
        ],
    )
    .await;
    assert_eq!(body["error"], "invalid_grant");

    let code = fresh_code(&op, &agent, &[]).await;
    let (_, tokens, _) = token_request(
        &op,
        DEMO,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", RP_CALLBACK),
        ],
    )
    .await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (_, body, _) = token_request(
        &op,
        ("other-rp", "other-secret"),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(body["error"], "invalid_grant");
    // Narrowing works; widening does not.
    let (_, body, _) = token_request(
        &op,
        DEMO,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("scope", "openid offline_access"),
        ],
    )
    .await;
    assert_eq!(body["error"], "invalid_scope");
    let (status, body, _) = token_request(
        &op,
        DEMO,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "openid");
}

#[tokio::test]
async fn password_grant_with_spontaneous_scopes() {
    let op = TestOp::start().await;
    let (status, body, _) = token_request(
        &op,
        API,
        &[
            ("grant_type", "password"),
            ("username", "jdoe"),
            ("password", "jdoe-secret"),
            ("scope", "openid transactions:5 other"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "openid transactions:5");
    assert!(body["id_token"].is_string());
    let info = introspect(&op, API, body["access_token"].as_str().unwrap()).await;
    assert_eq!(info["username"], "jdoe");
    assert_eq!(info["sub"], "jdoe");
    let (status, body, _) = token_request(
        &op,
        API,
        &[
            ("grant_type", "password"),
            ("username", "jdoe"),
            ("password", "nope"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (_, body, _) = token_request(
        &op,
        API,
        &[("grant_type", "password"), ("username", "jdoe")],
    )
    .await;
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn userinfo_get_post_and_errors() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let code = fresh_code(&op, &agent, &[]).await;
    let (_, tokens, _) = token_request(
        &op,
        DEMO,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", RP_CALLBACK),
        ],
    )
    .await;
    let access = tokens["access_token"].as_str().unwrap();
    let by_post_header: Value = http()
        .post(op.url("/oxauth/restv1/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_post_header["email"], "admin@example.org");
    let by_body: Value = http()
        .post(op.url("/oxauth/restv1/userinfo"))
        .form(&[("access_token", access)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_body, by_post_header);
    assert!(
        by_body.get("phone_number").is_none(),
        "phone scope not granted"
    );

    let bad = http()
        .get(op.url("/oxauth/restv1/userinfo"))
        .bearer_auth("bogus")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    assert_eq!(
        bad.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
    let none = http()
        .get(op.url("/oxauth/restv1/userinfo"))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);

    // A client_credentials token has no user.
    let (_, cc, _) = token_request(&op, API, &[("grant_type", "client_credentials")]).await;
    let response = http()
        .get(op.url("/oxauth/restv1/userinfo"))
        .bearer_auth(cc["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_the_grant_and_others_tokens_are_left_alone() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let code = fresh_code(&op, &agent, &[]).await;
    let (_, tokens, _) = token_request(
        &op,
        DEMO,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", RP_CALLBACK),
        ],
    )
    .await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let revoke = |client: (&'static str, &'static str), token: String| {
        let url = op.url("/oxauth/restv1/revoke");
        async move {
            http()
                .post(url)
                .basic_auth(client.0, Some(client.1))
                .form(&[("token", token)])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // Another client cannot revoke them (200, but nothing happens).
    assert_eq!(revoke(API, access.to_owned()).await, 200);
    assert_eq!(introspect(&op, DEMO, access).await["active"], true);
    // Unknown tokens: 200.
    assert_eq!(revoke(DEMO, "unknown".into()).await, 200);
    assert_eq!(revoke(DEMO, refresh.to_owned()).await, 200);
    assert_eq!(introspect(&op, DEMO, access).await["active"], false);
    assert_eq!(introspect(&op, DEMO, refresh).await["active"], false);
    // Bad client credentials.
    assert_eq!(revoke(("demo-rp", "wrong"), access.to_owned()).await, 401);
}
