//! Kong's `oauth2` plugin through the proxy: credentials through the Admin API and
//! declaratively, `POST …/oauth2/token` over the TLS listener (client_credentials, password,
//! refresh_token) with Kong's error bodies, tokens on proxied requests (header, query, body),
//! expiry on the injectable clock, service scoping, anonymous, acl after it, and the same
//! tokens through openid-connect's `kong_oauth2` method.

mod common;

use std::sync::Arc;

use axum::body::Body;
use common::*;
use gatecheck_gateway::clock::{Clock, ManualClock};
use gatecheck_gateway::tls;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PROVISION: &str = "provision-key-1";

struct Stack {
    gw: gatecheck_gateway::Handle,
    _up: gatecheck_upstream::Handle,
    clock: ManualClock,
    https: tls::Client,
}

struct Answer {
    status: u16,
    headers: http::HeaderMap,
    body: Value,
}

impl Stack {
    async fn start(doc: Value) -> Stack {
        Self::start_with(doc, vec![]).await
    }

    async fn start_with(doc: Value, trusted: Vec<String>) -> Stack {
        let up = echo().await;
        let doc =
            serde_json::from_str::<Value>(&doc.to_string().replace("UPSTREAM", &up.url())).unwrap();
        let clock = ManualClock::default();
        let gw = gatecheck_gateway::start_with_clock(
            gatecheck_gateway::Config {
                declarative_config_string: Some(doc),
                proxy_listen_ssl: Some("127.0.0.1:0".parse().unwrap()),
                trusted_ips: trusted,
                ..Default::default()
            },
            listener().await,
            listener().await,
            Arc::new(clock.clone()),
        )
        .await
        .unwrap();
        let https = tls::Client::trusting(gw.proxy_ssl_certificate().unwrap()).unwrap();
        Stack {
            gw,
            _up: up,
            clock,
            https,
        }
    }

    async fn send(
        &self,
        secure: bool,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, String)>,
    ) -> Answer {
        let base = if secure {
            self.gw.proxy_ssl_url().unwrap()
        } else {
            self.gw.proxy_url()
        };
        let mut req = http::Request::builder()
            .method(method)
            .uri(format!("{base}{path}"));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let body = match body {
            Some((ct, b)) => {
                req = req.header("content-type", ct);
                Body::from(b)
            }
            None => Body::empty(),
        };
        let mut req = req.body(body).unwrap();
        if !secure {
            // The plain listener through reqwest: the same request, without TLS.
            let (parts, body) = req.into_parts();
            let bytes = http_body_util::BodyExt::collect(body)
                .await
                .unwrap()
                .to_bytes();
            let mut r = client().request(parts.method, parts.uri.to_string());
            for (k, v) in &parts.headers {
                r = r.header(k, v);
            }
            let resp = r.body(bytes).send().await.unwrap();
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let text = resp.text().await.unwrap();
            return Answer {
                status,
                headers,
                body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
            };
        }
        req.headers_mut().remove("x-none");
        let resp = self.https.send(req).await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = serde_json::from_slice(resp.body())
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(resp.body()).into()));
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn token(&self, path: &str, body: Value) -> Answer {
        self.send(
            true,
            "POST",
            path,
            &[],
            Some(("application/json", body.to_string())),
        )
        .await
    }

    async fn get(&self, path: &str, token: &str) -> Answer {
        let auth = format!("Bearer {token}");
        self.send(true, "GET", path, &[("authorization", &auth)], None)
            .await
    }
}

fn oauth2_doc(config: Value) -> Value {
    let mut cfg = json!({"provision_key": PROVISION, "enable_client_credentials": true,
                         "enable_password_grant": true});
    cfg.as_object_mut()
        .unwrap()
        .extend(config.as_object().unwrap().clone());
    // `provision_key` is unique across oauth2 plugins.
    let mut other = cfg.clone();
    other["provision_key"] = json!("provision-key-2");
    json!({
        "_format_version": "3.0",
        "services": [
            {"name": "example-service", "url": "UPSTREAM/anything",
             "routes": [{"name": "example-route", "paths": ["/anything"],
                         "plugins": [{"name": "oauth2", "config": cfg}]}]},
            {"name": "other-service", "url": "UPSTREAM/anything",
             "routes": [{"name": "other-route", "paths": ["/other"],
                         "plugins": [{"name": "oauth2", "config": other}]}]}
        ],
        "consumers": [
            {"username": "alex", "custom_id": "alex-custom",
             "oauth2_credentials": [
                 {"name": "oauth2-app", "client_id": "client", "client_secret": "secret",
                  "hash_secret": true, "redirect_uris": ["https://app.example/cb"]}]},
            {"username": "sam",
             "oauth2_credentials": [
                 {"name": "plain-app", "client_id": "plain", "client_secret": "plain-secret"}]},
            {"username": "guest"}
        ]
    })
}

fn cc(client: &str, secret: &str) -> Value {
    json!({"client_id": client, "client_secret": secret, "grant_type": "client_credentials"})
}

fn error(a: &Answer, status: u16, error: &str, description: &str) {
    assert_eq!(a.status, status, "{}", a.body);
    assert_eq!(
        a.body,
        json!({"error": error, "error_description": description})
    );
}

