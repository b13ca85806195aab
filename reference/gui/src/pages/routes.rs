//! ROUTES: a service's routes and + ADD ROUTE (Name, Hosts, Paths, Methods, strip_path,
//! preserve_host), every route, a route's page (details and the Plugins tab), delete.

use axum::extract::Path;
use axum::response::Response;
use minijinja::context;
use serde_json::{json, Value};

use super::services::strings;
use super::{display_name, id_of, Form, Page};
use crate::forms::{valid_name, Errors, FormData};
use crate::kong::segment;

/// The methods offered for a route.
const ROUTE_METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "CONNECT", "TRACE",
];

/// The route form's values.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RouteForm {
    name: String,
    hosts: Vec<String>,
    paths: Vec<String>,
    methods: Vec<String>,
    protocols: Vec<String>,
    strip_path: bool,
    preserve_host: bool,
    all_methods: &'static [&'static str],
}

impl Default for RouteForm {
    fn default() -> Self {
        Self {
            name: String::new(),
            hosts: Vec::new(),
            paths: Vec::new(),
            methods: Vec::new(),
            protocols: vec!["http".into(), "https".into()],
            strip_path: true,
            preserve_host: false,
            all_methods: &ROUTE_METHODS,
        }
    }
}

impl RouteForm {
    fn from_entity(r: &Value) -> Self {
        Self {
            name: r
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            hosts: strings(r.get("hosts")),
            paths: strings(r.get("paths")),
            methods: strings(r.get("methods")),
            protocols: strings(r.get("protocols")),
            strip_path: r.get("strip_path").and_then(Value::as_bool).unwrap_or(true),
            preserve_host: r
                .get("preserve_host")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            all_methods: &ROUTE_METHODS,
        }
    }

    fn from_form(f: &FormData) -> Self {
        Self {
            name: f.text("name").to_owned(),
            hosts: f.tags("hosts"),
            paths: f.tags("paths"),
            methods: f
                .all("methods")
                .into_iter()
                .filter(|m| ROUTE_METHODS.contains(m))
                .map(str::to_owned)
                .collect(),
            protocols: f
                .all("protocols")
                .into_iter()
                .filter(|p| matches!(*p, "http" | "https"))
                .map(str::to_owned)
                .collect(),
            strip_path: f.has("strip_path"),
            preserve_host: f.has("preserve_host"),
            all_methods: &ROUTE_METHODS,
        }
    }

