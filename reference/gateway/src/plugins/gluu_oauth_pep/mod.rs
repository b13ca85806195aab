//! `gluu-oauth-pep` (`docs/gluu-gateway.md#gluu-oauth-pep-and-gluu-uma-pep`,
//! `docs/differences.md#captures-in-the-decision-cache-key`): decides with `gatecheck-policy`
//! whether the token the auth plugin authenticated may access `(method, path)`. Grants are cached
//! per instance under everything the decision depends on: method, matched rule, path captures and
//! token scopes.

use std::sync::{Arc, LazyLock};

use futures::future::BoxFuture;
use gatecheck_policy::Expression;
use http::{Method, StatusCode};
use serde_json::Value;

use super::context::RequestToken;
use super::schema::{oxd_client, ConfigError};
use super::{AccessRequest, Configured, Flow, Plugin, PluginEnv, PluginResponse};
use crate::cache::ExpiringCache;
use crate::schema::{Field, PluginSchema, Record};

/// Plugin name in the Admin API.
pub const NAME: &str = "gluu-oauth-pep";
/// Kong priority (`docs/gluu-gateway.md#plugin-order-and-shared-context`).
pub const PRIORITY: i32 = 996;

const UNPROTECTED: &str = "Unprotected path/method are not allowed";
const NO_TOKEN_NO_PATH: &str = "Invalid request, no token and no protected path";
const MISSED_TOKEN: &str = "Missed OAuth token";
const NOT_AUTHORIZED: &str = "You are not authorized to access this resource";
/// A condition without `scope_expression` cannot be enforced; refused at config time.
pub const MISSING_SCOPE_EXPRESSION: &str =
    "Scope expression is missing from condition in expression";

/// Everything a decision depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DecisionKey {
    method: Method,
    /// [`gatecheck_policy::Match::rule`]: the cache belongs to one plugin instance, and so to
    /// one compiled expression.
    rule: usize,
    captures: Vec<String>,
    scopes: Arc<[String]>,
}

/// One configured `gluu-oauth-pep`.
pub struct OAuthPep {
    deny_by_default: bool,
    expression: Option<Expression>,
    /// Granted decisions, kept until 5 s before the token expires (as GG caches them).
    grants: ExpiringCache<DecisionKey, ()>,
}

impl std::fmt::Debug for OAuthPep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthPep")
            .field("deny_by_default", &self.deny_by_default)
            .finish_non_exhaustive()
    }
}

/// Parses `oauth_scope_expression` (JSON text or inline JSON) with GG's validation.
pub fn parse_expression(value: &Value) -> Result<Option<Expression>, String> {
    let expr = match value {
        Value::Null => return Ok(None),
        Value::String(text) if text.trim().is_empty() => return Ok(None),
        Value::String(text) => Expression::parse(text),
        other => Expression::from_value(other),
    }
    .map_err(|e| match &e.pointer {
        Some(p) if !p.is_empty() => format!("{} (at {p})", e.message),
        _ => e.message.clone(),
    })?;
    for (path, conditions) in expr.rules() {
        if !path.starts_with('/') {
            return Err(format!("Path must start with '/' in expression: {path}"));
        }
        if conditions.iter().any(|c| c.scope_expression().is_none()) {
            return Err(format!("{MISSING_SCOPE_EXPRESSION}: {path}"));
        }
    }
    Ok(Some(expr))
}

/// The config schema (`docs/gluu-gateway.md#pep-configuration`).
pub fn schema() -> &'static PluginSchema {
    static SCHEMA: LazyLock<PluginSchema> = LazyLock::new(|| {
        PluginSchema::new(
            oxd_client(Record::new())
                .field("deny_by_default", Field::boolean().default(true))
                .field(
                    "oauth_scope_expression",
                    Field::json().description(
                        "Gluu Gateway's path/method/scope expression (JSON, or JSON text)",
                    ),
                ),
        )
    });
    &SCHEMA
}

