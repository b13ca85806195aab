//! The Kong-compatible Admin API (`docs/kong.md#admin-api`): CRUD on services, routes, consumers
//! and plugins (plus the nested collections), pagination, Kong's error format, JSON and form
//! bodies, and `/config` for declarative configuration.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{
    DefaultBodyLimit, FromRequest, FromRequestParts, Path, Request, State as AxumState,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};

use crate::declarative;
use crate::entities::dao::Storage;
use crate::error::AdminError;
use crate::gateway::Gateway;
use crate::store::{Kind, Scope};

type Shared = AxumState<Arc<Gateway>>;

mod groups;
mod openid_connect;
mod schemas;
mod tables;

/// The Admin API router.
pub fn router(gateway: Arc<Gateway>) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/status", get(status))
        .route("/config", get(get_config).post(post_config))
        .route("/plugins/enabled", get(enabled_plugins))
        .route("/schemas/plugins/{name}", get(schemas::plugin))
        .route("/schemas/{entity}", get(schemas::entity))
        .route(
            "/openid-connect/issuers",
            get(openid_connect::list).delete(openid_connect::forget_all),
        )
        .route(
            "/openid-connect/issuers/{key}",
            get(openid_connect::one).delete(openid_connect::forget),
        )
        .route("/openid-connect/jwks", get(openid_connect::jwks))
        .route("/{collection}", get(list_top).post(create_top))
        .route(
            "/{collection}/{key}",
            get(get_one)
                .patch(patch_one)
                .put(put_one)
                .delete(delete_one),
        )
        .route(
            "/{collection}/{key}/{child}",
            get(list_nested)
                .post(create_nested)
                .delete(delete_nested_all),
        )
        .route(
            "/{collection}/{key}/{child}/{child_key}",
            get(get_nested)
                .patch(patch_nested)
                .put(put_nested)
                .delete(delete_nested),
        )
        .fallback(|| async { AdminError::NotFound })
        .method_not_allowed_fallback(|| async { AdminError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(gateway)
}

/// What an Admin API collection segment names.
enum Collection {
    /// Entities of the configuration state.
    Config(Kind),
    /// A runtime table (issued tokens).
    Table(&'static str),
}

fn collection(segment: &str) -> Result<Collection, AdminError> {
    match Kind::by_segment(segment).ok_or(AdminError::NotFound)? {
        Kind::Dao(d) if matches!(d.storage, Storage::Runtime(_)) => Ok(Collection::Table(d.name)),
        kind => Ok(Collection::Config(kind)),
    }
}

fn kind(segment: &str) -> Result<Kind, AdminError> {
    match collection(segment)? {
        Collection::Config(kind) => Ok(kind),
        Collection::Table(_) => Err(AdminError::NotFound),
    }
}

/// A nested collection: the parent's kind and the child's, when the child references the
/// parent (`/services/{s}/routes`, `/consumers/{c}/plugins`, `/consumers/{c}/acls`, ...).
fn nested(parent: &str, child: &str) -> Result<(Kind, Kind), AdminError> {
    let parent = kind(parent)?;
    let child = kind(child)?;
    parent
        .child_field(child)
        .map(|_| (parent, child))
        .ok_or(AdminError::NotFound)
}

async fn root(AxumState(gw): Shared) -> Json<Value> {
    let plugins: Vec<&str> = crate::plugins::names().collect();
    let _ = gw;
    Json(json!({
        "tagline": "Welcome to kong",
        "version": "3.9.0-gatecheck",
        "hostname": "gatecheck-gateway",
        "plugins": {"available_on_server": plugins, "enabled_in_cluster": []},
        "configuration": {"database": "off", "role": "traditional"},
    }))
}

async fn status(AxumState(gw): Shared) -> Json<Value> {
    let rt = gw.runtime();
    Json(json!({
        "database": {"reachable": true},
        "server": {"connections_active": 0},
        "configuration": {"routes": rt.routes.len(), "services": rt.service_count},
    }))
}

async fn enabled_plugins() -> Json<Value> {
    let plugins: Vec<&str> = crate::plugins::names().collect();
    Json(json!({ "enabled_plugins": plugins }))
}

/// Most arguments a form body or query string may carry: Kong answers 400 `Too many arguments`
/// past `lua_max_post_args`/`lua_max_uri_args` (1000).
pub const MAX_ARGUMENTS: usize = 1000;
/// Deepest nesting a form argument name may ask for (`a.b[1].c` is 4 levels). Kong sets none;
/// here the nesting is bounded so that no client chooses how deep anything recurses.
pub const MAX_FORM_DEPTH: usize = 32;
/// Most values a form body may expand to, array padding included (`a[1000]` creates 1000).
const MAX_FORM_VALUES: usize = 20 * MAX_ARGUMENTS;
/// Largest Admin API body, as Kong's `nginx_admin_client_max_body_size` (10m).
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

fn too_many_arguments() -> AdminError {
    AdminError::BadBody("Too many arguments".into())
}

/// A request body read whole; past [`MAX_BODY_BYTES`] it is 413 in Kong's format, and any
/// other read failure a 400, never axum's plain-text rejection.
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = AdminError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AdminError> {
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(Body(bytes)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(AdminError::TooLarge),
            Err(e) => Err(AdminError::BadBody(format!(
                "Cannot read the request body: {}",
                e.body_text()
            ))),
        }
    }
}

/// The query arguments (last value wins for a repeated name), at most [`MAX_ARGUMENTS`].
pub struct QueryArgs(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryArgs {
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AdminError> {
        let query = parts.uri.query().unwrap_or("");
        let mut args = HashMap::new();
        for (i, (k, v)) in url::form_urlencoded::parse(query.as_bytes()).enumerate() {
            if i == MAX_ARGUMENTS {
                return Err(too_many_arguments());
            }
            args.insert(k.into_owned(), v.into_owned());
        }
        Ok(QueryArgs(args))
    }
}

/// Path parameters. One that does not decode (invalid UTF-8) names no entity: 404 in Kong's
/// format rather than axum's plain-text rejection.
pub struct Keys<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> FromRequestParts<S> for Keys<T> {
    type Rejection = AdminError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AdminError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| Keys(t))
            .map_err(|_| AdminError::NotFound)
    }
}

