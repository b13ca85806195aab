use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreClientRegistrationRequest, CoreGrantType,
    CoreProviderMetadata, CoreResponseType,
};
use openidconnect::{
    AuthorizationCode, ClientName, CsrfToken, IssuerUrl, LocalizedClaim, Nonce, RedirectUrl,
    ResponseTypes, TokenResponse,
};
use serde_json::{json, Value};

use crate::common::*;

#[tokio::test]
async fn openidconnect_rp_registers_dynamically_and_logs_in() {
    let op = TestOp::start().await;
    let http = http();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(op.issuer()).unwrap(), &http)
            .await
            .unwrap();
    let redirect = RedirectUrl::new("https://rp.example.org/cb".into()).unwrap();
    let mut name = LocalizedClaim::new();
    name.insert(None, ClientName::new("Registered RP".into()));
    let registration =
        CoreClientRegistrationRequest::new(vec![redirect.clone()], Default::default())
            .set_client_name(Some(name))
            .set_response_types(Some(vec![ResponseTypes::new(vec![CoreResponseType::Code])]))
            .set_grant_types(Some(vec![
                CoreGrantType::AuthorizationCode,
                CoreGrantType::RefreshToken,
            ]))
            .register_async(metadata.registration_endpoint().unwrap(), &http)
            .await
            .expect("registration");
    let client_id = registration.client_id().clone();
    let secret = registration.client_secret().cloned();
    assert!(secret.is_some());
    assert!(registration.registration_access_token().is_some());
    assert!(registration.registration_client_uri().is_some());

    let client = CoreClient::from_provider_metadata(metadata, client_id.clone(), secret)
        .set_redirect_uri(redirect);
    let (url, _, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .url();
    let agent = Agent::new(&op);
    let page = agent.open(url.as_str()).await.page();
    let page = agent.login(&page, "jdoe", "jdoe-secret").await.page();
    assert!(page.html.contains("Registered RP"));
    let callback = agent.consent(&page, true).await.left();
    let code = query_param(&callback, "code").unwrap();
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    let claims = tokens
        .id_token()
        .unwrap()
        .claims(&client.id_token_verifier(), &nonce)
        .unwrap();
    assert_eq!(claims.subject().as_str(), "jdoe");
    assert_eq!(claims.audiences()[0].as_str(), client_id.as_str());
}

