//! Consumer group memberships (Kong Gateway's consumer group endpoints,
//! `docs/kong.md#admin-api-endpoints`): `/consumer_groups/{g}/consumers[/{c}]` and
//! `/consumers/{c}/consumer_groups[/{g}]`. Memberships are records of the core
//! `consumer_group_consumers` DAO; these endpoints answer in Kong's wrapped shapes
//! (`{"consumer_group": ..., "consumers": [...]}`) instead of the generic list format.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::entities::consumer_groups::{CONSUMER_GROUPS, MEMBERSHIPS};
use crate::entities::records;
use crate::error::AdminError;
use crate::gateway::Gateway;
use crate::store::{Kind, Scope, State};

const GROUPS: Kind = Kind::Dao(&CONSUMER_GROUPS);
const MEMBERS: Kind = Kind::Dao(&MEMBERSHIPS);

/// Which side of a membership the URL starts from.
#[derive(Clone, Copy)]
enum Side {
    /// `/consumer_groups/{g}/consumers`
    Group,
    /// `/consumers/{c}/consumer_groups`
    Consumer,
}

fn side(parent: &str, child: &str) -> Option<Side> {
    match (parent, child) {
        ("consumer_groups", "consumers") => Some(Side::Group),
        ("consumers", "consumer_groups") => Some(Side::Consumer),
        _ => None,
    }
}

fn memberships(state: &State) -> impl Iterator<Item = (Uuid, Uuid, Uuid)> + '_ {
    state.records(&MEMBERSHIPS).iter().filter_map(|m| {
        Some((
            records::id_of(m)?,
            records::fk_id(m, "consumer_group")?,
            records::fk_id(m, "consumer")?,
        ))
    })
}

fn consumers_of(state: &State, group: Uuid) -> Vec<Value> {
    memberships(state)
        .filter(|(_, g, _)| *g == group)
        .filter_map(|(_, _, c)| state.get(Kind::Consumers, &c.to_string()))
        .collect()
}

fn groups_of(state: &State, consumer: Uuid) -> Vec<Value> {
    memberships(state)
        .filter(|(_, _, c)| *c == consumer)
        .filter_map(|(_, g, _)| state.get(GROUPS, &g.to_string()))
        .collect()
}

fn owner(state: &State, side: Side, key: &str) -> Result<(Uuid, Value), AdminError> {
    let kind = match side {
        Side::Group => GROUPS,
        Side::Consumer => Kind::Consumers,
    };
    let id = state.id_of(kind, key).ok_or(AdminError::NotFound)?;
    let value = state.get(kind, key).ok_or(AdminError::NotFound)?;
    Ok((id, value))
}

fn listing(state: &State, side: Side, key: &str) -> Result<Value, AdminError> {
    let (id, _) = owner(state, side, key)?;
    Ok(match side {
        Side::Group => json!({ "consumers": consumers_of(state, id) }),
        Side::Consumer => json!({ "consumer_groups": groups_of(state, id) }),
    })
}

/// `GET /consumer_groups/{g}/consumers`, `GET /consumers/{c}/consumer_groups`.
pub(super) async fn list(
    gw: &Gateway,
    parent: &str,
    key: &str,
    child: &str,
) -> Option<Result<Response, AdminError>> {
    let side = side(parent, child)?;
    let answer = gw.read(|s| listing(s, side, key)).await;
    Some(answer.map(|v| Json(v).into_response()))
}

/// `GET /consumer_groups/{g}`: `{"consumer_group": ...}`, with its `consumers` when
/// `list_consumers=true`.
pub(super) async fn get_group(
    gw: &Gateway,
    segment: &str,
    key: &str,
    params: &HashMap<String, String>,
) -> Option<Result<Value, AdminError>> {
    if segment != "consumer_groups" {
        return None;
    }
    let with_consumers = params.get("list_consumers").map(String::as_str) == Some("true");
    Some(
        gw.read(|s| {
            let (id, group) = owner(s, Side::Group, key)?;
            let mut out = Map::new();
            out.insert("consumer_group".into(), group);
            if with_consumers {
                out.insert("consumers".into(), Value::Array(consumers_of(s, id)));
            }
            Ok(Value::Object(out))
        })
        .await,
    )
}