/// Reads a JSON or form-encoded body into an object.
pub fn parse_body(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Map<String, Value>, bool), AdminError> {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((
            Map::new(),
            content_type.starts_with("application/x-www-form-urlencoded"),
        ));
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok((parse_form(body)?, true));
    }
    if content_type.starts_with("application/json") || content_type.is_empty() {
        // serde_json refuses nesting past 128 levels, so the value is shallow enough for every
        // recursive walk after it (validation, cloning, dropping).
        return match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok((map, false)),
            Ok(_) => Err(AdminError::BadBody(
                "Cannot parse JSON body: expected an object".into(),
            )),
            Err(e) => Err(AdminError::BadBody(format!("Cannot parse JSON body: {e}"))),
        };
    }
    Err(AdminError::BadBody(format!(
        "Unsupported Content-Type: {content_type}"
    )))
}

#[derive(Debug, PartialEq)]
enum Token {
    Key(String),
    Push,
    Index(usize),
}

fn tokens(key: &str) -> Result<Vec<Token>, AdminError> {
    let mut out = Vec::new();
    for part in key.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            out.push(Token::Key(name.to_owned()));
        }
        while let Some(stripped) = rest.strip_prefix('[') {
            let Some(end) = stripped.find(']') else { break };
            let inner = &stripped[..end];
            if inner.is_empty() {
                out.push(Token::Push);
            } else if let Ok(n) = inner.parse::<usize>() {
                out.push(Token::Index(n));
            } else {
                out.push(Token::Key(inner.to_owned()));
            }
            rest = &stripped[end + 1..];
        }
        if out.len() > MAX_FORM_DEPTH {
            let shown: String = key.chars().take(40).collect();
            return Err(AdminError::BadBody(format!(
                "argument '{shown}...' is nested deeper than {MAX_FORM_DEPTH} levels"
            )));
        }
    }
    Ok(out)
}

