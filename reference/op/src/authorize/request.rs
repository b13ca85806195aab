//! A validated authorization request, as the pipeline of checks produces it.

use crate::acr::AcrMethod;
use crate::protocol::{CodeChallengeMethod, ResponseMode, ResponseType};
use crate::scopes::ScopeSet;

/// `prompt` values (OIDC Core §3.1.2.1); `select_account` is accepted and treated like no prompt
/// (the OP has one account per browser session).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prompt {
    /// `none`: no UI at all.
    pub none: bool,
    /// `login`: force re-authentication.
    pub login: bool,
    /// `consent`: always show the consent page.
    pub consent: bool,
}

/// Everything the OP needs to finish an authorization request after login and consent.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    /// Client.
    pub client_id: String,
    /// What the response carries.
    pub response_type: ResponseType,
    /// How it is delivered.
    pub response_mode: ResponseMode,
    /// Redirect URI (exactly a registered one).
    pub redirect_uri: String,
    /// Whether the request carried `redirect_uri`.
    pub redirect_uri_in_request: bool,
    /// Scopes after the client's scope policy.
    pub scopes: ScopeSet,
    /// `state`, echoed.
    pub state: Option<String>,
    /// `nonce`, copied into the ID token.
    pub nonce: Option<String>,
    /// `prompt`.
    pub prompt: Prompt,
    /// `max_age` (or the client's `default_max_age`).
    pub max_age: Option<i64>,
    /// `login_hint`, pre-fills the username.
    pub login_hint: Option<String>,
    /// Authentication method to satisfy.
    pub acr: AcrMethod,
    /// PKCE challenge.
    pub code_challenge: Option<(String, CodeChallengeMethod)>,
    /// Subject of a valid `id_token_hint`.
    pub hinted_sub: Option<String>,
    /// The `claims` parameter (OIDC Core §5.5).
    pub claims: crate::claims::ClaimsRequest,
}
