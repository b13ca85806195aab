//! `userinfo_signed_response_alg` (OIDC Core §5.3.2, Dynamic Registration §2): a client that
//! registered RS256 gets userinfo as an `application/jwt` signed with the OP's key, with `iss`
//! and `aud`; discovery lists exactly what registration accepts; `none` and unknown algorithms
//! are refused at registration.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};

use crate::common::*;

#[tokio::test]
async fn a_client_that_registered_rs256_gets_a_signed_userinfo_jwt() {
    let mut config = fixture_config();
    for c in &mut config.clients {
        if c.client_id == DEMO.0 {
            c.userinfo_signed_response_alg = Some(gatecheck_op::protocol::SigningAlg::RS256);
        }
    }
    let op = TestOp::with_config(config).await;
    let agent = Agent::new(&op);
    let callback = code_via_login(&op, &agent, &[]).await;
    let tokens = exchange_code(&op, &callback).await;
    let response = http()
        .get(op.url("/oxauth/restv1/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/jwt");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let jwt = response.text().await.unwrap();
    let jwks: JwkSet = get_json(&op, "/oxauth/restv1/jwks").await;
    let header = jsonwebtoken::decode_header(&jwt).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    let key = jwks.find(header.kid.as_deref().unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[DEMO.0]);
    validation.set_issuer(&[op.issuer()]);
    validation.required_spec_claims.clear();
    let claims =
        jsonwebtoken::decode::<Value>(&jwt, &DecodingKey::from_jwk(key).unwrap(), &validation)
            .unwrap()
            .claims;
    assert!(claims["sub"].is_string(), "{claims}");
    assert!(claims.get("nonce").is_none(), "{claims}");
}

#[tokio::test]
async fn registration_accepts_the_listed_userinfo_algs_only() {
    let op = TestOp::start().await;
    let discovery: Value = get_json(&op, "/.well-known/openid-configuration").await;
    let listed = discovery["userinfo_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .clone();
    assert!(listed.contains(&json!("RS256")), "{discovery}");
    assert!(!listed.contains(&json!("none")), "{discovery}");
    for alg in listed.iter().filter_map(Value::as_str) {
        let (status, body) = register(
            &op,
            json!({"redirect_uris": [RP_CALLBACK], "userinfo_signed_response_alg": alg}),
        )
        .await;
        assert_eq!(status, 201, "{alg}: {body}");
        assert_eq!(body["userinfo_signed_response_alg"], alg);
    }
    for alg in ["none", "HS256", "PS256", "rs256"] {
        let (status, body) = register(
            &op,
            json!({"redirect_uris": [RP_CALLBACK], "userinfo_signed_response_alg": alg}),
        )
        .await;
        assert_eq!(status, 400, "{alg}: {body}");
        assert_eq!(body["error"], "invalid_client_metadata");
    }
    // Without it, userinfo stays JSON and the registration says nothing about it.
    let (status, body) = register(&op, json!({"redirect_uris": [RP_CALLBACK]})).await;
    assert_eq!(status, 201);
    assert!(body.get("userinfo_signed_response_alg").is_none(), "{body}");
}
