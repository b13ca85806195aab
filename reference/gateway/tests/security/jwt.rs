//! JWT forgeries against `gluu-oauth-auth`'s local verification: `alg` confusion, keys smuggled
//! in headers, `kid` injection, signature and claims tampering, and tokens valid in every way
//! but one (`exp`, `nbf`, `iss`, `typ`, `token_type`, `crit`). Each must be a 401 without
//! reaching the upstream; the controls at the end must pass.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey};
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::EncodePublicKey;
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::jwt::*;
use crate::common::*;

struct Setup {
    gw: gatecheck_gateway::Handle,
    _up: gatecheck_upstream::Handle,
    _oxd: MockServer,
    /// Where forged `jku`/`x5u` headers point: must never be asked anything.
    attacker: MockServer,
}

async fn setup() -> Setup {
    let up = echo().await;
    let oxd = oxd().await;
    Mock::given(method("POST"))
        .and(path("/get-jwks"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"keys": [jwk(&keys().good, "k1")]})),
        )
        .mount(&oxd)
        .await;
    let attacker = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"keys": [jwk(&keys().other, "k1")]})),
        )
        .mount(&attacker)
        .await;
    let gw = gateway_with(json!({
        "_format_version": "3.0",
        "services": [{"name": "api", "url": up.url(), "routes": [{"paths": ["/"]}],
            "plugins": [{"name": "gluu-oauth-auth", "config": with(plugin_base(&oxd.uri()), json!({}))}]}],
        "consumers": [{"username": "demo", "custom_id": "client-1"}],
    }))
    .await;
    Setup {
        gw,
        _up: up,
        _oxd: oxd,
        attacker,
    }
}

impl Setup {
    async fn status(&self, token: &str) -> u16 {
        client()
            .get(format!("{}/x", self.gw.proxy_url()))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

fn good_claims() -> Value {
    claims(Some("client-1"), now() + 600)
}

fn with_claim(key: &str, value: Value) -> Value {
    let mut c = good_claims();
    if value.is_null() {
        c.as_object_mut().unwrap().remove(key);
    } else {
        c[key] = value;
    }
    c
}

fn header(extra: Value) -> Value {
    let mut h = json!({"alg": "RS256", "typ": "JWT", "kid": "k1"});
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            h.as_object_mut().unwrap().remove(k);
        } else {
            h[k] = v.clone();
        }
    }
    h
}

fn good_key() -> EncodingKey {
    encoding_key(&keys().good)
}

