//! Kong's `acl` plugin (<https://docs.konghq.com/hub/kong-inc/acl/>,
//! `docs/kong.md#acl-and-consumer-authorization`): lets a request through only when its groups
//! are (`allow`) or are not (`deny`) in the configured list. The groups are the authenticated
//! consumer's ACL credentials (`/consumers/{c}/acls`, declarative `acls`, this plugin's DAO) and,
//! with `include_consumer_groups`, its consumer groups; or the groups an authentication plugin
//! authenticated the request with ([`AuthenticatedGroups`], e.g. openid-connect's
//! `authenticated_groups_claim`) when there is no consumer, the consumer is anonymous, or
//! `always_use_authenticated_groups` is on. The decision follows Kong's `acl/handler.lua`.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use futures::future::BoxFuture;
use http::{HeaderName, HeaderValue, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::context::{AuthenticatedConsumer, AuthenticatedCredential, AuthenticatedGroups};
use super::schema::ConfigError;
use super::{AccessRequest, Configured, Flow, Plugin, PluginEnv, PluginResponse};
use crate::entities::dao::{created_at_field, id_field, tags_field, Dao, Storage};
use crate::entities::records;
use crate::schema::{Check, Field, PluginSchema, Record};
use crate::store::State;

/// Plugin name in the Admin API.
pub const NAME: &str = "acl";
/// Kong's priority for `acl`: after every authentication plugin.
pub const PRIORITY: i32 = 950;

/// Kong's 403 body message.
pub const FORBIDDEN: &str = "You cannot consume this service";
/// Kong's 401 body message when nothing identifies the request.
pub const UNAUTHORIZED: &str = "Unauthorized";

/// The consumer's groups upstream.
pub static CONSUMER_GROUPS_HEADER: HeaderName = HeaderName::from_static("x-consumer-groups");
/// Authenticated groups upstream.
pub static AUTHENTICATED_GROUPS_HEADER: HeaderName =
    HeaderName::from_static("x-authenticated-groups");

/// The `acls` DAO: one consumer's membership of one ACL group.
pub static ACLS: Dao = Dao {
    name: "acls",
    admin_name: "acls",
    entity_name: "acl",
    schema: acl_schema,
    endpoint_key: None,
    scoped_key: Some("group"),
    unique_together: &["consumer", "group"],
    on_write: None,
    index: Some(|state| Arc::new(AclGroups::build(state))),
    storage: Storage::Config,
    generic_admin: true,
    export: true,
};

fn acl_schema() -> &'static Record {
    static SCHEMA: LazyLock<Record> = LazyLock::new(|| {
        Record::new()
            .field("id", id_field())
            .field("created_at", created_at_field())
            .field("consumer", Field::foreign("consumers").required().cascade())
            .field("group", Field::string().required().len_min(1))
            .field("tags", tags_field())
    });
    &SCHEMA
}

/// The config schema (Kong 3.x `acl`).
pub fn schema() -> &'static PluginSchema {
    static SCHEMA: LazyLock<PluginSchema> = LazyLock::new(|| {
        let groups = || Field::array(Field::string().len_min(1)).comma_separated();
        PluginSchema::new(
            Record::new()
                .field(
                    "allow",
                    groups().description("groups that may consume the service"),
                )
                .field(
                    "deny",
                    groups().description("groups that may not consume the service"),
                )
                .field("hide_groups_header", Field::boolean().default(false))
                .field(
                    "include_consumer_groups",
                    Field::boolean()
                        .default(false)
                        .description("a consumer's consumer groups count as its ACL groups"),
                )
                .field(
                    "always_use_authenticated_groups",
                    Field::boolean().default(false).description(
                        "judge the authenticated groups even when a consumer was authenticated",
                    ),
                ),
        )
        .check(Check::only_one_of(&["config.allow", "config.deny"]))
        .check(Check::at_least_one_of(&["config.allow", "config.deny"]))
    });
    &SCHEMA
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    allow: Option<Vec<String>>,
    deny: Option<Vec<String>>,
    hide_groups_header: bool,
    include_consumer_groups: bool,
    always_use_authenticated_groups: bool,
}

/// Every consumer's ACL groups, in the order they were added.
#[derive(Debug, Default)]
pub struct AclGroups {
    of_consumer: HashMap<Uuid, Vec<String>>,
}

impl AclGroups {
    /// Indexes the `acls` records of `state`.
    pub fn build(state: &State) -> AclGroups {
        let mut of_consumer: HashMap<Uuid, Vec<String>> = HashMap::new();
        for r in state.records(&ACLS) {
            if let (Some(c), Some(g)) = (
                records::fk_id(r, "consumer"),
                r.get("group").and_then(Value::as_str),
            ) {
                of_consumer.entry(c).or_default().push(g.to_owned());
            }
        }
        AclGroups { of_consumer }
    }

