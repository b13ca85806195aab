//! The request as plugins see and shape it during the access phase.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use bytes::Bytes;
use http::header::{HeaderMap, HeaderValue, CONTENT_LENGTH, COOKIE, HOST, TRANSFER_ENCODING};
use http::{Extensions, Method};
use http_body_util::{BodyExt, Limited};

use uuid::Uuid;

use super::context::{AuthenticatedConsumer, AuthenticatedConsumerGroups};
use crate::entities::consumer_groups::{ConsumerGroup, ConsumerGroups};
use crate::entities::{Consumers, Entities};

/// Why the body could not be buffered.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BodyError {
    /// The body is larger than the limit asked for.
    #[error("request body larger than {0} bytes")]
    TooLarge(usize),
    /// The client's body stream failed.
    #[error("cannot read the request body: {0}")]
    Read(String),
}

enum BodyState {
    Stream(Body),
    Buffered(Bytes),
    /// A read failed part-way: what was read is gone, so the request must not go upstream
    /// (an empty or truncated body would be forwarded as if it were the client's).
    Lost(BodyError),
}

/// One proxied request during the access phase: what plugins read, and what they change about
/// the request sent upstream and the response sent back (see the module docs of `plugins`).
pub struct AccessRequest {
    method: Method,
    path: String,
    path_and_query: String,
    query: Option<String>,
    headers: HeaderMap,
    body: BodyState,
    client_addr: SocketAddr,
    secure: bool,
    trusted_peer: bool,
    /// The `Host` the client sent, kept for [`AccessRequest::origin`] (plugins may rewrite
    /// the header; the origin is what the client addressed).
    client_host: Option<HeaderValue>,
    /// Formatted on first use: most requests never ask.
    origin: std::sync::OnceLock<String>,
    extensions: Extensions,
    response_headers: HeaderMap,
    entities: Arc<Entities>,
    route: Option<Uuid>,
    service: Option<Uuid>,
}

impl std::fmt::Debug for AccessRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("path_and_query", &self.path_and_query)
            .finish_non_exhaustive()
    }
}

