//! gluu-openid-connect end to end: the step-up tutorial (seed 000) with the reference OP, oxd, the
//! echo upstream and the gateway in process, driven by a scripted browser.

#[path = "gluu_openid_connect_support/mod.rs"]
mod support;

use reqwest::cookie::CookieStore;
use reqwest::Method;
use serde_json::json;
use support::*;

fn first_op_hop<'p>(page: &'p Page, stack: &Stack) -> &'p url::Url {
    page.hops_to(&stack.op.issuer())
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no hop to the OP: {:?}", page.hops))
}

#[tokio::test]
async fn step_up_tutorial() {
    let stack = Stack::start(json!({})).await;
    let browser = Browser::default();
    let mut app = Authenticator::default();

    // First visit: sent to the OP for auth_ldap_server, without a prompt.
    let first = browser.open(&stack.url("/flights/?x=1")).await;
    let to_op = first_op_hop(&first, &stack);
    assert_eq!(
        param(to_op, "acr_values").as_deref(),
        Some("auth_ldap_server")
    );
    assert_eq!(param(to_op, "prompt"), None);
    assert!(first.has("form#loginForm").unwrap(), "{}", first.body);

    // Login and consent, back at the original URL.
    let page = browser
        .complete_login(first, &ADMIN, &mut app, stack.op_now())
        .await;
    let seen = echoed(&page);
    assert_eq!(seen["path"], "/flights/");
    assert_eq!(seen["args"]["x"], "1");
    assert_eq!(seen["method"], "GET");
    // Custom headers, and never the session cookie.
    assert_eq!(
        seen["headers"]["kong-openidc-userinfo-email"],
        "admin@example.org"
    );
    assert_eq!(
        seen["headers"]["kong-openidc-id-token-acr"],
        "auth_ldap_server"
    );
    assert!(!seen["headers"]["gg-access-token"]
        .as_str()
        .unwrap()
        .is_empty());
    // (The OP's own cookies reach the gateway too: both live on 127.0.0.1.)
    assert!(
        !seen["headers"]["cookie"]
            .as_str()
            .unwrap_or("")
            .contains("gluu_openid_connect"),
        "{seen}"
    );

    // Another path with the same ACR: served from the session.
    let page = browser.open(&stack.url("/settings/")).await;
    assert!(page.hops.is_empty(), "{:?}", page.hops);
    assert_eq!(echoed(&page)["path"], "/settings/");

    // Payments need otp: prompt=login with acr_values=otp, OTP enrolment, then served.
    let page = browser.open(&stack.url("/payments/")).await;
    let to_op = first_op_hop(&page, &stack);
    assert_eq!(param(to_op, "acr_values").as_deref(), Some("otp"));
    assert_eq!(param(to_op, "prompt").as_deref(), Some("login"));
    let page = browser
        .complete_login(page, &ADMIN, &mut app, stack.op_now())
        .await;
    assert!(app.secret.is_some(), "the OTP enrolment page was shown");
    let seen = echoed(&page);
    assert_eq!(seen["path"], "/payments/");
    assert_eq!(seen["headers"]["kong-openidc-id-token-acr"], "otp");

    // Both tokens are kept: flights and payments are served without another login.
    let page = browser.open(&stack.url("/flights/")).await;
    assert!(page.hops.is_empty());
    assert_eq!(
        echoed(&page)["headers"]["kong-openidc-id-token-acr"],
        "auth_ldap_server"
    );
    let page = browser.open(&stack.url("/payments/x")).await;
    assert!(page.hops.is_empty());

    // Logout hints the newest ID token: the OP's current session is the stepped-up one.
    let r = browser
        .send(Method::GET, &stack.url("/logout"), &[], None)
        .await;
    assert_eq!(r.status(), 302);
    let location = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let hint = param(&location, "id_token_hint").expect("id_token_hint");
    let payload = hint.split('.').nth(1).expect("a JWT");
    use base64::Engine;
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["acr"], "otp", "{claims}");
}

