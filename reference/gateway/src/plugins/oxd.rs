//! The oxd HTTP API as the GG plugins call it (`docs/gluu-gateway.md#oxd-api-used-by-the-plugins`,
//! `docs/gluu-gateway.md#protection-token`): JSON POSTs, a protection token
//! from `/get-client-token` (scope `openid oxd`) cached and refreshed before it expires, every
//! call bounded by a timeout.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use url::Url;

/// Why an oxd call failed; the plugins answer all of these with 502.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OxdError {
    /// Connection failure or timeout.
    #[error("oxd unreachable: {0}")]
    Transport(String),
    /// A non-200 answer.
    #[error("oxd answered {status} on {endpoint}: {body}")]
    Status {
        /// Endpoint called.
        endpoint: String,
        /// HTTP status.
        status: u16,
        /// Response body.
        body: Value,
    },
    /// A 200 answer without the expected fields.
    #[error("unexpected oxd response from {endpoint}: {reason}")]
    BadResponse {
        /// Endpoint called.
        endpoint: String,
        /// What was wrong.
        reason: String,
    },
}

/// Whether a `get-client-token` answer grants `oxd` (an answer without `scope` grants what was
/// asked, RFC 6749 §5.1; oxd sends the scope as an array, an OP's form is space-separated).
fn grants_oxd(answer: &Value) -> bool {
    match answer.get("scope") {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.iter().any(|s| s == "oxd"),
        Some(Value::String(s)) => s.split_whitespace().any(|s| s == "oxd"),
        Some(_) => false,
    }
}

#[derive(Debug, Clone)]
struct Protection {
    token: String,
    refresh_at: Instant,
}

/// A client of one oxd site (the plugin's `oxd_id`, `client_id`, `client_secret`, `op_url`).
#[derive(Debug)]
pub struct OxdClient {
    http: reqwest::Client,
    base: Url,
    oxd_id: String,
    client_id: String,
    client_secret: String,
    op_host: String,
    timeout: Duration,
    protection: tokio::sync::Mutex<Option<Protection>>,
}

