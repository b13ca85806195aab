use crate::common::*;

async fn logged_in(op: &TestOp) -> (Agent, String) {
    let agent = Agent::new(op);
    let callback = code_via_login(op, &agent, &[]).await;
    let code = query_param(&callback, "code").unwrap();
    let (_, body, _) = token_request(
        op,
        DEMO,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", RP_CALLBACK),
        ],
    )
    .await;
    (agent, body["id_token"].as_str().unwrap().to_owned())
}

fn end_session_url(op: &TestOp, params: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&op.url("/oxauth/restv1/end_session")).unwrap();
    url.query_pairs_mut().extend_pairs(params);
    url.to_string()
}

#[tokio::test]
async fn rp_initiated_logout_redirects_with_state_and_ends_the_session() {
    let op = TestOp::start().await;
    let (agent, id_token) = logged_in(&op).await;
    let target = agent
        .open(&end_session_url(
            &op,
            &[
                ("id_token_hint", &id_token),
                ("post_logout_redirect_uri", "http://localhost:4400/"),
                ("state", "bye"),
            ],
        ))
        .await
        .left();
    assert_eq!(target.as_str(), "http://localhost:4400/?state=bye");
    let after = agent
        .open(&authorize_url(&op, &demo_params(&[("prompt", "none")])))
        .await
        .left();
    assert_eq!(query_param(&after, "error").unwrap(), "login_required");
}

#[tokio::test]
async fn unregistered_post_logout_uri_is_refused_and_the_session_kept() {
    let op = TestOp::start().await;
    let (agent, id_token) = logged_in(&op).await;
    let response = agent
        .http
        .get(end_session_url(
            &op,
            &[
                ("id_token_hint", &id_token),
                ("post_logout_redirect_uri", "https://evil.example/"),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "post_logout_uri_not_associated_with_client");
    let still = agent
        .open(&authorize_url(&op, &demo_params(&[("prompt", "none")])))
        .await
        .left();
    assert!(query_param(&still, "code").is_some());
}

#[tokio::test]
async fn bad_or_missing_hint_never_redirects() {
    let op = TestOp::start().await;
    let (agent, id_token) = logged_in(&op).await;
    // Tampered hint (payload changed, signature kept).
    let mut parts: Vec<String> = id_token.split('.').map(String::from).collect();
    parts[1] = parts[1].chars().rev().collect();
    let response = agent
        .http
        .get(end_session_url(
            &op,
            &[
                ("id_token_hint", &parts.join(".")),
                ("post_logout_redirect_uri", "http://localhost:4400/"),
            ],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant_and_session");
    // No hint: logged-out page, no redirect, session gone.
    let page = agent
        .open(&end_session_url(
            &op,
            &[("post_logout_redirect_uri", "http://localhost:4400/")],
        ))
        .await
        .page();
    assert_eq!(page.status, 200);
    assert!(page.html.contains("logged out"));
    let after = agent
        .open(&authorize_url(&op, &demo_params(&[("prompt", "none")])))
        .await
        .left();
    assert_eq!(query_param(&after, "error").unwrap(), "login_required");
}

#[tokio::test]
async fn a_hint_from_an_earlier_session_still_logs_out() {
    let op = TestOp::start().await;
    let (agent, old_hint) = logged_in(&op).await;
    // prompt=login creates a new session in the same browser.
    let page = agent
        .open(&authorize_url(&op, &demo_params(&[("prompt", "login")])))
        .await
        .page();
    agent.login(&page, "admin", "secret").await.left();
    let target = agent
        .open(&end_session_url(
            &op,
            &[
                ("id_token_hint", &old_hint),
                ("post_logout_redirect_uri", "http://localhost:4400/"),
            ],
        ))
        .await
        .left();
    assert_eq!(target.as_str(), "http://localhost:4400/");
    let after = agent
        .open(&authorize_url(&op, &demo_params(&[("prompt", "none")])))
        .await
        .left();
    assert_eq!(query_param(&after, "error").unwrap(), "login_required");
}
