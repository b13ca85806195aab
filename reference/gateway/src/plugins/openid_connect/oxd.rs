//! The oxd API calls the plugin makes (spec §9): `get-client-token` for the protection token, then
//! `get-authorization-url`, `get-tokens-by-code`, `get-user-info` and `get-logout-uri` with
//! `Authorization: Bearer <protection token>`. Every call has a timeout.

use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::Mutex;
use url::Url;

/// Refresh the protection token this long before oxd says it expires.
const TOKEN_REFRESH_MARGIN: Duration = Duration::from_secs(5);

/// Why an oxd call failed.
#[derive(Debug, thiserror::Error)]
pub enum OxdError {
    /// Connection failure or timeout.
    #[error("oxd {endpoint}: {source}")]
    Transport {
        /// Endpoint called.
        endpoint: &'static str,
        /// The cause.
        source: reqwest::Error,
    },
    /// oxd answered with a non-200 status.
    #[error("oxd {endpoint} answered {status}: {body}")]
    Status {
        /// Endpoint called.
        endpoint: &'static str,
        /// The status.
        status: http::StatusCode,
        /// The body (oxd's `{"error","error_description"}`).
        body: String,
    },
    /// The response lacked a field or was not JSON.
    #[error("oxd {endpoint}: malformed response: {reason}")]
    Malformed {
        /// Endpoint called.
        endpoint: &'static str,
        /// What was wrong.
        reason: String,
    },
}

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
struct ClientToken {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
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

/// Client of one oxd site.
#[derive(Debug)]
pub struct OxdClient {
    http: reqwest::Client,
    base: Url,
    oxd_id: String,
    client_id: String,
    client_secret: String,
    op_host: String,
    protection: Mutex<Option<(String, Instant)>>,
}

impl OxdClient {
    /// A client for `oxd_id` at `base` (protection tokens for `client_id` at `op_host`).
    pub fn new(
        base: Url,
        oxd_id: String,
        client_id: String,
        client_secret: String,
        op_host: String,
        timeout: Duration,
    ) -> Result<Self, reqwest::Error> {
        let mut base = base;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            http,
            base,
            oxd_id,
            client_id,
            client_secret,
            op_host,
            protection: Mutex::new(None),
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

    /// `/get-user-info`.
    pub async fn user_info(&self, access_token: &str) -> Result<Value, OxdError> {
        let body = json!({"oxd_id": self.oxd_id, "access_token": access_token});
        let value: Value = self.call("get-user-info", body).await?;
        if value.is_object() {
            Ok(value)
        } else {
            Err(OxdError::Malformed {
                endpoint: "get-user-info",
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

    /// `/get-jwks` → the OP's key set (`{"keys": [...]}`).
    pub async fn jwks(&self) -> Result<Value, OxdError> {
        let body = json!({"op_host": self.op_host});
        self.call("get-jwks", body).await
    }

    /// Calls `endpoint` with the protection token; a token oxd rejects (401/403) is dropped and
    /// the call retried once with a fresh one.
    async fn call<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        body: Value,
    ) -> Result<T, OxdError> {
        let token = self.protection_token(false).await?;
        match self.post(endpoint, &body, Some(&token)).await {
            Err(OxdError::Status { status, .. })
                if status == http::StatusCode::UNAUTHORIZED
                    || status == http::StatusCode::FORBIDDEN =>
            {
                let token = self.protection_token(true).await?;
                self.post(endpoint, &body, Some(&token)).await
            }
            other => other,
        }
    }

    /// The cached protection token, fetched (single flight: the lock is held while fetching) when
    /// absent, near expiry, or `refresh` is set.
    async fn protection_token(&self, refresh: bool) -> Result<String, OxdError> {
        let mut cached = self.protection.lock().await;
        if let Some((token, expires)) = cached.as_ref() {
            if !refresh && Instant::now() < *expires {
                return Ok(token.clone());
            }
        }
        let body = json!({
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "op_host": self.op_host,
            "scope": ["openid", "oxd"],
        });
        let r: ClientToken = self.post("get-client-token", &body, None).await?;
        let lifetime =
            Duration::from_secs(r.expires_in.unwrap_or(60)).saturating_sub(TOKEN_REFRESH_MARGIN);
        *cached = Some((r.access_token.clone(), Instant::now() + lifetime));
        Ok(r.access_token)
    }

    async fn post<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        body: &Value,
        token: Option<&str>,
    ) -> Result<T, OxdError> {
        let url = self.base.join(endpoint).map_err(|e| OxdError::Malformed {
            endpoint,
            reason: e.to_string(),
        })?;
        let mut request = self.http.post(url).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let transport = |source| OxdError::Transport { endpoint, source };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport)?;
        if status != http::StatusCode::OK {
            return Err(OxdError::Status {
                endpoint,
                status,
                body: String::from_utf8_lossy(&bytes).chars().take(500).collect(),
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| OxdError::Malformed {
            endpoint,
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
            Err(OxdError::Status { status, .. }) if status == 500
        ));
        assert!(matches!(
            oxd.tokens_by_code("c", "s").await,
            Err(OxdError::Malformed { .. })
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
            Err(OxdError::Transport { .. })
        ));
    }
}
