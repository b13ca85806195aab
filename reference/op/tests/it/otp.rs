use gatecheck_op::Clock;

use crate::code_flow::payload;
use crate::common::*;

fn code_for(op: &TestOp, secret_b32: &str) -> String {
    let secret = totp_rs::Secret::Encoded(secret_b32.to_owned())
        .to_bytes()
        .unwrap();
    let totp = totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        secret,
        None,
        String::new(),
    )
    .unwrap();
    totp.generate(op.clock.now() as u64)
}

/// Decodes a base64 PNG QR code the way an authenticator app's camera would.
fn decode_qr(png_base64: &str) -> String {
    let png =
        gatecheck_browser::decode_png_data_url(&format!("data:image/png;base64,{png_base64}"))
            .unwrap();
    gatecheck_browser::decode_qr_png(&png).unwrap()
}

async fn id_token_claims(op: &TestOp, callback: &url::Url) -> serde_json::Value {
    let code = query_param(callback, "code").expect("code");
    let (status, body, _) = token_request(
        op,
        DEMO,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", RP_CALLBACK),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    payload(body["id_token"].as_str().unwrap())
}

/// Logs in with acr_values=otp up to the enrollment page; returns it.
async fn to_enrollment(op: &TestOp, agent: &Agent) -> Page {
    let page = agent
        .open(&authorize_url(op, &demo_params(&[("acr_values", "otp")])))
        .await
        .page();
    agent.login(&page, "admin", "secret").await.page()
}

#[tokio::test]
async fn enrollment_shows_a_qr_code_then_the_code_logs_in() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let page = to_enrollment(&op, &agent).await;
    let img = page.attr_of("#otp_qr", "src").expect("QR image");
    let png = img
        .strip_prefix("data:image/png;base64,")
        .expect("PNG data URL");
    let secret = page.text_of("#otp_secret").unwrap();
    let uri = page.text_of("#otp_uri").unwrap();
    assert_eq!(decode_qr(png), uri, "the QR code encodes the otpauth URI");
    assert!(uri.starts_with("otpauth://totp/Gluu%20Inc:admin?"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")));
    for part in [
        "issuer=Gluu%20Inc",
        "algorithm=SHA1",
        "digits=6",
        "period=30",
    ] {
        assert!(uri.contains(part), "{uri} lacks {part}");
    }
    let page = agent.submit(&page, "enrollForm", &[]).await.page();
    assert!(page.has("form#otpForm"));
    let page = agent
        .submit(&page, "otpForm", &[("otp_code", &code_for(&op, &secret))])
        .await
        .page();
    let callback = agent.consent(&page, true).await.left();
    let claims = id_token_claims(&op, &callback).await;
    assert_eq!(claims["acr"], "otp");
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp", "mfa"]));

    // A second login needs no enrollment: password, then code of a later step.
    op.clock.advance(30);
    let agent2 = Agent::new(&op);
    let page = to_enrollment(&op, &agent2).await;
    assert!(
        page.has("form#otpForm"),
        "enrolled user goes straight to the code page"
    );
    let callback = agent2
        .submit(&page, "otpForm", &[("otp_code", &code_for(&op, &secret))])
        .await
        .left();
    assert_eq!(id_token_claims(&op, &callback).await["acr"], "otp");
}

#[tokio::test]
async fn wrong_and_replayed_codes_are_refused() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let page = to_enrollment(&op, &agent).await;
    let secret = page.text_of("#otp_secret").unwrap();
    let page = agent.submit(&page, "enrollForm", &[]).await.page();
    let good = code_for(&op, &secret);
    let wrong = if good == "000000" { "111111" } else { "000000" };
    let page = agent
        .submit(&page, "otpForm", &[("otp_code", wrong)])
        .await
        .page();
    assert_eq!(page.status, 401);
    assert!(page.text_of("#error").unwrap().contains("Wrong"));
    let page = agent
        .submit(&page, "otpForm", &[("otp_code", &good)])
        .await
        .page();
    agent.consent(&page, true).await.left();

    // Another login in a new browser, same 30 s step: the same code is a replay.
    let agent2 = Agent::new(&op);
    let page = to_enrollment(&op, &agent2).await;
    let page = agent2
        .submit(&page, "otpForm", &[("otp_code", &good)])
        .await
        .page();
    assert_eq!(page.status, 401, "replayed code accepted");
    // The next step's code works.
    op.clock.advance(30);
    let next = code_for(&op, &secret);
    let nav = agent2
        .submit(&page, "otpForm", &[("otp_code", &next)])
        .await;
    assert!(
        matches!(nav, Nav::Left(_)),
        "consent already remembered: {nav:?}"
    );
}

#[tokio::test]
async fn five_wrong_codes_lock_the_attempt() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let (mut page, secret) = to_code_entry(&op, &agent).await;
    let good = code_for(&op, &secret);
    let wrong = if good == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        page = agent
            .submit(&page, "otpForm", &[("otp_code", wrong)])
            .await
            .page();
        assert_eq!(page.status, 401);
    }
    let locked = agent
        .submit(&page, "otpForm", &[("otp_code", wrong)])
        .await
        .page();
    assert_eq!(locked.status, 403);
    let refused = agent
        .submit(&page, "otpForm", &[("otp_code", &good)])
        .await
        .page();
    assert_eq!(
        refused.status, 403,
        "locked attempts refuse even a good code"
    );
}

