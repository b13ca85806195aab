//! Route matching with Kong's precedence (hosts, paths, methods, headers), and the upstream path
//! (`strip_path`, `path_handling`).

use std::cmp::Reverse;

use http::HeaderMap;
use regex::Regex;

use crate::entities::Route;

/// Checks a route host: a hostname, optionally with `:port`, with at most one `*` as the whole
/// leftmost or rightmost label.
pub fn validate_host(host: &str) -> Result<(), String> {
    let name =
        host.rsplit_once(':').map_or(
            host,
            |(h, port)| {
                if port.parse::<u16>().is_ok() {
                    h
                } else {
                    host
                }
            },
        );
    if name.is_empty() {
        return Err(format!("invalid hostname: {host}"));
    }
    let stars = name.matches('*').count();
    if stars > 1 || (stars == 1 && !(name.starts_with("*.") || name.ends_with(".*"))) {
        return Err("invalid wildcard: must be placed at leftmost or rightmost label".into());
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '*' || c == '_')
    {
        return Err(format!("invalid hostname: {host}"));
    }
    Ok(())
}

/// Checks a route path: a `/` prefix, or a `~` regex that compiles.
pub fn validate_path(path: &str) -> Result<(), String> {
    if let Some(re) = path.strip_prefix('~') {
        compile_path_regex(re)
            .map(|_| ())
            .map_err(|e| format!("invalid regex: '{re}' ({e})"))
    } else if path.starts_with('/') {
        Ok(())
    } else {
        Err("should start with: / (fixed path) or ~/ (regex path)".into())
    }
}

fn compile_path_regex(re: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{re})"))
}

#[derive(Debug)]
enum HostMatcher {
    Exact(String),
    /// `*.example.com` → `.example.com`
    AnyPrefix(String),
    /// `example.*` → `example.`
    AnySuffix(String),
}

impl HostMatcher {
    fn new(host: &str) -> Self {
        let host = host.to_ascii_lowercase();
        if let Some(rest) = host.strip_prefix('*') {
            HostMatcher::AnyPrefix(rest.to_owned())
        } else if let Some(rest) = host.strip_suffix('*') {
            HostMatcher::AnySuffix(rest.to_owned())
        } else {
            HostMatcher::Exact(host)
        }
    }

    fn is_plain(&self) -> bool {
        matches!(self, HostMatcher::Exact(_))
    }

    /// `host` is the Host header lower-cased; `name` the same without port.
    fn matches(&self, host: &str, name: &str) -> bool {
        match self {
            HostMatcher::Exact(h) if h.contains(':') => h == host,
            HostMatcher::Exact(h) => h == name,
            HostMatcher::AnyPrefix(suffix) => {
                name.len() > suffix.len() && name.ends_with(suffix.as_str())
            }
            HostMatcher::AnySuffix(prefix) => {
                name.len() > prefix.len() && name.starts_with(prefix.as_str())
            }
        }
    }
}

#[derive(Debug)]
enum PathMatcher {
    Prefix(String),
    Regex(Regex),
}

impl PathMatcher {
    /// Length of the matched part of `path`, if it matches.
    fn matched_len(&self, path: &str) -> Option<usize> {
        match self {
            PathMatcher::Prefix(p) => path.starts_with(p.as_str()).then_some(p.len()),
            PathMatcher::Regex(re) => re.find(path).map(|m| m.end()),
        }
    }
}

#[derive(Debug)]
struct Entry {
    route: usize,
    hosts: Vec<HostMatcher>,
    methods: Vec<String>,
    path: Option<PathMatcher>,
    headers: Vec<(http::HeaderName, Vec<String>)>,
}

/// A compiled set of routes.
#[derive(Debug, Default)]
pub struct Router {
    entries: Vec<Entry>,
}

/// The route a request matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// Index of the route in the slice the router was built from.
    pub route: usize,
    /// The path after `strip_path` (not yet joined with the service path).
    pub remaining: String,
}

