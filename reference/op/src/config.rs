//! The OP's one declarative configuration file (YAML or TOML).
//!
//! Every struct rejects unknown fields; [`Config::validate`] checks values that serde cannot
//! (regexes, redirect URIs, ACR names, keys) and names the offending field, e.g.
//! `clients[1].spontaneous_scopes[0]: invalid regex ...`. A config that fails is never half-applied:
//! [`crate::start`] validates before binding anything.
//!
//! Relative key paths are resolved against the config file's directory ([`Config::from_path`]) or,
//! for configs built in code or from a string, against `base_dir` (default: the current directory).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;

use crate::acr::AcrMethod;
use crate::protocol::{
    ApplicationType, ClientAlg, GrantType, SigningAlg, SubjectType, TokenEndpointAuthMethod,
};
use crate::redirect_uris::{self, Origin};

/// The whole OP configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Issuer URL. Default: `http://<bound address>` of the listener passed to [`crate::start`].
    #[serde(default)]
    pub issuer: Option<String>,
    /// Signing keys. Default: generate one RS256 and one ES256 key at start.
    #[serde(default = "default_keys")]
    pub keys: Vec<KeyConfig>,
    /// Rotating the signing keys ([`crate::keys`]).
    #[serde(default)]
    pub key_rotation: KeyRotationConfig,
    /// Token and session lifetimes in seconds.
    #[serde(default)]
    pub lifetimes: Lifetimes,
    /// Authentication methods (ACR values).
    #[serde(default)]
    pub acr: AcrConfig,
    /// TOTP parameters shown in the enrollment QR code.
    #[serde(default)]
    pub otp: OtpConfig,
    /// Limits on guessing one user's password.
    #[serde(default)]
    pub password_lockout: PasswordLockout,
    /// Scopes published in discovery, each `name` or `{name, dynamic_registration}`
    /// (statically configured clients may additionally hold any other scope string).
    #[serde(default = "default_scopes")]
    pub scopes: Vec<ScopeConfig>,
    /// What dynamic registration may ask for ([`crate::registration_policy`]).
    #[serde(default)]
    pub registration: RegistrationConfig,
    /// Who may introspect which tokens, beyond each client's own settings.
    #[serde(default)]
    pub introspection: IntrospectionConfig,
    /// How pairwise subject identifiers are made ([`crate::subjects`]).
    #[serde(default)]
    pub pairwise: PairwiseConfig,
    /// Whether `/oxauth/restv1/register` accepts dynamic registrations. Default true.
    #[serde(default = "yes")]
    pub dynamic_registration: bool,
    /// Request objects at the authorization endpoint (OIDC Core §6).
    #[serde(default)]
    pub request_objects: RequestObjectConfig,
    /// Telling RPs of a logout ([`crate::logout`]).
    #[serde(default)]
    pub logout: LogoutConfig,
    /// The user store.
    #[serde(default)]
    pub users: Vec<UserConfig>,
    /// Statically configured clients.
    #[serde(default)]
    pub clients: Vec<ClientConfig>,
    /// Directory against which relative key paths are resolved (set by [`Config::from_path`]).
    #[serde(skip)]
    pub base_dir: Option<PathBuf>,
}

/// Whether the authorization endpoint reads request objects. Both are on by default, as in
/// Gluu (`requestParameterSupported`, `requestUriParameterSupported`); switched off, a request
/// carrying one is answered `request_not_supported` / `request_uri_not_supported` and discovery
/// says so.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RequestObjectConfig {
    /// Accept `request` (a request object by value).
    pub request: bool,
    /// Accept `request_uri` (a request object the OP fetches). The OP fetches any http(s) URL a
    /// client names, with a timeout and a size bound; switch it off where the OP must not reach
    /// arbitrary URLs.
    pub request_uri: bool,
}

impl Default for RequestObjectConfig {
    fn default() -> Self {
        Self {
            request: true,
            request_uri: true,
        }
    }
}

/// Logout notifications.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogoutConfig {
    /// How long the OP waits for each RP's answer to a back-channel logout token, in
    /// milliseconds (1 to 30000; Gluu waits up to 30 s). Default 5000. The logout completes
    /// whatever the RPs answer.
    pub backchannel_timeout_ms: u64,
}

impl Default for LogoutConfig {
    fn default() -> Self {
        Self {
            backchannel_timeout_ms: 5000,
        }
    }
}

/// One signing key: a PKCS#8 PEM file, or generated at start when `pem` is absent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// `RS256` or `ES256`.
    pub alg: SigningAlg,
    /// Path of a PKCS#8 PEM private key; absent = generate a fresh key at start.
    #[serde(default)]
    pub pem: Option<PathBuf>,
    /// Key id; default = the RFC 7638 JWK thumbprint.
    #[serde(default)]
    pub kid: Option<String>,
}

/// Signing-key rotation: a new key is published `publish_ahead` seconds before it signs (so
/// relying parties that cache the JWKS know it first) and the key it replaces stays published,
/// verifying what it signed, for `grace` seconds after. A rotation starts every `interval`
/// seconds (0 = only when asked, [`crate::Handle::rotate_keys`]); Gluu's key regeneration
/// (`keyRegenerationEnabled`, `keyRegenerationInterval`) is the automatic kind.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeyRotationConfig {
    /// Seconds between automatic rotations; 0 (default) = never automatically.
    pub interval: i64,
    /// Seconds a new key is published before it signs. Default 300.
    pub publish_ahead: i64,
    /// Seconds a replaced key stays published. Default 86400 (a session lifetime, so the
    /// ID tokens it signed still verify as an `id_token_hint`).
    pub grace: i64,
}

