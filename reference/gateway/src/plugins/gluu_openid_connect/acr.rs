//! ACR sufficiency and the choice of a stored token (`docs/gluu-gateway.md#acr-sufficiency`), and
//! the loop breaker.

use super::tokens::{Ages, Freshness, TokenSummary};

/// `is_acr_enough`: sufficient iff any required value equals any of the token's ACR values
/// (there is no ordering of ACR levels; a token without `acr` never satisfies a requirement).
pub fn is_acr_enough(required: &[String], token: &TokenSummary) -> bool {
    token
        .acr_values()
        .any(|value| required.iter().any(|r| r == value))
}

/// Picks the token to use among `tokens`, best freshness first; within a freshness class the
/// first stored token wins (`find_id_token_with_enough_acrs` / `get_any_id_token`).
/// `required = None` means any token will do.
pub fn find_token(
    tokens: &[TokenSummary],
    required: Option<&[String]>,
    ages: Ages,
    now: i64,
) -> Option<(usize, Freshness)> {
    let mut best: Option<(usize, Freshness)> = None;
    for (index, token) in tokens.iter().enumerate() {
        if let Some(required) = required {
            if !is_acr_enough(required, token) {
                continue;
            }
        }
        let freshness = token.freshness(ages, now);
        if freshness == Freshness::Active {
            return Some((index, freshness));
        }
        let better = match best {
            None => true,
            Some((_, Freshness::AuthExpired)) => freshness == Freshness::TokenExpired,
            Some(_) => false,
        };
        if better {
            best = Some((index, freshness));
        }
    }
    best
}

/// `acr_already_requested`: some stored token came from a login whose requested ACRs contained
/// every one of `required` — asking again would loop.
pub fn acr_already_requested(tokens: &[TokenSummary], required: &[String]) -> bool {
    tokens.iter().any(|token| {
        required
            .iter()
            .all(|acr| token.requested_acrs.iter().any(|r| r == acr))
    })
}

/// The loop breaker's 403 message, GG's exact format: required ACRs joined with `;`, the `acr` of
/// every stored token concatenated without separator.
pub fn loop_breaker_message(required: &[String], tokens: &[TokenSummary]) -> String {
    let have: String = tokens.iter().filter_map(|t| t.acr.as_deref()).collect();
    format!(
        "The resource requires one of the [{}] acr(s), you have [{}]",
        required.join(";"),
        have
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGES: Ages = Ages {
        max_id_token_age: 100,
        max_id_token_auth_age: 1000,
    };

    fn token(acr: Option<&str>, iat: i64, auth_time: i64, requested: &[&str]) -> TokenSummary {
        TokenSummary {
            key: format!("{acr:?}{iat}"),
            acr: acr.map(str::to_string),
            iat,
            exp: iat + 10_000,
            auth_time: Some(auth_time),
            requested_acrs: requested.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn acrs(values: &[&str]) -> Vec<String> {
        values.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn any_required_value_matching_any_token_value_is_enough() {
        let t = token(Some("basic otp"), 0, 0, &[]);
        assert!(is_acr_enough(&acrs(&["u2f", "otp"]), &t));
        assert!(!is_acr_enough(&acrs(&["auth_ldap_server"]), &t));
    }

    #[test]
    fn no_level_ordering_otp_does_not_satisfy_ldap() {
        let t = token(Some("otp"), 0, 0, &[]);
        assert!(!is_acr_enough(&acrs(&["auth_ldap_server"]), &t));
    }

    #[test]
    fn token_without_acr_never_satisfies() {
        let t = token(None, 0, 0, &[]);
        assert!(!is_acr_enough(&acrs(&["otp"]), &t));
    }

    #[test]
    fn active_sufficient_token_wins_over_earlier_stale_one() {
        let tokens = [
            token(Some("otp"), 0, 0, &[]),
            token(Some("otp"), 950, 950, &[]),
        ];
        assert_eq!(
            find_token(&tokens, Some(&acrs(&["otp"])), AGES, 1000),
            Some((1, Freshness::Active))
        );
    }

    #[test]
    fn token_expired_preferred_over_auth_expired() {
        let tokens = [
            token(Some("otp"), 0, 0, &[]),       // auth expired at 1000
            token(Some("otp"), 500, 500, &[]),   // token expired, auth fresh
            token(Some("basic"), 990, 990, &[]), // insufficient
        ];
        assert_eq!(
            find_token(&tokens, Some(&acrs(&["otp"])), AGES, 1000),
            Some((1, Freshness::TokenExpired))
        );
        assert_eq!(
            find_token(&tokens, None, AGES, 1000),
            Some((2, Freshness::Active))
        );
    }

    #[test]
    fn only_auth_expired_left() {
        let tokens = [token(Some("otp"), 0, 0, &[])];
        assert_eq!(
            find_token(&tokens, Some(&acrs(&["otp"])), AGES, 1000),
            Some((0, Freshness::AuthExpired))
        );
    }

    #[test]
    fn no_sufficient_token() {
        let tokens = [token(Some("auth_ldap_server"), 990, 990, &[])];
        assert_eq!(find_token(&tokens, Some(&acrs(&["otp"])), AGES, 1000), None);
        assert_eq!(find_token(&[], None, AGES, 1000), None);
    }

    #[test]
    fn already_requested_needs_every_required_acr() {
        let tokens = [token(Some("auth_ldap_server"), 0, 0, &["otp", "u2f"])];
        assert!(acr_already_requested(&tokens, &acrs(&["otp"])));
        assert!(acr_already_requested(&tokens, &acrs(&["u2f", "otp"])));
        assert!(!acr_already_requested(&tokens, &acrs(&["otp", "basic"])));
        assert!(!acr_already_requested(&[], &acrs(&["otp"])));
    }

    #[test]
    fn loop_breaker_message_matches_gg() {
        let tokens = [
            token(Some("auth_ldap_server"), 0, 0, &[]),
            token(Some("basic"), 0, 0, &[]),
            token(None, 0, 0, &[]),
        ];
        assert_eq!(
            loop_breaker_message(&acrs(&["otp", "u2f"]), &tokens),
            "The resource requires one of the [otp;u2f] acr(s), you have [auth_ldap_serverbasic]"
        );
    }
}
