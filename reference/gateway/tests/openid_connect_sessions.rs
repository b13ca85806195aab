//! Kong's `openid-connect` sessions across gateway instances: `session_storage: redis` against a
//! private `redis-server` (two instances sharing `session_secret` and one Redis serve each
//! other's sessions, logout on one revokes the session on all; a Redis that goes away is no
//! session, never a panic), `reverify`, and the `Session-*` headers, on the injectable clock.

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

/// A wiremock IdP whose password grant (alex / doe) answers a JWT access token expiring at
/// `jwt_exp` that the token endpoint says lives `expires_in` seconds.
async fn idp(jwt_exp: i64, expires_in: i64) -> MockServer {
    idp_with(jwt_exp, expires_in, json!({})).await
}

/// [`idp`] with `extra` claims in the access token.
async fn idp_with(jwt_exp: i64, expires_in: i64, extra: Value) -> MockServer {
    let server = mock_idp(&["token"]).await;
    let base = server.uri();
    let mut claims = json!({"iss": base, "sub": "alex-sub", "aud": "kong", "exp": jwt_exp,
                        "iat": now(), "client_id": "kong"});
    claims
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let token = sign(&keys().good, Some("k1"), &claims);
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("password=doe"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": token, "expires_in": expires_in, "token_type": "Bearer"
        })))
        .mount(&server)
        .await;
    server
}

async fn token_calls(idp: &MockServer) -> usize {
    calls(idp, "/token").await
}

/// A gateway running openid-connect (password + session, logout on `/logout`) with `config`,
/// on `clock`.
async fn gateway_on(
    idp: &MockServer,
    config: Value,
    clock: &ManualClock,
    up: &gatecheck_upstream::Handle,
) -> gatecheck_gateway::Handle {
    let defaults = json!({"auth_methods": ["password", "session"],
        "session_secret": "shared by every instance",
        "logout_uri_suffix": "/logout", "logout_methods": ["POST"]});
    let cfg = merged(kong_client(&idp.uri(), 2000, &defaults), &config);
    gateway_on_clock(plugin_doc(&up.url(), cfg, &json!({})), clock).await
}

/// GET `/anything` through `gw` with `headers`.
async fn get_with(gw: &gatecheck_gateway::Handle, headers: &[(&str, &str)]) -> reqwest::Response {
    get(gw, "/anything", headers).await
}

fn redis_config(server: &RedisServer) -> Value {
    json!({"session_storage": "redis", "session_redis_host": "127.0.0.1",
           "session_redis_port": server.port, "session_redis_prefix": "gw",
           "session_redis_read_timeout": 500, "session_redis_send_timeout": 500,
           "session_redis_connect_timeout": 500})
}

#[tokio::test]
async fn two_instances_share_redis_sessions_and_logout_on_one_revokes_on_both() {
    let Some(server) = RedisServer::start().await else {
        return;
    };
    let clock = ManualClock::default();
    let idp = idp(clock.now() + 3600, 3600).await;
    let up = echo().await;
    let a = gateway_on(&idp, redis_config(&server), &clock, &up).await;
    let b = gateway_on(&idp, redis_config(&server), &clock, &up).await;

    // Login on A: the cookie carries only the sealed id; the record is in Redis under the
    // prefix, living as long as the session may (the idling timeout, 900 s).
    let r = get_with(&a, &[("authorization", ALEX)]).await;
    assert_eq!(r.status(), 200);
    let cookie = cookies(&r);
    assert!(
        cookie.starts_with("session=") && cookie.len() < 200,
        "{cookie}"
    );
    let mut redis = server.connection().await;
    let keys: Vec<String> = redis.keys("gw:*").await.unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let ttl: i64 = redis.ttl(&keys[0]).await.unwrap();
    assert!((890..=900).contains(&ttl), "TTL {ttl}");
    let record: String = redis.get(&keys[0]).await.unwrap();
    assert!(
        !record.contains("access_token") && !record.contains("refresh_token"),
        "the record is sealed, not plain JSON"
    );

    // B serves the session without asking the IdP.
    let h = upstream_headers(get_with(&b, &[("cookie", &cookie)]).await).await;
    assert!(h["authorization"]
        .as_str()
        .unwrap()
        .starts_with("Bearer ey"));
    assert_eq!(token_calls(&idp).await, 1);

    // Logout on A deletes the record; the replayed cookie is no session on B (nor on A).
    let r = client()
        .post(format!("{}/anything/logout", a.proxy_url()))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let keys: Vec<String> = redis.keys("gw:*").await.unwrap();
    assert!(keys.is_empty(), "{keys:?}");
    for gw in [&b, &a] {
        let r = get_with(gw, &[("cookie", &cookie)]).await;
        assert_eq!(r.status(), 401, "a logged-out session was accepted");
    }
}