impl Router {
    /// Compiles `routes` (already validated); routes without service are skipped.
    pub fn new(routes: &[Route]) -> Router {
        let mut keyed = Vec::new();
        for (i, route) in routes.iter().enumerate() {
            if route.service.is_none() {
                continue;
            }
            let hosts: Vec<_> = route
                .hosts
                .iter()
                .flatten()
                .map(|h| HostMatcher::new(h))
                .collect();
            let methods: Vec<String> = route.methods.clone().unwrap_or_default();
            let headers: Vec<(http::HeaderName, Vec<String>)> = route
                .headers
                .iter()
                .flatten()
                .filter_map(|(k, v)| {
                    let name = http::HeaderName::from_bytes(k.as_bytes()).ok()?;
                    let values = v
                        .as_array()?
                        .iter()
                        .filter_map(|s| s.as_str().map(str::to_ascii_lowercase))
                        .collect();
                    Some((name, values))
                })
                .collect();
            let categories = usize::from(!hosts.is_empty())
                + usize::from(!methods.is_empty())
                + usize::from(!headers.is_empty())
                + usize::from(route.paths.as_ref().is_some_and(|p| !p.is_empty()));
            // Kong's traditional router: equal counts are ordered by which criteria are set,
            // host > header > path > method.
            let mask = (u8::from(!hosts.is_empty()) << 3)
                | (u8::from(!headers.is_empty()) << 2)
                | (u8::from(route.paths.as_ref().is_some_and(|p| !p.is_empty())) << 1)
                | u8::from(!methods.is_empty());
            let plain_host = hosts.iter().any(HostMatcher::is_plain);
            let paths: Vec<Option<&String>> = match &route.paths {
                Some(p) if !p.is_empty() => p.iter().map(Some).collect(),
                _ => vec![None],
            };
            for path in paths {
                let (matcher, is_regex, prefix_len) = match path {
                    Some(p) => match p.strip_prefix('~') {
                        Some(re) => match compile_path_regex(re) {
                            Ok(re) => (Some(PathMatcher::Regex(re)), true, 0),
                            Err(_) => continue,
                        },
                        None => (Some(PathMatcher::Prefix(p.clone())), false, p.len()),
                    },
                    None => (None, false, 0),
                };
                let key = (
                    Reverse(categories),
                    Reverse(mask),
                    Reverse(plain_host),
                    Reverse(headers.len()),
                    Reverse(is_regex),
                    Reverse(if is_regex { route.regex_priority } else { 0 }),
                    Reverse(prefix_len),
                    route.created_at,
                    i,
                );
                keyed.push((
                    key,
                    Entry {
                        route: i,
                        hosts: hosts
                            .iter()
                            .map(|h| match h {
                                HostMatcher::Exact(s) => HostMatcher::Exact(s.clone()),
                                HostMatcher::AnyPrefix(s) => HostMatcher::AnyPrefix(s.clone()),
                                HostMatcher::AnySuffix(s) => HostMatcher::AnySuffix(s.clone()),
                            })
                            .collect(),
                        methods: methods.clone(),
                        path: matcher,
                        headers: headers.clone(),
                    },
                ));
            }
        }
        keyed.sort_by_key(|e| e.0);
        Router {
            entries: keyed.into_iter().map(|(_, e)| e).collect(),
        }
    }

    /// The first route (in precedence order) matching the request; `path` is normalised.
    pub fn find(
        &self,
        method: &str,
        host: Option<&str>,
        path: &str,
        headers: &HeaderMap,
    ) -> Option<RouteMatch> {
        let host = host.unwrap_or("").to_ascii_lowercase();
        let name = strip_port(&host);
        'entries: for e in &self.entries {
            if !e.hosts.is_empty() && !e.hosts.iter().any(|h| h.matches(&host, name)) {
                continue;
            }
            if !e.methods.is_empty() && !e.methods.iter().any(|m| m == method) {
                continue;
            }
            for (name, values) in &e.headers {
                let found = headers.get_all(name).iter().any(|v| {
                    v.to_str()
                        .is_ok_and(|v| values.iter().any(|want| want.eq_ignore_ascii_case(v)))
                });
                if !found {
                    continue 'entries;
                }
            }
            let matched = match &e.path {
                Some(m) => match m.matched_len(path) {
                    Some(n) => n,
                    None => continue,
                },
                None => 0,
            };
            return Some(RouteMatch {
                route: e.route,
                remaining: path[matched..].to_owned(),
            });
        }
        None
    }
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_once(']').map_or(host, |(h, _)| &h[1..]);
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    }
}