impl AccessRequest {
    /// A request as received. `path` must already be normalised (`crate::path::normalize`);
    /// `path_and_query` is the request target as sent.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        method: Method,
        path: String,
        path_and_query: String,
        headers: HeaderMap,
        body: Body,
        client_addr: SocketAddr,
        secure: bool,
        entities: Arc<Entities>,
    ) -> Self {
        let query = path_and_query.split_once('?').map(|(_, q)| q.to_owned());
        let client_host = headers.get(HOST).cloned();
        Self {
            method,
            path,
            path_and_query,
            query,
            headers,
            body: BodyState::Stream(body),
            client_addr,
            secure,
            trusted_peer: false,
            client_host,
            origin: std::sync::OnceLock::new(),
            extensions: Extensions::new(),
            response_headers: HeaderMap::new(),
            entities,
            route: None,
            service: None,
        }
    }

    /// Records the matched route and its service (the proxy does, before the plugins run).
    pub fn set_target(&mut self, route: Uuid, service: Uuid) {
        self.route = Some(route);
        self.service = Some(service);
    }

    /// Marks the client as a trusted proxy (its address is in the gateway's `trusted_ips`), whose
    /// `X-Forwarded-Proto` may be believed.
    pub fn set_trusted_peer(&mut self, trusted: bool) {
        self.trusted_peer = trusted;
    }

    /// Whether the client is a trusted proxy (see [`AccessRequest::set_trusted_peer`]).
    pub fn trusted_peer(&self) -> bool {
        self.trusted_peer
    }

    /// The matched route's id.
    pub fn route_id(&self) -> Option<Uuid> {
        self.route
    }

    /// The id of the service the request goes to.
    pub fn service_id(&self) -> Option<Uuid> {
        self.service
    }

    /// The method that will be sent upstream (as the client sent it unless a plugin changed it).
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// Changes the method sent upstream.
    pub fn set_method(&mut self, method: Method) {
        self.method = method;
    }

    /// The normalised path: percent-decoded, dot-segments resolved, slashes merged, no query.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The request target as received (path and query, not normalised).
    pub fn path_and_query(&self) -> &str {
        &self.path_and_query
    }

    /// The raw query string, if any.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// Replaces the query sent upstream (`None` or empty: no query), e.g. to hide a credential
    /// passed as a query argument.
    pub fn set_query(&mut self, query: Option<String>) {
        self.query = query.filter(|q| !q.is_empty());
    }

    /// The request headers (as they will be sent upstream, after plugins' changes).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The headers sent upstream, to change.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// The client's address.
    pub fn client_addr(&self) -> SocketAddr {
        self.client_addr
    }

    /// Whether the client used https.
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// `scheme://host[:port]` as the client addressed the gateway (from `Host`).
    pub fn origin(&self) -> &str {
        self.origin.get_or_init(|| {
            let scheme = if self.secure { "https" } else { "http" };
            let host = self
                .client_host
                .as_ref()
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            format!("{scheme}://{host}")
        })
    }

    /// Typed data shared between plugins of this request (see [`super::context`]).
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// Typed data shared between plugins of this request, to change.
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }

    /// Headers added to whatever response the client gets (e.g. `Set-Cookie`).
    pub fn response_headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.response_headers
    }

    /// Kong consumers of the configuration this request runs under.
    pub fn consumers(&self) -> &Arc<Consumers> {
        self.entities.consumers()
    }

    /// Every entity of the configuration this request runs under (consumers, DAO indexes,
    /// runtime tables).
    pub fn entities(&self) -> &Arc<Entities> {
        &self.entities
    }

    /// The consumer groups of the configuration (lookups by name, a consumer's memberships).
    pub fn consumer_group_index(&self) -> Option<&ConsumerGroups> {
        self.entities.index::<ConsumerGroups>()
    }

    /// The consumer groups this request belongs to: those an authentication plugin mapped it
    /// to ([`AuthenticatedConsumerGroups`]), else the authenticated consumer's memberships
    /// (sorted by name), else none.
    pub fn consumer_groups(&self) -> Arc<[Arc<ConsumerGroup>]> {
        if let Some(groups) = self.extensions.get::<AuthenticatedConsumerGroups>() {
            return groups.0.clone();
        }
        match (
            self.extensions.get::<AuthenticatedConsumer>(),
            self.consumer_group_index(),
        ) {
            (Some(consumer), Some(index)) => index.of_consumer(consumer.0.id),
            _ => Arc::from(Vec::new()),
        }
    }

    /// Buffers the body (at most `limit` bytes) and returns it; it is still sent upstream.
    /// Once buffered, later calls return the same bytes. After a failed read the same error is
    /// returned again and the proxy refuses to forward the request (see [`BodyError`]).
    pub async fn body_bytes(&mut self, limit: usize) -> Result<Bytes, BodyError> {
        let taken = std::mem::replace(&mut self.body, BodyState::Buffered(Bytes::new()));
        let (state, result) = match taken {
            BodyState::Buffered(bytes) => (BodyState::Buffered(bytes.clone()), Ok(bytes)),
            BodyState::Lost(e) => (BodyState::Lost(e.clone()), Err(e)),
            BodyState::Stream(body) => match Limited::new(body, limit).collect().await {
                Ok(collected) => {
                    let bytes = collected.to_bytes();
                    (BodyState::Buffered(bytes.clone()), Ok(bytes))
                }
                Err(e) => {
                    let e = if e
                        .downcast_ref::<http_body_util::LengthLimitError>()
                        .is_some()
                    {
                        BodyError::TooLarge(limit)
                    } else {
                        BodyError::Read(e.to_string())
                    };
                    (BodyState::Lost(e.clone()), Err(e))
                }
            },
        };
        self.body = state;
        result
    }

    /// Replaces the body sent upstream (`Content-Length` follows).
    pub fn set_body(&mut self, body: Bytes) {
        self.headers.remove(TRANSFER_ENCODING);
        self.headers
            .insert(CONTENT_LENGTH, HeaderValue::from(body.len() as u64));
        self.body = BodyState::Buffered(body);
    }

    /// Removes the cookie `name` from the `Cookie` header(s) sent upstream; the header goes
    /// away when no cookie is left.
    pub fn remove_cookie(&mut self, name: &str) {
        let mut kept: Vec<String> = Vec::new();
        let mut changed = false;
        for value in self.headers.get_all(COOKIE) {
            let Ok(text) = value.to_str() else {
                changed = true;
                continue;
            };
            for pair in text.split(';') {
                let pair = pair.trim();
                if pair.is_empty() {
                    continue;
                }
                let cookie_name = pair.split_once('=').map_or(pair, |(n, _)| n).trim();
                if cookie_name == name {
                    changed = true;
                } else {
                    kept.push(pair.to_owned());
                }
            }
        }
        if !changed {
            return;
        }
        self.headers.remove(COOKIE);
        if !kept.is_empty() {
            if let Ok(v) = HeaderValue::from_str(&kept.join("; ")) {
                self.headers.insert(COOKIE, v);
            }
        }
    }

    /// Takes the request apart for proxying; fails when a plugin's read lost the body.
    pub(crate) fn into_upstream(self) -> Result<UpstreamParts, BodyError> {
        let body = match self.body {
            BodyState::Stream(b) => b,
            BodyState::Buffered(bytes) => Body::from(bytes),
            BodyState::Lost(e) => return Err(e),
        };
        Ok(UpstreamParts {
            method: self.method,
            query: self.query,
            headers: self.headers,
            body,
            response_headers: self.response_headers,
        })
    }
}