impl Default for KeyRotationConfig {
    fn default() -> Self {
        Self {
            interval: 0,
            publish_ahead: 300,
            grace: 86_400,
        }
    }
}

/// Lifetimes in seconds (defaults are the Gluu CE defaults).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Lifetimes {
    /// Authorization code; default 60.
    pub authorization_code: i64,
    /// Access token; default 300.
    pub access_token: i64,
    /// ID token; default 3600.
    pub id_token: i64,
    /// Refresh token; default 14400.
    pub refresh_token: i64,
    /// Remembered spontaneous scopes; default 86400.
    pub spontaneous_scope: i64,
    /// OP browser session; default 86400.
    pub session: i64,
    /// An unfinished login/consent interaction; default 600.
    pub login_attempt: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            authorization_code: 60,
            access_token: 300,
            id_token: 3600,
            refresh_token: 14400,
            spontaneous_scope: 86400,
            session: 86400,
            login_attempt: 600,
        }
    }
}

/// Which authentication methods are enabled and which one applies when nothing is requested.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AcrConfig {
    /// Enabled methods, published as `acr_values_supported`.
    pub enabled: Vec<AcrMethod>,
    /// Method used when neither the request nor the client names one.
    pub default: AcrMethod,
}

impl Default for AcrConfig {
    fn default() -> Self {
        Self {
            enabled: vec![AcrMethod::AuthLdapServer, AcrMethod::Basic, AcrMethod::Otp],
            default: AcrMethod::AuthLdapServer,
        }
    }
}

/// TOTP enrollment parameters (SHA1, 6 digits, 30 s are fixed, as in Gluu's defaults).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OtpConfig {
    /// `issuer` of the otpauth URI; must not contain `:`. Default `Gluu Inc`.
    pub issuer: String,
    /// Consecutive failures (password or code) after which a login attempt is locked. Default 5.
    pub max_failures: u32,
    /// Wrong one-time passwords for one user, across login attempts, after which that user's
    /// OTP step is locked: a new attempt must not reset the count. Default 10.
    pub user_max_failures: u32,
    /// How long (seconds) a user's OTP lock lasts; the count is forgotten this long after the
    /// last wrong code. Default 900.
    pub user_lockout_seconds: i64,
}

impl Default for OtpConfig {
    fn default() -> Self {
        Self {
            issuer: "Gluu Inc".into(),
            max_failures: 5,
            user_max_failures: 10,
            user_lockout_seconds: 900,
        }
    }
}

/// Wrong passwords for one username, counted across login attempts and the password grant
/// together, after which that username is locked for a while ([`crate::passwords`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordLockout {
    /// Wrong passwords that lock the username. Default 10.
    pub max_failures: u32,
    /// How long (seconds) the lock lasts; the count is forgotten this long after the last
    /// wrong password. Default 900.
    pub lockout_seconds: i64,
}

impl Default for PasswordLockout {
    fn default() -> Self {
        Self {
            max_failures: 10,
            lockout_seconds: 900,
        }
    }
}

/// A published scope. In the file either its name (`openid`: allowed for dynamic registration)
/// or `{name: admin, dynamic_registration: false}` (Gluu's "Allow for dynamic registration"
/// unticked: only clients configured here, or registered with an initial access token that
/// names it, may hold it), with Gluu's scope type and claims:
/// `{name: employee, scope_type: openid, claims: [department]}` releases the user's
/// `department` claim (a custom scope "mapped to registered user attributes"); an `oauth` scope
/// releases no claims, whatever its name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScopeConfig {
    /// The scope token.
    pub name: String,
    /// Whether a dynamically registered client may ask for it. Default true.
    pub dynamic_registration: bool,
    /// Gluu's scope type (`oxScopeType`). Default `openid` for the standard OpenID Connect
    /// scopes (OIDC Core §5.4) and for a scope that lists claims, else `oauth`.
    pub scope_type: ScopeType,
    /// User claims the scope releases besides a standard scope's own (Gluu's `oxAuthClaim`);
    /// only for `openid` scopes.
    pub claims: Vec<String>,
}

/// Gluu's scope types ("Scope Type" on oxTrust's scope form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeType {
    /// Maps user claims.
    #[serde(rename = "openid")]
    OpenId,
    /// No claims: meaningful to a resource server.
    #[serde(rename = "oauth")]
    OAuth,
    /// Claims computed by Gluu's Dynamic Scopes interception script; gatecheck's OP runs no
    /// scripts, so a configured one is refused at start.
    Dynamic,
}

/// The standard OpenID Connect scopes (OIDC Core §5.4, and `openid` itself).
const STANDARD_SCOPES: [&str; 5] = ["openid", "profile", "email", "address", "phone"];

impl ScopeConfig {
    /// A scope allowed for dynamic registration, of its default type, without extra claims.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            dynamic_registration: true,
            scope_type: default_scope_type(name, &[]),
            claims: Vec::new(),
        }
    }
}