#[tokio::test]
async fn a_redis_session_still_ends_on_the_gateway_clock_and_when_redis_goes_away() {
    let Some(mut server) = RedisServer::start().await else {
        return;
    };
    let clock = ManualClock::default();
    let idp = idp(clock.now() + 7200, 7200).await;
    let up = echo().await;
    let gw = gateway_on(&idp, redis_config(&server), &clock, &up).await;
    let cookie = cookies(&get_with(&gw, &[("authorization", ALEX)]).await);
    upstream_headers(get_with(&gw, &[("cookie", &cookie)]).await).await;
    // Past the idling timeout the record may still be in Redis, the session is over anyway.
    clock.advance(901);
    assert_eq!(get_with(&gw, &[("cookie", &cookie)]).await.status(), 401);

    let cookie = cookies(&get_with(&gw, &[("authorization", ALEX)]).await);
    upstream_headers(get_with(&gw, &[("cookie", &cookie)]).await).await;
    server.stop().await;
    // Redis down: the cookie is no session (Kong: the session cannot be opened), and a login
    // whose session cannot be stored is Kong's 500, each within the Redis timeouts.
    let started = std::time::Instant::now();
    let r = get_with(&gw, &[("cookie", &cookie)]).await;
    assert_eq!(r.status(), 401);
    let r = get_with(&gw, &[("authorization", ALEX)]).await;
    assert_eq!(r.status(), 500);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"message": "An unexpected error occurred"})
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_redis_that_is_not_there_is_refused_nowhere_and_never_a_panic() {
    // No redis-server needed: a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let clock = ManualClock::default();
    let idp = idp(clock.now() + 3600, 3600).await;
    let up = echo().await;
    let gw = gateway_on(
        &idp,
        json!({"session_storage": "redis", "session_redis_port": port,
               "session_redis_connect_timeout": 300}),
        &clock,
        &up,
    )
    .await;
    assert_eq!(
        get_with(&gw, &[("authorization", ALEX)]).await.status(),
        500
    );
    assert_eq!(
        get_with(&gw, &[("cookie", "session=not-a-sealed-id")])
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn reverify_checks_the_session_token_again_on_every_request() {
    // The IdP says the token lives an hour; the JWT itself expires in a minute.
    let clock = ManualClock::default();
    let idp = idp(clock.now() + 60, 3600).await;
    let up = echo().await;
    let lax = gateway_on(&idp, json!({}), &clock, &up).await;
    let strict = gateway_on(&idp, json!({"reverify": true}), &clock, &up).await;
    let cookie = cookies(&get_with(&lax, &[("authorization", ALEX)]).await);
    upstream_headers(get_with(&strict, &[("cookie", &cookie)]).await).await;
    clock.advance(120);
    // Without reverify the session's token is trusted as it was verified at login.
    upstream_headers(get_with(&lax, &[("cookie", &cookie)]).await).await;
    // With it, the expired JWT ends the session.
    assert_eq!(
        get_with(&strict, &[("cookie", &cookie)]).await.status(),
        401
    );
}

#[tokio::test]
async fn session_headers_go_upstream_and_downstream_and_client_copies_are_dropped() {
    let clock = ManualClock::default();
    let idp = idp(clock.now() + 3600, 3600).await;
    let up = echo().await;
    let gw = gateway_on(
        &idp,
        json!({"session_request_headers": ["id", "subject", "idling-timeout"],
               "session_response_headers": ["timeout", "audience", "rolling-timeout"],
               "session_idling_timeout": 600}),
        &clock,
        &up,
    )
    .await;
    let cookie = cookies(&get_with(&gw, &[("authorization", ALEX)]).await);
    clock.advance(100);
    let r = get_with(
        &gw,
        &[("cookie", &cookie), ("session-subject", "someone-else")],
    )
    .await;
    // This use restarted the idling timeout; the rolling one counts on since the login.
    assert_eq!(r.headers()["session-timeout"], "600");
    assert_eq!(r.headers()["session-rolling-timeout"], "3500");
    assert_eq!(r.headers()["session-audience"], "default");
    let h = upstream_headers(r).await;
    assert_eq!(h["session-subject"], "alex-sub");
    assert_eq!(h["session-idling-timeout"], "600");
    assert_eq!(h["session-id"].as_str().unwrap().len(), 32);
    // Without a session a client's copy does not reach the upstream either.
    let h = upstream_headers(
        get_with(
            &gw,
            &[("authorization", ALEX), ("session-subject", "someone-else")],
        )
        .await,
    )
    .await;
    assert_eq!(h["session-subject"], "alex-sub");
}

#[tokio::test]
async fn session_config_fields_are_validated() {
    let clock = ManualClock::default();
    let idp = idp(clock.now() + 3600, 3600).await;
    for (config, field) in [
        (json!({"session_storage": "memcached"}), "session_storage"),
        (json!({"session_redis_port": 70000}), "session_redis_port"),
        (json!({"session_bind": ["mac"]}), "session_bind"),
        (
            json!({"session_request_headers": ["Session-Id"]}),
            "session_request_headers",
        ),
        (
            json!({"session_remember_cookie_name": "a b"}),
            "session_remember_cookie_name",
        ),
        (
            json!({"session_redis_read_timeout": -1}),
            "session_redis_read_timeout",
        ),
    ] {
        let mut cfg = json!({"issuer": idp.uri(), "client_id": ["kong"]});
        cfg.as_object_mut()
            .unwrap()
            .extend(config.as_object().unwrap().clone());
        let err = gatecheck_gateway::plugins::openid_connect::Config::from_value(&cfg)
            .expect_err(&format!("{config} accepted"));
        assert!(format!("{err:?}").contains(field), "{config}: {err:?}");
    }
    let (_, effective) = gatecheck_gateway::plugins::openid_connect::Config::from_value(
        &json!({"issuer": idp.uri()}),
    )
    .unwrap();
    for (k, v) in [
        ("session_storage", json!("cookie")),
        ("session_redis_port", json!(6379)),
        ("session_remember", json!(false)),
        ("session_remember_cookie_name", json!("remember")),
        ("session_remember_rolling_timeout", json!(604_800)),
        ("session_remember_absolute_timeout", json!(2_592_000)),
        ("session_audience", json!("default")),
        ("reverify", json!(false)),
    ] {
        assert_eq!(effective[k], v, "{k}");
    }
}

#[tokio::test]
async fn a_session_too_big_for_one_cookie_travels_in_chunks() {
    let clock = ManualClock::default();
    // Many groups, as a Keycloak token often has.
    let groups: Vec<String> = (0..400).map(|i| format!("group-{i:04}")).collect();
    let idp = idp_with(clock.now() + 3600, 3600, json!({"groups": groups})).await;
    let up = echo().await;
    let gw = gateway_on(&idp, json!({}), &clock, &up).await;
    let r = get_with(&gw, &[("authorization", ALEX)]).await;
    let names: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split('=').next().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["session", "session_2", "session_3"]);
    let cookie = cookies(&r);
    let h = upstream_headers(get_with(&gw, &[("cookie", &cookie)]).await).await;
    assert!(h["authorization"].as_str().unwrap().len() > 5000);
    assert!(h.get("cookie").is_none(), "no chunk reaches the upstream");
    // Without its last chunk it is no session.
    let partial: Vec<&str> = cookie.split("; ").take(2).collect();
    let r = get_with(&gw, &[("cookie", &partial.join("; "))]).await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn remember_outlives_the_session_and_bind_refuses_another_browser() {
    let clock = ManualClock::default();
    let idp = idp(clock.now() + 30 * 86_400, 30 * 86_400).await;
    let up = echo().await;
    let gw = gateway_on(
        &idp,
        json!({"session_remember": true, "session_bind": ["user-agent"]}),
        &clock,
        &up,
    )
    .await;
    let r = get_with(&gw, &[("authorization", ALEX), ("user-agent", "browser/1")]).await;
    let cookie = cookies(&r);
    let remember = cookie
        .split("; ")
        .find(|c| c.starts_with("remember="))
        .expect("a remember cookie")
        .to_owned();
    // Another browser presenting the cookies has no session.
    let r = get_with(&gw, &[("cookie", &cookie), ("user-agent", "curl/8")]).await;
    assert_eq!(r.status(), 401);
    // A day later the session idled out and the browser kept only `remember`: a new session.
    clock.advance(86_400);
    let r = get_with(&gw, &[("cookie", &remember), ("user-agent", "browser/1")]).await;
    assert_eq!(r.status(), 200);
    let renewed = cookies(&r);
    assert!(
        renewed.contains("session=") && renewed.contains("remember="),
        "{renewed}"
    );
    assert_eq!(token_calls(&idp).await, 1, "no new login at the IdP");
}
