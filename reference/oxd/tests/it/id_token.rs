//! get-tokens-by-code against a mock OP that signs ID tokens with the reference OP's fixture key:
//! what oxd sends to the token endpoint, and every ID token check.

use base64::Engine;
use gatecheck_op::keys::{KeySet, SigningKey};
use gatecheck_op::protocol::SigningAlg;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

fn keys() -> KeySet {
    let pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/op/keys/rs256.pem"
    ))
    .unwrap();
    KeySet::from_keys(vec![
        SigningKey::from_pem(SigningAlg::RS256, &pem, None).unwrap()
    ])
    .unwrap()
}

fn at_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Runs get-authorization-url, then get-tokens-by-code with an ID token built by `claims`
/// from (issuer, nonce).
async fn exchange(claims: impl Fn(&str, &str) -> Value) -> Reply {
    let keys = keys();
    let op = MockServer::start().await;
    let base = op.uri();
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/authorize"),
            "token_endpoint": format!("{base}/token"),
            "jwks_uri": format!("{base}/jwks"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        })))
        .mount(&op)
        .await;
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(keys.jwks()))
        .mount(&op)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=client_credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "protection", "token_type": "bearer", "expires_in": 300, "scope": "oxd"})))
        .mount(&op)
        .await;

    let oxd = oxd().await;
    let reg = call(
        &oxd,
        "register-site",
        None,
        json!({"op_host": base, "client_id": "c", "client_secret": "s", "redirect_uris": [CALLBACK]}),
    )
    .await
    .ok();
    call(
        &oxd,
        "get-client-token",
        None,
        json!({"client_id": "c", "client_secret": "s", "op_host": base, "scope": ["oxd"]}),
    )
    .await
    .ok();
    let auth = call(
        &oxd,
        "get-authorization-url",
        Some("protection"),
        json!({"oxd_id": reg["oxd_id"]}),
    )
    .await
    .ok();
    let url = url::Url::parse(auth["authorization_url"].as_str().unwrap()).unwrap();
    let nonce = query_param(&url, "nonce").unwrap();
    let state = query_param(&url, "state").unwrap();

    let id_token = keys
        .sign(SigningAlg::RS256, "JWT", &claims(&base, &nonce))
        .unwrap();
    // The code is redeemed with the PKCE verifier and the redirect URI of the request.
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=authorization_code"))
        .and(body_string_contains("code=the-code"))
        .and(body_string_contains("code_verifier="))
        .and(body_string_contains(
            "redirect_uri=http%3A%2F%2Flocalhost%3A4400%2Fcallback",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "at", "token_type": "bearer", "expires_in": 300,
            "refresh_token": "rt", "id_token": id_token})))
        .expect(1)
        .mount(&op)
        .await;
    call(
        &oxd,
        "get-tokens-by-code",
        Some("protection"),
        json!({"oxd_id": reg["oxd_id"], "code": "the-code", "state": state}),
    )
    .await
}

fn good(iss: &str, nonce: &str) -> Value {
    json!({"iss": iss, "aud": "c", "sub": "admin", "exp": now() + 300, "iat": now(),
           "auth_time": now() - 10, "nonce": nonce, "at_hash": at_hash("at"),
           "acr": "otp", "sid": "session-1"})
}

#[tokio::test]
async fn valid_id_token_is_returned_with_its_claims() {
    let reply = exchange(good).await;
    let body = reply.ok();
    assert_eq!(body["access_token"], "at");
    assert_eq!(body["refresh_token"], "rt");
    assert_eq!(body["expires_in"], 300);
    let claims = &body["id_token_claims"];
    assert_eq!(claims["sub"], "admin");
    assert_eq!(claims["acr"], "otp");
    // Non-standard claims are passed through.
    assert_eq!(claims["sid"], "session-1");
}

#[tokio::test]
async fn id_token_with_wrong_nonce_is_rejected() {
    let reply = exchange(|iss, _| {
        let mut c = good(iss, "x");
        c["nonce"] = json!("someone-elses-nonce");
        c
    })
    .await;
    assert_eq!(reply.status, 500);
    assert!(reply.description().contains("id_token"), "{:?}", reply.body);
}

#[tokio::test]
async fn id_token_for_another_audience_is_rejected() {
    let reply = exchange(|iss, nonce| {
        let mut c = good(iss, nonce);
        c["aud"] = json!("other-client");
        c
    })
    .await;
    assert_eq!(reply.status, 500);
}

#[tokio::test]
async fn expired_id_token_is_rejected() {
    let reply = exchange(|iss, nonce| {
        let mut c = good(iss, nonce);
        c["exp"] = json!(now() - 600);
        c["iat"] = json!(now() - 900);
        c
    })
    .await;
    assert_eq!(reply.status, 500);
}

#[tokio::test]
async fn id_token_from_another_issuer_is_rejected() {
    let reply = exchange(|_, nonce| good("https://evil.example", nonce)).await;
    assert_eq!(reply.status, 500);
}

#[tokio::test]
async fn at_hash_mismatch_is_rejected() {
    let reply = exchange(|iss, nonce| {
        let mut c = good(iss, nonce);
        c["at_hash"] = json!(at_hash("another-token"));
        c
    })
    .await;
    assert_eq!(reply.status, 500);
    assert!(reply.description().contains("at_hash"), "{:?}", reply.body);
}
