//! The proxy: route, run the route's plugin chain, forward to the service with a pooled
//! keep-alive client, stream the answer back (`reference/gateway/README.md#proxy`).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use gatecheck_serve::Peer;
use http::header::{HeaderMap, HeaderName, HeaderValue, HOST};
use http::{Request, StatusCode};
use hyper::body::Incoming;

use crate::gateway::Gateway;
use crate::plugins::{self, AccessRequest, Flow, PluginResponse};
use crate::router;

/// `Via` added to requests and responses.
pub const VIA: &str = "1.1 gatecheck-gateway";

/// Header names the proxy writes on every request, parsed once (a `&str` name is parsed and
/// hashed again on each use).
mod names {
    use http::header::HeaderName;

    pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
    pub const X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");
    pub const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
    pub const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
    pub const X_FORWARDED_PORT: HeaderName = HeaderName::from_static("x-forwarded-port");
    pub const X_FORWARDED_PATH: HeaderName = HeaderName::from_static("x-forwarded-path");
    pub const X_FORWARDED_PREFIX: HeaderName = HeaderName::from_static("x-forwarded-prefix");
    pub const X_KONG_RESPONSE_LATENCY: HeaderName =
        HeaderName::from_static("x-kong-response-latency");
    pub const X_KONG_UPSTREAM_LATENCY: HeaderName =
        HeaderName::from_static("x-kong-upstream-latency");
    pub const X_KONG_PROXY_LATENCY: HeaderName = HeaderName::from_static("x-kong-proxy-latency");
}

/// The hop-by-hop fields of RFC 9110 §7.6.1 (plus the legacy `keep-alive` and
/// `proxy-connection`).
fn is_hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "proxy-connection"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
    )
}

/// The proxy's handler for a listener on `port`, served as a plain hyper service
/// (`gatecheck_serve::Server::spawn_handler`): every request takes the same path, so there is
/// no router in front of it. Called once per client connection, it works out what depends on
/// the connection alone ([`Connection`]) and returns the handler of that connection's requests.
pub fn handler(
    gateway: Arc<Gateway>,
    port: u16,
) -> impl Fn(Peer) -> ConnectionHandler + Send + Sync + 'static {
    let port = HeaderValue::from(port);
    move |peer: Peer| {
        let connection = Arc::new(Connection::new(gateway.clone(), peer, port.clone()));
        Box::new(move |req: Request<Incoming>| {
            let connection = connection.clone();
            Box::pin(async move { handle(&connection, req.map(Body::new)).await }) as ProxyFuture
        })
    }
}

/// One proxied request's future (boxed: the plugin chain's futures make it large, and hyper's
/// dispatcher would otherwise carry it inline in every connection).
pub type ProxyFuture = std::pin::Pin<Box<dyn Future<Output = Response> + Send>>;

/// The handler of one connection's requests.
pub type ConnectionHandler = Box<dyn Fn(Request<Incoming>) -> ProxyFuture + Send + Sync>;

/// What the proxy works out once per client connection rather than per request.
struct Connection {
    gateway: Arc<Gateway>,
    peer: Peer,
    /// The client's IP address as text, for `X-Real-IP` and `X-Forwarded-For`.
    ip: HeaderValue,
    /// The listener's port, for `X-Forwarded-Port`.
    port: HeaderValue,
    /// Whether the client is a trusted proxy (`trusted_ips`).
    trusted: bool,
}

impl Connection {
    fn new(gateway: Arc<Gateway>, peer: Peer, port: HeaderValue) -> Self {
        let ip = HeaderValue::from_str(&peer.addr.ip().to_string())
            .unwrap_or_else(|_| HeaderValue::from_static("unknown"));
        let trusted = gateway.is_trusted(peer.addr.ip());
        Connection {
            gateway,
            peer,
            ip,
            port,
            trusted,
        }
    }
}

fn kong_error(status: StatusCode, message: &str) -> Response {
    PluginResponse::message(status, message).into_response()
}

/// Removes the fields of one hop (RFC 9110 §7.6.1): the standard set and every name listed in
/// `Connection`, except `Host`, which names the request's target and is the gateway's to set
/// upstream. Applied to the client's request before any plugin runs, so a client can remove
/// its own fields but never one a plugin sets; and to the upstream's response.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // One pass over the (few) fields present, instead of a lookup per hop-by-hop name; the
    // common request has no such field but `Connection: keep-alive`.
    let mut remove: Vec<HeaderName> = Vec::new();
    for name in headers.keys() {
        if is_hop_by_hop(name) && !remove.contains(name) {
            remove.push(name.clone());
        }
    }
    if remove.is_empty() {
        return;
    }
    for value in headers.get_all(http::header::CONNECTION) {
        let Ok(value) = value.to_str() else { continue };
        for listed in value.split(',') {
            let Ok(name) = HeaderName::from_bytes(listed.trim().as_bytes()) else {
                continue;
            };
            if name != HOST && !remove.contains(&name) {
                remove.push(name);
            }
        }
    }
    for name in remove {
        headers.remove(name);
    }
}

