use std::time::Duration;

use http::{HeaderMap, Method};
use serde_json::{json, Map};

use super::*;
use crate::entities::{Consumer, Entities, Tables};
use crate::plugins::context::{Anonymous, AuthenticatedConsumerGroups};
use crate::store::{Kind, Scope};

fn env() -> PluginEnv {
    PluginEnv::new(Duration::from_secs(1), cookie::Key::generate())
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// A state with consumers `alex` (ACL groups gold, silver), `sam` (none), `kim` (consumer group
/// platinum only).
fn state() -> State {
    let mut s = State::default();
    let env = env();
    for name in ["alex", "sam", "kim"] {
        s.create(
            Kind::Consumers,
            obj(json!({ "username": name })),
            false,
            Scope::All,
            &env,
        )
        .unwrap();
    }
    for group in ["gold", "silver"] {
        let scope = s.scope(Kind::Consumers, "alex").unwrap();
        s.create(
            Kind::Dao(&ACLS),
            obj(json!({ "group": group })),
            false,
            scope,
            &env,
        )
        .unwrap();
    }
    let groups = Kind::Dao(&crate::entities::consumer_groups::CONSUMER_GROUPS);
    s.create(
        groups,
        obj(json!({"name": "platinum"})),
        false,
        Scope::All,
        &env,
    )
    .unwrap();
    s.create(
        Kind::Dao(&crate::entities::consumer_groups::MEMBERSHIPS),
        obj(json!({"consumer": "kim", "consumer_group": "platinum"})),
        false,
        Scope::All,
        &env,
    )
    .unwrap();
    s
}

fn request(state: &State, headers: HeaderMap) -> AccessRequest {
    AccessRequest::new(
        Method::GET,
        "/".into(),
        "/".into(),
        headers,
        axum::body::Body::empty(),
        "127.0.0.1:1".parse().unwrap(),
        false,
        Arc::new(Entities::build(state, Arc::new(Tables::new()))),
    )
}

fn consumer(state: &State, name: &str) -> AuthenticatedConsumer {
    let c: &Consumer = state
        .consumers
        .iter()
        .find(|c| c.username.as_deref() == Some(name))
        .unwrap();
    AuthenticatedConsumer(Arc::new(c.clone()))
}

fn acl(config: Value) -> Arc<dyn Plugin> {
    configure(&config, &env()).unwrap().plugin
}

/// Runs `plugin` for `who` (a consumer authenticated with a credential, or none) with optional
/// authenticated groups; the status (200 = passed) and the request after.
async fn run(
    plugin: &Arc<dyn Plugin>,
    who: Option<&str>,
    groups: Option<&[&str]>,
) -> (u16, AccessRequest) {
    let s = state();
    let mut headers = HeaderMap::new();
    headers.insert("x-consumer-groups", HeaderValue::from_static("forged"));
    let mut req = request(&s, headers);
    if let Some(name) = who {
        req.extensions_mut().insert(consumer(&s, name));
        req.extensions_mut().insert(AuthenticatedCredential {
            id: format!("{name}-client"),
        });
    }
    if let Some(g) = groups {
        let list: Vec<String> = g.iter().map(|x| (*x).to_owned()).collect();
        req.extensions_mut()
            .insert(AuthenticatedGroups(Arc::from(list)));
    }
    let status = match plugin.access(&mut req).await {
        Flow::Continue => 200,
        Flow::Respond(r) => {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            let expected = if r.status == StatusCode::FORBIDDEN {
                FORBIDDEN
            } else {
                UNAUTHORIZED
            };
            assert_eq!(body["message"], expected);
            r.status.as_u16()
        }
    };
    (status, req)
}

fn header<'a>(req: &'a AccessRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn allow_lets_members_through_and_shows_their_groups() {
    let p = acl(json!({"allow": ["gold"]}));
    let (status, req) = run(&p, Some("alex"), None).await;
    assert_eq!(status, 200);
    assert_eq!(header(&req, "x-consumer-groups"), Some("gold, silver"));
    let (status, _) = run(&p, Some("sam"), None).await;
    assert_eq!(
        status, 403,
        "a consumer without ACLs is not in the allow list"
    );
}

#[tokio::test]
async fn deny_refuses_members_only() {
    let p = acl(json!({"deny": ["silver"]}));
    assert_eq!(run(&p, Some("alex"), None).await.0, 403);
    let (status, req) = run(&p, Some("sam"), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&req, "x-consumer-groups"),
        None,
        "no groups, and the client's forged value is gone"
    );
}