fn unsigned(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// Every forgery, named.
fn forgeries(attacker: &str) -> Vec<(String, String)> {
    let k = keys();
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |name: &str, token: String| out.push((name.to_owned(), token));
    let claims = good_claims();

    // alg: none in every spelling, missing, odd values
    for alg in ["none", "None", "NONE", "nOnE"] {
        add(
            &format!("alg {alg}"),
            unsigned(&header(json!({"alg": alg})), &claims),
        );
        let signed = sign_raw(&header(json!({})), &claims, &good_key(), Algorithm::RS256);
        let sig = signed.rsplit('.').next().unwrap();
        add(
            &format!("alg {alg} with a real signature"),
            format!("{}{sig}", unsigned(&header(json!({"alg": alg})), &claims)),
        );
    }
    for alg in [
        json!(null),
        json!(""),
        json!(256),
        json!("rs256"),
        json!("RS256 "),
        json!(["RS256"]),
    ] {
        add(
            &format!("alg {alg}"),
            unsigned(&header(json!({"alg": alg})), &claims),
        );
    }
    // HMAC keyed with what the OP publishes
    let public = k.good.to_public_key();
    let secrets: Vec<(&str, Vec<u8>)> = vec![
        (
            "pkcs1 pem",
            public
                .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
                .unwrap()
                .into_bytes(),
        ),
        (
            "spki pem",
            public
                .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
                .unwrap()
                .into_bytes(),
        ),
        ("modulus", public.n().to_bytes_be()),
        ("jwk json", jwk(&k.good, "k1").to_string().into_bytes()),
        ("empty", Vec::new()),
    ];
    for (what, secret) in &secrets {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let h = header(json!({"alg": format!("{alg:?}")}));
            add(
                &format!("{alg:?} keyed with the {what}"),
                sign_raw(&h, &claims, &EncodingKey::from_secret(secret), alg),
            );
        }
    }
    // a real signature by the OP's key under another RSA algorithm than the JWK's
    for alg in [
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS512,
    ] {
        let h = header(json!({"alg": format!("{alg:?}")}));
        add(
            &format!("{alg:?} by the OP's key"),
            sign_raw(&h, &claims, &good_key(), alg),
        );
    }
    // kid injection
    for kid in [
        json!("k9"),
        json!("K1"),
        json!("k1 "),
        json!("k1\u{0}"),
        json!("../../../../dev/null"),
        json!("' OR '1'='1"),
        json!("x".repeat(8000)),
        json!(1),
        json!(null),
        json!(["k1"]),
        json!({"kid": "k1"}),
    ] {
        let h = header(json!({"kid": kid}));
        add(
            &format!(
                "kid {}",
                kid.to_string().chars().take(30).collect::<String>()
            ),
            sign_raw(&h, &claims, &encoding_key(&k.other), Algorithm::RS256),
        );
    }
    // keys carried by the token itself, signed with the attacker's key
    let attacker_jwk = jwk(&k.other, "k1");
    for (what, extra) in [
        ("embedded jwk", json!({"jwk": attacker_jwk})),
        (
            "embedded jwk, own kid",
            json!({"jwk": jwk(&k.other, "evil"), "kid": "evil"}),
        ),
        ("jku", json!({"jku": format!("{attacker}/jwks.json")})),
        (
            "jku, own kid",
            json!({"jku": format!("{attacker}/jwks.json"), "kid": "evil"}),
        ),
        ("x5u", json!({"x5u": format!("{attacker}/cert.pem")})),
        (
            "x5c",
            json!({"x5c": [STANDARD.encode(b"not a certificate")]}),
        ),
    ] {
        add(
            what,
            sign_raw(
                &header(extra),
                &claims,
                &encoding_key(&k.other),
                Algorithm::RS256,
            ),
        );
    }
    // signature and claims tampering
    let genuine = sign_raw(&header(json!({})), &claims, &good_key(), Algorithm::RS256);
    let parts: Vec<&str> = genuine.split('.').collect();
    let elevated = with_claim("scope", json!("read write admin"));
    add(
        "payload swapped",
        format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(elevated.to_string()),
            parts[2]
        ),
    );
    let other_client = with_claim("client_id", json!("client-2"));
    add(
        "client_id swapped",
        format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(other_client.to_string()),
            parts[2]
        ),
    );
    add(
        "header swapped",
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header(json!({"alg": "RS512"})).to_string()),
            parts[1],
            parts[2]
        ),
    );
    add("signature stripped", format!("{}.{}.", parts[0], parts[1]));
    add(
        "signature truncated",
        format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            &parts[2][..parts[2].len() - 4]
        ),
    );
    add("signature padded", format!("{genuine}=="));
    add(
        "standard base64 signature",
        format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            STANDARD.encode(URL_SAFE_NO_PAD.decode(parts[2]).unwrap())
        ),
    );
    add(
        "signature of another token",
        format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(with_claim("sub", json!("x")).to_string()),
            parts[2]
        ),
    );
    add(
        "by the wrong key",
        sign_raw(
            &header(json!({})),
            &claims,
            &encoding_key(&k.other),
            Algorithm::RS256,
        ),
    );
    // well signed, but one claim or header says no
    let signed = |h: Value, c: Value| sign_raw(&h, &c, &good_key(), Algorithm::RS256);
    for (what, c) in [
        ("exp missing", with_claim("exp", json!(null))),
        ("exp past", with_claim("exp", json!(now() - 1))),
        (
            "exp string",
            with_claim("exp", json!((now() + 600).to_string())),
        ),
        ("exp negative", with_claim("exp", json!(-1))),
        ("nbf future", with_claim("nbf", json!(now() + 60))),
        ("nbf string", with_claim("nbf", json!("0"))),
        (
            "iss foreign",
            with_claim("iss", json!("https://evil.example")),
        ),
        (
            "iss other case",
            with_claim("iss", json!("https://OP.example")),
        ),
        (
            "iss prefix",
            with_claim("iss", json!("https://op.example.evil")),
        ),
        ("iss missing", with_claim("iss", json!(null))),
        (
            "iss array",
            with_claim("iss", json!(["https://op.example"])),
        ),
        ("client_id missing", with_claim("client_id", json!(null))),
        ("client_id number", with_claim("client_id", json!(1))),
        (
            "token_type refresh",
            with_claim("token_type", json!("refresh_token")),
        ),
        ("token_type id", with_claim("token_type", json!("id_token"))),
        ("token_type number", with_claim("token_type", json!(1))),
    ] {
        add(what, signed(header(json!({})), c));
    }
    for typ in [
        "id_token+jwt",
        "logout+jwt",
        "secevent+jwt",
        "dpop+jwt",
        "JOSE",
        "refresh+jwt",
    ] {
        add(
            &format!("typ {typ}"),
            signed(header(json!({"typ": typ})), good_claims()),
        );
    }
    add(
        "typ number",
        signed(header(json!({"typ": 1})), good_claims()),
    );
    add(
        "crit",
        signed(header(json!({"crit": ["exp"], "exp": 1})), good_claims()),
    );
    add(
        "crit b64",
        signed(
            header(json!({"crit": ["b64"], "b64": false})),
            good_claims(),
        ),
    );
    out
}

