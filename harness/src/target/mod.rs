//! What the features run against: a [`Target`] describes every component a scenario talks to
//! (URLs, credentials, users, capabilities, the products' flavours), however it was produced.
//!
//! The in-process reference stack ([`crate::stack::Stack`]) is one way of producing a target; a
//! target file (`gatecheck run --target FILE`) names external components (an OP by issuer, a
//! gateway by proxy and Admin API URL, containers) and the stack runs in-process only what the
//! file does not name. Steps read only the target:
//!
//! * the OP through its discovery document ([`OpTarget::discovery`]), never by Gluu's paths;
//! * the gateway by its proxy and Admin API URLs ([`GatewayTarget`]);
//! * users, clients and their secrets from [`Target::user`] and [`Target::site`];
//! * whether a product-specific text must match exactly from the products
//!   ([`OpProduct::gluu_messages`], [`GatewayProduct::gluu_messages`]).

pub mod capability;
pub mod containers;
pub mod discovery;
pub mod engine;
pub mod external;
pub mod file;
pub mod probe;
pub mod skip;

use std::collections::BTreeMap;

use anyhow::Context;
use serde::{Deserialize, Serialize};

pub use capability::{Capabilities, Capability};
pub use discovery::Discovery;
pub use external::{External, ExternalStack};
pub use file::TargetFile;

use crate::scenario::Vars;

/// Which product an OP is; decides which texts steps may match exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum OpProduct {
    /// gatecheck's reference OP (in-process or `gatecheck op`).
    Gatecheck,
    /// Gluu Server (oxAuth).
    Gluu,
    /// Keycloak.
    Keycloak,
    /// node `oidc-provider`.
    OidcProvider,
    /// Anything else.
    #[default]
    Other,
}

impl OpProduct {
    /// Whether the OP shows Gluu's page texts ("Wrong username or password.").
    pub fn gluu_messages(self) -> bool {
        matches!(self, OpProduct::Gatecheck | OpProduct::Gluu)
    }
}

/// Which product a gateway is; decides which texts steps may match exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum GatewayProduct {
    /// gatecheck's reference gateway (in-process or `gatecheck gateway`).
    Gatecheck,
    /// Gluu Gateway (Kong with the Gluu plugins).
    GluuGateway,
    /// Kong Gateway.
    Kong,
    /// Anything else.
    #[default]
    Other,
}

impl GatewayProduct {
    /// Whether the gateway answers with Gluu Gateway's (and Kong's) messages.
    pub fn gluu_messages(self) -> bool {
        matches!(
            self,
            GatewayProduct::Gatecheck | GatewayProduct::GluuGateway
        )
    }

    /// Whether the gateway answers with Kong's own messages ("no Route matched with those
    /// values", the openid-connect plugin's errors).
    pub fn kong_messages(self) -> bool {
        matches!(
            self,
            GatewayProduct::Gatecheck | GatewayProduct::GluuGateway | GatewayProduct::Kong
        )
    }
}

/// A test user of the OP, and the tutorial's user it plays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUser {
    /// The user name the features use (the scenario file's user, e.g. `admin`).
    pub plays: String,
    /// The password the features use for that user (the scenario file's).
    pub feature_password: Option<String>,
    /// The claims the features expect for that user (the scenario file's).
    pub feature_claims: serde_json::Map<String, serde_json::Value>,
    /// Login name at the OP.
    pub username: String,
    /// Password at the OP.
    pub password: String,
    /// Claims the OP releases for the user.
    pub claims: serde_json::Map<String, serde_json::Value>,
    /// Base32 TOTP secret of an enrolled authenticator, when the operator knows it.
    pub otp_secret: Option<String>,
}

/// An OP client the scenario uses (registered through oxd at start, or pre-registered).
#[derive(Debug, Clone)]
pub struct RegisteredSite {
    /// Name in the scenario file.
    pub name: String,
    /// oxd's id of the site.
    pub oxd_id: String,
    /// The OP client id.
    pub client_id: String,
    /// The OP client secret.
    pub client_secret: String,
    /// Redirect URIs registered.
    pub redirect_uris: Vec<String>,
}

