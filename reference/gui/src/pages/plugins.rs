//! PLUGINS: the lists (global, per service, per route), + ADD PLUGIN's catalogue, the Gluu
//! plugin forms ("Gluu OAuth Auth & PEP", "Gluu OIDC & UMA PEP") and the generic form for any
//! other plugin, edit, on/off, delete.
//!
//! The Gluu forms make several calls (oxd `register-site`, then one or two `POST /plugins`).
//! When one fails, the calls already made are undone in reverse order; whatever could not be
//! undone is named in the message, so nothing exists that the user does not know about.

use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::Response;
use minijinja::context;
use serde_json::{json, Map, Value};

use super::services::strings;
use super::{display_name, id_of, Form, Page};
use crate::expr::{self, form as exform, Builder, Kind};
use crate::forms::{http_url, Errors, FormData};
use crate::kong::{segment, KongError};
use crate::oxd::Site;

/// Where a plugin applies.
#[derive(Debug, Clone)]
pub enum Owner {
    /// Every request.
    Global,
    /// A service (the entity).
    Service(Value),
    /// A route (the entity).
    Route(Value),
}

impl Owner {
    fn url(&self) -> String {
        match self {
            Owner::Global => "/plugins".into(),
            Owner::Service(s) => format!("/services/{}/plugins", segment(&id_of(s))),
            Owner::Route(r) => format!("/routes/{}/plugins", segment(&id_of(r))),
        }
    }

    fn nav(&self) -> &'static str {
        match self {
            Owner::Global => "plugins",
            Owner::Service(_) => "services",
            Owner::Route(_) => "routes",
        }
    }

    fn label(&self) -> String {
        match self {
            Owner::Global => "global (every service and route)".into(),
            Owner::Service(s) => format!("service {}", display_name(s)),
            Owner::Route(r) => format!("route {}", display_name(r)),
        }
    }

    /// The `service`/`route` reference of a new plugin.
    fn attach(&self, body: &mut Value) {
        match self {
            Owner::Global => {}
            Owner::Service(s) => body["service"] = json!({"id": id_of(s)}),
            Owner::Route(r) => body["route"] = json!({"id": id_of(r)}),
        }
    }

    fn view(&self) -> minijinja::Value {
        let (kind, entity) = match self {
            Owner::Global => ("global", Value::Null),
            Owner::Service(s) => ("service", s.clone()),
            Owner::Route(r) => ("route", r.clone()),
        };
        context! {
            kind => kind,
            id => id_of(&entity),
            name => display_name(&entity),
            label => self.label(),
            url => self.url(),
            service_id => entity.pointer("/service/id").and_then(Value::as_str).unwrap_or(""),
        }
    }

    /// The proxy URL an OpenID Connect client of this owner is most likely reached at.
    fn proxy_guess(&self, page: &Page) -> String {
        if let Some(p) = &page.app.config.proxy_url {
            return p.as_str().trim_end_matches('/').to_owned();
        }
        match self {
            Owner::Route(r) => strings(r.get("hosts"))
                .first()
                .map(|h| format!("https://{h}"))
                .unwrap_or_default(),
            _ => String::new(),
        }
    }

    fn client_name(&self, what: &str) -> String {
        match self {
            Owner::Global => format!("gg-{what}-global"),
            Owner::Service(s) => format!("gg-{what}-{}", display_name(s)),
            Owner::Route(r) => format!("gg-{what}-{}", display_name(r)),
        }
    }
}

async fn owner(page: &Page, kind: &str, id: &str) -> Result<Owner, Response> {
    let path = format!("/{kind}s/{}", segment(id));
    match page.app.kong.get(&path).await {
        Ok(e) if kind == "service" => Ok(Owner::Service(e)),
        Ok(e) => Ok(Owner::Route(e)),
        Err(e) => Err(page.kong_failure(&format!("{kind}s"), &format!("{kind} {id}"), &e)),
    }
}

/// The title GG shows for a plugin name.
fn title(name: &str) -> String {
    match name {
        "gluu-oauth-auth" => "Gluu OAuth Auth".into(),
        "gluu-oauth-pep" => "Gluu OAuth PEP".into(),
        "gluu-openid-connect" => "Gluu OIDC & UMA PEP".into(),
        "gluu-uma-auth" => "Gluu UMA Auth".into(),
        "gluu-uma-pep" => "Gluu UMA PEP".into(),
        other => other.to_owned(),
    }
}

fn plugin_rows(plugins: &[Value]) -> Vec<minijinja::Value> {
    plugins
        .iter()
        .map(|p| {
            let name = p.get("name").and_then(Value::as_str).unwrap_or("");
            let applies = match (
                p.pointer("/service/id").and_then(Value::as_str),
                p.pointer("/route/id").and_then(Value::as_str),
                p.pointer("/consumer/id").and_then(Value::as_str),
            ) {
                (_, Some(r), _) => format!("route {r}"),
                (Some(s), _, _) => format!("service {s}"),
                (_, _, Some(c)) => format!("consumer {c}"),
                _ => "global".into(),
            };
            context! {
                id => id_of(p),
                name => name,
                title => title(name),
                enabled => p.get("enabled").and_then(Value::as_bool).unwrap_or(true),
                applies => applies,
            }
        })
        .collect()
}

async fn list(page: Page, owner: Owner) -> Response {
    let path = match &owner {
        Owner::Global => "/plugins".to_owned(),
        other => other.url(),
    };
    match page.app.kong.list(&path).await {
        Ok(plugins) => page.render(
            "plugins.html",
            owner.nav(),
            context! { owner => owner.view(), plugins => plugin_rows(&plugins), tab => "plugins" },
        ),
        Err(e) => page.kong_error(owner.nav(), &e),
    }
}

/// `GET /plugins`: every plugin, with what it applies to.
pub async fn list_global(page: Page) -> Response {
    list(page, Owner::Global).await
}

/// `GET /services/{id}/plugins`.
pub async fn list_service(page: Page, Path(id): Path<String>) -> Response {
    match owner(&page, "service", &id).await {
        Ok(o) => list(page, o).await,
        Err(r) => r,
    }
}

/// `GET /routes/{id}/plugins`.
pub async fn list_route(page: Page, Path(id): Path<String>) -> Response {
    match owner(&page, "route", &id).await {
        Ok(o) => list(page, o).await,
        Err(r) => r,
    }
}

/// Plugins the catalogue lists with the generic form (the Gluu ones have their own forms).
const OWN_FORMS: [&str; 3] = ["gluu-oauth-auth", "gluu-oauth-pep", "gluu-openid-connect"];

