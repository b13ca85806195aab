//! The gateway's hot paths, on loopback with ephemeral ports:
//!
//! * `proxy_overhead`: the same GET to the echo upstream directly and through the gateway (a
//!   route, no plugins), over keep-alive connections; the difference is what the proxy adds.
//! * `cached_token`: `GET /transactions/123` with an opaque token through `gluu-oauth-auth` +
//!   `gluu-oauth-pep` (seed 002's `/transactions/?` / `^transactions:.+$`), token and grant
//!   already cached: the plugin chain's cache-hit path plus proxying. oxd is a wiremock server;
//!   the bench checks (and prints) that the measured requests made no introspection call.
//! * `plugin_chain`: the same decision without HTTP, through the gateway's public API and its
//!   running runtime (same plugin instances and caches): the chain alone, and path
//!   normalisation + route lookup + chain.
//!
//! * `openid_connect`: Kong's `openid-connect` with a JWT verified locally (`bearer`) and with an
//!   opaque token whose introspection is cached (`introspection`), through the gateway and the
//!   chain alone; the IdP is a wiremock server, and the bench checks the measured introspections
//!   were all cache hits.
//!
//! `plugin_chain` and `openid_connect` also count the heap allocations of one request through
//! the chain (building the request included) with a counting global allocator, print them, and
//! check the count does not grow with the PEP's rule count.
//!
//! Setup is deterministic and checked (statuses, what the upstream saw, oxd calls): a bench
//! that silently measured a 401 or a pass-through would be worse than none.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use criterion::measurement::WallTime;
use criterion::{
    black_box, criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion,
};
use gatecheck_gateway::plugins::{run_chain, AccessRequest, Flow};
use http::header::{AUTHORIZATION, HOST};
use http::{HeaderMap, HeaderValue, Method};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Counts allocations (and reallocations) of this bench process, so the chain's per-request
/// allocations are a number the bench reports, not a guess.
struct CountingAllocator;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the counter is a relaxed
// atomic that never affects what is allocated.
unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's layout.
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { std::alloc::System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Mean allocations of one `run` over `n` runs on the bench's runtime (idle otherwise).
fn allocations_per_run<F, Fut>(rt: &Runtime, n: u64, run: F) -> f64
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    rt.block_on(async {
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        for _ in 0..n {
            run().await;
        }
        (ALLOCATIONS.load(Ordering::Relaxed) - before) as f64 / n as f64
    })
}

/// The token the measured requests carry; introspected active with `transactions:123`.
const TOKEN: &str = "bench-opaque-token-transactions-123";
/// An active token without a `transactions:` scope: the PEP must refuse it (403).
const TOKEN_WITHOUT_SCOPE: &str = "bench-opaque-token-openid-only";
/// The OAuth client the tokens were issued to, mapped to a Kong consumer by `custom_id`.
const CLIENT_ID: &str = "bench-consumer-client";
const INTROSPECT: &str = "/introspect-access-token";
const PROTECTED: &str = "/transactions/123";

/// Two workers: the machine has two cores; client, gateway and upstream share them.
fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

async fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind an ephemeral loopback port")
}

async fn echo() -> gatecheck_upstream::Handle {
    gatecheck_upstream::start(gatecheck_upstream::App::Echo, listener().await)
        .await
        .expect("echo upstream")
}

async fn gateway(doc: Value) -> gatecheck_gateway::Handle {
    let config = gatecheck_gateway::Config {
        declarative_config_string: Some(doc),
        plugin_http_timeout_ms: 2000,
        ..Default::default()
    };
    gatecheck_gateway::start(config, listener().await, listener().await)
        .await
        .expect("gateway")
}

/// One keep-alive client per bench: every measured request reuses a pooled connection.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("reqwest client")
}

/// GET `url` (with `token` as a bearer token), read the whole body, return its length; panics
/// unless 200.
async fn get_ok(client: &reqwest::Client, url: &str, token: Option<&str>) -> usize {
    let mut request = client.get(url);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let body = response.bytes().await.expect("body");
    assert_eq!(status, 200, "GET {url}: {}", String::from_utf8_lossy(&body));
    body.len()
}