/// The OpenID Provider.
#[derive(Debug, Clone)]
pub struct OpTarget {
    /// Its issuer.
    pub issuer: String,
    /// Its discovery document, fetched when the target was made.
    pub discovery: Discovery,
    /// Which product it is.
    pub product: OpProduct,
}

/// The gateway.
#[derive(Debug, Clone)]
pub struct GatewayTarget {
    /// Proxy base URL.
    pub proxy: String,
    /// Admin API base URL; `None` for a preconfigured gateway the harness only sends requests to.
    pub admin: Option<String>,
    /// Which product it is.
    pub product: GatewayProduct,
}

/// The Gluu Gateway Admin GUI and its administrator.
#[derive(Debug, Clone)]
pub struct GuiTarget {
    /// Base URL.
    pub url: String,
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// Everything a scenario's steps talk to.
#[derive(Debug, Clone)]
pub struct Target {
    /// The scenario (stack) name, for messages.
    pub name: String,
    /// The OP.
    pub op: OpTarget,
    /// oxd's base URL.
    pub oxd: Option<String>,
    /// The gateway.
    pub gateway: Option<GatewayTarget>,
    /// Upstream base URLs by name.
    pub upstreams: BTreeMap<String, String>,
    /// The OP clients, by scenario site name.
    pub sites: Vec<RegisteredSite>,
    /// The OP's test users.
    pub users: Vec<TargetUser>,
    /// The Admin GUI.
    pub gui: Option<GuiTarget>,
    /// Every `${...}` placeholder value (see `crate::scenario`).
    pub vars: Vars,
    /// What the target can do.
    pub capabilities: Capabilities,
}

impl Target {
    /// A client by scenario site name.
    pub fn site(&self, name: &str) -> anyhow::Result<&RegisteredSite> {
        self.sites.iter().find(|s| s.name == name).with_context(|| {
            let known: Vec<_> = self.sites.iter().map(|s| s.name.as_str()).collect();
            format!(
                "stack {:?} has no site {name:?} (sites: {}; a target file gives it as \
                 op.clients.{name}, or lets the harness register it with op.register)",
                self.name,
                known.join(", ")
            )
        })
    }

    /// The gateway.
    pub fn gateway(&self) -> anyhow::Result<&GatewayTarget> {
        self.gateway
            .as_ref()
            .with_context(|| format!("stack {:?} has no gateway", self.name))
    }

    /// The gateway's proxy base URL.
    pub fn proxy_url(&self) -> anyhow::Result<&str> {
        Ok(&self.gateway()?.proxy)
    }

    /// The gateway's Admin API base URL.
    pub fn admin_url(&self) -> anyhow::Result<&str> {
        self.gateway()?.admin.as_deref().with_context(|| {
            format!(
                "the gateway of {:?} is preconfigured: the harness does not use its Admin API",
                self.name
            )
        })
    }

    /// oxd's base URL.
    pub fn oxd_url(&self) -> anyhow::Result<&str> {
        self.oxd
            .as_deref()
            .with_context(|| format!("stack {:?} has no oxd", self.name))
    }

    /// An upstream's base URL by name.
    pub fn upstream_url(&self, name: &str) -> anyhow::Result<&str> {
        self.upstreams
            .get(name)
            .map(String::as_str)
            .with_context(|| format!("stack {:?} has no upstream {name:?}", self.name))
    }

    /// The Admin GUI.
    pub fn gui(&self) -> anyhow::Result<&GuiTarget> {
        self.gui
            .as_ref()
            .with_context(|| format!("stack {:?} has no Admin GUI", self.name))
    }

    /// The OP user who plays the features' user `name`.
    pub fn user(&self, name: &str) -> anyhow::Result<&TargetUser> {
        self.users
            .iter()
            .find(|u| u.plays == name)
            .with_context(|| {
                let known: Vec<_> = self.users.iter().map(|u| u.plays.as_str()).collect();
                format!(
                    "the OP has no user playing {name:?} (users: {}; a target file maps its users \
                 with `plays: {name}`)",
                    known.join(", ")
                )
            })
    }

