//! Kong entities (`docs/kong.md#entity-shapes`): the four core kinds' shapes, defaults and input
//! validation, and the registry of every other kind ([`dao`]).

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

pub mod consumer_groups;
pub mod dao;
pub mod reader;
pub mod records;
mod view;

pub use reader::{FieldErrors, ForeignRef, Reader};
pub use view::{Entities, Tables};

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A foreign key as Kong serialises it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Fk {
    /// Referenced entity id.
    pub id: Uuid,
}

/// Kong Service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Service {
    /// Primary key.
    pub id: Uuid,
    /// Creation time.
    pub created_at: i64,
    /// Last update.
    pub updated_at: i64,
    /// Unique name.
    pub name: Option<String>,
    /// `http` or `https`.
    pub protocol: String,
    /// Upstream host.
    pub host: String,
    /// Upstream port.
    pub port: u16,
    /// Path prefix sent upstream.
    pub path: Option<String>,
    /// Retries (kept for shape; this gateway does not retry).
    pub retries: i64,
    /// Connect timeout, ms.
    pub connect_timeout: u64,
    /// Write timeout, ms.
    pub write_timeout: u64,
    /// Read timeout, ms.
    pub read_timeout: u64,
    /// Tags.
    pub tags: Option<Vec<String>>,
    /// Whether routes to it are served.
    pub enabled: bool,
    /// TLS verification of the upstream.
    pub tls_verify: Option<bool>,
    /// Kept for shape.
    pub tls_verify_depth: Option<i64>,
    /// Kept for shape.
    pub client_certificate: Option<Fk>,
    /// Kept for shape.
    pub ca_certificates: Option<Vec<Uuid>>,
}

/// Kong Route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    /// Primary key.
    pub id: Uuid,
    /// Creation time.
    pub created_at: i64,
    /// Last update.
    pub updated_at: i64,
    /// Unique name.
    pub name: Option<String>,
    /// Accepted protocols.
    pub protocols: Vec<String>,
    /// Methods matched.
    pub methods: Option<Vec<String>>,
    /// Hosts matched (`*` wildcard leftmost or rightmost label).
    pub hosts: Option<Vec<String>>,
    /// Path prefixes, or regexes starting with `~`.
    pub paths: Option<Vec<String>>,
    /// Header values matched.
    pub headers: Option<Map<String, Value>>,
    /// Kept for shape.
    pub snis: Option<Vec<String>>,
    /// Kept for shape.
    pub sources: Option<Value>,
    /// Kept for shape.
    pub destinations: Option<Value>,
    /// Strip the matched path prefix before proxying.
    pub strip_path: bool,
    /// Send the client's Host upstream.
    pub preserve_host: bool,
    /// Order among regex routes.
    pub regex_priority: i64,
    /// `v0` or `v1` path joining.
    pub path_handling: String,
    /// Kept for shape.
    pub https_redirect_status_code: u16,
    /// Kept for shape.
    pub request_buffering: bool,
    /// Kept for shape.
    pub response_buffering: bool,
    /// Tags.
    pub tags: Option<Vec<String>>,
    /// The service proxied to.
    pub service: Option<Fk>,
}

/// Kong Consumer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Consumer {
    /// Primary key.
    pub id: Uuid,
    /// Creation time.
    pub created_at: i64,
    /// Last update.
    pub updated_at: i64,
    /// Unique username.
    pub username: Option<String>,
    /// Unique custom id (GG: the OAuth client_id).
    pub custom_id: Option<String>,
    /// Tags.
    pub tags: Option<Vec<String>>,
}

/// Kong Plugin entity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PluginEntity {
    /// Primary key.
    pub id: Uuid,
    /// Plugin name.
    pub name: String,
    /// Optional unique instance name.
    pub instance_name: Option<String>,
    /// Effective config.
    pub config: Value,
    /// Scoped to a service.
    pub service: Option<Fk>,
    /// Scoped to a route.
    pub route: Option<Fk>,
    /// Scoped to a consumer (GG plugins refuse it).
    pub consumer: Option<Fk>,
    /// Protocols.
    pub protocols: Vec<String>,
    /// Whether it runs.
    pub enabled: bool,
    /// Tags.
    pub tags: Option<Vec<String>>,
    /// Creation time.
    pub created_at: i64,
    /// Last update.
    pub updated_at: i64,
}