/// Takes `n` values from the budget of one form body.
fn spend(budget: &mut usize, n: usize) -> Result<(), AdminError> {
    *budget = budget.checked_sub(n).ok_or_else(too_many_arguments)?;
    Ok(())
}

/// `target` as an object (replacing any other value).
fn object(target: &mut Value) -> &mut Map<String, Value> {
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    match target {
        Value::Object(map) => map,
        _ => unreachable!("just made an object"),
    }
}

/// `target` as an array (replacing any other value).
fn array(target: &mut Value) -> &mut Vec<Value> {
    if !target.is_array() {
        *target = Value::Array(Vec::new());
    }
    match target {
        Value::Array(items) => items,
        _ => unreachable!("just made an array"),
    }
}

/// Walks (creating) the path `toks` below `root` and sets or appends `value` there. A loop,
/// not recursion: the depth is the client's, bounded by [`MAX_FORM_DEPTH`] anyway.
fn insert(
    root: &mut Value,
    toks: &[Token],
    value: String,
    budget: &mut usize,
) -> Result<(), AdminError> {
    let mut target = root;
    for tok in toks {
        target = match tok {
            Token::Key(k) => {
                let map = object(target);
                if !map.contains_key(k) {
                    spend(budget, 1)?;
                }
                map.entry(k.clone()).or_insert(Value::Null)
            }
            Token::Push | Token::Index(_) => {
                let items = array(target);
                let i = match tok {
                    // Kong's form indexes are 1-based.
                    Token::Index(n) => n.saturating_sub(1).min(MAX_ARGUMENTS),
                    _ => items.len(),
                };
                if items.len() <= i {
                    spend(budget, i + 1 - items.len())?;
                    items.resize(i + 1, Value::Null);
                }
                &mut items[i]
            }
        };
    }
    match target {
        Value::Null => *target = Value::String(value),
        Value::Array(items) => items.push(Value::String(value)),
        other => {
            let old = std::mem::take(other);
            *other = Value::Array(vec![old, Value::String(value)]);
        }
    }
    Ok(())
}

/// Parses `a.b=1&paths[]=/x&paths[2]=/y` into nested JSON (all leaves are strings). At most
/// [`MAX_ARGUMENTS`] arguments nested at most [`MAX_FORM_DEPTH`] levels, else a 400.
pub fn parse_form(body: &[u8]) -> Result<Map<String, Value>, AdminError> {
    let mut root = Value::Object(Map::new());
    let mut budget = MAX_FORM_VALUES;
    for (i, (k, v)) in url::form_urlencoded::parse(body).enumerate() {
        if i == MAX_ARGUMENTS {
            return Err(too_many_arguments());
        }
        insert(&mut root, &tokens(&k)?, v.into_owned(), &mut budget)?;
    }
    match root {
        Value::Object(map) => Ok(map),
        _ => Ok(Map::new()),
    }
}

fn has_tags(entity: &Value, filter: &str) -> bool {
    let tags: Vec<&str> = entity
        .get("tags")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if filter.contains('/') {
        filter.split('/').any(|t| tags.contains(&t))
    } else {
        filter.split(',').all(|t| tags.contains(&t))
    }
}

