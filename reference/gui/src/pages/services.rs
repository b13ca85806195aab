//! SERVICES: the list (with the Gluu plugins each service has), + ADD NEW SERVICE, the
//! service's page (details form, Routes and Plugins tabs), delete.

use axum::extract::Path;
use axum::response::Response;
use minijinja::context;
use serde_json::{json, Map, Value};

use super::{display_name, id_of, Form, Page};
use crate::forms::{http_url, valid_name, Errors, FormData};
use crate::kong::segment;

/// The service form's values.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ServiceForm {
    name: String,
    url: String,
    tags: Vec<String>,
}

impl ServiceForm {
    fn from_entity(s: &Value) -> Self {
        let text = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        let port = s.get("port").and_then(Value::as_u64);
        let protocol = text("protocol");
        let default_port = match protocol.as_str() {
            "https" => Some(443),
            _ => Some(80),
        };
        let port = match port {
            Some(p) if Some(p) != default_port => format!(":{p}"),
            _ => String::new(),
        };
        let url = if text("host").is_empty() {
            String::new()
        } else {
            format!("{protocol}://{}{port}{}", text("host"), text("path"))
        };
        Self {
            name: text("name"),
            url,
            tags: strings(s.get("tags")),
        }
    }

    fn from_form(f: &FormData) -> Self {
        Self {
            name: f.text("name").to_owned(),
            url: f.text("url").to_owned(),
            tags: f.tags("tags"),
        }
    }

