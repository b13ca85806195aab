//! Client authentication with JWT assertions (OIDC Core §9, RFC 7523) at the token,
//! introspection and revocation endpoints: `client_secret_jwt` (HS256 with the secret) and
//! `private_key_jwt` (RS256 with a key of the client's `jwks`), `aud` the token endpoint or the
//! issuer, `exp` and `jti` required, a replayed `jti` refused, and the registered method
//! enforced both ways.

use gatecheck_op::keys::SigningKey;
use gatecheck_op::protocol::{SigningAlg, TokenEndpointAuthMethod};
use gatecheck_op::Clock;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::EncodePrivateKey;
use serde_json::{json, Value};

use crate::common::*;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

struct Keyed {
    encoding: EncodingKey,
    jwk: Value,
}

fn rsa_key() -> Keyed {
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
    let pem = key.to_pkcs8_pem(Default::default()).unwrap().to_string();
    let public = SigningKey::from_pem(SigningAlg::RS256, &pem, Some("k1".into())).unwrap();
    Keyed {
        encoding: EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        jwk: public.jwk().clone(),
    }
}

async fn op(key: &Keyed) -> TestOp {
    let mut config = fixture_config();
    let base = config
        .clients
        .iter()
        .find(|c| c.client_id == "api-consumer")
        .unwrap()
        .clone();
    let mut hs = base.clone();
    hs.client_id = "hs-client".into();
    hs.client_secret = Some("hs-client-secret-long-enough-for-hs256".into());
    hs.token_endpoint_auth_method = TokenEndpointAuthMethod::ClientSecretJwt;
    let mut pk = base;
    pk.client_id = "pk-client".into();
    pk.client_secret = None;
    pk.token_endpoint_auth_method = TokenEndpointAuthMethod::PrivateKeyJwt;
    pk.jwks = Some(serde_json::from_value(json!({"keys": [key.jwk]})).unwrap());
    config.clients.push(hs);
    config.clients.push(pk);
    TestOp::with_config(config).await
}

fn claims(op: &TestOp, client: &str, jti: &str) -> Value {
    let now = op.clock.now();
    json!({"iss": client, "sub": client, "aud": op.url("/oxauth/restv1/token"),
           "exp": now + 60, "iat": now, "jti": jti})
}

fn hs(claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(b"hs-client-secret-long-enough-for-hs256"),
    )
    .unwrap()
}

fn rs(key: &Keyed, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("k1".into());
    jsonwebtoken::encode(&header, claims, &key.encoding).unwrap()
}