async fn catalog(page: Page, owner: Owner) -> Response {
    let node = match page.app.kong.get("/").await {
        Ok(n) => n,
        Err(e) => return page.kong_error(owner.nav(), &e),
    };
    let mut names: Vec<String> = match node.pointer("/plugins/available_on_server") {
        Some(Value::Object(o)) => o.keys().cloned().collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    names.retain(|n| !OWN_FORMS.contains(&n.as_str()));
    names.sort();
    page.render(
        "plugin_catalog.html",
        owner.nav(),
        context! { owner => owner.view(), others => names },
    )
}

/// `GET /plugins/add`: + ADD GLOBAL PLUGINS.
pub async fn catalog_global(page: Page) -> Response {
    catalog(page, Owner::Global).await
}

/// `GET /services/{id}/plugins/add`: + ADD PLUGIN of a service.
pub async fn catalog_service(page: Page, Path(id): Path<String>) -> Response {
    match owner(&page, "service", &id).await {
        Ok(o) => catalog(page, o).await,
        Err(r) => r,
    }
}

/// `GET /routes/{id}/plugins/add`: + ADD PLUGIN of a route.
pub async fn catalog_route(page: Page, Path(id): Path<String>) -> Response {
    match owner(&page, "route", &id).await {
        Ok(o) => catalog(page, o).await,
        Err(r) => r,
    }
}

// ---------------------------------------------------------------------------------------------
// The expression editor shared by both Gluu forms: the builder, or JSON for documents the
// builder cannot show.

/// The editor's state as the template needs it.
struct ExprState {
    prefix: &'static str,
    kind: Kind,
    builder: Builder,
    /// `Some(text)` in JSON mode.
    json: Option<String>,
    /// Why the document is shown as JSON.
    json_reason: Option<String>,
}

impl ExprState {
    fn from_doc(prefix: &'static str, kind: Kind, doc: &Value) -> Self {
        match Builder::from_json(kind, doc) {
            Ok(builder) => Self {
                prefix,
                kind,
                builder,
                json: None,
                json_reason: None,
            },
            Err(e) => Self {
                prefix,
                kind,
                builder: Builder::new(kind),
                json: Some(serde_json::to_string_pretty(doc).unwrap_or_default()),
                json_reason: Some(e.0),
            },
        }
    }

    fn from_form(prefix: &'static str, kind: Kind, f: &FormData, errors: &mut Errors) -> Self {
        let op = f.op();
        let json_mode = f.get(&format!("{prefix}_json")).is_some();
        if op == format!("json-mode:{prefix}") {
            let builder = exform::parse(f, prefix, kind);
            let text = builder
                .to_json()
                .map(|d| serde_json::to_string_pretty(&d).unwrap_or_default())
                .unwrap_or_default();
            return Self {
                prefix,
                kind,
                builder: Builder::new(kind),
                json: Some(text),
                json_reason: None,
            };
        }
        if json_mode {
            let text = f.get(&format!("{prefix}_json")).unwrap_or("").to_owned();
            if op == format!("builder-mode:{prefix}") {
                let doc = if text.trim().is_empty() {
                    Ok(Value::Null)
                } else {
                    serde_json::from_str::<Value>(&text).map_err(|e| e.to_string())
                };
                match doc
                    .map_err(|e| format!("Invalid JSON in expression: {e}"))
                    .and_then(|d| Builder::from_json(kind, &d).map_err(|e| e.0))
                {
                    Ok(builder) => {
                        return Self {
                            prefix,
                            kind,
                            builder,
                            json: None,
                            json_reason: None,
                        }
                    }
                    Err(why) => errors.add(
                        format!("{prefix}_json"),
                        format!("The builder cannot show this: {why}"),
                    ),
                }
            }
            return Self {
                prefix,
                kind,
                builder: Builder::new(kind),
                json: Some(text),
                json_reason: None,
            };
        }
        Self {
            prefix,
            kind,
            builder: exform::parse(f, prefix, kind),
            json: None,
            json_reason: None,
        }
    }

    /// The document, validated with gatecheck-policy; errors go next to the offending field.
    /// `Ok(None)` = no expression.
    fn document(&self, errors: &mut Errors) -> Option<Option<Value>> {
        let doc = match &self.json {
            Some(text) if text.trim().is_empty() => None,
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(v) => Some(v),
                Err(e) => {
                    errors.add(
                        format!("{}_json", self.prefix),
                        format!("Invalid JSON in expression: {e}"),
                    );
                    return None;
                }
            },
            None => {
                for (field, message) in expr::builder_errors(&self.builder, self.prefix) {
                    errors.add(field, message);
                }
                for (i, p) in self.builder.paths.iter().enumerate() {
                    if p.path.is_empty() {
                        errors.add(
                            format!("{}.{i}.path", self.prefix),
                            "Path is missing or empty in expression",
                        );
                    }
                }
                if !errors.is_empty() {
                    return None;
                }
                self.builder.to_json()
            }
        };
        if let Some(d) = &doc {
            if let Err(e) = gatecheck_policy::Expression::from_value(d) {
                let field = if self.json.is_some() {
                    format!("{}_json", self.prefix)
                } else {
                    expr::address_of(self.prefix, e.pointer.as_deref())
                };
                errors.add(field, e.message);
                return None;
            }
        }
        Some(doc)
    }

    fn lints(&self) -> Vec<String> {
        let doc = match &self.json {
            Some(t) => serde_json::from_str::<Value>(t).ok(),
            None => self.builder.to_json(),
        };
        doc.and_then(|d| gatecheck_policy::Expression::from_value(&d).ok())
            .map(|e| e.lint().into_iter().map(|l| l.message).collect())
            .unwrap_or_default()
    }

    fn view(&self) -> minijinja::Value {
        context! {
            prefix => self.prefix,
            acr => self.kind == Kind::Acr,
            paths => exform::view(&self.builder, self.prefix),
            json => self.json,
            json_reason => self.json_reason,
            lints => self.lints(),
            methods => expr::METHODS,
        }
    }
}

/// Whether the pressed button only edits the form (the builder's buttons, "accept value").
fn editing(op: &str) -> bool {
    !(op.is_empty() || op == "save")
}

/// A config field given as JSON text or inline JSON.
fn json_field(config: &Value, name: &str) -> Value {
    match config.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => {
            serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone()))
        }
        Some(Value::String(_)) | None => Value::Null,
        Some(v) => v.clone(),
    }
}

fn custom_headers(f: &FormData, errors: &mut Errors) -> Option<Value> {
    let text = f.text("custom_headers");
    if text.is_empty() {
        return None;
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Array(_)) => Some(v),
        Ok(_) => {
            errors.add(
                "custom_headers",
                "Expected a JSON array of {header_name, value_lua_exp, format} objects.",
            );
            None
        }
        Err(e) => {
            errors.add("custom_headers", format!("Invalid JSON: {e}"));
            None
        }
    }
}

fn pretty(v: Option<&Value>) -> String {
    match v {
        Some(v @ (Value::Array(_) | Value::Object(_))) => {
            serde_json::to_string_pretty(v).unwrap_or_default()
        }
        _ => String::new(),
    }
}

/// What a multi-call action has created so far, undone in reverse on failure.
#[derive(Default)]
struct Undo {
    site: Option<Site>,
    plugins: Vec<String>,
}