#[tokio::test]
async fn failed_otp_never_reaches_the_upstream() {
    let stack = Stack::start(json!({})).await;
    let browser = Browser::default();
    let mut app = Authenticator::default();
    stack.login_as_admin(&browser, "/", &mut app).await;
    let page = browser.open(&stack.url("/payments/")).await;
    // Enrol, then type a wrong code until the OP locks the attempt.
    let wrong = User {
        otp_override: Some("000000"),
        ..ADMIN
    };
    let mut page = browser
        .complete_login(page, &wrong, &mut app, stack.op_now())
        .await;
    let right = app.code(stack.op_now()());
    if right == "000000" {
        return; // one in a million: the "wrong" code is right
    }
    for _ in 0..5 {
        assert!(
            page.url.as_str().starts_with(&stack.op.issuer()),
            "{}",
            page.url
        );
        if !page.has("form#otpForm").unwrap() {
            break;
        }
        page = browser
            .submit(&page, "otpForm", &[("otp_code", "000000")])
            .await;
    }
    assert!(page.url.as_str().starts_with(&stack.op.issuer()));
    assert!(page.hops_to(&stack.front.url()).is_empty());
    // Payments still send the user to the OP.
    let again = browser
        .send(Method::GET, &stack.url("/payments/"), &[], None)
        .await;
    assert_eq!(again.status(), 302);
}

#[tokio::test]
async fn loop_breaker_when_the_op_cannot_deliver_the_acr() {
    let mut rules = acr_rules();
    rules.as_array_mut().unwrap().insert(
        0,
        json!({"path": "/strong/??", "conditions": [{"httpMethods": ["?"], "required_acrs": ["u2f"]}]}),
    );
    let stack = Stack::start(json!({"required_acrs_expression": rules})).await;
    let browser = Browser::default();
    let mut app = Authenticator::default();
    stack.login_as_admin(&browser, "/", &mut app).await;
    // The OP has no u2f: it authenticates with its default, the gateway refuses to loop.
    let page = browser.open(&stack.url("/strong/")).await;
    let page = browser
        .complete_login(page, &ADMIN, &mut app, stack.op_now())
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert_eq!(
        page.json().unwrap()["message"],
        "The resource requires one of the [u2f] acr(s), you have [auth_ldap_server]"
    );
}

#[tokio::test]
async fn callback_without_session_or_arguments() {
    let stack = Stack::start(json!({})).await;
    let browser = Browser::default();
    let r = browser
        .send(
            Method::GET,
            &stack.url("/callback?code=x&state=y"),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().is_empty());
    // With a login in progress but no code/state.
    let r = browser.send(Method::GET, &stack.url("/"), &[], None).await;
    assert_eq!(r.status(), 302);
    let r = browser
        .send(Method::GET, &stack.url("/callback"), &[], None)
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["message"],
        "missed code or state argument(s)"
    );
}

#[tokio::test]
async fn no_auth_paths_with_and_without_session() {
    let stack = Stack::start(json!({})).await;
    let browser = Browser::default();
    let page = browser.open(&stack.url("/home/")).await;
    assert!(page.hops.is_empty());
    let seen = echoed(&page);
    assert!(seen["headers"].get("kong-openidc-userinfo-email").is_none());
    // Without a session a client cannot supply the identity header itself.
    let forged: serde_json::Value = reqwest::Client::new()
        .get(stack.url("/home/"))
        .header("kong-openidc-userinfo-email", "ceo@example.org")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        forged["headers"]
            .get("kong-openidc-userinfo-email")
            .is_none(),
        "{forged}"
    );
    let mut app = Authenticator::default();
    stack.login_as_admin(&browser, "/", &mut app).await;
    let seen = echoed(&browser.open(&stack.url("/home/")).await);
    assert_eq!(
        seen["headers"]["kong-openidc-userinfo-email"],
        "admin@example.org"
    );
    assert!(!seen["headers"]["cookie"]
        .as_str()
        .unwrap_or("")
        .contains("gluu_openid_connect"));
}

