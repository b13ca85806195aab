//! Request objects (OIDC Core §6): by value and by reference, unsigned and RS256-signed with
//! the client's registered keys, the object's parameters winning over the query's, the
//! mismatches and bad objects OIDC Core §6.3 names (`invalid_request_object`,
//! `invalid_request_uri`), the switches that turn them off, and what discovery and
//! registration say.

use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gatecheck_op::keys::SigningKey;
use gatecheck_op::protocol::{ClientAlg, SigningAlg};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs8::EncodePrivateKey;
use serde_json::{json, Value};

use crate::common::*;

const OTHER_CALLBACK: &str = "http://127.0.0.1:4400/callback";

/// A client's RSA key: the private half to sign with, the public JWK (with its kid) to register.
struct RpKey {
    encoding: EncodingKey,
    jwk: Value,
    kid: String,
}

fn rp_key() -> RpKey {
    let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
    let pem = key.to_pkcs8_pem(Default::default()).unwrap().to_string();
    let public = SigningKey::from_pem(SigningAlg::RS256, &pem, None).unwrap();
    RpKey {
        encoding: EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
        jwk: public.jwk().clone(),
        kid: public.kid.clone(),
    }
}

fn unsigned(claims: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

fn signed(key: &RpKey, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding).unwrap()
}

/// demo-rp's request as an object: every parameter, `iss` = the client, `aud` = the OP.
fn object(op: &TestOp, client_id: &str, extra: Value) -> Value {
    let mut claims = json!({
        "iss": client_id,
        "aud": op.issuer(),
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": RP_CALLBACK,
        "scope": "openid profile",
        "state": "inner-state",
        "nonce": "inner-nonce",
    });
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    claims
}

/// The query OIDC Core §6.1 still wants beside the object, plus `extra`.
fn query<'a>(client_id: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut q = vec![
        ("client_id", client_id),
        ("response_type", "code"),
        ("scope", "openid"),
        ("redirect_uri", RP_CALLBACK),
        ("state", "outer-state"),
    ];
    q.extend_from_slice(extra);
    q
}

/// Follows the OP's pages (login as admin, consent) until the browser leaves for the RP.
async fn run(op: &TestOp, agent: &Agent, params: &[(&str, &str)]) -> Nav {
    let mut nav = agent.open(&authorize_url(op, params)).await;
    loop {
        match nav {
            Nav::Page(page) if page.has("form#loginForm") => {
                nav = agent.login(&page, "admin", "secret").await
            }
            Nav::Page(page) if page.has("form#consentForm") => {
                nav = agent.consent(&page, true).await
            }
            other => return other,
        }
    }
}

/// A web server of the RP's that serves documents by path (request objects, JWK sets) and
/// counts the fetches.
#[derive(Clone, Default)]
struct Documents(Arc<Mutex<Served>>);

/// Documents by path, and how many requests arrived.
type Served = (Vec<(String, String)>, usize);

impl Documents {
    async fn start() -> (Self, String) {
        let docs = Self::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shared = docs.clone();
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            let shared = shared.clone();
            async move {
                let mut guard = shared.0.lock().unwrap();
                guard.1 += 1;
                match guard.0.iter().find(|(p, _)| *p == uri.path()) {
                    Some((_, body)) => (axum::http::StatusCode::OK, body.clone()),
                    None => (axum::http::StatusCode::NOT_FOUND, String::new()),
                }
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (docs, base)
    }

    fn put(&self, path: &str, body: String) {
        let mut guard = self.0.lock().unwrap();
        guard.0.retain(|(p, _)| p != path);
        guard.0.push((path.to_owned(), body));
    }

    fn fetches(&self) -> usize {
        self.0.lock().unwrap().1
    }
}

#[tokio::test]
async fn an_unsigned_request_object_by_value_wins_over_the_query() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let jwt = unsigned(&object(
        &op,
        "demo-rp",
        json!({"redirect_uri": OTHER_CALLBACK}),
    ));
    let nav = run(&op, &agent, &query("demo-rp", &[("request", &jwt)])).await;
    let callback = nav.left();
    // The object's redirect URI, state and scope are used, not the query's.
    assert!(callback.as_str().starts_with(OTHER_CALLBACK), "{callback}");
    assert_eq!(
        query_param(&callback, "state").as_deref(),
        Some("inner-state")
    );
    assert_eq!(
        query_param(&callback, "scope").as_deref(),
        Some("openid profile")
    );
    let code = query_param(&callback, "code").expect("a code");
    let (status, body, _) = token_request(
        &op,
        DEMO,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", OTHER_CALLBACK),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(
                body["id_token"]
                    .as_str()
                    .unwrap()
                    .split('.')
                    .nth(1)
                    .unwrap(),
            )
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["nonce"], "inner-nonce");
}

