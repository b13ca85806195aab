//! Requests as bytes on the wire (hyper parses them, not a client library that would fix them
//! first): `Host` rules, absolute-form targets, chunked framing errors, and request smuggling.
//! Whatever reaches the upstream must be exactly what the plugin chain judged.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;
use crate::support::*;

/// Sent after each case on the same connection: when the case left the connection usable, its
/// answer (404, no route for this host) comes last and the gateway closes.
const SENTINEL: &[u8] = b"GET /end HTTP/1.1\r\nHost: sentinel.invalid\r\nConnection: close\r\n\r\n";

/// What the gateway answered to `raw` on one connection: each response's status, in order,
/// and whether the sentinel got its answer (the connection stayed in sync).
#[derive(Debug)]
struct Answer {
    statuses: Vec<u16>,
    text: String,
}

async fn exchange(addr: SocketAddr, raw: &[u8]) -> Answer {
    let mut sock = TcpStream::connect(addr).await.unwrap();
    let mut bytes = raw.to_vec();
    bytes.extend_from_slice(SENTINEL);
    // The gateway may close early (a framing error ends the connection): that is an answer.
    let _ = sock.write_all(&bytes).await;
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 8192];
        loop {
            match sock.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&out).into_owned();
    assert!(
        read.is_ok(),
        "the gateway neither answered nor closed: {text:?}"
    );
    // Responses follow each other without a separator after a body.
    let statuses = regex::Regex::new(r"HTTP/1\.[01] (\d{3}) [A-Z]")
        .unwrap()
        .captures_iter(&text)
        .map(|c| c[1].parse().unwrap())
        .collect();
    Answer { statuses, text }
}

struct Stack {
    gw: gatecheck_gateway::Handle,
    judged: Log,
    upstream: Log,
}

/// A gateway with the recorder in front of the recording upstream: route `a.test` (service
/// path `/A`), `b.test` (`/B`), and every other host on `/`.
async fn stack(record: bool) -> Stack {
    let (up, upstream) = recording_upstream().await;
    let gw = gateway_with(json!({
        "_format_version": "3.0",
        "services": [
            {"name": "a", "url": format!("http://{up}/A"), "routes": [{"hosts": ["a.test"], "paths": ["/"], "strip_path": false}]},
            {"name": "b", "url": format!("http://{up}/B"), "routes": [{"hosts": ["b.test"], "paths": ["/"], "strip_path": false}]},
            {"name": "any", "url": format!("http://{up}"), "routes": [{"paths": ["/x", "/smuggled"], "strip_path": false}]},
        ]
    }))
    .await;
    let judged = if record {
        record_judged(&gw).await
    } else {
        Log::default()
    };
    Stack {
        gw,
        judged,
        upstream,
    }
}

#[tokio::test]
async fn two_host_fields_an_invalid_host_or_none_on_http11_are_400() {
    let s = stack(true).await;
    for raw in [
        "GET /x HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\nX-Case: dup\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: a.test\r\nHost: a.test\r\nX-Case: dup-same\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: a.test, b.test\r\nX-Case: list\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: evil@a.test\r\nX-Case: userinfo\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: a test\r\nX-Case: space\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: \r\nX-Case: empty\r\n\r\n",
        "GET /x HTTP/1.1\r\nX-Case: missing\r\n\r\n",
    ] {
        let answer = exchange(s.gw.proxy_addr(), raw.as_bytes()).await;
        assert_eq!(
            answer.statuses.first(),
            Some(&400),
            "{raw:?}: {}",
            answer.text
        );
    }
    assert!(s.judged.sorted().is_empty(), "{:?}", s.judged.sorted());
    assert!(s.upstream.sorted().is_empty());
    // HTTP/1.0 needs no Host.
    let answer = exchange(s.gw.proxy_addr(), b"GET /x HTTP/1.0\r\nX-Case: old\r\n\r\n").await;
    assert_eq!(answer.statuses.first(), Some(&200), "{}", answer.text);
}

#[tokio::test]
async fn an_absolute_form_target_routes_by_its_authority_not_the_host_field() {
    let s = stack(true).await;
    let answer = exchange(
        s.gw.proxy_addr(),
        b"GET http://a.test/p HTTP/1.1\r\nHost: b.test\r\nX-Case: abs\r\n\r\n",
    )
    .await;
    assert_eq!(answer.statuses.first(), Some(&200), "{}", answer.text);
    let seen = s.upstream.of("abs");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/A/p", "routed by the authority a.test");
    let judged = s.judged.of("abs");
    assert_eq!(judged.len(), 1);
    assert_eq!(judged[0].path, "/p");
    // The Host the plugins and the upstream see is the target's.
    let answer = exchange(
        s.gw.proxy_addr(),
        b"GET http://b.test/p HTTP/1.1\r\nX-Case: abs-nohost\r\n\r\n",
    )
    .await;
    assert_eq!(answer.statuses.first(), Some(&200), "{}", answer.text);
    assert_eq!(s.upstream.of("abs-nohost")[0].path, "/B/p");
}