/// Resolved references an entity's input made (by name or id), looked up by the store.
#[derive(Debug, Clone, Default)]
pub struct Refs {
    /// `service` reference.
    pub service: Option<ForeignRef>,
    /// `route` reference.
    pub route: Option<ForeignRef>,
    /// `consumer` reference.
    pub consumer: Option<ForeignRef>,
}

fn tags(r: &mut Reader) -> Option<Vec<String>> {
    r.strings("tags")
}

fn common(r: &mut Reader, existing_id: Option<Uuid>) -> (Uuid, i64, i64) {
    let id = r.uuid("id").or(existing_id).unwrap_or_else(Uuid::new_v4);
    let now = now();
    let created = r.timestamp("created_at").unwrap_or(now);
    r.take("updated_at");
    (id, created, now)
}

impl Service {
    /// Builds a service from input (the `url` shorthand included).
    pub fn from_input(
        input: Map<String, Value>,
        lenient: bool,
        id: Option<Uuid>,
    ) -> Result<Service, FieldErrors> {
        let mut r = Reader::new(input, lenient);
        let (id, created_at, updated_at) = common(&mut r, id);
        let name = r.name("name");
        let url = r.string("url");
        let mut protocol = r.string("protocol");
        let mut host = r.string("host");
        let explicit_port = r.has("port");
        let mut port = r.integer("port", 80, 0, 65535);
        let mut path = r.string("path");
        if let Some(url) = url {
            match url::Url::parse(&url) {
                Ok(u) if u.host_str().is_some() => {
                    protocol = Some(u.scheme().to_owned());
                    host = u.host_str().map(str::to_owned);
                    port = i64::from(u.port_or_known_default().unwrap_or(80));
                    let after_scheme = url.split_once("://").map_or("", |(_, rest)| rest);
                    path = after_scheme.contains('/').then(|| u.path().to_owned());
                }
                _ => r.error("url", "missing host in url"),
            }
        } else if !explicit_port && protocol.as_deref() == Some("https") {
            port = 443;
        }
        let protocol = protocol.unwrap_or_else(|| "http".into());
        if !["http", "https"].contains(&protocol.as_str()) {
            r.error("protocol", "expected one of: http, https");
        }
        if let Some(p) = &path {
            if !p.starts_with('/') {
                r.error("path", "should start with: /");
            }
        }
        let host = match host {
            Some(h) if !h.is_empty() => h,
            _ => {
                r.error("host", "required field missing");
                String::new()
            }
        };
        let max_timeout = 2_147_483_646;
        let retries = r.integer("retries", 5, 0, 32767);
        let connect_timeout = r.integer("connect_timeout", 60000, 1, max_timeout) as u64;
        let write_timeout = r.integer("write_timeout", 60000, 1, max_timeout) as u64;
        let read_timeout = r.integer("read_timeout", 60000, 1, max_timeout) as u64;
        let tags = tags(&mut r);
        let enabled = r.boolean("enabled", true);
        let tls_verify = r.optional_boolean("tls_verify");
        let tls_verify_depth = r.take("tls_verify_depth").and_then(|v| v.as_i64());
        r.take("client_certificate");
        r.take("ca_certificates");
        r.finish()?;
        Ok(Service {
            id,
            created_at,
            updated_at,
            name,
            protocol,
            host,
            port: u16::try_from(port).unwrap_or(80),
            path,
            retries,
            connect_timeout,
            write_timeout,
            read_timeout,
            tags,
            enabled,
            tls_verify,
            tls_verify_depth,
            client_certificate: None,
            ca_certificates: None,
        })
    }
}

const METHOD_CHARS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