#[tokio::test]
async fn a_request_object_by_reference_is_fetched_within_bounds() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let (docs, base) = Documents::start().await;
    docs.put("/req.jwt", unsigned(&object(&op, "demo-rp", json!({}))));
    let uri = format!("{base}/req.jwt");
    let callback = run(&op, &agent, &query("demo-rp", &[("request_uri", &uri)]))
        .await
        .left();
    assert_eq!(
        query_param(&callback, "state").as_deref(),
        Some("inner-state")
    );
    assert!(query_param(&callback, "code").is_some(), "{callback}");
    assert_eq!(docs.fetches(), 1);

    // Not found, too big, not a JWT: invalid_request_uri / invalid_request_object, at the
    // query's redirect URI with the query's state (the object could not be read).
    docs.put("/huge.jwt", "a".repeat(70 * 1024));
    docs.put("/garbage.jwt", "not a jwt".into());
    for (path, error) in [
        ("/missing.jwt", "invalid_request_uri"),
        ("/huge.jwt", "invalid_request_uri"),
        ("/garbage.jwt", "invalid_request_object"),
    ] {
        let uri = format!("{base}{path}");
        let callback = run(&op, &agent, &query("demo-rp", &[("request_uri", &uri)]))
            .await
            .left();
        assert_eq!(
            query_param(&callback, "error").as_deref(),
            Some(error),
            "{path}"
        );
        assert_eq!(
            query_param(&callback, "state").as_deref(),
            Some("outer-state"),
            "{path}"
        );
    }
    for uri in ["ftp://rp.example/req", "http://127.0.0.1:1/req.jwt"] {
        let callback = run(&op, &agent, &query("demo-rp", &[("request_uri", uri)]))
            .await
            .left();
        assert_eq!(
            query_param(&callback, "error").as_deref(),
            Some("invalid_request_uri"),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn mismatches_and_bad_objects_are_refused() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let cases = [
        (
            "client_id differs",
            object(&op, "demo-rp", json!({"client_id": "api-consumer"})),
        ),
        (
            "response_type differs",
            object(&op, "demo-rp", json!({"response_type": "token"})),
        ),
        (
            "iss is another client",
            object(&op, "demo-rp", json!({"iss": "api-consumer"})),
        ),
        (
            "aud is another OP",
            object(&op, "demo-rp", json!({"aud": "https://other.example"})),
        ),
        ("expired", object(&op, "demo-rp", json!({"exp": 1}))),
        (
            "nested request_uri",
            object(&op, "demo-rp", json!({"request_uri": "https://rp/x"})),
        ),
    ];
    for (name, claims) in cases {
        let jwt = unsigned(&claims);
        let callback = run(&op, &agent, &query("demo-rp", &[("request", &jwt)]))
            .await
            .left();
        assert_eq!(
            query_param(&callback, "error").as_deref(),
            Some("invalid_request_object"),
            "{name}"
        );
        assert_eq!(
            query_param(&callback, "state").as_deref(),
            Some("outer-state")
        );
        assert!(query_param(&callback, "code").is_none(), "{name}");
    }
    // A redirect URI in the object that is not registered: an error page, never a redirect.
    let jwt = unsigned(&object(
        &op,
        "demo-rp",
        json!({"redirect_uri": "https://evil.example/cb"}),
    ));
    let page = run(&op, &agent, &query("demo-rp", &[("request", &jwt)]))
        .await
        .page();
    assert_eq!(page.status, 400);
    assert!(!page.html.contains("evil.example/cb?"), "{}", page.html);
    // request and request_uri together.
    let callback = run(
        &op,
        &agent,
        &query(
            "demo-rp",
            &[("request", &jwt), ("request_uri", "https://rp/x")],
        ),
    )
    .await
    .left();
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("invalid_request")
    );
}