#[tokio::test]
async fn registration_management_with_the_registration_token() {
    let op = TestOp::start().await;
    let (status, created) = register(
        &op,
        json!({
            "redirect_uris": ["https://rp.example.org/cb"],
            "grant_types": ["client_credentials"],
            "scope": "oxd",
            "allow_spontaneous_scopes": true,
            "spontaneous_scopes": ["^transactions:.+$"],
            "access_token_as_jwt": true,
            "access_token_signing_alg": "ES256",
            "client_uri": "https://rp.example.org/",
        }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["allow_spontaneous_scopes"], true);
    assert_eq!(created["spontaneous_scopes"], json!(["^transactions:.+$"]));
    assert_eq!(created["access_token_as_jwt"], true);
    assert_eq!(created["access_token_signing_alg"], "ES256");
    assert_eq!(created["client_uri"], "https://rp.example.org/");
    assert_eq!(created["client_secret_expires_at"], 0);
    let id = created["client_id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    let rat = created["registration_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let uri = created["registration_client_uri"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        uri,
        format!("{}?client_id={id}", op.url("/oxauth/restv1/register"))
    );

    // The new client works, with its Gluu extensions.
    let (status, body, _) = token_request(
        &op,
        (&id, &secret),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "oxd transactions:42 nope"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "oxd transactions:42");
    let header = jsonwebtoken::decode_header(body["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);

    // GET
    let read: Value = http()
        .get(&uri)
        .bearer_auth(&rat)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["client_id"], id);
    let wrong = http().get(&uri).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "invalid_token"
    );
    let none = http().get(&uri).send().await.unwrap();
    assert_eq!(none.status(), 401);

    // PUT replaces metadata; a bad update changes nothing.
    let updated = http()
        .put(&uri)
        .bearer_auth(&rat)
        .json(&json!({"client_id": id, "redirect_uris": ["https://rp.example.org/cb2"], "client_name": "Renamed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    let updated: Value = updated.json().await.unwrap();
    assert_eq!(updated["client_name"], "Renamed");
    assert_eq!(
        updated["redirect_uris"],
        json!(["https://rp.example.org/cb2"])
    );
    assert_eq!(updated["client_secret"], secret);
    let bad = http()
        .put(&uri)
        .bearer_auth(&rat)
        .json(&json!({"redirect_uris": ["https://rp.example.org/cb#x"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let read: Value = http()
        .get(&uri)
        .bearer_auth(&rat)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["client_name"], "Renamed");

    // DELETE
    let deleted = http().delete(&uri).bearer_auth(&rat).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    let gone = http().get(&uri).bearer_auth(&rat).send().await.unwrap();
    assert_eq!(gone.status(), 401);
    let (status, body, _) =
        token_request(&op, (&id, &secret), &[("grant_type", "client_credentials")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

#[tokio::test]
async fn registration_errors() {
    let op = TestOp::start().await;
    let cases = vec![
        (
            json!({"redirect_uris": ["https://rp/cb#frag"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["not a uri"]}),
            "invalid_redirect_uri",
        ),
        (json!({}), "invalid_redirect_uri"),
        (
            json!({"redirect_uris": ["https://rp/cb"], "grant_types": ["magic"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://rp/cb"], "response_types": ["token"], "grant_types": ["authorization_code"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://rp/cb"], "token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://a.example/cb", "https://b.example/cb"], "subject_type": "pairwise"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://rp/cb"], "id_token_signed_response_alg": "none"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://rp/cb"], "spontaneous_scopes": ["("]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://rp/cb"], "default_acr_values": ["u2f"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://rp/cb"], "initiate_login_uri": "http://rp/login"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": "https://rp/cb"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://rp/cb"], "post_logout_redirect_uris": ["/x"]}),
            "invalid_client_metadata",
        ),
        (json!(["not", "an", "object"]), "invalid_client_metadata"),
        (
            json!({"redirect_uris": ["https://rp/cb"], "subject_type": "secret"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://rp/cb"], "response_types": ["code id_token"], "grant_types": ["implicit"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://rp/cb"], "response_types": ["code token code"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": vec!["https://rp/cb"; 101]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["https://rp/cb"], "post_logout_redirect_uris": vec!["https://rp/"; 101]}),
            "invalid_client_metadata",
        ),
    ];
    for (body, error) in cases {
        let (status, response) = register(&op, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(response["error"], error, "{body}");
        assert!(response["error_description"].is_string());
    }
    let response = http()
        .post(op.url("/oxauth/restv1/register"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn registration_can_be_switched_off() {
    let mut config = fixture_config();
    config.dynamic_registration = false;
    let op = TestOp::with_config(config).await;
    let (status, body) = register(&op, json!({"redirect_uris": ["https://rp/cb"]})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("access_denied"))
    );
}

#[tokio::test]
async fn public_clients_must_use_pkce() {
    let op = TestOp::start().await;
    let (status, created) = register(
        &op,
        json!({"redirect_uris": ["https://spa.example/cb"], "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(status, 201);
    assert!(created.get("client_secret").is_none());
    let id = created["client_id"].as_str().unwrap();
    let base = [
        ("response_type", "code"),
        ("client_id", id),
        ("scope", "openid"),
        ("state", "s"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
    ];
    let agent = Agent::new(&op);
    let page = agent.open(&authorize_url(&op, &base)).await.page();
    let page = agent.login(&page, "admin", "secret").await.page();
    let callback = agent.consent(&page, true).await.left();
    let code = query_param(&callback, "code").unwrap();
    let response = http()
        .post(op.url("/oxauth/restv1/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("client_id", id),
            (
                "code_verifier",
                "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["id_token"].is_string());
}

#[tokio::test]
async fn id_tokens_use_the_clients_registered_alg() {
    let op = TestOp::start().await;
    let (_, created) = register(
        &op,
        json!({"redirect_uris": ["https://rp.example.org/cb"], "id_token_signed_response_alg": "ES256"}),
    )
    .await;
    assert_eq!(created["id_token_signed_response_alg"], "ES256");
    let id = created["client_id"].as_str().unwrap();
    let secret = created["client_secret"].as_str().unwrap();
    let agent = Agent::new(&op);
    let page = agent
        .open(&authorize_url(
            &op,
            &[
                ("response_type", "code"),
                ("client_id", id),
                ("scope", "openid"),
                ("nonce", "n"),
            ],
        ))
        .await
        .page();
    let page = agent.login(&page, "admin", "secret").await.page();
    let callback = agent.consent(&page, true).await.left();
    let code = query_param(&callback, "code").unwrap();
    let (status, body, _) = token_request(
        &op,
        (id, secret),
        &[("grant_type", "authorization_code"), ("code", &code)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let id_token = body["id_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    let jwks: jsonwebtoken::jwk::JwkSet = http()
        .get(op.url("/oxauth/restv1/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key =
        jsonwebtoken::DecodingKey::from_jwk(jwks.find(header.kid.as_deref().unwrap()).unwrap())
            .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[id]);
    validation.set_issuer(&[op.issuer()]);
    let claims = jsonwebtoken::decode::<Value>(id_token, &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["nonce"], "n");
    assert_eq!(claims["sub"], "admin");
}

#[tokio::test]
async fn management_needs_a_client_id() {
    let op = TestOp::start().await;
    let (_, created) = register(&op, json!({"redirect_uris": ["https://rp/cb"]})).await;
    let rat = created["registration_access_token"].as_str().unwrap();
    for query in ["", "?client_id=", "?client_id=a&client_id=b"] {
        let response = http()
            .get(format!("{}{query}", op.url("/oxauth/restv1/register")))
            .bearer_auth(rat)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{query}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "invalid_request"
        );
    }
}