fn paginate(
    mut items: Vec<Value>,
    params: &HashMap<String, String>,
    path: &str,
) -> Result<Value, AdminError> {
    if let Some(filter) = params.get("tags") {
        items.retain(|e| has_tags(e, filter));
    }
    let size = match params.get("size") {
        None => 100,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => return Err(AdminError::InvalidSize),
        },
    };
    let start = match params.get("offset") {
        None => 0,
        Some(o) => {
            let text = URL_SAFE_NO_PAD
                .decode(o)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| AdminError::InvalidOffset {
                    offset: o.clone(),
                    reason: "bad base64 encoding",
                })?;
            // The offsets this API issues are positions below `usize::MAX - 1000`: anything
            // else was made up, and adding the page size to it must not wrap.
            text.parse::<usize>()
                .ok()
                .filter(|n| n.checked_add(size).is_some())
                .ok_or_else(|| AdminError::InvalidOffset {
                    offset: o.clone(),
                    reason: "out of range",
                })?
        }
    };
    // An offset past the end (the list shrank since it was issued) is an empty last page.
    let start = start.min(items.len());
    let end = start.saturating_add(size).min(items.len());
    let page: Vec<Value> = items[start..end].to_vec();
    if end < items.len() {
        let offset = URL_SAFE_NO_PAD.encode(end.to_string());
        let mut next = format!("{path}?offset={offset}");
        if params.contains_key("size") {
            next.push_str(&format!("&size={size}"));
        }
        if let Some(tags) = params.get("tags") {
            next.push_str(&format!(
                "&tags={}",
                url::form_urlencoded::byte_serialize(tags.as_bytes()).collect::<String>()
            ));
        }
        Ok(json!({"data": page, "next": next, "offset": offset}))
    } else {
        Ok(json!({"data": page, "next": null}))
    }
}

async fn list_top(
    AxumState(gw): Shared,
    Keys(segment): Keys<String>,
    QueryArgs(q): QueryArgs,
    uri: Uri,
) -> Result<Json<Value>, AdminError> {
    let items = match collection(&segment)? {
        Collection::Config(kind) => gw.read(|s| s.list(kind, Scope::All)).await,
        Collection::Table(name) => tables::list(&gw, name)?,
    };
    Ok(Json(paginate(items, &q, uri.path())?))
}

async fn list_nested(
    AxumState(gw): Shared,
    Keys((parent, key, child)): Keys<(String, String, String)>,
    QueryArgs(q): QueryArgs,
    uri: Uri,
) -> Result<Response, AdminError> {
    if let Some(answer) = groups::list(&gw, &parent, &key, &child).await {
        return answer;
    }
    if let Some(answer) = foreign_entity(&gw, &parent, &key, &child).await {
        return answer.map(|v| Json(v).into_response());
    }
    let (parent, child) = nested(&parent, &child)?;
    let items = gw
        .read(|s| s.scope(parent, &key).map(|scope| s.list(child, scope)))
        .await?;
    Ok(Json(paginate(items, &q, uri.path())?).into_response())
}

/// `GET /{dao}/{key}/{foreign}`: the entity a DAO record's foreign key references
/// (`/acls/{id}/consumer`).
async fn foreign_entity(
    gw: &Gateway,
    segment: &str,
    key: &str,
    field: &str,
) -> Option<Result<Value, AdminError>> {
    let Ok(Kind::Dao(d)) = kind(segment) else {
        return None;
    };
    let (_, reference, _) = d.foreign_keys().find(|(f, _, _)| *f == field)?;
    let target = Kind::by_name(reference)?;
    Some(
        gw.read(|s| {
            let record = s.get(Kind::Dao(d), key).ok_or(AdminError::NotFound)?;
            let id = record
                .get(field)
                .and_then(|f| f.get("id"))
                .and_then(Value::as_str)
                .ok_or(AdminError::NotFound)?;
            s.get(target, id).ok_or(AdminError::NotFound)
        })
        .await,
    )
}

