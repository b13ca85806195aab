//! Pairwise subjects (OIDC Core §8.1): clients of one sector see one `sub` for a user, other
//! sectors another, none the public one; each `sub` is stable, and every place that names the
//! user (ID token, userinfo, introspection, JWT access token) gives the same one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gatecheck_op::config::{ClientConfig, PairwiseIdType};
use gatecheck_op::protocol::{GrantType, SubjectType};
use serde_json::{json, Value};

use crate::common::*;

fn pairwise_client(id: &str, redirect_uri: &str) -> ClientConfig {
    ClientConfig {
        client_id: id.into(),
        client_secret: Some(format!("{id}-secret")),
        redirect_uris: vec![redirect_uri.into()],
        grant_types: vec![GrantType::Password],
        subject_type: SubjectType::Pairwise,
        access_token_as_jwt: true,
        ..Default::default()
    }
}

async fn op(id_type: PairwiseIdType) -> TestOp {
    let mut config = fixture_config();
    config.pairwise.id_type = id_type;
    config.clients.extend([
        pairwise_client("rp-a1", "https://a.example/cb"),
        pairwise_client("rp-a2", "https://a.example:8443/other"),
        pairwise_client("rp-b", "https://b.example/cb"),
    ]);
    TestOp::with_config(config).await
}

fn payload(jwt: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap()
}

