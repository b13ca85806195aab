use serde_json::json;
use wiremock::matchers::{basic_auth, body_json, body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;

fn settings(oxd: &MockServer, kong: &MockServer, op: &str) -> Settings {
    Settings {
        oxd_server_url: oxd.uri(),
        consumer_client_id: "consumer".into(),
        consumer_client_secret: "s3cret".into(),
        kong_proxy_url: kong.uri(),
        kong_route_host: "oauth-demo.example.com".into(),
        op_server: op.into(),
        scope: "transactions:123".into(),
        path: "/transactions/123".into(),
        direct: false,
        timeout_secs: 5,
    }
}

async fn kong_expecting(token: &str) -> MockServer {
    let kong = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/transactions/123"))
        .and(header("authorization", format!("bearer {token}").as_str()))
        .and(header("host", "oauth-demo.example.com"))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 1})))
        .expect(1)
        .mount(&kong)
        .await;
    kong
}

#[tokio::test]
async fn gets_a_token_from_oxd_and_calls_the_resource_with_the_route_host() {
    let oxd = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/get-client-token"))
        .and(body_json(json!({
            "client_id": "consumer", "client_secret": "s3cret",
            "op_host": "https://op.example.org", "scope": ["transactions:123"]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "tok", "expires_in": 299, "scope": ["transactions:123"]}),
        ))
        .expect(1)
        .mount(&oxd)
        .await;
    let kong = kong_expecting("tok").await;
    let mut out = Vec::new();
    let outcome = run(&settings(&oxd, &kong, "https://op.example.org"), &mut out)
        .await
        .unwrap();
    assert_eq!(outcome.access_token, "tok");
    assert_eq!(outcome.resource_status, 200);
    let printed = String::from_utf8(out).unwrap();
    let token_at = printed.find(TOKEN_HEADING).unwrap();
    let resource_at = printed.find(RESOURCE_HEADING).unwrap();
    assert!(token_at < resource_at);
    assert!(printed.contains("\"access_token\": \"tok\""));
    assert!(printed.ends_with("{\"id\":1}\n"), "{printed}");
}

#[tokio::test]
async fn direct_mode_uses_the_op_token_endpoint_with_client_credentials() {
    let op = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"issuer": op.uri(), "token_endpoint": format!("{}/oxauth/restv1/token", op.uri())}),
        ))
        .mount(&op)
        .await;
    Mock::given(method("POST"))
        .and(path("/oxauth/restv1/token"))
        .and(basic_auth("consumer", "s3cret"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("scope=transactions%3A123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "direct", "token_type": "bearer", "expires_in": 300}),
        ))
        .expect(1)
        .mount(&op)
        .await;
    let kong = kong_expecting("direct").await;
    let unused_oxd = MockServer::start().await;
    let mut s = settings(&unused_oxd, &kong, &op.uri());
    s.direct = true;
    s.oxd_server_url = String::new();
    let outcome = run(&s, &mut Vec::new()).await.unwrap();
    assert_eq!(outcome.access_token, "direct");
}

#[tokio::test]
async fn a_denied_resource_is_an_error_naming_the_endpoint_and_status() {
    let oxd = MockServer::start().await;
    Mock::given(path("/get-client-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "t"})))
        .mount(&oxd)
        .await;
    let kong = MockServer::start().await;
    Mock::given(path("/transactions/123"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(
                json!({"message": "You are not authorized to access this resource"}),
            ),
        )
        .mount(&kong)
        .await;
    let err = run(&settings(&oxd, &kong, "https://op"), &mut Vec::new())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("Error: Failed Not Ok Endpoint: "),
        "{text}"
    );
    assert!(
        text.contains("403") && text.contains("not authorized"),
        "{text}"
    );
}

#[tokio::test]
async fn an_oxd_error_stops_before_the_resource_call() {
    let oxd = MockServer::start().await;
    Mock::given(path("/get-client-token"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(
                json!({"error": "invalid_request", "error_description": "bad client"}),
            ),
        )
        .mount(&oxd)
        .await;
    let kong = MockServer::start().await;
    Mock::given(path("/transactions/123"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&kong)
        .await;
    let err = run(&settings(&oxd, &kong, "https://op"), &mut Vec::new())
        .await
        .unwrap_err();
    assert!(matches!(err, RqpError::Status { status: 400, .. }), "{err}");
}

#[tokio::test]
async fn a_token_response_without_access_token_is_a_protocol_error() {
    let oxd = MockServer::start().await;
    Mock::given(path("/get-client-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"scope": []})))
        .mount(&oxd)
        .await;
    let kong = MockServer::start().await;
    let err = run(&settings(&oxd, &kong, "https://op"), &mut Vec::new())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no access_token"), "{err}");
}

#[tokio::test]
async fn an_unreachable_oxd_is_an_http_error_not_a_hang() {
    let kong = MockServer::start().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut s = settings(&kong, &kong, "https://op");
    s.oxd_server_url = dead;
    let err = run(&s, &mut Vec::new()).await.unwrap_err();
    assert!(
        matches!(
            err,
            RqpError::Http {
                step: "get-client-token",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn settings_validation_names_the_missing_or_bad_field() {
    let yaml = "consumer_client_id: a\nconsumer_client_secret: b\nkong_proxy_url: http://k\nkong_route_host: h\nop_server: https://op\noxd_server_url: http://oxd\n";
    let s = Settings::from_yaml_str(yaml).unwrap();
    assert_eq!(s.scope, "transactions:123");
    assert_eq!(s.path, "/transactions/123");
    assert!(s.validate().is_ok());
    let mut missing = s.clone();
    missing.kong_route_host = " ".into();
    assert_eq!(
        missing.validate(),
        Err(SettingsError::Missing("kong_route_host"))
    );
    let mut bad = s.clone();
    bad.kong_proxy_url = "not a url".into();
    assert!(matches!(
        bad.validate(),
        Err(SettingsError::BadUrl {
            name: "kong_proxy_url",
            ..
        })
    ));
    let mut no_oxd = s.clone();
    no_oxd.oxd_server_url.clear();
    assert_eq!(
        no_oxd.validate(),
        Err(SettingsError::Missing("oxd_server_url"))
    );
    no_oxd.direct = true;
    assert!(no_oxd.validate().is_ok());
    assert!(Settings::from_yaml_str("unknown_key: 1").is_err());
}
