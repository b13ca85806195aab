//! The oxd calls of the OIDC flow (`docs/gluu-gateway.md#oxd-endpoints`) — `get-authorization-url`,
//! `get-tokens-by-code`, `get-user-info`, `get-logout-uri`, `get-jwks` — as typed requests over the
//! gateway's shared oxd client (protection token cached and refreshed, one retry on 401/403, every
//! call bounded by the plugin timeout).

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use url::Url;

pub use crate::plugins::oxd::OxdError;

/// `/get-tokens-by-code` response.
#[derive(Debug, Clone, Deserialize)]
pub struct Tokens {
    /// Access token.
    pub access_token: String,
    /// ID token (JWS); the plugin verifies it and decides on its signed claims, not on
    /// oxd's `id_token_claims` copy.
    pub id_token: String,
}

#[derive(Deserialize)]
struct AuthorizationUrl {
    authorization_url: String,
}

#[derive(Deserialize)]
struct LogoutUri {
    uri: String,
}

/// An authorization request to build.
#[derive(Debug, Clone, Default)]
pub struct AuthorizationParams<'a> {
    /// `scope`.
    pub scopes: &'a [String],
    /// `acr_values` (omitted when empty).
    pub acr_values: &'a [String],
    /// `prompt`.
    pub prompt: Option<&'a str>,
    /// `max_age`.
    pub max_age: i64,
}

/// The OIDC calls of one oxd site.
#[derive(Debug)]
pub struct OxdClient {
    inner: Arc<crate::plugins::oxd::OxdClient>,
    oxd_id: String,
}

impl OxdClient {
    /// A client for `oxd_id` at `base` (protection tokens for `client_id` at `op_host`);
    /// every call completes within `timeout`.
    pub fn new(
        base: Url,
        oxd_id: String,
        client_id: String,
        client_secret: String,
        op_host: String,
        timeout: Duration,
    ) -> Result<Self, String> {
        let inner = crate::plugins::oxd::OxdClient::new(
            base,
            oxd_id.clone(),
            client_id,
            client_secret,
            op_host,
            timeout,
        )?;
        Ok(Self {
            inner: Arc::new(inner),
            oxd_id,
        })
    }

    /// `/get-authorization-url` → the URL to send the user to.
    pub async fn authorization_url(
        &self,
        params: &AuthorizationParams<'_>,
    ) -> Result<String, OxdError> {
        let mut body = json!({
            "oxd_id": self.oxd_id,
            "params": {"max_age": params.max_age.to_string()},
        });
        if !params.scopes.is_empty() {
            body["scope"] = json!(params.scopes);
        }
        if !params.acr_values.is_empty() {
            body["acr_values"] = json!(params.acr_values);
        }
        if let Some(prompt) = params.prompt {
            body["prompt"] = json!(prompt);
        }
        let r: AuthorizationUrl = self.call("get-authorization-url", body).await?;
        Ok(r.authorization_url)
    }

    /// `/get-tokens-by-code`.
    pub async fn tokens_by_code(&self, code: &str, state: &str) -> Result<Tokens, OxdError> {
        let body = json!({"oxd_id": self.oxd_id, "code": code, "state": state});
        self.call("get-tokens-by-code", body).await
    }

    /// `/get-user-info`: the claims object.
    pub async fn user_info(&self, access_token: &str) -> Result<Value, OxdError> {
        let body = json!({"oxd_id": self.oxd_id, "access_token": access_token});
        let value: Value = self.call("get-user-info", body).await?;
        if value.is_object() {
            Ok(value)
        } else {
            Err(OxdError::BadResponse {
                endpoint: "get-user-info".into(),
                reason: "not a JSON object".into(),
            })
        }
    }

    /// `/get-logout-uri` → the OP's end-session URL.
    pub async fn logout_uri(
        &self,
        id_token_hint: &str,
        post_logout_redirect_uri: Option<&str>,
    ) -> Result<String, OxdError> {
        let mut body = json!({"oxd_id": self.oxd_id, "id_token_hint": id_token_hint});
        if let Some(uri) = post_logout_redirect_uri {
            body["post_logout_redirect_uri"] = json!(uri);
        }
        let r: LogoutUri = self.call("get-logout-uri", body).await?;
        Ok(r.uri)
    }

