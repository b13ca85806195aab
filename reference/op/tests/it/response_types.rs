//! Every response type the discovery document lists, in every response mode it lists: what the
//! authorization response carries (code, access token, ID token with c_hash/at_hash/s_hash),
//! how it is delivered (query, fragment, auto-submitting form), and refusals.

use std::collections::HashMap;

use gatecheck_op::protocol::GrantType;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};

use crate::common::*;

async fn op_with_implicit_demo_rp() -> TestOp {
    let mut config = fixture_config();
    config.clients[0].grant_types.push(GrantType::Implicit);
    TestOp::with_config(config).await
}

/// How a response arrived and its parameters.
#[derive(Debug)]
struct Delivered {
    mode: &'static str,
    params: HashMap<String, String>,
}

impl Delivered {
    fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

fn delivered_by_redirect(url: &url::Url) -> Delivered {
    assert!(url.as_str().starts_with(RP_CALLBACK), "{url}");
    match url.fragment() {
        Some(fragment) => {
            assert!(url.query().is_none(), "parameters in the query too: {url}");
            Delivered {
                mode: "fragment",
                params: url::form_urlencoded::parse(fragment.as_bytes())
                    .into_owned()
                    .collect(),
            }
        }
        None => Delivered {
            mode: "query",
            params: url.query_pairs().into_owned().collect(),
        },
    }
}

/// Runs an authorization request for demo-rp (logging in and consenting if asked) and returns
/// the response as the RP receives it.
async fn authorize(op: &TestOp, agent: &Agent, extra: &[(&str, &str)]) -> Delivered {
    let mut nav = agent.open(&authorize_url(op, &demo_params(extra))).await;
    loop {
        match nav {
            Nav::Left(_) => return delivered_by_redirect(&nav.left()),
            Nav::Page(page) if page.has("form#loginForm") => {
                nav = agent.login(&page, "admin", "secret").await
            }
            Nav::Page(page) if page.has("form#consentForm") => {
                nav = agent.consent(&page, true).await
            }
            Nav::Page(page) => {
                let form = page
                    .form_post()
                    .unwrap_or_else(|| panic!("unexpected page {} {}", page.status, page.html));
                assert_eq!(form.method, "POST");
                assert_eq!(form.action.as_str(), RP_CALLBACK);
                return Delivered {
                    mode: "form_post",
                    params: form.fields.into_iter().collect(),
                };
            }
        }
    }
}

async fn discovery(op: &TestOp) -> Value {
    get_json(op, "/.well-known/openid-configuration").await
}

fn strings(doc: &Value, key: &str) -> Vec<String> {
    doc[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// Verifies the ID token's signature with the OP's published key and returns its claims.
async fn verified_claims(op: &TestOp, id_token: &str) -> Value {
    let jwks: jsonwebtoken::jwk::JwkSet = get_json(op, "/oxauth/restv1/jwks").await;
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    let jwk = jwks.find(header.kid.as_deref().unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["demo-rp"]);
    validation.set_issuer(&[op.issuer()]);
    jsonwebtoken::decode::<Value>(id_token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .unwrap()
        .claims
}

fn half_hash(value: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(value.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
}

#[tokio::test]
async fn every_listed_response_type_in_every_listed_mode() {
    let op = op_with_implicit_demo_rp().await;
    let agent = Agent::new(&op);
    let doc = discovery(&op).await;
    let types = strings(&doc, "response_types_supported");
    let modes = strings(&doc, "response_modes_supported");
    assert!(types.len() >= 6 && modes.len() == 3, "{types:?} {modes:?}");
    let mut checked = 0;
    for response_type in &types {
        let words: Vec<&str> = response_type.split(' ').collect();
        let (code, id_token, token) = (
            words.contains(&"code"),
            words.contains(&"id_token"),
            words.contains(&"token"),
        );
        let default_mode = if id_token || token {
            "fragment"
        } else {
            "query"
        };
        for mode in std::iter::once(None).chain(modes.iter().map(|m| Some(m.as_str()))) {
            let mut extra = vec![("response_type", response_type.as_str())];
            if let Some(mode) = mode {
                extra.push(("response_mode", mode));
            }
            let what = format!("{response_type} / {mode:?}");
            let got = authorize(&op, &agent, &extra).await;
            if mode == Some("query") && (id_token || token) {
                // Tokens never travel in a query; the error goes where tokens would have.
                assert_eq!(got.mode, "fragment", "{what}");
                assert_eq!(got.get("error"), Some("invalid_request"), "{what}");
                assert_eq!(got.get("state"), Some("st-1"), "{what}");
                checked += 1;
                continue;
            }
            assert_eq!(got.mode, mode.unwrap_or(default_mode), "{what}");
            assert_eq!(got.get("error"), None, "{what}: {got:?}");
            assert_eq!(got.get("state"), Some("st-1"), "{what}");
            assert_eq!(got.get("iss"), Some(op.issuer().as_str()), "{what}");
            assert_eq!(got.get("code").is_some(), code, "{what}");
            assert_eq!(got.get("access_token").is_some(), token, "{what}");
            assert_eq!(got.get("id_token").is_some(), id_token, "{what}");
            if token {
                assert_eq!(got.get("token_type"), Some("Bearer"), "{what}");
                assert!(got.get("expires_in").unwrap().parse::<i64>().unwrap() > 0);
                let response = http()
                    .get(op.url("/oxauth/restv1/userinfo"))
                    .bearer_auth(got.get("access_token").unwrap())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200, "{what}: userinfo");
            }
            let mut front_sub = None;
            if let Some(jwt) = got.get("id_token") {
                let claims = verified_claims(&op, jwt).await;
                assert_eq!(claims["nonce"], "n-1", "{what}");
                assert_eq!(claims["s_hash"], json!(half_hash("st-1")), "{what}");
                match got.get("code") {
                    Some(c) => assert_eq!(claims["c_hash"], json!(half_hash(c)), "{what}"),
                    None => assert!(claims.get("c_hash").is_none(), "{what}"),
                }
                match got.get("access_token") {
                    Some(at) => assert_eq!(claims["at_hash"], json!(half_hash(at)), "{what}"),
                    None => assert!(claims.get("at_hash").is_none(), "{what}"),
                }
                // Without an access token the scopes' claims come in the ID token.
                let alone = !code && !token;
                assert_eq!(claims.get("email").is_some(), alone, "{what}: {claims}");
                assert_eq!(claims.get("name").is_some(), alone, "{what}: {claims}");
                front_sub = Some(claims["sub"].clone());
            }
            if let Some(c) = got.get("code") {
                let (status, body, _) = token_request(
                    &op,
                    DEMO,
                    &[
                        ("grant_type", "authorization_code"),
                        ("code", c),
                        ("redirect_uri", RP_CALLBACK),
                    ],
                )
                .await;
                assert_eq!(status, 200, "{what}: {body}");
                let claims = verified_claims(&op, body["id_token"].as_str().unwrap()).await;
                assert!(claims.get("s_hash").is_none(), "{what}");
                if let Some(sub) = front_sub {
                    assert_eq!(claims["sub"], sub, "{what}: the same sub in both ID tokens");
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 24, "{checked}");
}

#[tokio::test]
async fn an_id_token_from_the_authorization_endpoint_needs_a_nonce_and_openid() {
    let op = op_with_implicit_demo_rp().await;
    let agent = Agent::new(&op);
    for response_type in [
        "id_token",
        "id_token token",
        "code id_token",
        "code id_token token",
    ] {
        let got = authorize(
            &op,
            &agent,
            &[("response_type", response_type), ("nonce", "")],
        )
        .await;
        assert_eq!(got.mode, "fragment");
        assert_eq!(got.get("error"), Some("invalid_request"), "{response_type}");
        assert!(got.get("error_description").unwrap().contains("nonce"));
        let got = authorize(
            &op,
            &agent,
            &[("response_type", response_type), ("scope", "profile")],
        )
        .await;
        assert_eq!(got.get("error"), Some("invalid_scope"), "{response_type}");
    }
    // No ID token from the authorization endpoint, no nonce needed.
    for response_type in ["code", "code token", "token"] {
        let got = authorize(
            &op,
            &agent,
            &[("response_type", response_type), ("nonce", "")],
        )
        .await;
        assert_eq!(got.get("error"), None, "{response_type}: {got:?}");
    }
}

#[tokio::test]
async fn a_client_without_the_implicit_grant_gets_no_tokens_from_the_authorization_endpoint() {
    let op = TestOp::start().await;
    let agent = Agent::new(&op);
    for response_type in ["id_token", "code token", "token"] {
        let got = authorize(&op, &agent, &[("response_type", response_type)]).await;
        assert_eq!(got.mode, "fragment");
        assert_eq!(
            got.get("error"),
            Some("unauthorized_client"),
            "{response_type}"
        );
        assert_eq!(got.get("access_token"), None);
    }
}

#[tokio::test]
async fn the_form_post_page_escapes_values_and_limits_where_it_posts() {
    let op = op_with_implicit_demo_rp().await;
    let agent = Agent::new(&op);
    authorize(&op, &agent, &[]).await;
    let nasty = "\"><script>alert(1)</script>&x='";
    let response = agent
        .http
        .get(authorize_url(
            &op,
            &demo_params(&[
                ("response_type", "code id_token"),
                ("response_mode", "form_post"),
                ("state", nasty),
            ]),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["cache-control"], "no-store");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    assert!(csp.contains("form-action http://localhost:4400"), "{csp}");
    let html = response.text().await.unwrap();
    assert!(!html.contains("<script>alert"), "{html}");
    // The page's own script is what the CSP hashes, byte for byte (escaped, a browser would
    // neither run it nor let it submit the form).
    let script = html
        .split("<script>")
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .expect("the page has its script");
    assert_eq!(
        script, "document.getElementById('responseForm').submit();",
        "{html}"
    );
    let hash = gatecheck_op::util::script_hash(script);
    assert!(csp.contains(&format!("script-src '{hash}'")), "{csp}");
    let page = Page {
        status: 200,
        url: op.url("/oxauth/restv1/authorize"),
        html,
    };
    let form = page.form_post().expect("a form_post page");
    let fields: HashMap<String, String> = form.fields.into_iter().collect();
    assert_eq!(fields["state"], nasty, "the value survives escaping intact");
    assert!(fields.contains_key("code") && fields.contains_key("id_token"));
}

#[tokio::test]
async fn a_replayed_hybrid_code_revokes_the_front_channel_access_token() {
    let op = op_with_implicit_demo_rp().await;
    let agent = Agent::new(&op);
    let got = authorize(&op, &agent, &[("response_type", "code token")]).await;
    let code = got.get("code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", RP_CALLBACK),
    ];
    assert_eq!(token_request(&op, DEMO, &form).await.0, 200);
    let (status, body, _) = token_request(&op, DEMO, &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let introspected = introspect(&op, DEMO, got.get("access_token").unwrap()).await;
    assert_eq!(introspected["active"], false);
}

#[tokio::test]
async fn registration_keeps_response_and_grant_types_in_agreement() {
    let op = TestOp::start().await;
    let (status, body) = register(
        &op,
        json!({"redirect_uris": ["https://rp.example.org/cb"], "response_types": ["code id_token"]}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["grant_types"],
        json!(["authorization_code", "implicit"])
    );
    let echoed = strings(&body, "response_types");
    assert!(echoed.contains(&"code id_token".to_owned()), "{echoed:?}");
    let (status, body) = register(
        &op,
        json!({"redirect_uris": ["https://rp.example.org/cb"], "response_types": ["id_token"],
               "grant_types": ["authorization_code"]}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_client_metadata");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("implicit"));
    // OIDC Dynamic Registration §2: a web client with the implicit grant registers https
    // redirect URIs off localhost; with the code flow alone loopback http is fine.
    for uri in [
        "http://localhost:4400/cb",
        "https://localhost/cb",
        "http://rp.example.org/cb",
    ] {
        let (status, body) = register(
            &op,
            json!({"redirect_uris": [uri], "response_types": ["id_token"]}),
        )
        .await;
        assert_eq!(status, 400, "{uri}: {body}");
        assert_eq!(body["error"], "invalid_redirect_uri", "{uri}");
    }
    let (status, body) =
        register(&op, json!({"redirect_uris": ["http://localhost:4400/cb"]})).await;
    assert_eq!(status, 201, "{body}");
}