#[tokio::test]
async fn token_age_expiry_refreshes_silently_with_prompt_none() {
    let stack = Stack::start(json!({"max_id_token_age": 60})).await;
    let browser = Browser::default();
    let mut app = Authenticator::default();
    stack.login_as_admin(&browser, "/", &mut app).await;
    stack.advance(61);
    let page = browser.open(&stack.url("/flights/")).await;
    let to_op = first_op_hop(&page, &stack);
    assert_eq!(param(to_op, "prompt").as_deref(), Some("none"));
    // No login page: the OP answered from its session, the gateway served the page.
    assert_eq!(echoed(&page)["path"], "/flights/");
    let again = browser.open(&stack.url("/flights/")).await;
    assert!(again.hops.is_empty());
}

#[tokio::test]
async fn auth_age_expiry_asks_for_a_new_login() {
    let stack = Stack::start(json!({"max_id_token_auth_age": 100})).await;
    let browser = Browser::default();
    let mut app = Authenticator::default();
    stack.login_as_admin(&browser, "/", &mut app).await;
    stack.advance(101);
    let page = browser.open(&stack.url("/flights/")).await;
    assert_eq!(
        param(first_op_hop(&page, &stack), "prompt").as_deref(),
        Some("login")
    );
    assert!(page.has("form#loginForm").unwrap());
    let page = browser
        .complete_login(page, &ADMIN, &mut app, stack.op_now())
        .await;
    assert_eq!(echoed(&page)["path"], "/flights/");
}

#[tokio::test]
async fn logout_and_post_logout_page() {
    let stack = Stack::start(json!({})).await;
    let browser = Browser::default();
    let mut app = Authenticator::default();
    stack.login_as_admin(&browser, "/", &mut app).await;
    let r = browser
        .send(Method::GET, &stack.url("/logout"), &[], None)
        .await;
    assert_eq!(r.status(), 302);
    assert_eq!(
        r.headers()["cache-control"],
        "no-cache, no-store, max-age=0"
    );
    let location = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert!(
        location.as_str().starts_with(&stack.op.issuer()),
        "{location}"
    );
    assert!(param(&location, "id_token_hint").is_some());
    assert_eq!(
        param(&location, "post_logout_redirect_uri").as_deref(),
        Some(stack.url("/bye").as_str())
    );
    // The OP ends its session and sends the browser to the post-logout page, served anonymously.
    let page = browser.open(location.as_str()).await;
    let seen = echoed(&page);
    assert_eq!(seen["path"], "/bye");
    assert!(seen["headers"].get("kong-openidc-userinfo-email").is_none());
    // The session is gone here and at the OP: a page needs a new login.
    let page = browser.open(&stack.url("/")).await;
    assert!(page.has("form#loginForm").unwrap());
    // Logging out without a session is a 400.
    let r = Browser::default()
        .send(Method::GET, &stack.url("/logout"), &[], None)
        .await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn post_that_triggered_the_login_is_replayed() {
    let stack = Stack::start(json!({})).await;
    let browser = Browser::default();
    let mut app = Authenticator::default();
    let page = browser
        .request(
            Method::POST,
            &stack.url("/form?x=1"),
            &[],
            Some(("text", "qwerty1234567")),
        )
        .await;
    assert!(page.has("form#loginForm").unwrap());
    let page = browser
        .complete_login(page, &ADMIN, &mut app, stack.op_now())
        .await;
    let seen = echoed(&page);
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["path"], "/form");
    assert_eq!(seen["body"], "qwerty1234567");
    assert_eq!(seen["headers"]["content-type"], "text");
    // Once only.
    let seen = echoed(&browser.open(&stack.url("/form?x=1")).await);
    assert_eq!(seen["method"], "GET");
}

