//! Path confusion: route prefixes × request paths (percent-encodings, dot segments, case, `;`,
//! prefix boundaries) × `strip_path` × service paths × `path_handling`. For every request the
//! gateway either refuses it before any plugin runs, or the upstream receives the path the
//! plugins judged: the service path followed by the judged path's segments after the route's
//! prefix, in a form no upstream can resolve to anything else.

use futures::StreamExt;
use percent_encoding::percent_decode_str;
use serde_json::{json, Value};

use crate::common::*;
use crate::support::*;

const PREFIXES: &[&str] = &["/", "/api", "/api/", "/a/b", "~/items/\\d+", "~/v\\d+/"];
/// Service paths with `path_handling`: v1 differs from v0 only when the service path does not
/// end with `/`.
const SERVICES: &[(Option<&str>, &str)] = &[
    (None, "v0"),
    (Some("/svc"), "v0"),
    (Some("/svc/"), "v0"),
    (Some("/svc"), "v1"),
];
const FIRST: &[&str] = &[
    "api",
    "apiadmin",
    "api.json",
    "api;x",
    "API",
    "%61pi",
    "items",
    "v1",
    "..",
    "%2e%2e",
    "api%2F..",
    "",
    "caf%C3%A9",
    "%ff",
];
const SECOND: &[&str] = &["", "admin", "42abc", "..", "%2e", "..;"];

/// Independent model of the normalisation the gateway must do (nginx's `$uri`): decode, drop
/// empty and `.` segments, `..` pops (none left: refused), a trailing slash is kept.
fn model_normalize(raw: &str) -> Option<String> {
    let decoded = percent_decode_str(raw).decode_utf8().ok()?;
    if decoded.contains('\0') || !decoded.starts_with('/') {
        return None;
    }
    let mut out: Vec<&str> = Vec::new();
    let parts: Vec<&str> = decoded.split('/').skip(1).collect();
    for p in &parts {
        match *p {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s),
        }
    }
    let trailing = matches!(parts.last(), Some(&("" | "." | "..")));
    let mut path = format!("/{}", out.join("/"));
    if trailing && path != "/" {
        path.push('/');
    }
    Some(path)
}

struct Route {
    prefix: &'static str,
    strip: bool,
    service_path: Option<&'static str>,
    handling: &'static str,
}

impl Route {
    /// Where the prefix match ends in `path`, if it matches (Kong: a plain string prefix, or
    /// an anchored regex).
    fn matched(&self, path: &str) -> Option<usize> {
        match self.prefix.strip_prefix('~') {
            Some(re) => regex::Regex::new(&format!("^(?:{re})"))
                .unwrap()
                .find(path)
                .map(|m| m.end()),
            None => path.starts_with(self.prefix).then_some(self.prefix.len()),
        }
    }

    /// What the upstream must receive for the judged path, or `None` for a refusal.
    fn forwarded(&self, judged: &str, matched: usize) -> Option<String> {
        let (stripped, rest) = judged.split_at(matched);
        let rest = if self.strip { rest } else { judged };
        let whole_segments =
            rest.is_empty() || rest.starts_with('/') || stripped.ends_with('/') || !self.strip;
        if !whole_segments {
            return None;
        }
        let base = self.service_path.unwrap_or("/");
        if rest.is_empty() {
            // Kong: the judged path's trailing slash decides the service path's.
            let slash = judged.ends_with('/');
            return Some(if base == "/" {
                base.to_owned()
            } else if let Some(bare) = base.strip_suffix('/') {
                if slash {
                    base.to_owned()
                } else {
                    bare.to_owned()
                }
            } else if slash && judged.len() > 1 {
                format!("{base}/")
            } else {
                base.to_owned()
            });
        }
        match (base.ends_with('/'), rest.starts_with('/')) {
            (true, true) => Some(format!("{base}{}", &rest[1..])),
            (false, false) if self.handling == "v1" => None,
            (false, false) => Some(format!("{base}/{rest}")),
            _ => Some(format!("{base}{rest}")),
        }
    }
}

fn routes() -> Vec<Route> {
    let mut out = Vec::new();
    for prefix in PREFIXES {
        for strip in [true, false] {
            for (service_path, handling) in SERVICES {
                out.push(Route {
                    prefix,
                    strip,
                    service_path: *service_path,
                    handling,
                });
            }
        }
    }
    out
}

fn request_paths() -> Vec<String> {
    let mut out = Vec::new();
    for a in FIRST {
        for b in SECOND {
            out.push(format!("/{a}/{b}"));
        }
        out.push(format!("/{a}"));
        out.push(format!("//{a}"));
    }
    out.extend(
        [
            "/",
            "/a/b",
            "/a/bc",
            "/a/b/c",
            "/items/42",
            "/items/42/x",
            "/a%00",
            "/api/../../x",
        ]
        .map(String::from),
    );
    out
}

