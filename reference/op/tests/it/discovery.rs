use openidconnect::core::{CoreJsonWebKeySet, CoreProviderMetadata};
use openidconnect::IssuerUrl;
use serde_json::Value;

use crate::common::*;

#[tokio::test]
async fn openidconnect_crate_accepts_the_discovery_document() {
    let op = TestOp::start().await;
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(op.issuer()).unwrap(), &http())
            .await
            .expect("discovery");
    assert_eq!(metadata.issuer().as_str(), op.issuer());
    assert_eq!(
        metadata.authorization_endpoint().as_str(),
        op.url("/oxauth/restv1/authorize")
    );
    assert_eq!(
        metadata.token_endpoint().unwrap().as_str(),
        op.url("/oxauth/restv1/token")
    );
    assert_eq!(
        metadata.userinfo_endpoint().unwrap().as_str(),
        op.url("/oxauth/restv1/userinfo")
    );
    // The crate fetched and parsed the JWKS too.
    assert_eq!(metadata.jwks().keys().len(), 2);
}

#[tokio::test]
async fn discovery_lists_what_the_op_supports() {
    let op = TestOp::start().await;
    let doc: Value = http()
        .get(op.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = |k: &str| -> Vec<String> {
        doc[k]
            .as_array()
            .unwrap_or_else(|| panic!("{k} missing"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        list("acr_values_supported"),
        ["auth_ldap_server", "basic", "otp"]
    );
    assert_eq!(
        list("response_types_supported"),
        [
            "code",
            "id_token",
            "id_token token",
            "code id_token",
            "code token",
            "code id_token token",
            "token"
        ]
    );
    assert_eq!(
        list("response_modes_supported"),
        ["query", "fragment", "form_post"]
    );
    assert!(list("grant_types_supported").contains(&"implicit".to_string()));
    assert_eq!(list("code_challenge_methods_supported"), ["S256", "plain"]);
    assert_eq!(
        list("id_token_signing_alg_values_supported"),
        ["RS256", "ES256"]
    );
    assert!(list("grant_types_supported").contains(&"client_credentials".to_string()));
    assert!(list("scopes_supported").contains(&"openid".to_string()));
    for endpoint in ["introspection", "revocation", "end_session", "registration"] {
        assert!(
            doc[format!("{endpoint}_endpoint")].is_string(),
            "{endpoint}"
        );
    }
    assert_eq!(
        doc["introspection_endpoint"],
        op.url("/oxauth/restv1/introspection")
    );
    assert_eq!(doc["revocation_endpoint"], op.url("/oxauth/restv1/revoke"));
    assert_eq!(
        doc["end_session_endpoint"],
        op.url("/oxauth/restv1/end_session")
    );
    assert_eq!(
        doc["registration_endpoint"],
        op.url("/oxauth/restv1/register")
    );
}

#[tokio::test]
async fn jwks_has_distinct_kids_for_rs256_and_es256() {
    let op = TestOp::start().await;
    let jwks: CoreJsonWebKeySet = http()
        .get(op.url("/oxauth/restv1/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids: Vec<_> = jwks
        .keys()
        .iter()
        .map(|k| {
            openidconnect::JsonWebKey::key_id(k)
                .unwrap()
                .as_str()
                .to_owned()
        })
        .collect();
    assert_eq!(kids.len(), 2);
    assert_ne!(kids[0], kids[1]);
}

#[tokio::test]
async fn configured_issuer_is_used() {
    let mut config = fixture_config();
    config.issuer = Some("https://op.example.org".into());
    let op = TestOp::with_config(config).await;
    assert_eq!(op.issuer(), "https://op.example.org");
    let doc: Value = http()
        .get(format!(
            "{}/.well-known/openid-configuration",
            op.handle.url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], "https://op.example.org");
    assert_eq!(
        doc["token_endpoint"],
        "https://op.example.org/oxauth/restv1/token"
    );
}

#[tokio::test]
async fn invalid_config_is_rejected_at_start() {
    let mut config = fixture_config();
    config.clients[0].spontaneous_scopes = vec!["(".into()];
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = gatecheck_op::start(config, listener).await.unwrap_err();
    assert!(
        format!("{err:#}").contains("clients[0].spontaneous_scopes[0]"),
        "{err:#}"
    );
    let mut config = fixture_config();
    config.keys[0].pem = Some("does/not/exist.pem".into());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = gatecheck_op::start(config, listener).await.unwrap_err();
    assert!(format!("{err:#}").contains("keys[0].pem"), "{err:#}");
}

#[tokio::test]
async fn generated_keys_work_when_no_pem_is_given() {
    let mut config = fixture_config();
    for key in &mut config.keys {
        key.pem = None;
    }
    config.keys.truncate(1);
    let op = TestOp::with_config(config).await;
    let jwks: Value = http()
        .get(op.url("/oxauth/restv1/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
}

#[tokio::test]
async fn webfinger_names_the_issuer_for_any_resource() {
    let op = TestOp::start().await;
    let issuer_rel = "http://openid.net/specs/connect/1.0/issuer";
    let get = |query: String| {
        let url = op.url(&format!("/.well-known/webfinger{query}"));
        async move { http().get(url).send().await.unwrap() }
    };
    for resource in [
        "acct:admin@op.example.org",
        "acct:nobody@op.example.org",
        "https://op.example.org/joe",
    ] {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("resource", resource)
            .append_pair("rel", issuer_rel)
            .finish();
        let response = get(format!("?{query}")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/jrd+json");
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
        let jrd: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            jrd,
            serde_json::json!({"subject": resource,
                               "links": [{"rel": issuer_rel, "href": op.issuer()}]}),
            "the same answer whether or not the account exists"
        );
    }
    let response = get("?resource=acct:a@b&rel=http://example.org/other".into()).await;
    let jrd: serde_json::Value = response.json().await.unwrap();
    assert_eq!(jrd["links"], serde_json::json!([]));
    for bad in [
        "",
        "?rel=x",
        "?resource=",
        "?resource=not%20a%20uri",
        "?resource=acct:a@b&resource=acct:c@d",
    ] {
        let response = get(bad.into()).await;
        assert_eq!(response.status(), 400, "{bad}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{bad}");
    }
}
