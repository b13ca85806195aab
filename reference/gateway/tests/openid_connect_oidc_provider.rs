//! Kong's `openid-connect` against an independent, OpenID-certified OP: node `oidc-provider`
//! (pinned by `benches/load/oidc-provider.sh`, which `.ci/run` runs) in the `certification`
//! profile of `benches/load/oidc-provider.mjs`, with its static client `rp` / `rp-secret`. The
//! gateway's relying party has otherwise only met gatecheck's own OP: here it runs the
//! auth-code guide's flow through oidc-provider's own login and consent pages (the scripted
//! browser's generic driver), the session that follows, RP-initiated logout at oidc-provider's
//! `end_session_endpoint`, and the resource-server methods introspection and userinfo with the
//! access token oidc-provider issued. Skipped with a message naming what is missing when node
//! or the pinned package is not installed.

mod common;

use std::time::Duration;

use common::oidc_provider::{self, Node, API};
use common::openid_connect::param;
use common::{client, echo, listener};
use gatecheck_browser::{generic, Browser};
use reqwest::header::{LOCATION, SET_COOKIE};
use serde_json::{json, Value};
use url::Url;

struct Stack {
    _node: Node,
    issuer: String,
    gw: gatecheck_gateway::Handle,
    _up: gatecheck_upstream::Handle,
}

impl Stack {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.gw.proxy_url())
    }
}

/// oidc-provider, the echo upstream and a gateway with three routes: `/anything` (the guide's
/// code flow and session, logout at `/anything/logout`), `/introspected` (`introspection`)
/// `/userinfo` (`userinfo`) and `/jwt` (`bearer`, for the resource [`API`]). `None`: skipped (the reason printed).
async fn stack() -> Option<Stack> {
    stack_with(json!({})).await
}

