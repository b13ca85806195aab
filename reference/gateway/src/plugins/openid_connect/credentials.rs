//! Finding the caller's credential where `*_param_type` says to look
//! (`docs/kong.md#bearer-token-lookup`), and removing it from the upstream request
//! (`hide_credentials`).

use base64::Engine;
use http::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, COOKIE};
use serde_json::Value;

use super::config::ParamTypes;
use crate::plugins::AccessRequest;

/// The largest body searched for credentials; a larger one is not parsed (its credentials, if
/// any, are not seen) but still proxied.
pub const MAX_BODY: usize = 64 * 1024;

/// Where a credential was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The `Authorization` header.
    Authorization,
    /// Another header.
    Header(http::HeaderName),
    /// Query arguments.
    Query(Vec<&'static str>),
    /// Named query argument.
    QueryArg(String),
    /// Body arguments.
    Body(Vec<String>),
    /// A cookie.
    Cookie(String),
}

/// The request's query and body arguments, parsed once.
#[derive(Debug, Default)]
pub struct Args {
    query: Vec<(String, String)>,
    body: Vec<(String, String)>,
}

impl Args {
    /// Parses the query, and the body when `want_body` and it is a form or a JSON object.
    pub async fn read(req: &mut AccessRequest, want_body: bool) -> Self {
        let query = req
            .query()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        let mut body = Vec::new();
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let form = content_type.starts_with("application/x-www-form-urlencoded");
        let json = content_type.starts_with("application/json");
        if want_body && (form || json) {
            if let Ok(bytes) = req.body_bytes(MAX_BODY).await {
                if form {
                    body = url::form_urlencoded::parse(&bytes).into_owned().collect();
                } else if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&bytes) {
                    body = map
                        .into_iter()
                        .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
                        .collect();
                }
            }
        }
        Self { query, body }
    }

    fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    fn body(&self, name: &str) -> Option<&str> {
        self.body
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// Whether the argument `name` is there at all (even empty), as `types` allow.
    pub fn present(&self, name: &str, types: ParamTypes) -> bool {
        (types.query && self.query.iter().any(|(k, _)| k == name))
            || (types.body && self.body.iter().any(|(k, _)| k == name))
    }

    /// An argument from the query or the body, as `types` allow; also says where.
    pub fn arg(&self, name: &str, types: ParamTypes) -> Option<(String, bool)> {
        if types.query {
            if let Some(v) = self.query(name) {
                return Some((v.to_owned(), true));
            }
        }
        if types.body {
            if let Some(v) = self.body(name) {
                return Some((v.to_owned(), false));
            }
        }
        None
    }
}

/// The value of `Authorization: <scheme> <value>` (scheme case-insensitive).
fn authorization<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (s, rest) = value.split_once(' ')?;
    s.eq_ignore_ascii_case(scheme)
        .then(|| rest.trim())
        .filter(|v| !v.is_empty())
}

/// `Authorization: Basic` as (user, password).
pub fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let encoded = authorization(headers, "Basic")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    (!user.is_empty()).then(|| (user.to_owned(), password.to_owned()))
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| cookie::Cookie::parse_encoded(c.trim().to_owned()).ok())
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

static ACCESS_TOKEN: http::HeaderName = http::HeaderName::from_static("access-token");
static X_ACCESS_TOKEN: http::HeaderName = http::HeaderName::from_static("x-access-token");

/// A bearer token per `bearer_token_param_type`.
pub fn bearer(
    req: &AccessRequest,
    args: &Args,
    types: ParamTypes,
    cookie_name: Option<&str>,
) -> Option<(String, Location)> {
    let headers = req.headers();
    if types.header {
        if let Some(t) = authorization(headers, "Bearer") {
            return Some((t.to_owned(), Location::Authorization));
        }
        for name in [&ACCESS_TOKEN, &X_ACCESS_TOKEN] {
            if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
                let v = v.trim();
                let v = match v.split_once(' ') {
                    Some((s, rest)) if s.eq_ignore_ascii_case("bearer") => rest.trim(),
                    _ => v,
                };
                if !v.is_empty() {
                    return Some((v.to_owned(), Location::Header(name.clone())));
                }
            }
        }
    }
    if let Some((token, in_query)) = args.arg("access_token", types) {
        let at = if in_query {
            Location::Query(vec!["access_token"])
        } else {
            Location::Body(vec!["access_token".into()])
        };
        return Some((token, at));
    }
    if types.cookie {
        if let Some(name) = cookie_name {
            if let Some(t) = cookie(headers, name) {
                return Some((t, Location::Cookie(name.to_owned())));
            }
        }
    }
    None
}

/// A pair of credentials: `Authorization: Basic` (header) or two arguments.
pub fn pair(
    req: &AccessRequest,
    args: &Args,
    types: ParamTypes,
    names: (&'static str, &'static str),
) -> Option<(String, String, Location)> {
    if types.header {
        if let Some((a, b)) = basic(req.headers()) {
            return Some((a, b, Location::Authorization));
        }
    }
    let (a, a_in_query) = args.arg(names.0, types)?;
    let (b, _) = args.arg(names.1, types)?;
    let at = if a_in_query {
        Location::Query(vec![names.0, names.1])
    } else {
        Location::Body(vec![names.0.into(), names.1.into()])
    };
    Some((a, b, at))
}

/// A refresh token: the header named after `name` (`_` as `-`), or the argument `name`.
pub fn refresh_token(
    req: &AccessRequest,
    args: &Args,
    types: ParamTypes,
    name: &str,
) -> Option<(String, Location)> {
    if types.header {
        if let Ok(header) = http::HeaderName::from_bytes(name.replace('_', "-").as_bytes()) {
            if let Some(v) = req.headers().get(&header).and_then(|v| v.to_str().ok()) {
                let v = v.trim();
                if !v.is_empty() {
                    return Some((v.to_owned(), Location::Header(header)));
                }
            }
        }
    }
    let (token, in_query) = args.arg(name, types)?;
    let at = if in_query {
        Location::QueryArg(name.to_owned())
    } else {
        Location::Body(vec![name.to_owned()])
    };
    Some((token, at))
}

/// Removes a used credential from what goes upstream. A credential header that was a lone
/// field comes back with its name, so the upstream token header can reuse that field rather
/// than format and validate the same bytes again ([`super::reply::upstream`]).
pub fn hide(req: &mut AccessRequest, at: &Location) -> Option<(HeaderName, HeaderValue)> {
    let drop_query = |req: &mut AccessRequest, names: &[&str]| {
        let Some(q) = req.query() else { return };
        let kept: Vec<(String, String)> = url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .filter(|(k, _)| !names.contains(&k.as_str()))
            .collect();
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(kept)
            .finish();
        req.set_query(Some(query));
    };
    let remove = |req: &mut AccessRequest, name: &HeaderName| {
        let headers = req.headers_mut();
        let lone = headers.get_all(name).iter().count() == 1;
        headers
            .remove(name)
            .filter(|_| lone)
            .map(|v| (name.clone(), v))
    };
    match at {
        Location::Authorization => return remove(req, &AUTHORIZATION),
        Location::Header(h) => return remove(req, h),
        Location::Query(names) => drop_query(req, names),
        Location::QueryArg(name) => drop_query(req, &[name.as_str()]),
        Location::Cookie(name) => req.remove_cookie(name),
        // A body is forwarded as the client sent it: rewriting it would change what the
        // upstream's own signature or length checks see.
        Location::Body(_) => {}
    }
    None
}