/// The echo upstream's view of a request sent to `url`.
async fn upstream_view(client: &reqwest::Client, url: &str, token: Option<&str>) -> Value {
    let mut request = client.get(url);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.expect("request");
    assert_eq!(response.status(), 200, "GET {url}");
    response.json().await.expect("echo JSON")
}

fn proxy_overhead(c: &mut Criterion) {
    let rt = runtime();
    let (up, gw) = rt.block_on(async {
        let up = echo().await;
        let gw = gateway(json!({
            "_format_version": "3.0",
            "services": [{"name": "echo", "url": up.url(),
                "routes": [{"name": "bench", "paths": ["/bench"], "strip_path": false}]}],
        }))
        .await;
        (up, gw)
    });
    let client = &client();
    let direct = &format!("{}/bench/echo", up.url());
    let proxied = &format!("{}/bench/echo", gw.proxy_url());
    rt.block_on(async {
        let seen = upstream_view(client, direct, None).await;
        assert_eq!(seen["path"], "/bench/echo");
        assert!(seen["headers"].get("via").is_none(), "direct is direct");
        let seen = upstream_view(client, proxied, None).await;
        assert_eq!(seen["path"], "/bench/echo", "the route keeps the path");
        assert!(
            seen["headers"].get("x-forwarded-for").is_some(),
            "the proxied request went through the gateway: {seen}"
        );
    });

    let mut group = c.benchmark_group("proxy_overhead");
    group.bench_function("direct_to_echo", |b| {
        b.to_async(&rt)
            .iter(|| async move { black_box(get_ok(client, direct, None).await) })
    });
    group.bench_function("through_gateway", |b| {
        b.to_async(&rt)
            .iter(|| async move { black_box(get_ok(client, proxied, None).await) })
    });
    group.finish();
    drop(gw);
    drop(up);
}

/// A gateway running seed 002's plugins in front of the echo upstream, with oxd stood in by
/// wiremock; the tokens are warmed (introspected and cached) and enforcement is checked.
struct AuthStack {
    gw: gatecheck_gateway::Handle,
    _up: gatecheck_upstream::Handle,
    oxd: MockServer,
}

fn now() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(since.as_secs()).expect("seconds fit i64")
}

async fn mock_oxd() -> MockServer {
    let oxd = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/get-client-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "bench-protection-token", "expires_in": 86_400,
            "scope": ["openid", "oxd"]
        })))
        .mount(&oxd)
        .await;
    // Valid for a day: the cache entry (exp - now - 5 s) outlives any bench run.
    let exp = now() + 86_400;
    for (token, scopes) in [
        (TOKEN, json!(["transactions:123"])),
        (TOKEN_WITHOUT_SCOPE, json!(["openid"])),
    ] {
        Mock::given(method("POST"))
            .and(path(INTROSPECT))
            .and(header("authorization", "Bearer bench-protection-token"))
            .and(body_partial_json(json!({"access_token": token})))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "active": true, "client_id": CLIENT_ID, "scope": scopes,
                "exp": exp, "iat": now(), "token_type": "bearer"
            })))
            .mount(&oxd)
            .await;
    }
    oxd
}

async fn introspections(oxd: &MockServer) -> usize {
    oxd.received_requests()
        .await
        .expect("wiremock records requests")
        .iter()
        .filter(|r| r.url.path() == INTROSPECT)
        .count()
}

/// `rules` is the number of paths in the PEP's expression: the transactions rule last, after
/// `rules - 1` others, so per-rule work on the request path would show.
async fn auth_stack(rules: usize) -> AuthStack {
    let up = echo().await;
    let oxd = mock_oxd().await;
    let base = json!({
        "oxd_id": "bench-oxd-id", "oxd_url": oxd.uri(), "client_id": "bench-gg-client",
        "client_secret": "bench-gg-secret", "op_url": "https://op.example",
    });
    let mut auth = base.clone();
    auth["pass_credentials"] = json!("pass");
    let mut pep = base;
    pep["deny_by_default"] = json!(true);
    let mut expression: Vec<Value> = (1..rules)
        .map(|i| {
            json!({"path": format!("/other{i}/?"), "conditions": [{"httpMethods": ["GET"],
                "scope_expression": {"rule": {"and": [{"var": 0}]}, "data": [format!("other:{i}")]}}]})
        })
        .collect();
    expression.push(json!({"path": "/transactions/?", "conditions": [{
        "httpMethods": ["GET", "POST", "PUT"],
        "scope_expression": {"rule": {"and": [{"var": 0}]}, "data": ["^transactions:.+$"]}}]}));
    pep["oauth_scope_expression"] = Value::Array(expression).to_string().into();
    let gw = gateway(json!({
        "_format_version": "3.0",
        "services": [{"name": "oauth-demo", "url": up.url(),
            "routes": [{"name": "transactions", "paths": ["/transactions"], "strip_path": false}],
            "plugins": [
                {"name": "gluu-oauth-auth", "config": auth},
                {"name": "gluu-oauth-pep", "config": pep},
            ]}],
        "consumers": [{"username": "bench-consumer", "custom_id": CLIENT_ID}],
    }))
    .await;
    let stack = AuthStack { gw, _up: up, oxd };
    stack.warm_and_check().await;
    stack
}