#[tokio::test]
async fn nothing_to_judge_is_401_or_403_with_a_credential() {
    let p = acl(json!({"allow": ["gold"]}));
    assert_eq!(run(&p, None, None).await.0, 401);
    // A credential without a consumer (e.g. a client mapped to no consumer) is 403.
    let s = state();
    let mut req = request(&s, HeaderMap::new());
    req.extensions_mut()
        .insert(AuthenticatedCredential { id: "c".into() });
    match p.access(&mut req).await {
        Flow::Respond(r) => assert_eq!(r.status, StatusCode::FORBIDDEN),
        Flow::Continue => panic!("passed"),
    }
}

#[tokio::test]
async fn authenticated_groups_without_a_consumer() {
    let p = acl(json!({"deny": ["openid"]}));
    assert_eq!(run(&p, None, Some(&["openid", "email"])).await.0, 403);
    let p = acl(json!({"allow": ["openid"]}));
    let (status, req) = run(&p, None, Some(&["openid", "email", "profile"])).await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&req, "x-authenticated-groups"),
        Some("openid, email, profile")
    );
    assert_eq!(header(&req, "x-consumer-groups"), None);
    let p = acl(json!({"allow": ["openid"], "hide_groups_header": true}));
    let (status, req) = run(&p, None, Some(&["openid"])).await;
    assert_eq!(status, 200);
    assert_eq!(header(&req, "x-authenticated-groups"), None);
}

#[tokio::test]
async fn a_consumers_acls_win_unless_always_use_authenticated_groups() {
    let p = acl(json!({"allow": ["gold"]}));
    assert_eq!(run(&p, Some("alex"), Some(&["openid"])).await.0, 200);
    let p = acl(json!({"allow": ["gold"], "always_use_authenticated_groups": true}));
    assert_eq!(run(&p, Some("alex"), Some(&["openid"])).await.0, 403);
    assert_eq!(run(&p, Some("sam"), Some(&["gold"])).await.0, 200);
    // Without authenticated groups there is nothing to judge, even for a consumer.
    assert_eq!(run(&p, Some("alex"), None).await.0, 403);
}

#[tokio::test]
async fn an_anonymous_consumer_is_judged_by_authenticated_groups() {
    let p = acl(json!({"allow": ["openid"]}));
    let s = state();
    let mut req = request(&s, HeaderMap::new());
    req.extensions_mut().insert(consumer(&s, "sam"));
    req.extensions_mut().insert(Anonymous);
    req.extensions_mut()
        .insert(AuthenticatedGroups(Arc::from(vec!["openid".to_owned()])));
    assert!(matches!(p.access(&mut req).await, Flow::Continue));
    assert_eq!(header(&req, "x-authenticated-groups"), Some("openid"));
}

#[tokio::test]
async fn consumer_groups_count_only_when_included() {
    let p = acl(json!({"allow": ["platinum"]}));
    assert_eq!(run(&p, Some("kim"), None).await.0, 403);
    let p = acl(json!({"allow": ["platinum"], "include_consumer_groups": true}));
    let (status, req) = run(&p, Some("kim"), None).await;
    assert_eq!(status, 200);
    assert_eq!(header(&req, "x-consumer-groups"), Some("platinum"));
    // Groups an auth plugin mapped the request to replace the consumer's memberships.
    let s = state();
    let mut req = request(&s, HeaderMap::new());
    req.extensions_mut().insert(consumer(&s, "kim"));
    req.extensions_mut()
        .insert(AuthenticatedCredential { id: "kim".into() });
    req.extensions_mut()
        .insert(AuthenticatedConsumerGroups(Arc::from(Vec::new())));
    assert!(matches!(p.access(&mut req).await, Flow::Respond(_)));
}

#[test]
fn config_needs_exactly_one_list() {
    let messages = |config: Value| -> Vec<String> {
        match configure(&config, &env()) {
            Err(ConfigError::Invalid(e)) => e.into_iter().map(|e| e.message).collect(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        messages(json!({})),
        ["at least one of these fields must be non-empty: 'config.allow', 'config.deny'"]
    );
    assert_eq!(
        messages(json!({"allow": ["a"], "deny": ["b"]})),
        ["only one of these fields must be non-empty: 'config.allow', 'config.deny'"]
    );
    assert_eq!(
        messages(json!({"allow": [""]})),
        ["length must be at least 1"]
    );
    assert_eq!(
        messages(json!({"allow": "a", "bogus": 1})),
        ["unknown field"]
    );
    let ok = configure(&json!({"allow": "gold, silver"}), &env()).unwrap();
    assert_eq!(ok.config["allow"], json!(["gold", "silver"]));
    assert_eq!(ok.config["deny"], Value::Null);
    assert_eq!(ok.config["hide_groups_header"], false);
}
