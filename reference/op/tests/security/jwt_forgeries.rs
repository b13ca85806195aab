//! JWT forgeries against every place the OP accepts a JWT: `id_token_hint` (authorization and
//! end-session endpoints) must be exactly an ID token the OP issued; a request object of a
//! client that registered `request_object_signing_alg: RS256` must be signed by that client's
//! own key (unsigned, re-keyed, re-signed and tampered objects are refused); a client assertion
//! never authenticates a client registered for another method.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::EncodePrivateKey;
use rsa::pkcs8::EncodePublicKey;
use serde_json::{json, Value};

use crate::common::*;
use crate::report;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn part(jwt: &str, i: usize) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(i).unwrap())
            .unwrap(),
    )
    .unwrap()
}

/// A JWT with exactly this header and payload, and `signature` (already encoded).
fn raw(header: &Value, payload: &Value, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    )
}

struct Attacker {
    ec_pem: String,
    ec_jwk: Value,
}

fn attacker() -> Attacker {
    let key = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let ec_pem = key.to_pkcs8_pem(Default::default()).unwrap().to_string();
    let jwk: Value = serde_json::from_str(&key.public_key().to_jwk_string()).unwrap();
    Attacker {
        ec_pem,
        ec_jwk: jwk,
    }
}

/// The OP's RS256 public key as PEM (what an HS256-with-public-key forgery keys its MAC with).
async fn op_rsa_public_pem(op: &TestOp) -> (String, String) {
    let jwks: Value = http()
        .get(op.url("/oxauth/restv1/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kty"] == "RSA")
        .unwrap();
    let n =
        rsa::BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap());
    let e =
        rsa::BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap());
    let public = rsa::RsaPublicKey::new(n, e).unwrap();
    (
        public.to_public_key_pem(Default::default()).unwrap(),
        key["kid"].as_str().unwrap().to_owned(),
    )
}