    /// The credentials to type when a feature logs in as `name` with `password`: the target
    /// user's when `password` is the one the features know for that user, else `password` as
    /// given (a wrong password stays wrong).
    pub fn login(&self, name: &str, password: &str) -> anyhow::Result<(String, String)> {
        let user = self.user(name)?;
        let typed = if user.feature_password.as_deref() == Some(password) {
            user.password.clone()
        } else {
            password.to_owned()
        };
        Ok((user.username.clone(), typed))
    }

    /// A value a feature expects of a user (an e-mail address in a header), translated to the
    /// target user's value of the same claim; other text is returned as given.
    pub fn translate_claim(&self, expected: &str) -> String {
        for u in &self.users {
            for (claim, v) in &u.feature_claims {
                if v.as_str() == Some(expected) {
                    if let Some(actual) = u.claims.get(claim).and_then(|v| v.as_str()) {
                        return actual.to_owned();
                    }
                }
            }
        }
        expected.to_owned()
    }

    /// Fills `${...}` placeholders of a step argument.
    pub fn fill(&self, text: &str) -> anyhow::Result<String> {
        Ok(self.vars.fill_str(text, "step")?)
    }
}

/// An authenticator app holding the base32 TOTP `secret` of `account` (a target user enrolled
/// beforehand), in the otpauth form apps read from QR codes.
pub fn authenticator_for(
    account: &str,
    secret: &str,
) -> anyhow::Result<gatecheck_browser::Authenticator> {
    let mut uri = url::Url::parse("otpauth://totp/").context("otpauth URI")?;
    uri.set_path(&format!("/gatecheck:{account}"));
    uri.query_pairs_mut()
        .append_pair("secret", secret)
        .append_pair("issuer", "gatecheck");
    gatecheck_browser::Authenticator::from_uri(uri.as_str()).map_err(|e| anyhow::anyhow!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target(users: Vec<TargetUser>) -> Target {
        Target {
            name: "t".into(),
            op: OpTarget {
                issuer: "http://op".into(),
                discovery: Discovery {
                    url: "http://op/.well-known/openid-configuration".into(),
                    doc: json!({"issuer": "http://op"}),
                },
                product: OpProduct::Keycloak,
            },
            oxd: None,
            gateway: None,
            upstreams: BTreeMap::new(),
            sites: Vec::new(),
            users,
            gui: None,
            vars: Vars::new(),
            capabilities: Capabilities::all(),
        }
    }

    fn alex() -> TargetUser {
        TargetUser {
            plays: "admin".into(),
            feature_password: Some("secret".into()),
            feature_claims: json!({"email": "admin@example.org"})
                .as_object()
                .cloned()
                .unwrap(),
            username: "alex".into(),
            password: "doe".into(),
            claims: json!({"email": "alex@example.com"})
                .as_object()
                .cloned()
                .unwrap(),
            otp_secret: None,
        }
    }

    #[test]
    fn a_feature_user_logs_in_as_the_target_user_and_a_wrong_password_stays_wrong() {
        let t = target(vec![alex()]);
        assert_eq!(
            t.login("admin", "secret").unwrap(),
            ("alex".into(), "doe".into())
        );
        assert_eq!(
            t.login("admin", "not-the-password").unwrap(),
            ("alex".into(), "not-the-password".into())
        );
        let err = t.login("jdoe", "x").unwrap_err().to_string();
        assert!(err.contains("no user playing \"jdoe\""), "{err}");
        assert!(err.contains("plays: jdoe"), "{err}");
    }

    #[test]
    fn expected_claims_are_translated_to_the_target_user_s() {
        let t = target(vec![alex()]);
        assert_eq!(t.translate_claim("admin@example.org"), "alex@example.com");
        assert_eq!(t.translate_claim("auth_ldap_server"), "auth_ldap_server");
    }

    #[test]
    fn a_missing_component_is_named() {
        let t = target(Vec::new());
        assert!(t
            .proxy_url()
            .unwrap_err()
            .to_string()
            .contains("has no gateway"));
        assert!(t.oxd_url().unwrap_err().to_string().contains("has no oxd"));
        assert!(t.site("consumer").is_err());
    }
}
