//! Kong's `openid-connect` cluster cache (`cluster_cache_strategy: redis`,
//! `cluster_cache_items`) against a private `redis-server`: two gateway instances sharing one
//! Redis and one `session_secret` serve each other's introspections and grant tokens without a
//! second call to the IdP (a wiremock counting its calls), never past an entry's lifetime on the
//! injectable clock; the tokens are not readable in Redis; a Redis that is down or never there
//! costs a call to the IdP, never a failed request.

mod common;

use common::jwt::*;
use common::openid_connect::*;
use common::redis_server::RedisServer;
use common::*;
use gatecheck_gateway::clock::{Clock, ManualClock};
use redis::AsyncCommands;
use serde_json::{json, Value};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A wiremock IdP: discovery, keys, an introspection endpoint answering `opaque-1` as active
/// until `exp` (once, when `once`; inactive afterwards and for anything else), and a password
/// grant (alex / doe) answering a JWT access token valid for an hour (returned too).
async fn idp(exp: i64, once: bool) -> (MockServer, String) {
    let server = mock_idp(&["token", "introspection"]).await;
    let base = server.uri();
    let active = Mock::given(method("POST"))
        .and(path("/introspect"))
        .and(body_string_contains("token=opaque-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "active": true, "scope": "openid", "exp": exp, "sub": "alex-sub", "client_id": "kong"
        })));
    if once {
        active.up_to_n_times(1).mount(&server).await;
    } else {
        active.mount(&server).await;
    }
    Mock::given(method("POST"))
        .and(path("/introspect"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"active": false})))
        .mount(&server)
        .await;
    let now = now();
    let access = sign(
        &keys().good,
        Some("k1"),
        &json!({"iss": base, "sub": "alex-sub", "aud": "kong", "exp": now + 3600, "iat": now,
                "client_id": "kong"}),
    );
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("password=doe"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": access, "expires_in": 3600, "token_type": "Bearer"
        })))
        .mount(&server)
        .await;
    (server, access)
}

/// A gateway running openid-connect with `config` on `clock`.
async fn gateway_on(
    idp: &MockServer,
    config: Value,
    clock: &ManualClock,
    up: &gatecheck_upstream::Handle,
) -> gatecheck_gateway::Handle {
    let defaults = json!({"auth_methods": ["introspection", "password"],
        "session_secret": "shared by every instance"});
    let cfg = merged(kong_client(&idp.uri(), 2000, &defaults), &config);
    gateway_on_clock(plugin_doc(&up.url(), cfg, &json!({})), clock).await
}

async fn get_as(gw: &gatecheck_gateway::Handle, authorization: &str) -> reqwest::Response {
    get(gw, "/anything", &[("authorization", authorization)]).await
}

fn shared(port: u16, items: Value) -> Value {
    // Kong's default timeouts (2 s): 500 ms let a loaded CI machine turn A's write or B's read
    // into a miss, and B then asked the IdP (seen once, in a_shared_entry_is_not_served_past_its_lifetime).
    json!({"cluster_cache_strategy": "redis", "cluster_cache_items": items,
           "cluster_cache_redis": {"host": "127.0.0.1", "port": port}})
}

async fn keys_of(server: &RedisServer, pattern: &str) -> Vec<String> {
    let mut redis = server.connection().await;
    redis.keys(pattern).await.unwrap()
}

#[tokio::test]
async fn a_second_instance_serves_the_first_ones_introspection_without_the_idp() {
    let Some(server) = RedisServer::start().await else {
        return;
    };
    let clock = ManualClock::default();
    let (idp, _) = idp(clock.now() + 300, false).await;
    let up = echo().await;
    let items = json!(["introspection"]);
    let a = gateway_on(&idp, shared(server.port, items.clone()), &clock, &up).await;
    let b = gateway_on(&idp, shared(server.port, items), &clock, &up).await;
    assert_eq!(get_as(&a, "Bearer opaque-1").await.status(), 200);
    assert_eq!(calls(&idp, "/introspect").await, 1);
    assert_eq!(get_as(&b, "Bearer opaque-1").await.status(), 200);
    assert_eq!(
        calls(&idp, "/introspect").await,
        1,
        "B used A's introspection"
    );

    // One entry, living no longer than the token, naming neither the token nor the subject.
    let keys = keys_of(&server, "openid-connect:introspection:*").await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    let mut redis = server.connection().await;
    let ttl: i64 = redis.ttl(&keys[0]).await.unwrap();
    assert!((1..=300).contains(&ttl), "{ttl}");
    let raw: String = redis.get(&keys[0]).await.unwrap();
    assert!(
        !raw.contains("opaque-1") && !raw.contains("alex-sub"),
        "{raw}"
    );

    // Without the shared level a third instance asks the IdP itself.
    let alone = gateway_on(&idp, json!({}), &clock, &up).await;
    assert_eq!(get_as(&alone, "Bearer opaque-1").await.status(), 200);
    assert_eq!(calls(&idp, "/introspect").await, 2);
}

#[tokio::test]
async fn a_shared_entry_is_not_served_past_its_lifetime() {
    let Some(server) = RedisServer::start().await else {
        return;
    };
    let clock = ManualClock::default();
    // Active for 60 s, then revoked: the IdP answers `active: false` from the second call on.
    let (idp, _) = idp(clock.now() + 60, true).await;
    let up = echo().await;
    let items = json!(["introspection"]);
    let a = gateway_on(&idp, shared(server.port, items.clone()), &clock, &up).await;
    assert_eq!(get_as(&a, "Bearer opaque-1").await.status(), 200);
    clock.advance(59);
    let b = gateway_on(&idp, shared(server.port, items.clone()), &clock, &up).await;
    assert_eq!(get_as(&b, "Bearer opaque-1").await.status(), 200);
    assert_eq!(calls(&idp, "/introspect").await, 1);
    // Redis (on real time) still holds the entry; on the gateway's clock it has expired.
    clock.advance(1);
    let c = gateway_on(&idp, shared(server.port, items), &clock, &up).await;
    assert_eq!(get_as(&c, "Bearer opaque-1").await.status(), 401);
    assert_eq!(calls(&idp, "/introspect").await, 2);
    assert_eq!(get_as(&b, "Bearer opaque-1").await.status(), 401);
}

