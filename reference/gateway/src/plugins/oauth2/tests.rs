use std::time::Duration;

use serde_json::{json, Map};

use super::endpoint::requested_scope;
use super::params::Params;
use super::tokens::{Issue, TokenTable};
use super::*;
use crate::entities::dao::RuntimeTable;
use crate::store::{Kind, Scope, State};

fn env() -> PluginEnv {
    PluginEnv::new(Duration::from_secs(1), cookie::Key::generate())
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn config(v: Value) -> Config {
    let configured = configure(&v, &env()).unwrap();
    serde_json::from_value(configured.config).unwrap()
}

#[test]
fn defaults_are_kongs_and_the_provision_key_is_generated_once() {
    let c = configure(&json!({"enable_client_credentials": true}), &env()).unwrap();
    let cfg = &c.config;
    assert_eq!(cfg["token_expiration"], 7200);
    assert_eq!(cfg["refresh_token_ttl"], 1_209_600);
    assert_eq!(cfg["auth_header_name"], "authorization");
    assert_eq!(cfg["pkce"], "lax");
    for f in [
        "mandatory_scope",
        "hide_credentials",
        "global_credentials",
        "reuse_refresh_token",
        "persistent_refresh_token",
        "accept_http_if_already_terminated",
        "enable_password_grant",
    ] {
        assert_eq!(cfg[f], false, "{f}");
    }
    let key = cfg["provision_key"].as_str().unwrap().to_owned();
    assert_eq!(key.len(), 32);
    // Re-applying the effective config keeps the key.
    let again = configure(cfg, &env()).unwrap();
    assert_eq!(again.config["provision_key"], key.as_str());
    let given = configure(
        &json!({"enable_client_credentials": true, "provision_key": "k"}),
        &env(),
    )
    .unwrap();
    assert_eq!(given.config["provision_key"], "k");
}

#[test]
fn bad_configs_name_the_field() {
    let err = |v: Value| match configure(&v, &env()) {
        Err(e) => format!("{e:?}"),
        Ok(_) => panic!("accepted {v}"),
    };
    assert!(err(json!({})).contains("at least one of these fields must be true"));
    assert!(err(json!({"enable_password_grant": true, "pkce": "maybe"})).contains("pkce"));
    assert!(
        err(json!({"enable_password_grant": true, "token_expiration": -1}))
            .contains("token_expiration")
    );
    assert!(
        err(json!({"enable_password_grant": true, "refresh_token_ttl": 100_000_001}))
            .contains("refresh_token_ttl")
    );
    assert!(
        err(json!({"enable_password_grant": true, "mandatory_scope": true})).contains("scopes")
    );
    assert!(err(json!({"enable_password_grant": true, "nope": 1})).contains("nope"));
}

#[test]
fn scopes_follow_kongs_retrieve_scope() {
    let c = config(json!({"enable_password_grant": true, "scopes": ["a", "b"]}));
    let p = |v: Value| Params::from_map(obj(v));
    assert_eq!(
        requested_scope(&p(json!({"scope": "a  b"})), &c)
            .unwrap()
            .as_deref(),
        Some("a b")
    );
    assert_eq!(requested_scope(&p(json!({})), &c).unwrap(), None);
    assert_eq!(
        requested_scope(&p(json!({"scope": "c"})), &c)
            .unwrap_err()
            .description,
        "\"c\" is an invalid scope"
    );
    let open = config(json!({"enable_password_grant": true}));
    assert_eq!(
        requested_scope(&p(json!({"scope": "anything"})), &open).unwrap(),
        None,
        "no scopes configured: ignored"
    );
    let m =
        config(json!({"enable_password_grant": true, "scopes": ["a"], "mandatory_scope": true}));
    assert_eq!(
        requested_scope(&p(json!({})), &m).unwrap_err().error,
        "invalid_scope"
    );
}

#[test]
fn kong_oauth2_lookup_is_scoped_to_the_issuing_service_unless_global() {
    use crate::plugins::openid_connect::kong_oauth2::KongOAuth2Tokens;
    let table = TokenTable::default();
    let (own, other) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let issue_for = |service| {
        table.store().issue(
            Issue {
                service,
                credential: uuid::Uuid::new_v4(),
                consumer: uuid::Uuid::new_v4(),
                client_id: "c".into(),
                expires_in: 60,
                refresh_token: None,
                authenticated_userid: None,
                scope: None,
                keep_for: None,
            },
            1000,
        )
    };
    let scoped = issue_for(Some(own));
    let store = table.store();
    assert!(store
        .lookup(&scoped.access_token, Some(own), 1000)
        .is_some());
    assert!(store
        .lookup(&scoped.access_token, Some(other), 1000)
        .is_none());
    assert!(
        store.lookup(&scoped.access_token, None, 1000).is_none(),
        "a route without a service is not the token's service"
    );
    let global = issue_for(None);
    assert!(store
        .lookup(&global.access_token, Some(other), 1000)
        .is_some());
    assert!(store.lookup(&global.access_token, None, 1000).is_some());
}

fn issue(
    table: &TokenTable,
    expires_in: i64,
    keep_for: Option<i64>,
    now: i64,
) -> Arc<tokens::Token> {
    table.store().issue(
        Issue {
            service: None,
            credential: uuid::Uuid::new_v4(),
            consumer: uuid::Uuid::new_v4(),
            client_id: "c".into(),
            expires_in,
            refresh_token: Some(records::random_string()),
            authenticated_userid: Some("u".into()),
            scope: Some("a".into()),
            keep_for,
        },
        now,
    )
}

#[test]
fn store_expiry_and_kong_oauth2_lookup() {
    use crate::plugins::openid_connect::kong_oauth2::KongOAuth2Tokens;
    let table = TokenTable::default();
    let t = issue(&table, 60, Some(100), 1000);
    let store = table.store();
    let found = store.lookup(&t.access_token, None, 1060).unwrap();
    assert_eq!(found.client_id, "c");
    assert_eq!(found.scope.as_deref(), Some("a"));
    assert_eq!(found.authenticated_userid.as_deref(), Some("u"));
    assert_eq!(found.expires_at, Some(1060));
    assert_eq!(found.consumer_id, Some(t.consumer));
    assert!(
        store.lookup(&t.access_token, None, 1061).is_none(),
        "expired access token"
    );
    assert!(store
        .by_refresh_token(t.refresh_token.as_deref().unwrap(), 1099)
        .is_some());
    assert!(
        store
            .by_refresh_token(t.refresh_token.as_deref().unwrap(), 1100)
            .is_none(),
        "record gone"
    );
    assert!(store.lookup("other", None, 1000).is_none());
    let forever = issue(&table, 0, None, 1000);
    assert!(store
        .lookup(&forever.access_token, None, 1_000_000_000)
        .is_some());
    assert_eq!(forever.expires_at(), None);
    // The table through the Admin API view.
    assert!(table.get(&forever.access_token).is_some());
    assert!(table.get(&forever.id.to_string()).is_some());
    assert!(table.delete(&forever.id.to_string()));
    assert!(!table.delete(&forever.id.to_string()));
    assert!(table.kong_oauth2_tokens().is_some());
}

#[test]
fn credentials_hash_their_secret_and_tokens_follow_them() {
    let env = env();
    let mut s = State::default();
    s.create(
        Kind::Consumers,
        obj(json!({"username": "alex"})),
        false,
        Scope::All,
        &env,
    )
    .unwrap();
    let scope = s.scope(Kind::Consumers, "alex").unwrap();
    let hashed = s
        .create(Kind::Dao(&OAUTH2_CREDENTIALS),
                obj(json!({"name": "app", "client_id": "client", "client_secret": "secret", "hash_secret": true})),
                false, scope, &env)
        .unwrap();
    let stored = hashed["client_secret"].as_str().unwrap().to_owned();
    assert!(secret::is_hash(&stored));
    assert!(secret::verify("secret", &stored, true));
    let index = daos::Credentials::build(&s);
    let c = index.by_client_id("client").unwrap().clone();
    assert!(c.hash_secret);
    // A token of the credential survives unrelated changes and goes with the credential.
    let table = TokenTable::default();
    let t = table.store().issue(
        Issue {
            service: None,
            credential: c.id,
            consumer: c.consumer,
            client_id: "client".into(),
            expires_in: 60,
            refresh_token: None,
            authenticated_userid: None,
            scope: None,
            keep_for: None,
        },
        crate::entities::now(),
    );
    table.retain_referenced(&s);
    assert_eq!(table.list().len(), 1);
    s.delete(Kind::Consumers, "alex").unwrap();
    table.retain_referenced(&s);
    assert!(
        table.get(&t.access_token).is_none(),
        "cascaded with the consumer"
    );
}

#[test]
fn endpoints_are_recognised_at_the_end_of_any_route_path() {
    assert_eq!(endpoint_of("/anything/oauth2/token"), Some("/oauth2/token"));
    assert_eq!(endpoint_of("/oauth2/authorize"), Some("/oauth2/authorize"));
    assert_eq!(endpoint_of("/oauth2/token/x"), None);
    assert_eq!(endpoint_of("/anything"), None);
}

#[test]
fn provision_key_is_unique_among_oauth2_plugins() {
    let env = env();
    let mut s = State::default();
    // One plugin per service (two global ones would clash by name and scope).
    let mut services = Vec::new();
    for i in 0..6 {
        let created = s
            .create(
                Kind::Services,
                obj(json!({"name": format!("s{i}"), "url": "http://upstream.test"})),
                false,
                Scope::All,
                &env,
            )
            .unwrap();
        services.push(created["id"].as_str().unwrap().to_owned());
    }
    let on = |i: usize, config: Value| {
        obj(json!({"name": "oauth2", "service": {"id": services[i]}, "config": config}))
    };
    let plugin = |i: usize, key: &str| {
        on(
            i,
            json!({"enable_client_credentials": true, "provision_key": key}),
        )
    };
    let first = s
        .create(Kind::Plugins, plugin(0, "k1"), false, Scope::All, &env)
        .unwrap();
    // Kong's schema marks `provision_key` unique: a second plugin with it is refused...
    match s.create(Kind::Plugins, plugin(1, "k1"), false, Scope::All, &env) {
        Err(crate::error::AdminError::Unique { message, fields }) => {
            assert_eq!(
                message,
                r#"UNIQUE violation detected on '{config={provision_key="k1"}}'"#
            );
            assert_eq!(
                fields,
                json!({"config": {"provision_key": "already exists with value 'k1'"}})
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.plugins.len(), 1, "nothing applied");
    // ...another key is fine, and a plugin keeps its own key when it is updated.
    s.create(Kind::Plugins, plugin(1, "k2"), false, Scope::All, &env)
        .unwrap();
    let id = first["id"].as_str().unwrap();
    s.update(
        Kind::Plugins,
        id,
        obj(json!({"config": {"provision_key": "k1", "token_expiration": 60}})),
        false,
        &env,
    )
    .unwrap();
    assert!(matches!(
        s.update(
            Kind::Plugins,
            id,
            obj(json!({"config": {"provision_key": "k2"}})),
            false,
            &env
        ),
        Err(crate::error::AdminError::Unique { .. })
    ));
    // Generated keys never clash.
    for i in 2..6 {
        s.create(
            Kind::Plugins,
            on(i, json!({"enable_password_grant": true})),
            false,
            Scope::All,
            &env,
        )
        .unwrap();
    }
}

#[test]
fn a_refresh_token_kept_by_its_old_record_leads_to_the_newest() {
    use crate::plugins::openid_connect::kong_oauth2::KongOAuth2Tokens;
    // `persistent_refresh_token` keeps the used record and issues its successor with the same
    // refresh token: the refresh token must name the successor, and stay good when the older
    // record is dropped.
    let table = TokenTable::default();
    let store = table.store();
    let old = issue(&table, 60, Some(100), 1000);
    let rt = old.refresh_token.clone().unwrap();
    let new = store.issue(
        Issue {
            service: None,
            credential: old.credential,
            consumer: old.consumer,
            client_id: "c".into(),
            expires_in: 60,
            refresh_token: Some(rt.clone()),
            authenticated_userid: old.authenticated_userid.clone(),
            scope: old.scope.clone(),
            keep_for: Some(100),
        },
        1050,
    );
    assert_eq!(store.by_refresh_token(&rt, 1050).unwrap().id, new.id);
    assert!(
        store.lookup(&old.access_token, None, 1050).is_some(),
        "the old access token is kept until it expires"
    );
    // At 1100 the old record is dropped (purged by the next issue); the successor stays.
    issue(&table, 60, Some(100), 1100);
    assert!(table.get(&old.access_token).is_none());
    assert_eq!(store.by_refresh_token(&rt, 1100).unwrap().id, new.id);
}