#[tokio::test]
async fn the_upstream_receives_exactly_the_path_the_plugins_judged() {
    let (up, upstream) = recording_upstream().await;
    let routes = routes();
    let services: Vec<Value> = routes
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({"name": format!("s{i}"), "url": format!("http://{up}{}", r.service_path.unwrap_or("")),
                   "routes": [{"hosts": [format!("r{i}.test")], "paths": [r.prefix],
                               "strip_path": r.strip, "path_handling": r.handling}]})
        })
        .collect();
    let gw = gateway_with(json!({"_format_version": "3.0", "services": services})).await;
    let judged = record_judged(&gw).await;
    let raw_client: hyper_util::client::legacy::Client<_, http_body_util::Empty<bytes::Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http();
    let paths = request_paths();
    let mut jobs = Vec::new();
    for (i, _) in routes.iter().enumerate() {
        for (j, p) in paths.iter().enumerate() {
            jobs.push((i, j, p.clone()));
        }
    }
    let started = std::time::Instant::now();
    let base = gw.proxy_url();
    let results: Vec<(usize, String, String, u16)> = futures::stream::iter(jobs)
        .map(|(i, j, p)| {
            let raw_client = raw_client.clone();
            let base = base.clone();
            async move {
                let case = format!("{i}-{j}");
                let req = http::Request::get(format!("{base}{p}"))
                    .header("host", format!("r{i}.test"))
                    .header(CASE, &case)
                    .body(http_body_util::Empty::new())
                    .unwrap();
                let status = raw_client.request(req).await.unwrap().status().as_u16();
                (i, case, p, status)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let requested = started.elapsed();
    let (judged, upstream) = (judged.by_case(), upstream.by_case());
    let none = Vec::new();
    let (mut forwarded, mut refused) = (0, 0);
    for (i, case, raw, status) in &results {
        let route = &routes[*i];
        let what = format!(
            "route {} strip {} service {:?} {} ← {raw}",
            route.prefix, route.strip, route.service_path, route.handling
        );
        let judged_now = judged.get(case).unwrap_or(&none);
        let seen = upstream.get(case).unwrap_or(&none);
        let Some(norm) = model_normalize(raw) else {
            assert_eq!(*status, 400, "{what}");
            assert!(judged_now.is_empty() && seen.is_empty(), "{what}");
            refused += 1;
            continue;
        };
        let expected = route.matched(&norm).and_then(|m| route.forwarded(&norm, m));
        let Some(expected) = expected else {
            assert_eq!(*status, 404, "{what}: refused before any plugin");
            assert!(judged_now.is_empty(), "{what}: judged {judged_now:?}");
            assert!(seen.is_empty(), "{what}: forwarded {seen:?}");
            refused += 1;
            continue;
        };
        assert_eq!(*status, 200, "{what}");
        assert_eq!(judged_now.len(), 1, "{what}");
        assert_eq!(
            judged_now[0].path, norm,
            "{what}: the plugins judged the normalised path"
        );
        assert_eq!(seen.len(), 1, "{what}");
        let sent = &seen[0].path;
        let decoded = percent_decode_str(sent).decode_utf8().unwrap();
        assert_eq!(decoded, expected, "{what}: upstream got {sent}");
        // No upstream resolves the forwarded path any further: no dot segments (plain or
        // encoded), no empty segments, nothing a URL parser would rewrite.
        assert_eq!(
            model_normalize(sent).as_deref(),
            Some(&*decoded),
            "{what}: {sent}"
        );
        let reparsed = url::Url::parse(&format!("http://u{sent}")).unwrap();
        assert_eq!(reparsed.path(), sent, "{what}");
        forwarded += 1;
    }
    eprintln!(
        "path confusion: {} routes × {} paths = {} cases ({forwarded} forwarded, {refused} refused) in {:?} ({requested:?} requesting)",
        routes.len(),
        paths.len(),
        results.len(),
        started.elapsed()
    );
}

/// The review's case: `paths: [/api]` with `strip_path` matches `/apiadmin/users` (Kong's
/// prefix is a plain string prefix), but forwarding `/admin/users` would serve a path no
/// plugin judged: refused, while `/api/admin/users` is forwarded as `/admin/users`.
#[tokio::test]
async fn a_strip_path_prefix_never_forwards_across_a_segment_boundary() {
    let (up, upstream) = recording_upstream().await;
    let gw = gateway_with(json!({
        "_format_version": "3.0",
        "services": [{"name": "api", "url": format!("http://{up}"), "routes": [
            {"paths": ["/api"], "strip_path": true},
            {"paths": ["/keep"], "strip_path": false},
        ]}]
    }))
    .await;
    let judged = record_judged(&gw).await;
    let get = |path: &str, case: &str| {
        client()
            .get(format!("{}{path}", gw.proxy_url()))
            .header(CASE, case)
            .send()
    };
    let refused = get("/apiadmin/users", "cross").await.unwrap();
    expect_message(refused, 404, "no Route matched with those values").await;
    assert!(judged.of("cross").is_empty() && upstream.of("cross").is_empty());
    for (path, case, forwarded) in [
        ("/api/admin/users", "whole", "/admin/users"),
        ("/api", "exact", "/"),
        ("/keepalive/x", "no-strip", "/keepalive/x"),
    ] {
        assert_eq!(get(path, case).await.unwrap().status(), 200, "{path}");
        assert_eq!(judged.of(case)[0].path, path);
        assert_eq!(upstream.of(case)[0].path, forwarded, "{path}");
    }
}