#[tokio::test]
async fn a_chunk_size_that_overflows_is_the_clients_400_not_a_502() {
    // Without a plugin buffering it, the body streams to the upstream: the framing error
    // surfaces while forwarding.
    for record in [false, true] {
        let s = stack(record).await;
        for (i, size) in [
            "FFFFFFFFFFFFFFFFFFFF",
            "10000000000000000",
            "-1",
            "0x10",
            "zz",
        ]
        .iter()
        .enumerate()
        {
            let raw = format!(
                "POST /x HTTP/1.1\r\nHost: c.test\r\nX-Case: chunk-{i}\r\nTransfer-Encoding: chunked\r\n\r\n{size}\r\nabc\r\n0\r\n\r\n"
            );
            let answer = exchange(s.gw.proxy_addr(), raw.as_bytes()).await;
            let first = answer.statuses.first().copied();
            assert_eq!(
                first,
                Some(400),
                "{size} (recorder {record}): {}",
                answer.text
            );
        }
        assert!(
            s.upstream.sorted().iter().all(|u| u.body.is_empty()),
            "nothing of a broken body is forwarded as if complete"
        );
    }
}

/// Raw requests that disagree with themselves about where they end: conflicting or
/// duplicated framing headers, obfuscated `Transfer-Encoding`, obsolete line folding, bad
/// chunk lines, and a second request hidden in each body.
fn smuggling_cases() -> Vec<(String, Vec<u8>)> {
    let hidden = "GET /smuggled HTTP/1.1\r\nHost: c.test\r\nX-Case: {case}-hidden\r\n\r\n";
    let chunked = "5\r\nhello\r\n0\r\n\r\n";
    let framings: Vec<(&str, String, String)> = vec![
        (
            "cl-te",
            "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n".into(),
            chunked.into(),
        ),
        (
            "te-cl",
            "Transfer-Encoding: chunked\r\nContent-Length: 40\r\n".into(),
            chunked.into(),
        ),
        (
            "te-list",
            "Transfer-Encoding: identity, chunked\r\n".into(),
            chunked.into(),
        ),
        (
            "te-chunked-identity",
            "Transfer-Encoding: chunked, identity\r\nContent-Length: 5\r\n".into(),
            "hello".into(),
        ),
        (
            "te-twice",
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n".into(),
            chunked.into(),
        ),
        (
            "te-upper",
            "Transfer-Encoding: CHUNKED\r\n".into(),
            chunked.into(),
        ),
        (
            "te-xchunked",
            "Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n".into(),
            "hello".into(),
        ),
        (
            "te-tab",
            "Transfer-Encoding:\tchunked\r\n".into(),
            chunked.into(),
        ),
        (
            "te-space-before-colon",
            "Transfer-Encoding : chunked\r\nContent-Length: 5\r\n".into(),
            "hello".into(),
        ),
        (
            "te-obs-fold",
            "Transfer-Encoding:\r\n chunked\r\nContent-Length: 5\r\n".into(),
            "hello".into(),
        ),
        (
            "te-http10",
            "Transfer-Encoding: chunked\r\n".into(),
            chunked.into(),
        ),
        (
            "cl-twice-same",
            "Content-Length: 5\r\nContent-Length: 5\r\n".into(),
            "hello".into(),
        ),
        (
            "cl-twice-differ",
            "Content-Length: 5\r\nContent-Length: 6\r\n".into(),
            "hello!".into(),
        ),
        ("cl-list", "Content-Length: 5, 5\r\n".into(), "hello".into()),
        ("cl-plus", "Content-Length: +5\r\n".into(), "hello".into()),
        (
            "cl-negative",
            "Content-Length: -5\r\n".into(),
            "hello".into(),
        ),
        ("cl-hex", "Content-Length: 0x5\r\n".into(), "hello".into()),
        (
            "cl-overflow",
            "Content-Length: 99999999999999999999999\r\n".into(),
            "hello".into(),
        ),
        (
            "cl-zero-with-body",
            "Content-Length: 0\r\n".into(),
            String::new(),
        ),
        (
            "obs-fold",
            "X-Folded: a\r\n b\r\nContent-Length: 5\r\n".into(),
            "hello".into(),
        ),
        (
            "header-nul",
            "X-Nul: a\0b\r\nContent-Length: 5\r\n".into(),
            "hello".into(),
        ),
        (
            "header-space-name",
            "X Bad: a\r\nContent-Length: 5\r\n".into(),
            "hello".into(),
        ),
        (
            "chunk-ext",
            "Transfer-Encoding: chunked\r\n".into(),
            "5;name=value\r\nhello\r\n0\r\n\r\n".into(),
        ),
        (
            "chunk-no-crlf",
            "Transfer-Encoding: chunked\r\n".into(),
            "5\r\nhelloX0\r\n\r\n".into(),
        ),
        (
            "chunk-short",
            "Transfer-Encoding: chunked\r\n".into(),
            "9\r\nhello\r\n0\r\n\r\n".into(),
        ),
        (
            "chunk-trailer",
            "Transfer-Encoding: chunked\r\n".into(),
            "5\r\nhello\r\n0\r\nAuthorization: Bearer forged\r\nX-Consumer-Id: admin\r\n\r\n"
                .into(),
        ),
        (
            "chunk-lf-only",
            "Transfer-Encoding: chunked\r\n".into(),
            "5\nhello\n0\n\n".into(),
        ),
    ];
    let mut cases = Vec::new();
    for (name, framing, body) in framings {
        let version = if name == "te-http10" {
            "HTTP/1.0"
        } else {
            "HTTP/1.1"
        };
        let raw = format!(
            "POST /x {version}\r\nHost: c.test\r\nX-Case: {name}\r\n{framing}\r\n{body}{}",
            hidden.replace("{case}", name)
        );
        cases.push((name.to_owned(), raw.into_bytes()));
    }
    // Line endings and request lines hyper must take or refuse whole.
    for (name, raw) in [
        ("bare-lf", "POST /x HTTP/1.1\nHost: c.test\nX-Case: bare-lf\nContent-Length: 5\n\nhello"),
        ("double-space", "POST  /x HTTP/1.1\r\nHost: c.test\r\nX-Case: double-space\r\nContent-Length: 5\r\n\r\nhello"),
        ("http09", "GET /x\r\n\r\n"),
        ("lower-method", "post /x HTTP/1.1\r\nHost: c.test\r\nX-Case: lower-method\r\nContent-Length: 5\r\n\r\nhello"),
        ("long-header", &format!("GET /x HTTP/1.1\r\nHost: c.test\r\nX-Case: long-header\r\nX-Long: {}\r\n\r\n", "a".repeat(100_000))),
        ("many-headers", &format!("GET /x HTTP/1.1\r\nHost: c.test\r\nX-Case: many-headers\r\n{}\r\n", "X-H: 1\r\n".repeat(200))),
    ] {
        cases.push((name.to_owned(), raw.as_bytes().to_vec()));
    }
    cases
}