#[tokio::test]
async fn forged_and_unacceptable_jwts_are_refused() {
    let s = setup().await;
    let forged = forgeries(&s.attacker.uri());
    let mut failures = Vec::new();
    for (name, token) in &forged {
        let status = s.status(token).await;
        if status != 401 {
            failures.push(format!("{name}: {status}"));
        }
    }
    assert!(failures.is_empty(), "accepted or mishandled: {failures:#?}");
    let asked = s.attacker.received_requests().await.unwrap_or_default();
    assert!(
        asked.is_empty(),
        "the gateway fetched a key a token pointed to: {asked:?}"
    );
    // The controls: what the OP issues passes.
    for (name, token) in [
        (
            "genuine",
            sign_raw(
                &header(json!({})),
                &good_claims(),
                &good_key(),
                Algorithm::RS256,
            ),
        ),
        (
            "typ at+jwt",
            sign_raw(
                &header(json!({"typ": "at+jwt"})),
                &good_claims(),
                &good_key(),
                Algorithm::RS256,
            ),
        ),
        (
            "typ application/at+JWT",
            sign_raw(
                &header(json!({"typ": "application/at+JWT"})),
                &good_claims(),
                &good_key(),
                Algorithm::RS256,
            ),
        ),
        (
            "no typ",
            sign_raw(
                &header(json!({"typ": null})),
                &good_claims(),
                &good_key(),
                Algorithm::RS256,
            ),
        ),
        (
            "no token_type",
            sign_raw(
                &header(json!({})),
                &with_claim("token_type", json!(null)),
                &good_key(),
                Algorithm::RS256,
            ),
        ),
        (
            "token_type Bearer",
            sign_raw(
                &header(json!({})),
                &with_claim("token_type", json!("Bearer")),
                &good_key(),
                Algorithm::RS256,
            ),
        ),
        (
            "iss with a trailing slash",
            sign_raw(
                &header(json!({})),
                &with_claim("iss", json!("https://op.example/")),
                &good_key(),
                Algorithm::RS256,
            ),
        ),
        (
            "nbf past",
            sign_raw(
                &header(json!({})),
                &with_claim("nbf", json!(now() - 5)),
                &good_key(),
                Algorithm::RS256,
            ),
        ),
        (
            "any aud",
            sign_raw(
                &header(json!({})),
                &with_claim("aud", json!(["x", "y"])),
                &good_key(),
                Algorithm::RS256,
            ),
        ),
    ] {
        assert_eq!(s.status(&token).await, 200, "{name}");
    }
    eprintln!(
        "JWT forgeries: {} refused, 9 controls accepted",
        forged.len()
    );
}

/// The regression of the review: `nbf`, `iss`, `typ`/`token_type` were not checked.
#[tokio::test]
async fn a_jwt_not_yet_valid_from_another_op_or_not_an_access_token_is_refused() {
    let s = setup().await;
    let signed = |h: Value, c: Value| sign_raw(&h, &c, &good_key(), Algorithm::RS256);
    for (what, token, reason) in [
        (
            "nbf",
            signed(header(json!({})), with_claim("nbf", json!(now() + 3600))),
            "not yet valid",
        ),
        (
            "iss",
            signed(
                header(json!({})),
                with_claim("iss", json!("https://other-op.example")),
            ),
            "issuer",
        ),
        (
            "typ",
            signed(header(json!({"typ": "id_token+jwt"})), good_claims()),
            "not an access token",
        ),
        (
            "token_type",
            signed(
                header(json!({})),
                with_claim("token_type", json!("refresh_token")),
            ),
            "not an access token",
        ),
    ] {
        let resp = client()
            .get(format!("{}/x", s.gw.proxy_url()))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "{what}");
        let challenge = resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(challenge.contains(reason), "{what}: {challenge}");
        assert_eq!(
            resp.text().await.unwrap(),
            r#"{"message":"JWT is not verified, reason: "}"#
        );
    }
}