fn op_with_keyed_client(key: &RpKey, alg: Option<ClientAlg>) -> gatecheck_op::Config {
    let mut config = fixture_config();
    let mut rp = config.clients[0].clone();
    rp.client_id = "keyed-rp".into();
    rp.jwks = Some(serde_json::from_value(json!({"keys": [key.jwk]})).unwrap());
    rp.request_object_signing_alg = alg;
    config.clients.push(rp);
    config
}

#[tokio::test]
async fn rs256_objects_verify_with_the_clients_keys_and_the_registered_alg_is_enforced() {
    let key = rp_key();
    let op = TestOp::with_config(op_with_keyed_client(&key, Some(ClientAlg::RS256))).await;
    let agent = Agent::new(&op);
    let claims = object(&op, "keyed-rp", json!({}));
    let callback = run(
        &op,
        &agent,
        &query("keyed-rp", &[("request", &signed(&key, &claims))]),
    )
    .await
    .left();
    assert!(query_param(&callback, "code").is_some(), "{callback}");
    assert_eq!(
        query_param(&callback, "state").as_deref(),
        Some("inner-state")
    );

    let stranger = rp_key();
    let mut foreign_kid = Header::new(Algorithm::RS256);
    foreign_kid.kid = Some(key.kid.clone());
    let forged = jsonwebtoken::encode(&foreign_kid, &claims, &stranger.encoding).unwrap();
    let mut tampered: Vec<String> = signed(&key, &claims)
        .split('.')
        .map(str::to_owned)
        .collect();
    tampered[1] = URL_SAFE_NO_PAD
        .encode(object(&op, "keyed-rp", json!({"scope": "openid email"})).to_string());
    let hs = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(b"demo-rp-secret"),
    )
    .unwrap();
    for (name, jwt) in [
        ("unsigned while RS256 is registered", unsigned(&claims)),
        ("signed by another key under the client's kid", forged),
        ("payload changed after signing", tampered.join(".")),
        ("HS256 while RS256 is registered", hs),
    ] {
        let callback = run(&op, &agent, &query("keyed-rp", &[("request", &jwt)]))
            .await
            .left();
        assert_eq!(
            query_param(&callback, "error").as_deref(),
            Some("invalid_request_object"),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_dynamic_client_signs_request_objects_with_the_keys_at_its_jwks_uri() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    let (docs, base) = Documents::start().await;
    let key = rp_key();
    docs.put("/jwks.json", json!({"keys": [key.jwk]}).to_string());
    let (status, reg) = register(
        &op,
        json!({
            "redirect_uris": [RP_CALLBACK],
            "jwks_uri": format!("{base}/jwks.json"),
            "request_object_signing_alg": "RS256",
            "scope": "openid profile",
        }),
    )
    .await;
    assert_eq!(status, 201, "{reg}");
    assert_eq!(reg["request_object_signing_alg"], "RS256");
    assert_eq!(reg["jwks_uri"], format!("{base}/jwks.json"));
    let client_id = reg["client_id"].as_str().unwrap().to_owned();
    let claims = object(&op, &client_id, json!({}));
    docs.put("/req.jwt", signed(&key, &claims));
    let uri = format!("{base}/req.jwt");
    let callback = run(&op, &agent, &query(&client_id, &[("request_uri", &uri)]))
        .await
        .left();
    assert!(query_param(&callback, "code").is_some(), "{callback}");
    // The key set is fetched for each object: a key the client rotates in works at once.
    let rotated = rp_key();
    docs.put("/jwks.json", json!({"keys": [rotated.jwk]}).to_string());
    docs.put("/req.jwt", signed(&rotated, &claims));
    let callback = run(&op, &agent, &query(&client_id, &[("request_uri", &uri)]))
        .await
        .left();
    assert!(query_param(&callback, "code").is_some(), "{callback}");
    docs.put("/req.jwt", signed(&key, &claims));
    let callback = run(&op, &agent, &query(&client_id, &[("request_uri", &uri)]))
        .await
        .left();
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("invalid_request_object")
    );
}

