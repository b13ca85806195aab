//! What a dynamic registration may ask for, following Gluu's model: a client registers only
//! scopes published with `dynamic_registration` (Gluu's "Allow for dynamic registration") and
//! only the grant types and spontaneous-scope patterns the OP's `registration` policy allows,
//! unless it presents an initial access token (RFC 7591 §3) whose entry allows more. Anything
//! else is refused with `invalid_client_metadata` naming the field, so no anonymous client can
//! give itself `admin`, the password grant or a `.*` spontaneous scope.

use crate::config::Config;
use crate::error::OAuthError;
use crate::protocol::GrantType;
use crate::scopes::ScopeSet;
use crate::util::secure_eq;

/// What one registration may ask for (kept with the client, so an RFC 7592 update is held to
/// the policy it was registered under).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowance {
    /// Scopes allowed besides the published ones marked for dynamic registration.
    pub scopes: Vec<String>,
    /// Grant types.
    pub grant_types: Vec<GrantType>,
    /// Spontaneous-scope patterns, exactly as written.
    pub spontaneous_scopes: Vec<String>,
}

fn add<T: Clone + PartialEq>(to: &mut Vec<T>, more: &[T]) {
    for item in more {
        if !to.contains(item) {
            to.push(item.clone());
        }
    }
}

impl Allowance {
    fn extend(&mut self, scopes: &[String], grants: &[GrantType], patterns: &[String]) {
        add(&mut self.scopes, scopes);
        add(&mut self.grant_types, grants);
        add(&mut self.spontaneous_scopes, patterns);
    }

    /// Refuses the first thing asked for that this allowance does not cover.
    pub fn check(
        &self,
        config: &Config,
        grant_types: &[GrantType],
        scopes: &ScopeSet,
        spontaneous_scopes: &[String],
    ) -> Result<(), OAuthError> {
        let refuse = |field: &str, value: &str, why: &str| {
            OAuthError::InvalidClientMetadata(format!(
                "{field}: `{value}` may not be registered dynamically ({why})"
            ))
        };
        if let Some(g) = grant_types.iter().find(|g| !self.grant_types.contains(g)) {
            return Err(refuse(
                "grant_types",
                g.as_str(),
                "not allowed by the OP's registration policy",
            ));
        }
        let registrable = |scope: &str| {
            config
                .scopes
                .iter()
                .any(|s| s.name == scope && s.dynamic_registration)
                || self.scopes.iter().any(|s| s == scope)
        };
        if let Some(s) = scopes.iter().find(|s| !registrable(s)) {
            return Err(refuse(
                "scope",
                s,
                "not a scope the OP allows for dynamic registration",
            ));
        }
        if let Some(p) = spontaneous_scopes
            .iter()
            .find(|p| !self.spontaneous_scopes.contains(p))
        {
            return Err(refuse(
                "spontaneous_scopes",
                p,
                "not a pattern the OP's registration policy allows",
            ));
        }
        Ok(())
    }
}

/// The allowance of a registration request presenting `initial_access_token` (its
/// `Authorization: Bearer`, if any). An unknown token, or none where one is required, is
/// `invalid_token` (RFC 7591 §3, RFC 6750 §3.1).
pub fn allowance(
    config: &Config,
    initial_access_token: Option<&str>,
) -> Result<Allowance, OAuthError> {
    let policy = &config.registration;
    let mut allowance = Allowance::default();
    allowance.extend(
        &policy.scopes,
        &policy.grant_types,
        &policy.spontaneous_scopes,
    );
    match initial_access_token {
        Some(token) => {
            let entry = policy
                .initial_access_tokens
                .iter()
                .find(|t| secure_eq(&t.token, token))
                .ok_or_else(|| {
                    OAuthError::InvalidToken("the initial access token is not valid".into())
                })?;
            allowance.extend(&entry.scopes, &entry.grant_types, &entry.spontaneous_scopes);
        }
        None if policy.require_initial_access_token => {
            return Err(OAuthError::InvalidToken(
                "registration needs an initial access token (Authorization: Bearer)".into(),
            ))
        }
        None => {}
    }
    Ok(allowance)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(yaml: &str) -> Config {
        Config::from_yaml_str(yaml).unwrap()
    }

    const POLICY: &str = "
scopes: [openid, oxd, {name: admin, dynamic_registration: false}]
registration:
  spontaneous_scopes: ['^transactions:.+$']
  initial_access_tokens:
    - token: trusted-installer-0001
      grant_types: [password]
      scopes: [admin]
      spontaneous_scopes: ['.*']
";

    fn error_of(result: Result<(), OAuthError>) -> String {
        let err = result.unwrap_err();
        assert_eq!(err.code(), "invalid_client_metadata");
        err.description()
    }

    #[test]
    fn the_open_policy_allows_published_scopes_and_listed_patterns() {
        let config = config(POLICY);
        let open = allowance(&config, None).unwrap();
        let code = [GrantType::AuthorizationCode, GrantType::ClientCredentials];
        let patterns = ["^transactions:.+$".to_string()];
        assert!(open
            .check(&config, &code, &ScopeSet::parse("openid oxd"), &patterns)
            .is_ok());
        let err = error_of(open.check(&config, &code, &ScopeSet::parse("openid admin"), &[]));
        assert!(err.starts_with("scope: `admin`"), "{err}");
        let err = error_of(open.check(&config, &code, &ScopeSet::parse("unpublished"), &[]));
        assert!(err.starts_with("scope: `unpublished`"), "{err}");
        let err = error_of(open.check(&config, &[GrantType::Password], &ScopeSet::default(), &[]));
        assert!(err.starts_with("grant_types: `password`"), "{err}");
        let err = error_of(open.check(&config, &code, &ScopeSet::default(), &[".*".into()]));
        assert!(err.starts_with("spontaneous_scopes: `.*`"), "{err}");
    }

    #[test]
    fn an_initial_access_token_allows_what_its_entry_lists() {
        let config = config(POLICY);
        let trusted = allowance(&config, Some("trusted-installer-0001")).unwrap();
        assert!(trusted
            .check(
                &config,
                &[GrantType::Password, GrantType::AuthorizationCode],
                &ScopeSet::parse("openid admin"),
                &[".*".into(), "^transactions:.+$".into()],
            )
            .is_ok());
        let err = allowance(&config, Some("trusted-installer-0002")).unwrap_err();
        assert_eq!(err.code(), "invalid_token");
    }

    #[test]
    fn tokens_can_be_required() {
        let config = config("registration:\n  require_initial_access_token: true\n");
        assert_eq!(
            allowance(&config, None).unwrap_err().code(),
            "invalid_token"
        );
    }
}
