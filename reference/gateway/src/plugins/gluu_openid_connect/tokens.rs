//! What the session remembers about each ID token, and how fresh a token is
//! (`docs/gluu-gateway.md#openid-connect-per-request`).
//!
//! The summary holds only what access decisions need (`acr`, `iat`, `exp`, `auth_time` and the
//! ACRs the login asked for), so it can live in the session cookie; the token itself, the access
//! token and userinfo are kept server-side under [`TokenSummary::key`] (see `store`).

use serde::{Deserialize, Serialize};

/// The two configured ages, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ages {
    /// `max_id_token_age`: how long after `iat` a token may authenticate requests.
    pub max_id_token_age: i64,
    /// `max_id_token_auth_age`: how long after `auth_time` the user counts as authenticated.
    pub max_id_token_auth_age: i64,
}

/// How usable a stored token is at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Neither the token nor the authentication has expired.
    Active,
    /// The token is too old (`iat + max_id_token_age <= now` or `exp <= now`) but the user's
    /// authentication is still fresh: a silent (`prompt=none`) re-authentication suffices.
    TokenExpired,
    /// The authentication is too old (`auth_time + max_id_token_auth_age <= now`): the user must
    /// log in again (`prompt=login`).
    AuthExpired,
}

/// The decision-relevant part of a stored ID token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSummary {
    /// Random key of the server-side record (raw id_token, claims, access token, userinfo).
    #[serde(rename = "k")]
    pub key: String,
    /// The `acr` claim (space-separated values), if the token has one.
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// `iat` claim.
    #[serde(rename = "i")]
    pub iat: i64,
    /// `exp` claim.
    #[serde(rename = "e")]
    pub exp: i64,
    /// `auth_time` claim, if present.
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// ACR values the login that produced this token asked for (empty = none asked).
    #[serde(rename = "r", default, skip_serializing_if = "Vec::is_empty")]
    pub requested_acrs: Vec<String>,
}

impl TokenSummary {
    /// `iat + max_id_token_age <= now` or `exp <= now`.
    pub fn token_expired(&self, ages: Ages, now: i64) -> bool {
        self.iat.saturating_add(ages.max_id_token_age) <= now || self.exp <= now
    }

    /// `auth_time` present and `auth_time + max_id_token_auth_age <= now`.
    pub fn auth_expired(&self, ages: Ages, now: i64) -> bool {
        self.auth_time
            .is_some_and(|t| t.saturating_add(ages.max_id_token_auth_age) <= now)
    }

    /// Classifies the token; an expired authentication dominates an expired token.
    pub fn freshness(&self, ages: Ages, now: i64) -> Freshness {
        if self.auth_expired(ages, now) {
            Freshness::AuthExpired
        } else if self.token_expired(ages, now) {
            Freshness::TokenExpired
        } else {
            Freshness::Active
        }
    }

    /// The token's ACR values (`acr` split on spaces).
    pub fn acr_values(&self) -> impl Iterator<Item = &str> {
        self.acr
            .as_deref()
            .unwrap_or("")
            .split(' ')
            .filter(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGES: Ages = Ages {
        max_id_token_age: 60,
        max_id_token_auth_age: 600,
    };

    fn token(iat: i64, exp: i64, auth_time: Option<i64>) -> TokenSummary {
        TokenSummary {
            key: "k".into(),
            acr: Some("otp".into()),
            iat,
            exp,
            auth_time,
            requested_acrs: vec![],
        }
    }

    #[test]
    fn fresh_token_is_active() {
        assert_eq!(
            token(1000, 5000, Some(1000)).freshness(AGES, 1059),
            Freshness::Active
        );
    }

    #[test]
    fn token_age_boundary_is_expired() {
        assert_eq!(
            token(1000, 5000, Some(1000)).freshness(AGES, 1060),
            Freshness::TokenExpired
        );
    }

    #[test]
    fn exp_in_the_past_is_token_expired() {
        assert_eq!(
            token(1000, 1010, Some(1000)).freshness(AGES, 1010),
            Freshness::TokenExpired
        );
    }

    #[test]
    fn auth_age_dominates() {
        assert_eq!(
            token(1590, 5000, Some(1000)).freshness(AGES, 1600),
            Freshness::AuthExpired
        );
        assert_eq!(
            token(1590, 5000, Some(1000)).freshness(AGES, 1599),
            Freshness::Active
        );
    }

    #[test]
    fn missing_auth_time_never_expires_auth() {
        assert_eq!(
            token(1000, 5000, None).freshness(AGES, 100_000),
            Freshness::TokenExpired
        );
    }

    #[test]
    fn huge_values_do_not_overflow() {
        let t = token(i64::MAX, i64::MAX, Some(i64::MAX));
        assert_eq!(t.freshness(AGES, 0), Freshness::Active);
    }

    #[test]
    fn acr_values_split_on_spaces() {
        let mut t = token(0, 0, None);
        t.acr = Some("otp  basic".into());
        assert_eq!(t.acr_values().collect::<Vec<_>>(), ["otp", "basic"]);
        t.acr = None;
        assert_eq!(t.acr_values().count(), 0);
    }

    #[test]
    fn summary_serialises_compactly() {
        let json = serde_json::to_string(&token(1, 2, None)).unwrap();
        assert_eq!(json, r#"{"k":"k","a":"otp","i":1,"e":2}"#);
    }
}