/// For every smuggling case: the gateway answers each request it parsed (a 4xx for framing it
/// refuses, 501 for a transfer coding it does not implement, as RFC 9112 §6.1 says), and the
/// upstream receives exactly the requests the plugin chain judged, nothing hidden in a body.
#[tokio::test]
async fn smuggled_requests_never_reach_the_upstream_unjudged() {
    let s = stack(true).await;
    let cases = smuggling_cases();
    let count = cases.len();
    let mut outcomes = Vec::new();
    for (name, raw) in &cases {
        let answer = exchange(s.gw.proxy_addr(), raw).await;
        for status in &answer.statuses {
            assert!(
                *status < 500 || *status == 501,
                "{name}: a client's framing is never a server error: {}",
                answer.text
            );
        }
        outcomes.push(format!("{name}: {:?}", answer.statuses));
    }
    let judged = s.judged.sorted();
    let upstream = s.upstream.sorted();
    for u in &upstream {
        let twin = judged.iter().find(|j| {
            j.case == u.case && j.method == u.method && j.path == u.path && j.body == u.body
        });
        assert!(
            twin.is_some(),
            "the upstream got a request no plugin judged: {u:?}\n{outcomes:#?}"
        );
        assert!(
            !u.headers.iter().any(|h| h.starts_with("trailer:")),
            "client trailers reach the upstream unjudged: {u:?}"
        );
    }
    assert_eq!(judged.len(), upstream.len(), "{judged:#?}\n{upstream:#?}");
    eprintln!(
        "smuggling: {count} cases, {} requests forwarded\n{}",
        upstream.len(),
        outcomes.join("\n")
    );
}
