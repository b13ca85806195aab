//! Logout notifications and session management against in-process relying parties: sessions
//! record the clients that took part; back-channel logout tokens reach every such client
//! (and a slow or failing RP does not hold the logout up); front-channel iframes; the
//! `session_state` of authorization responses and the check-session iframe; registration of
//! logout URIs; discovery.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use gatecheck_op::ClientConfig;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{json, Value};
use sha2::Digest;

use crate::common::*;

/// How a test RP answers a back-channel logout POST.
#[derive(Clone, Copy)]
enum Answer {
    Ok,
    /// Never answers (the OP must time out).
    Hang,
    /// 500.
    Fail,
}

/// Bodies POSTed to a test RP, with their content type.
type Posts = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A relying party on a loopback port recording the bodies POSTed to it.
struct Rp {
    base: String,
    posts: Posts,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Rp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn rp(answer: Answer) -> Rp {
    async fn handle(
        State((posts, answer)): State<(Posts, Answer)>,
        headers: HeaderMap,
        body: Bytes,
    ) -> (StatusCode, [(&'static str, &'static str); 1]) {
        let ct = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        posts
            .lock()
            .unwrap()
            .push((String::from_utf8_lossy(&body).into_owned(), ct));
        match answer {
            Answer::Ok => (StatusCode::OK, [("cache-control", "no-store")]),
            Answer::Fail => (
                StatusCode::INTERNAL_SERVER_ERROR,
                [("cache-control", "no-store")],
            ),
            Answer::Hang => std::future::pending().await,
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let posts: Posts = Arc::default();
    let app = axum::Router::new()
        .route("/backchannel_logout", axum::routing::post(handle))
        .with_state((posts.clone(), answer));
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Rp { base, posts, task }
}

fn client(id: &str, base: &str) -> ClientConfig {
    ClientConfig {
        client_id: id.into(),
        client_secret: Some(format!("{id}-secret")),
        redirect_uris: vec![format!("{base}/cb")],
        post_logout_redirect_uris: vec![format!("{base}/post_logout_redirect")],
        pre_authorized: true,
        ..Default::default()
    }
}

/// Opens an authorization request of `client_id` and logs in if asked; the redirect to the RP.
async fn authorize(op: &TestOp, agent: &Agent, client_id: &str, redirect_uri: &str) -> url::Url {
    let url = authorize_url(
        op,
        &[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("scope", "openid"),
            ("state", "s1"),
            ("nonce", "n1"),
        ],
    );
    match agent.open(&url).await {
        left @ Nav::Left(_) => left.left(),
        Nav::Page(page) => agent.login(&page, "admin", "secret").await.left(),
    }
}

async fn id_token_of(
    op: &TestOp,
    client_id: &str,
    callback: &url::Url,
    redirect_uri: &str,
) -> String {
    let code = query_param(callback, "code").unwrap();
    let secret = format!("{client_id}-secret");
    let (status, body, _) = token_request(
        op,
        (client_id, &secret),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect_uri),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["id_token"].as_str().unwrap().to_owned()
}

/// The claims of a JWT signed by the OP, checked with its published keys for `aud`.
async fn verified(op: &TestOp, token: &str, aud: &str) -> (jsonwebtoken::Header, Value) {
    let jwks: JwkSet = get_json(op, "/oxauth/restv1/jwks").await;
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwk = jwks.find(header.kid.as_deref().unwrap()).unwrap();
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[aud]);
    validation.set_issuer(&[op.issuer()]);
    validation.set_required_spec_claims(&["iss", "aud", "exp"]);
    let data =
        jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .unwrap();
    (header, data.claims)
}

fn claims_of(token: &str) -> Value {
    use base64::Engine;
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn logout_notifies_every_client_of_the_session_and_completes_despite_slow_and_failing_rps() {
    let good = rp(Answer::Ok).await;
    let slow = rp(Answer::Hang).await;
    let failing = rp(Answer::Fail).await;
    // A port nothing listens on: the connection is refused.
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let front = "http://127.0.0.1:4401";
    let mut config = fixture_config();
    config.logout.backchannel_timeout_ms = 300;
    for (id, base) in [
        ("bc-good", good.base.as_str()),
        ("bc-slow", slow.base.as_str()),
        ("bc-failing", failing.base.as_str()),
        ("bc-refused", refused.as_str()),
    ] {
        config.clients.push(ClientConfig {
            backchannel_logout_uri: Some(format!("{base}/backchannel_logout")),
            backchannel_logout_session_required: true,
            ..client(id, base)
        });
    }
    config.clients.push(ClientConfig {
        frontchannel_logout_uri: Some(format!("{front}/frontchannel_logout")),
        frontchannel_logout_session_required: true,
        ..client("fc", front)
    });
    // Registered for both channels: told by the back channel only.
    config.clients.push(ClientConfig {
        frontchannel_logout_uri: Some(format!("{}/frontchannel_logout", good.base)),
        backchannel_logout_uri: Some(format!("{}/backchannel_logout", good.base)),
        ..client("both", &good.base)
    });
    // Registered, never used in this session: not told.
    config.clients.push(ClientConfig {
        backchannel_logout_uri: Some(format!("{}/backchannel_logout", good.base)),
        ..client("bystander", &good.base)
    });
    let op = TestOp::with_config(config).await;
    let agent = Agent::new(&op);
    let good_cb = format!("{}/cb", good.base);
    let first = authorize(&op, &agent, "bc-good", &good_cb).await;
    let id_token = id_token_of(&op, "bc-good", &first, &good_cb).await;
    for (id, base) in [
        ("bc-slow", slow.base.as_str()),
        ("bc-failing", failing.base.as_str()),
        ("bc-refused", refused.as_str()),
        ("fc", front),
        ("both", good.base.as_str()),
    ] {
        let cb = authorize(&op, &agent, id, &format!("{base}/cb")).await;
        assert!(query_param(&cb, "code").is_some(), "{cb}");
    }
    let id_claims = claims_of(&id_token);
    let started = Instant::now();
    let page = agent
        .open(&end_session_url(
            &op,
            &[
                ("id_token_hint", &id_token),
                (
                    "post_logout_redirect_uri",
                    &format!("{}/post_logout_redirect", good.base),
                ),
                ("state", "bye"),
            ],
        ))
        .await
        .page();
    // Waited for the slow RP no longer than its timeout (and not the OP's 5 s default).
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(page.status, 200, "{}", page.html);
    // The front-channel client's iframe, with iss and sid; then on to the RP with state.
    let frame = page
        .attr_of("iframe.frontchannel_logout", "src")
        .expect("an iframe");
    let frame = url::Url::parse(&frame).unwrap();
    assert_eq!(frame.path(), "/frontchannel_logout");
    assert_eq!(query_param(&frame, "iss"), Some(op.issuer()));
    assert_eq!(
        query_param(&frame, "sid").as_deref(),
        id_claims["sid"].as_str()
    );
    assert_eq!(page.html.matches("<iframe").count(), 1, "{}", page.html);
    assert_eq!(
        page.attr_of("#post_logout_redirect", "href"),
        Some(format!("{}/post_logout_redirect?state=bye", good.base))
    );
    // bc-good and both each got one logout token; the bystander none.
    let posts = good.posts.lock().unwrap().clone();
    assert_eq!(posts.len(), 2, "{posts:?}");
    let mut audiences = Vec::new();
    for (body, content_type) in &posts {
        assert_eq!(
            content_type.as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(form.len(), 1, "only logout_token: {form:?}");
        assert_eq!(form[0].0, "logout_token");
        let aud = claims_of(&form[0].1)["aud"].as_str().unwrap().to_owned();
        let (header, claims) = verified(&op, &form[0].1, &aud).await;
        assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
        assert_eq!(
            claims["events"],
            json!({"http://schemas.openid.net/event/backchannel-logout": {}})
        );
        assert_eq!(claims["sid"], id_claims["sid"]);
        assert_eq!(claims["sub"], id_claims["sub"]);
        assert!(claims.get("nonce").is_none());
        assert!(claims["jti"].is_string() && claims["iat"].is_i64());
        audiences.push(aud);
    }
    audiences.sort();
    assert_eq!(audiences, ["bc-good", "both"]);
    // The slow and the failing RP were tried.
    assert_eq!(slow.posts.lock().unwrap().len(), 1);
    assert_eq!(failing.posts.lock().unwrap().len(), 1);
    // The session is over for every client.
    let after = authorize_url(
        &op,
        &[
            ("response_type", "code"),
            ("client_id", "bc-good"),
            ("redirect_uri", &good_cb),
            ("scope", "openid"),
            ("prompt", "none"),
        ],
    );
    let after = agent.open(&after).await.left();
    assert_eq!(
        query_param(&after, "error").as_deref(),
        Some("login_required")
    );
}

#[tokio::test]
async fn without_front_channel_clients_logout_redirects_at_once_after_the_back_channel() {
    let good = rp(Answer::Ok).await;
    let mut config = fixture_config();
    config.clients.push(ClientConfig {
        backchannel_logout_uri: Some(format!("{}/backchannel_logout", good.base)),
        ..client("bc", &good.base)
    });
    let op = TestOp::with_config(config).await;
    let agent = Agent::new(&op);
    let cb = format!("{}/cb", good.base);
    let first = authorize(&op, &agent, "bc", &cb).await;
    let id_token = id_token_of(&op, "bc", &first, &cb).await;
    let left = agent
        .open(&end_session_url(
            &op,
            &[
                ("id_token_hint", &id_token),
                (
                    "post_logout_redirect_uri",
                    &format!("{}/post_logout_redirect", good.base),
                ),
                ("state", "s"),
            ],
        ))
        .await
        .left();
    assert_eq!(
        left.as_str(),
        format!("{}/post_logout_redirect?state=s", good.base)
    );
    // Delivered before the browser was answered.
    assert_eq!(good.posts.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn session_state_follows_session_management_and_changes_with_the_session() {
    let mut config = fixture_config();
    config.clients.push(client("sm", "http://127.0.0.1:4402"));
    let op = TestOp::with_config(config).await;
    let agent = Agent::new(&op);
    let cb = "http://127.0.0.1:4402/cb";
    let first = authorize(&op, &agent, "sm", cb).await;
    let state = query_param(&first, "session_state").expect("session_state");
    let opbs = agent
        .cookie(&op.issuer(), "opbs")
        .expect("the browser state cookie");
    let (hash, salt) = state.rsplit_once('.').unwrap();
    let expected = sha2::Sha256::digest(format!("sm http://127.0.0.1:4402 {opbs} {salt}"));
    let expected: String = expected.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hash, expected);
    // Another response of the same session: another salt, same browser state.
    let again = authorize(&op, &agent, "sm", cb).await;
    let state2 = query_param(&again, "session_state").unwrap();
    assert_ne!(state, state2);
    assert_eq!(
        agent.cookie(&op.issuer(), "opbs").as_deref(),
        Some(opbs.as_str())
    );
    // The iframe page is served for RPs to frame.
    let page = http()
        .get(op.url("/oxauth/opiframe.htm"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers().get("x-frame-options").is_none());
    assert!(page.text().await.unwrap().contains("postMessage"));
    // Logout deletes the browser state: what the iframe reads no longer matches.
    let id_token = id_token_of(&op, "sm", &again, cb).await;
    agent
        .open(&end_session_url(&op, &[("id_token_hint", &id_token)]))
        .await
        .page();
    assert_eq!(agent.cookie(&op.issuer(), "opbs"), None);
}

#[tokio::test]
async fn logout_uris_are_registered_checked_and_echoed() {
    let op = TestOp::start().await;
    let (status, body) = register(
        &op,
        json!({
            "application_type": "native",
            "redirect_uris": ["http://127.0.0.1:4400/cb"],
            "frontchannel_logout_uri": "http://127.0.0.1:4400/frontchannel_logout",
            "frontchannel_logout_session_required": true,
            "backchannel_logout_uri": "http://127.0.0.1:4400/backchannel_logout",
            "backchannel_logout_session_required": true,
        }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["frontchannel_logout_uri"],
        "http://127.0.0.1:4400/frontchannel_logout"
    );
    assert_eq!(body["frontchannel_logout_session_required"], true);
    assert_eq!(
        body["backchannel_logout_uri"],
        "http://127.0.0.1:4400/backchannel_logout"
    );
    assert_eq!(body["backchannel_logout_session_required"], true);
    for (field, uri) in [
        (
            "frontchannel_logout_uri",
            "http://127.0.0.1:4401/frontchannel_logout",
        ),
        ("frontchannel_logout_uri", "https://rp.example/fc#x"),
        (
            "backchannel_logout_uri",
            "http://rp.example/backchannel_logout",
        ),
        ("backchannel_logout_uri", "not a url"),
    ] {
        let (status, body) = register(
            &op,
            json!({
                "application_type": "native",
                "redirect_uris": ["http://127.0.0.1:4400/cb"],
                field: uri,
            }),
        )
        .await;
        assert_eq!(status, 400, "{field} {uri}: {body}");
        assert_eq!(body["error"], "invalid_client_metadata", "{body}");
        assert!(
            body["error_description"].as_str().unwrap().contains(field),
            "{body}"
        );
    }
}

#[tokio::test]
async fn discovery_publishes_the_logout_and_session_management_endpoints() {
    let op = TestOp::start().await;
    let doc: Value = get_json(&op, "/.well-known/openid-configuration").await;
    assert_eq!(doc["check_session_iframe"], op.url("/oxauth/opiframe.htm"));
    assert_eq!(
        doc["end_session_endpoint"],
        op.url("/oxauth/restv1/end_session")
    );
    for flag in [
        "frontchannel_logout_supported",
        "frontchannel_logout_session_supported",
        "backchannel_logout_supported",
        "backchannel_logout_session_supported",
    ] {
        assert_eq!(doc[flag], true, "{flag}");
    }
    // Each published endpoint answers.
    for key in ["check_session_iframe", "end_session_endpoint"] {
        let status = http()
            .get(doc[key].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200, "{key}");
    }
}