impl Route {
    /// Builds a route from input; `service` is returned as a reference for the store to resolve.
    pub fn from_input(
        input: Map<String, Value>,
        lenient: bool,
        id: Option<Uuid>,
    ) -> Result<(Route, Option<ForeignRef>), FieldErrors> {
        let mut r = Reader::new(input, lenient);
        let (id, created_at, updated_at) = common(&mut r, id);
        let name = r.name("name");
        let protocols = r
            .strings("protocols")
            .unwrap_or_else(|| vec!["http".into(), "https".into()]);
        for p in &protocols {
            if !["http", "https"].contains(&p.as_str()) {
                r.error("protocols", "expected one of: http, https");
            }
        }
        let methods = r.strings("methods");
        if let Some(ms) = &methods {
            for m in ms {
                if m.is_empty() || !m.chars().all(|c| METHOD_CHARS.contains(c)) {
                    r.error("methods", format!("invalid value: {m}"));
                }
            }
        }
        let hosts = r.strings("hosts");
        if let Some(hs) = &hosts {
            for h in hs {
                if let Err(e) = crate::router::validate_host(h) {
                    r.error("hosts", e);
                }
            }
        }
        let paths = r.strings("paths");
        if let Some(ps) = &paths {
            for p in ps {
                if let Err(e) = crate::router::validate_path(p) {
                    r.error("paths", e);
                }
            }
        }
        let headers = match r.take("headers") {
            None => None,
            Some(Value::Object(map)) => {
                let mut out = Map::new();
                for (k, v) in map {
                    match v {
                        Value::Array(items) if items.iter().all(Value::is_string) => {
                            out.insert(k.to_lowercase(), Value::Array(items));
                        }
                        Value::String(s) => {
                            out.insert(k.to_lowercase(), Value::Array(vec![Value::String(s)]));
                        }
                        _ => r.error("headers", "expected an array of strings per header"),
                    }
                }
                Some(out)
            }
            Some(_) => {
                r.error("headers", "expected a map");
                None
            }
        };
        let snis = r.strings("snis");
        let sources = r.take("sources");
        let destinations = r.take("destinations");
        let strip_path = r.boolean("strip_path", true);
        let preserve_host = r.boolean("preserve_host", false);
        let regex_priority = r.integer(
            "regex_priority",
            0,
            i64::from(i32::MIN),
            i64::from(i32::MAX),
        );
        let path_handling = r.string("path_handling").unwrap_or_else(|| "v0".into());
        if !["v0", "v1"].contains(&path_handling.as_str()) {
            r.error("path_handling", "expected one of: v0, v1");
        }
        let https_redirect_status_code =
            r.integer("https_redirect_status_code", 426, 100, 599) as u16;
        let request_buffering = r.boolean("request_buffering", true);
        let response_buffering = r.boolean("response_buffering", true);
        let tags = tags(&mut r);
        let service = r.foreign("service");
        let empty = |v: &Option<Vec<String>>| v.as_ref().is_none_or(Vec::is_empty);
        if empty(&methods)
            && empty(&hosts)
            && empty(&paths)
            && headers.as_ref().is_none_or(Map::is_empty)
        {
            r.error(
                "@entity",
                "must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'",
            );
        }
        r.finish()?;
        Ok((
            Route {
                id,
                created_at,
                updated_at,
                name,
                protocols,
                methods,
                hosts,
                paths,
                headers,
                snis,
                sources,
                destinations,
                strip_path,
                preserve_host,
                regex_priority,
                path_handling,
                https_redirect_status_code,
                request_buffering,
                response_buffering,
                tags,
                service: None,
            },
            service,
        ))
    }
}

impl Consumer {
    /// Builds a consumer from input.
    pub fn from_input(
        input: Map<String, Value>,
        lenient: bool,
        id: Option<Uuid>,
    ) -> Result<Consumer, FieldErrors> {
        let mut r = Reader::new(input, lenient);
        let (id, created_at, updated_at) = common(&mut r, id);
        let username = r.string("username");
        let custom_id = r.string("custom_id");
        let tags = tags(&mut r);
        if username.as_deref().is_none_or(str::is_empty)
            && custom_id.as_deref().is_none_or(str::is_empty)
        {
            r.error(
                "@entity",
                "at least one of these fields must be non-empty: 'custom_id', 'username'",
            );
        }
        r.finish()?;
        Ok(Consumer {
            id,
            created_at,
            updated_at,
            username,
            custom_id,
            tags,
        })
    }
}

