//! The `claims` request parameter (OIDC Core §5.5): which individual claims the RP wants in
//! the ID token and at the UserInfo endpoint, beyond what its scopes release. Each entry is
//! `null` (voluntary) or `{essential, value, values}`. The OP releases a requested claim the
//! user has and the OP supports ([`crate::userinfo::claims_supported`]), whatever `value`/
//! `values` say (it never invents a value); `essential` changes nothing else, since the user's
//! consent covers the client, not single claims. Two requests change authentication: a `sub`
//! with a `value` must be the signed-in user's subject for this client (OIDC Core §5.5.1: only
//! a positive answer for that user), and `acr` `values` in the ID token member choose the
//! method when `acr_values` is absent. A request is kept per grant, so the token endpoint's
//! ID tokens and the UserInfo answers of that grant's access tokens honour it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::model::AuthContext;
use crate::server::AppState;

/// What is asked of one claim.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClaimSpec {
    /// `essential: true`.
    pub essential: bool,
    /// `value` (as a one-element list) or `values`.
    pub values: Option<Vec<Value>>,
}

/// A parsed `claims` parameter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClaimsRequest {
    /// Claims asked of the UserInfo endpoint.
    pub userinfo: BTreeMap<String, ClaimSpec>,
    /// Claims asked of the ID token.
    pub id_token: BTreeMap<String, ClaimSpec>,
}

fn member(name: &str, value: Option<&Value>) -> Result<BTreeMap<String, ClaimSpec>, String> {
    let Some(value) = value else {
        return Ok(BTreeMap::new());
    };
    let Value::Object(entries) = value else {
        return Err(format!("claims.{name} must be a JSON object"));
    };
    let mut out = BTreeMap::new();
    for (claim, spec) in entries {
        let parsed = match spec {
            Value::Null => ClaimSpec::default(),
            Value::Object(o) => {
                let essential = match o.get("essential") {
                    None | Some(Value::Null) => false,
                    Some(Value::Bool(b)) => *b,
                    Some(_) => {
                        return Err(format!("claims.{name}.{claim}.essential must be a boolean"))
                    }
                };
                let values = match (o.get("value"), o.get("values")) {
                    (Some(_), Some(_)) => {
                        return Err(format!("claims.{name}.{claim} has both value and values"))
                    }
                    (Some(v), None) => Some(vec![v.clone()]),
                    (None, Some(Value::Array(list))) => Some(list.clone()),
                    (None, Some(_)) => {
                        return Err(format!("claims.{name}.{claim}.values must be an array"))
                    }
                    (None, None) => None,
                };
                ClaimSpec { essential, values }
            }
            _ => {
                return Err(format!(
                    "claims.{name}.{claim} must be null or a JSON object"
                ))
            }
        };
        out.insert(claim.clone(), parsed);
    }
    Ok(out)
}

impl ClaimsRequest {
    /// Parses the parameter's JSON; other top-level members are ignored (OIDC Core §5.5).
    pub fn parse(text: &str) -> Result<Self, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|_| "claims is not valid JSON".to_owned())?;
        let Value::Object(top) = value else {
            return Err("claims must be a JSON object".into());
        };
        Ok(Self {
            userinfo: member("userinfo", top.get("userinfo"))?,
            id_token: member("id_token", top.get("id_token"))?,
        })
    }

    /// Whether nothing is requested.
    pub fn is_empty(&self) -> bool {
        self.userinfo.is_empty() && self.id_token.is_empty()
    }

    /// The `sub` the RP requires (a single `value`), from either member.
    pub fn required_sub(&self) -> Option<&str> {
        [&self.id_token, &self.userinfo]
            .into_iter()
            .filter_map(|m| m.get("sub"))
            .filter_map(|s| s.values.as_deref())
            .filter_map(|v| match v {
                [Value::String(one)] => Some(one.as_str()),
                _ => None,
            })
            .next()
    }

    /// The `acr` values asked of the ID token, in order.
    pub fn acr_values(&self) -> Vec<&str> {
        self.id_token
            .get("acr")
            .and_then(|s| s.values.as_deref())
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_str)
            .collect()
    }
}

/// The user's values of the claims named in `requested` (supported claims the user has; never
/// `sub`, which every answer sets itself).
pub fn released(
    state: &AppState,
    auth: &AuthContext,
    requested: &BTreeMap<String, ClaimSpec>,
) -> Map<String, Value> {
    let Some(user) = state.users.get(&auth.username) else {
        return Map::new();
    };
    let supported = crate::userinfo::claims_supported(&state.config.scopes);
    let mut out = Map::new();
    for name in requested.keys() {
        if name == "sub" || !supported.contains(name) {
            continue;
        }
        let value = match name.as_str() {
            "preferred_username" => user
                .claims
                .get(name)
                .cloned()
                .or_else(|| Some(Value::String(user.username.clone()))),
            _ => user.claims.get(name).cloned(),
        };
        if let Some(v) = value {
            out.insert(name.clone(), v);
        }
    }
    out
}

/// Remembers the request of a grant for as long as any of its tokens can be used.
pub fn remember(state: &AppState, grant_id: &str, request: &ClaimsRequest) {
    if request.is_empty() {
        return;
    }
    let l = &state.config.lifetimes;
    let until = state.now().saturating_add(
        l.refresh_token
            .max(l.access_token)
            .max(l.authorization_code),
    );
    state
        .storage
        .claim_requests
        .insert(grant_id, request.clone(), until);
}

/// The request of a grant, if it had one.
pub fn of_grant(state: &AppState, grant_id: &str) -> ClaimsRequest {
    state
        .storage
        .claim_requests
        .get(grant_id, state.now())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entries_are_null_or_objects_with_essential_value_values() {
        let r = ClaimsRequest::parse(
            &json!({
                "userinfo": {"name": {"essential": true}, "email": null},
                "id_token": {"sub": {"value": "u1"}, "acr": {"values": ["otp", "basic"]}},
                "other": 1
            })
            .to_string(),
        )
        .unwrap();
        assert!(r.userinfo["name"].essential);
        assert_eq!(r.userinfo["email"], ClaimSpec::default());
        assert_eq!(r.required_sub(), Some("u1"));
        assert_eq!(r.acr_values(), vec!["otp", "basic"]);
        for bad in [
            "not json",
            "[]",
            r#"{"userinfo": []}"#,
            r#"{"userinfo": {"name": 1}}"#,
            r#"{"userinfo": {"name": {"essential": "yes"}}}"#,
            r#"{"id_token": {"acr": {"values": "otp"}}}"#,
            r#"{"id_token": {"sub": {"value": "a", "values": ["b"]}}}"#,
        ] {
            assert!(ClaimsRequest::parse(bad).is_err(), "{bad}");
        }
        assert!(ClaimsRequest::parse("{}").unwrap().is_empty());
    }
}