fn default_scope_type(name: &str, claims: &[String]) -> ScopeType {
    if STANDARD_SCOPES.contains(&name) || !claims.is_empty() {
        ScopeType::OpenId
    } else {
        ScopeType::OAuth
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopeFields {
    name: String,
    #[serde(default = "yes")]
    dynamic_registration: bool,
    #[serde(default)]
    scope_type: Option<ScopeType>,
    #[serde(default)]
    claims: Vec<String>,
}

impl<'de> Deserialize<'de> for ScopeConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ScopeConfig;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a scope name or {name, dynamic_registration, scope_type, claims}")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<ScopeConfig, E> {
                Ok(ScopeConfig::new(name))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<ScopeConfig, A::Error> {
                let fields =
                    ScopeFields::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                let scope_type = fields
                    .scope_type
                    .unwrap_or_else(|| default_scope_type(&fields.name, &fields.claims));
                Ok(ScopeConfig {
                    name: fields.name,
                    dynamic_registration: fields.dynamic_registration,
                    scope_type,
                    claims: fields.claims,
                })
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// The dynamic registration policy: what any registration may ask for besides the published
/// scopes marked `dynamic_registration`, and initial access tokens (RFC 7591 §3) that allow
/// more.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrationConfig {
    /// Grant types any registration may ask for. Default authorization_code, implicit,
    /// refresh_token, client_credentials (not password: Gluu's `dynamicRegistrationPasswordGrantTypeEnabled`
    /// is off by default).
    pub grant_types: Vec<GrantType>,
    /// Scopes beyond the published ones that any registration may ask for. Default none.
    pub scopes: Vec<String>,
    /// Spontaneous-scope patterns any registration may ask for, exactly as the client writes
    /// them (e.g. `^transactions:.+$`). Default none.
    pub spontaneous_scopes: Vec<String>,
    /// Refuse registrations that present no initial access token. Default false.
    pub require_initial_access_token: bool,
    /// Initial access tokens (`Authorization: Bearer` at the registration endpoint), each
    /// allowing more than the above.
    pub initial_access_tokens: Vec<InitialAccessToken>,
    /// Seconds a dynamically registered client lives (Gluu's
    /// `dynamicRegistrationExpirationTime`); its `client_secret_expires_at`. 0 (default) = never.
    pub client_lifetime: i64,
    /// Also fetch a `sector_identifier_uri` over plain http when its host is a loopback address
    /// (https only otherwise). For test stacks whose relying parties have no TLS. Default false.
    pub sector_identifier_http_loopback: bool,
}

impl Default for RegistrationConfig {
    fn default() -> Self {
        Self {
            grant_types: vec![
                GrantType::AuthorizationCode,
                GrantType::Implicit,
                GrantType::RefreshToken,
                GrantType::ClientCredentials,
            ],
            scopes: Vec::new(),
            spontaneous_scopes: Vec::new(),
            require_initial_access_token: false,
            initial_access_tokens: Vec::new(),
            client_lifetime: 0,
            sector_identifier_http_loopback: false,
        }
    }
}

/// An initial access token and what a registration presenting it may ask for, on top of the
/// open policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialAccessToken {
    /// The token (compared in constant time).
    pub token: String,
    /// Additional grant types (e.g. `password`).
    #[serde(default)]
    pub grant_types: Vec<GrantType>,
    /// Additional scopes, published or not.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Additional spontaneous-scope patterns.
    #[serde(default)]
    pub spontaneous_scopes: Vec<String>,
}

/// Gluu's two kinds of pairwise identifier (`pairwiseIdType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PairwiseIdType {
    /// `base64url(HMAC-SHA256(key, sector + user sub + salt))`: nothing stored, stable as long
    /// as key and salt are.
    #[default]
    Algorithmic,
    /// A random identifier stored per sector and user.
    Persistent,
}

/// Pairwise subject settings. Without `key`/`salt` the OP draws random ones at start, so
/// algorithmic identifiers change across restarts: configure both for stable ones.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PairwiseConfig {
    /// `algorithmic` (default) or `persistent`.
    pub id_type: PairwiseIdType,
    /// HMAC key (Gluu's `pairwiseCalculationKey`), at least 16 characters if set.
    pub key: Option<String>,
    /// Salt (Gluu's `pairwiseCalculationSalt`), at least 16 characters if set.
    pub salt: Option<String>,
}

/// OP-wide introspection rules ([`crate::introspection`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntrospectionConfig {
    /// Which callers may introspect every token, whatever their client's settings. Default
    /// `none`.
    pub any_token: AnyTokenCallers,
    /// A bearer caller's token must carry this scope (Gluu's
    /// `introspectionAccessTokenMustHaveUmaProtectionScope` is `uma_protection`). Default none.
    pub bearer_scope: Option<String>,
}

/// Callers that may introspect every token regardless of their client's settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnyTokenCallers {
    /// Nobody: each client's `introspect_any_token`, `resource_servers` and audiences decide.
    #[default]
    None,
    /// Gluu 4.2's rule: a caller presenting any valid access token as `Authorization: Bearer`.
    Bearer,
    /// Any authenticated caller, by client credentials or bearer token: how the Gluu Gateway
    /// tutorials' stacks run with gatecheck's oxd, which introspects with the site's client
    /// credentials where Gluu's oxd presents a protection token.
    Authenticated,
}

/// A user of the OP's store.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// Login name (also `preferred_username` and introspection `username`).
    pub username: String,
    /// Clear-text password (hashed with argon2 at load) or an argon2 PHC string (`$argon2id$...`).
    pub password: String,
    /// Subject identifier; default = username.
    #[serde(default)]
    pub sub: Option<String>,
    /// Claims released by scope (`name`, `email`, `phone_number`, `address`, ...).
    #[serde(default)]
    pub claims: BTreeMap<String, serde_json::Value>,
    /// Pre-enrolled TOTP secret (base32); absent = the user enrolls at first OTP login.
    #[serde(default)]
    pub otp_secret: Option<String>,
}

