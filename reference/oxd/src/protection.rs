//! Protection tokens. A protection token is an OP access token granted the `oxd` scope, issued to
//! the client of the site the command names. oxd knows the ones it obtained itself (through
//! `get-client-token` or `get-access-token-by-refresh-token`) until the expiry the OP gave them,
//! so the plugins' hot path costs no OP round trip. Any other token (obtained from the OP
//! directly, or before an oxd restart) is introspected at the OP with the site's credentials, as
//! Gluu's oxd does, and remembered once accepted. Tokens are keyed by their SHA-256 so the lookup
//! does not compare secrets byte by byte.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use openidconnect::{AccessToken, TokenIntrospectionResponse};
use sha2::{Digest, Sha256};

use crate::error::OxdError;
use crate::server::{App, AppState};
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

    /// The grant of a known token; `Ok(None)` for a token oxd has never seen.
    pub fn check(&self, token: &str, now: Instant) -> Result<Option<Grant>, OxdError> {
        let map = self.tokens.read().unwrap_or_else(|e| e.into_inner());
        match map.get(&digest(token)) {
            None => Ok(None),
            Some(g) if g.expires_at <= now => Err(OxdError::InvalidProtectionToken("expired")),
            Some(g) => Ok(Some(g.clone())),
        }
    }
}

/// The caller's protection token as far as the request headers tell.
pub enum Protected {
    /// Protection is switched off.
    Off,
    /// A token oxd handed out and that has not expired.
    Known(Grant),
    /// A token oxd has not seen; valid only if the OP says so for the site's client.
    Unverified(String),
}

impl Protected {
    /// Checks the token may act on `site` (introspecting an unknown token at the site's OP).
    pub async fn allows(&self, app: &App, site: &Site) -> Result<(), OxdError> {
        match self {
            Self::Off => Ok(()),
            Self::Known(grant) => grant.allows(site),
            Self::Unverified(token) => verify_at_op(app, site, token).await,
        }
    }

    /// For commands naming no site: only tokens oxd handed out are accepted.
    pub fn require_known(&self) -> Result<(), OxdError> {
        match self {
            Self::Unverified(_) => Err(OxdError::InvalidProtectionToken(
                "unknown: not issued by this oxd through get-client-token with scope oxd",
            )),
            _ => Ok(()),
        }
    }
}

async fn verify_at_op(app: &App, site: &Site, token: &str) -> Result<(), OxdError> {
    let response =
        crate::api::introspect::introspect(app, site, &AccessToken::new(token.to_owned())).await?;
    if !response.active() {
        return Err(OxdError::InvalidProtectionToken(
            "the OP says it is not active",
        ));
    }
    let has_scope = response
        .scopes()
        .is_some_and(|s| s.iter().any(|s| **s == app.config.protection_scope));
    if !has_scope {
        return Err(OxdError::InvalidProtectionToken(
            "it was not granted the oxd scope",
        ));
    }
    let client_id = response.client_id().map(|c| c.as_str().to_owned());
    if client_id.as_deref() != Some(site.client_id.as_str()) {
        return Err(OxdError::ProtectionTokenClientMismatch {
            token_client: client_id.unwrap_or_default(),
            site_client: site.client_id.clone(),
        });
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let lifetime = response
        .exp()
        .map(|exp| exp.timestamp().saturating_sub(now).max(0) as u64)
        .unwrap_or(0);
    app.protection.remember(
        token,
        &site.client_id,
        &site.op_host,
        Duration::from_secs(lifetime),
    );
    Ok(())
}

impl FromRequestParts<AppState> for Protected {
    type Rejection = OxdError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, OxdError> {
        if !app.config.protect_commands_with_access_token {
            return Ok(Protected::Off);
        }
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer)
            .ok_or(OxdError::MissingProtectionToken)?;
        Ok(match app.protection.check(token, Instant::now())? {
            Some(grant) => Protected::Known(grant),
            None => Protected::Unverified(token.to_owned()),
        })
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
        assert_eq!(tokens.check("t", now).unwrap().unwrap().client_id, "c");
        assert!(matches!(
            tokens.check("t", now + Duration::from_secs(61)),
            Err(OxdError::InvalidProtectionToken("expired"))
        ));
        assert!(tokens.check("other", now).unwrap().is_none());
    }
}