impl PluginEntity {
    /// Reads a plugin entity; `config` is validated later by the plugin itself.
    pub fn from_input(
        input: Map<String, Value>,
        lenient: bool,
        id: Option<Uuid>,
    ) -> Result<(PluginEntity, Refs), FieldErrors> {
        let mut r = Reader::new(input, lenient);
        let (id, created_at, updated_at) = common(&mut r, id);
        let name = r.string("name");
        if name.is_none() && !r.errors.contains_key("name") {
            r.error("name", "required field missing");
        }
        let instance_name = r.name("instance_name");
        let config = r.take("config").unwrap_or(Value::Null);
        let refs = Refs {
            service: r.foreign("service"),
            route: r.foreign("route"),
            consumer: r.foreign("consumer"),
        };
        let protocols = r
            .strings("protocols")
            .unwrap_or_else(|| vec!["grpc".into(), "grpcs".into(), "http".into(), "https".into()]);
        let enabled = r.boolean("enabled", true);
        let tags = tags(&mut r);
        r.take("ordering");
        r.finish()?;
        Ok((
            PluginEntity {
                id,
                name: name.unwrap_or_default(),
                instance_name,
                config,
                service: None,
                route: None,
                consumer: None,
                protocols,
                enabled,
                tags,
                created_at,
                updated_at,
            },
            refs,
        ))
    }
}

/// Consumers indexed for the plugins' lookups (`custom_id` for consumer mapping, id or
/// username for `anonymous`).
#[derive(Debug, Default)]
pub struct Consumers {
    by_id: HashMap<Uuid, Arc<Consumer>>,
    by_custom_id: HashMap<String, Arc<Consumer>>,
    by_username: HashMap<String, Arc<Consumer>>,
}

impl Consumers {
    /// Indexes `consumers`.
    pub fn new<'a>(consumers: impl IntoIterator<Item = &'a Consumer>) -> Self {
        let mut index = Consumers::default();
        for c in consumers {
            let c = Arc::new(c.clone());
            index.by_id.insert(c.id, c.clone());
            if let Some(custom) = &c.custom_id {
                index.by_custom_id.insert(custom.clone(), c.clone());
            }
            if let Some(name) = &c.username {
                index.by_username.insert(name.clone(), c.clone());
            }
        }
        index
    }

    /// The consumer whose `custom_id` equals `custom_id`.
    pub fn by_custom_id(&self, custom_id: &str) -> Option<Arc<Consumer>> {
        self.by_custom_id.get(custom_id).cloned()
    }

    /// The consumer with primary key `id`.
    pub fn by_id(&self, id: &str) -> Option<Arc<Consumer>> {
        Uuid::parse_str(id)
            .ok()
            .and_then(|u| self.by_id.get(&u).cloned())
    }

    /// The consumer named `username`, optionally ignoring case (`by_username_ignore_case`;
    /// an exact match wins over a case-insensitive one).
    pub fn by_username(&self, username: &str, ignore_case: bool) -> Option<Arc<Consumer>> {
        self.by_username.get(username).cloned().or_else(|| {
            ignore_case
                .then(|| {
                    self.by_username
                        .iter()
                        .filter(|(name, _)| name.eq_ignore_ascii_case(username))
                        .min_by_key(|(name, _)| name.as_str())
                        .map(|(_, c)| c.clone())
                })
                .flatten()
        })
    }

    /// The consumer with primary key `id`, or (as newer Kong accepts) username `id`.
    pub fn by_id_or_username(&self, id: &str) -> Option<Arc<Consumer>> {
        Uuid::parse_str(id)
            .ok()
            .and_then(|u| self.by_id.get(&u).cloned())
            .or_else(|| self.by_username.get(id).cloned())
    }
}
