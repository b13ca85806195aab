//! Records the OP keeps between requests.

use serde::{Deserialize, Serialize};

use crate::acr::AcrMethod;
use crate::protocol::CodeChallengeMethod;
use crate::scopes::ScopeSet;

/// Who authenticated, how and when: carried from the session into codes, tokens and ID tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthContext {
    /// Subject identifier.
    pub sub: String,
    /// Login name.
    pub username: String,
    /// Method performed.
    pub acr: AcrMethod,
    /// RFC 8176 methods performed.
    pub amr: Vec<String>,
    /// When the user authenticated (Unix seconds).
    pub auth_time: i64,
    /// OP session id (`sid` claim), absent for the password grant.
    pub sid: Option<String>,
}

/// An issued, unused authorization code.
#[derive(Debug, Clone)]
pub struct AuthCode {
    /// Client the code was issued to.
    pub client_id: String,
    /// Redirect URI the code was delivered to.
    pub redirect_uri: String,
    /// Whether the authorization request carried `redirect_uri` (then the token request must too).
    pub redirect_uri_in_request: bool,
    /// Granted scopes.
    pub scopes: ScopeSet,
    /// Request nonce, copied into the ID token.
    pub nonce: Option<String>,
    /// PKCE challenge and method.
    pub code_challenge: Option<(String, CodeChallengeMethod)>,
    /// The authentication behind the code.
    pub auth: AuthContext,
    /// Grant id shared by every token issued from this code.
    pub grant_id: String,
}

/// An exchanged code, remembered until it would have expired so a replay revokes the grant.
#[derive(Debug, Clone)]
pub struct UsedCode {
    /// Grant the code started.
    pub grant_id: String,
}

/// A live access token.
#[derive(Debug, Clone)]
pub struct AccessTokenRecord {
    /// Grant it belongs to.
    pub grant_id: String,
    /// Client it was issued to.
    pub client_id: String,
    /// Granted scopes.
    pub scopes: ScopeSet,
    /// `aud`: the client, then its additional audiences.
    pub audience: Vec<String>,
    /// The user, absent for client_credentials.
    pub auth: Option<AuthContext>,
    /// Issued at.
    pub iat: i64,
    /// Expires at.
    pub exp: i64,
    /// `jti` of a JWT access token.
    pub jti: Option<String>,
}

/// A live refresh token.
#[derive(Debug, Clone)]
pub struct RefreshTokenRecord {
    /// Grant it belongs to.
    pub grant_id: String,
    /// Client it was issued to.
    pub client_id: String,
    /// Scopes of the grant (a refresh may narrow them).
    pub scopes: ScopeSet,
    /// The user.
    pub auth: Option<AuthContext>,
    /// Nonce of the original request (kept out of refreshed ID tokens per OIDC Core §12.2).
    pub nonce: Option<String>,
    /// Expires at.
    pub exp: i64,
}

/// An OP browser session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Public session id (`sid` claim); distinct from the cookie value.
    pub sid: String,
    /// CSRF token of the logout confirmation form: only a page the OP showed this session can
    /// end it without an `id_token_hint`.
    pub logout_csrf: String,
    /// The authentication.
    pub auth: AuthContext,
    /// OP browser state (the `opbs` cookie's value): an input of every `session_state`
    /// (OpenID Connect Session Management 1.0 §3).
    pub browser_state: String,
    /// Clients that took part (were sent an authorization response), in order: the ones
    /// logout notifies.
    pub clients: Vec<String>,
}

/// An ID token the OP issued, remembered (by a digest of the token) so that an
/// `id_token_hint` can be recognised as one: not a JWT access token, not a forgery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedIdToken {
    /// The client it was issued to (its `aud`).
    pub client_id: String,
    /// Its subject.
    pub sub: String,
    /// The OP session it was issued in (`sid`), absent for the password grant.
    pub sid: Option<String>,
}

/// Scopes a user allowed for a client.
#[derive(Debug, Clone)]
pub struct ConsentRecord {
    /// Allowed scopes.
    pub scopes: ScopeSet,
}

/// A user's enrolled TOTP authenticator.
#[derive(Debug, Clone)]
pub struct OtpEnrollment {
    /// Raw secret.
    pub secret: Vec<u8>,
    /// Highest time step accepted so far: codes of this step or earlier are refused (replay).
    pub last_step: Option<u64>,
}

/// A spontaneous scope granted to a client, remembered for the configured lifetime.
#[derive(Debug, Clone)]
pub struct SpontaneousScopeRecord {
    /// Client.
    pub client_id: String,
    /// The concrete scope, e.g. `transactions:245`.
    pub scope: String,
    /// Pattern that matched.
    pub pattern: String,
}
