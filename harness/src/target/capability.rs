//! What a target can do, and the scenario tags that say what a scenario needs.
//!
//! A scenario (or its feature) tagged `@needs-…` or `@reference-only` runs only against a target
//! that has that capability; against any other it is reported skipped with the reason (the
//! terminal, JUnit `<skipped message=…>`, Cucumber JSON), never passed. The in-process reference
//! stack has every capability. A target's capabilities come from the OP's discovery document,
//! the gateway's Admin API (its plugins) and the target file.

use std::collections::BTreeMap;

/// Something a scenario may need of its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    /// Every component is the in-process reference: the scenario changes their configuration.
    ReferenceOnly,
    /// The OP enrolls an authenticator app from a QR code on first use (Gluu's OTP flow), for a
    /// user nobody enrolled yet.
    OtpEnrollment,
    /// The OP asks for one-time passwords (acr `otp`), and the harness can produce the codes.
    Otp,
    /// The OP grants spontaneous scopes (Gluu: a client's regexes such as `^transactions:.+$`).
    SpontaneousScopes,
    /// The OP offers Gluu's authentication methods (`auth_ldap_server`, `otp`) as acr values.
    GluuAcrs,
    /// The OP registers clients dynamically (a `registration_endpoint`) and the target allows it.
    DynamicRegistration,
    /// An oxd server (the Gluu plugins and the tutorials talk to it).
    Oxd,
    /// A gateway with Gluu Gateway's plugins (`gluu-oauth-auth`, `gluu-oauth-pep`,
    /// `gluu-openid-connect`).
    GluuPlugins,
    /// A gateway with Kong's `openid-connect` plugin.
    KongOidc,
    /// A gateway the harness may configure through its Admin API (not `preconfigured`).
    GatewayAdmin,
    /// The Gluu Gateway Admin GUI.
    Gui,
    /// A gateway's TLS proxy listener (`gateway.proxy_ssl`; Kong's oauth2 endpoints need it).
    GatewayTls,
    /// The harness can make the OP rotate its signing keys (the reference OP's administrator
    /// operation; the suite asks a person to do it).
    KeyRotation,
}

impl Capability {
    /// Every capability.
    pub const ALL: [Capability; 13] = [
        Capability::ReferenceOnly,
        Capability::OtpEnrollment,
        Capability::Otp,
        Capability::SpontaneousScopes,
        Capability::GluuAcrs,
        Capability::DynamicRegistration,
        Capability::Oxd,
        Capability::GluuPlugins,
        Capability::KongOidc,
        Capability::GatewayAdmin,
        Capability::Gui,
        Capability::GatewayTls,
        Capability::KeyRotation,
    ];

    /// The scenario tag (without `@`).
    pub fn tag(self) -> &'static str {
        match self {
            Capability::ReferenceOnly => "reference-only",
            Capability::OtpEnrollment => "needs-otp-enrollment",
            Capability::Otp => "needs-otp",
            Capability::SpontaneousScopes => "needs-spontaneous-scopes",
            Capability::GluuAcrs => "needs-gluu-acrs",
            Capability::DynamicRegistration => "needs-dynamic-registration",
            Capability::Oxd => "needs-oxd",
            Capability::GluuPlugins => "needs-gluu-plugins",
            Capability::KongOidc => "needs-kong-oidc",
            Capability::GatewayAdmin => "needs-gateway-admin",
            Capability::Gui => "needs-gui",
            Capability::GatewayTls => "needs-gateway-tls",
            Capability::KeyRotation => "needs-key-rotation",
        }
    }

    /// The name used in target files (`op.capabilities`, `gateway.plugins`): the tag without
    /// `needs-`.
    pub fn name(self) -> &'static str {
        self.tag().trim_start_matches("needs-")
    }

    /// What the capability is, for skip messages and `gatecheck target check`.
    pub fn what(self) -> &'static str {
        match self {
            Capability::ReferenceOnly => {
                "every component in-process (the scenario changes the reference components' configuration)"
            }
            Capability::OtpEnrollment => {
                "an OP that enrolls an authenticator from a QR code for a user not enrolled yet"
            }
            Capability::Otp => "an OP that asks for one-time passwords, with codes the harness can compute",
            Capability::SpontaneousScopes => "an OP that grants spontaneous scopes",
            Capability::GluuAcrs => "an OP offering the acr values auth_ldap_server and otp",
            Capability::DynamicRegistration => "an OP that registers clients dynamically",
            Capability::Oxd => "an oxd server",
            Capability::GluuPlugins => "a gateway with the Gluu Gateway plugins",
            Capability::KongOidc => "a gateway with Kong's openid-connect plugin",
            Capability::GatewayAdmin => "a gateway the harness configures through its Admin API",
            Capability::Gui => "the Gluu Gateway Admin GUI",
            Capability::GatewayTls => "a gateway's TLS proxy listener (gateway.proxy_ssl)",
            Capability::KeyRotation => "an OP whose signing keys the harness can rotate",
        }
    }

    /// What a target file may assert in `op.capabilities` (discovery cannot tell them).
    pub const DECLARABLE: [Capability; 1] = [Capability::SpontaneousScopes];

    /// The capability of a name as target files write it (`spontaneous-scopes`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The capability a tag (with or without `@`) names; `None` for tags that name none.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let tag = tag.trim_start_matches('@');
        Self::ALL.into_iter().find(|c| c.tag() == tag)
    }

    /// Whether a tag claims to name a capability (`needs-…`, `reference-only`), known or not.
    pub fn looks_like_one(tag: &str) -> bool {
        let tag = tag.trim_start_matches('@');
        tag.starts_with("needs-") || tag == "reference-only"
    }
}