/// The host a request is for (RFC 9112 §3.2): an absolute-form target's authority, which then
/// replaces any `Host` field (§3.2.2), else the `Host` field. More than one `Host`, one that is
/// not a valid `host[:port]`, or none on HTTP/1.1 is a client error (`None`).
fn request_host(parts: &mut http::request::Parts) -> Option<Option<String>> {
    let mut fields = parts.headers.get_all(HOST).iter();
    let field = fields.next().cloned();
    if fields.next().is_some() {
        return None;
    }
    let host = match (parts.uri.authority(), field) {
        (Some(authority), _) => {
            let value = HeaderValue::from_str(authority.as_str()).ok()?;
            parts.headers.insert(HOST, value);
            authority.as_str().to_owned()
        }
        (None, Some(field)) => field.to_str().ok()?.to_owned(),
        (None, None) if parts.version == http::Version::HTTP_11 => return None,
        (None, None) => return Some(None),
    };
    let valid =
        !host.is_empty() && !host.contains('@') && host.parse::<http::uri::Authority>().is_ok();
    valid.then_some(Some(host))
}

/// A latency header's value. Under a millisecond is the common case: it is a static value, not
/// a formatted and allocated one.
fn ms(d: Duration) -> HeaderValue {
    match d.as_millis() {
        0 => HeaderValue::from_static("0"),
        1 => HeaderValue::from_static("1"),
        2 => HeaderValue::from_static("2"),
        n => HeaderValue::from(u64::try_from(n).unwrap_or(u64::MAX)),
    }
}

/// The upstream request's target in origin form (RFC 9112 §3.2.1): the judged path, encoded,
/// with the query the plugins left. `None` when they make no valid request target.
fn origin_form(path: String, query: Option<&str>) -> Option<http::Uri> {
    let mut target = crate::path::encode_owned(path);
    if let Some(q) = query {
        target.push('?');
        target.push_str(q);
    }
    http::Uri::from_maybe_shared(bytes::Bytes::from(target)).ok()
}

