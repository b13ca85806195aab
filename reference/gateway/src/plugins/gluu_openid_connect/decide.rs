//! Steps 5–8 of the per-request algorithm (`docs/gluu-gateway.md#openid-connect-per-request`) as a
//! pure function of the session's token summaries, the matched ACR rule and the time, so every
//! branch is unit-tested without I/O.
//!
//! Deviations from GG (`docs/differences.md#oidc-re-authentication`): the loop breaker only fires
//! when no stored token has a sufficient ACR (GG also fired it on age-based re-authentication,
//! which made a `prompt=none` refresh of an ACR-protected path impossible), and re-authentications
//! of "any ACR" paths ask for the ACRs the dropped token was obtained with (GG's `get_token_acrs`
//! always returned nil).

use super::acr::{acr_already_requested, find_token, loop_breaker_message};
use super::tokens::{Ages, Freshness, TokenSummary};

/// `prompt` sent with an authorization request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Prompt {
    /// Silent re-authentication: the OP answers from its session or with `login_required`.
    None,
    /// The OP must authenticate the user again.
    Login,
}

impl Prompt {
    /// The protocol value.
    pub fn as_str(self) -> &'static str {
        match self {
            Prompt::None => "none",
            Prompt::Login => "login",
        }
    }
}

/// What the plugin does with a request that needs authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Serve the request with the stored token at this index.
    Authenticated(usize),
    /// Send the user to the OP.
    Authorize {
        /// `prompt` to send, if any.
        prompt: Option<Prompt>,
        /// `acr_values` to request (empty = none).
        acrs: Vec<String>,
        /// A stored token to forget first (it is being replaced).
        drop: Option<usize>,
        /// The session holds tokens, none with a sufficient ACR (vs. no session, or an age-based
        /// refresh).
        insufficient_acr: bool,
    },
    /// The OP already failed to deliver the ACR: 403 with this message (loop breaker).
    LoopBreaker(String),
}

/// Decides for a path that needs authentication; `required = None` means any ACR will do.
pub fn decide(
    tokens: &[TokenSummary],
    required: Option<&[String]>,
    ages: Ages,
    now: i64,
) -> Decision {
    let required_vec = || required.map(<[String]>::to_vec).unwrap_or_default();
    if tokens.is_empty() {
        return Decision::Authorize {
            prompt: None,
            acrs: required_vec(),
            drop: None,
            insufficient_acr: false,
        };
    }
    match (required, find_token(tokens, required, ages, now)) {
        (_, Some((index, Freshness::Active))) => Decision::Authenticated(index),
        (None, None) => unreachable_no_token(),
        (Some(required), None) => {
            if acr_already_requested(tokens, required) {
                Decision::LoopBreaker(loop_breaker_message(required, tokens))
            } else {
                Decision::Authorize {
                    prompt: Some(Prompt::Login),
                    acrs: required.to_vec(),
                    drop: None,
                    insufficient_acr: true,
                }
            }
        }
        (None, Some((index, freshness))) => Decision::Authorize {
            prompt: Some(prompt_for(freshness)),
            acrs: tokens[index].requested_acrs.clone(),
            drop: Some(index),
            insufficient_acr: false,
        },
        (Some(required), Some((index, freshness))) => Decision::Authorize {
            prompt: Some(prompt_for(freshness)),
            acrs: required.to_vec(),
            drop: Some(index),
            insufficient_acr: false,
        },
    }
}

/// With no requirement every stored token qualifies, so a non-empty list always yields one.
fn unreachable_no_token() -> Decision {
    Decision::Authorize {
        prompt: None,
        acrs: Vec::new(),
        drop: None,
        insufficient_acr: false,
    }
}

fn prompt_for(freshness: Freshness) -> Prompt {
    match freshness {
        Freshness::AuthExpired => Prompt::Login,
        Freshness::Active | Freshness::TokenExpired => Prompt::None,
    }
}