#[tokio::test]
async fn client_credentials_over_tls_then_the_token_reaches_the_upstream_with_the_consumer() {
    let s = Stack::start(oauth2_doc(json!({}))).await;
    let a = s
        .token("/anything/oauth2/token", cc("client", "secret"))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.headers["cache-control"], "no-store");
    assert_eq!(a.headers["pragma"], "no-cache");
    assert_eq!(a.body["token_type"], "bearer");
    assert_eq!(a.body["expires_in"], 7200);
    assert!(
        a.body.get("refresh_token").is_none(),
        "client_credentials issues no refresh token"
    );
    let token = a.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 32);

    let a = s
        .send(
            true,
            "GET",
            "/anything",
            &[
                ("authorization", &format!("Bearer {token}")),
                ("x-consumer-username", "mallory"),
                ("x-authenticated-userid", "mallory"),
                ("x-anonymous-consumer", "true"),
            ],
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let h = &a.body["headers"];
    assert_eq!(h["x-consumer-username"], "alex");
    assert_eq!(h["x-consumer-custom-id"], "alex-custom");
    assert!(h["x-consumer-id"].as_str().unwrap().len() == 36);
    assert_eq!(h["x-credential-identifier"], "client");
    assert_eq!(h["x-forwarded-proto"], "https");
    assert!(
        h.get("x-authenticated-userid").is_none(),
        "client copy removed: {h}"
    );
    assert!(h.get("x-authenticated-scope").is_none());
    assert!(h.get("x-anonymous-consumer").is_none());
    assert_eq!(
        h["authorization"],
        format!("Bearer {token}"),
        "hide_credentials off"
    );

    // The Admin API lists the token, with its credential and service.
    let list: Value = client()
        .get(format!("{}/oauth2_tokens", s.gw.admin_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{list}");
    assert_eq!(data[0]["access_token"], token);
    assert!(data[0]["service"]["id"].is_string(), "not global: {list}");
}

#[tokio::test]
async fn token_expires_on_the_clock() {
    let s = Stack::start(oauth2_doc(json!({"token_expiration": 60}))).await;
    let a = s
        .token("/anything/oauth2/token", cc("plain", "plain-secret"))
        .await;
    assert_eq!(a.body["expires_in"], 60);
    let token = a.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(s.get("/anything", &token).await.status, 200);
    s.clock.advance(60);
    assert_eq!(
        s.get("/anything", &token).await.status,
        200,
        "valid for expires_in seconds"
    );
    s.clock.advance(1);
    let a = s.get("/anything", &token).await;
    error(
        &a,
        401,
        "invalid_token",
        "The access token is invalid or has expired",
    );
    assert_eq!(
        a.headers["www-authenticate"],
        "Bearer realm=\"service\" error=\"invalid_token\" error_description=\"The access token is invalid or has expired\""
    );
}

#[tokio::test]
async fn missing_and_unknown_tokens_get_kongs_401() {
    let s = Stack::start(oauth2_doc(json!({"realm": "kong"}))).await;
    let a = s.send(true, "GET", "/anything", &[], None).await;
    error(&a, 401, "invalid_request", "The access token is missing");
    assert_eq!(a.headers["www-authenticate"], "Bearer realm=\"kong\"");
    let a = s.get("/anything", "nope").await;
    error(
        &a,
        401,
        "invalid_token",
        "The access token is invalid or has expired",
    );
    // Another scheme in the header is looked up whole, and so is never a token.
    let a = s
        .send(
            true,
            "GET",
            "/anything",
            &[("authorization", "Basic Y2xpZW50OnNlY3JldA==")],
            None,
        )
        .await;
    assert_eq!(a.status, 401);
}

#[tokio::test]
async fn token_is_scoped_to_its_service_without_global_credentials() {
    let s = Stack::start(oauth2_doc(json!({}))).await;
    let a = s
        .token("/anything/oauth2/token", cc("client", "secret"))
        .await;
    let token = a.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(s.get("/anything", &token).await.status, 200);
    let a = s.get("/other", &token).await;
    error(
        &a,
        401,
        "invalid_token",
        "The access token is invalid or has expired",
    );

    // A global token is refused by a plugin without global_credentials, with Kong's reason.
    let g = Stack::start(oauth2_doc(json!({"global_credentials": true}))).await;
    let a = g
        .token("/anything/oauth2/token", cc("client", "secret"))
        .await;
    let global = a.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        g.get("/other", &global).await.status,
        200,
        "global: any service"
    );
    let mut doc = oauth2_doc(json!({}));
    doc["services"][1]["routes"][0]["plugins"][0]["config"]["global_credentials"] = json!(false);
    doc["services"][0]["routes"][0]["plugins"][0]["config"]["global_credentials"] = json!(true);
    let m = Stack::start(doc).await;
    let a = m
        .token("/anything/oauth2/token", cc("client", "secret"))
        .await;
    let global = a.body["access_token"].as_str().unwrap().to_owned();
    let a = m.get("/other", &global).await;
    error(
        &a,
        401,
        "invalid_token",
        "The access token is global, but the current plugin is configured without 'global_credentials'",
    );
}

#[tokio::test]
async fn token_endpoint_errors_are_kongs() {
    let s = Stack::start(oauth2_doc(
        json!({"scopes": ["email", "profile"], "mandatory_scope": true}),
    ))
    .await;
    let t = "/anything/oauth2/token";
    // Wrong secret, hashed and plain; unknown client.
    error(
        &s.token(t, cc("client", "wrong")).await,
        400,
        "invalid_client",
        "Invalid client authentication",
    );
    error(
        &s.token(t, cc("plain", "wrong")).await,
        400,
        "invalid_client",
        "Invalid client authentication",
    );
    error(
        &s.token(t, cc("nobody", "secret")).await,
        400,
        "invalid_client",
        "Invalid client authentication",
    );
    // Credentials in HTTP Basic: a wrong one is a 401 with a Basic challenge.
    let a = s
        .send(
            true,
            "POST",
            t,
            &[("authorization", "Basic Y2xpZW50Ondyb25n")],
            Some((
                "application/x-www-form-urlencoded",
                "grant_type=client_credentials&scope=email".into(),
            )),
        )
        .await;
    error(&a, 401, "invalid_client", "Invalid client authentication");
    assert_eq!(a.headers["www-authenticate"], "Basic realm=\"OAuth2.0\"");
    let a = s
        .send(
            true,
            "POST",
            t,
            &[("authorization", "Basic Y2xpZW50OnNlY3JldA==")],
            Some((
                "application/x-www-form-urlencoded",
                "grant_type=client_credentials&scope=email".into(),
            )),
        )
        .await;
    assert_eq!(a.status, 200, "Basic credentials accepted: {}", a.body);
    // Grant types.
    let mut b = cc("client", "secret");
    b["grant_type"] = json!("implicit");
    error(
        &s.token(t, b).await,
        400,
        "unsupported_grant_type",
        "Invalid grant_type",
    );
    error(
        &s.token(t, json!({"client_id": "client", "client_secret": "secret"}))
            .await,
        400,
        "unsupported_grant_type",
        "Invalid grant_type",
    );
    // An unknown grant with an unknown client: the later finding (client) wins, as in Kong.
    error(
        &s.token(
            t,
            json!({"client_id": "x", "client_secret": "y", "grant_type": "nope"}),
        )
        .await,
        400,
        "invalid_client",
        "Invalid client authentication",
    );
    // Scopes.
    error(
        &s.token(t, cc("client", "secret")).await,
        400,
        "invalid_scope",
        "You must specify a scope",
    );
    let mut b = cc("client", "secret");
    b["scope"] = json!("email admin");
    error(
        &s.token(t, b).await,
        400,
        "invalid_scope",
        "\"admin\" is an invalid scope",
    );
    let mut b = cc("client", "secret");
    b["scope"] = json!(["email"]);
    error(
        &s.token(t, b).await,
        400,
        "invalid_scope",
        "scope must be a string",
    );
    // client_credentials with authenticated_userid needs the provision key.
    let mut b = cc("client", "secret");
    b["scope"] = json!("email");
    b["authenticated_userid"] = json!("u1");
    error(
        &s.token(t, b.clone()).await,
        400,
        "invalid_provision_key",
        "Invalid provision_key",
    );
    b["provision_key"] = json!(PROVISION);
    let a = s.token(t, b).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let h = &s
        .get("/anything", a.body["access_token"].as_str().unwrap())
        .await
        .body["headers"];
    assert_eq!(h["x-authenticated-scope"], "email");
    assert_eq!(h["x-authenticated-userid"], "u1");
    // A redirect_uri must be a registered one (grants other than client_credentials).
    let a = s
        .token(
            t,
            json!({"client_id": "client", "client_secret": "secret", "grant_type": "password",
                         "provision_key": PROVISION, "authenticated_userid": "u1", "scope": "email",
                         "redirect_uri": "https://evil.example/cb"}),
        )
        .await;
    error(
        &a,
        400,
        "invalid_request",
        "Invalid redirect_uri that does not match with any redirect_uri created with the application",
    );
    // state comes back, errors included.
    let mut b = cc("client", "wrong");
    b["state"] = json!("xyz");
    let a = s.token(t, b).await;
    assert_eq!(a.body["state"], "xyz");
}

#[tokio::test]
async fn password_grant_and_refresh() {
    let s = Stack::start(oauth2_doc(json!({}))).await;
    let t = "/anything/oauth2/token";
    let pw = |key: &str, user: Option<&str>| {
        let mut b = json!({"client_id": "client", "client_secret": "secret", "grant_type": "password",
                           "provision_key": key});
        if let Some(u) = user {
            b["authenticated_userid"] = json!(u);
        }
        b
    };
    error(
        &s.token(t, pw("wrong", Some("alex-1"))).await,
        400,
        "invalid_provision_key",
        "Invalid provision_key",
    );
    error(
        &s.token(t, pw(PROVISION, None)).await,
        400,
        "invalid_authenticated_userid",
        "Missing authenticated_userid parameter",
    );
    error(
        &s.token(t, pw(PROVISION, Some("  "))).await,
        400,
        "invalid_authenticated_userid",
        "Missing authenticated_userid parameter",
    );
    let a = s.token(t, pw(PROVISION, Some("alex-1"))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let first = a.body["access_token"].as_str().unwrap().to_owned();
    let refresh = a.body["refresh_token"].as_str().unwrap().to_owned();
    let h = &s.get("/anything", &first).await.body["headers"];
    assert_eq!(h["x-authenticated-userid"], "alex-1");

    // Another client cannot use the refresh token; an unknown one is invalid_request.
    let r = |client: &str, secret: &str, token: &str| {
        json!({"client_id": client, "client_secret": secret, "grant_type": "refresh_token",
               "refresh_token": token})
    };
    error(
        &s.token(t, r("plain", "plain-secret", &refresh)).await,
        400,
        "invalid_client",
        "Invalid client authentication",
    );
    error(
        &s.token(t, r("client", "secret", "nope")).await,
        400,
        "invalid_request",
        "Invalid refresh_token",
    );
    let a = s.token(t, r("client", "secret", &refresh)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let second = a.body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(a.body["refresh_token"], refresh, "a new refresh token");
    assert_eq!(
        s.get("/anything", &first).await.status,
        401,
        "the refreshed token is gone"
    );
    let h = &s.get("/anything", &second).await.body["headers"];
    assert_eq!(
        h["x-authenticated-userid"], "alex-1",
        "kept across the refresh"
    );
    error(
        &s.token(t, r("client", "secret", &refresh)).await,
        400,
        "invalid_request",
        "Invalid refresh_token",
    );

    // refresh_token_ttl: the record (and its refresh token) is dropped after it.
    let s = Stack::start(oauth2_doc(
        json!({"refresh_token_ttl": 100, "reuse_refresh_token": true}),
    ))
    .await;
    let a = s.token(t, pw(PROVISION, Some("alex-1"))).await;
    let refresh = a.body["refresh_token"].as_str().unwrap().to_owned();
    let a = s.token(t, r("client", "secret", &refresh)).await;
    assert_eq!(a.body["refresh_token"], refresh, "reuse_refresh_token");
    s.clock.advance(100);
    error(
        &s.token(t, r("client", "secret", &refresh)).await,
        400,
        "invalid_request",
        "Invalid refresh_token",
    );
}

#[tokio::test]
async fn plain_http_is_refused_unless_a_trusted_proxy_terminated_tls() {
    let s = Stack::start(oauth2_doc(
        json!({"accept_http_if_already_terminated": true}),
    ))
    .await;
    let body = Some(("application/json", cc("client", "secret").to_string()));
    let a = s
        .send(
            false,
            "POST",
            "/anything/oauth2/token",
            &[("x-forwarded-proto", "https")],
            body.clone(),
        )
        .await;
    error(&a, 400, "access_denied", "You must use HTTPS");

    let s = Stack::start_with(
        oauth2_doc(json!({"accept_http_if_already_terminated": true})),
        vec!["127.0.0.0/8".into()],
    )
    .await;
    let a = s
        .send(false, "POST", "/anything/oauth2/token", &[], body.clone())
        .await;
    error(&a, 400, "access_denied", "You must use HTTPS");
    let a = s
        .send(
            false,
            "POST",
            "/anything/oauth2/token",
            &[("x-forwarded-proto", "https")],
            body.clone(),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let token = a.body["access_token"].as_str().unwrap().to_owned();
    // The trusted proxy's X-Forwarded-Proto goes upstream.
    let a = s
        .send(
            false,
            "GET",
            "/anything",
            &[
                ("authorization", &format!("Bearer {token}")),
                ("x-forwarded-proto", "https"),
            ],
            None,
        )
        .await;
    assert_eq!(a.body["headers"]["x-forwarded-proto"], "https");

    // Without the flag a trusted proxy's word is not enough.
    let s = Stack::start_with(oauth2_doc(json!({})), vec!["127.0.0.1".into()]).await;
    let a = s
        .send(
            false,
            "POST",
            "/anything/oauth2/token",
            &[("x-forwarded-proto", "https")],
            body,
        )
        .await;
    error(&a, 400, "access_denied", "You must use HTTPS");
}

#[tokio::test]
async fn access_token_parameter_and_hide_credentials() {
    let s = Stack::start(oauth2_doc(json!({"hide_credentials": true}))).await;
    let a = s
        .token("/anything/oauth2/token", cc("client", "secret"))
        .await;
    let token = a.body["access_token"].as_str().unwrap().to_owned();
    let a = s
        .send(
            true,
            "GET",
            &format!("/anything?access_token={token}&keep=1"),
            &[],
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body["args"],
        json!({"keep": "1"}),
        "token removed from the query"
    );
    let a = s
        .send(
            true,
            "POST",
            "/anything",
            &[],
            Some((
                "application/x-www-form-urlencoded",
                format!("access_token={token}&a=b"),
            )),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["body"], "a=b", "token removed from the form body");
    let a = s.get("/anything", &token).await;
    assert!(
        a.body["headers"].get("authorization").is_none(),
        "header removed"
    );
}

#[tokio::test]
async fn anonymous_consumer_and_acl_after_oauth2() {
    let mut doc = oauth2_doc(json!({"anonymous": "guest"}));
    doc["services"][0]["plugins"] = json!([{"name": "acl", "config": {"allow": ["gold"]}}]);
    doc["consumers"][0]["acls"] = json!([{"group": "gold"}]);
    let s = Stack::start(doc).await;
    // No token: the anonymous consumer, whom acl then refuses.
    let a = s.send(true, "GET", "/anything", &[], None).await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(
        a.body,
        json!({"message": "You cannot consume this service"})
    );
    let a = s
        .token("/anything/oauth2/token", cc("client", "secret"))
        .await;
    let token = a.body["access_token"].as_str().unwrap().to_owned();
    let a = s.get("/anything", &token).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["headers"]["x-consumer-groups"], "gold");

    // Anonymous alone: headers say so.
    let s = Stack::start(oauth2_doc(json!({"anonymous": "guest"}))).await;
    let a = s.get("/anything", "bad-token").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["headers"]["x-anonymous-consumer"], "true");
    assert_eq!(a.body["headers"]["x-consumer-username"], "guest");
    // An anonymous consumer that does not exist is Kong's 500.
    let s = Stack::start(oauth2_doc(json!({"anonymous": "nobody"}))).await;
    let a = s.get("/anything", "bad-token").await;
    assert_eq!(a.status, 500);
}

#[tokio::test]
async fn https_only_route_on_plain_http_gets_426() {
    let mut doc = oauth2_doc(json!({}));
    doc["services"][0]["routes"][0]["protocols"] = json!(["https"]);
    let s = Stack::start(doc).await;
    let a = s.send(false, "GET", "/anything", &[], None).await;
    assert_eq!(a.status, 426);
    assert_eq!(a.body, json!({"message": "Please use HTTPS protocol"}));
    assert_eq!(a.headers["connection"], "Upgrade");
    assert_eq!(a.headers["upgrade"], "TLS/1.2, HTTP/1.1");
    // The same route over TLS is served.
    assert_eq!(
        s.send(true, "GET", "/anything", &[], None).await.status,
        401
    );
    // An http-only route does not match on the TLS listener.
    let mut doc = oauth2_doc(json!({}));
    doc["services"][1]["routes"][0]["protocols"] = json!(["http"]);
    let s = Stack::start(doc).await;
    assert_eq!(s.send(true, "GET", "/other", &[], None).await.status, 404);
    assert_eq!(s.send(false, "GET", "/other", &[], None).await.status, 401);
}

#[tokio::test]
async fn credentials_through_the_admin_api_hash_and_cascade() {
    let s = Stack::start(oauth2_doc(json!({}))).await;
    let admin = s.gw.admin_url();
    let resp = client()
        .post(format!("{admin}/consumers/guest/oauth2"))
        .json(&json!({"name": "guest-app", "hash_secret": true, "client_secret": "guest-secret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let cred: Value = resp.json().await.unwrap();
    let client_id = cred["client_id"].as_str().unwrap().to_owned();
    assert_eq!(client_id.len(), 32, "generated: {cred}");
    assert!(
        cred["client_secret"]
            .as_str()
            .unwrap()
            .starts_with("$argon2"),
        "{cred}"
    );
    assert_eq!(cred["client_type"], "confidential");
    let a = s
        .token("/anything/oauth2/token", cc(&client_id, "guest-secret"))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let token = a.body["access_token"].as_str().unwrap().to_owned();
    // By client_id under /oauth2.
    let got = client()
        .get(format!("{admin}/oauth2/{client_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    // A bad redirect URI is a schema violation naming the field.
    let bad = client()
        .post(format!("{admin}/consumers/guest/oauth2"))
        .json(&json!({"name": "x", "redirect_uris": ["https://a.example/cb#frag"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(
        body["fields"]["redirect_uris.1"], "fragment not allowed",
        "{body}"
    );
    // Deleting the consumer deletes its credential and its tokens.
    let del = client()
        .delete(format!("{admin}/consumers/guest"))
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 204);
    assert_eq!(s.get("/anything", &token).await.status, 401);
    let got = client()
        .get(format!("{admin}/oauth2/{client_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 404);
    // Tokens can be deleted through the Admin API.
    let a = s
        .token("/anything/oauth2/token", cc("client", "secret"))
        .await;
    let token = a.body["access_token"].as_str().unwrap().to_owned();
    let del = client()
        .delete(format!("{admin}/oauth2_tokens/{token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 204);
    assert_eq!(s.get("/anything", &token).await.status, 401);
}

#[tokio::test]
async fn bad_plugin_config_is_kongs_schema_violation() {
    let s = Stack::start(oauth2_doc(json!({}))).await;
    let admin = s.gw.admin_url();
    let post = |config: Value| {
        let admin = admin.clone();
        async move {
            let r = client()
                .post(format!("{admin}/plugins"))
                .json(&json!({"name": "oauth2", "config": config}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, body) =
        post(json!({"enable_client_credentials": true, "token_expiration": "soon"})).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("schema violation"),
        "{body}"
    );
    assert!(
        body["fields"]["config"]["token_expiration"].is_string(),
        "{body}"
    );
    let (status, body) = post(json!({})).await;
    assert_eq!(status, 400, "no flow enabled: {body}");
    let (status, body) =
        post(json!({"enable_password_grant": true, "mandatory_scope": true})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["fields"]["config"]["scopes"].is_string(), "{body}");
    // A valid one gets its provision key generated and the defaults shown.
    let (status, body) = post(json!({"enable_password_grant": true})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["config"]["provision_key"].as_str().unwrap().len(), 32);
    assert_eq!(body["config"]["token_expiration"], 7200);
    assert_eq!(body["config"]["refresh_token_ttl"], 1209600);
    assert_eq!(body["config"]["pkce"], "lax");
    let schema: Value = client()
        .get(format!("{admin}/schemas/plugins/oauth2"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(schema.to_string().contains("provision_key"), "{schema}");
}

/// A discovery-only IdP: `kong_oauth2` never calls it.
async fn idp() -> MockServer {
    let server = MockServer::start().await;
    let issuer = server.uri();
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": issuer, "jwks_uri": format!("{issuer}/jwks"),
            "token_endpoint": format!("{issuer}/token"),
            "authorization_endpoint": format!("{issuer}/authorize")
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keys": []})))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn openid_connect_kong_oauth2_accepts_the_tokens_as_in_the_guide() {
    let idp = idp().await;
    let mut doc = oauth2_doc(json!({"global_credentials": true, "token_expiration": 60}));
    doc["services"][0]["plugins"] = json!([{"name": "openid-connect", "config": {
        "issuer": idp.uri(), "client_id": ["kong"], "client_secret": ["secret"],
        "client_auth": ["client_secret_post"], "auth_methods": ["kong_oauth2"],
        "bearer_token_param_type": ["header"]}}]);
    let s = Stack::start(doc).await;
    let a = s
        .token("/anything/oauth2/token", cc("client", "secret"))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let token = a.body["access_token"].as_str().unwrap().to_owned();
    let a = s.get("/anything", &token).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body["headers"]["authorization"],
        format!("Bearer {token}")
    );
    // openid-connect alone (no oauth2 plugin on the route) asks the same store.
    let mut doc = oauth2_doc(json!({"global_credentials": true, "token_expiration": 60}));
    doc["services"][1]["routes"][0]["plugins"] = json!([]);
    doc["services"][1]["plugins"] = json!([{"name": "openid-connect", "config": {
        "issuer": idp.uri(), "client_id": ["kong"], "client_secret": ["secret"],
        "auth_methods": ["kong_oauth2"]}}]);
    let s = Stack::start(doc).await;
    let a = s
        .token("/anything/oauth2/token", cc("client", "secret"))
        .await;
    let token = a.body["access_token"].as_str().unwrap().to_owned();
    let a = s.get("/other", &token).await;
    assert_eq!(a.status, 200, "{}", a.body);
    s.clock.advance(61);
    assert_eq!(
        s.get("/other", &token).await.status,
        401,
        "expired for openid-connect too"
    );
    assert_eq!(s.get("/other", "unknown").await.status, 401);
    assert!(s.clock.now() > 0);
}

/// openid-connect alone on `other-service`, the oauth2 plugin (which issues the tokens) on
/// `example-route` with `global`.
fn kong_oauth2_doc(idp: &MockServer, global: bool) -> Value {
    let mut doc = oauth2_doc(json!({"global_credentials": global}));
    doc["services"][1]["routes"][0]["plugins"] = json!([]);
    doc["services"][1]["plugins"] = json!([{"name": "openid-connect", "config": {
        "issuer": idp.uri(), "client_id": ["kong"], "client_secret": ["secret"],
        "auth_methods": ["kong_oauth2"]}}]);
    doc
}

#[tokio::test]
async fn kong_oauth2_tokens_identify_the_credentials_consumer() {
    let idp = idp().await;
    let s = Stack::start(kong_oauth2_doc(&idp, true)).await;
    let a = s
        .token("/anything/oauth2/token", cc("client", "secret"))
        .await;
    let token = a.body["access_token"].as_str().unwrap().to_owned();
    let consumer: Value = client()
        .get(format!("{}/consumers/alex", s.gw.admin_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let a = s
        .send(
            true,
            "GET",
            "/other",
            &[
                ("authorization", &format!("Bearer {token}")),
                ("x-consumer-username", "mallory"),
                ("x-credential-identifier", "mallory"),
            ],
            None,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let h = &a.body["headers"];
    assert_eq!(h["x-consumer-username"], "alex", "{h}");
    assert_eq!(h["x-consumer-custom-id"], "alex-custom");
    assert_eq!(h["x-consumer-id"], consumer["id"]);
    assert_eq!(h["x-credential-identifier"], "client");
    // Another credential's token is its consumer's (sam has no custom_id: no header).
    let a = s
        .token("/anything/oauth2/token", cc("plain", "plain-secret"))
        .await;
    let token = a.body["access_token"].as_str().unwrap().to_owned();
    let a = s.get("/other", &token).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["headers"]["x-consumer-username"], "sam");
    assert!(a.body["headers"].get("x-consumer-custom-id").is_none());
    assert_eq!(a.body["headers"]["x-credential-identifier"], "plain");
}

#[tokio::test]
async fn kong_oauth2_refuses_a_token_of_another_service_without_global_credentials() {
    let idp = idp().await;
    let s = Stack::start(kong_oauth2_doc(&idp, false)).await;
    let a = s
        .token("/anything/oauth2/token", cc("client", "secret"))
        .await;
    let token = a.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        s.get("/anything", &token).await.status,
        200,
        "good on its service"
    );
    let a = s.get("/other", &token).await;
    assert_eq!(a.status, 401, "{}", a.body);
    assert_eq!(a.body, json!({"message": "Unauthorized"}));
}

fn authorize_body(extra: Value) -> Value {
    let mut body = json!({"provision_key": PROVISION, "authenticated_userid": "alex-user",
                          "response_type": "code", "client_id": "client", "state": "s1"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    body
}

/// The parameters Kong put on the redirect: the query, or the fragment for the implicit grant.
fn redirect_params(
    a: &Answer,
    fragment: bool,
) -> (String, std::collections::HashMap<String, String>) {
    let uri = url::Url::parse(
        a.body["redirect_uri"]
            .as_str()
            .unwrap_or_else(|| panic!("{}", a.body)),
    )
    .unwrap();
    let part = if fragment {
        uri.fragment()
    } else {
        uri.query()
    }
    .unwrap_or_default()
    .to_owned();
    let params = url::form_urlencoded::parse(part.as_bytes())
        .into_owned()
        .collect();
    let mut base = uri.clone();
    base.set_query(None);
    base.set_fragment(None);
    (base.to_string(), params)
}

fn code_grant(code: &str, extra: Value) -> Value {
    let mut body = json!({"grant_type": "authorization_code", "code": code,
                          "client_id": "client", "client_secret": "secret"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    body
}

#[tokio::test]
async fn authorization_code_grant_end_to_end_and_a_code_is_good_once() {
    let s = Stack::start(oauth2_doc(json!({"enable_authorization_code": true,
                                           "scopes": ["email", "profile"]})))
    .await;
    let a = s
        .token(
            "/anything/oauth2/authorize",
            authorize_body(json!({"scope": "email"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.headers["cache-control"], "no-store");
    let (base, p) = redirect_params(&a, false);
    assert_eq!(base, "https://app.example/cb");
    assert_eq!(p["state"], "s1");
    let code = p["code"].clone();
    let a = s
        .token(
            "/anything/oauth2/token",
            code_grant(&code, json!({"state": "t"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body["refresh_token"].is_string(), "{}", a.body);
    assert_eq!(a.body["state"], "t");
    let token = a.body["access_token"].as_str().unwrap().to_owned();
    let up = s.get("/anything", &token).await;
    assert_eq!(up.status, 200);
    assert_eq!(up.body["headers"]["x-authenticated-userid"], "alex-user");
    assert_eq!(up.body["headers"]["x-authenticated-scope"], "email");
    let again = s
        .token("/anything/oauth2/token", code_grant(&code, json!({})))
        .await;
    error(&again, 400, "invalid_request", "Invalid code");
    let unknown = s
        .token("/anything/oauth2/token", code_grant("nope", json!({})))
        .await;
    error(&unknown, 400, "invalid_request", "Invalid code");

    // Another client cannot redeem alex's code; a code expires after 300 s.
    let a = s
        .token("/anything/oauth2/authorize", authorize_body(json!({})))
        .await;
    let code = redirect_params(&a, false).1["code"].clone();
    let other = s
        .token(
            "/anything/oauth2/token",
            code_grant(
                &code,
                json!({"client_id": "plain", "client_secret": "plain-secret"}),
            ),
        )
        .await;
    error(&other, 400, "invalid_request", "Invalid code");
    s.clock.advance(301);
    let late = s
        .token("/anything/oauth2/token", code_grant(&code, json!({})))
        .await;
    error(&late, 400, "invalid_request", "Invalid code");
}

#[tokio::test]
async fn a_code_is_scoped_to_its_service_without_global_credentials() {
    let s = Stack::start(oauth2_doc(json!({"enable_authorization_code": true}))).await;
    let a = s
        .token("/anything/oauth2/authorize", authorize_body(json!({})))
        .await;
    let code = redirect_params(&a, false).1["code"].clone();
    let a = s
        .token("/other/oauth2/token", code_grant(&code, json!({})))
        .await;
    error(&a, 400, "invalid_request", "Invalid code");
    let a = s
        .token("/anything/oauth2/token", code_grant(&code, json!({})))
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
}

#[tokio::test]
async fn implicit_grant_puts_the_token_in_the_fragment() {
    let s = Stack::start(oauth2_doc(json!({"enable_implicit_grant": true}))).await;
    let a = s
        .token(
            "/anything/oauth2/authorize",
            authorize_body(json!({"response_type": "token",
                                  "redirect_uri": "https://app.example/cb"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let (_, p) = redirect_params(&a, true);
    assert_eq!(p["token_type"], "bearer");
    assert_eq!(p["expires_in"], "7200");
    assert_eq!(p["state"], "s1");
    assert!(!p.contains_key("refresh_token"), "no refresh token: {p:?}");
    assert_eq!(s.get("/anything", &p["access_token"]).await.status, 200);
    // The code flow is not enabled here.
    let a = s
        .token("/anything/oauth2/authorize", authorize_body(json!({})))
        .await;
    assert_eq!(a.status, 400);
    let (_, p) = redirect_params(&a, false);
    assert_eq!(p["error"], "unsupported_response_type");
    assert_eq!(p["error_description"], "Invalid response_type");
    assert_eq!(p["state"], "s1");
}

#[tokio::test]
async fn authorize_errors_are_kongs() {
    let s = Stack::start(oauth2_doc(json!({"enable_authorization_code": true,
                                           "scopes": ["email"], "mandatory_scope": true})))
    .await;
    let at = "/anything/oauth2/authorize";
    // Before the client is known: the error itself, with the state.
    let a = s
        .token(at, authorize_body(json!({"provision_key": "guess"})))
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(
        a.body,
        json!({"error": "invalid_provision_key", "error_description": "Invalid provision_key", "state": "s1"})
    );
    let a = s
        .token(at, authorize_body(json!({"authenticated_userid": " "})))
        .await;
    assert_eq!(a.body["error"], "invalid_authenticated_userid");
    assert_eq!(
        a.body["error_description"],
        "Missing authenticated_userid parameter"
    );
    let a = s
        .send(
            false,
            "POST",
            at,
            &[],
            Some(("application/json", authorize_body(json!({})).to_string())),
        )
        .await;
    assert_eq!(a.body["error"], "access_denied", "{}", a.body);
    let a = s
        .token(
            at,
            authorize_body(json!({"client_id": "nobody", "scope": "email"})),
        )
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(
        a.body,
        json!({"error": "invalid_client", "error_description": "Invalid client authentication", "state": "s1"})
    );
    // Once the client is known, the error goes to its (first registered) redirect URI.
    let a = s
        .token(
            at,
            authorize_body(json!({"redirect_uri": "https://evil.example/cb", "scope": "email"})),
        )
        .await;
    assert_eq!(a.status, 400);
    let (base, p) = redirect_params(&a, false);
    assert_eq!(base, "https://app.example/cb", "never the URI asked for");
    assert_eq!(p["error"], "invalid_request");
    assert_eq!(
        p["error_description"],
        "Invalid redirect_uri that does not match with any redirect_uri created with the application"
    );
    let a = s.token(at, authorize_body(json!({}))).await;
    let (_, p) = redirect_params(&a, false);
    assert_eq!(p["error"], "invalid_scope");
    assert_eq!(p["error_description"], "You must specify a scope");
    let a = s.token(at, authorize_body(json!({"scope": "admin"}))).await;
    let (_, p) = redirect_params(&a, false);
    assert_eq!(p["error_description"], "\"admin\" is an invalid scope");
    // A client without redirect URIs gets the error JSON.
    let a = s
        .token(
            at,
            authorize_body(json!({"client_id": "plain", "scope": "email"})),
        )
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.body["error"], "invalid_request", "{}", a.body);
}

fn s256(verifier: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

#[tokio::test]
async fn pkce_s256_and_plain_and_strict_mode() {
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let s = Stack::start(oauth2_doc(
        json!({"enable_authorization_code": true, "pkce": "strict"}),
    ))
    .await;
    let at = "/anything/oauth2/authorize";
    let code_with = |extra: Value| {
        let s = &s;
        async move {
            let a = s.token(at, authorize_body(extra)).await;
            assert_eq!(a.status, 200, "{}", a.body);
            redirect_params(&a, false).1["code"].clone()
        }
    };
    let code =
        code_with(json!({"code_challenge": s256(verifier), "code_challenge_method": "S256"})).await;
    let wrong = s
        .token(
            "/anything/oauth2/token",
            code_grant(&code, json!({"code_verifier": "not-it"})),
        )
        .await;
    error(
        &wrong,
        400,
        "invalid_request",
        "code_verifier does not match code_challenge",
    );
    let missing = s
        .token("/anything/oauth2/token", code_grant(&code, json!({})))
        .await;
    error(
        &missing,
        400,
        "invalid_request",
        "code_verifier is required for PKCE authorization requests",
    );
    let ok = s
        .token(
            "/anything/oauth2/token",
            code_grant(&code, json!({"code_verifier": verifier})),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    // plain is the default method (RFC 7636 §4.3).
    let code = code_with(json!({"code_challenge": "plain-verifier-value"})).await;
    let ok = s
        .token(
            "/anything/oauth2/token",
            code_grant(&code, json!({"code_verifier": "plain-verifier-value"})),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    // strict: a code without a challenge cannot be redeemed.
    let code = code_with(json!({})).await;
    let a = s
        .token("/anything/oauth2/token", code_grant(&code, json!({})))
        .await;
    error(
        &a,
        400,
        "invalid_request",
        "code_verifier is required for PKCE authorization requests",
    );
    // An unknown method is refused at the authorization step, on the redirect.
    let a = s
        .token(
            at,
            authorize_body(json!({"code_challenge": "x", "code_challenge_method": "S512"})),
        )
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(redirect_params(&a, false).1["error"], "invalid_request");
}

#[tokio::test]
async fn pkce_lax_checks_a_sent_challenge_and_none_ignores_it() {
    let verifier = "a-verifier-of-sufficient-length-0123456789abcdef";
    for (mode, wrong_verifier_status) in [("lax", 400), ("none", 200)] {
        let s = Stack::start(oauth2_doc(
            json!({"enable_authorization_code": true, "pkce": mode}),
        ))
        .await;
        let a = s
            .token("/anything/oauth2/authorize", authorize_body(json!({})))
            .await;
        let code = redirect_params(&a, false).1["code"].clone();
        let a = s
            .token("/anything/oauth2/token", code_grant(&code, json!({})))
            .await;
        assert_eq!(
            a.status, 200,
            "{mode}: confidential client without PKCE: {}",
            a.body
        );
        let a = s
            .token(
                "/anything/oauth2/authorize",
                authorize_body(
                    json!({"code_challenge": s256(verifier), "code_challenge_method": "S256"}),
                ),
            )
            .await;
        let code = redirect_params(&a, false).1["code"].clone();
        let a = s
            .token(
                "/anything/oauth2/token",
                code_grant(&code, json!({"code_verifier": "wrong"})),
            )
            .await;
        assert_eq!(a.status, wrong_verifier_status, "{mode}: {}", a.body);
    }
}

#[tokio::test]
async fn provision_key_is_unique_across_oauth2_plugins() {
    let s = Stack::start(oauth2_doc(json!({}))).await;
    let admin = s.gw.admin_url();
    let plugins = || async {
        client()
            .get(format!("{admin}/plugins"))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["data"]
            .as_array()
            .unwrap()
            .len()
    };
    let before = plugins().await;
    let post = |at: &'static str, key: &'static str| {
        let url = format!("{admin}{at}");
        async move {
            client()
                .post(url)
                .json(
                    &json!({"name": "oauth2", "config": {"enable_client_credentials": true,
                              "provision_key": key}}),
                )
                .send()
                .await
                .unwrap()
        }
    };
    // example-service has no oauth2 of its own; other-route's plugin has the key: Kong's 409
    // unique violation naming config.provision_key.
    let r = post("/services/example-service/plugins", "provision-key-2").await;
    assert_eq!(r.status(), 409);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        json!({"code": 5, "name": "unique constraint violation",
               "message": "UNIQUE violation detected on '{config={provision_key=\"provision-key-2\"}}'",
               "fields": {"config": {"provision_key": "already exists with value 'provision-key-2'"}}})
    );
    let r = post("/services/other-service/plugins", PROVISION).await;
    assert_eq!(r.status(), 409);
    assert_eq!(plugins().await, before, "nothing applied");
    assert_eq!(
        post("/services/example-service/plugins", "a-third-key")
            .await
            .status(),
        201
    );

    // A declarative config with two plugins sharing a key is refused whole.
    let mut doc: Value = serde_json::from_str(
        &oauth2_doc(json!({}))
            .to_string()
            .replace("UPSTREAM", "http://upstream.test"),
    )
    .unwrap();
    doc["services"][1]["routes"][0]["plugins"][0]["config"]["provision_key"] = json!(PROVISION);
    let refused = gatecheck_gateway::start(
        gatecheck_gateway::Config {
            declarative_config_string: Some(doc),
            ..Default::default()
        },
        listener().await,
        listener().await,
    )
    .await;
    let err = refused
        .expect_err("a duplicate provision_key is refused")
        .to_string();
    assert!(err.contains("provision_key"), "{err}");
}

#[tokio::test]
async fn persistent_refresh_token_hands_back_the_same_token_and_keeps_it_valid() {
    let t = "/anything/oauth2/token";
    let pw = json!({"client_id": "client", "client_secret": "secret", "grant_type": "password",
                    "provision_key": PROVISION, "authenticated_userid": "alex-1"});
    let refresh = |token: &str| {
        json!({"client_id": "client", "client_secret": "secret", "grant_type": "refresh_token",
               "refresh_token": token})
    };
    let s = Stack::start(oauth2_doc(json!({"persistent_refresh_token": true,
                                           "refresh_token_ttl": 1000})))
    .await;
    let a = s.token(t, pw.clone()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let first = a.body["access_token"].as_str().unwrap().to_owned();
    let rt = a.body["refresh_token"].as_str().unwrap().to_owned();
    let a = s.token(t, refresh(&rt)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body["refresh_token"],
        rt.as_str(),
        "the same refresh token"
    );
    let second = a.body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first, "a new access token");
    assert_eq!(
        s.get("/anything", &first).await.status,
        200,
        "the old token is kept"
    );
    assert_eq!(s.get("/anything", &second).await.status, 200);
    // It stays good for another refresh, each one keeping it alive for refresh_token_ttl.
    s.clock.advance(600);
    let a = s.token(t, refresh(&rt)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["refresh_token"], rt.as_str());
    s.clock.advance(600);
    let a = s.token(t, refresh(&rt)).await;
    assert_eq!(
        a.status, 200,
        "still good 1200 s after it was issued: {}",
        a.body
    );
    let h = &s
        .get("/anything", a.body["access_token"].as_str().unwrap())
        .await
        .body["headers"];
    assert_eq!(h["x-authenticated-userid"], "alex-1");
    // Unused for refresh_token_ttl, it is gone.
    s.clock.advance(1000);
    error(
        &s.token(t, refresh(&rt)).await,
        400,
        "invalid_request",
        "Invalid refresh_token",
    );

    // false (the default): a new refresh token replaces the old, which no longer works, and
    // the refreshed access token is gone with it.
    let s = Stack::start(oauth2_doc(json!({}))).await;
    let a = s.token(t, pw).await;
    let first = a.body["access_token"].as_str().unwrap().to_owned();
    let rt = a.body["refresh_token"].as_str().unwrap().to_owned();
    let a = s.token(t, refresh(&rt)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let new_rt = a.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_rt, rt);
    assert_eq!(s.get("/anything", &first).await.status, 401);
    error(
        &s.token(t, refresh(&rt)).await,
        400,
        "invalid_request",
        "Invalid refresh_token",
    );
    assert_eq!(s.token(t, refresh(&new_rt)).await.status, 200);
}