/// What the proxy sends upstream after the access phase (the path is the one the plugins
/// judged: they cannot change it).
pub(crate) struct UpstreamParts {
    pub method: Method,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Body,
    pub response_headers: HeaderMap,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: HeaderMap, body: &'static str) -> AccessRequest {
        AccessRequest::new(
            Method::POST,
            "/a".into(),
            "/a?x=1".into(),
            headers,
            Body::from(body),
            "127.0.0.1:1".parse().unwrap(),
            false,
            Arc::new(Entities::default()),
        )
    }

    #[test]
    fn remove_cookie_keeps_the_others() {
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_static("a=1; session=xyz"));
        h.append(COOKIE, HeaderValue::from_static("b=2"));
        let mut r = request(h, "");
        r.remove_cookie("session");
        assert_eq!(r.headers()[COOKIE], "a=1; b=2");
        r.remove_cookie("a");
        r.remove_cookie("b");
        assert!(r.headers().get(COOKIE).is_none());
        assert_eq!(r.query(), Some("x=1"));
        assert_eq!(r.origin(), "http://localhost");
    }

    #[test]
    fn the_origin_is_the_host_the_client_addressed_even_after_a_rewrite() {
        let mut h = HeaderMap::new();
        h.insert(HOST, HeaderValue::from_static("gw.example:8000"));
        let mut r = request(h, "");
        r.headers_mut()
            .insert(HOST, HeaderValue::from_static("upstream.internal"));
        assert_eq!(r.origin(), "http://gw.example:8000");
    }

    #[tokio::test]
    async fn body_is_buffered_once_and_limited() {
        let mut r = request(HeaderMap::new(), "hello");
        assert_eq!(r.body_bytes(10).await.unwrap(), "hello");
        assert_eq!(r.body_bytes(10).await.unwrap(), "hello");
        r.set_body(Bytes::from_static(b"bye"));
        assert_eq!(r.headers()[CONTENT_LENGTH], "3");
        let mut r = request(HeaderMap::new(), "hello");
        assert!(matches!(r.body_bytes(2).await, Err(BodyError::TooLarge(2))));
    }

    #[tokio::test]
    async fn a_body_lost_to_a_failed_read_is_never_forwarded() {
        let mut r = request(HeaderMap::new(), "hello");
        assert!(matches!(r.body_bytes(2).await, Err(BodyError::TooLarge(2))));
        // Asking again must not return the empty placeholder as if it were the body.
        assert!(matches!(
            r.body_bytes(10).await,
            Err(BodyError::TooLarge(2))
        ));
        assert!(matches!(r.into_upstream(), Err(BodyError::TooLarge(2))));
    }

    #[tokio::test]
    async fn a_replaced_body_is_forwarded_even_after_a_failed_read() {
        let mut r = request(HeaderMap::new(), "hello");
        assert!(r.body_bytes(2).await.is_err());
        r.set_body(Bytes::from_static(b"bye"));
        let up = r
            .into_upstream()
            .expect("a body set by a plugin is forwarded");
        let sent = http_body_util::BodyExt::collect(up.body).await.unwrap();
        assert_eq!(sent.to_bytes(), "bye");
    }
}