/// One request's journey: the checks on what the client sent, the route, the access phase
/// (the plugin chain), then the upstream call and the answer's header phase.
async fn handle(conn: &Connection, req: Request<Body>) -> Response {
    let started = Instant::now();
    let runtime = conn.gateway.runtime();
    let (mut parts, body) = req.into_parts();
    let client = conn.peer.addr;
    let secure = conn.peer.tls;
    let scheme = if secure { "https" } else { "http" };
    let trusted = conn.trusted;
    drop_underscored_headers(&mut parts.headers);
    let client_version = parts.version;
    let Some(client_host) = request_host(&mut parts) else {
        return kong_error(StatusCode::BAD_REQUEST, "Bad request");
    };
    strip_hop_by_hop(&mut parts.headers);
    let Ok(path) = crate::path::normalize(parts.uri.path()) else {
        return kong_error(StatusCode::BAD_REQUEST, "Bad request");
    };
    let Some(found) = runtime.router.find(
        parts.method.as_str(),
        client_host.as_deref(),
        &path,
        &parts.headers,
    ) else {
        return kong_error(StatusCode::NOT_FOUND, "no Route matched with those values");
    };
    let route = &runtime.routes[found.route];
    let Some(upstream) = runtime.upstreams[found.route].as_deref() else {
        return kong_error(StatusCode::NOT_FOUND, "no Route matched with those values");
    };
    let service = &upstream.service;
    if !route.protocols.iter().any(|p| p == scheme) {
        return if secure {
            // An http-only route does not match on the TLS listener, as in Kong's router.
            kong_error(StatusCode::NOT_FOUND, "no Route matched with those values")
        } else {
            https_required(
                route.https_redirect_status_code,
                client_host.as_deref(),
                &parts.uri,
            )
        };
    }
    // Refused before any plugin runs: forwarding would serve another path than they judge.
    let Some(upstream_path) =
        router::upstream_path(service.path.as_deref(), route, &path, &found.remaining)
    else {
        tracing::info!(%path, route = %route.id, "prefix strip or join would cut a path segment");
        return kong_error(StatusCode::NOT_FOUND, "no Route matched with those values");
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned());
    // What `X-Forwarded-Prefix` will say, worked out while the judged path is still here: the
    // path itself moves into the request the plugins see.
    let stripped_prefix = (route.strip_path && found.remaining.len() < path.len())
        .then(|| {
            HeaderValue::from_str(&crate::path::encode(
                &path[..path.len() - found.remaining.len()],
            ))
            .ok()
        })
        .flatten();
    let mut access = AccessRequest::new(
        parts.method.clone(),
        path,
        path_and_query,
        parts.headers,
        body,
        client,
        secure,
        runtime.entities.clone(),
    );
    access.set_target(route.id, service.id);
    access.set_trusted_peer(trusted);
    if let Flow::Respond(reply) =
        plugins::run_chain(&runtime.chains[found.route], &mut access).await
    {
        let extra = std::mem::take(access.response_headers_mut());
        let mut response = reply.into_response();
        for (name, value) in &extra {
            response.headers_mut().append(name.clone(), value.clone());
        }
        response
            .headers_mut()
            .insert(names::X_KONG_RESPONSE_LATENCY, ms(started.elapsed()));
        return response;
    }
    let up = match access.into_upstream() {
        Ok(up) => up,
        Err(plugins::BodyError::TooLarge(_)) => {
            return kong_error(StatusCode::PAYLOAD_TOO_LARGE, "Request size limit exceeded")
        }
        // The client's body stream broke: nothing complete can be forwarded.
        Err(plugins::BodyError::Read(_)) => {
            return kong_error(StatusCode::BAD_REQUEST, "Bad request")
        }
    };
    if service.protocol != "http" {
        tracing::warn!(service = %service.host, "https upstreams are not supported by this gateway");
        return kong_error(
            StatusCode::BAD_GATEWAY,
            "An invalid response was received from the upstream server",
        );
    }
    let (Some(target), Some(pool)) = (
        origin_form(upstream_path, up.query.as_deref()),
        upstream.pool.as_ref(),
    ) else {
        return kong_error(
            StatusCode::BAD_GATEWAY,
            "An invalid response was received from the upstream server",
        );
    };
    let mut headers = up.headers;
    forwarded_headers(
        &mut headers,
        conn,
        client_host.as_deref(),
        parts.uri.path(),
        scheme,
    );
    // Only the gateway says what it stripped; a client's value would steer the upstream's links.
    headers.remove(names::X_FORWARDED_PREFIX);
    if let Some(prefix) = stripped_prefix {
        headers.insert(names::X_FORWARDED_PREFIX, prefix);
    }
    let host_value = if route.preserve_host {
        client_host
            .as_deref()
            .and_then(|h| HeaderValue::from_str(h).ok())
    } else {
        upstream.host.clone()
    };
    if let Some(h) = host_value {
        headers.insert(HOST, h);
    }
    let (body, client_body_broken) = crate::client_body::watch(up.body);
    let mut upstream_req = Request::new(body);
    *upstream_req.method_mut() = up.method;
    *upstream_req.uri_mut() = target;
    *upstream_req.headers_mut() = headers;
    let proxy_latency = started.elapsed();
    let sent = Instant::now();
    let wait = Duration::from_millis(service.read_timeout.saturating_add(service.write_timeout));
    let result = tokio::time::timeout(wait, pool.send(upstream_req)).await;
    let upstream_latency = sent.elapsed();
    let mut response = match result {
        Err(_) => {
            return kong_error(
                StatusCode::GATEWAY_TIMEOUT,
                "The upstream server is timing out",
            )
        }
        // The client's body broke while it was forwarded (a chunk size that overflows, a bad
        // chunk line): the client's framing error, not the upstream's.
        Ok(Err(_)) if client_body_broken.is_raised() => {
            return kong_error(StatusCode::BAD_REQUEST, "Bad request")
        }
        Ok(Err(e)) => {
            tracing::info!(error = %e, service = %service.host, "upstream request failed");
            if is_timeout(&e) {
                return kong_error(
                    StatusCode::GATEWAY_TIMEOUT,
                    "The upstream server is timing out",
                );
            }
            return kong_error(
                StatusCode::BAD_GATEWAY,
                "An invalid response was received from the upstream server",
            );
        }
        Ok(Ok(r)) => {
            let idle = Duration::from_millis(service.read_timeout);
            r.map(|b| Body::new(crate::idle_body::IdleTimeout::new(b, idle)))
        }
    };
    // The client talks to the gateway, not to the upstream: answer in the client's version.
    *response.version_mut() = client_version;
    let h = response.headers_mut();
    strip_hop_by_hop(h);
    h.append(http::header::VIA, HeaderValue::from_static(VIA));
    h.insert(names::X_KONG_UPSTREAM_LATENCY, ms(upstream_latency));
    h.insert(names::X_KONG_PROXY_LATENCY, ms(proxy_latency));
    for (name, value) in &up.response_headers {
        h.append(name.clone(), value.clone());
    }
    response
}