/// Every forgery of `genuine` (an ID token of demo-rp about admin) we can think of, named.
async fn forgeries(op: &TestOp, genuine: &str, access_token_jwt: &str) -> Vec<(String, String)> {
    let header = part(genuine, 0);
    let payload = part(genuine, 1);
    let signature = genuine.split('.').nth(2).unwrap().to_owned();
    let kid = header["kid"].as_str().unwrap().to_owned();
    let (public_pem, rsa_kid) = op_rsa_public_pem(op).await;
    let attacker = attacker();
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |name: &str, jwt: String| out.push((name.to_owned(), jwt));

    // alg none, with and without a signature, in several spellings
    for alg in ["none", "None", "NONE", "nOnE"] {
        let h = json!({"alg": alg, "typ": "JWT", "kid": kid});
        push(&format!("alg {alg}, no signature"), raw(&h, &payload, ""));
        push(
            &format!("alg {alg}, original signature"),
            raw(&h, &payload, &signature),
        );
    }
    // HS256 keyed with the OP's public key (PEM, PEM without newline, the JWKS JSON)
    for (what, secret) in [
        ("public key PEM", public_pem.clone()),
        ("public key PEM trimmed", public_pem.trim().to_owned()),
        ("kid", rsa_kid.clone()),
    ] {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let mut h = Header::new(alg);
            h.kid = Some(rsa_kid.clone());
            let jwt =
                jsonwebtoken::encode(&h, &payload, &EncodingKey::from_secret(secret.as_bytes()))
                    .unwrap();
            push(&format!("{alg:?} keyed with the {what}"), jwt);
        }
    }
    // A foreign key, announced in every header field an over-trusting verifier might follow
    let foreign = EncodingKey::from_ec_pem(attacker.ec_pem.as_bytes()).unwrap();
    let signed = |name: &str, h: Header, claims: &Value| {
        let jwt = jsonwebtoken::encode(&h, claims, &foreign).unwrap();
        (name.to_owned(), jwt)
    };
    let mut foreign_cases = Vec::new();
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some(kid.clone());
    foreign_cases.push(signed("foreign key with the OP's kid", h, &payload));
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some("attacker".into());
    foreign_cases.push(signed("foreign key and kid", h, &payload));
    let mut h = Header::new(Algorithm::ES256);
    h.jwk = Some(serde_json::from_value(attacker.ec_jwk.clone()).unwrap());
    foreign_cases.push(signed("embedded jwk", h.clone(), &payload));
    h.kid = Some(kid.clone());
    foreign_cases.push(signed("embedded jwk with the OP's kid", h, &payload));
    let mut h = Header::new(Algorithm::ES256);
    h.jku = Some("https://attacker.example/jwks.json".into());
    h.kid = Some(kid.clone());
    foreign_cases.push(signed("jku to the attacker's keys", h, &payload));
    let mut h = Header::new(Algorithm::ES256);
    h.x5u = Some("https://attacker.example/cert.pem".into());
    foreign_cases.push(signed("x5u to the attacker's certificate", h, &payload));
    for injected in ["../../../../dev/null", "' OR '1'='1", "", "\u{0000}"] {
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some(injected.into());
        foreign_cases.push(signed(&format!("kid {injected:?}"), h, &payload));
    }
    // claims an attacker would like, signed with the foreign key
    for (name, claims) in [
        ("sub admin, foreign key", {
            let mut c = payload.clone();
            c["sub"] = json!("admin");
            c
        }),
        ("no iss", {
            let mut c = payload.clone();
            c.as_object_mut().unwrap().remove("iss");
            c
        }),
    ] {
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some(kid.clone());
        foreign_cases.push(signed(name, h, &claims));
    }
    out.extend(foreign_cases);
    let mut push = |name: &str, jwt: String| out.push((name.to_owned(), jwt));
    // The genuine token, altered after signing
    for (name, claims) in [
        ("sub changed", {
            let mut c = payload.clone();
            c["sub"] = json!("jdoe");
            c
        }),
        ("aud changed", {
            let mut c = payload.clone();
            c["aud"] = json!("api-consumer");
            c
        }),
        ("aud array", {
            let mut c = payload.clone();
            c["aud"] = json!([payload["aud"], "api-consumer"]);
            c
        }),
        ("exp extended", {
            let mut c = payload.clone();
            c["exp"] = json!(9_999_999_999i64);
            c
        }),
        ("claim added", {
            let mut c = payload.clone();
            c["admin"] = json!(true);
            c
        }),
        ("claims reordered", {
            let mut map: Vec<(String, Value)> = payload
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            map.reverse();
            Value::Object(map.into_iter().collect())
        }),
    ] {
        push(
            &format!("{name}, original signature"),
            raw(&header, &claims, &signature),
        );
    }
    for alg in ["RS384", "RS512", "PS256", "ES256", "rs256"] {
        let mut h = header.clone();
        h["alg"] = json!(alg);
        push(&format!("header alg {alg}"), raw(&h, &payload, &signature));
    }
    let mut h = header.clone();
    h["crit"] = json!(["exp"]);
    push("crit header", raw(&h, &payload, &signature));
    let mut h = header.clone();
    h["typ"] = json!("at+jwt");
    push("typ changed", raw(&h, &payload, &signature));
    let mut h = header.clone();
    h["kid"] = json!("other");
    push("kid changed", raw(&h, &payload, &signature));
    // Re-encodings of the genuine token
    let parts: Vec<&str> = genuine.split('.').collect();
    push("signature stripped", format!("{}.{}.", parts[0], parts[1]));
    push("two parts", format!("{}.{}", parts[0], parts[1]));
    push("four parts", format!("{genuine}.x"));
    push(
        "padded",
        format!("{}==.{}.{}", parts[0], parts[1], parts[2]),
    );
    push("whitespace", format!("{genuine} "));
    push("surrounding quotes", format!("\"{genuine}\""));
    push(
        "standard base64",
        genuine.replace('-', "+").replace('_', "/"),
    );
    push("signature bit flipped", {
        let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        sig[0] ^= 1;
        format!("{}.{}.{}", parts[0], parts[1], b64(&sig))
    });
    push(
        "signature truncated",
        format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            &parts[2][..parts[2].len() - 4]
        ),
    );
    push("empty", String::new());
    push("garbage", "not-a-jwt".into());
    // as long as a URL may be (http::Uri stops at 64 KiB)
    push("huge", "a".repeat(60_000));
    // A genuine JWT the OP signed that is not an ID token
    push("JWT access token", access_token_jwt.to_owned());
    out
}

