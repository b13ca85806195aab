//! Server-side HTML pages (minijinja templates embedded in the binary).
//!
//! Plain HTML, no JavaScript (but the `form_post` response page, see `authorize::response`, and
//! the logged-out page that goes on to the RP after its front-channel iframes,
//! `logout::frontchannel`).
//! Every form carries a hidden `csrf_token`; field names are stable
//! (see the crate docs and `reference/op/README.md`).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use minijinja::Environment;
use serde::Serialize;

/// The template environment.
#[derive(Debug)]
pub struct Pages {
    env: &'static Environment<'static>,
}

impl Pages {
    /// The embedded templates, compiled once per process: they are the binary's own, and a
    /// process may run many OPs (the harness starts one per scenario).
    pub fn new() -> anyhow::Result<Self> {
        static ENV: std::sync::OnceLock<Result<Environment<'static>, String>> =
            std::sync::OnceLock::new();
        let env = ENV
            .get_or_init(compile)
            .as_ref()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Self { env })
    }
}

/// Every embedded template, compiled.
fn compile() -> Result<Environment<'static>, String> {
    let mut env = Environment::new();
    for (name, source) in [
        ("base.html", include_str!("../templates/base.html")),
        ("login.html", include_str!("../templates/login.html")),
        (
            "otp_enroll.html",
            include_str!("../templates/otp_enroll.html"),
        ),
        ("otp.html", include_str!("../templates/otp.html")),
        ("consent.html", include_str!("../templates/consent.html")),
        ("message.html", include_str!("../templates/message.html")),
        ("logout.html", include_str!("../templates/logout.html")),
        (
            "logged_out.html",
            include_str!("../templates/logged_out.html"),
        ),
        (
            "form_post.html",
            include_str!("../templates/form_post.html"),
        ),
    ] {
        env.add_template(name, source)
            .map_err(|e| format!("template {name}: {e}"))?;
    }
    Ok(env)
}

impl Pages {
    /// Renders `name` with `context` into a response with `status`.
    pub fn render<S: Serialize>(&self, status: StatusCode, name: &str, context: S) -> Response {
        let body = self.env.get_template(name).and_then(|t| t.render(context));
        match body {
            Ok(body) => html_response(status, body),
            Err(err) => {
                tracing::error!("template {name} failed: {err}");
                html_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "<!doctype html><title>Error</title><p>Internal error</p>".into(),
                )
            }
        }
    }

    /// A page with a title, a message and an optional OAuth error code.
    pub fn message(
        &self,
        status: StatusCode,
        title: &str,
        error: Option<&str>,
        message: &str,
    ) -> Response {
        self.render(
            status,
            "message.html",
            minijinja::context! { title, error, message },
        )
    }
}

fn html_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, Html(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src data:; style-src 'unsafe-inline'"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_escape_input() {
        let pages = Pages::new().unwrap();
        let response = pages.message(
            StatusCode::BAD_REQUEST,
            "Oops",
            Some("invalid_request"),
            "<script>",
        );
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    }

    #[test]
    fn every_template_renders() {
        let pages = Pages::new().unwrap();
        for name in [
            "login.html",
            "otp_enroll.html",
            "otp.html",
            "consent.html",
            "message.html",
            "logout.html",
        ] {
            let response = pages.render(
                StatusCode::OK,
                name,
                minijinja::context! { scopes => vec!["openid"] },
            );
            assert_eq!(response.status(), StatusCode::OK, "{name}");
        }
    }
}
