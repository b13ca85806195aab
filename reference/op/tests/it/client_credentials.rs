use serde_json::Value;

use crate::common::*;

#[tokio::test]
async fn client_credentials_grants_matching_spontaneous_scopes_and_drops_others() {
    let op = TestOp::start().await;
    let (status, body, headers) = token_request(
        &op,
        API,
        &[
            ("grant_type", "client_credentials"),
            (
                "scope",
                "oxd transactions:123 transactions: unknown payments:1",
            ),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "oxd transactions:123");
    assert_eq!(body["expires_in"], 300);
    assert!(body.get("refresh_token").is_none());
    assert!(body.get("id_token").is_none());

    let token = body["access_token"].as_str().unwrap();
    let info = introspect(&op, API, token).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["scope"], "oxd transactions:123");
    assert_eq!(info["client_id"], "api-consumer");
    assert_eq!(info["token_type"], "bearer");
    assert_eq!(info["iss"], op.issuer());
    assert_eq!(info["aud"], "api-consumer");
    assert!(info["exp"].as_i64().unwrap() > info["iat"].as_i64().unwrap());
}

#[tokio::test]
async fn spontaneous_scopes_need_a_matching_pattern() {
    let op = TestOp::start().await;
    let (status, body, _) = token_request(
        &op,
        API,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "nothing:matches"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_scope");
}

#[tokio::test]
async fn no_scope_means_the_clients_scopes_without_openid() {
    let op = TestOp::start().await;
    let (_, body, _) = token_request(&op, API, &[("grant_type", "client_credentials")]).await;
    assert_eq!(body["scope"], "oxd uma_protection");
}

#[tokio::test]
async fn a_gateways_bearer_token_introspects_other_clients_tokens() {
    let op = TestOp::start().await;
    let (_, consumer, _) = token_request(
        &op,
        API,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "transactions:9"),
        ],
    )
    .await;
    // gg-gateway has introspect_any_token: it serves every consumer's API.
    let (_, protection, _) = token_request(
        &op,
        ("gg-gateway", "gg-gateway-secret"),
        &[("grant_type", "client_credentials"), ("scope", "oxd")],
    )
    .await;
    let info: Value = http()
        .post(op.url("/oxauth/restv1/introspection"))
        .bearer_auth(protection["access_token"].as_str().unwrap())
        .form(&[("token", consumer["access_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["active"], true);
    assert_eq!(info["scope"], "transactions:9");
    assert_eq!(info["client_id"], "api-consumer");

    // GET with query parameters works too (Gluu accepts both).
    let info: Value = http()
        .get(op.url("/oxauth/restv1/introspection"))
        .bearer_auth(protection["access_token"].as_str().unwrap())
        .query(&[("token", consumer["access_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["active"], true);
}

#[tokio::test]
async fn unknown_and_expired_tokens_are_inactive() {
    let op = TestOp::start().await;
    assert_eq!(
        introspect(&op, API, "no-such-token").await,
        serde_json::json!({"active": false})
    );
    let (_, body, _) = token_request(&op, API, &[("grant_type", "client_credentials")]).await;
    let token = body["access_token"].as_str().unwrap().to_owned();
    op.clock.advance(299);
    assert_eq!(introspect(&op, API, &token).await["active"], true);
    op.clock.advance(1);
    assert_eq!(
        introspect(&op, API, &token).await,
        serde_json::json!({"active": false})
    );
}

#[tokio::test]
async fn jwt_access_tokens_verify_with_the_published_jwks() {
    let op = TestOp::start().await;
    let (status, body, _) = token_request(
        &op,
        JWT,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "oxd transactions:77"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    let jwks: jsonwebtoken::jwk::JwkSet = http()
        .get(op.url("/oxauth/restv1/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("kid published");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&["jwt-consumer"]);
    validation.set_issuer(&[op.issuer()]);
    let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["scope"], "oxd transactions:77");
    assert_eq!(claims["client_id"], "jwt-consumer");
    assert_eq!(claims["token_type"], "bearer");
    assert_eq!(claims["sub"], "jwt-consumer");
    assert!(claims["jti"].is_string());
    assert!(claims["iat"].is_i64() && claims["exp"].is_i64());

    // Stored server-side: introspection knows it, revocation kills it.
    let info = introspect(&op, JWT, token).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["jti"], claims["jti"]);
    let response = http()
        .post(op.url("/oxauth/restv1/revoke"))
        .basic_auth(JWT.0, Some(JWT.1))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(introspect(&op, JWT, token).await["active"], false);
}

#[tokio::test]
async fn es256_jwt_access_tokens() {
    let mut config = fixture_config();
    config.clients[2].access_token_signing_alg = Some(gatecheck_op::protocol::SigningAlg::ES256);
    let op = TestOp::with_config(config).await;
    let (_, body, _) = token_request(&op, JWT, &[("grant_type", "client_credentials")]).await;
    let header = jsonwebtoken::decode_header(body["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
}