    /// Checks the form; the Admin API request body when valid.
    fn body(&self) -> Result<Value, Errors> {
        let mut errors = Errors::default();
        if self.name.is_empty() {
            errors.add("name", "The service needs a name (e.g. oauth-demo).");
        } else if !valid_name(&self.name) {
            errors.add("name", "Use only letters, digits and - . _ ~ (no spaces).");
        }
        if self.url.is_empty() {
            errors.add(
                "url",
                "The upstream URL is required (e.g. http://localhost:3000).",
            );
        } else if let Err(e) = http_url(&self.url) {
            errors.add("url", e);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(json!({"name": self.name, "url": self.url, "tags": self.tags}))
    }
}

pub(crate) fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Kong's service fields as the form names them (`host`, `protocol`, ... are parts of the URL).
fn form_field(kong: &str) -> String {
    match kong {
        "name" | "tags" => kong.to_owned(),
        _ => "url".to_owned(),
    }
}

/// The Gluu plugins of each service/route id, for the "Gluu Security" column.
pub(crate) async fn gluu_plugins(
    page: &Page,
) -> Result<Map<String, Value>, crate::kong::KongError> {
    let plugins = page.app.kong.list("/plugins").await?;
    let mut by_owner: Map<String, Value> = Map::new();
    for p in plugins {
        let Some(name) = p.get("name").and_then(Value::as_str) else {
            continue;
        };
        if !name.starts_with("gluu-") {
            continue;
        }
        for owner in ["service", "route"] {
            if let Some(id) = p.pointer(&format!("/{owner}/id")).and_then(Value::as_str) {
                let entry = by_owner
                    .entry(id.to_owned())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(a) = entry {
                    a.push(Value::String(name.to_owned()));
                }
            }
        }
    }
    Ok(by_owner)
}

/// `GET /services`.
pub async fn list(page: Page) -> Response {
    let services = match page.app.kong.list("/services").await {
        Ok(s) => s,
        Err(e) => return page.kong_error("services", &e),
    };
    let gluu = match gluu_plugins(&page).await {
        Ok(g) => g,
        Err(e) => return page.kong_error("services", &e),
    };
    let rows: Vec<_> = services
        .iter()
        .map(|s| {
            let id = id_of(s);
            context! {
                id => id,
                name => display_name(s),
                url => ServiceForm::from_entity(s).url,
                tags => strings(s.get("tags")),
                gluu => gluu.get(&id).cloned().unwrap_or(Value::Array(Vec::new())),
            }
        })
        .collect();
    page.render("services.html", "services", context! { services => rows })
}

/// `GET /services/new`.
pub async fn new_form(page: Page) -> Response {
    page.render(
        "service_form.html",
        "services",
        context! { form => ServiceForm::default(), action => "/services", title => "Add New Service", submit => "Submit Service" },
    )
}

/// `POST /services`.
pub async fn create(page: Page, Form(f): Form) -> Response {
    let form = ServiceForm::from_form(&f);
    let again = |errors: Errors, message: Option<String>| {
        page.invalid(
            "service_form.html",
            "services",
            context! { form => form, errors => errors, error => message, action => "/services", title => "Add New Service", submit => "Submit Service" },
        )
    };
    if f.op() == "refresh" {
        return again(Errors::default(), None);
    }
    let body = match form.body() {
        Ok(b) => b,
        Err(errors) => return again(errors, None),
    };
    match page.app.kong.post("/services", &body).await {
        Ok(created) => page.done(
            format!("Service {} created.", display_name(&created)),
            &format!("/services/{}", id_of(&created)),
        ),
        Err(e) => {
            let mut errors = Errors::default();
            errors.add_kong_fields(e.fields(), &form_field);
            again(errors, Some(e.to_string()))
        }
    }
}

async fn load(page: &Page, id: &str) -> Result<Value, Response> {
    page.app
        .kong
        .get(&format!("/services/{}", segment(id)))
        .await
        .map_err(|e| page.kong_failure("services", &format!("service {id}"), &e))
}

/// `GET /services/{id}`: details (editable), with the Routes and Plugins tabs.
pub async fn show(page: Page, Path(id): Path<String>) -> Response {
    let service = match load(&page, &id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    render_service(
        &page,
        &service,
        ServiceForm::from_entity(&service),
        Errors::default(),
        None,
        false,
    )
}

fn render_service(
    page: &Page,
    service: &Value,
    form: ServiceForm,
    errors: Errors,
    error: Option<String>,
    invalid: bool,
) -> Response {
    let id = id_of(service);
    let ctx = context! {
        service => context! { id => id, name => display_name(service), raw => serde_json::to_string_pretty(service).unwrap_or_default() },
        form => form,
        errors => errors,
        error => error,
        action => format!("/services/{}", segment(&id)),
        title => "Service Details",
        submit => "Save Service",
        tab => "details",
    };
    if invalid {
        page.invalid("service.html", "services", ctx)
    } else {
        page.render("service.html", "services", ctx)
    }
}

/// `POST /services/{id}`: saves the details (PATCH).
pub async fn update(page: Page, Path(id): Path<String>, Form(f): Form) -> Response {
    let service = match load(&page, &id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let form = ServiceForm::from_form(&f);
    if f.op() == "refresh" {
        return render_service(&page, &service, form, Errors::default(), None, true);
    }
    let body = match form.body() {
        Ok(b) => b,
        Err(errors) => return render_service(&page, &service, form, errors, None, true),
    };
    let path = format!("/services/{}", segment(&id_of(&service)));
    match page.app.kong.patch(&path, &body).await {
        Ok(updated) => page.done(format!("Service {} saved.", display_name(&updated)), &path),
        Err(e) => {
            let mut errors = Errors::default();
            errors.add_kong_fields(e.fields(), &form_field);
            render_service(&page, &service, form, errors, Some(e.to_string()), true)
        }
    }
}

/// `GET /services/{id}/delete`: asks first (no script needed).
pub async fn confirm_delete(page: Page, Path(id): Path<String>) -> Response {
    let service = match load(&page, &id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    page.render(
        "message.html",
        "services",
        context! {
            title => "Delete service",
            message => format!("Delete the service {}? Its plugins are deleted with it; Kong refuses while it has routes.", display_name(&service)),
            confirm => format!("/services/{}/delete", segment(&id_of(&service))),
            confirm_label => "Delete Service",
            back => "/services",
        },
    )
}

/// `POST /services/{id}/delete`.
pub async fn delete(page: Page, Path(id): Path<String>) -> Response {
    match page
        .app
        .kong
        .delete(&format!("/services/{}", segment(&id)))
        .await
    {
        Ok(()) => page.done(format!("Service {id} deleted."), "/services"),
        Err(e) => page.failed(e.to_string(), "/services"),
    }
}