/// Enrolment page → code page of a fresh login attempt; returns it with the shown secret.
async fn to_code_entry(op: &TestOp, agent: &Agent) -> (Page, String) {
    let page = to_enrollment(op, agent).await;
    let secret = page.text_of("#otp_secret").unwrap();
    (agent.submit(&page, "enrollForm", &[]).await.page(), secret)
}

#[tokio::test]
async fn wrong_codes_across_login_attempts_lock_the_user_for_a_while() {
    let op = TestOp::start().await;
    // Two attempts of five wrong codes each: ten for the user, the default limit.
    for attempt in 0..2 {
        let agent = Agent::new(&op);
        let (mut page, secret) = to_code_entry(&op, &agent).await;
        let good = code_for(&op, &secret);
        let wrong = if good == "000000" { "111111" } else { "000000" };
        for _ in 0..5 {
            page = agent
                .submit(&page, "otpForm", &[("otp_code", wrong)])
                .await
                .page();
        }
        assert_eq!(page.status, 403, "attempt {attempt} ends locked");
    }
    // A new attempt with the right code is still refused: the user is locked, not the attempt.
    let agent = Agent::new(&op);
    let (page, secret) = to_code_entry(&op, &agent).await;
    let good = code_for(&op, &secret);
    let refused = agent
        .submit(&page, "otpForm", &[("otp_code", &good)])
        .await
        .page();
    assert_eq!(refused.status, 403);
    assert!(
        refused.html.contains("locked for a while"),
        "{}",
        refused.html
    );
    // After the lockout the same user logs in.
    op.clock.advance(900);
    let agent = Agent::new(&op);
    let (page, secret) = to_code_entry(&op, &agent).await;
    let nav = agent
        .submit(&page, "otpForm", &[("otp_code", &code_for(&op, &secret))])
        .await;
    assert!(
        !matches!(&nav, Nav::Page(p) if p.status == 403),
        "unlocked after user_lockout_seconds: {nav:?}"
    );
}

#[tokio::test]
async fn step_up_from_auth_ldap_server_to_otp_in_one_session() {
    let mut config = fixture_config();
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    config.users[0].otp_secret = Some(secret.into());
    let op = TestOp::with_config(config).await;
    let agent = Agent::new(&op);
    let first = code_via_login(&op, &agent, &[("acr_values", "auth_ldap_server")]).await;
    let claims = id_token_claims(&op, &first).await;
    assert_eq!(claims["acr"], "auth_ldap_server");
    let sid = claims["sid"].clone();

    // Same browser, otp requested: the password session does not satisfy it.
    let page = agent
        .open(&authorize_url(&op, &demo_params(&[("acr_values", "otp")])))
        .await
        .page();
    assert!(
        page.has("form#loginForm"),
        "step-up asks for the password again"
    );
    let page = agent.login(&page, "admin", "secret").await.page();
    assert!(
        page.has("form#otpForm"),
        "pre-enrolled user gets the code page"
    );
    let callback = agent
        .submit(&page, "otpForm", &[("otp_code", &code_for(&op, secret))])
        .await
        .left();
    let claims = id_token_claims(&op, &callback).await;
    assert_eq!(claims["acr"], "otp");
    assert_ne!(claims["sid"], sid, "a new session after re-authentication");

    // The otp session satisfies a later auth_ldap_server request without login.
    let cb = agent
        .open(&authorize_url(
            &op,
            &demo_params(&[("acr_values", "auth_ldap_server")]),
        ))
        .await
        .left();
    assert_eq!(id_token_claims(&op, &cb).await["acr"], "otp");
    // And prompt=none with acr otp succeeds silently.
    let cb = agent
        .open(&authorize_url(
            &op,
            &demo_params(&[("acr_values", "otp"), ("prompt", "none")]),
        ))
        .await
        .left();
    assert!(query_param(&cb, "code").is_some());
}

#[tokio::test]
async fn client_default_acr_applies_and_unknown_requested_acr_falls_back() {
    let mut config = fixture_config();
    config.clients[0].default_acr_values = vec!["otp".into()];
    let op = TestOp::with_config(config).await;
    let agent = Agent::new(&op);
    let page = agent
        .open(&authorize_url(&op, &demo_params(&[])))
        .await
        .page();
    let page = agent.login(&page, "admin", "secret").await.page();
    assert!(page.has("#otp_qr"), "client default acr otp -> enrollment");
    // An unknown acr value is skipped; the next supported one is used.
    let agent2 = Agent::new(&op);
    let page = agent2
        .open(&authorize_url(
            &op,
            &demo_params(&[("acr_values", "u2f basic")]),
        ))
        .await
        .page();
    let page = agent2.login(&page, "admin", "secret").await.page();
    let callback = agent2.consent(&page, true).await.left();
    assert_eq!(id_token_claims(&op, &callback).await["acr"], "basic");
}