#[tokio::test]
async fn grant_tokens_are_shared_only_as_the_tokens_item_and_stored_encrypted() {
    let Some(server) = RedisServer::start().await else {
        return;
    };
    let clock = ManualClock::default();
    let (idp, access) = idp(clock.now() + 300, false).await;
    let up = echo().await;

    // The default items share introspections only: B asks for its own tokens.
    let a = gateway_on(
        &idp,
        shared(server.port, json!(["introspection"])),
        &clock,
        &up,
    )
    .await;
    let b = gateway_on(
        &idp,
        shared(server.port, json!(["introspection"])),
        &clock,
        &up,
    )
    .await;
    assert_eq!(get_as(&a, ALEX).await.status(), 200);
    assert_eq!(get_as(&b, ALEX).await.status(), 200);
    assert_eq!(calls(&idp, "/token").await, 2);
    assert!(keys_of(&server, "openid-connect:tokens:*").await.is_empty());

    let items = json!(["introspection", "tokens"]);
    let a = gateway_on(&idp, shared(server.port, items.clone()), &clock, &up).await;
    let b = gateway_on(&idp, shared(server.port, items.clone()), &clock, &up).await;
    assert_eq!(get_as(&a, ALEX).await.status(), 200);
    assert_eq!(calls(&idp, "/token").await, 3);
    let r = get_as(&b, ALEX).await;
    assert_eq!(r.status(), 200);
    let upstream: Value = r.json().await.unwrap();
    assert_eq!(
        upstream["headers"]["authorization"],
        format!("Bearer {access}")
    );
    assert_eq!(calls(&idp, "/token").await, 3, "B used A's tokens");

    let keys = keys_of(&server, "openid-connect:tokens:*").await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    let mut redis = server.connection().await;
    let raw: String = redis.get(&keys[0]).await.unwrap();
    let payload = access.split('.').nth(1).unwrap();
    assert!(
        !raw.contains(payload) && !raw.contains("access_token") && !raw.contains("alex"),
        "{raw}"
    );
    assert!(serde_json::from_str::<Value>(&raw).is_err(), "{raw}");

    // An altered entry is never used: the next instance asks the IdP, and succeeds.
    let mut altered = raw.into_bytes();
    let i = altered.len() / 2;
    altered[i] = if altered[i] == b'A' { b'B' } else { b'A' };
    let _: () = redis
        .set(&keys[0], String::from_utf8(altered).unwrap())
        .await
        .unwrap();
    let c = gateway_on(&idp, shared(server.port, items), &clock, &up).await;
    assert_eq!(get_as(&c, ALEX).await.status(), 200);
    assert_eq!(calls(&idp, "/token").await, 4);
}

#[tokio::test]
async fn a_redis_that_goes_down_or_is_never_there_costs_a_call_to_the_idp_not_the_request() {
    let Some(mut server) = RedisServer::start().await else {
        return;
    };
    let clock = ManualClock::default();
    let (idp, _) = idp(clock.now() + 300, false).await;
    let up = echo().await;
    let items = json!(["introspection", "tokens"]);
    let a = gateway_on(&idp, shared(server.port, items.clone()), &clock, &up).await;
    assert_eq!(get_as(&a, "Bearer opaque-1").await.status(), 200);
    server.stop().await;
    let started = std::time::Instant::now();
    // A's own cache still answers; B, whose Redis is gone, asks the IdP.
    assert_eq!(get_as(&a, "Bearer opaque-1").await.status(), 200);
    let b = gateway_on(&idp, shared(server.port, items.clone()), &clock, &up).await;
    assert_eq!(get_as(&b, "Bearer opaque-1").await.status(), 200);
    assert_eq!(calls(&idp, "/introspect").await, 2);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // A port nothing listens on: configured fine, every request answered through the IdP.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = gateway_on(&idp, shared(port, items), &clock, &up).await;
    assert_eq!(get_as(&c, "Bearer opaque-1").await.status(), 200);
    assert_eq!(get_as(&c, "Bearer opaque-1").await.status(), 200);
    assert_eq!(calls(&idp, "/introspect").await, 3, "cached locally");
}

#[tokio::test]
async fn the_admin_api_refuses_bad_cluster_cache_fields_as_schema_violations() {
    let clock = ManualClock::default();
    let (idp, _) = idp(clock.now() + 300, false).await;
    let gw = gateway(gatecheck_gateway::Config::default()).await;
    for (extra, field) in [
        (
            json!({"cluster_cache_strategy": "memcached"}),
            "cluster_cache_strategy",
        ),
        (
            json!({"cluster_cache_items": ["userinfo"]}),
            "cluster_cache_items",
        ),
        (
            json!({"cluster_cache_strategy": "redis", "cluster_cache_redis": {"port": 0}}),
            "cluster_cache_redis",
        ),
    ] {
        let mut config = json!({"issuer": idp.uri(), "client_id": ["kong"]});
        config
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let r = client()
            .post(format!("{}/plugins", gw.admin_url()))
            .json(&json!({"name": "openid-connect", "config": config}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{extra}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["name"], "schema violation", "{body}");
        let named = &body["fields"]["config"][field];
        assert!(!named.is_null(), "{extra}: {body}");
    }
}