/// A statically configured client (field names follow the registration metadata).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// Client identifier.
    pub client_id: String,
    /// Client secret; absent for public clients (`token_endpoint_auth_method: none`).
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Display name on the consent page; default = client_id.
    #[serde(default)]
    pub client_name: Option<String>,
    /// `web` (default) or `native`: which redirect URI schemes are allowed
    /// ([`crate::redirect_uris`]).
    #[serde(default)]
    pub application_type: ApplicationType,
    /// Exact redirect URIs.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Scopes the client may be granted.
    #[serde(default = "default_client_scopes")]
    pub scopes: Vec<String>,
    /// Grant types; default authorization_code + refresh_token.
    #[serde(default = "default_grant_types")]
    pub grant_types: Vec<GrantType>,
    /// Client authentication method; default client_secret_basic (client_secret_post is accepted too).
    #[serde(default)]
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    /// Skip the consent page (Gluu "Pre-Authorization").
    #[serde(default)]
    pub pre_authorized: bool,
    /// Remember consent per user (Gluu "Persist Client Authorizations"); default true.
    #[serde(default = "yes")]
    pub persist_client_authorizations: bool,
    /// Whether scopes matching `spontaneous_scopes` are granted.
    #[serde(default)]
    pub allow_spontaneous_scopes: bool,
    /// Regexes a spontaneous scope must match as a whole.
    #[serde(default)]
    pub spontaneous_scopes: Vec<String>,
    /// Issue access tokens as signed JWTs.
    #[serde(default)]
    pub access_token_as_jwt: bool,
    /// Algorithm for JWT access tokens; default RS256.
    #[serde(default)]
    pub access_token_signing_alg: Option<SigningAlg>,
    /// Algorithm for ID tokens; default RS256.
    #[serde(default)]
    pub id_token_signed_response_alg: Option<SigningAlg>,
    /// Userinfo answers as a JWT signed with this algorithm; default JSON.
    #[serde(default)]
    pub userinfo_signed_response_alg: Option<SigningAlg>,
    /// The one algorithm the client's assertions may use; default any of its method's.
    #[serde(default)]
    pub token_endpoint_auth_signing_alg: Option<ClientAlg>,
    /// The client's public keys (a JWK set), for its signed request objects and
    /// `private_key_jwt` assertions. At most one of `jwks` and `jwks_uri`.
    #[serde(default)]
    pub jwks: Option<jsonwebtoken::jwk::JwkSet>,
    /// Where the OP fetches the client's JWK set (each time it needs it, so a rotated key is
    /// seen at once).
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// The only algorithm the client's request objects may use (`none` included); default: any
    /// of `request_object_signing_alg_values_supported` the client has keys for.
    #[serde(default)]
    pub request_object_signing_alg: Option<ClientAlg>,
    /// ACR values used when the request has none.
    #[serde(default)]
    pub default_acr_values: Vec<String>,
    /// Maximum authentication age applied when the request has no `max_age`.
    #[serde(default)]
    pub default_max_age: Option<i64>,
    /// Where RP-initiated logout may send the user afterwards.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Loaded in an iframe of the logged-out page (Front-Channel Logout 1.0); same scheme,
    /// host and port as a redirect URI.
    #[serde(default)]
    pub frontchannel_logout_uri: Option<String>,
    /// Append `iss` and `sid` to the front-channel logout URI.
    #[serde(default)]
    pub frontchannel_logout_session_required: bool,
    /// Receives a POSTed logout token (Back-Channel Logout 1.0); takes precedence over the
    /// front channel.
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// Whether the client requires `sid` in logout tokens (the OP always sends it).
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
    /// Audiences added to this client's access tokens after its own id (Gluu's
    /// `additional_audience`, Keycloak's audience mapper): resource servers that may introspect
    /// them.
    #[serde(default)]
    pub additional_audience: Vec<String>,
    /// Resource servers this client serves: it may introspect tokens whose `aud` names one.
    #[serde(default)]
    pub resource_servers: Vec<String>,
    /// May introspect every token of the OP (a gateway in front of every client's APIs; what
    /// Gluu 4.2 allows any bearer caller). Default false: its own tokens, and those whose `aud`
    /// names it or one of its `resource_servers`.
    #[serde(default)]
    pub introspect_any_token: bool,
    /// Refuse every request of this client.
    #[serde(default)]
    pub disabled: bool,
    /// `public` (default) or `pairwise` (a `sub` per sector: the host of its redirect URIs).
    #[serde(default)]
    pub subject_type: SubjectType,
    /// Scopes added to every grant of this client (Keycloak's default client scopes: a token
    /// asked for `openid` also carries `profile` and `email`); only the client's own `scopes`
    /// count.
    #[serde(default)]
    pub default_scopes: Vec<String>,
    /// Claims with fixed values in this client's JWT access tokens and introspection answers
    /// (Keycloak's hard-coded claim mapper, e.g. `tier: gold`); protocol claims (`iss`, `aud`,
    /// `sub`, `exp`, ...) cannot be overridden.
    #[serde(default)]
    pub access_token_claims: serde_json::Map<String, serde_json::Value>,
}

fn yes() -> bool {
    true
}