/// The path sent upstream: the service path joined with the request path (after
/// `strip_path`) the way Kong's `path_handling` says; `None` when forwarding would change the
/// path the plugins judged.
///
/// Kong's prefixes are plain string prefixes, so `/api` matches `/apiadmin/users`; stripping
/// it would send `/admin/users`, a path no plugin judged. So the stripped prefix must end at a
/// segment boundary, and a `v1` join must not glue the service path's last segment to the
/// request's first (`/s` + `x` → `/sx`); otherwise the request is refused.
pub fn upstream_path(
    service_path: Option<&str>,
    route: &Route,
    path: &str,
    remaining: &str,
) -> Option<String> {
    let stripped = &path[..path.len() - remaining.len()];
    let rest = if route.strip_path { remaining } else { path };
    let whole_segments = !route.strip_path
        || remaining.is_empty()
        || remaining.starts_with('/')
        || stripped.ends_with('/');
    if !whole_segments {
        return None;
    }
    let base = service_path.unwrap_or("/");
    if rest.is_empty() {
        // As Kong: the request's trailing slash decides the service path's.
        let slash = path.ends_with('/');
        return Some(match base.strip_suffix('/') {
            _ if base == "/" => base.to_owned(),
            Some(bare) if !slash => bare.to_owned(),
            None if slash && path.len() > 1 => format!("{base}/"),
            _ => base.to_owned(),
        });
    }
    let mut out = String::with_capacity(base.len() + rest.len() + 1);
    match (base.ends_with('/'), rest.starts_with('/')) {
        (true, true) => {
            out.push_str(base);
            out.push_str(&rest[1..]);
        }
        (false, false) if route.path_handling == "v0" => {
            out.push_str(base);
            out.push('/');
            out.push_str(rest);
        }
        (false, false) => return None,
        _ => {
            out.push_str(base);
            out.push_str(rest);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::Fk;
    use serde_json::{json, Map, Value};

    fn route(v: Value) -> Route {
        let Value::Object(map) = v else { panic!() };
        let (mut r, _) = Route::from_input(map, false, None).unwrap();
        r.service = Some(Fk {
            id: uuid::Uuid::nil(),
        });
        r
    }

    fn find(routes: &[Route], method: &str, host: &str, path: &str) -> Option<usize> {
        Router::new(routes)
            .find(method, Some(host), path, &HeaderMap::new())
            .map(|m| m.route)
    }

    #[test]
    fn longest_prefix_wins() {
        let rs = [
            route(json!({"paths": ["/a"]})),
            route(json!({"paths": ["/a/b"]})),
        ];
        assert_eq!(find(&rs, "GET", "x", "/a/b/c"), Some(1));
        assert_eq!(find(&rs, "GET", "x", "/a/c"), Some(0));
        assert_eq!(find(&rs, "GET", "x", "/b"), None);
    }

    #[test]
    fn regex_before_prefix_and_by_priority() {
        let rs = [
            route(json!({"paths": ["/version/any/"]})),
            route(json!({"paths": ["~/status/\\d+"], "regex_priority": 0})),
            route(json!({"paths": ["~/version/\\d+/status/\\d+"], "regex_priority": 6})),
            route(json!({"paths": ["/version"]})),
            route(json!({"paths": ["~/version/.*"], "regex_priority": 1})),
        ];
        assert_eq!(find(&rs, "GET", "x", "/version/1/status/2"), Some(2));
        assert_eq!(find(&rs, "GET", "x", "/status/2"), Some(1));
        assert_eq!(find(&rs, "GET", "x", "/version/any/x"), Some(4));
        assert_eq!(find(&rs, "GET", "x", "/version"), Some(3));
    }

    #[test]
    fn more_criteria_win_and_plain_host_beats_wildcard() {
        let rs = [
            route(json!({"paths": ["/"]})),
            route(json!({"hosts": ["*.example.com"], "paths": ["/"]})),
            route(json!({"hosts": ["api.example.com"], "paths": ["/"]})),
            route(json!({"hosts": ["example.*"]})),
        ];
        assert_eq!(find(&rs, "GET", "api.example.com", "/x"), Some(2));
        assert_eq!(find(&rs, "GET", "Other.Example.com:8000", "/x"), Some(1));
        assert_eq!(find(&rs, "GET", "example.org", "/x"), Some(3));
        assert_eq!(find(&rs, "GET", "localhost", "/x"), Some(0));
    }

    #[test]
    fn methods_and_headers_filter() {
        let rs = [
            route(json!({"paths": ["/t"], "methods": ["POST"]})),
            route(json!({"paths": ["/t"], "headers": {"x-v": ["2"]}})),
        ];
        let router = Router::new(&rs);
        assert_eq!(
            router
                .find("POST", None, "/t", &HeaderMap::new())
                .map(|m| m.route),
            Some(0)
        );
        assert_eq!(router.find("GET", None, "/t", &HeaderMap::new()), None);
        let mut h = HeaderMap::new();
        h.insert("x-v", "2".parse().unwrap());
        assert_eq!(router.find("GET", None, "/t", &h).map(|m| m.route), Some(1));
    }

    #[test]
    fn strip_path_and_service_path_joining() {
        let r = route(json!({"paths": ["/api"]}));
        let m = Router::new(std::slice::from_ref(&r))
            .find("GET", None, "/api/x", &HeaderMap::new())
            .unwrap();
        assert_eq!(m.remaining, "/x");
        let up = |service, route: &Route, path, remaining| {
            upstream_path(service, route, path, remaining)
        };
        assert_eq!(up(None, &r, "/api/x", &m.remaining).as_deref(), Some("/x"));
        assert_eq!(
            up(Some("/svc"), &r, "/api/x", "/x").as_deref(),
            Some("/svc/x")
        );
        assert_eq!(
            up(Some("/svc/"), &r, "/api/x", "/x").as_deref(),
            Some("/svc/x")
        );
        assert_eq!(up(Some("/svc"), &r, "/api", "").as_deref(), Some("/svc"));
        assert_eq!(up(Some("/svc"), &r, "/api/", "/").as_deref(), Some("/svc/"));
        assert_eq!(up(None, &r, "/api", "").as_deref(), Some("/"));
        // Kong forwards `/apireq` as `/s/req`: a path no plugin judged.
        assert_eq!(up(Some("/s"), &r, "/apireq", "req"), None);
        let slash = route(json!({"paths": ["/api/"]}));
        assert_eq!(
            up(Some("/s"), &slash, "/api/req", "req").as_deref(),
            Some("/s/req")
        );
        assert_eq!(up(Some("/s/"), &slash, "/api/", "").as_deref(), Some("/s/"));
        let mut keep = route(json!({"paths": ["/api"], "strip_path": false}));
        assert_eq!(up(None, &keep, "/api/x", "/x").as_deref(), Some("/api/x"));
        keep.path_handling = "v1".into();
        assert_eq!(
            up(Some("/s"), &keep, "/apireq", "req").as_deref(),
            Some("/s/apireq")
        );
        let mut glue = route(json!({"paths": ["/api/"]}));
        glue.path_handling = "v1".into();
        assert_eq!(
            up(Some("/s"), &glue, "/api/req", "req"),
            None,
            "v1 would send /sreq"
        );
        let _ = Map::<String, Value>::new();
    }

    #[test]
    fn host_and_path_validation() {
        assert!(validate_host("*.example.com").is_ok());
        assert!(validate_host("example.*").is_ok());
        assert!(validate_host("a.*.com").is_err());
        assert!(validate_host("example.com:8000").is_ok());
        assert!(validate_path("/x").is_ok());
        assert!(validate_path("~/x/\\d+").is_ok());
        assert!(validate_path("~/x/(").is_err());
        assert!(validate_path("x").is_err());
    }
}