/// What a target has; for everything it lacks, why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    lacking: BTreeMap<Capability, String>,
}

impl Capabilities {
    /// Every capability (the in-process reference stack).
    pub fn all() -> Self {
        Self::default()
    }

    /// Records that the target lacks `capability`, and why.
    pub fn lack(&mut self, capability: Capability, reason: impl Into<String>) {
        self.lacking.insert(capability, reason.into());
    }

    /// Whether the target has `capability`.
    pub fn has(&self, capability: Capability) -> bool {
        !self.lacking.contains_key(&capability)
    }

    /// Why the target lacks `capability` (`None` if it has it).
    pub fn why_not(&self, capability: Capability) -> Option<&str> {
        self.lacking.get(&capability).map(String::as_str)
    }

    /// Why a scenario with these tags (its own and its feature's) cannot run here; `None` when
    /// it can.
    pub fn skip_reason<'a>(&self, tags: impl IntoIterator<Item = &'a str>) -> Option<String> {
        let mut reasons: Vec<String> = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for tag in tags {
            let Some(c) = Capability::from_tag(tag) else {
                continue;
            };
            if !seen.insert(c) {
                continue;
            }
            if let Some(why) = self.why_not(c) {
                reasons.push(format!("@{} ({}): {why}", c.tag(), c.what()));
            }
        }
        (!reasons.is_empty()).then(|| reasons.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_capability_round_trips_through_its_tag() {
        for c in Capability::ALL {
            assert_eq!(Capability::from_tag(&format!("@{}", c.tag())), Some(c));
            assert!(Capability::looks_like_one(c.tag()));
        }
        assert_eq!(Capability::from_tag("seed-000"), None);
        assert!(Capability::looks_like_one("@needs-typo"));
        assert_eq!(Capability::OtpEnrollment.name(), "otp-enrollment");
        for c in Capability::ALL {
            assert_eq!(Capability::from_name(c.name()), Some(c));
        }
    }

    #[test]
    fn the_skip_reason_names_each_missing_capability_once() {
        let mut caps = Capabilities::all();
        assert_eq!(caps.skip_reason(["needs-otp-enrollment"]), None);
        caps.lack(Capability::OtpEnrollment, "the target file has no op.otp");
        caps.lack(Capability::Oxd, "no oxd");
        let why = caps
            .skip_reason([
                "seed-000",
                "needs-otp-enrollment",
                "@needs-otp-enrollment",
                "needs-gluu-plugins",
            ])
            .unwrap();
        assert_eq!(
            why,
            "@needs-otp-enrollment (an OP that enrolls an authenticator from a QR code for a user \
             not enrolled yet): the target file has no op.otp"
        );
        assert!(caps.has(Capability::GluuPlugins));
        assert!(!caps.has(Capability::Oxd));
    }
}