    /// The site's oxd client, for the key set fed by `/get-jwks`
    /// ([`crate::rp::jwks::OxdKeys`]).
    pub fn shared(&self) -> Arc<crate::plugins::oxd::OxdClient> {
        self.inner.clone()
    }

    async fn call<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        body: Value,
    ) -> Result<T, OxdError> {
        let value = self.inner.call(endpoint, body).await?;
        serde_json::from_value(value).map_err(|e| OxdError::BadResponse {
            endpoint: endpoint.into(),
            reason: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{body_partial_json, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    async fn client(server: &MockServer) -> OxdClient {
        OxdClient::new(
            Url::parse(&format!("{}/", server.uri())).unwrap(),
            "site".into(),
            "cid".into(),
            "secret".into(),
            "https://op".into(),
            Duration::from_secs(5),
        )
        .unwrap()
    }

    async fn client_token(server: &MockServer, token: &str, times: u64) {
        Mock::given(method("POST"))
            .and(path("/get-client-token"))
            .and(body_partial_json(
                json!({"client_id": "cid", "scope": ["openid", "oxd"]}),
            ))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"access_token": token, "expires_in": 300})),
            )
            .up_to_n_times(times)
            .expect(times)
            .mount(server)
            .await;
    }

    #[tokio::test]
    async fn authorization_url_sends_gg_fields_with_protection_token() {
        let server = MockServer::start().await;
        client_token(&server, "pt", 1).await;
        Mock::given(method("POST"))
            .and(path("/get-authorization-url"))
            .and(header("authorization", "Bearer pt"))
            .and(body_partial_json(json!({
                "oxd_id": "site", "scope": ["openid"], "acr_values": ["otp"],
                "prompt": "login", "params": {"max_age": "60"}
            })))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"authorization_url": "https://op/authorize?x"})),
            )
            .expect(2)
            .mount(&server)
            .await;
        let oxd = client(&server).await;
        let scopes = vec!["openid".to_string()];
        let acrs = vec!["otp".to_string()];
        let params = AuthorizationParams {
            scopes: &scopes,
            acr_values: &acrs,
            prompt: Some("login"),
            max_age: 60,
        };
        assert_eq!(
            oxd.authorization_url(&params).await.unwrap(),
            "https://op/authorize?x"
        );
        // The protection token is cached: one get-client-token for two calls.
        oxd.authorization_url(&params).await.unwrap();
    }

    #[tokio::test]
    async fn rejected_protection_token_is_refreshed_once() {
        let server = MockServer::start().await;
        client_token(&server, "pt", 2).await;
        Mock::given(method("POST"))
            .and(path("/get-user-info"))
            .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": "invalid"})))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/get-user-info"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"sub": "alice"})))
            .mount(&server)
            .await;
        let oxd = client(&server).await;
        assert_eq!(oxd.user_info("at").await.unwrap()["sub"], "alice");
    }

    #[tokio::test]
    async fn errors_are_typed() {
        let server = MockServer::start().await;
        client_token(&server, "pt", 1).await;
        Mock::given(method("POST"))
            .and(path("/get-logout-uri"))
            .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/get-tokens-by-code"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"nope": 1})))
            .mount(&server)
            .await;
        let oxd = client(&server).await;
        assert!(matches!(
            oxd.logout_uri("t", None).await,
            Err(OxdError::Status { status: 500, .. })
        ));
        assert!(matches!(
            oxd.tokens_by_code("c", "s").await,
            Err(OxdError::BadResponse { .. })
        ));
    }

    #[tokio::test]
    async fn unreachable_oxd_is_a_transport_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let oxd = OxdClient::new(
            Url::parse(&format!("http://{addr}/")).unwrap(),
            "site".into(),
            "cid".into(),
            "secret".into(),
            "https://op".into(),
            Duration::from_secs(5),
        )
        .unwrap();
        assert!(matches!(
            oxd.user_info("at").await,
            Err(OxdError::Transport(_))
        ));
    }
}
