//! Typed per-request data handed from auth plugins to the PEPs (GG's `kong.ctx.shared`), kept in
//! the request's extensions ([`super::AccessRequest::extensions_mut`]).

use std::sync::Arc;

use serde_json::Value;

use crate::entities::consumer_groups::ConsumerGroup;
use crate::entities::Consumer;

/// The token an auth plugin authenticated the request with (`request_token` and
/// `request_token_data` in GG).
#[derive(Debug, Clone)]
pub struct RequestToken {
    /// The raw token (bearer access token, or the id_token under OIDC).
    pub token: Arc<str>,
    /// Introspection response / JWT payload / id_token claims (plus `consumer` when mapped).
    pub data: Arc<Value>,
    /// The token's scopes in the order the token lists them.
    pub scopes: Arc<[String]>,
    /// Expiry (Unix seconds), when known: bounds how long a decision may be cached.
    pub exp: Option<i64>,
}

/// The Kong consumer the token was mapped to (`authenticated_consumer`).
#[derive(Debug, Clone)]
pub struct AuthenticatedConsumer(pub Arc<Consumer>);

/// `authenticated_credential = {id = client_id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedCredential {
    /// The OAuth client id.
    pub id: String,
}

/// OIDC userinfo of the authenticated user.
#[derive(Debug, Clone)]
pub struct UserInfo(pub Arc<Value>);

/// Groups an authentication plugin authenticated the request with (Kong's
/// `authenticated_groups`): openid-connect's `authenticated_groups_claim` sets them from a token
/// claim. The `acl` plugin judges them instead of a consumer's ACL groups when there is no
/// consumer, the consumer is anonymous, or `always_use_authenticated_groups` is on; the upstream
/// then sees them in `X-Authenticated-Groups`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedGroups(pub Arc<[String]>);

/// Consumer groups an authentication plugin mapped the request to (Kong's
/// `kong.client.set_authenticated_consumer_groups`): openid-connect's `consumer_groups_claim`
/// values, looked up with [`crate::entities::consumer_groups::ConsumerGroups::by_name`]. Without
/// it an authenticated consumer's own memberships apply
/// ([`super::AccessRequest::consumer_groups`]).
#[derive(Debug, Clone)]
pub struct AuthenticatedConsumerGroups(pub Arc<[Arc<ConsumerGroup>]>);

/// Set when an auth plugin let the request through anonymously.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anonymous;

/// Token scopes as a list: `scope` may be a JSON array or a space-separated string (JWT).
pub fn scopes_of(data: &Value) -> Arc<[String]> {
    match data.get("scope") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        _ => Arc::from(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scopes_from_array_or_string() {
        assert_eq!(&*scopes_of(&json!({"scope": ["a", "b"]})), ["a", "b"]);
        assert_eq!(&*scopes_of(&json!({"scope": "a  b"})), ["a", "b"]);
        assert!(scopes_of(&json!({})).is_empty());
    }
}