async fn client_credentials(op: &TestOp, assertion: &str) -> (u16, Value) {
    let response = http()
        .post(op.url("/oxauth/restv1/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", assertion),
        ])
        .send()
        .await
        .unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn both_assertion_methods_authenticate_once_per_jti() {
    let key = rsa_key();
    let op = op(&key).await;
    let hs_assertion = hs(&claims(&op, "hs-client", "j1"));
    let (status, body) = client_credentials(&op, &hs_assertion).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = client_credentials(&op, &hs_assertion).await;
    assert_eq!(status, 401, "a replayed jti: {body}");
    assert_eq!(body["error"], "invalid_client");
    let (status, body) = client_credentials(&op, &rs(&key, &claims(&op, "pk-client", "j1"))).await;
    assert_eq!(
        status, 200,
        "the same jti of another client is another assertion: {body}"
    );
    // aud = the issuer is accepted too (oidcc-ensure-client-assertion-with-iss-aud-succeeds).
    let mut c = claims(&op, "pk-client", "j2");
    c["aud"] = json!(op.issuer());
    let (status, body) = client_credentials(&op, &rs(&key, &c)).await;
    assert_eq!(status, 200, "{body}");
    // Introspection and revocation authenticate the same way.
    let token = body["access_token"].as_str().unwrap().to_owned();
    let response = http()
        .post(op.url("/oxauth/restv1/introspection"))
        .form(&[
            ("token", token.as_str()),
            ("client_assertion_type", JWT_BEARER),
            (
                "client_assertion",
                &rs(&key, &claims(&op, "pk-client", "j3")),
            ),
        ])
        .send()
        .await
        .unwrap();
    let info: Value = response.json().await.unwrap();
    assert_eq!(info["active"], true, "{info}");
    let response = http()
        .post(op.url("/oxauth/restv1/revoke"))
        .form(&[
            ("token", token.as_str()),
            ("client_assertion_type", JWT_BEARER),
            (
                "client_assertion",
                &rs(&key, &claims(&op, "pk-client", "j4")),
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = get_json(&op, "/.well-known/openid-configuration").await;
    let methods: Vec<&str> = TokenEndpointAuthMethod::ALL
        .iter()
        .map(|m| m.as_str())
        .collect();
    assert_eq!(doc["token_endpoint_auth_methods_supported"], json!(methods));
}

#[tokio::test]
async fn bad_assertions_and_other_methods_are_refused() {
    let key = rsa_key();
    let op = op(&key).await;
    let stranger = rsa_key();
    let base = claims(&op, "pk-client", "x");
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = base.clone();
        f(&mut c);
        c
    };
    let cases = [
        ("signed by another key", rs(&stranger, &base)),
        (
            "no exp",
            rs(
                &key,
                &with(&|c| {
                    c.as_object_mut().unwrap().remove("exp");
                }),
            ),
        ),
        ("expired", rs(&key, &with(&|c| c["exp"] = json!(1)))),
        (
            "no jti",
            rs(
                &key,
                &with(&|c| {
                    c.as_object_mut().unwrap().remove("jti");
                }),
            ),
        ),
        (
            "aud elsewhere",
            rs(
                &key,
                &with(&|c| c["aud"] = json!("https://elsewhere/token")),
            ),
        ),
        (
            "sub another client",
            rs(&key, &with(&|c| c["sub"] = json!("hs-client"))),
        ),
        // HS256 keyed with nothing the pk-client has; private_key_jwt takes RS256/ES256 only.
        (
            "HS256 for private_key_jwt",
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &base,
                &EncodingKey::from_secret(b"guess"),
            )
            .unwrap(),
        ),
        // An assertion for a client registered for client_secret_basic.
        (
            "assertion for a secret client",
            hs(&claims(&op, "api-consumer", "y")),
        ),
    ];
    for (name, assertion) in cases {
        let (status, body) = client_credentials(&op, &assertion).await;
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(body["error"], "invalid_client", "{name}");
    }
    // A client registered for an assertion method may not use its secret instead.
    let (status, body, _) = token_request(
        &op,
        ("hs-client", "hs-client-secret-long-enough-for-hs256"),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(status, 401, "{body}");
    // An unknown assertion type.
    let response = http()
        .post(op.url("/oxauth/restv1/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:example:saml"),
            ("client_assertion", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn registration_of_private_key_jwt_needs_keys_and_gets_no_secret() {
    let key = rsa_key();
    let op = TestOp::start().await;
    let (status, body) = register(
        &op,
        json!({"redirect_uris": [RP_CALLBACK], "token_endpoint_auth_method": "private_key_jwt"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_client_metadata");
    let (status, body) = register(
        &op,
        json!({"redirect_uris": [RP_CALLBACK], "token_endpoint_auth_method": "private_key_jwt",
               "jwks": {"keys": [key.jwk]}}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert!(body.get("client_secret").is_none(), "{body}");
    let (status, body) = register(
        &op,
        json!({"redirect_uris": [RP_CALLBACK], "token_endpoint_auth_method": "client_secret_jwt"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert!(body["client_secret"].is_string());
}

#[tokio::test]
async fn a_registered_token_endpoint_auth_signing_alg_is_the_only_one_accepted() {
    let key = rsa_key();
    let mut config = fixture_config();
    let mut pk = config
        .clients
        .iter()
        .find(|c| c.client_id == "api-consumer")
        .unwrap()
        .clone();
    pk.client_id = "es-only".into();
    pk.client_secret = None;
    pk.token_endpoint_auth_method = TokenEndpointAuthMethod::PrivateKeyJwt;
    pk.token_endpoint_auth_signing_alg = Some(gatecheck_op::protocol::ClientAlg::ES256);
    pk.jwks = Some(serde_json::from_value(json!({"keys": [key.jwk]})).unwrap());
    config.clients.push(pk);
    let op = TestOp::with_config(config).await;
    // A valid RS256 assertion by the client's own key, but the client registered ES256.
    let (status, body) = client_credentials(&op, &rs(&key, &claims(&op, "es-only", "j1"))).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("RS256"),
        "{body}"
    );
}

#[tokio::test]
async fn registration_checks_token_endpoint_auth_signing_alg_against_the_method() {
    let key = rsa_key();
    let op = TestOp::start().await;
    let discovery: Value = get_json(&op, "/.well-known/openid-configuration").await;
    let listed = discovery["token_endpoint_auth_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .clone();
    assert!(listed.contains(&json!("RS256")), "{discovery}");
    for (method, alg, ok) in [
        ("private_key_jwt", "RS256", true),
        ("private_key_jwt", "HS256", false),
        ("private_key_jwt", "none", false),
        ("private_key_jwt", "PS512", false),
        ("client_secret_jwt", "HS256", true),
        ("client_secret_jwt", "RS256", false),
        ("client_secret_basic", "RS256", false),
    ] {
        let (status, body) = register(
            &op,
            json!({"redirect_uris": [RP_CALLBACK], "token_endpoint_auth_method": method,
                   "token_endpoint_auth_signing_alg": alg, "jwks": {"keys": [key.jwk]}}),
        )
        .await;
        if ok {
            assert_eq!(status, 201, "{method} {alg}: {body}");
            assert_eq!(body["token_endpoint_auth_signing_alg"], alg);
            assert!(
                listed.contains(&json!(alg)),
                "{alg} is registrable but not listed"
            );
        } else {
            assert_eq!(status, 400, "{method} {alg}: {body}");
            assert_eq!(body["error"], "invalid_client_metadata", "{body}");
        }
    }
}