/// [`stack`] with `browser` over the `/anything` route's config.
async fn stack_with(browser: Value) -> Option<Stack> {
    let proxy = listener().await;
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let (node, issuer) = match oidc_provider::start(&[
        ("REDIRECT_URI", format!("{proxy_url}/anything")),
        ("POST_LOGOUT_REDIRECT_URI", format!("{proxy_url}/bye")),
        ("INTROSPECTION", "on".into()),
        ("JWT_API", API.into()),
    ]) {
        Ok(x) => x,
        Err(why) => {
            eprintln!("SKIPPED: openid-connect against node oidc-provider: {why}");
            return None;
        }
    };
    let up = echo().await;
    let base = json!({"issuer": issuer, "client_id": ["rp"], "client_secret": ["rp-secret"],
        "client_auth": ["client_secret_basic"], "timeout": 5000});
    let with = |extra: Value| {
        let mut c = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let service = |name: &str, path: &str, config: Value| {
        json!({"name": name, "url": up.url(),
            "routes": [{"paths": [path], "strip_path": false}],
            "plugins": [{"name": "openid-connect", "config": config}]})
    };
    let doc = json!({"_format_version": "3.0", "services": [
        service("browser", "/anything", with({
            let mut c = json!({
                "auth_methods": ["authorization_code", "session"],
                "scopes": ["openid", "profile", "email"],
                "preserve_query_args": true,
                "logout_uri_suffix": "/logout",
                "logout_redirect_uri": [format!("{proxy_url}/bye")],
            });
            for (k, v) in browser.as_object().unwrap() {
                c[k] = v.clone();
            }
            c
        })),
        service("introspected", "/introspected", with(json!({
            "auth_methods": ["introspection"]}))),
        service("userinfo", "/userinfo", with(json!({
            "auth_methods": ["userinfo"],
            "upstream_headers_claims": ["email"], "upstream_headers_names": ["x-email"]}))),
        service("jwt", "/jwt", with(json!({
            "auth_methods": ["bearer"], "audience_required": [API], "scopes_required": ["api"]}))),
    ]});
    let gw = gatecheck_gateway::start(
        gatecheck_gateway::Config {
            declarative_config_string: Some(doc),
            session_secret: Some("a session secret of the oidc-provider test".into()),
            ..Default::default()
        },
        proxy,
        listener().await,
    )
    .await
    .unwrap();
    Some(Stack {
        _node: node,
        issuer,
        gw,
        _up: up,
    })
}

fn browser() -> Browser {
    Browser::new(Duration::from_secs(15)).unwrap()
}

/// Logs alex in at oidc-provider's pages from `path` (consenting when asked); the page the
/// browser lands on.
async fn login(s: &Stack, b: &Browser, path: &str) -> gatecheck_browser::Page {
    let page = b.open(&s.url(path)).await.unwrap();
    assert!(
        page.url.as_str().starts_with(&s.issuer),
        "not at oidc-provider: {} {}",
        page.url,
        page.body
    );
    assert!(
        matches!(generic::ask(&page).unwrap(), generic::Ask::Login { .. }),
        "{}",
        page.body
    );
    let mut page = generic::log_in(b, "alex", "doe").await.unwrap();
    if matches!(generic::ask(&page).unwrap(), generic::Ask::Consent { .. }) {
        page = generic::consent(b, true).await.unwrap();
    }
    page
}

fn bearer(echo: &Value) -> String {
    echo["headers"]["authorization"]
        .as_str()
        .and_then(|a| a.strip_prefix("Bearer "))
        .unwrap_or_else(|| panic!("the upstream got no access token: {echo}"))
        .to_owned()
}

#[tokio::test]
async fn the_guide_flow_session_and_logout_work_against_node_oidc_provider() {
    let Some(s) = stack().await else { return };
    // The redirect: what oidc-provider's discovery offers is used (PKCE S256).
    let r = client()
        .get(s.url("/anything?hello=world"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let to = Url::parse(r.headers()[LOCATION].to_str().unwrap()).unwrap();
    assert!(
        to.as_str().starts_with(&format!("{}/auth?", s.issuer)),
        "{to}"
    );
    assert_eq!(param(&to, "code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(param(&to, "client_id").as_deref(), Some("rp"));

    // alex logs in and consents on oidc-provider's pages and lands on the upstream with the
    // query; the callback carried RFC 9207's iss, which the gateway checked.
    let b = browser();
    let page = login(&s, &b, "/anything?hello=world").await;
    assert_eq!(page.status, 200, "{} {}", page.url, page.body);
    let echo = page.json().unwrap();
    assert_eq!(echo["args"], json!({"hello": "world"}), "{echo}");
    let callback = b
        .history()
        .into_iter()
        .find(|h| {
            h.url.as_str().starts_with(&s.url("/anything?")) && param(&h.url, "code").is_some()
        })
        .expect("the callback")
        .url;
    assert_eq!(param(&callback, "iss").as_deref(), Some(s.issuer.as_str()));
    let access_token = bearer(&echo);

    // The session serves the next request without oidc-provider.
    let again = b.open(&s.url("/anything/again")).await.unwrap();
    assert_eq!(again.status, 200);
    assert!(
        !b.last_navigation()
            .iter()
            .any(|h| h.url.as_str().starts_with(&s.issuer)),
        "went to the OP"
    );
    assert_eq!(bearer(&again.json().unwrap()), access_token);

    // Logout: the gateway ends the session and sends the browser to oidc-provider's
    // end_session_endpoint with the ID token as hint.
    let url = Url::parse(&s.url("/anything")).unwrap();
    let cookies = b.cookies_for(&url).expect("cookies");
    let session = cookies
        .split("; ")
        .find(|c| c.starts_with("session="))
        .expect("a session cookie")
        .to_owned();
    let r = client()
        .post(s.url("/anything/logout"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let end = Url::parse(r.headers()[LOCATION].to_str().unwrap()).unwrap();
    assert!(
        end.as_str()
            .starts_with(&format!("{}/session/end", s.issuer)),
        "{end}"
    );
    assert!(param(&end, "id_token_hint").is_some_and(|h| h.starts_with("ey")));
    assert_eq!(param(&end, "client_id").as_deref(), Some("rp"));
    assert_eq!(param(&end, "post_logout_redirect_uri"), Some(s.url("/bye")));
    assert!(
        r.headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.starts_with("session=") && v.contains("Max-Age=0")),
        "the session cookie is deleted"
    );
    // A replayed copy of the cookie is no session.
    let r = client()
        .get(s.url("/anything"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302, "a new login");
    // oidc-provider asks the user to confirm and, once confirmed, ends its session and goes
    // back to the registered post_logout_redirect_uri.
    let confirm = b.open(end.as_str()).await.unwrap();
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    // (Its "Yes, sign me out" button is outside the form, tied to it by `form=`: the field
    // it would add is given here.)
    let form = confirm.form(None).unwrap();
    let mut fields = form.submission(&[], None).unwrap();
    fields.push(("logout".into(), "yes".into()));
    let back = b.post_form(form.action.as_str(), fields).await.unwrap();
    assert!(
        b.history()
            .iter()
            .any(|h| h.url.as_str().starts_with(&s.url("/bye"))),
        "not sent to the post_logout_redirect_uri: {} {}",
        back.url,
        back.body
    );
    // The OP's session is gone too: the next login asks for the password again.
    let page = b.open(&s.url("/anything")).await.unwrap();
    assert!(
        matches!(generic::ask(&page).unwrap(), generic::Ask::Login { .. }),
        "{} {}",
        page.url,
        page.body
    );
}

#[tokio::test]
async fn introspection_and_userinfo_judge_node_oidc_providers_access_tokens() {
    let Some(s) = stack().await else { return };
    let b = browser();
    let page = login(&s, &b, "/anything").await;
    let token = bearer(&page.json().unwrap());
    // oidc-provider's access tokens are opaque (no resource indicator asked for a JWT one).
    assert!(!token.contains('.'), "{token}");

    let r = client()
        .get(s.url("/introspected"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let echo: Value = r.json().await.unwrap();
    assert_eq!(bearer(&echo), token);

    let r = client()
        .get(s.url("/userinfo"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let echo: Value = r.json().await.unwrap();
    assert_eq!(echo["headers"]["x-email"], "alex@example.com", "{echo}");

    // A token oidc-provider never issued: inactive at introspection, refused at userinfo.
    for path in ["/introspected", "/userinfo"] {
        let r = client()
            .get(s.url(path))
            .bearer_auth("not-a-token-of-this-op")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path}");
        assert!(r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=\"invalid_token\""));
    }
}

#[tokio::test]
async fn bearer_verifies_node_oidc_providers_jwt_access_tokens_with_its_keys() {
    let Some(s) = stack().await else { return };
    // A JWT access token for the API (RFC 8707 resource, RFC 9068 format).
    let answer: Value = client()
        .post(format!("{}/token", s.issuer))
        .basic_auth("rp", Some("rp-secret"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("resource", API),
            ("scope", "api"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = answer["access_token"].as_str().expect("a token").to_owned();
    assert_eq!(token.split('.').count(), 3, "a JWT: {answer}");
    let r = client()
        .get(s.url("/jwt"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let echo: Value = r.json().await.unwrap();
    assert_eq!(bearer(&echo), token);
    // Its signature altered: refused with invalid_token, never 500.
    let (head, _) = token.rsplit_once('.').unwrap();
    let r = client()
        .get(s.url("/jwt"))
        .bearer_auth(format!("{head}.AAAA"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // An opaque token of the same OP is no JWT: bearer alone cannot judge it.
    let b = browser();
    let page = login(&s, &b, "/anything").await;
    let opaque = bearer(&page.json().unwrap());
    let r = client()
        .get(s.url("/jwt"))
        .bearer_auth(&opaque)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn a_step_up_node_oidc_provider_does_not_perform_is_refused_without_a_loop() {
    // oidc-provider treats acr_values as voluntary (OpenID Connect Core 1.0 §5.5.1.1) and its
    // logins here have one acr: asked for another, it answers with that one.
    let Some(s) = stack_with(json!({"required_acr_values": ["urn:gatecheck:acr:mfa"]})).await
    else {
        return;
    };
    let r = client().get(s.url("/anything")).send().await.unwrap();
    let to = Url::parse(r.headers()[LOCATION].to_str().unwrap()).unwrap();
    assert_eq!(
        param(&to, "acr_values").as_deref(),
        Some("urn:gatecheck:acr:mfa")
    );
    let b = browser();
    let page = login(&s, &b, "/anything").await;
    assert_eq!(page.status, 401, "{} {}", page.url, page.body);
    assert!(
        page.url.as_str().starts_with(&s.url("/anything?")),
        "{}",
        page.url
    );
    let url = Url::parse(&s.url("/anything")).unwrap();
    assert!(
        !b.cookies_for(&url)
            .unwrap_or_default()
            .split("; ")
            .any(|c| c.starts_with("session=")),
        "no session"
    );
}
