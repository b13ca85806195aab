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