impl AuthStack {
    fn url(&self) -> String {
        format!("{}{PROTECTED}", self.gw.proxy_url())
    }

    /// Enforcement is real (no token → 401, wrong scope → 403), the token reaches the
    /// upstream, and the second use of a token is served from the cache.
    async fn warm_and_check(&self) {
        let client = client();
        let url = self.url();
        let status = |r: reqwest::Response| r.status().as_u16();
        let no_token = client.get(&url).send().await.expect("request");
        assert_eq!(status(no_token), 401, "the auth plugin guards the route");
        let wrong_scope = client
            .get(&url)
            .bearer_auth(TOKEN_WITHOUT_SCOPE)
            .send()
            .await
            .expect("request");
        assert_eq!(status(wrong_scope), 403, "the PEP guards the path");
        let seen = upstream_view(&client, &url, Some(TOKEN)).await;
        assert_eq!(seen["path"], PROTECTED);
        assert_eq!(seen["headers"]["authorization"], format!("Bearer {TOKEN}"));
        assert_eq!(introspections(&self.oxd).await, 2, "one per token");
        upstream_view(&client, &url, Some(TOKEN)).await;
        assert_eq!(
            introspections(&self.oxd).await,
            2,
            "the second use of a token is a cache hit"
        );
    }
}

/// Runs `measure`, then checks that it made no introspection call and prints the count.
fn without_introspection(rt: &Runtime, oxd: &MockServer, label: &str, measure: impl FnOnce()) {
    let before = rt.block_on(introspections(oxd));
    measure();
    let during = rt.block_on(introspections(oxd)) - before;
    println!("{label}: introspection calls during the measured requests: {during}");
    assert_eq!(
        during, 0,
        "{label}: cached tokens must not be introspected again"
    );
}

fn cached_token(c: &mut Criterion) {
    let rt = runtime();
    let stack = rt.block_on(auth_stack(1));
    let client = &client();
    let url = &stack.url();
    let measured = AtomicU64::new(0);
    without_introspection(&rt, &stack.oxd, "cached_token", || {
        let mut group = c.benchmark_group("cached_token");
        group.bench_function("get_transactions_123", |b| {
            b.to_async(&rt).iter(|| {
                measured.fetch_add(1, Ordering::Relaxed);
                async move { black_box(get_ok(client, url, Some(TOKEN)).await) }
            })
        });
        group.finish();
    });
    println!(
        "cached_token: {} requests measured (warm-up included)",
        measured.load(Ordering::Relaxed)
    );
}

fn plugin_chain(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("plugin_chain");
    let mut counts = Vec::new();
    for rules in [1, 1000] {
        counts.push((rules, plugin_chain_with(&mut group, &rt, rules)));
    }
    group.finish();
    let (_, first) = counts[0];
    for (rules, count) in &counts {
        assert!(
            (count - first).abs() < 0.5,
            "allocations per request grew with the rule count: {first} at 1 rule, {count} at {rules}"
        );
    }
}