    /// The ACL groups of `consumer`.
    pub fn of(&self, consumer: Uuid) -> &[String] {
        self.of_consumer.get(&consumer).map_or(&[], Vec::as_slice)
    }
}

/// An `acl` instance.
#[derive(Debug)]
pub struct Acl {
    /// `true` for a deny list.
    deny: bool,
    groups: Vec<String>,
    config: Config,
}

/// Validates the config and builds an instance.
pub fn configure(config: &Value, _env: &PluginEnv) -> Result<Configured, ConfigError> {
    let (effective, config): (Value, Config) = schema().parse(config)?;
    let deny = config.deny.as_ref().is_some_and(|d| !d.is_empty());
    let groups = if deny {
        config.deny.clone()
    } else {
        config.allow.clone()
    }
    .unwrap_or_default();
    Ok(Configured {
        config: effective,
        plugin: Arc::new(Acl {
            deny,
            groups,
            config,
        }),
    })
}

/// Which groups a request is judged by, and the header that shows them upstream.
enum Judged {
    Consumer(Vec<String>),
    Authenticated(Arc<[String]>),
}

impl Acl {
    /// Kong's `get_to_be_blocked`: whether `groups` are refused.
    fn blocked(&self, groups: &[String]) -> bool {
        let in_group = groups.iter().any(|g| self.groups.contains(g));
        if self.deny {
            in_group
        } else {
            !in_group
        }
    }

    fn consumer_groups(&self, req: &AccessRequest, consumer: Uuid) -> Vec<String> {
        let mut groups: Vec<String> = req
            .entities()
            .index::<AclGroups>()
            .map(|i| i.of(consumer).to_vec())
            .unwrap_or_default();
        if self.config.include_consumer_groups {
            for g in req.consumer_groups().iter() {
                if !groups.contains(&g.name) {
                    groups.push(g.name.clone());
                }
            }
        }
        groups
    }

    fn decide(&self, req: &mut AccessRequest) -> Flow {
        let consumer = req
            .extensions()
            .get::<AuthenticatedConsumer>()
            .map(|c| c.0.id);
        let credential = req.extensions().get::<AuthenticatedCredential>().is_some();
        let authenticated = req.extensions().get::<AuthenticatedGroups>().cloned();
        let judged = match consumer {
            Some(_) if self.config.always_use_authenticated_groups => {
                authenticated.map(|g| Judged::Authenticated(g.0))
            }
            None => authenticated.map(|g| Judged::Authenticated(g.0)),
            // An anonymous consumer (no credential): authenticated groups override its ACLs.
            Some(_) if !credential && authenticated.is_some() => {
                authenticated.map(|g| Judged::Authenticated(g.0))
            }
            Some(id) => Some(Judged::Consumer(self.consumer_groups(req, id))),
        };
        let Some(judged) = judged else {
            return if credential {
                deny(StatusCode::FORBIDDEN, FORBIDDEN)
            } else {
                deny(StatusCode::UNAUTHORIZED, UNAUTHORIZED)
            };
        };
        let (groups, header): (&[String], &HeaderName) = match &judged {
            Judged::Consumer(g) => (g, &CONSUMER_GROUPS_HEADER),
            Judged::Authenticated(g) => (g, &AUTHENTICATED_GROUPS_HEADER),
        };
        if self.blocked(groups) {
            return deny(StatusCode::FORBIDDEN, FORBIDDEN);
        }
        // Only the gateway says which groups a request has: a client's own value never passes.
        let headers = req.headers_mut();
        headers.remove(&CONSUMER_GROUPS_HEADER);
        headers.remove(&AUTHENTICATED_GROUPS_HEADER);
        if !self.config.hide_groups_header && !groups.is_empty() {
            match HeaderValue::from_str(&groups.join(", ")) {
                Ok(v) => {
                    headers.insert(header.clone(), v);
                }
                Err(_) => tracing::warn!("acl: a group name is not a valid header value"),
            }
        }
        Flow::Continue
    }
}

fn deny(status: StatusCode, message: &str) -> Flow {
    Flow::Respond(PluginResponse::message(status, message))
}

impl Plugin for Acl {
    fn name(&self) -> &'static str {
        NAME
    }

    fn priority(&self) -> i32 {
        PRIORITY
    }

    fn access<'a>(&'a self, req: &'a mut AccessRequest) -> BoxFuture<'a, Flow> {
        Box::pin(async move { self.decide(req) })
    }
}

#[cfg(test)]
mod tests;
