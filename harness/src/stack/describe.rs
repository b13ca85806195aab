//! What a person (or another test suite) needs to drive a running stack: the `gatecheck up --json`
//! object.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::Stack;

/// A user of the OP.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct User {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// A client registered through oxd.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Client {
    /// Site name in the scenario.
    pub name: String,
    /// OP client id.
    pub client_id: String,
    /// OP client secret.
    pub client_secret: String,
    /// oxd id.
    pub oxd_id: String,
    /// Registered redirect URIs.
    pub redirect_uris: Vec<String>,
}

/// A route of the gateway.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RouteInfo {
    /// Service name.
    pub service: String,
    /// Hosts (empty = any).
    pub hosts: Vec<String>,
    /// Paths (empty = any).
    pub paths: Vec<String>,
}

/// `{"op":{"issuer"},"oxd":{"url"},"gateway":{"proxy","admin"},"upstreams":{NAME:URL},
/// "users":[..],"clients":[..],"routes":[..],"gui":{"url","username","password"}}`.
#[derive(Debug, Clone, Serialize)]
pub struct Description {
    /// `{"issuer": URL}`.
    pub op: BTreeMap<&'static str, String>,
    /// `{"url": URL}`.
    pub oxd: BTreeMap<&'static str, String>,
    /// `{"proxy": URL, "admin": URL}`.
    pub gateway: BTreeMap<&'static str, String>,
    /// Upstream base URLs by name.
    pub upstreams: BTreeMap<String, String>,
    /// OP users.
    pub users: Vec<User>,
    /// Registered clients.
    pub clients: Vec<Client>,
    /// Gateway routes.
    pub routes: Vec<RouteInfo>,
    /// `{"url": URL, "username": ..., "password": ...}` of the Admin GUI.
    pub gui: BTreeMap<&'static str, String>,
}

impl Stack {
    /// The description of the running stack.
    pub fn describe(&self) -> Description {
        Description {
            op: BTreeMap::from([("issuer", self.op.issuer())]),
            oxd: BTreeMap::from([("url", self.oxd.url())]),
            gateway: BTreeMap::from([("proxy", self.proxy_url()), ("admin", self.admin_url())]),
            upstreams: self
                .upstreams
                .iter()
                .map(|u| (u.name.clone(), u.handle.url()))
                .collect(),
            users: self.users.clone(),
            clients: self
                .sites
                .iter()
                .map(|s| Client {
                    name: s.name.clone(),
                    client_id: s.client_id.clone(),
                    client_secret: s.client_secret.clone(),
                    oxd_id: s.oxd_id.clone(),
                    redirect_uris: s.redirect_uris.clone(),
                })
                .collect(),
            routes: self.routes.clone(),
            gui: BTreeMap::from([
                ("url", self.gui.url()),
                ("username", self.gui_user.username.clone()),
                ("password", self.gui_user.password.clone()),
            ]),
        }
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Confidential clients configured in an OP config document, as sites named after their id.
pub(crate) fn static_clients(op: &Value) -> Vec<crate::target::RegisteredSite> {
    op.get("clients")
        .and_then(Value::as_array)
        .map(|clients| {
            clients
                .iter()
                .filter_map(|c| {
                    let id = c.get("client_id")?.as_str()?.to_owned();
                    Some(crate::target::RegisteredSite {
                        name: id.clone(),
                        oxd_id: String::new(),
                        client_id: id,
                        client_secret: c.get("client_secret")?.as_str()?.to_owned(),
                        redirect_uris: strings(c.get("redirect_uris")),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Users (username + password) of an OP config document.
pub(super) fn users(op: &Value) -> Vec<User> {
    op.get("users")
        .and_then(Value::as_array)
        .map(|users| {
            users
                .iter()
                .filter_map(|u| {
                    Some(User {
                        username: u.get("username")?.as_str()?.to_owned(),
                        password: u.get("password")?.as_str()?.to_owned(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Routes of a Kong declarative config: nested under services, and top-level ones naming their
/// service.
pub(super) fn routes(doc: &Value) -> Vec<RouteInfo> {
    let mut out = Vec::new();
    let route = |service: String, r: &Value| RouteInfo {
        service,
        hosts: strings(r.get("hosts")),
        paths: strings(r.get("paths")),
    };
    for s in doc
        .get("services")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = s
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        for r in s
            .get("routes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.push(route(name.clone(), r));
        }
    }
    for r in doc
        .get("routes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let service = match r.get("service") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Object(o)) => o
                .get("name")
                .or_else(|| o.get("id"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            _ => String::new(),
        };
        out.push(route(service, r));
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn routes_come_from_services_and_top_level() {
        let doc = json!({
            "services": [{"name": "a", "routes": [{"hosts": ["h"], "paths": ["/x"]}, {}]}],
            "routes": [{"service": {"name": "b"}, "paths": ["/y"]}, {"service": "c"}]
        });
        let r = routes(&doc);
        assert_eq!(r.len(), 4);
        assert_eq!(
            r[0],
            RouteInfo {
                service: "a".into(),
                hosts: vec!["h".into()],
                paths: vec!["/x".into()]
            }
        );
        assert_eq!(r[1].hosts, Vec::<String>::new());
        assert_eq!(r[2].service, "b");
        assert_eq!(r[3].service, "c");
    }

    #[test]
    fn users_skip_entries_without_clear_text_passwords() {
        let op = json!({"users": [{"username": "a", "password": "p"}, {"username": "b"}]});
        assert_eq!(
            users(&op),
            vec![User {
                username: "a".into(),
                password: "p".into()
            }]
        );
    }
}