#[tokio::test]
async fn registration_checks_key_metadata() {
    let op = TestOp::start().await;
    let key = rp_key();
    for (name, body) in [
        (
            "jwks and jwks_uri",
            json!({"jwks": {"keys": [key.jwk]}, "jwks_uri": "https://rp.example/jwks"}),
        ),
        (
            "RS256 without keys",
            json!({"request_object_signing_alg": "RS256"}),
        ),
        (
            "unknown alg",
            json!({"request_object_signing_alg": "PS512"}),
        ),
        ("jwks not a set", json!({"jwks": {"keys": "no"}})),
        (
            "jwks_uri not http",
            json!({"jwks_uri": "file:///etc/passwd"}),
        ),
    ] {
        let mut body = body;
        body["redirect_uris"] = json!([RP_CALLBACK]);
        let (status, answer) = register(&op, body).await;
        assert_eq!(status, 400, "{name}: {answer}");
        assert_eq!(answer["error"], "invalid_client_metadata", "{name}");
    }
    let (status, answer) = register(
        &op,
        json!({"redirect_uris": [RP_CALLBACK], "jwks": {"keys": [key.jwk]},
               "request_object_signing_alg": "none"}),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["jwks"]["keys"][0]["kid"], key.kid.as_str());
    assert_eq!(answer["request_object_signing_alg"], "none");
}

#[tokio::test]
async fn discovery_says_what_the_switches_allow_and_off_means_not_supported() {
    let op = TestOp::start().await;
    let doc: Value = get_json(&op, "/.well-known/openid-configuration").await;
    assert_eq!(doc["request_parameter_supported"], true);
    assert_eq!(doc["request_uri_parameter_supported"], true);
    let algs: Vec<&str> = ClientAlg::REQUEST_OBJECT
        .iter()
        .map(|a| a.as_str())
        .collect();
    assert_eq!(
        doc["request_object_signing_alg_values_supported"],
        json!(algs)
    );

    let mut config = fixture_config();
    config.request_objects.request = false;
    config.request_objects.request_uri = false;
    let op = TestOp::with_config(config).await;
    let doc: Value = get_json(&op, "/.well-known/openid-configuration").await;
    assert_eq!(doc["request_parameter_supported"], false);
    assert_eq!(doc["request_uri_parameter_supported"], false);
    let agent = Agent::new(&op);
    let jwt = unsigned(&object(&op, "demo-rp", json!({})));
    for (param, value, error) in [
        ("request", jwt.as_str(), "request_not_supported"),
        (
            "request_uri",
            "https://rp.example/r",
            "request_uri_not_supported",
        ),
    ] {
        let callback = run(&op, &agent, &query("demo-rp", &[(param, value)]))
            .await
            .left();
        assert_eq!(query_param(&callback, "error").as_deref(), Some(error));
        assert_eq!(
            query_param(&callback, "state").as_deref(),
            Some("outer-state")
        );
    }
}
