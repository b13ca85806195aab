//! Protection tokens: oxd accepts as protection token an access token it obtained itself for a
//! caller (via `get-client-token` or `get-access-token-by-refresh-token`) whose granted scope
//! includes `oxd`, until the expiry the OP gave it. Tokens are remembered by their SHA-256 so
//! the lookup does not compare secrets byte by byte.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

use crate::error::OxdError;
use crate::server::AppState;
use crate::store::Site;

/// Who a protection token was issued to.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Client the OP issued it to.
    pub client_id: String,
    /// The OP.
    pub op_host: String,
    expires_at: Instant,
}

impl Grant {
    /// Checks the token may act on `site` (same client at the same OP).
    pub fn allows(&self, site: &Site) -> Result<(), OxdError> {
        if self.client_id == site.client_id && self.op_host == site.op_host {
            Ok(())
        } else {
            Err(OxdError::ProtectionTokenClientMismatch {
                token_client: self.client_id.clone(),
                site_client: site.client_id.clone(),
            })
        }
    }
}

/// Protection tokens handed out and not yet expired.
#[derive(Debug, Default)]
pub struct ProtectionTokens {
    tokens: RwLock<HashMap<[u8; 32], Grant>>,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl ProtectionTokens {
    /// Remembers a token issued to `client_id` at `op_host` that lives `lifetime`.
    pub fn remember(&self, token: &str, client_id: &str, op_host: &str, lifetime: Duration) {
        let now = Instant::now();
        let mut map = self.tokens.write().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, g| g.expires_at > now);
        map.insert(
            digest(token),
            Grant {
                client_id: client_id.to_owned(),
                op_host: op_host.to_owned(),
                expires_at: now + lifetime,
            },
        );
    }

    /// The grant of a valid token.
    pub fn check(&self, token: &str, now: Instant) -> Result<Grant, OxdError> {
        let map = self.tokens.read().unwrap_or_else(|e| e.into_inner());
        match map.get(&digest(token)) {
            None => Err(OxdError::InvalidProtectionToken(
                "unknown: not issued by this oxd through get-client-token with scope oxd",
            )),
            Some(g) if g.expires_at <= now => Err(OxdError::InvalidProtectionToken("expired")),
            Some(g) => Ok(g.clone()),
        }
    }
}

/// The caller's protection token, checked (or `None` when protection is switched off).
pub struct Protected(pub Option<Grant>);

impl Protected {
    /// Checks the token may act on `site`.
    pub fn allows(&self, site: &Site) -> Result<(), OxdError> {
        match &self.0 {
            Some(grant) => grant.allows(site),
            None => Ok(()),
        }
    }
}

impl FromRequestParts<AppState> for Protected {
    type Rejection = OxdError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, OxdError> {
        if !app.config.protect_commands_with_access_token {
            return Ok(Protected(None));
        }
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer)
            .ok_or(OxdError::MissingProtectionToken)?;
        app.protection
            .check(token, Instant::now())
            .map(|g| Protected(Some(g)))
    }
}

/// The token of an `Authorization: Bearer` value (scheme case-insensitive, as GG sends `bearer`).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer abc"), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
    }

    #[test]
    fn remembered_token_is_valid_until_expiry() {
        let tokens = ProtectionTokens::default();
        tokens.remember("t", "c", "https://op", Duration::from_secs(60));
        let now = Instant::now();
        assert_eq!(tokens.check("t", now).unwrap().client_id, "c");
        assert!(matches!(
            tokens.check("t", now + Duration::from_secs(61)),
            Err(OxdError::InvalidProtectionToken("expired"))
        ));
        assert!(tokens.check("other", now).is_err());
    }
}