/// The chain alone, and routing + chain, with `rules` paths in the PEP's expression; returns
/// the allocations of one request through the chain.
fn plugin_chain_with(group: &mut BenchmarkGroup<'_, WallTime>, rt: &Runtime, rules: usize) -> f64 {
    let stack = rt.block_on(auth_stack(rules));
    let gw_runtime = &stack.gw.gateway().runtime();
    let entities = &gw_runtime.entities;
    let client_addr: SocketAddr = "127.0.0.1:40000".parse().expect("socket address");
    let mut headers = HeaderMap::new();
    headers.insert(HOST, HeaderValue::from_static("gateway.bench"));
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {TOKEN}")).expect("header value"),
    );
    let headers = &headers;
    let found = gw_runtime
        .router
        .find("GET", Some("gateway.bench"), PROTECTED, headers)
        .expect("the transactions route matches");
    let chain = &gw_runtime.chains[found.route];
    assert_eq!(chain.len(), 2, "auth and PEP on the route");

    // What the proxy builds per request before running the chain.
    let request = &|path: String| {
        AccessRequest::new(
            Method::GET,
            path,
            PROTECTED.to_owned(),
            headers.clone(),
            Body::empty(),
            client_addr,
            false,
            entities.clone(),
        )
    };
    let expect_continue = &|flow: Flow| match flow {
        Flow::Continue => {}
        Flow::Respond(r) => panic!("the chain answered {}: {:?}", r.status, r.body),
    };
    rt.block_on(async {
        let mut req = request(PROTECTED.to_owned());
        expect_continue(run_chain(chain, &mut req).await);
    });
    let allocations = allocations_per_run(rt, 1000, || async {
        let mut req = request(PROTECTED.to_owned());
        expect_continue(run_chain(chain, &mut req).await);
    });
    println!(
        "plugin_chain: {allocations:.1} allocations per request through gluu-oauth-auth + \
         gluu-oauth-pep ({rules} rules, building the request included)"
    );

    without_introspection(rt, &stack.oxd, "plugin_chain", || {
        group.bench_function(BenchmarkId::new("chain_only", rules), |b| {
            b.to_async(rt).iter(|| async move {
                let mut req = request(PROTECTED.to_owned());
                expect_continue(run_chain(chain, &mut req).await);
                black_box(req)
            })
        });
        group.bench_function(BenchmarkId::new("normalize_route_chain", rules), |b| {
            b.to_async(rt).iter(|| async move {
                let path =
                    gatecheck_gateway::path::normalize(black_box(PROTECTED)).expect("a valid path");
                let found = gw_runtime
                    .router
                    .find("GET", Some("gateway.bench"), &path, headers)
                    .expect("the transactions route matches");
                let mut req = request(path);
                expect_continue(run_chain(&gw_runtime.chains[found.route], &mut req).await);
                black_box(req)
            })
        });
    });
    drop(stack);
    allocations
}

// ---- openid-connect (Kong's plugin): bearer JWT and cached introspection ----------------------

/// The IdP the `openid-connect` benches verify against: discovery, JWKS and introspection on a
/// wiremock server; JWTs signed with the repository's fixture key.
struct OidcStack {
    gw: gatecheck_gateway::Handle,
    _up: gatecheck_upstream::Handle,
    idp: MockServer,
    jwt: String,
}

const OIDC_OPAQUE: &str = "bench-oidc-opaque-token";
const OIDC_PEM: &str = include_str!("../../fixtures/op/keys/rs256.pem");

fn oidc_jwk() -> Value {
    use base64::Engine;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::traits::PublicKeyParts;
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(OIDC_PEM).expect("fixture key");
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    json!({"kty": "RSA", "kid": "bench", "alg": "RS256", "use": "sig",
           "n": b64.encode(key.n().to_bytes_be()), "e": b64.encode(key.e().to_bytes_be())})
}

