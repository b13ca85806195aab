//! The gateway's one relying-party core: everything a plugin needs to talk to an OpenID Provider
//! directly (Kong's `openid-connect`), shared so that no plugin grows its own copy.
//!
//! * [`discovery`]: the provider's metadata, cached for a TTL, re-fetched at most once per
//!   `rediscovery_lifetime` (an unknown `kid`, say), the stale copy kept when a re-fetch fails;
//! * [`jwks`]: one key cache per provider, refreshed through [`jwks::KeySource`] (the provider's
//!   `jwks_uri` and any extra URIs directly, or oxd's `get-jwks`), an unknown `kid` triggering one
//!   rate-limited refresh;
//! * [`jwt`]: ID-token and JWT access-token validation with `jsonwebtoken` (signature, `iss`,
//!   `aud`, `exp`/`nbf`/`iat` with leeway, `typ`, allowed algorithms; `none` always refused, HS*
//!   only when configured with the shared secrets to check them);
//! * [`client`]: the token, introspection, userinfo and revocation calls with client
//!   authentication (`client_secret_basic`, `client_secret_post`, `client_secret_jwt`,
//!   `private_key_jwt`, `none`), each under the configured timeout;
//! * [`keys`]: the private keys `private_key_jwt` assertions are signed with (`client_jwk`, or
//!   the gateway's own keyring published at `GET /openid-connect/jwks`).
//!
//! Time comes from the gateway's [`Clock`](crate::clock::Clock): token ages, cache lifetimes and
//! rediscovery intervals are testable by moving a `ManualClock`.

pub mod client;
pub mod discovery;
pub mod jwks;
pub mod jwt;
pub mod keys;

/// Why a call to the provider failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RpError {
    /// No answer within the timeout, connection refused, TLS failure.
    #[error("cannot reach {endpoint}: {reason}")]
    Unreachable {
        /// The URL called.
        endpoint: String,
        /// The transport's reason.
        reason: String,
    },
    /// The provider answered with an OAuth error (`error` of the JSON body, else the status).
    #[error("{endpoint} answered {status}: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        /// The URL called.
        endpoint: String,
        /// HTTP status.
        status: u16,
        /// The `error` code, or `http_<status>` when the body has none.
        error: String,
        /// `error_description`, when given.
        description: Option<String>,
    },
    /// The answer was not what the protocol says (not JSON, missing fields).
    #[error("{endpoint} answered something unusable: {reason}")]
    Malformed {
        /// The URL called.
        endpoint: String,
        /// What was wrong.
        reason: String,
    },
    /// A needed endpoint is neither configured nor discovered.
    #[error("the provider has no {0}")]
    NoEndpoint(&'static str),
}

impl RpError {
    /// Whether the provider refused the caller's credentials or grant (`invalid_grant`,
    /// `invalid_client`, 400/401), as opposed to failing: the caller's mistake, not the IdP's.
    pub fn is_rejection(&self) -> bool {
        matches!(self, RpError::Refused { status, .. } if *status == 400 || *status == 401 || *status == 403)
    }
}
