//! Consumer groups (Kong Gateway 3.4+, `docs/kong.md#acl-and-consumer-authorization`): named
//! groups of consumers, and the memberships linking them. Both are core DAOs of the registry;
//! the Admin API's membership endpoints (`/consumer_groups/{g}/consumers`,
//! `/consumers/{c}/consumer_groups`) are in `admin::groups`.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::dao::{created_at_field, id_field, tags_field, Dao, Storage};
use crate::schema::{Field, Record};
use crate::store::State;

/// `consumer_groups`.
pub static CONSUMER_GROUPS: Dao = Dao {
    name: "consumer_groups",
    admin_name: "consumer_groups",
    entity_name: "consumer_group",
    schema: group_schema,
    endpoint_key: Some("name"),
    scoped_key: None,
    unique_together: &[],
    on_write: None,
    index: Some(|state| Arc::new(ConsumerGroups::build(state))),
    storage: Storage::Config,
    generic_admin: true,
    export: true,
};

/// `consumer_group_consumers`: one consumer's membership of one group.
pub static MEMBERSHIPS: Dao = Dao {
    name: "consumer_group_consumers",
    admin_name: "consumer_group_consumers",
    entity_name: "consumer_group_consumer",
    schema: membership_schema,
    endpoint_key: None,
    scoped_key: None,
    unique_together: &["consumer_group", "consumer"],
    on_write: None,
    index: None,
    storage: Storage::Config,
    generic_admin: false,
    export: true,
};

/// The core DAOs.
pub static DAOS: &[&Dao] = &[&CONSUMER_GROUPS, &MEMBERSHIPS];

/// Kong's `name` type: the only ASCII characters allowed are alphanumerics and `.-_~`.
pub fn name_chars(v: &Value) -> Result<(), String> {
    let s = v.as_str().unwrap_or_default();
    if s.chars()
        .any(|c| c.is_ascii() && !(c.is_ascii_alphanumeric() || "._-~".contains(c)))
    {
        return Err(format!(
            "invalid value '{s}': the only accepted ascii characters are alphanumerics or ., -, _, and ~"
        ));
    }
    Ok(())
}

fn group_schema() -> &'static Record {
    static SCHEMA: LazyLock<Record> = LazyLock::new(|| {
        Record::new()
            .field("id", id_field())
            .field("created_at", created_at_field())
            .field("updated_at", created_at_field())
            .field(
                "name",
                Field::string()
                    .required()
                    .unique()
                    .len_min(1)
                    .validator(name_chars),
            )
            .field("tags", tags_field())
    });
    &SCHEMA
}

fn membership_schema() -> &'static Record {
    static SCHEMA: LazyLock<Record> = LazyLock::new(|| {
        Record::new()
            .field("id", id_field())
            .field("created_at", created_at_field())
            .field(
                "consumer_group",
                Field::foreign("consumer_groups").required().cascade(),
            )
            .field("consumer", Field::foreign("consumers").required().cascade())
    });
    &SCHEMA
}

/// A consumer group as plugins see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsumerGroup {
    /// Primary key.
    pub id: Uuid,
    /// Unique name.
    pub name: String,
}

/// Consumer groups by name and id, and each consumer's groups (sorted by name, the order in
/// which Kong gives a consumer's groups precedence).
#[derive(Debug, Default)]
pub struct ConsumerGroups {
    by_name: HashMap<String, Arc<ConsumerGroup>>,
    by_id: HashMap<Uuid, Arc<ConsumerGroup>>,
    of_consumer: HashMap<Uuid, Arc<[Arc<ConsumerGroup>]>>,
}

fn fk(record: &serde_json::Map<String, Value>, field: &str) -> Option<Uuid> {
    record
        .get(field)?
        .get("id")?
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
}

impl ConsumerGroups {
    /// Indexes the groups and memberships of `state`.
    pub fn build(state: &State) -> ConsumerGroups {
        let mut index = ConsumerGroups::default();
        for g in state.records(&CONSUMER_GROUPS) {
            let (Some(id), Some(name)) = (
                g.get("id")
                    .and_then(Value::as_str)
                    .and_then(|s| Uuid::parse_str(s).ok()),
                g.get("name").and_then(Value::as_str),
            ) else {
                continue;
            };
            let group = Arc::new(ConsumerGroup {
                id,
                name: name.to_owned(),
            });
            index.by_name.insert(group.name.clone(), group.clone());
            index.by_id.insert(id, group);
        }
        let mut members: HashMap<Uuid, Vec<Arc<ConsumerGroup>>> = HashMap::new();
        for m in state.records(&MEMBERSHIPS) {
            let (Some(group), Some(consumer)) = (fk(m, "consumer_group"), fk(m, "consumer")) else {
                continue;
            };
            if let Some(group) = index.by_id.get(&group) {
                members.entry(consumer).or_default().push(group.clone());
            }
        }
        for (consumer, mut groups) in members {
            groups.sort_by(|a, b| a.name.cmp(&b.name));
            index.of_consumer.insert(consumer, groups.into());
        }
        index
    }

    /// The group named `name`.
    pub fn by_name(&self, name: &str) -> Option<&Arc<ConsumerGroup>> {
        self.by_name.get(name)
    }

    /// The group with primary key `id`.
    pub fn by_id(&self, id: Uuid) -> Option<&Arc<ConsumerGroup>> {
        self.by_id.get(&id)
    }

    /// The groups consumer `consumer` is a member of, sorted by name.
    pub fn of_consumer(&self, consumer: Uuid) -> Arc<[Arc<ConsumerGroup>]> {
        self.of_consumer
            .get(&consumer)
            .cloned()
            .unwrap_or_else(|| Arc::from(Vec::new()))
    }
}