fn is_timeout(e: &crate::upstream_pool::UpstreamError) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return true;
            }
        }
        if s.to_string().contains("timed out") || s.to_string().contains("timeout") {
            return true;
        }
        source = s.source();
    }
    false
}

/// Kong's nginx (`underscores_in_headers off`) ignores client headers with `_` in their name.
/// Upstreams on CGI-style stacks read `X_User` and `X-User` as the same variable, so passing
/// them would let a client supply an identity header the plugins strip only in its `-` form.
fn drop_underscored_headers(headers: &mut HeaderMap) {
    let underscored: Vec<http::HeaderName> = headers
        .keys()
        .filter(|name| name.as_str().contains('_'))
        .cloned()
        .collect();
    for name in underscored {
        headers.remove(name);
    }
}

/// Kong's answer to a plain-http request for an https-only route: 426 with
/// `{"message":"Please use HTTPS protocol"}` and an upgrade offer (RFC 9110 §15.5.22), or a
/// redirect to the https URL when the route's `https_redirect_status_code` is 301/302/307/308.
fn https_required(code: u16, host: Option<&str>, uri: &http::Uri) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::UPGRADE_REQUIRED);
    if matches!(code, 301 | 302 | 307 | 308) {
        let target = uri.path_and_query().map_or("/", |p| p.as_str());
        let location = format!("https://{}{}", host.unwrap_or("localhost"), target);
        if let Ok(v) = HeaderValue::from_str(&location) {
            let mut r = PluginResponse::empty(status).into_response();
            r.headers_mut().insert(http::header::LOCATION, v);
            return r;
        }
    }
    let mut r = kong_error(status, "Please use HTTPS protocol");
    if status == StatusCode::UPGRADE_REQUIRED {
        let h = r.headers_mut();
        h.insert(
            http::header::CONNECTION,
            HeaderValue::from_static("Upgrade"),
        );
        h.insert(
            http::header::UPGRADE,
            HeaderValue::from_static("TLS/1.2, HTTP/1.1"),
        );
    }
    r
}

/// The `X-Forwarded-*` headers upstream. A trusted proxy's `X-Forwarded-Proto` passes on (it
/// terminated TLS in front of the gateway); anyone else's is replaced by the scheme the
/// gateway received.
fn forwarded_headers(
    headers: &mut HeaderMap,
    conn: &Connection,
    host: Option<&str>,
    raw_path: &str,
    scheme: &'static str,
) {
    let set = |headers: &mut HeaderMap, name: HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    // A client's own list is extended, as nginx's `$proxy_add_x_forwarded_for` does.
    let extended = headers
        .get(&names::X_FORWARDED_FOR)
        .and_then(|v| v.to_str().ok())
        .zip(conn.ip.to_str().ok())
        .map(|(existing, ip)| format!("{existing}, {ip}"));
    match extended {
        Some(list) => set(headers, names::X_FORWARDED_FOR, &list),
        None => {
            headers.insert(names::X_FORWARDED_FOR, conn.ip.clone());
        }
    }
    headers.insert(names::X_REAL_IP, conn.ip.clone());
    let forwarded = headers
        .get(&names::X_FORWARDED_PROTO)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let proto = match forwarded {
        Some(p) if conn.trusted && p.eq_ignore_ascii_case("https") => "https",
        Some(p) if conn.trusted && p.eq_ignore_ascii_case("http") => "http",
        _ => scheme,
    };
    headers.insert(names::X_FORWARDED_PROTO, HeaderValue::from_static(proto));
    if let Some(h) = host {
        let name = h.rsplit_once(':').map_or(h, |(n, p)| {
            if p.chars().all(|c| c.is_ascii_digit()) {
                n
            } else {
                h
            }
        });
        set(headers, names::X_FORWARDED_HOST, name);
    }
    headers.insert(names::X_FORWARDED_PORT, conn.port.clone());
    set(headers, names::X_FORWARDED_PATH, raw_path);
    headers.append(http::header::VIA, HeaderValue::from_static(VIA));
}