    fn body(&self) -> Result<Value, Errors> {
        let mut errors = Errors::default();
        if !self.name.is_empty() && !valid_name(&self.name) {
            errors.add("name", "Use only letters, digits and - . _ ~ (no spaces).");
        }
        if let Some(p) = self
            .paths
            .iter()
            .find(|p| !p.starts_with('/') && !p.starts_with('~'))
        {
            errors.add(
                "paths",
                format!("{p:?}: a path starts with / (or ~ for a regex)"),
            );
        }
        if let Some(h) = self
            .hosts
            .iter()
            .find(|h| h.contains(['/', ' ']) || h.starts_with("http"))
        {
            errors.add(
                "hosts",
                format!("{h:?}: a host name such as api.example.com (no scheme or path)"),
            );
        }
        if self.hosts.is_empty() && self.paths.is_empty() && self.methods.is_empty() {
            errors.add(
                "hosts",
                "Give at least one host, path or method: Kong routes requests by them.",
            );
        }
        if self.protocols.is_empty() {
            errors.add("protocols", "Choose http, https or both.");
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut body = json!({
            "hosts": self.hosts,
            "paths": self.paths,
            "methods": self.methods,
            "protocols": self.protocols,
            "strip_path": self.strip_path,
            "preserve_host": self.preserve_host,
        });
        if !self.name.is_empty() {
            body["name"] = json!(self.name);
        }
        // Kong keeps null for "any"; an empty list is a schema violation on some versions.
        for k in ["hosts", "paths", "methods"] {
            if body[k].as_array().is_some_and(Vec::is_empty) {
                body[k] = Value::Null;
            }
        }
        Ok(body)
    }
}

fn form_field(kong: &str) -> String {
    let top = kong.split('.').next().unwrap_or(kong);
    match top {
        "name" | "hosts" | "paths" | "methods" | "protocols" | "strip_path" | "preserve_host" => {
            top.to_owned()
        }
        _ => "hosts".to_owned(),
    }
}

async fn service(page: &Page, id: &str) -> Result<Value, Response> {
    page.app
        .kong
        .get(&format!("/services/{}", segment(id)))
        .await
        .map_err(|e| page.kong_failure("services", &format!("service {id}"), &e))
}

fn route_rows(routes: &[Value], services: &[Value]) -> Vec<minijinja::Value> {
    routes
        .iter()
        .map(|r| {
            let service_id = r
                .pointer("/service/id")
                .and_then(Value::as_str)
                .unwrap_or("");
            let service = services
                .iter()
                .find(|s| id_of(s) == service_id)
                .map(display_name)
                .unwrap_or_default();
            context! {
                id => id_of(r),
                name => display_name(r),
                hosts => strings(r.get("hosts")),
                paths => strings(r.get("paths")),
                methods => strings(r.get("methods")),
                service => service,
                service_id => service_id,
            }
        })
        .collect()
}

/// `GET /services/{id}/routes`: the service's Routes tab.
pub async fn list_of_service(page: Page, Path(id): Path<String>) -> Response {
    let svc = match service(&page, &id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let sid = id_of(&svc);
    let routes = match page
        .app
        .kong
        .list(&format!("/services/{}/routes", segment(&sid)))
        .await
    {
        Ok(r) => r,
        Err(e) => return page.kong_error("services", &e),
    };
    page.render(
        "service.html",
        "services",
        context! {
            service => context! { id => sid, name => display_name(&svc) },
            routes => route_rows(&routes, std::slice::from_ref(&svc)),
            tab => "routes",
        },
    )
}

fn render_form(
    page: &Page,
    svc: &Value,
    form: RouteForm,
    errors: Errors,
    error: Option<String>,
    invalid: bool,
) -> Response {
    let sid = id_of(svc);
    let ctx = context! {
        service => context! { id => sid, name => display_name(svc) },
        form => form,
        errors => errors,
        error => error,
        action => format!("/services/{}/routes", segment(&sid)),
        title => "Add Route",
        submit => "Submit Route",
    };
    if invalid {
        page.invalid("route_form.html", "services", ctx)
    } else {
        page.render("route_form.html", "services", ctx)
    }
}

/// `GET /services/{id}/routes/new`: + ADD ROUTE.
pub async fn new_form(page: Page, Path(id): Path<String>) -> Response {
    match service(&page, &id).await {
        Ok(svc) => render_form(
            &page,
            &svc,
            RouteForm::default(),
            Errors::default(),
            None,
            false,
        ),
        Err(r) => r,
    }
}

/// `POST /services/{id}/routes`.
pub async fn create(page: Page, Path(id): Path<String>, Form(f): Form) -> Response {
    let svc = match service(&page, &id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let form = RouteForm::from_form(&f);
    if f.op() == "refresh" {
        return render_form(&page, &svc, form, Errors::default(), None, true);
    }
    let body = match form.body() {
        Ok(b) => b,
        Err(errors) => return render_form(&page, &svc, form, errors, None, true),
    };
    let sid = id_of(&svc);
    match page
        .app
        .kong
        .post(&format!("/services/{}/routes", segment(&sid)), &body)
        .await
    {
        Ok(created) => page.done(
            format!("Route {} created.", display_name(&created)),
            &format!("/services/{}/routes", segment(&sid)),
        ),
        Err(e) => {
            let mut errors = Errors::default();
            errors.add_kong_fields(e.fields(), &form_field);
            render_form(&page, &svc, form, errors, Some(e.to_string()), true)
        }
    }
}

/// `GET /routes`: every route.
pub async fn list(page: Page) -> Response {
    let (routes, services) = match (
        page.app.kong.list("/routes").await,
        page.app.kong.list("/services").await,
    ) {
        (Ok(r), Ok(s)) => (r, s),
        (Err(e), _) | (_, Err(e)) => return page.kong_error("routes", &e),
    };
    let gluu = match super::services::gluu_plugins(&page).await {
        Ok(g) => g,
        Err(e) => return page.kong_error("routes", &e),
    };
    let mut rows = route_rows(&routes, &services);
    for (row, r) in rows.iter_mut().zip(&routes) {
        let plugins = gluu
            .get(&id_of(r))
            .cloned()
            .unwrap_or(Value::Array(Vec::new()));
        *row = context! { gluu => plugins, ..row.clone() };
    }
    page.render("routes.html", "routes", context! { routes => rows })
}

async fn route(page: &Page, id: &str) -> Result<Value, Response> {
    page.app
        .kong
        .get(&format!("/routes/{}", segment(id)))
        .await
        .map_err(|e| page.kong_failure("routes", &format!("route {id}"), &e))
}

fn render_route(
    page: &Page,
    r: &Value,
    form: RouteForm,
    errors: Errors,
    error: Option<String>,
    invalid: bool,
) -> Response {
    let rid = id_of(r);
    let ctx = context! {
        route => context! { id => rid, name => display_name(r), service_id => r.pointer("/service/id").and_then(Value::as_str).unwrap_or(""), raw => serde_json::to_string_pretty(r).unwrap_or_default() },
        form => form,
        errors => errors,
        error => error,
        action => format!("/routes/{}", segment(&rid)),
        title => "Route Details",
        submit => "Save Route",
        tab => "details",
    };
    if invalid {
        page.invalid("route_form.html", "routes", ctx)
    } else {
        page.render("route_form.html", "routes", ctx)
    }
}

/// `GET /routes/{id}`.
pub async fn show(page: Page, Path(id): Path<String>) -> Response {
    match route(&page, &id).await {
        Ok(r) => render_route(
            &page,
            &r,
            RouteForm::from_entity(&r),
            Errors::default(),
            None,
            false,
        ),
        Err(resp) => resp,
    }
}

/// `POST /routes/{id}` (PATCH).
pub async fn update(page: Page, Path(id): Path<String>, Form(f): Form) -> Response {
    let r = match route(&page, &id).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let form = RouteForm::from_form(&f);
    if f.op() == "refresh" {
        return render_route(&page, &r, form, Errors::default(), None, true);
    }
    let body = match form.body() {
        Ok(b) => b,
        Err(errors) => return render_route(&page, &r, form, errors, None, true),
    };
    let path = format!("/routes/{}", segment(&id_of(&r)));
    match page.app.kong.patch(&path, &body).await {
        Ok(updated) => page.done(format!("Route {} saved.", display_name(&updated)), &path),
        Err(e) => {
            let mut errors = Errors::default();
            errors.add_kong_fields(e.fields(), &form_field);
            render_route(&page, &r, form, errors, Some(e.to_string()), true)
        }
    }
}

/// `GET /routes/{id}/delete`.
pub async fn confirm_delete(page: Page, Path(id): Path<String>) -> Response {
    let r = match route(&page, &id).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    page.render(
        "message.html",
        "routes",
        context! {
            title => "Delete route",
            message => format!("Delete the route {}? Its plugins are deleted with it.", display_name(&r)),
            confirm => format!("/routes/{}/delete", segment(&id_of(&r))),
            confirm_label => "Delete Route",
            back => "/routes",
        },
    )
}

/// `POST /routes/{id}/delete`.
pub async fn delete(page: Page, Path(id): Path<String>) -> Response {
    match page
        .app
        .kong
        .delete(&format!("/routes/{}", segment(&id)))
        .await
    {
        Ok(()) => page.done(format!("Route {id} deleted."), "/routes"),
        Err(e) => page.failed(e.to_string(), "/routes"),
    }
}
