//! Templates (embedded, rendered with minijinja; `.html` templates auto-escape every value) and
//! the small helpers pages share.

use std::sync::OnceLock;

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{context, Environment, Value};

use crate::session::{Flash, Session, CSRF_FIELD};

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates![
    "base.html",
    "macros.html",
    "login.html",
    "dashboard.html",
    "services.html",
    "service_form.html",
    "service.html",
    "routes.html",
    "route_form.html",
    "consumers.html",
    "consumer_form.html",
    "client_form.html",
    "client_created.html",
    "plugins.html",
    "plugin_catalog.html",
    "plugin_oauth.html",
    "plugin_oidc.html",
    "plugin_generic.html",
    "expression.html",
    "message.html",
];

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        for (name, source) in TEMPLATES {
            if let Err(e) = env.add_template(name, source) {
                // A template that does not compile is a bug in this crate; tests render
                // every template, so this never reaches a user.
                tracing::error!(template = name, %e, "template does not compile");
            }
        }
        env
    })
}

/// Everything every page's layout needs.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The logged-in user.
    pub user: Option<String>,
    /// The session's CSRF token.
    pub csrf: String,
    /// Messages queued for this page.
    pub flash: Vec<Flash>,
}

impl Chrome {
    /// The chrome of the current session (taking its queued messages).
    pub fn new(session: &Session, flash: Vec<Flash>) -> Self {
        Self {
            user: session.user.clone(),
            csrf: session.csrf.clone(),
            flash,
        }
    }
}

/// Renders a template with the layout's values plus `page`.
pub fn render(name: &str, chrome: &Chrome, nav: &str, page: Value) -> Response {
    render_status(StatusCode::OK, name, chrome, nav, page)
}

/// [`render`] with a status (422 for a form with errors, 502 for an upstream failure).
pub fn render_status(
    status: StatusCode,
    name: &str,
    chrome: &Chrome,
    nav: &str,
    page: Value,
) -> Response {
    let ctx = context! {
        user => chrome.user,
        csrf => chrome.csrf,
        csrf_field => CSRF_FIELD,
        flash => chrome.flash,
        nav => nav,
        ..page
    };
    match env().get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(template = name, error = %format!("{e:#}"), "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error: a page template failed (see the GUI's log)",
            )
                .into_response()
        }
    }
}

/// The 403 page for a form without the session's CSRF token.
pub fn csrf_refused() -> Response {
    let chrome = Chrome {
        user: None,
        csrf: String::new(),
        flash: Vec::new(),
    };
    render_status(
        StatusCode::FORBIDDEN,
        "message.html",
        &chrome,
        "",
        context! {
            title => "Form refused",
            message => "This form did not come from your session of the Admin GUI (the CSRF token is missing or wrong), so nothing was changed. Reload the page and submit it again.",
        },
    )
}

/// An error and its causes on one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The embedded stylesheet and script (no CDN, no build step).
pub fn asset(name: &str) -> Response {
    let (body, kind) = match name {
        "gui.css" => (include_str!("../assets/gui.css"), "text/css; charset=utf-8"),
        "gui.js" => (
            include_str!("../assets/gui.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return (StatusCode::NOT_FOUND, "no such asset").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

/// Names of every embedded template (tests render each).
pub fn template_names() -> impl Iterator<Item = &'static str> {
    TEMPLATES.iter().map(|(n, _)| *n)
}

/// Whether every template compiles.
pub fn check_templates() -> Result<(), String> {
    let env = env();
    for name in template_names() {
        env.get_template(name)
            .map_err(|e| format!("{name}: {e:#}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles_and_renders_with_an_empty_page() {
        check_templates().unwrap();
        for name in template_names().filter(|n| *n != "macros.html" && *n != "expression.html") {
            let t = env().get_template(name).unwrap();
            if let Err(e) = t.render(context! { user => "admin", csrf => "t", csrf_field => CSRF_FIELD, flash => Vec::<Flash>::new() }) {
                panic!("{name}: {e:#}");
            }
        }
    }
}