#[tokio::test]
async fn tampered_session_cookie_is_no_session_and_other_cookies_pass() {
    let stack = Stack::start(json!({})).await;
    let browser = Browser::default();
    let mut app = Authenticator::default();
    stack.login_as_admin(&browser, "/", &mut app).await;
    let url = url::Url::parse(&stack.url("/")).unwrap();
    browser.jar.add_cookie_str("other=kept", &url);
    let seen = echoed(&browser.open(&stack.url("/a")).await);
    let upstream_cookies = seen["headers"]["cookie"].as_str().unwrap();
    assert!(
        upstream_cookies.contains("other=kept"),
        "{upstream_cookies}"
    );
    assert!(
        !upstream_cookies.contains("gluu_openid_connect"),
        "{upstream_cookies}"
    );

    let cookies = browser.jar.cookies(&url).unwrap();
    let session = cookies
        .to_str()
        .unwrap()
        .split("; ")
        .find(|c| c.starts_with("gluu_openid_connect_session="))
        .unwrap()
        .to_string();
    let (name, value) = session.split_once('=').unwrap();
    let mut bytes = value.as_bytes().to_vec();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let forged = format!("{name}={}", String::from_utf8(bytes).unwrap());
    browser.jar.add_cookie_str(&forged, &url);
    let r = browser.send(Method::GET, &stack.url("/a"), &[], None).await;
    assert_eq!(r.status(), 302);
    let location = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(param(&location, "prompt"), None, "treated as no session");
}

#[tokio::test]
async fn api_clients_get_401_and_the_rfc9470_challenge() {
    let stack = Stack::start(json!({})).await;
    let browser = Browser::default();
    let json_accept = [("accept", "application/json")];
    let r = browser
        .send(Method::GET, &stack.url("/flights/"), &json_accept, None)
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let mut app = Authenticator::default();
    stack.login_as_admin(&browser, "/", &mut app).await;
    let r = browser
        .send(
            Method::GET,
            &stack.url("/payments/"),
            &[("x-requested-with", "XMLHttpRequest")],
            None,
        )
        .await;
    assert_eq!(r.status(), 401);
    let challenge = r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        challenge.starts_with("Bearer error=\"insufficient_user_authentication\""),
        "{challenge}"
    );
    assert!(challenge.ends_with("acr_values=\"otp\""), "{challenge}");
    let r = browser
        .send(Method::GET, &stack.url("/flights/"), &json_accept, None)
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn gateway_instances_sharing_the_secret_share_sessions() {
    let stack = Stack::start(json!({})).await;
    let browser = Browser::default();
    let mut app = Authenticator::default();
    stack.login_as_admin(&browser, "/", &mut app).await;

    // Instance B, same secret: it knows the user; it only fetches its own copy of the token
    // silently (prompt=none, no login page).
    let b = stack.another_gateway(SECRET).await;
    stack.front.switch_to(&b);
    let page = browser.open(&stack.url("/flights/")).await;
    assert_eq!(
        param(first_op_hop(&page, &stack), "prompt").as_deref(),
        Some("none")
    );
    assert_eq!(echoed(&page)["path"], "/flights/");
    // From now on both instances serve the session directly, whichever gets the request.
    for gw in [&b, &stack.gw, &b] {
        stack.front.switch_to(gw);
        let page = browser.open(&stack.url("/settings/")).await;
        assert!(page.hops.is_empty(), "{:?}", page.hops);
        assert_eq!(
            echoed(&page)["headers"]["kong-openidc-userinfo-email"],
            "admin@example.org"
        );
    }

    // Instance C with another secret cannot open the cookie: a fresh login (no prompt).
    let c = stack
        .another_gateway("another secret entirely, not shared")
        .await;
    stack.front.switch_to(&c);
    let r = browser
        .send(Method::GET, &stack.url("/flights/"), &[], None)
        .await;
    assert_eq!(r.status(), 302);
    let location = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(param(&location, "prompt"), None);
}