/// Validates the config (`docs/gluu-gateway.md#pep-configuration`) and builds an instance.
pub fn configure(config: &Value, env: &PluginEnv) -> Result<Configured, ConfigError> {
    let effective = schema().validate(config, false);
    let raw = match &effective {
        Ok(e) => e.get("oauth_scope_expression"),
        Err(_) => config.get("oauth_scope_expression"),
    }
    .cloned()
    .unwrap_or(Value::Null);
    let expression = parse_expression(&raw)
        .map_err(|message| ConfigError::field("oauth_scope_expression", message));
    let (effective, expression) = match (effective, expression) {
        (Ok(e), Ok(x)) => (e, x),
        (Err(a), Err(b)) => return Err(a.merge(b)),
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let deny_by_default = effective["deny_by_default"].as_bool().unwrap_or(true);
    Ok(Configured {
        config: effective,
        plugin: Arc::new(OAuthPep {
            deny_by_default,
            expression,
            grants: ExpiringCache::new(10_000, env.clock.clone()),
        }),
    })
}

fn deny(status: StatusCode, message: &str) -> Flow {
    Flow::Respond(PluginResponse::message(status, message))
}

impl OAuthPep {
    async fn run(&self, req: &mut AccessRequest) -> Flow {
        let token = req.extensions().get::<RequestToken>().cloned();
        let method = req.method().clone();
        let found = self
            .expression
            .as_ref()
            .and_then(|e| e.find(method.as_str(), req.path()));
        let Some(token) = token else {
            return match found {
                Some(_) => deny(StatusCode::UNAUTHORIZED, MISSED_TOKEN),
                None if !self.deny_by_default => Flow::Continue,
                None => deny(StatusCode::FORBIDDEN, NO_TOKEN_NO_PATH),
            };
        };
        let Some(rule) = found else {
            return if self.deny_by_default {
                deny(StatusCode::FORBIDDEN, UNPROTECTED)
            } else {
                Flow::Continue
            };
        };
        let key = DecisionKey {
            method,
            rule: rule.rule,
            captures: rule.captures.to_vec(),
            scopes: token.scopes.clone(),
        };
        if self.grants.get(&key).await.is_some() {
            return Flow::Continue;
        }
        let allowed = rule
            .condition
            .scope_expression()
            .is_some_and(|s| s.is_allowed(&token.scopes, &rule.captures));
        if !allowed {
            return deny(StatusCode::FORBIDDEN, NOT_AUTHORIZED);
        }
        if let Some(exp) = token.exp {
            self.grants.insert(key, (), exp.saturating_sub(5)).await;
        }
        Flow::Continue
    }
}

impl Plugin for OAuthPep {
    fn name(&self) -> &'static str {
        NAME
    }

    fn priority(&self) -> i32 {
        PRIORITY
    }

    fn access<'a>(&'a self, req: &'a mut AccessRequest) -> BoxFuture<'a, Flow> {
        Box::pin(self.run(req))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expression_validation_names_the_problem() {
        assert!(parse_expression(&Value::Null).unwrap().is_none());
        assert_eq!(
            parse_expression(&json!("[]")).unwrap_err(),
            "Empty expression not allowed"
        );
        assert!(parse_expression(&json!("[{"))
            .unwrap_err()
            .contains("Invalid JSON"));
        let no_scope = json!([{"path": "/a", "conditions": [{"httpMethods": ["GET"]}]}]);
        assert!(parse_expression(&no_scope)
            .unwrap_err()
            .starts_with(MISSING_SCOPE_EXPRESSION));
        let relative = json!([{"path": "a", "conditions": [{"httpMethods": ["GET"], "scope_expression": {"rule": true, "data": []}}]}]);
        assert!(parse_expression(&relative).is_err());
        let ok = json!([{"path": "/transactions/?", "conditions": [{"httpMethods": ["GET"],
            "scope_expression": {"rule": {"and": [{"var": 0}]}, "data": ["^transactions:(?<PC1>.+)$"]}}]}]);
        assert!(parse_expression(&Value::String(ok.to_string()))
            .unwrap()
            .is_some());
    }
}