async fn jwt_access_token(op: &TestOp) -> String {
    let (_, body, _) = token_request(op, JWT, &[("grant_type", "client_credentials")]).await;
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn forged_id_token_hints_are_refused_everywhere() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let genuine = id_token_after_login(&op, &agent).await;
    let access = jwt_access_token(&op).await;
    let cases = forgeries(&op, &genuine, &access).await;
    assert!(cases.len() > 50, "{}", cases.len());
    let mut checked = 0;
    for (name, hint) in &cases {
        // Authorization endpoint: the request is refused (redirected with invalid_request).
        let url = authorize_url(
            &op,
            &demo_params(&[("id_token_hint", hint), ("prompt", "none")]),
        );
        let nav = agent.open(&url).await.left();
        // An empty parameter is an omitted one (RFC 6749 §3.1): prompt=none then just works.
        let expected = if hint.is_empty() {
            None
        } else {
            Some("invalid_request")
        };
        assert_eq!(
            query_param(&nav, "error").as_deref(),
            expected,
            "{name}: {nav}"
        );
        // End session: no silent logout and no redirect; the user is asked.
        let response = agent
            .http
            .get(end_session_url(
                &op,
                &[
                    ("id_token_hint", hint),
                    ("post_logout_redirect_uri", "http://localhost:4400/"),
                ],
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{name}");
        let page = response.text().await.unwrap();
        assert!(page.contains("logoutForm"), "{name}: {page}");
        checked += 2;
    }
    // The genuine hint still works at both.
    let nav = agent
        .open(&authorize_url(
            &op,
            &demo_params(&[("id_token_hint", &genuine), ("prompt", "none")]),
        ))
        .await
        .left();
    assert!(query_param(&nav, "code").is_some(), "{nav}");
    let nav = agent
        .open(&end_session_url(
            &op,
            &[
                ("id_token_hint", &genuine),
                ("post_logout_redirect_uri", "http://localhost:4400/"),
            ],
        ))
        .await
        .left();
    assert_eq!(nav.as_str(), "http://localhost:4400/");
    report("JWT forgeries as id_token_hint", checked + 2);
}

#[tokio::test]
async fn another_clients_id_token_is_no_hint_for_this_one() {
    let mut config = fixture_config();
    let mut other = config.clients[0].clone();
    other.client_id = "other-rp".into();
    config.clients.push(other);
    let op = TestOp::with_config(config).await;
    let agent = Agent::new(&op);
    let genuine = id_token_after_login(&op, &agent).await;
    let url = authorize_url(
        &op,
        &demo_params(&[
            ("client_id", "other-rp"),
            ("id_token_hint", &genuine),
            ("prompt", "none"),
        ]),
    );
    let nav = agent.open(&url).await.left();
    assert_eq!(
        query_param(&nav, "error").as_deref(),
        Some("invalid_request")
    );
}

#[tokio::test]
async fn forged_request_objects_and_client_assertions_are_refused() {
    // A client that signs its request objects with RS256 and registered its public key.
    let rp_key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
    let rp_pem = rp_key.to_pkcs8_pem(Default::default()).unwrap().to_string();
    let rp_public = gatecheck_op::keys::SigningKey::from_pem(
        gatecheck_op::protocol::SigningAlg::RS256,
        &rp_pem,
        Some("rp-key".into()),
    )
    .unwrap();
    let mut config = fixture_config();
    let mut keyed = config.clients[0].clone();
    keyed.client_id = "keyed-rp".into();
    keyed.jwks = Some(serde_json::from_value(json!({"keys": [rp_public.jwk()]})).unwrap());
    keyed.request_object_signing_alg = Some(gatecheck_op::protocol::ClientAlg::RS256);
    config.clients.push(keyed);
    let op = TestOp::with_config(config).await;
    let agent = Agent::new(&op);
    let genuine_id_token = id_token_after_login(&op, &agent).await;
    let access = jwt_access_token(&op).await;
    let claims = json!({"iss": "keyed-rp", "aud": op.issuer(), "client_id": "keyed-rp",
                        "response_type": "code", "scope": "openid", "redirect_uri": RP_CALLBACK,
                        "state": "inner", "nonce": "n"});
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("rp-key".into());
    let genuine = jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_rsa_pem(rp_pem.as_bytes()).unwrap(),
    )
    .unwrap();
    let request = |jwt: &str| {
        authorize_url(
            &op,
            &[
                ("client_id", "keyed-rp"),
                ("response_type", "code"),
                ("scope", "openid"),
                ("redirect_uri", RP_CALLBACK),
                ("state", "outer"),
                ("request", jwt),
            ],
        )
    };
    // The control: the genuine object is read (its state comes back), here after consent.
    let page = agent.open(&request(&genuine)).await.page();
    let callback = agent.consent(&page, true).await.left();
    assert_eq!(query_param(&callback, "state").as_deref(), Some("inner"));
    let mut cases = forgeries(&op, &genuine, &access).await;
    cases.push(("an ID token of the OP".into(), genuine_id_token.clone()));
    let mut checked = 0;
    for (name, jwt) in cases.iter().filter(|(_, j)| !j.is_empty()) {
        let nav = agent.open(&request(jwt)).await.left();
        assert_eq!(
            query_param(&nav, "error").as_deref(),
            Some("invalid_request_object"),
            "{name}"
        );
        assert_eq!(
            query_param(&nav, "state").as_deref(),
            Some("outer"),
            "{name}"
        );
        // An assertion authenticates nobody registered for client_secret_basic, whatever it
        // claims.
        let response = http()
            .post(op.url("/oxauth/restv1/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "api-consumer"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", jwt),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{name}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client", "{name}");
        checked += 2;
    }
    // An assertion MACed with the client's real secret (client_secret_jwt) is refused too.
    let claims = json!({"iss": "api-consumer", "sub": "api-consumer",
                        "aud": op.url("/oxauth/restv1/token"), "exp": 9_999_999_999i64, "jti": "x"});
    let assertion = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(b"api-consumer-secret"),
    )
    .unwrap();
    let response = http()
        .post(op.url("/oxauth/restv1/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "api-consumer"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &assertion),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    report("request objects and client assertions", checked + 2);
}