async fn create_top(
    AxumState(gw): Shared,
    Keys(segment): Keys<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, AdminError> {
    let (input, lenient) = parse_body(&headers, &body)?;
    let created = match collection(&segment)? {
        Collection::Config(kind) => {
            let env = gw.env.clone();
            gw.write(|s| s.create(kind, input, lenient, Scope::All, &env))
                .await?
        }
        Collection::Table(name) => tables::create(&gw, name, input).await?,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn create_nested(
    AxumState(gw): Shared,
    Keys((parent, key, child)): Keys<(String, String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, AdminError> {
    let (input, lenient) = parse_body(&headers, &body)?;
    if let Some(answer) = groups::add(&gw, &parent, &key, &child, input.clone()).await {
        return answer;
    }
    let (parent, child) = nested(&parent, &child)?;
    let env = gw.env.clone();
    let created = gw
        .write(|s| {
            let scope = s.scope(parent, &key)?;
            s.create(child, input, lenient, scope, &env)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn delete_nested_all(
    AxumState(gw): Shared,
    Keys((parent, key, child)): Keys<(String, String, String)>,
) -> Result<StatusCode, AdminError> {
    match groups::remove_all(&gw, &parent, &key, &child).await {
        Some(answer) => answer,
        None => Err(AdminError::MethodNotAllowed),
    }
}

async fn get_one(
    AxumState(gw): Shared,
    Keys((segment, key)): Keys<(String, String)>,
    QueryArgs(q): QueryArgs,
) -> Result<Json<Value>, AdminError> {
    if let Some(answer) = groups::get_group(&gw, &segment, &key, &q).await {
        return answer.map(Json);
    }
    match collection(&segment)? {
        Collection::Config(kind) => gw
            .read(|s| s.get(kind, &key))
            .await
            .map(Json)
            .ok_or(AdminError::NotFound),
        Collection::Table(name) => tables::get(&gw, name, &key).map(Json),
    }
}

async fn patch_one(
    AxumState(gw): Shared,
    Keys((segment, key)): Keys<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Value>, AdminError> {
    let kind = kind(&segment)?;
    let (input, lenient) = parse_body(&headers, &body)?;
    let env = gw.env.clone();
    gw.write(|s| s.update(kind, &key, input, lenient, &env))
        .await
        .map(Json)
}

async fn put_one(
    AxumState(gw): Shared,
    Keys((segment, key)): Keys<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Value>, AdminError> {
    let kind = kind(&segment)?;
    let (input, lenient) = parse_body(&headers, &body)?;
    let env = gw.env.clone();
    gw.write(|s| s.upsert(kind, &key, input, lenient, &env))
        .await
        .map(Json)
}

async fn delete_one(
    AxumState(gw): Shared,
    Keys((segment, key)): Keys<(String, String)>,
) -> Result<StatusCode, AdminError> {
    match collection(&segment)? {
        Collection::Config(kind) => {
            gw.write(|s| s.delete(kind, &key)).await?;
        }
        Collection::Table(name) => tables::delete(&gw, name, &key)?,
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn get_nested(
    AxumState(gw): Shared,
    Keys((parent, key, child, child_key)): Keys<(String, String, String, String)>,
) -> Result<Json<Value>, AdminError> {
    let (parent, child) = nested(&parent, &child)?;
    gw.read(|s| {
        let scope = s.scope(parent, &key)?;
        s.get_in(child, scope, &child_key)
            .ok_or(AdminError::NotFound)
    })
    .await
    .map(Json)
}

async fn patch_nested(
    AxumState(gw): Shared,
    Keys((parent, key, child, child_key)): Keys<(String, String, String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Value>, AdminError> {
    let (parent, child) = nested(&parent, &child)?;
    let (input, lenient) = parse_body(&headers, &body)?;
    let env = gw.env.clone();
    gw.write(|s| {
        let scope = s.scope(parent, &key)?;
        s.update_in(child, scope, &child_key, input, lenient, &env)
    })
    .await
    .map(Json)
}

async fn put_nested(
    AxumState(gw): Shared,
    Keys((parent, key, child, child_key)): Keys<(String, String, String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<Value>, AdminError> {
    let (parent, child) = nested(&parent, &child)?;
    let (input, lenient) = parse_body(&headers, &body)?;
    let env = gw.env.clone();
    gw.write(|s| {
        let scope = s.scope(parent, &key)?;
        s.upsert_in(child, scope, &child_key, input, lenient, &env)
    })
    .await
    .map(Json)
}

async fn delete_nested(
    AxumState(gw): Shared,
    Keys((parent, key, child, child_key)): Keys<(String, String, String, String)>,
) -> Result<StatusCode, AdminError> {
    if let Some(answer) = groups::remove(&gw, &parent, &key, &child, &child_key).await {
        return answer;
    }
    let (parent, child) = nested(&parent, &child)?;
    gw.write(|s| {
        let scope = s.scope(parent, &key)?;
        // Kong answers 204 whether or not the child existed, but 404 for a missing parent.
        s.delete_in(child, scope, &child_key)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_config(AxumState(gw): Shared) -> Json<Value> {
    let doc = gw.read(declarative::export).await;
    let text = serde_yaml::to_string(&doc).unwrap_or_default();
    Json(json!({ "config": text }))
}

async fn post_config(
    AxumState(gw): Shared,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, AdminError> {
    let form = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded");
    let env = gw.env.clone();
    // Parsing and validating megabytes of YAML, and building every plugin, is seconds of CPU:
    // off the async workers, so the proxy keeps answering meanwhile.
    let state = tokio::task::spawn_blocking(move || {
        let doc = config_document(&body, form)?;
        declarative::load(&doc, &env)
    })
    .await
    .map_err(|e| AdminError::BadBody(format!("declarative configuration not loaded: {e}")))??;
    let summary = declarative::export(&state);
    gw.replace(state).await;
    Ok((StatusCode::CREATED, Json(summary)).into_response())
}

/// The declarative document of a `POST /config` body: YAML/JSON text, `{"config": "<text>"}`,
/// or the form field `config`.
fn config_document(body: &[u8], form: bool) -> Result<Value, AdminError> {
    if form {
        return match parse_form(body)?.get("config") {
            Some(Value::String(text)) => declarative::parse_text(text),
            _ => Err(AdminError::BadBody(
                "expected a declarative configuration".into(),
            )),
        };
    }
    let text =
        std::str::from_utf8(body).map_err(|_| AdminError::BadBody("body is not UTF-8".into()))?;
    let doc = declarative::parse_text(text)?;
    match doc.get("config") {
        Some(Value::String(inner)) => declarative::parse_text(inner),
        _ => Ok(doc),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_keys_nest() {
        let m = parse_form(
            b"name=x&paths[]=/a&paths[]=/b&service.id=42&config.c[1].h=v&hosts=h1&hosts=h2",
        )
        .unwrap();
        assert_eq!(
            Value::Object(m),
            json!({"name": "x", "paths": ["/a", "/b"], "service": {"id": "42"},
                   "config": {"c": [{"h": "v"}]}, "hosts": ["h1", "h2"]})
        );
    }

    #[test]
    fn pages_and_offsets() {
        let items: Vec<Value> = (0..5).map(|i| json!({"i": i})).collect();
        let mut q = HashMap::new();
        q.insert("size".to_string(), "2".to_string());
        let p = paginate(items.clone(), &q, "/services").unwrap();
        assert_eq!(p["data"], json!([{"i": 0}, {"i": 1}]));
        let offset = p["offset"].as_str().unwrap().to_owned();
        assert_eq!(p["next"], format!("/services?offset={offset}&size=2"));
        q.insert("offset".to_string(), offset);
        let p = paginate(items.clone(), &q, "/services").unwrap();
        assert_eq!(p["data"], json!([{"i": 2}, {"i": 3}]));
        q.insert("offset".to_string(), "!!".to_string());
        assert!(matches!(
            paginate(items.clone(), &q, "/s"),
            Err(AdminError::InvalidOffset { .. })
        ));
        q.insert("size".to_string(), "0".to_string());
        assert_eq!(paginate(items, &q, "/s"), Err(AdminError::InvalidSize));
    }
}
