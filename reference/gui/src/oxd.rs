//! The oxd client: the GUI creates OP clients with `register-site` (as Gluu Gateway's UI does)
//! and, to undo a half-done action, removes them again.

use serde_json::{json, Value};
use url::Url;

/// Why an oxd call failed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("oxd {call}: {reason}")]
pub struct OxdError {
    /// `register-site` and the like.
    pub call: String,
    /// oxd's `error: error_description`, or the transport error.
    pub reason: String,
}

/// What `register-site` answered.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Site {
    /// oxd's id of the site.
    pub oxd_id: String,
    /// The OP client.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// RFC 7592 management token, when oxd registered the client.
    pub registration_access_token: Option<String>,
    /// RFC 7592 management URI, when oxd registered the client.
    pub registration_client_uri: Option<String>,
    /// The whole answer, shown to the user.
    pub raw: Value,
}

/// A client of one oxd server.
#[derive(Debug, Clone)]
pub struct Oxd {
    http: reqwest::Client,
    base: Url,
}

impl Oxd {
    /// A client of the oxd server at `base`.
    pub fn new(http: reqwest::Client, base: Url) -> Self {
        Self { http, base }
    }

    /// The oxd base URL (what plugins get as `oxd_url`).
    pub fn base(&self) -> &Url {
        &self.base
    }

    async fn call(
        &self,
        command: &str,
        body: &Value,
        token: Option<&str>,
    ) -> Result<Value, OxdError> {
        let fail = |reason: String| OxdError {
            call: command.to_owned(),
            reason,
        };
        let url = crate::config::join(&self.base, &format!("/{command}"));
        let mut req = self.http.post(&url).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| fail(crate::views::error_chain(&e)))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| fail(crate::views::error_chain(&e)))?;
        let answer: Value = serde_json::from_slice(&bytes).map_err(|_| {
            fail(format!(
                "answered {status} without JSON: {}",
                String::from_utf8_lossy(&bytes)
                    .chars()
                    .take(300)
                    .collect::<String>()
            ))
        })?;
        if !status.is_success() {
            let error = answer.get("error").and_then(Value::as_str).unwrap_or("");
            let description = answer
                .get("error_description")
                .and_then(Value::as_str)
                .unwrap_or("");
            return Err(fail(format!("{status} {error}: {description}")));
        }
        Ok(answer)
    }

    /// `register-site`: creates (or, with `client_id`/`client_secret`, adopts) an OP client.
    pub async fn register_site(&self, request: &Value) -> Result<Site, OxdError> {
        let answer = self.call("register-site", request, None).await?;
        let text = |k: &str| answer.get(k).and_then(Value::as_str).map(str::to_owned);
        let need = |k: &str| {
            text(k).ok_or_else(|| OxdError {
                call: "register-site".into(),
                reason: format!("the answer has no {k}: {answer}"),
            })
        };
        Ok(Site {
            oxd_id: need("oxd_id")?,
            client_id: need("client_id")?,
            client_secret: need("client_secret")?,
            registration_access_token: text("client_registration_access_token"),
            registration_client_uri: text("client_registration_client_uri"),
            raw: answer,
        })
    }

    /// A protection token of the site's client (scope `openid oxd`).
    pub async fn protection_token(&self, site: &Site, op_host: &str) -> Result<String, OxdError> {
        let answer = self
            .call(
                "get-client-token",
                &json!({
                    "client_id": site.client_id,
                    "client_secret": site.client_secret,
                    "op_host": op_host,
                    "scope": ["openid", "oxd"],
                }),
                None,
            )
            .await?;
        answer
            .get("access_token")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| OxdError {
                call: "get-client-token".into(),
                reason: "the answer has no access_token".into(),
            })
    }

    /// Undoes a `register-site`: deletes the client at the OP (RFC 7592, when oxd registered
    /// it) and forgets the site at oxd (`remove-site`). Returns what could not be undone.
    pub async fn remove(&self, site: &Site, op_host: &str) -> Vec<String> {
        let mut left = Vec::new();
        match self.protection_token(site, op_host).await {
            Ok(token) => {
                if let Err(e) = self
                    .call("remove-site", &json!({"oxd_id": site.oxd_id}), Some(&token))
                    .await
                {
                    left.push(format!("oxd site {} ({e})", site.oxd_id));
                }
            }
            Err(e) => left.push(format!("oxd site {} ({e})", site.oxd_id)),
        }
        match (
            &site.registration_client_uri,
            &site.registration_access_token,
        ) {
            (Some(uri), Some(token)) => {
                let deleted = self.http.delete(uri).bearer_auth(token).send().await;
                match deleted {
                    Ok(r) if r.status().is_success() || r.status().as_u16() == 404 => {}
                    Ok(r) => left.push(format!(
                        "OP client {} (the OP answered {} to DELETE {uri})",
                        site.client_id,
                        r.status()
                    )),
                    Err(e) => left.push(format!(
                        "OP client {} (DELETE {uri}: {})",
                        site.client_id,
                        crate::views::error_chain(&e)
                    )),
                }
            }
            _ => left.push(format!(
                "OP client {} (oxd gave no registration URI to delete it with)",
                site.client_id
            )),
        }
        left
    }
}
