use base64::Engine;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthenticationContextClass, AuthorizationCode, ClientId, ClientSecret,
    CsrfToken, IntrospectionUrl, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    RedirectUrl, Scope, TokenIntrospectionResponse, TokenResponse,
};
use serde_json::Value;

use crate::common::*;

/// Claims of a JWT without verification (the openidconnect crate already verified it).
pub fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn openidconnect_rp_runs_the_code_flow_with_pkce() {
    let op = TestOp::start().await;
    let http = http();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(op.issuer()).unwrap(), &http)
            .await
            .unwrap();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(DEMO.0.into()),
        Some(ClientSecret::new(DEMO.1.into())),
    )
    .set_redirect_uri(RedirectUrl::new(RP_CALLBACK.into()).unwrap())
    .set_introspection_url(IntrospectionUrl::new(op.url("/oxauth/restv1/introspection")).unwrap());

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();

    // The scripted browser logs in and consents.
    let agent = Agent::new(&op);
    let page = agent.open(auth_url.as_str()).await.page();
    assert_eq!(page.status, 200);
    let page = agent.login(&page, "admin", "secret").await.page();
    assert!(page.text_of("#scopes").unwrap().contains("email"));
    assert!(page.html.contains("Demo Relying Party"));
    let callback = agent.consent(&page, true).await.left();
    assert!(callback.as_str().starts_with(RP_CALLBACK));
    assert_eq!(query_param(&callback, "state").unwrap(), *csrf.secret());
    assert_eq!(query_param(&callback, "iss").unwrap(), op.issuer());
    let code = query_param(&callback, "code").unwrap();

    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("token exchange");
    let id_token = tokens.id_token().expect("id_token");
    let verifier = client.id_token_verifier();
    let claims = id_token.claims(&verifier, &nonce).expect("valid id_token");
    assert_eq!(claims.subject().as_str(), "admin");
    assert_eq!(
        claims.auth_context_ref(),
        Some(&AuthenticationContextClass::new("auth_ldap_server".into()))
    );
    assert!(claims.auth_time().is_some());
    let expected_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));
    let raw = payload(&id_token.to_string());
    assert_eq!(raw["amr"], serde_json::json!(["pwd"]));
    assert!(raw["sid"].is_string());
    assert_eq!(raw["nonce"], nonce.secret().as_str());

    // UserInfo with the access token.
    let userinfo: CoreUserInfoClaims = client
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(userinfo.email().unwrap().as_str(), "admin@example.org");
    assert_eq!(
        userinfo.name().unwrap().get(None).unwrap().as_str(),
        "Admin User"
    );

    // Introspection through the crate.
    let introspection = client
        .introspect(tokens.access_token())
        .request_async(&http)
        .await
        .unwrap();
    assert!(introspection.active());
    assert_eq!(introspection.username(), Some("admin"));
    assert_eq!(introspection.client_id().unwrap().as_str(), "demo-rp");
    let scopes: Vec<String> = introspection
        .scopes()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(scopes, ["openid", "profile", "email"]);

    // Refresh: rotated, new ID token with the same auth_time, new access token.
    let refresh = tokens.refresh_token().expect("refresh token").clone();
    let refreshed = client
        .exchange_refresh_token(&refresh)
        .unwrap()
        .request_async(&http)
        .await
        .expect("refresh");
    assert_ne!(
        refreshed.access_token().secret(),
        tokens.access_token().secret()
    );
    assert_ne!(
        refreshed.refresh_token().unwrap().secret(),
        refresh.secret()
    );
    let new_raw = payload(&refreshed.id_token().unwrap().to_string());
    assert_eq!(new_raw["auth_time"], raw["auth_time"]);
    assert_eq!(new_raw["sub"], raw["sub"]);
    let again = client
        .exchange_refresh_token(&refresh)
        .unwrap()
        .request_async(&http)
        .await;
    assert!(again.is_err(), "a rotated refresh token is dead");

    // Revocation: the crate refuses non-https revocation endpoints (InsecureUrl), so post it
    // as the crate would.
    let revoked = http
        .post(op.url("/oxauth/restv1/revoke"))
        .basic_auth(DEMO.0, Some(DEMO.1))
        .form(&[
            ("token", refreshed.access_token().secret().as_str()),
            ("token_type_hint", "access_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let introspection = client
        .introspect(refreshed.access_token())
        .request_async(&http)
        .await
        .unwrap();
    assert!(!introspection.active());
}

#[tokio::test]
async fn sso_session_and_remembered_consent_skip_the_pages() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let first = code_via_login(&op, &agent, &[]).await;
    assert!(query_param(&first, "code").is_some());
    // Same browser, same scopes: straight back to the RP.
    let second = agent
        .open(&authorize_url(&op, &demo_params(&[("state", "again")])))
        .await
        .left();
    assert_eq!(query_param(&second, "state").unwrap(), "again");
    assert!(query_param(&second, "code").is_some());
    // prompt=none works silently too.
    let silent = agent
        .open(&authorize_url(&op, &demo_params(&[("prompt", "none")])))
        .await
        .left();
    assert!(query_param(&silent, "code").is_some());
    // prompt=consent shows the consent page again.
    let page = agent
        .open(&authorize_url(&op, &demo_params(&[("prompt", "consent")])))
        .await
        .page();
    assert!(page.has("form#consentForm"));
    // prompt=login shows the login page again.
    let page = agent
        .open(&authorize_url(&op, &demo_params(&[("prompt", "login")])))
        .await
        .page();
    assert!(page.has("form#loginForm"));
}

#[tokio::test]
async fn prompt_login_and_max_age_give_a_new_auth_time() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let auth_time = |callback: url::Url| {
        let op = &op;
        async move {
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
            payload(body["id_token"].as_str().unwrap())["auth_time"]
                .as_i64()
                .unwrap()
        }
    };
    let first = auth_time(code_via_login(&op, &agent, &[]).await).await;
    op.clock.advance(100);
    // max_age larger than the session's age: no login, same auth_time.
    let cb = agent
        .open(&authorize_url(&op, &demo_params(&[("max_age", "1000")])))
        .await
        .left();
    assert_eq!(auth_time(cb).await, first);
    // max_age smaller: login again, later auth_time.
    let page = agent
        .open(&authorize_url(&op, &demo_params(&[("max_age", "10")])))
        .await
        .page();
    let cb = agent.login(&page, "admin", "secret").await.left();
    assert_eq!(auth_time(cb).await, first + 100);
}