/// The members named in a body (`consumer` / `group`): one value or an array.
fn named(input: &Map<String, Value>, field: &'static str) -> Result<Vec<String>, AdminError> {
    let schema_error = |message: &str| {
        let mut fields = Map::new();
        fields.insert(field.into(), Value::String(message.into()));
        AdminError::Schema(fields)
    };
    let names = match input.get(field) {
        None | Some(Value::Null) => return Err(schema_error("required field missing")),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| schema_error("expected an array of strings"))?,
        // A form body's `consumer[]=a&consumer[]=b` arrives as an object of indexes.
        Some(Value::Object(map)) => map
            .values()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| schema_error("expected an array of strings"))?,
        Some(_) => return Err(schema_error("expected a string")),
    };
    if names.is_empty() {
        return Err(schema_error("required field missing"));
    }
    Ok(names)
}

/// `POST /consumer_groups/{g}/consumers {"consumer": ...}` and
/// `POST /consumers/{c}/consumer_groups {"group": ...}`: adds every named member in one write
/// (all or nothing), 201 with the owner and the added members.
pub(super) async fn add(
    gw: &Gateway,
    parent: &str,
    key: &str,
    child: &str,
    input: Map<String, Value>,
) -> Option<Result<Response, AdminError>> {
    let side = side(parent, child)?;
    let env = gw.env.clone();
    let answer = gw
        .write(|s| {
            let field = match side {
                Side::Group => "consumer",
                Side::Consumer => "group",
            };
            let names = named(&input, field)?;
            let (id, owner_value) = owner(s, side, key)?;
            let mut added = Vec::new();
            for name in names {
                let other_kind = match side {
                    Side::Group => Kind::Consumers,
                    Side::Consumer => GROUPS,
                };
                let other = s.id_of(other_kind, &name).ok_or(AdminError::ForeignKey {
                    field,
                    collection: other_kind.as_str(),
                    reference: format!("{{name=\"{name}\"}}"),
                })?;
                let (group, consumer) = match side {
                    Side::Group => (id, other),
                    Side::Consumer => (other, id),
                };
                let mut m = Map::new();
                m.insert("consumer_group".into(), json!({ "id": group }));
                m.insert("consumer".into(), json!({ "id": consumer }));
                s.create(MEMBERS, m, false, Scope::All, &env)?;
                if let Some(v) = s.get(other_kind, &other.to_string()) {
                    added.push(v);
                }
            }
            Ok(match side {
                Side::Group => json!({"consumer_group": owner_value, "consumers": added}),
                Side::Consumer => json!({"consumer": owner_value, "consumer_groups": added}),
            })
        })
        .await;
    Some(answer.map(|v| (StatusCode::CREATED, Json(v)).into_response()))
}

fn delete_memberships(
    s: &mut State,
    side: Side,
    key: &str,
    other: Option<&str>,
) -> Result<(), AdminError> {
    let (id, _) = owner(s, side, key)?;
    let other = match other {
        None => None,
        Some(k) => {
            let kind = match side {
                Side::Group => Kind::Consumers,
                Side::Consumer => GROUPS,
            };
            Some(s.id_of(kind, k).ok_or(AdminError::NotFound)?)
        }
    };
    let doomed: Vec<Uuid> = memberships(s)
        .filter(|(_, g, c)| {
            let (mine, theirs) = match side {
                Side::Group => (*g, *c),
                Side::Consumer => (*c, *g),
            };
            mine == id && other.is_none_or(|o| o == theirs)
        })
        .map(|(m, _, _)| m)
        .collect();
    if other.is_some() && doomed.is_empty() {
        return Err(AdminError::NotFound);
    }
    for m in doomed {
        s.delete(MEMBERS, &m.to_string())?;
    }
    Ok(())
}

/// `DELETE /consumer_groups/{g}/consumers` (all members), `DELETE /consumers/{c}/consumer_groups`
/// (all its groups).
pub(super) async fn remove_all(
    gw: &Gateway,
    parent: &str,
    key: &str,
    child: &str,
) -> Option<Result<StatusCode, AdminError>> {
    let side = side(parent, child)?;
    let answer = gw.write(|s| delete_memberships(s, side, key, None)).await;
    Some(answer.map(|()| StatusCode::NO_CONTENT))
}

/// `DELETE /consumer_groups/{g}/consumers/{c}`, `DELETE /consumers/{c}/consumer_groups/{g}`.
pub(super) async fn remove(
    gw: &Gateway,
    parent: &str,
    key: &str,
    child: &str,
    child_key: &str,
) -> Option<Result<StatusCode, AdminError>> {
    let side = side(parent, child)?;
    let answer = gw
        .write(|s| delete_memberships(s, side, key, Some(child_key)))
        .await;
    Some(answer.map(|()| StatusCode::NO_CONTENT))
}