impl Default for ClientConfig {
    /// The same defaults as an entry with only `client_id` in the file, so configs can be built in
    /// code with `ClientConfig { client_id, client_secret, redirect_uris, ..Default::default() }`.
    fn default() -> Self {
        Self {
            client_id: String::new(),
            client_secret: None,
            client_name: None,
            application_type: ApplicationType::default(),
            redirect_uris: Vec::new(),
            scopes: default_client_scopes(),
            grant_types: default_grant_types(),
            token_endpoint_auth_method: TokenEndpointAuthMethod::default(),
            pre_authorized: false,
            persist_client_authorizations: true,
            allow_spontaneous_scopes: false,
            spontaneous_scopes: Vec::new(),
            access_token_as_jwt: false,
            access_token_signing_alg: None,
            id_token_signed_response_alg: None,
            userinfo_signed_response_alg: None,
            token_endpoint_auth_signing_alg: None,
            jwks: None,
            jwks_uri: None,
            request_object_signing_alg: None,
            default_acr_values: Vec::new(),
            default_max_age: None,
            post_logout_redirect_uris: Vec::new(),
            frontchannel_logout_uri: None,
            frontchannel_logout_session_required: false,
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
            additional_audience: Vec::new(),
            resource_servers: Vec::new(),
            introspect_any_token: false,
            disabled: false,
            subject_type: SubjectType::default(),
            default_scopes: Vec::new(),
            access_token_claims: serde_json::Map::new(),
        }
    }
}

fn default_keys() -> Vec<KeyConfig> {
    vec![
        KeyConfig {
            alg: SigningAlg::RS256,
            pem: None,
            kid: None,
        },
        KeyConfig {
            alg: SigningAlg::ES256,
            pem: None,
            kid: None,
        },
    ]
}

fn default_scopes() -> Vec<ScopeConfig> {
    [
        "openid",
        "profile",
        "email",
        "address",
        "phone",
        "offline_access",
    ]
    .map(ScopeConfig::new)
    .to_vec()
}

fn default_client_scopes() -> Vec<String> {
    ["openid", "profile", "email"].map(String::from).to_vec()
}

fn default_grant_types() -> Vec<GrantType> {
    vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
}

impl Default for Config {
    fn default() -> Self {
        Self {
            issuer: None,
            keys: default_keys(),
            key_rotation: KeyRotationConfig::default(),
            lifetimes: Lifetimes::default(),
            acr: AcrConfig::default(),
            otp: OtpConfig::default(),
            password_lockout: PasswordLockout::default(),
            introspection: IntrospectionConfig::default(),
            pairwise: PairwiseConfig::default(),
            scopes: default_scopes(),
            registration: RegistrationConfig::default(),
            dynamic_registration: true,
            request_objects: RequestObjectConfig::default(),
            logout: LogoutConfig::default(),
            users: Vec::new(),
            clients: Vec::new(),
            base_dir: None,
        }
    }
}

/// Absolute path of the example configuration `fixtures/op/op.yml` in this source tree (baked in at
/// compile time; meant for tests and the harness of this workspace).
pub fn example_config_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/op/op.yml")
}

/// The committed fixture keys (RS256 + ES256) by absolute path, so configs built in code load
/// keys instead of generating RSA keys at every start.
pub fn fixture_keys() -> Vec<KeyConfig> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/op/keys");
    vec![
        KeyConfig {
            alg: SigningAlg::RS256,
            pem: Some(dir.join("rs256.pem")),
            kid: None,
        },
        KeyConfig {
            alg: SigningAlg::ES256,
            pem: Some(dir.join("es256.pem")),
            kid: None,
        },
    ]
}

impl Config {
    /// The example configuration (`fixtures/op/op.yml`): users `admin`/`secret` and
    /// `jdoe`/`jdoe-secret`, clients `demo-rp`, `api-consumer`, `jwt-consumer`.
    pub fn example() -> anyhow::Result<Self> {
        Self::from_path(example_config_path())
    }

    /// Parses YAML and validates it.
    pub fn from_yaml_str(text: &str) -> anyhow::Result<Self> {
        let config: Config = serde_yaml::from_str(text).context("invalid OP config")?;
        config.validate()?;
        Ok(config)
    }

    /// Parses TOML and validates it.
    pub fn from_toml_str(text: &str) -> anyhow::Result<Self> {
        let config: Config = toml::from_str(text).context("invalid OP config")?;
        config.validate()?;
        Ok(config)
    }