/// Step 5 (`no_auth` paths): the first stored token that is not token-expired, if any.
pub fn no_auth_token(tokens: &[TokenSummary], ages: Ages, now: i64) -> Option<usize> {
    tokens.iter().position(|t| !t.token_expired(ages, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGES: Ages = Ages {
        max_id_token_age: 100,
        max_id_token_auth_age: 1000,
    };

    fn token(acr: &str, iat: i64, auth_time: i64, requested: &[&str]) -> TokenSummary {
        TokenSummary {
            key: format!("{acr}{iat}"),
            acr: Some(acr.into()),
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
    fn empty_session_authorizes_without_prompt() {
        assert_eq!(
            decide(&[], Some(&acrs(&["auth_ldap_server"])), AGES, 0),
            Decision::Authorize {
                prompt: None,
                acrs: acrs(&["auth_ldap_server"]),
                drop: None,
                insufficient_acr: false
            }
        );
        assert_eq!(
            decide(&[], None, AGES, 0),
            Decision::Authorize {
                prompt: None,
                acrs: vec![],
                drop: None,
                insufficient_acr: false
            }
        );
    }

    #[test]
    fn active_sufficient_token_authenticates() {
        let tokens = [token("auth_ldap_server", 950, 950, &["auth_ldap_server"])];
        assert_eq!(
            decide(&tokens, Some(&acrs(&["auth_ldap_server"])), AGES, 1000),
            Decision::Authenticated(0)
        );
        assert_eq!(
            decide(&tokens, None, AGES, 1000),
            Decision::Authenticated(0)
        );
    }

    #[test]
    fn step_up_asks_for_login_with_the_required_acr() {
        let tokens = [token("auth_ldap_server", 950, 950, &["auth_ldap_server"])];
        assert_eq!(
            decide(&tokens, Some(&acrs(&["otp"])), AGES, 1000),
            Decision::Authorize {
                prompt: Some(Prompt::Login),
                acrs: acrs(&["otp"]),
                drop: None,
                insufficient_acr: true
            }
        );
    }

    #[test]
    fn loop_breaker_when_the_op_already_failed_to_deliver() {
        // A login that asked for otp produced an auth_ldap_server token.
        let tokens = [token("auth_ldap_server", 950, 950, &["otp"])];
        assert_eq!(
            decide(&tokens, Some(&acrs(&["otp"])), AGES, 1000),
            Decision::LoopBreaker(
                "The resource requires one of the [otp] acr(s), you have [auth_ldap_server]".into()
            )
        );
    }

    #[test]
    fn token_age_expiry_refreshes_silently_without_loop_breaker() {
        let tokens = [token("otp", 800, 800, &["otp"])];
        assert_eq!(
            decide(&tokens, Some(&acrs(&["otp"])), AGES, 1000),
            Decision::Authorize {
                prompt: Some(Prompt::None),
                acrs: acrs(&["otp"]),
                drop: Some(0),
                insufficient_acr: false
            }
        );
    }

    #[test]
    fn auth_age_expiry_forces_login() {
        let tokens = [token("otp", 950, 0, &["otp"])];
        assert_eq!(
            decide(&tokens, Some(&acrs(&["otp"])), AGES, 1000),
            Decision::Authorize {
                prompt: Some(Prompt::Login),
                acrs: acrs(&["otp"]),
                drop: Some(0),
                insufficient_acr: false
            }
        );
    }

    #[test]
    fn any_acr_refresh_reuses_the_tokens_requested_acrs() {
        let tokens = [token("auth_ldap_server", 800, 800, &["auth_ldap_server"])];
        assert_eq!(
            decide(&tokens, None, AGES, 1000),
            Decision::Authorize {
                prompt: Some(Prompt::None),
                acrs: acrs(&["auth_ldap_server"]),
                drop: Some(0),
                insufficient_acr: false
            }
        );
    }

    #[test]
    fn no_auth_uses_only_unexpired_tokens() {
        let tokens = [
            token("otp", 800, 800, &[]),
            token("auth_ldap_server", 950, 950, &[]),
        ];
        assert_eq!(no_auth_token(&tokens, AGES, 1000), Some(1));
        assert_eq!(no_auth_token(&tokens[..1], AGES, 1000), None);
        assert_eq!(no_auth_token(&[], AGES, 1000), None);
    }

    #[test]
    fn prompt_values() {
        assert_eq!(Prompt::None.as_str(), "none");
        assert_eq!(Prompt::Login.as_str(), "login");
    }
}