/// Every `sub` client `id` is shown for `username`, after checking they agree.
async fn sub_seen_by(op: &TestOp, id: &str, username: &str, password: &str) -> String {
    let secret = format!("{id}-secret");
    let (status, body, _) = token_request(
        op,
        (id, &secret),
        &[
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
            ("scope", "openid profile"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let access_token = body["access_token"].as_str().unwrap();
    let in_id_token = payload(body["id_token"].as_str().unwrap())["sub"].clone();
    let in_access_token = payload(access_token)["sub"].clone();
    let userinfo: Value = http()
        .get(op.url("/oxauth/restv1/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let introspected = introspect(op, (id, &secret), access_token).await;
    assert_eq!(in_id_token, in_access_token, "{id}");
    assert_eq!(in_id_token, userinfo["sub"], "{id}");
    assert_eq!(in_id_token, introspected["sub"], "{id}");
    in_id_token.as_str().unwrap().to_owned()
}

async fn check_sectors(id_type: PairwiseIdType) {
    let op = op(id_type).await;
    let a1 = sub_seen_by(&op, "rp-a1", "admin", "secret").await;
    let a2 = sub_seen_by(&op, "rp-a2", "admin", "secret").await;
    let b = sub_seen_by(&op, "rp-b", "admin", "secret").await;
    assert_eq!(a1, a2, "one sector, one sub");
    assert_ne!(a1, b, "another sector, another sub");
    assert_ne!(a1, "admin");
    assert_ne!(b, "admin");
    assert_eq!(
        a1,
        sub_seen_by(&op, "rp-a1", "admin", "secret").await,
        "stable"
    );
    let other_user = sub_seen_by(&op, "rp-a1", "jdoe", "jdoe-secret").await;
    assert_ne!(other_user, a1, "another user, another sub");
    // A public client still sees the user's own sub.
    let (_, body, _) = token_request(
        &op,
        API,
        &[
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", "secret"),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(payload(body["id_token"].as_str().unwrap())["sub"], "admin");
}

#[tokio::test]
async fn algorithmic_pairwise_subjects_follow_the_sector() {
    check_sectors(PairwiseIdType::Algorithmic).await;
}

#[tokio::test]
async fn persistent_pairwise_subjects_follow_the_sector() {
    check_sectors(PairwiseIdType::Persistent).await;
}

#[tokio::test]
async fn algorithmic_subjects_survive_a_restart_with_the_same_key_and_salt() {
    let mut config = fixture_config();
    config.pairwise.key = Some("a-configured-pairwise-key".into());
    config.pairwise.salt = Some("a-configured-pairwise-salt".into());
    config
        .clients
        .push(pairwise_client("rp-a1", "https://a.example/cb"));
    let first = TestOp::with_config(config.clone()).await;
    let second = TestOp::with_config(config).await;
    assert_eq!(
        sub_seen_by(&first, "rp-a1", "admin", "secret").await,
        sub_seen_by(&second, "rp-a1", "admin", "secret").await
    );
}

#[tokio::test]
async fn pairwise_registration_and_discovery() {
    let op = TestOp::start().await;
    let doc: Value = get_json(&op, "/.well-known/openid-configuration").await;
    assert_eq!(
        doc["subject_types_supported"],
        json!(["public", "pairwise"])
    );
    let (status, body) = register(
        &op,
        json!({"redirect_uris": ["https://a.example/cb", "https://a.example/cb2"],
               "subject_type": "pairwise"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["subject_type"], "pairwise");
    let (status, body) = register(
        &op,
        json!({"redirect_uris": ["https://a.example/cb", "https://b.example/cb"],
               "subject_type": "pairwise"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_client_metadata");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("one host"));
}

/// Serves `documents` (path, body) on a loopback port; the base URL.
async fn sector_server(documents: Vec<(&'static str, String)>) -> String {
    let mut app = axum::Router::new();
    for (path, body) in documents {
        app = app.route(path, axum::routing::get(move || async move { body }));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    base
}

async fn sector_op(loopback_http: bool) -> TestOp {
    let mut config = fixture_config();
    config.registration.sector_identifier_http_loopback = loopback_http;
    TestOp::with_config(config).await
}

fn sector_registration(sector_uri: &str) -> Value {
    json!({"redirect_uris": ["https://a.example/cb", "https://b.example/cb"],
           "subject_type": "pairwise", "sector_identifier_uri": sector_uri})
}

#[tokio::test]
async fn a_sector_identifier_uri_listing_every_redirect_uri_is_accepted() {
    let base = sector_server(vec![(
        "/sector.json",
        json!([
            "https://a.example/cb",
            "https://b.example/cb",
            "https://c.example/cb"
        ])
        .to_string(),
    )])
    .await;
    let op = sector_op(true).await;
    let uri = format!("{base}/sector.json");
    // Redirect URIs on two hosts: the document vouches for both.
    let (status, body) = register(&op, sector_registration(&uri)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["sector_identifier_uri"], uri);
    assert_eq!(body["subject_type"], "pairwise");
}

#[tokio::test]
async fn a_bad_sector_identifier_uri_is_invalid_client_metadata_naming_the_problem() {
    let base = sector_server(vec![
        ("/missing.json", json!(["https://a.example/cb"]).to_string()),
        ("/object.json", json!({"redirect_uris": []}).to_string()),
        (
            "/not-uris.json",
            json!(["https://a.example/cb", 7]).to_string(),
        ),
        ("/huge.json", format!("[\"{}\"]", "x".repeat(70 * 1024))),
    ])
    .await;
    let op = sector_op(true).await;
    for (uri, says) in [
        (
            format!("{base}/missing.json"),
            "does not list the redirect URI https://b.example/cb".to_owned(),
        ),
        (format!("{base}/object.json"), "not a JSON array".to_owned()),
        (format!("{base}/not-uris.json"), "not a URI".to_owned()),
        (format!("{base}/huge.json"), "larger than".to_owned()),
        (format!("{base}/absent.json"), "answered 404".to_owned()),
        (
            "ftp://sector.example/list".to_owned(),
            "is not an https URL".to_owned(),
        ),
        // http off loopback, even with the loopback switch on.
        (
            "http://sector.example/list".to_owned(),
            "is not an https URL".to_owned(),
        ),
    ] {
        let (status, body) = register(&op, sector_registration(&uri)).await;
        assert_eq!(status, 400, "{uri}: {body}");
        assert_eq!(body["error"], "invalid_client_metadata", "{uri}");
        let description = body["error_description"].as_str().unwrap();
        assert!(description.contains(&says), "{uri}: {description}");
    }
    // Without the switch, a loopback http document is refused before it is fetched.
    let strict = sector_op(false).await;
    let (status, body) = register(
        &strict,
        sector_registration(&format!("{base}/missing.json")),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("is not an https URL"));
}