    /// Reads a `.yml`/`.yaml`/`.toml` file; relative key paths resolve against its directory.
    pub fn from_path(path: impl AsRef<Path>) -> anyhow::Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read OP config {}", path.display()))?;
        let is_toml = path.extension().is_some_and(|e| e == "toml");
        let mut config = if is_toml {
            Self::from_toml_str(&text)
        } else {
            Self::from_yaml_str(&text)
        }
        .with_context(|| format!("in {}", path.display()))?;
        config.base_dir = path.parent().map(Path::to_path_buf);
        Ok(config)
    }

    /// Looks up a static client by id.
    pub fn client(&self, client_id: &str) -> Option<&ClientConfig> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }

    /// Resolves a key path against `base_dir`.
    pub(crate) fn resolve(&self, path: &Path) -> PathBuf {
        match &self.base_dir {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        }
    }

    /// Checks everything serde cannot; errors name the field.
    pub fn validate(&self) -> anyhow::Result<()> {
        if let Some(issuer) = &self.issuer {
            let url =
                url::Url::parse(issuer).with_context(|| format!("issuer: not a URL: {issuer}"))?;
            if url.query().is_some() || url.fragment().is_some() {
                bail!("issuer: must not have a query or fragment");
            }
        }
        if !self.keys.iter().any(|k| k.alg == SigningAlg::RS256) {
            bail!("keys: at least one RS256 key is required (OpenID Connect default)");
        }
        let r = &self.key_rotation;
        if r.interval < 0 || r.publish_ahead < 0 || r.grace < 0 {
            bail!("key_rotation: interval, publish_ahead and grace must not be negative");
        }
        if r.interval > 0 && r.interval <= r.publish_ahead {
            bail!(
                "key_rotation.interval: must be longer than publish_ahead ({} s), got {}",
                r.publish_ahead,
                r.interval
            );
        }
        if !(1..=30_000).contains(&self.logout.backchannel_timeout_ms) {
            bail!(
                "logout.backchannel_timeout_ms: must be 1 to 30000, got {}",
                self.logout.backchannel_timeout_ms
            );
        }
        let l = &self.lifetimes;
        for (name, value) in [
            ("authorization_code", l.authorization_code),
            ("access_token", l.access_token),
            ("id_token", l.id_token),
            ("refresh_token", l.refresh_token),
            ("spontaneous_scope", l.spontaneous_scope),
            ("session", l.session),
            ("login_attempt", l.login_attempt),
        ] {
            if value <= 0 {
                bail!("lifetimes.{name}: must be a positive number of seconds, got {value}");
            }
        }
        if self.acr.enabled.is_empty() {
            bail!("acr.enabled: at least one authentication method is required");
        }
        if !self.acr.enabled.contains(&self.acr.default) {
            bail!(
                "acr.default: `{}` is not one of acr.enabled",
                self.acr.default.as_str()
            );
        }
        if self.otp.issuer.contains(':') || self.otp.issuer.is_empty() {
            bail!("otp.issuer: must be non-empty and must not contain ':'");
        }
        if self.otp.max_failures == 0 {
            bail!("otp.max_failures: must be at least 1");
        }
        if self.otp.user_max_failures == 0 {
            bail!("otp.user_max_failures: must be at least 1");
        }
        if self.otp.user_lockout_seconds < 1 {
            bail!("otp.user_lockout_seconds: must be at least 1");
        }
        let mut names = std::collections::HashSet::new();
        for (i, scope) in self.scopes.iter().enumerate() {
            if scope.name.is_empty() || scope.name.contains(' ') {
                bail!("scopes[{i}].name: must be non-empty and contain no spaces");
            }
            if !names.insert(&scope.name) {
                bail!("scopes[{i}].name: duplicate `{}`", scope.name);
            }
            match scope.scope_type {
                ScopeType::Dynamic => bail!(
                    "scopes[{i}].scope_type: dynamic scopes get their claims from Gluu's Dynamic \
                     Scopes interception script, which this OP does not run (use openid with claims)"
                ),
                ScopeType::OAuth if !scope.claims.is_empty() => {
                    bail!("scopes[{i}].claims: an oauth scope releases no claims (make it openid)")
                }
                _ => {}
            }
            for (j, claim) in scope.claims.iter().enumerate() {
                if claim.is_empty() || claim.contains(' ') || claim == "sub" {
                    bail!("scopes[{i}].claims[{j}]: must be a claim name other than sub");
                }
            }
        }
        let registration = &self.registration;
        if registration.client_lifetime < 0 {
            bail!("registration.client_lifetime: must not be negative (0 = never expires)");
        }
        for (j, pattern) in registration.spontaneous_scopes.iter().enumerate() {
            crate::scopes::compile_pattern(pattern)
                .map_err(|e| anyhow::anyhow!("registration.spontaneous_scopes[{j}]: {e}"))?;
        }
        let mut tokens = std::collections::HashSet::new();
        for (i, iat) in registration.initial_access_tokens.iter().enumerate() {
            let at = format!("registration.initial_access_tokens[{i}]");
            if iat.token.len() < 16 {
                bail!("{at}.token: must be at least 16 characters");
            }
            if !tokens.insert(&iat.token) {
                bail!("{at}.token: duplicate");
            }
            for (j, pattern) in iat.spontaneous_scopes.iter().enumerate() {
                crate::scopes::compile_pattern(pattern)
                    .map_err(|e| anyhow::anyhow!("{at}.spontaneous_scopes[{j}]: {e}"))?;
            }
        }
        for (field, value) in [
            ("pairwise.key", &self.pairwise.key),
            ("pairwise.salt", &self.pairwise.salt),
        ] {
            if value.as_ref().is_some_and(|v| v.len() < 16) {
                bail!("{field}: must be at least 16 characters");
            }
        }
        if self.password_lockout.max_failures == 0 {
            bail!("password_lockout.max_failures: must be at least 1");
        }
        if self.password_lockout.lockout_seconds < 1 {
            bail!("password_lockout.lockout_seconds: must be at least 1");
        }
        let mut usernames = std::collections::HashSet::new();
        for (i, user) in self.users.iter().enumerate() {
            if user.username.is_empty() || user.username.contains(':') {
                bail!("users[{i}].username: must be non-empty and must not contain ':'");
            }
            if !usernames.insert(&user.username) {
                bail!("users[{i}].username: duplicate `{}`", user.username);
            }
            if user.password.is_empty() {
                bail!("users[{i}].password: must not be empty");
            }
            if let Some(secret) = &user.otp_secret {
                crate::otp::decode_secret(secret)
                    .map_err(|e| anyhow::anyhow!("users[{i}].otp_secret: {e}"))?;
            }
        }
        let mut ids = std::collections::HashSet::new();
        for (i, client) in self.clients.iter().enumerate() {
            let at = |field: &str| format!("clients[{i}].{field}");
            if client.client_id.is_empty() {
                bail!("{}: must not be empty", at("client_id"));
            }
            if !ids.insert(&client.client_id) {
                bail!("{}: duplicate `{}`", at("client_id"), client.client_id);
            }
            let public = client.token_endpoint_auth_method == TokenEndpointAuthMethod::None;
            let uses_secret = client.token_endpoint_auth_method.uses_secret();
            match (&client.client_secret, uses_secret) {
                (None, true) => bail!(
                    "{}: required unless token_endpoint_auth_method is none or private_key_jwt",
                    at("client_secret")
                ),
                (Some(_), false) if public => bail!(
                    "{}: a public client (token_endpoint_auth_method: none) has no secret",
                    at("client_secret")
                ),
                _ => {}
            }
            crate::client_jwt::check_metadata(
                client.jwks.as_ref(),
                client.jwks_uri.as_deref(),
                client.client_secret.is_some(),
                &[
                    (
                        "request_object_signing_alg",
                        client.request_object_signing_alg,
                    ),
                    (
                        "token_endpoint_auth_method",
                        client
                            .token_endpoint_auth_method
                            .assertion_algs()
                            .first()
                            .copied(),
                    ),
                ],
            )
            .map_err(|e| anyhow::anyhow!("clients[{i}]: {e}"))?;
            if public && client.grant_types.contains(&GrantType::ClientCredentials) {
                bail!(
                    "{}: client_credentials needs a confidential client",
                    at("grant_types")
                );
            }
            for (field, uris) in [
                ("redirect_uris", &client.redirect_uris),
                (
                    "post_logout_redirect_uris",
                    &client.post_logout_redirect_uris,
                ),
            ] {
                for (j, uri) in uris.iter().enumerate() {
                    redirect_uris::check(uri, client.application_type, Origin::Config)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", at(&format!("{field}[{j}]"))))?;
                }
            }
            if let Some(g) = client
                .grant_types
                .iter()
                .find(|g| matches!(g, GrantType::AuthorizationCode | GrantType::Implicit))
                .filter(|_| client.redirect_uris.is_empty())
            {
                bail!(
                    "{}: the {} grant needs at least one redirect URI",
                    at("redirect_uris"),
                    g.as_str()
                );
            }
            for (field, channel, uri) in [
                (
                    "frontchannel_logout_uri",
                    crate::logout::Channel::Front,
                    &client.frontchannel_logout_uri,
                ),
                (
                    "backchannel_logout_uri",
                    crate::logout::Channel::Back,
                    &client.backchannel_logout_uri,
                ),
            ] {
                if let Some(uri) = uri {
                    crate::logout::check_uri(
                        channel,
                        uri,
                        &client.redirect_uris,
                        client.application_type,
                        true,
                    )
                    .map_err(|e| anyhow::anyhow!("{}: {e}", at(field)))?;
                }
            }
            if client.subject_type == SubjectType::Pairwise {
                crate::subjects::sector_of(&client.redirect_uris)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", at("subject_type")))?;
            }
            for (j, pattern) in client.spontaneous_scopes.iter().enumerate() {
                crate::scopes::compile_pattern(pattern).map_err(|e| {
                    anyhow::anyhow!("{}: {e}", at(&format!("spontaneous_scopes[{j}]")))
                })?;
            }
            for (j, acr) in client.default_acr_values.iter().enumerate() {
                if AcrMethod::parse(acr).is_none() {
                    bail!(
                        "{}: unknown ACR `{acr}`",
                        at(&format!("default_acr_values[{j}]"))
                    );
                }
            }
            if let Some(age) = client.default_max_age {
                if age < 0 {
                    bail!("{}: must not be negative", at("default_max_age"));
                }
            }
            for (field, names) in [
                ("additional_audience", &client.additional_audience),
                ("resource_servers", &client.resource_servers),
            ] {
                if let Some(j) = names.iter().position(|n| n.trim().is_empty()) {
                    bail!("{}: must not be empty", at(&format!("{field}[{j}]")));
                }
            }
            if client
                .scopes
                .iter()
                .any(|s| s.is_empty() || s.contains(' '))
            {
                bail!(
                    "{}: scopes must be non-empty and contain no spaces",
                    at("scopes")
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "
users:
  - username: admin
    password: secret
clients:
  - client_id: web
    client_secret: s3cret
    redirect_uris: [https://rp.example.org/cb]
";

    #[test]
    fn minimal_config_gets_gluu_defaults() {
        let config = Config::from_yaml_str(MINIMAL).unwrap();
        assert_eq!(config.lifetimes.authorization_code, 60);
        assert_eq!(config.lifetimes.access_token, 300);
        assert_eq!(config.lifetimes.spontaneous_scope, 86400);
        assert_eq!(config.acr.default, AcrMethod::AuthLdapServer);
        assert!(config.dynamic_registration);
        let client = config.client("web").unwrap();
        assert_eq!(
            client.grant_types,
            vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
        );
        assert!(client.persist_client_authorizations);
    }

    fn error_of(yaml: &str) -> String {
        format!("{:#}", Config::from_yaml_str(yaml).unwrap_err())
    }

    #[test]
    fn unknown_field_is_named() {
        let err = error_of("issuer: http://x\nbogus: 1\n");
        assert!(err.contains("bogus"), "{err}");
        let err = error_of("clients:\n  - client_id: a\n    client_secret: b\n    colour: red\n");
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn bad_values_are_named() {
        let cases = [
            ("acr:\n  enabled: [otp]\n  default: basic\n", "acr.default"),
            ("acr:\n  enabled: [fido]\n", "fido"),
            ("lifetimes:\n  access_token: 0\n", "lifetimes.access_token"),
            ("keys:\n  - alg: ES256\n", "keys"),
            ("keys:\n  - alg: HS256\n", "HS256"),
            (
                "clients:\n  - client_id: a\n    client_secret: b\n    redirect_uris: ['https://x/cb#frag']\n",
                "clients[0].redirect_uris[0]",
            ),
            (
                "clients:\n  - client_id: a\n    client_secret: b\n    redirect_uris: [https://x/cb]\n    spontaneous_scopes: ['^(transactions']\n",
                "clients[0].spontaneous_scopes[0]",
            ),
            (
                "clients:\n  - client_id: a\n    redirect_uris: [https://x/cb]\n",
                "clients[0].client_secret",
            ),
            (
                "clients:\n  - client_id: a\n    client_secret: b\n    grant_types: [implicit]\n",
                "the implicit grant needs at least one redirect URI",
            ),
            (
                "clients:\n  - client_id: a\n    client_secret: b\n    grant_types: [device_code]\n",
                "device_code",
            ),
            (
                "clients:\n  - client_id: a\n    client_secret: b\n    redirect_uris: [https://x/cb]\n    default_acr_values: [fido]\n",
                "clients[0].default_acr_values[0]",
            ),
            (
                "users:\n  - username: a\n    password: b\n  - username: a\n    password: c\n",
                "users[1].username",
            ),
            (
                "users:\n  - username: a\n    password: b\n    otp_secret: '!!'\n",
                "users[0].otp_secret",
            ),
            ("issuer: not a url\n", "issuer"),
            ("otp:\n  issuer: 'a:b'\n", "otp.issuer"),
            ("scopes: [openid, openid]\n", "scopes[1].name"),
            ("scopes: [{name: a, colour: red}]\n", "colour"),
            (
                "registration:\n  spontaneous_scopes: ['(']\n",
                "registration.spontaneous_scopes[0]",
            ),
            (
                "registration:\n  initial_access_tokens: [{token: short}]\n",
                "registration.initial_access_tokens[0].token",
            ),
            ("registration:\n  grant_types: [device_code]\n", "device_code"),
            ("pairwise:\n  key: short\n", "pairwise.key"),
            (
                "registration:\n  client_lifetime: -1\n",
                "registration.client_lifetime",
            ),
            ("pairwise:\n  id_type: random\n", "random"),
            ("otp:\n  user_max_failures: 0\n", "otp.user_max_failures"),
            ("otp:\n  user_lockout_seconds: 0\n", "otp.user_lockout_seconds"),
            (
                "password_lockout:\n  max_failures: 0\n",
                "password_lockout.max_failures",
            ),
            (
                "password_lockout:\n  lockout_seconds: 0\n",
                "password_lockout.lockout_seconds",
            ),
        ];
        for (yaml, needle) in cases {
            let err = error_of(yaml);
            assert!(err.contains(needle), "{yaml:?} -> {err}");
        }
    }

    #[test]
    fn fixture_keys_load_from_any_working_directory() {
        let config = Config {
            keys: fixture_keys(),
            ..Config::default()
        };
        let keys = crate::keys::KeySet::load(&config).unwrap();
        assert_eq!(keys.algs(), vec![SigningAlg::RS256, SigningAlg::ES256]);
    }

    #[test]
    fn code_built_client_defaults_match_the_file_defaults() {
        let from_file: ClientConfig =
            serde_yaml::from_str("client_id: a\nclient_secret: b\n").unwrap();
        let in_code = ClientConfig {
            client_id: "a".into(),
            client_secret: Some("b".into()),
            ..Default::default()
        };
        assert_eq!(format!("{from_file:?}"), format!("{in_code:?}"));
    }

    #[test]
    fn scopes_are_names_or_entries() {
        let config = Config::from_yaml_str(
            "scopes: [openid, {name: admin, dynamic_registration: false}, {name: oxd}]\n",
        )
        .unwrap();
        assert_eq!(
            config.scopes,
            vec![
                ScopeConfig::new("openid"),
                ScopeConfig {
                    dynamic_registration: false,
                    ..ScopeConfig::new("admin")
                },
                ScopeConfig::new("oxd"),
            ]
        );
        let json: Config =
            serde_json::from_value(serde_json::json!({"scopes": ["openid", {"name": "x"}]}))
                .unwrap();
        assert_eq!(json.scopes.len(), 2);
    }

    #[test]
    fn toml_is_accepted_too() {
        let config = Config::from_toml_str(
            "dynamic_registration = false\n[[users]]\nusername = \"admin\"\npassword = \"secret\"\n",
        )
        .unwrap();
        assert!(!config.dynamic_registration);
        assert_eq!(config.users.len(), 1);
    }

    #[test]
    fn example_fixture_is_valid() {
        let config = Config::example().unwrap();
        assert!(config.users.iter().any(|u| u.username == "admin"));
        assert!(config.keys.iter().all(|k| k.pem.is_some()));
    }
}
