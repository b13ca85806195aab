//! Authentication methods (ACR values) and how they compare.
//!
//! Levels follow Gluu's `auth_level_mapping`: the password methods are level 1, `otp` (password then
//! TOTP) is level 5. A session satisfies a requested ACR when it was authenticated with a method of
//! the same or a higher level; otherwise the user is stepped up with the requested method.

use serde::{Deserialize, Serialize};

/// An authentication method, named as in Gluu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AcrMethod {
    /// Username + password against the user store (Gluu's built-in LDAP bind method).
    AuthLdapServer,
    /// Username + password (Gluu's `basic` script).
    Basic,
    /// Username + password, then a TOTP code (enrolling an authenticator first if needed).
    Otp,
}

impl AcrMethod {
    /// All methods.
    pub const ALL: [AcrMethod; 3] = [AcrMethod::AuthLdapServer, AcrMethod::Basic, AcrMethod::Otp];

    /// The ACR value.
    pub fn as_str(self) -> &'static str {
        match self {
            AcrMethod::AuthLdapServer => "auth_ldap_server",
            AcrMethod::Basic => "basic",
            AcrMethod::Otp => "otp",
        }
    }

    /// Parses an ACR value.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == value)
    }

    /// Strength level (Gluu `auth_level_mapping`).
    pub fn level(self) -> u8 {
        match self {
            AcrMethod::AuthLdapServer | AcrMethod::Basic => 1,
            AcrMethod::Otp => 5,
        }
    }

    /// Whether a session authenticated with `self` satisfies a request for `requested`.
    pub fn satisfies(self, requested: AcrMethod) -> bool {
        self == requested || self.level() > requested.level()
    }

    /// RFC 8176 `amr` values of the steps this method performs.
    pub fn amr(self) -> Vec<String> {
        match self {
            AcrMethod::AuthLdapServer | AcrMethod::Basic => vec!["pwd".into()],
            AcrMethod::Otp => vec!["pwd".into(), "otp".into(), "mfa".into()],
        }
    }

    /// Whether the method needs a TOTP step after the password.
    pub fn needs_otp(self) -> bool {
        self == AcrMethod::Otp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otp_satisfies_password_methods_but_not_the_reverse() {
        assert!(AcrMethod::Otp.satisfies(AcrMethod::AuthLdapServer));
        assert!(AcrMethod::Otp.satisfies(AcrMethod::Otp));
        assert!(!AcrMethod::AuthLdapServer.satisfies(AcrMethod::Otp));
        assert!(AcrMethod::AuthLdapServer.satisfies(AcrMethod::AuthLdapServer));
        // Same level, different script: Gluu re-authenticates on an ACR change.
        assert!(!AcrMethod::Basic.satisfies(AcrMethod::AuthLdapServer));
    }

    #[test]
    fn names_parse() {
        for m in AcrMethod::ALL {
            assert_eq!(AcrMethod::parse(m.as_str()), Some(m));
        }
        assert_eq!(AcrMethod::parse("u2f"), None);
        assert_eq!(AcrMethod::Otp.amr(), vec!["pwd", "otp", "mfa"]);
    }
}