impl OxdClient {
    /// A client whose every call (protection token included) completes within `timeout`.
    pub fn new(
        base: Url,
        oxd_id: String,
        client_id: String,
        client_secret: String,
        op_host: String,
        timeout: Duration,
    ) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            base,
            oxd_id,
            client_id,
            client_secret,
            op_host,
            timeout,
            protection: tokio::sync::Mutex::new(None),
        })
    }

    /// The oxd site id.
    pub fn oxd_id(&self) -> &str {
        &self.oxd_id
    }

    /// The OP this site belongs to (`op_url` without a trailing slash): the issuer its tokens
    /// must name.
    pub fn op_host(&self) -> &str {
        &self.op_host
    }

    fn endpoint_url(&self, endpoint: &str) -> Result<Url, OxdError> {
        let mut base = self.base.clone();
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        base.join(endpoint)
            .map_err(|e| OxdError::Transport(e.to_string()))
    }

    async fn post(
        &self,
        endpoint: &str,
        bearer: Option<&str>,
        body: &Value,
    ) -> Result<(u16, Value), OxdError> {
        let url = self.endpoint_url(endpoint)?;
        let mut req = self.http.post(url).json(body);
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| OxdError::Transport(e.to_string()))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| OxdError::Transport(e.to_string()))?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// The protection token, fetched or refreshed when 80% of its lifetime has passed.
    /// Concurrent callers wait for one fetch.
    async fn protection_token(&self, force: bool) -> Result<String, OxdError> {
        let mut guard = self.protection.lock().await;
        if let Some(p) = guard.as_ref() {
            if !force && Instant::now() < p.refresh_at {
                return Ok(p.token.clone());
            }
        }
        let body = json!({
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "scope": ["openid", "oxd"],
            "op_host": self.op_host,
        });
        let (status, resp) = self.post("get-client-token", None, &body).await?;
        if status != 200 {
            return Err(OxdError::Status {
                endpoint: "get-client-token".into(),
                status,
                body: resp,
            });
        }
        let token = resp
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| OxdError::BadResponse {
                endpoint: "get-client-token".into(),
                reason: "no access_token".into(),
            })?
            .to_owned();
        if !grants_oxd(&resp) {
            // Gluu Server grants the gateway's client the `oxd` scope; a standard OP drops a
            // scope it does not offer (RFC 6749 §3.3), and oxd would then refuse every command
            // with this token (403). Say what the OP lacks rather than retry.
            return Err(OxdError::BadResponse {
                endpoint: "get-client-token".into(),
                reason: format!(
                    "the OP did not grant the oxd scope the protection token needs (granted: {}); \
                     Gluu Server offers it, another OP must offer a scope named oxd for the \
                     client_credentials grant of client {}",
                    resp.get("scope").map(Value::to_string).unwrap_or_default(),
                    self.client_id
                ),
            });
        }
        let lifetime = resp.get("expires_in").and_then(Value::as_u64).unwrap_or(0);
        // Refresh well before expiry: after 80% of the lifetime, and never later than 5 s
        // before it ends (GG reused the token up to 5 s *after* expiry:
        // docs/differences.md#protection-token-expiry).
        let early = (lifetime * 4 / 5).min(lifetime.saturating_sub(5));
        *guard = Some(Protection {
            token: token.clone(),
            refresh_at: Instant::now() + Duration::from_secs(early),
        });
        Ok(token)
    }

    /// Calls an endpoint that needs the protection token; a 401/403 (token revoked or expired
    /// at oxd) is retried once with a fresh token. Non-200 is an error.
    pub async fn call(&self, endpoint: &str, body: Value) -> Result<Value, OxdError> {
        let work = async {
            let mut token = self.protection_token(false).await?;
            for attempt in 0..2 {
                let (status, resp) = self.post(endpoint, Some(&token), &body).await?;
                match status {
                    200 => return Ok(resp),
                    401 | 403 if attempt == 0 => {
                        token = self.protection_token(true).await?;
                    }
                    _ => {
                        return Err(OxdError::Status {
                            endpoint: endpoint.into(),
                            status,
                            body: resp,
                        })
                    }
                }
            }
            Err(OxdError::BadResponse {
                endpoint: endpoint.into(),
                reason: "protection token refused twice".into(),
            })
        };
        match tokio::time::timeout(self.timeout, work).await {
            Ok(r) => r,
            Err(_) => Err(OxdError::Transport(format!(
                "no answer within {:?}",
                self.timeout
            ))),
        }
    }

    /// `POST /introspect-access-token`.
    pub async fn introspect(&self, access_token: &str) -> Result<Value, OxdError> {
        self.call(
            "introspect-access-token",
            json!({ "oxd_id": self.oxd_id, "access_token": access_token }),
        )
        .await
    }

    /// `POST /get-jwks` for the plugin's OP.
    pub async fn jwks(&self) -> Result<Value, OxdError> {
        let body = json!({ "op_host": self.op_host });
        self.call("get-jwks", body).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    #[test]
    fn the_oxd_scope_is_read_in_either_form() {
        assert!(grants_oxd(&json!({"scope": ["openid", "oxd"]})));
        assert!(grants_oxd(&json!({"scope": "openid oxd"})));
        assert!(grants_oxd(&json!({"access_token": "t"})));
        assert!(!grants_oxd(&json!({"scope": ["openid"]})));
        assert!(!grants_oxd(&json!({"scope": "openid oxdx"})));
        assert!(!grants_oxd(&json!({"scope": 1})));
    }

    #[tokio::test]
    async fn an_op_without_the_oxd_scope_is_named_not_retried() {
        let oxd = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/get-client-token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"access_token": "t", "expires_in": 600, "scope": ["openid"]}),
            ))
            .expect(1)
            .mount(&oxd)
            .await;
        Mock::given(method("POST"))
            .and(path("/introspect-access-token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"active": true})))
            .expect(0)
            .mount(&oxd)
            .await;
        let client = OxdClient::new(
            Url::parse(&oxd.uri()).unwrap(),
            "site".into(),
            "rp".into(),
            "rp-secret".into(),
            "http://op".into(),
            Duration::from_secs(5),
        )
        .unwrap();
        let e = client
            .call("introspect-access-token", json!({}))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("the OP did not grant the oxd scope") && e.contains("client rp"),
            "{e}"
        );
    }
}
