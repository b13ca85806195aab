use serde_json::json;

use super::*;
use crate::entities::consumer_groups::{CONSUMER_GROUPS, MEMBERSHIPS};

fn env() -> PluginEnv {
    PluginEnv::new(std::time::Duration::from_secs(1), cookie::Key::generate())
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

const GROUPS: Kind = Kind::Dao(&CONSUMER_GROUPS);
const MEMBERS: Kind = Kind::Dao(&MEMBERSHIPS);

fn with_member() -> (State, Uuid, Uuid) {
    let mut s = State::default();
    let env = env();
    let c = s
        .create(
            Kind::Consumers,
            obj(json!({"username": "alex"})),
            false,
            Scope::All,
            &env,
        )
        .unwrap();
    let g = s
        .create(
            GROUPS,
            obj(json!({"name": "gold"})),
            false,
            Scope::All,
            &env,
        )
        .unwrap();
    let (c, g) = (fk_of(&json!({"x": c}), "x"), fk_of(&json!({"x": g}), "x"));
    let (c, g) = (c.unwrap(), g.unwrap());
    s.create(
        MEMBERS,
        obj(json!({"consumer": {"id": c}, "consumer_group": "gold"})),
        false,
        Scope::All,
        &env,
    )
    .unwrap();
    (s, c, g)
}

#[test]
fn records_resolve_foreign_keys_by_name_and_store_ids() {
    let (s, c, g) = with_member();
    let m = &s.records(&MEMBERSHIPS)[0];
    assert_eq!(records::fk_id(m, "consumer"), Some(c));
    assert_eq!(records::fk_id(m, "consumer_group"), Some(g));
    assert!(m["created_at"].is_number());
}

#[test]
fn unique_together_and_missing_references_are_refused_whole() {
    let (mut s, c, _) = with_member();
    let again = s.create(
        MEMBERS,
        obj(json!({"consumer": {"id": c}, "consumer_group": "gold"})),
        false,
        Scope::All,
        &env(),
    );
    assert!(matches!(again, Err(AdminError::Unique { .. })), "{again:?}");
    let dangling = s.create(
        MEMBERS,
        obj(json!({"consumer": {"id": c}, "consumer_group": "platinum"})),
        false,
        Scope::All,
        &env(),
    );
    assert!(
        matches!(
            dangling,
            Err(AdminError::ForeignKey {
                field: "consumer_group",
                ..
            })
        ),
        "{dangling:?}"
    );
    let missing = s.create(
        MEMBERS,
        obj(json!({"consumer": {"id": c}})),
        false,
        Scope::All,
        &env(),
    );
    match missing {
        Err(AdminError::Schema(f)) => assert_eq!(f["consumer_group"], "required field missing"),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.records(&MEMBERSHIPS).len(), 1);
}

#[test]
fn deleting_either_side_cascades_to_memberships() {
    let (mut a, c, g) = with_member();
    let mut b = a.clone();
    a.delete(Kind::Consumers, &c.to_string()).unwrap();
    assert!(a.records(&MEMBERSHIPS).is_empty());
    assert_eq!(a.records(&CONSUMER_GROUPS).len(), 1);
    b.delete(GROUPS, &g.to_string()).unwrap();
    assert!(b.records(&MEMBERSHIPS).is_empty());
    assert_eq!(b.consumers.len(), 1);
}

#[test]
fn records_keep_id_and_creation_time_on_update() {
    let (mut s, _, g) = with_member();
    let before = s.get(GROUPS, "gold").unwrap();
    let after = s
        .update(
            GROUPS,
            "gold",
            obj(json!({"name": "platinum"})),
            false,
            &env(),
        )
        .unwrap();
    assert_eq!(after["id"], g.to_string());
    assert_eq!(after["created_at"], before["created_at"]);
    assert!(s.get(GROUPS, "platinum").is_some() && s.get(GROUPS, "gold").is_none());
    let bad = s.update(
        GROUPS,
        "platinum",
        obj(json!({"name": "a b"})),
        false,
        &env(),
    );
    assert!(matches!(bad, Err(AdminError::Schema(_))));
    assert!(s.get(GROUPS, "platinum").is_some());
}