#[tokio::test]
async fn deny_redirects_with_access_denied() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let page = agent
        .open(&authorize_url(&op, &demo_params(&[])))
        .await
        .page();
    let page = agent.login(&page, "admin", "secret").await.page();
    let callback = agent.consent(&page, false).await.left();
    assert_eq!(query_param(&callback, "error").unwrap(), "access_denied");
    assert_eq!(query_param(&callback, "state").unwrap(), "st-1");
    assert!(query_param(&callback, "code").is_none());
}

#[tokio::test]
async fn wrong_password_reshows_the_form_with_an_error() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let page = agent
        .open(&authorize_url(
            &op,
            &demo_params(&[("login_hint", "admin")]),
        ))
        .await
        .page();
    assert_eq!(page.attr_of("#username", "value").unwrap(), "admin");
    let page = agent.login(&page, "admin", "wrong").await.page();
    assert_eq!(page.status, 401);
    assert!(page
        .text_of("#error")
        .unwrap()
        .contains("Wrong username or password"));
    let page = agent.login(&page, "nobody", "secret").await.page();
    assert!(page.has("#error"));
    let page = agent.login(&page, "admin", "secret").await.page();
    assert!(page.has("form#consentForm"));
}

#[tokio::test]
async fn five_failed_passwords_lock_the_attempt() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let mut page = agent
        .open(&authorize_url(&op, &demo_params(&[])))
        .await
        .page();
    for _ in 0..4 {
        page = agent.login(&page, "admin", "wrong").await.page();
        assert_eq!(page.status, 401);
    }
    let locked = agent.login(&page, "admin", "wrong").await.page();
    assert_eq!(locked.status, 403);
    assert!(locked.html.contains("locked"));
    // Even the right password is refused now.
    let again = agent.login(&page, "admin", "secret").await.page();
    assert_eq!(again.status, 403);
}

#[tokio::test]
async fn concurrent_wrong_passwords_get_no_more_than_the_limit_of_checks() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let page = agent
        .open(&authorize_url(&op, &demo_params(&[])))
        .await
        .page();
    // Twelve posts of one login attempt at once: each is counted before its check, so at most
    // four get the form back (401) and the rest find the attempt locked (403).
    let posts = (0..12).map(|_| agent.login(&page, "admin", "wrong"));
    let statuses: Vec<u16> = futures::future::join_all(posts)
        .await
        .into_iter()
        .map(|nav| nav.page().status)
        .collect();
    let retried = statuses.iter().filter(|&&s| s == 401).count();
    assert!(retried <= 4, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|&&s| s == 403).count(), 12 - retried);
    let again = agent.login(&page, "admin", "secret").await.page();
    assert_eq!(again.status, 403, "the attempt is locked");
}

#[tokio::test]
async fn pre_authorized_clients_skip_consent_and_spontaneous_scopes_reach_the_code() {
    let mut config = fixture_config();
    let rp = &mut config.clients[0];
    rp.pre_authorized = true;
    rp.allow_spontaneous_scopes = true;
    rp.spontaneous_scopes = vec!["^transactions:.+$".into()];
    let op = TestOp::with_config(config).await;
    let agent = Agent::new(&op);
    let page = agent
        .open(&authorize_url(
            &op,
            &demo_params(&[("scope", "openid transactions:245 transactions:8645 bogus")]),
        ))
        .await
        .page();
    let callback = agent.login(&page, "admin", "secret").await.left();
    assert_eq!(
        query_param(&callback, "scope").unwrap(),
        "openid transactions:245 transactions:8645"
    );
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
    assert_eq!(body["scope"], "openid transactions:245 transactions:8645");
    let info = introspect(&op, DEMO, body["access_token"].as_str().unwrap()).await;
    assert_eq!(info["scope"], "openid transactions:245 transactions:8645");
    assert_eq!(info["acr_values"], "auth_ldap_server");
    assert_eq!(info["username"], "admin");
}