impl Undo {
    /// Undoes everything; the message for the user (what failed, what is left).
    async fn rollback(self, page: &Page, failure: String) -> String {
        let mut left = Vec::new();
        for id in self.plugins.iter().rev() {
            match page
                .app
                .kong
                .delete(&format!("/plugins/{}", segment(id)))
                .await
            {
                Err(e) if !e.is_not_found() => left.push(format!("plugin {id} ({e})")),
                _ => {}
            }
        }
        if let Some(site) = &self.site {
            left.extend(
                page.app
                    .oxd
                    .remove(site, page.app.config.op_url.as_str().trim_end_matches('/'))
                    .await,
            );
        }
        if left.is_empty() {
            format!("{failure} Nothing was changed: what had been created for this form was removed again.")
        } else {
            format!(
                "{failure} Undoing the earlier steps failed; these still exist and must be removed by hand: {}.",
                left.join("; ")
            )
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Gluu OAuth Auth & PEP

#[derive(Debug, Clone, serde::Serialize)]
struct OauthForm {
    oxd_id: String,
    client_id: String,
    client_secret: String,
    op_url: String,
    oxd_url: String,
    pass_credentials: String,
    anonymous: String,
    consumer_mapping: bool,
    deny_by_default: bool,
    custom_headers: String,
}

impl OauthForm {
    fn defaults(page: &Page) -> Self {
        Self {
            oxd_id: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            op_url: page
                .app
                .config
                .op_url
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
            oxd_url: page
                .app
                .oxd
                .base()
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
            pass_credentials: "pass".into(),
            anonymous: String::new(),
            consumer_mapping: true,
            deny_by_default: true,
            custom_headers: String::new(),
        }
    }

    fn from_form(f: &FormData) -> Self {
        Self {
            oxd_id: f.text("oxd_id").to_owned(),
            client_id: f.text("client_id").to_owned(),
            client_secret: f.text("client_secret").to_owned(),
            op_url: f.text("op_url").to_owned(),
            oxd_url: f.text("oxd_url").to_owned(),
            pass_credentials: f.text("pass_credentials").to_owned(),
            anonymous: f.text("anonymous").to_owned(),
            consumer_mapping: f.has("consumer_mapping"),
            deny_by_default: f.has("deny_by_default"),
            custom_headers: f.get("custom_headers").unwrap_or("").to_owned(),
        }
    }

    fn from_configs(auth: &Value, pep: &Value) -> Self {
        let t = |v: &Value, k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim()
                .to_owned()
        };
        Self {
            oxd_id: t(auth, "oxd_id"),
            client_id: t(auth, "client_id"),
            client_secret: t(auth, "client_secret"),
            op_url: t(auth, "op_url"),
            oxd_url: t(auth, "oxd_url"),
            pass_credentials: match t(auth, "pass_credentials") {
                s if s.is_empty() => "pass".into(),
                s => s,
            },
            anonymous: t(auth, "anonymous"),
            consumer_mapping: auth
                .get("consumer_mapping")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            deny_by_default: pep
                .get("deny_by_default")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            custom_headers: pretty(auth.get("custom_headers")),
        }
    }

    fn check(&self, errors: &mut Errors) {
        for (name, value) in [("op_url", &self.op_url), ("oxd_url", &self.oxd_url)] {
            if let Err(e) = http_url(value) {
                errors.add(name, e);
            }
        }
        if !self.oxd_id.is_empty() && (self.client_id.is_empty() || self.client_secret.is_empty()) {
            errors.add("client_id", "An existing oxd site needs its client id and secret (or leave all three empty to create one).");
        }
        if self.oxd_id.is_empty() && !(self.client_id.is_empty() && self.client_secret.is_empty()) {
            errors.add("oxd_id", "Give the oxd id of this client's site, or leave client id and secret empty to create one.");
        }
        if !["pass", "hide", "phantom_token"].contains(&self.pass_credentials.as_str()) {
            errors.add("pass_credentials", "One of pass, hide, phantom_token.");
        }
        if self.anonymous.chars().count() == 1 {
            errors.add(
                "anonymous",
                "Give the id of the Kong consumer for anonymous requests, or leave it empty.",
            );
        }
    }

    fn configs(
        &self,
        site: &Site,
        custom: Option<Value>,
        expression: Option<Value>,
    ) -> (Value, Value) {
        let mut auth = json!({
            "oxd_id": site.oxd_id,
            "client_id": site.client_id,
            "client_secret": site.client_secret,
            "op_url": self.op_url,
            "oxd_url": self.oxd_url,
            "pass_credentials": self.pass_credentials,
            "consumer_mapping": self.consumer_mapping,
        });
        if !self.anonymous.is_empty() {
            auth["anonymous"] = json!(self.anonymous);
        }
        if let Some(h) = custom {
            auth["custom_headers"] = h;
        }
        let mut pep = json!({
            "oxd_id": site.oxd_id,
            "client_id": site.client_id,
            "client_secret": site.client_secret,
            "op_url": self.op_url,
            "oxd_url": self.oxd_url,
            "deny_by_default": self.deny_by_default,
        });
        // GG keeps the expression as JSON text in the plugin config.
        pep["oauth_scope_expression"] = match expression {
            Some(doc) => Value::String(doc.to_string()),
            None => Value::Null,
        };
        (auth, pep)
    }
}

#[allow(clippy::too_many_arguments)]
fn render_oauth(
    page: &Page,
    owner: &Owner,
    form: &OauthForm,
    expr: &ExprState,
    errors: Errors,
    error: Option<String>,
    action: String,
    edit: bool,
    invalid: bool,
) -> Response {
    let ctx = context! {
        owner => owner.view(),
        form => form,
        expr => expr.view(),
        errors => errors,
        error => error,
        action => action,
        edit => edit,
        pass_choices => ["pass", "hide", "phantom_token"],
    };
    if invalid {
        page.invalid("plugin_oauth.html", owner.nav(), ctx)
    } else {
        page.render("plugin_oauth.html", owner.nav(), ctx)
    }
}

async fn add_oauth(
    page: Page,
    owner: Owner,
    headers: &HeaderMap,
    f: FormData,
    action: String,
) -> Response {
    let mut errors = Errors::default();
    let form = OauthForm::from_form(&f);
    let expr = ExprState::from_form("scope", Kind::Scope, &f, &mut errors);
    if editing(f.op()) {
        return render_oauth(
            &page, &owner, &form, &expr, errors, None, action, false, true,
        );
    }
    form.check(&mut errors);
    let custom = custom_headers(&f, &mut errors);
    let doc = expr.document(&mut errors);
    let (Some(doc), true) = (doc, errors.is_empty()) else {
        return render_oauth(
            &page, &owner, &form, &expr, errors, None, action, false, true,
        );
    };
    let mut undo = Undo::default();
    let site = if form.oxd_id.is_empty() {
        let request = json!({
            "op_host": form.op_url,
            "client_name": owner.client_name("oauth"),
            "redirect_uris": [super::consumers::default_redirect(&page, headers)],
            "scope": ["openid", "oxd"],
            "grant_types": ["client_credentials"],
        });
        match page.app.oxd.register_site(&request).await {
            Ok(site) => {
                undo.site = Some(site.clone());
                site
            }
            Err(e) => {
                let msg =
                    format!("Creating the plugins' OP client failed: {e}. Nothing was changed.");
                return render_oauth(
                    &page,
                    &owner,
                    &form,
                    &expr,
                    errors,
                    Some(msg),
                    action,
                    false,
                    true,
                );
            }
        }
    } else {
        Site {
            oxd_id: form.oxd_id.clone(),
            client_id: form.client_id.clone(),
            client_secret: form.client_secret.clone(),
            registration_access_token: None,
            registration_client_uri: None,
            raw: Value::Null,
        }
    };
    let (auth, pep) = form.configs(&site, custom, doc);
    let mut created = Vec::new();
    for (name, config) in [("gluu-oauth-auth", auth), ("gluu-oauth-pep", pep)] {
        let mut body = json!({"name": name, "config": config});
        owner.attach(&mut body);
        match page.app.kong.post("/plugins", &body).await {
            Ok(p) => {
                undo.plugins.push(id_of(&p));
                created.push(format!("{name} {}", id_of(&p)));
            }
            Err(e) => {
                map_config_errors(&e, name, &mut errors);
                let msg = undo
                    .rollback(&page, format!("Adding {name} failed: {e}."))
                    .await;
                return render_oauth(
                    &page,
                    &owner,
                    &form,
                    &expr,
                    errors,
                    Some(msg),
                    action,
                    false,
                    true,
                );
            }
        }
    }
    let lints = expr.lints();
    let mut message = format!(
        "Gluu OAuth Auth & PEP added to the {}: {} (oxd id {}, client id {}).",
        owner.label(),
        created.join(", "),
        site.oxd_id,
        site.client_id
    );
    if !lints.is_empty() {
        message.push_str(&format!(" Expression warnings: {}", lints.join(" ")));
    }
    page.done(message, &owner.url())
}

/// Kong's `config.*` field errors next to the form's fields.
fn map_config_errors(e: &KongError, plugin: &str, errors: &mut Errors) {
    let expression = match plugin {
        "gluu-oauth-pep" => Some(("oauth_scope_expression", "scope")),
        "gluu-openid-connect" => Some(("required_acrs_expression", "acr")),
        _ => None,
    };
    errors.add_kong_fields(e.fields(), &|k: &str| {
        let k = k.strip_prefix("config.").unwrap_or(k);
        match expression {
            Some((field, prefix)) if k.starts_with(field) => prefix.to_owned(),
            _ => k.split('.').next().unwrap_or(k).to_owned(),
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Gluu OIDC & UMA PEP (gluu-openid-connect)

#[derive(Debug, Clone, serde::Serialize)]
struct OidcForm {
    oxd_id: String,
    client_id: String,
    client_secret: String,
    op_url: String,
    oxd_url: String,
    proxy_url: String,
    authorization_redirect_path: String,
    logout_path: String,
    post_logout_redirect_path_or_url: String,
    requested_scopes: Vec<String>,
    max_id_token_age: String,
    max_id_token_auth_age: String,
    restore_original_auth_params: bool,
    custom_headers: String,
}

impl OidcForm {
    fn defaults(page: &Page, owner: &Owner) -> Self {
        Self {
            oxd_id: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            op_url: page
                .app
                .config
                .op_url
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
            oxd_url: page
                .app
                .oxd
                .base()
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
            proxy_url: owner.proxy_guess(page),
            authorization_redirect_path: "/callback".into(),
            logout_path: "/logout".into(),
            post_logout_redirect_path_or_url: "/logout_redirect_uri".into(),
            requested_scopes: vec!["openid".into(), "email".into(), "profile".into()],
            max_id_token_age: "3600".into(),
            max_id_token_auth_age: "3600".into(),
            restore_original_auth_params: false,
            custom_headers: String::new(),
        }
    }

    fn from_form(f: &FormData) -> Self {
        Self {
            oxd_id: f.text("oxd_id").to_owned(),
            client_id: f.text("client_id").to_owned(),
            client_secret: f.text("client_secret").to_owned(),
            op_url: f.text("op_url").to_owned(),
            oxd_url: f.text("oxd_url").to_owned(),
            proxy_url: f.text("proxy_url").trim_end_matches('/').to_owned(),
            authorization_redirect_path: f.text("authorization_redirect_path").to_owned(),
            logout_path: f.text("logout_path").to_owned(),
            post_logout_redirect_path_or_url: f.text("post_logout_redirect_path_or_url").to_owned(),
            requested_scopes: f.tags("requested_scopes"),
            max_id_token_age: f.text("max_id_token_age").to_owned(),
            max_id_token_auth_age: f.text("max_id_token_auth_age").to_owned(),
            restore_original_auth_params: f.has("restore_original_auth_params"),
            custom_headers: f.get("custom_headers").unwrap_or("").to_owned(),
        }
    }

    fn from_config(c: &Value) -> Self {
        let t = |k: &str| match c.get(k) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        Self {
            oxd_id: t("oxd_id"),
            client_id: t("client_id"),
            client_secret: t("client_secret"),
            op_url: t("op_url"),
            oxd_url: t("oxd_url"),
            proxy_url: String::new(),
            authorization_redirect_path: t("authorization_redirect_path"),
            logout_path: t("logout_path"),
            post_logout_redirect_path_or_url: t("post_logout_redirect_path_or_url"),
            requested_scopes: strings(c.get("requested_scopes")),
            max_id_token_age: t("max_id_token_age"),
            max_id_token_auth_age: t("max_id_token_auth_age"),
            restore_original_auth_params: c
                .get("restore_original_auth_params")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            custom_headers: pretty(c.get("custom_headers")),
        }
    }

    fn check(&self, errors: &mut Errors, creating: bool) {
        for (name, value) in [("op_url", &self.op_url), ("oxd_url", &self.oxd_url)] {
            if let Err(e) = http_url(value) {
                errors.add(name, e);
            }
        }
        if creating && self.oxd_id.is_empty() {
            if self.proxy_url.is_empty() {
                errors.add("proxy_url", "The client's redirect URIs are made from the Kong proxy URL, e.g. https://dev1.gluu.org.");
            } else if let Err(e) = http_url(&self.proxy_url) {
                errors.add("proxy_url", e);
            }
        }
        if !self.oxd_id.is_empty() && (self.client_id.is_empty() || self.client_secret.is_empty()) {
            errors.add("client_id", "An existing oxd site needs its client id and secret (or leave all three empty to create one).");
        }
        if !self.authorization_redirect_path.starts_with('/') {
            errors.add(
                "authorization_redirect_path",
                "A path on the proxy, e.g. /callback.",
            );
        }
        if !self.logout_path.is_empty() && !self.logout_path.starts_with('/') {
            errors.add(
                "logout_path",
                "A path on the proxy, e.g. /logout, or empty.",
            );
        }
        let p = &self.post_logout_redirect_path_or_url;
        if !p.is_empty() && !p.starts_with('/') && http_url(p).is_err() {
            errors.add(
                "post_logout_redirect_path_or_url",
                "A path on the proxy (/logout_redirect_uri) or an absolute URL.",
            );
        }
        if !self.requested_scopes.iter().any(|s| s == "openid") {
            errors.add("requested_scopes", "OpenID Connect needs the openid scope.");
        }
        for (name, v) in [
            ("max_id_token_age", &self.max_id_token_age),
            ("max_id_token_auth_age", &self.max_id_token_auth_age),
        ] {
            if !v.parse::<u64>().is_ok_and(|n| n > 0) {
                errors.add(name, "A number of seconds greater than 0, e.g. 3600.");
            }
        }
    }

    fn config(&self, site: &Site, custom: Option<Value>, expression: Option<Value>) -> Value {
        let mut c = json!({
            "oxd_id": site.oxd_id,
            "client_id": site.client_id,
            "client_secret": site.client_secret,
            "op_url": self.op_url,
            "oxd_url": self.oxd_url,
            "authorization_redirect_path": self.authorization_redirect_path,
            "requested_scopes": self.requested_scopes,
            "max_id_token_age": self.max_id_token_age.parse::<u64>().unwrap_or(3600),
            "max_id_token_auth_age": self.max_id_token_auth_age.parse::<u64>().unwrap_or(3600),
            "restore_original_auth_params": self.restore_original_auth_params,
        });
        if !self.logout_path.is_empty() {
            c["logout_path"] = json!(self.logout_path);
        }
        if !self.post_logout_redirect_path_or_url.is_empty() {
            c["post_logout_redirect_path_or_url"] = json!(self.post_logout_redirect_path_or_url);
        }
        if let Some(h) = custom {
            c["custom_headers"] = h;
        }
        c["required_acrs_expression"] = match expression {
            Some(doc) => Value::String(doc.to_string()),
            None => Value::Null,
        };
        c
    }

    fn registration(&self, owner: &Owner) -> Value {
        let mut scopes = self.requested_scopes.clone();
        if !scopes.iter().any(|s| s == "oxd") {
            scopes.push("oxd".into());
        }
        let mut request = json!({
            "op_host": self.op_url,
            "client_name": owner.client_name("oidc"),
            "redirect_uris": [format!("{}{}", self.proxy_url, self.authorization_redirect_path)],
            "scope": scopes,
            "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        });
        let p = &self.post_logout_redirect_path_or_url;
        if !p.is_empty() {
            let uri = if p.starts_with('/') {
                format!("{}{p}", self.proxy_url)
            } else {
                p.clone()
            };
            request["post_logout_redirect_uris"] = json!([uri]);
        }
        request
    }
}

#[allow(clippy::too_many_arguments)]
fn render_oidc(
    page: &Page,
    owner: &Owner,
    form: &OidcForm,
    expr: &ExprState,
    errors: Errors,
    error: Option<String>,
    action: String,
    edit: bool,
    invalid: bool,
) -> Response {
    let ctx = context! {
        owner => owner.view(),
        form => form,
        expr => expr.view(),
        errors => errors,
        error => error,
        action => action,
        edit => edit,
    };
    if invalid {
        page.invalid("plugin_oidc.html", owner.nav(), ctx)
    } else {
        page.render("plugin_oidc.html", owner.nav(), ctx)
    }
}

async fn add_oidc(page: Page, owner: Owner, f: FormData, action: String) -> Response {
    let mut errors = Errors::default();
    let form = OidcForm::from_form(&f);
    let expr = ExprState::from_form("acr", Kind::Acr, &f, &mut errors);
    if editing(f.op()) {
        return render_oidc(
            &page, &owner, &form, &expr, errors, None, action, false, true,
        );
    }
    form.check(&mut errors, true);
    let custom = custom_headers(&f, &mut errors);
    let doc = expr.document(&mut errors);
    let (Some(doc), true) = (doc, errors.is_empty()) else {
        return render_oidc(
            &page, &owner, &form, &expr, errors, None, action, false, true,
        );
    };
    let mut undo = Undo::default();
    let site = if form.oxd_id.is_empty() {
        match page.app.oxd.register_site(&form.registration(&owner)).await {
            Ok(site) => {
                undo.site = Some(site.clone());
                site
            }
            Err(e) => {
                let msg = format!(
                    "Registering the OpenID Connect client failed: {e}. Nothing was changed."
                );
                return render_oidc(
                    &page,
                    &owner,
                    &form,
                    &expr,
                    errors,
                    Some(msg),
                    action,
                    false,
                    true,
                );
            }
        }
    } else {
        Site {
            oxd_id: form.oxd_id.clone(),
            client_id: form.client_id.clone(),
            client_secret: form.client_secret.clone(),
            registration_access_token: None,
            registration_client_uri: None,
            raw: Value::Null,
        }
    };
    let mut body =
        json!({"name": "gluu-openid-connect", "config": form.config(&site, custom, doc)});
    owner.attach(&mut body);
    match page.app.kong.post("/plugins", &body).await {
        Ok(p) => {
            let lints = expr.lints();
            let mut message = format!(
                "Gluu OIDC & UMA PEP added to the {}: gluu-openid-connect {} (oxd id {}, client id {}, redirect URI {}{}).",
                owner.label(),
                id_of(&p),
                site.oxd_id,
                site.client_id,
                form.proxy_url,
                form.authorization_redirect_path
            );
            if !lints.is_empty() {
                message.push_str(&format!(" Expression warnings: {}", lints.join(" ")));
            }
            page.done(message, &owner.url())
        }
        Err(e) => {
            map_config_errors(&e, "gluu-openid-connect", &mut errors);
            let msg = undo
                .rollback(&page, format!("Adding gluu-openid-connect failed: {e}."))
                .await;
            render_oidc(
                &page,
                &owner,
                &form,
                &expr,
                errors,
                Some(msg),
                action,
                false,
                true,
            )
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Generic plugins: a form built from the Admin API's schema (`GET /schemas/plugins/{name}`),
// or a JSON editor for the config when the Admin API has no schema endpoint.

/// One config field of a plugin schema.
#[derive(Debug, Clone, serde::Serialize)]
struct SchemaField {
    name: String,
    /// `text`, `number`, `checkbox`, `select`, `boolean` (true/false/unset), `choices` (a
    /// checkbox per allowed element), `tags`, `json`.
    input: &'static str,
    required: bool,
    choices: Vec<String>,
    /// The current value as the form shows it.
    value: String,
    values: Vec<String>,
    checked: bool,
    help: String,
}

fn schema_fields(schema: &Value) -> Option<Vec<(String, Value)>> {
    let fields = schema.get("fields")?.as_array()?;
    let config = fields.iter().find_map(|f| f.get("config"))?;
    let inner = config.get("fields")?.as_array()?;
    Some(
        inner
            .iter()
            .filter_map(|f| {
                f.as_object()?
                    .iter()
                    .next()
                    .map(|(k, v)| (k.clone(), v.clone()))
            })
            .collect(),
    )
}

fn field_view(name: &str, spec: &Value, current: Option<&Value>) -> SchemaField {
    let kind = spec.get("type").and_then(Value::as_str).unwrap_or("string");
    let choices: Vec<String> = spec
        .get("one_of")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    let element = spec
        .pointer("/elements/type")
        .and_then(Value::as_str)
        .unwrap_or("");
    let element_choices: Vec<String> = spec
        .pointer("/elements/one_of")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let input = match kind {
        // A boolean without a default has three states (e.g. `session_cookie_secure`: unset
        // means "on https"): a checkbox could only say true or false.
        "boolean" if spec.get("default").is_none() => "boolean",
        "boolean" => "checkbox",
        "integer" | "number" => "number",
        "string" if !choices.is_empty() => "select",
        "string" => "text",
        "array" | "set" if element == "string" && !element_choices.is_empty() => "choices",
        "array" | "set" if element == "string" => "tags",
        _ => "json",
    };
    let choices = match input {
        "choices" => element_choices,
        "boolean" => vec!["true".to_owned(), "false".to_owned()],
        _ => choices,
    };
    let derived = record_default(spec);
    let value = current
        .or_else(|| spec.get("default"))
        .or(derived.as_ref())
        .filter(|v| !v.is_null());
    SchemaField {
        name: name.to_owned(),
        input,
        required: spec
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        choices,
        value: match (input, value) {
            ("json", Some(v)) => serde_json::to_string_pretty(v).unwrap_or_default(),
            (_, Some(Value::String(s))) => s.clone(),
            ("tags" | "choices", _) | (_, None) => String::new(),
            (_, Some(v)) => v.to_string(),
        },
        values: value.map(|v| strings(Some(v))).unwrap_or_default(),
        checked: value.and_then(Value::as_bool).unwrap_or(false),
        help: spec
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
    }
}

/// A record without a default of its own defaults to its fields' defaults, as Kong fills it
/// (e.g. openid-connect's `cluster_cache_redis`); `None` for anything else. The schema comes
/// from the gateway, so its nesting is the gateway's, not a client's.
fn record_default(spec: &Value) -> Option<Value> {
    if spec.get("type").and_then(Value::as_str) != Some("record") || spec.get("default").is_some() {
        return None;
    }
    let mut record = Map::new();
    for field in spec.get("fields")?.as_array()? {
        let Some((name, field_spec)) = field.as_object().and_then(|f| f.iter().next()) else {
            continue;
        };
        if let Some(default) = field_spec
            .get("default")
            .cloned()
            .or_else(|| record_default(field_spec))
        {
            record.insert(name.clone(), default);
        }
    }
    Some(Value::Object(record))
}

/// The form field a Kong field error belongs to: `config.auth_methods.2` is shown next to
/// `config.auth_methods`; errors over several fields (`@entity`) stay as they are.
fn generic_error_field(kong_field: &str) -> String {
    match kong_field.strip_prefix("config.") {
        Some(rest) => format!("config.{}", rest.split('.').next().unwrap_or(rest)),
        None => kong_field.to_owned(),
    }
}

/// Reads the generic form back into a config object. A field left empty is sent as `null`
/// (its default, or unset), so the form stands for the whole config: an edit (a `PATCH`,
/// which Kong merges field by field) leaves nothing of the old config behind that the form no
/// longer shows.
fn generic_config(
    specs: &[(String, Value)],
    f: &FormData,
    errors: &mut Errors,
) -> Map<String, Value> {
    let mut config = Map::new();
    for (name, spec) in specs {
        let field = format!("config.{name}");
        let view = field_view(name, spec, None);
        let value = match view.input {
            "checkbox" => Some(Value::Bool(f.has(&field))),
            "boolean" => match f.text(&field) {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            },
            "choices" => {
                let picked: Vec<&str> = f.all(&field);
                (!picked.is_empty()).then(|| json!(picked))
            }
            "tags" => {
                let tags = f.tags(&field);
                (!tags.is_empty()).then(|| json!(tags))
            }
            "number" => {
                let t = f.text(&field);
                if t.is_empty() {
                    None
                } else {
                    match serde_json::from_str::<serde_json::Number>(t) {
                        Ok(n) => Some(Value::Number(n)),
                        Err(_) => {
                            errors.add(field.clone(), "Expected a number.");
                            None
                        }
                    }
                }
            }
            "json" => {
                let t = f.text(&field);
                if t.is_empty() {
                    None
                } else {
                    match serde_json::from_str::<Value>(t) {
                        Ok(v) => Some(v),
                        Err(e) => {
                            errors.add(field.clone(), format!("Invalid JSON: {e}"));
                            None
                        }
                    }
                }
            }
            _ => {
                let t = f.text(&field);
                (!t.is_empty()).then(|| json!(t))
            }
        };
        match value {
            Some(v) => {
                config.insert(name.clone(), v);
            }
            // Kong's `auto` fields (oauth2's provision_key) are generated by the gateway when
            // left empty: leave them out.
            None if spec.get("auto") == Some(&Value::Bool(true)) => {}
            None if view.required
                && spec.get("default").is_none()
                && record_default(spec).is_none() =>
            {
                errors.add(field, "required field missing");
            }
            None => {
                config.insert(name.clone(), Value::Null);
            }
        }
    }
    config
}

async fn schema(page: &Page, name: &str) -> Option<Vec<(String, Value)>> {
    page.app
        .kong
        .get(&format!("/schemas/plugins/{}", segment(name)))
        .await
        .ok()
        .as_ref()
        .and_then(schema_fields)
}

#[allow(clippy::too_many_arguments)]
fn render_generic(
    page: &Page,
    owner: &Owner,
    name: &str,
    fields: Option<Vec<SchemaField>>,
    config_json: String,
    enabled: bool,
    errors: Errors,
    error: Option<String>,
    action: String,
    invalid: bool,
) -> Response {
    let ctx = context! {
        owner => owner.view(),
        plugin => name,
        title => title(name),
        fields => fields,
        config_json => config_json,
        enabled => enabled,
        errors => errors,
        error => error,
        action => action,
    };
    if invalid {
        page.invalid("plugin_generic.html", owner.nav(), ctx)
    } else {
        page.render("plugin_generic.html", owner.nav(), ctx)
    }
}

/// The generic form's config: from the schema fields, or the JSON editor.
async fn generic_submission(
    page: &Page,
    name: &str,
    f: &FormData,
    errors: &mut Errors,
) -> (Option<Vec<(String, Value)>>, Value) {
    let specs = schema(page, name).await;
    let config = match &specs {
        Some(specs) => Value::Object(generic_config(specs, f, errors)),
        None => {
            let t = f.text("config_json");
            if t.is_empty() {
                json!({})
            } else {
                match serde_json::from_str::<Value>(t) {
                    Ok(v @ Value::Object(_)) => v,
                    Ok(_) => {
                        errors.add("config_json", "The config is a JSON object.");
                        Value::Null
                    }
                    Err(e) => {
                        errors.add("config_json", format!("Invalid JSON: {e}"));
                        Value::Null
                    }
                }
            }
        }
    };
    (specs, config)
}

fn generic_views(specs: &Option<Vec<(String, Value)>>, config: &Value) -> Option<Vec<SchemaField>> {
    specs.as_ref().map(|s| {
        s.iter()
            .map(|(n, spec)| field_view(n, spec, config.get(n)))
            .collect()
    })
}

async fn add_generic(
    page: Page,
    owner: Owner,
    name: String,
    f: FormData,
    action: String,
) -> Response {
    let mut errors = Errors::default();
    let (specs, config) = generic_submission(&page, &name, &f, &mut errors).await;
    let enabled = f.has("enabled");
    let config_json = f.get("config_json").unwrap_or("").to_owned();
    if editing(f.op()) || !errors.is_empty() {
        let views = generic_views(&specs, &config);
        return render_generic(
            &page,
            &owner,
            &name,
            views,
            config_json,
            enabled,
            errors,
            None,
            action,
            true,
        );
    }
    let mut body = json!({"name": name, "config": config, "enabled": enabled});
    owner.attach(&mut body);
    match page.app.kong.post("/plugins", &body).await {
        Ok(p) => page.done(
            format!(
                "Plugin {name} {} added to the {}.",
                id_of(&p),
                owner.label()
            ),
            &owner.url(),
        ),
        Err(e) => {
            errors.add_kong_fields(e.fields(), &|k: &str| {
                if specs.is_some() {
                    generic_error_field(k)
                } else {
                    "config_json".to_owned()
                }
            });
            let views = generic_views(&specs, &config);
            render_generic(
                &page,
                &owner,
                &name,
                views,
                config_json,
                enabled,
                errors,
                Some(e.to_string()),
                action,
                true,
            )
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The add routes.

async fn add_form(page: Page, owner: Owner, kind: String) -> Response {
    let action = format!("{}/add/{}", owner.url(), segment(&kind));
    match kind.as_str() {
        "gluu-oauth-auth-pep" => {
            let expr = ExprState::from_doc("scope", Kind::Scope, &Value::Null);
            render_oauth(
                &page,
                &owner,
                &OauthForm::defaults(&page),
                &expr,
                Errors::default(),
                None,
                action,
                false,
                false,
            )
        }
        "gluu-openid-connect" => {
            let expr = ExprState::from_doc("acr", Kind::Acr, &Value::Null);
            render_oidc(
                &page,
                &owner,
                &OidcForm::defaults(&page, &owner),
                &expr,
                Errors::default(),
                None,
                action,
                false,
                false,
            )
        }
        name => {
            let specs = schema(&page, name).await;
            let views = generic_views(&specs, &Value::Null);
            render_generic(
                &page,
                &owner,
                name,
                views,
                "{}".into(),
                true,
                Errors::default(),
                None,
                action,
                false,
            )
        }
    }
}

async fn add(page: Page, owner: Owner, kind: String, headers: HeaderMap, f: FormData) -> Response {
    let action = format!("{}/add/{}", owner.url(), segment(&kind));
    match kind.as_str() {
        "gluu-oauth-auth-pep" => add_oauth(page, owner, &headers, f, action).await,
        "gluu-openid-connect" => add_oidc(page, owner, f, action).await,
        _ => add_generic(page, owner, kind, f, action).await,
    }
}

/// `GET /plugins/add/{kind}`.
pub async fn add_form_global(page: Page, Path(kind): Path<String>) -> Response {
    add_form(page, Owner::Global, kind).await
}

/// `POST /plugins/add/{kind}`.
pub async fn add_global(
    page: Page,
    Path(kind): Path<String>,
    headers: HeaderMap,
    Form(f): Form,
) -> Response {
    add(page, Owner::Global, kind, headers, f).await
}

/// `GET /services/{id}/plugins/add/{kind}`.
pub async fn add_form_service(page: Page, Path((id, kind)): Path<(String, String)>) -> Response {
    match owner(&page, "service", &id).await {
        Ok(o) => add_form(page, o, kind).await,
        Err(r) => r,
    }
}

/// `POST /services/{id}/plugins/add/{kind}`.
pub async fn add_service(
    page: Page,
    Path((id, kind)): Path<(String, String)>,
    headers: HeaderMap,
    Form(f): Form,
) -> Response {
    match owner(&page, "service", &id).await {
        Ok(o) => add(page, o, kind, headers, f).await,
        Err(r) => r,
    }
}

/// `GET /routes/{id}/plugins/add/{kind}`.
pub async fn add_form_route(page: Page, Path((id, kind)): Path<(String, String)>) -> Response {
    match owner(&page, "route", &id).await {
        Ok(o) => add_form(page, o, kind).await,
        Err(r) => r,
    }
}

/// `POST /routes/{id}/plugins/add/{kind}`.
pub async fn add_route(
    page: Page,
    Path((id, kind)): Path<(String, String)>,
    headers: HeaderMap,
    Form(f): Form,
) -> Response {
    match owner(&page, "route", &id).await {
        Ok(o) => add(page, o, kind, headers, f).await,
        Err(r) => r,
    }
}

// ---------------------------------------------------------------------------------------------
// Edit, toggle, delete.

async fn plugin(page: &Page, id: &str) -> Result<Value, Response> {
    page.app
        .kong
        .get(&format!("/plugins/{}", segment(id)))
        .await
        .map_err(|e| page.kong_failure("plugins", &format!("plugin {id}"), &e))
}

async fn owner_of(page: &Page, p: &Value) -> Result<Owner, Response> {
    if let Some(r) = p.pointer("/route/id").and_then(Value::as_str) {
        return owner(page, "route", r).await;
    }
    if let Some(s) = p.pointer("/service/id").and_then(Value::as_str) {
        return owner(page, "service", s).await;
    }
    Ok(Owner::Global)
}

/// The other half of an OAuth Auth & PEP pair on the same owner.
async fn sibling(page: &Page, owner: &Owner, p: &Value) -> Result<Option<Value>, Response> {
    let name = p.get("name").and_then(Value::as_str).unwrap_or("");
    let other = match name {
        "gluu-oauth-auth" => "gluu-oauth-pep",
        "gluu-oauth-pep" => "gluu-oauth-auth",
        _ => return Ok(None),
    };
    let all = page
        .app
        .kong
        .list(&owner.url())
        .await
        .map_err(|e| page.kong_error(owner.nav(), &e))?;
    let same_owner = |x: &Value| {
        x.pointer("/service/id") == p.pointer("/service/id")
            && x.pointer("/route/id") == p.pointer("/route/id")
    };
    Ok(all
        .into_iter()
        .find(|x| x.get("name").and_then(Value::as_str) == Some(other) && same_owner(x)))
}

/// `GET /plugins/{id}`: the plugin's form, filled in (an OAuth Auth & PEP pair is edited
/// together, as GG does).
pub async fn edit_form(page: Page, Path(id): Path<String>) -> Response {
    let p = match plugin(&page, &id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let owner = match owner_of(&page, &p).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let action = format!("/plugins/{}", segment(&id_of(&p)));
    let name = p
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let config = p.get("config").cloned().unwrap_or(Value::Null);
    match name.as_str() {
        "gluu-oauth-auth" | "gluu-oauth-pep" => {
            let other = match sibling(&page, &owner, &p).await {
                Ok(o) => o
                    .and_then(|o| o.get("config").cloned())
                    .unwrap_or(Value::Null),
                Err(r) => return r,
            };
            let (auth, pep) = if name == "gluu-oauth-auth" {
                (config, other)
            } else {
                (other, config)
            };
            let expr = ExprState::from_doc(
                "scope",
                Kind::Scope,
                &json_field(&pep, "oauth_scope_expression"),
            );
            render_oauth(
                &page,
                &owner,
                &OauthForm::from_configs(&auth, &pep),
                &expr,
                Errors::default(),
                None,
                action,
                true,
                false,
            )
        }
        "gluu-openid-connect" => {
            let expr = ExprState::from_doc(
                "acr",
                Kind::Acr,
                &json_field(&config, "required_acrs_expression"),
            );
            render_oidc(
                &page,
                &owner,
                &OidcForm::from_config(&config),
                &expr,
                Errors::default(),
                None,
                action,
                true,
                false,
            )
        }
        _ => {
            let specs = schema(&page, &name).await;
            let views = generic_views(&specs, &config);
            let text = serde_json::to_string_pretty(&config).unwrap_or_default();
            let enabled = p.get("enabled").and_then(Value::as_bool).unwrap_or(true);
            render_generic(
                &page,
                &owner,
                &name,
                views,
                text,
                enabled,
                Errors::default(),
                None,
                action,
                false,
            )
        }
    }
}

/// `POST /plugins/{id}`: saves the form (PATCH; for an OAuth pair both, the first reverted
/// when the second is refused).
pub async fn update(page: Page, Path(id): Path<String>, Form(f): Form) -> Response {
    let p = match plugin(&page, &id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let owner = match owner_of(&page, &p).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let action = format!("/plugins/{}", segment(&id_of(&p)));
    let name = p
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let mut errors = Errors::default();
    match name.as_str() {
        "gluu-oauth-auth" | "gluu-oauth-pep" => {
            let form = OauthForm::from_form(&f);
            let expr = ExprState::from_form("scope", Kind::Scope, &f, &mut errors);
            if editing(f.op()) {
                return render_oauth(
                    &page, &owner, &form, &expr, errors, None, action, true, true,
                );
            }
            form.check(&mut errors);
            if form.oxd_id.is_empty() {
                errors.add("oxd_id", "The plugins need the oxd id of their site.");
            }
            let custom = custom_headers(&f, &mut errors);
            let doc = expr.document(&mut errors);
            let (Some(doc), true) = (doc, errors.is_empty()) else {
                return render_oauth(
                    &page, &owner, &form, &expr, errors, None, action, true, true,
                );
            };
            let other = match sibling(&page, &owner, &p).await {
                Ok(o) => o,
                Err(r) => return r,
            };
            let site = Site {
                oxd_id: form.oxd_id.clone(),
                client_id: form.client_id.clone(),
                client_secret: form.client_secret.clone(),
                registration_access_token: None,
                registration_client_uri: None,
                raw: Value::Null,
            };
            let (auth_cfg, pep_cfg) = form.configs(&site, custom, doc);
            let (auth, pep) = if name == "gluu-oauth-auth" {
                (Some(p.clone()), other)
            } else {
                (other, Some(p.clone()))
            };
            let mut done: Vec<(String, Value)> = Vec::new();
            for (plugin_name, entity, cfg) in [
                ("gluu-oauth-auth", auth, auth_cfg),
                ("gluu-oauth-pep", pep, pep_cfg),
            ] {
                let Some(entity) = entity else {
                    continue;
                };
                let path = format!("/plugins/{}", segment(&id_of(&entity)));
                match page.app.kong.patch(&path, &json!({"config": cfg})).await {
                    Ok(_) => {
                        done.push((path, entity.get("config").cloned().unwrap_or(Value::Null)))
                    }
                    Err(e) => {
                        map_config_errors(&e, plugin_name, &mut errors);
                        let mut msg = format!("Saving {plugin_name} failed: {e}.");
                        for (path, old) in done.iter().rev() {
                            if let Err(e2) =
                                page.app.kong.patch(path, &json!({"config": old})).await
                            {
                                msg.push_str(&format!(" Restoring {path} failed too ({e2}): it keeps the new settings."));
                            } else {
                                msg.push_str(&format!(
                                    " {path} was restored to its previous settings."
                                ));
                            }
                        }
                        return render_oauth(
                            &page,
                            &owner,
                            &form,
                            &expr,
                            errors,
                            Some(msg),
                            action,
                            true,
                            true,
                        );
                    }
                }
            }
            page.done("Gluu OAuth Auth & PEP saved.", &owner.url())
        }
        "gluu-openid-connect" => {
            let form = OidcForm::from_form(&f);
            let expr = ExprState::from_form("acr", Kind::Acr, &f, &mut errors);
            if editing(f.op()) {
                return render_oidc(
                    &page, &owner, &form, &expr, errors, None, action, true, true,
                );
            }
            form.check(&mut errors, false);
            let custom = custom_headers(&f, &mut errors);
            let doc = expr.document(&mut errors);
            let (Some(doc), true) = (doc, errors.is_empty()) else {
                return render_oidc(
                    &page, &owner, &form, &expr, errors, None, action, true, true,
                );
            };
            let site = Site {
                oxd_id: form.oxd_id.clone(),
                client_id: form.client_id.clone(),
                client_secret: form.client_secret.clone(),
                registration_access_token: None,
                registration_client_uri: None,
                raw: Value::Null,
            };
            match page
                .app
                .kong
                .patch(&action, &json!({"config": form.config(&site, custom, doc)}))
                .await
            {
                Ok(_) => page.done("Gluu OIDC & UMA PEP saved.", &owner.url()),
                Err(e) => {
                    map_config_errors(&e, "gluu-openid-connect", &mut errors);
                    render_oidc(
                        &page,
                        &owner,
                        &form,
                        &expr,
                        errors,
                        Some(e.to_string()),
                        action,
                        true,
                        true,
                    )
                }
            }
        }
        _ => {
            let (specs, config) = generic_submission(&page, &name, &f, &mut errors).await;
            let enabled = f.has("enabled");
            let config_json = f.get("config_json").unwrap_or("").to_owned();
            if editing(f.op()) || !errors.is_empty() {
                let views = generic_views(&specs, &config);
                return render_generic(
                    &page,
                    &owner,
                    &name,
                    views,
                    config_json,
                    enabled,
                    errors,
                    None,
                    action,
                    true,
                );
            }
            match page
                .app
                .kong
                .patch(&action, &json!({"config": config, "enabled": enabled}))
                .await
            {
                Ok(_) => page.done(format!("Plugin {name} saved."), &owner.url()),
                Err(e) => {
                    errors.add_kong_fields(e.fields(), &|k: &str| {
                        if specs.is_some() {
                            generic_error_field(k)
                        } else {
                            "config_json".to_owned()
                        }
                    });
                    let views = generic_views(&specs, &config);
                    render_generic(
                        &page,
                        &owner,
                        &name,
                        views,
                        config_json,
                        enabled,
                        errors,
                        Some(e.to_string()),
                        action,
                        true,
                    )
                }
            }
        }
    }
}

/// `POST /plugins/{id}/toggle`: the ON/OFF switch.
pub async fn toggle(page: Page, Path(id): Path<String>, Form(f): Form) -> Response {
    let back = match f.get("back") {
        Some(b) if b.starts_with('/') && !b.starts_with("//") => b.to_owned(),
        _ => "/plugins".to_owned(),
    };
    let p = match plugin(&page, &id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let enabled = !p.get("enabled").and_then(Value::as_bool).unwrap_or(true);
    match page
        .app
        .kong
        .patch(
            &format!("/plugins/{}", segment(&id_of(&p))),
            &json!({"enabled": enabled}),
        )
        .await
    {
        Ok(_) => page.done(
            format!(
                "Plugin {} {}.",
                p.get("name").and_then(Value::as_str).unwrap_or(""),
                if enabled {
                    "switched on"
                } else {
                    "switched off"
                }
            ),
            &back,
        ),
        Err(e) => page.failed(e.to_string(), &back),
    }
}

/// `GET /plugins/{id}/delete`.
pub async fn confirm_delete(page: Page, Path(id): Path<String>) -> Response {
    let p = match plugin(&page, &id).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    page.render(
        "message.html",
        "plugins",
        context! {
            title => "Delete plugin",
            message => format!("Delete the plugin {} ({})?", p.get("name").and_then(Value::as_str).unwrap_or(""), id_of(&p)),
            confirm => format!("/plugins/{}/delete", segment(&id_of(&p))),
            confirm_label => "Delete Plugin",
            back => "/plugins",
        },
    )
}

/// `POST /plugins/{id}/delete`.
pub async fn delete(page: Page, Path(id): Path<String>) -> Response {
    match page
        .app
        .kong
        .delete(&format!("/plugins/{}", segment(&id)))
        .await
    {
        Ok(()) => page.done(format!("Plugin {id} deleted."), "/plugins"),
        Err(e) => page.failed(e.to_string(), "/plugins"),
    }
}
