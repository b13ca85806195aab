use crate::common::*;

async fn logged_in(op: &TestOp) -> (Agent, String) {
    let agent = Agent::new(op);
    let id_token = id_token_after_login(op, &agent).await;
    (agent, id_token)
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

/// Whether the browser still has its OP session.
async fn still_logged_in(op: &TestOp, agent: &Agent) -> bool {
    let after = agent
        .open(&authorize_url(op, &demo_params(&[("prompt", "none")])))
        .await
        .left();
    query_param(&after, "code").is_some()
}

/// Asserts `nav` is the confirmation page and returns it; the session is untouched.
async fn confirmation(op: &TestOp, agent: &Agent, nav: Nav) -> Page {
    let page = nav.page();
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.has("form#logoutForm"), "{}", page.html);
    let (action, hidden) = page.form("logoutForm");
    assert_eq!(action, "/oxauth/restv1/end_session");
    assert!(hidden
        .iter()
        .any(|(k, v)| k == "csrf_token" && v.len() >= 32));
    assert!(still_logged_in(op, agent).await, "asking ends nothing");
    page
}

#[tokio::test]
async fn without_a_hint_the_user_confirms_before_the_session_ends() {
    let op = TestOp::start().await;
    let (agent, _) = logged_in(&op).await;
    let nav = agent
        .open(&end_session_url(
            &op,
            &[
                ("post_logout_redirect_uri", "http://localhost:4400/"),
                ("state", "s"),
            ],
        ))
        .await;
    let page = confirmation(&op, &agent, nav).await;
    // Confirming logs out, and still never redirects without a hint.
    let done = agent.submit(&page, "logoutForm", &[]).await.page();
    assert_eq!(done.status, 200);
    assert!(done.html.contains("logged out"), "{}", done.html);
    assert!(!still_logged_in(&op, &agent).await);
}

#[tokio::test]
async fn the_confirmation_needs_the_sessions_csrf_token_in_a_post() {
    let op = TestOp::start().await;
    let (agent, _) = logged_in(&op).await;
    let (other, _) = logged_in(&op).await;
    let page = confirmation(&op, &other, other.open(&end_session_url(&op, &[])).await).await;
    let (_, hidden) = page.form("logoutForm");
    let foreign = hidden
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .unwrap()
        .1
        .clone();
    let url = op.url("/oxauth/restv1/end_session");
    for form in [
        vec![],
        vec![("csrf_token".to_string(), "forged".to_string())],
        // another browser's token (a page of the attacker's own session)
        vec![("csrf_token".to_string(), foreign.clone())],
    ] {
        let nav = agent.post(&url, &form).await;
        confirmation(&op, &agent, nav).await;
    }
    // The right token in a GET is not a confirmation either.
    let own = agent.open(&end_session_url(&op, &[])).await.page();
    let (_, hidden) = own.form("logoutForm");
    let token = hidden
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .unwrap()
        .1
        .clone();
    let nav = agent
        .open(&end_session_url(&op, &[("csrf_token", &token)]))
        .await;
    confirmation(&op, &agent, nav).await;
}

#[tokio::test]
async fn a_jwt_access_token_is_not_an_id_token_hint() {
    let op = TestOp::start().await;
    let (agent, _) = logged_in(&op).await;
    let (status, body, _) = token_request(&op, JWT, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, 200);
    let access_token = body["access_token"].as_str().unwrap();
    assert_eq!(access_token.split('.').count(), 3, "a JWT signed by the OP");
    let nav = agent
        .open(&end_session_url(&op, &[("id_token_hint", access_token)]))
        .await;
    let page = confirmation(&op, &agent, nav).await;
    assert!(page.has("#warning"), "{}", page.html);
}

#[tokio::test]
async fn a_hint_about_another_user_asks_first_then_redirects() {
    let op = TestOp::start().await;
    let (agent, _) = logged_in(&op).await;
    // jdoe's ID token, from another browser.
    let jdoe = Agent::new(&op);
    let mut nav = jdoe.open(&authorize_url(&op, &demo_params(&[]))).await;
    let callback = loop {
        match nav {
            Nav::Left(_) => break nav.left(),
            Nav::Page(p) if p.has("form#loginForm") => {
                nav = jdoe.login(&p, "jdoe", "jdoe-secret").await
            }
            Nav::Page(p) => nav = jdoe.consent(&p, true).await,
        }
    };
    let code = query_param(&callback, "code").unwrap();
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
    let jdoe_hint = body["id_token"].as_str().unwrap();
    let nav = agent
        .open(&end_session_url(
            &op,
            &[
                ("id_token_hint", jdoe_hint),
                ("post_logout_redirect_uri", "http://localhost:4400/"),
                ("state", "bye"),
            ],
        ))
        .await;
    let page = confirmation(&op, &agent, nav).await;
    let target = agent.submit(&page, "logoutForm", &[]).await.left();
    assert_eq!(target.as_str(), "http://localhost:4400/?state=bye");
    assert!(!still_logged_in(&op, &agent).await);
}

#[tokio::test]
async fn a_forged_hint_asks_and_never_redirects() {
    let op = TestOp::start().await;
    let (agent, id_token) = logged_in(&op).await;
    let mut parts: Vec<String> = id_token.split('.').map(String::from).collect();
    parts[1] = parts[1].chars().rev().collect();
    let tampered = parts.join(".");
    let alg_none = format!(
        "{}.{}.",
        base64_url(br#"{"alg":"none","typ":"JWT"}"#),
        id_token.split('.').nth(1).unwrap()
    );
    for hint in [tampered.as_str(), alg_none.as_str(), "not-a-jwt"] {
        let nav = agent
            .open(&end_session_url(
                &op,
                &[
                    ("id_token_hint", hint),
                    ("post_logout_redirect_uri", "http://localhost:4400/"),
                ],
            ))
            .await;
        let page = confirmation(&op, &agent, nav).await;
        assert!(page.has("#warning"), "{}", page.html);
    }
    let page = agent
        .open(&end_session_url(
            &op,
            &[
                ("id_token_hint", &tampered),
                ("post_logout_redirect_uri", "http://localhost:4400/"),
            ],
        ))
        .await
        .page();
    let done = agent.submit(&page, "logoutForm", &[]).await.page();
    assert!(
        done.html.contains("logged out"),
        "no redirect after a forged hint"
    );
    assert!(!still_logged_in(&op, &agent).await);
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
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
