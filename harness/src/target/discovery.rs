//! The OP's discovery document (OpenID Connect Discovery 1.0 §3): how every step finds the OP's
//! endpoints, whatever product the OP is and wherever it keeps them.

use std::time::Duration;

use anyhow::Context;
use serde_json::Value;

/// A fetched `/.well-known/openid-configuration`.
#[derive(Debug, Clone)]
pub struct Discovery {
    /// Where it was fetched from.
    pub url: String,
    /// The document.
    pub doc: Value,
}

impl Discovery {
    /// Fetches the discovery document of `issuer` and checks that it names that issuer
    /// (OpenID Connect Discovery 1.0 §4.3).
    pub async fn fetch(http: &reqwest::Client, issuer: &str) -> anyhow::Result<Self> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let resp = http
            .get(&url)
            .timeout(Duration::from_secs(15))
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        let status = resp.status();
        anyhow::ensure!(status.is_success(), "GET {url} answered {status}");
        let doc: Value = resp
            .json()
            .await
            .with_context(|| format!("GET {url}: the discovery document is not JSON"))?;
        let discovery = Self { url, doc };
        let named = discovery.field("issuer")?;
        anyhow::ensure!(
            named.trim_end_matches('/') == issuer.trim_end_matches('/'),
            "{}: the document names the issuer {named:?}, not {issuer:?}",
            discovery.url
        );
        Ok(discovery)
    }

    /// A string field, e.g. `token_endpoint`.
    pub fn field(&self, name: &str) -> anyhow::Result<&str> {
        self.doc
            .get(name)
            .and_then(Value::as_str)
            .with_context(|| format!("the OP's discovery document ({}) has no {name}", self.url))
    }

    /// A string field, if present.
    pub fn optional(&self, name: &str) -> Option<&str> {
        self.doc.get(name).and_then(Value::as_str)
    }

    /// The `authorization_endpoint`.
    pub fn authorization_endpoint(&self) -> anyhow::Result<&str> {
        self.field("authorization_endpoint")
    }

    /// The `token_endpoint`.
    pub fn token_endpoint(&self) -> anyhow::Result<&str> {
        self.field("token_endpoint")
    }

    /// The `revocation_endpoint` (RFC 8414 §2).
    pub fn revocation_endpoint(&self) -> anyhow::Result<&str> {
        self.field("revocation_endpoint")
    }

    /// The members of a list field (`acr_values_supported`, ...); `None` when it is absent.
    pub fn list(&self, name: &str) -> Option<Vec<&str>> {
        self.doc
            .get(name)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
    }

    /// Whether the list field `name` has `value`.
    pub fn lists(&self, name: &str, value: &str) -> bool {
        self.list(name).is_some_and(|l| l.contains(&value))
    }

    /// The origin (`scheme://host:port`) of the authorization endpoint: where the browser meets
    /// the OP's pages.
    pub fn pages_origin(&self) -> anyhow::Result<String> {
        let url = url::Url::parse(self.authorization_endpoint()?)
            .context("the authorization_endpoint is not a URL")?;
        Ok(url.origin().ascii_serialization())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Discovery {
        Discovery {
            url: "http://op/.well-known/openid-configuration".into(),
            doc: v,
        }
    }

    #[test]
    fn fields_and_lists_are_read_and_a_missing_one_is_named() {
        let d = doc(json!({
            "issuer": "http://op",
            "authorization_endpoint": "http://op:8080/realms/x/protocol/openid-connect/auth",
            "acr_values_supported": ["otp", "basic"],
        }));
        assert!(d.lists("acr_values_supported", "otp"));
        assert!(!d.lists("acr_values_supported", "auth_ldap_server"));
        assert!(!d.lists("grant_types_supported", "password"));
        assert_eq!(d.pages_origin().unwrap(), "http://op:8080");
        let err = d.token_endpoint().unwrap_err().to_string();
        assert!(err.contains("has no token_endpoint"), "{err}");
    }
}