async fn oidc_stack() -> OidcStack {
    let up = echo().await;
    let idp = MockServer::start().await;
    let base = idp.uri();
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": base, "jwks_uri": format!("{base}/jwks"),
            "introspection_endpoint": format!("{base}/introspect"),
        })))
        .mount(&idp)
        .await;
    Mock::given(method("GET"))
        .and(path("/jwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keys": [oidc_jwk()]})))
        .mount(&idp)
        .await;
    let exp = now() + 86_400;
    Mock::given(method("POST"))
        .and(path("/introspect"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "active": true, "scope": "openid", "exp": exp, "sub": "bench-user", "client_id": "kong"
        })))
        .mount(&idp)
        .await;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("bench".into());
    let jwt = jsonwebtoken::encode(
        &header,
        &json!({"iss": base, "sub": "bench-user", "aud": "kong", "exp": exp, "iat": now(),
                "scope": "openid profile"}),
        &jsonwebtoken::EncodingKey::from_rsa_pem(OIDC_PEM.as_bytes()).expect("fixture key"),
    )
    .expect("sign");
    let plugin = |route: &str, methods: Value| {
        json!({"name": route, "paths": [format!("/{route}")], "strip_path": false,
               "plugins": [{"name": "openid-connect", "config": {
                   "issuer": base, "client_id": ["kong"], "client_secret": ["bench-secret"],
                   "auth_methods": methods, "scopes_required": ["openid"]}}]})
    };
    let gw = gateway(json!({
        "_format_version": "3.0",
        "services": [{"name": "oidc", "url": up.url(), "routes": [
            plugin("bearer", json!(["bearer"])),
            plugin("introspection", json!(["introspection"])),
        ]}],
    }))
    .await;
    let stack = OidcStack {
        gw,
        _up: up,
        idp,
        jwt,
    };
    let client = client();
    for (route, token) in [
        ("bearer", stack.jwt.clone()),
        ("introspection", OIDC_OPAQUE.to_owned()),
    ] {
        let url = format!("{}/{route}", stack.gw.proxy_url());
        assert_eq!(
            client.get(&url).send().await.expect("request").status(),
            401,
            "{route} guards"
        );
        let seen = upstream_view(&client, &url, Some(&token)).await;
        assert_eq!(seen["headers"]["authorization"], format!("Bearer {token}"));
    }
    assert_eq!(
        stack.introspections().await,
        1,
        "introspected once, then cached"
    );
    stack
}

impl OidcStack {
    async fn introspections(&self) -> usize {
        self.idp
            .received_requests()
            .await
            .expect("wiremock records requests")
            .iter()
            .filter(|r| r.url.path() == "/introspect")
            .count()
    }
}

fn openid_connect(c: &mut Criterion) {
    let rt = runtime();
    let stack = rt.block_on(oidc_stack());
    let client = &client();
    let runtime_state = &stack.gw.gateway().runtime();
    let client_addr: SocketAddr = "127.0.0.1:40000".parse().expect("socket address");
    let mut group = c.benchmark_group("openid_connect");
    for (route, token) in [
        ("bearer", stack.jwt.clone()),
        ("introspection", OIDC_OPAQUE.to_owned()),
    ] {
        let url = &format!("{}/{route}", stack.gw.proxy_url());
        let bearer = &token;
        let label = if route == "bearer" {
            "bearer_jwt"
        } else {
            "cached_introspection"
        };
        group.bench_function(BenchmarkId::new("through_gateway", label), |b| {
            b.to_async(&rt)
                .iter(|| async move { black_box(get_ok(client, url, Some(bearer)).await) })
        });
        let path = format!("/{route}");
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("gateway.bench"));
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).expect("header value"),
        );
        let found = runtime_state
            .router
            .find("GET", Some("gateway.bench"), &path, &headers)
            .expect("the route matches");
        let chain = &runtime_state.chains[found.route];
        let headers = &headers;
        let path = &path;
        let one = || async move {
            let mut req = AccessRequest::new(
                Method::GET,
                path.clone(),
                path.clone(),
                headers.clone(),
                Body::empty(),
                client_addr,
                false,
                runtime_state.entities.clone(),
            );
            match run_chain(chain, &mut req).await {
                Flow::Continue => {}
                Flow::Respond(r) => panic!("openid-connect answered {}", r.status),
            }
            req
        };
        let allocations = allocations_per_run(&rt, 1000, || async move {
            drop(one().await);
        });
        println!(
            "openid_connect: {allocations:.1} allocations per request through the chain \
             ({label}, building the request included)"
        );
        group.bench_function(BenchmarkId::new("chain_only", label), |b| {
            b.to_async(&rt)
                .iter(|| async move { black_box(one().await) })
        });
    }
    group.finish();
    let calls = rt.block_on(stack.introspections());
    println!("openid_connect: introspection calls in total: {calls}");
    assert_eq!(calls, 1, "the measured introspections were all cache hits");
}

criterion_group!(
    benches,
    proxy_overhead,
    cached_token,
    plugin_chain,
    openid_connect
);
criterion_main!(benches);
