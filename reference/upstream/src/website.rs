//! The step-up tutorial's demo website (seed 000, Gluu's `gg-demo/node-ejs`, port 4400).
//!
//! Routes (GET, case-insensitive, with or without a trailing slash, as Express's non-strict
//! routing): `/` and `/home/` → "Gluu Security"; `/flights/` → "Flights Available";
//! `/payments/` → "Payment Status"; `/settings/` → "Profile settings"; `/logout_redirect_uri` →
//! "Successfully logout!!!". Anything else gets Express's `Cannot GET /path` 404.
//!
//! Every page but the logout page has the tutorial's navbar and a panel showing the identity the
//! gateway passed: the request headers that are not ordinary browser or proxy headers (the
//! plugin's `custom_headers`), with base64 JSON and JWT payloads decoded for reading.

use std::sync::OnceLock;

use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use minijinja::{context, Environment};
use serde::Serialize;

/// The website router.
pub fn router() -> axum::Router {
    axum::Router::new().fallback(page)
}

/// The pages of the website, by normalised route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    Home,
    Flights,
    Payments,
    Settings,
    LoggedOut,
}

impl Page {
    /// Express non-strict, case-insensitive routing: `/Flights`, `/flights/` and `/flights` match.
    fn route(path: &str) -> Option<Page> {
        let lower = path.to_ascii_lowercase();
        let trimmed = lower.strip_suffix('/').unwrap_or(&lower);
        match trimmed {
            "" | "/home" => Some(Page::Home),
            "/flights" => Some(Page::Flights),
            "/payments" => Some(Page::Payments),
            "/settings" => Some(Page::Settings),
            "/logout_redirect_uri" => Some(Page::LoggedOut),
            _ => None,
        }
    }

    fn template(self) -> (&'static str, &'static str) {
        match self {
            Page::Home => ("home.html", "home"),
            Page::Flights => ("flights.html", "flights"),
            Page::Payments => ("payments.html", "payments"),
            Page::Settings => ("settings.html", "settings"),
            Page::LoggedOut => ("logout.html", ""),
        }
    }
}

fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in [
            ("layout.html", include_str!("templates/layout.html")),
            ("home.html", include_str!("templates/home.html")),
            ("flights.html", include_str!("templates/flights.html")),
            ("payments.html", include_str!("templates/payments.html")),
            ("settings.html", include_str!("templates/settings.html")),
            ("logout.html", include_str!("templates/logout.html")),
        ] {
            // The templates are compiled into the binary; a syntax error is caught by the tests.
            if let Err(err) = env.add_template(name, source) {
                tracing::error!(%err, name, "bad website template");
            }
        }
        env
    })
}

async fn page(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let page = match Page::route(uri.path()) {
        Some(page) if method == Method::GET || method == Method::HEAD => page,
        _ => return crate::express::not_found(&method, &uri),
    };
    let (template, active) = page.template();
    let rendered = templates().get_template(template).and_then(|t| {
        t.render(context! { active => active, identity => identity_headers(&headers) })
    });
    match rendered {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(serde_json::json!({ "Error": err.to_string() })),
        )
            .into_response(),
    }
}

/// One header shown in the identity panel.
#[derive(Debug, Serialize, PartialEq)]
struct IdentityHeader {
    name: String,
    value: String,
    decoded: Option<String>,
}

/// Headers a browser, Kong or the gateway's proxying adds on its own: not identity.
fn is_transport_header(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "host",
        "user-agent",
        "connection",
        "cookie",
        "via",
        "referer",
        "origin",
        "dnt",
        "priority",
        "pragma",
        "cache-control",
        "upgrade-insecure-requests",
        "te",
        "keep-alive",
        "authorization",
    ];
    const PREFIXES: &[&str] = &["accept", "content-", "x-forwarded-", "sec-", "x-real-ip"];
    EXACT.contains(&name) || PREFIXES.iter().any(|p| name.starts_with(p))
}

fn identity_headers(headers: &HeaderMap) -> Vec<IdentityHeader> {
    let mut out: Vec<IdentityHeader> = headers
        .iter()
        .filter(|(name, _)| !is_transport_header(name.as_str()))
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            IdentityHeader {
                name: name.as_str().to_owned(),
                decoded: decode_for_display(&value),
                value,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Pretty JSON of a header value that is base64(JSON) or a JWT, for people reading the page.
fn decode_for_display(value: &str) -> Option<String> {
    let engines = [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    let decode = |part: &str| -> Option<serde_json::Value> {
        engines.iter().find_map(|engine| {
            let bytes = engine.decode(part).ok()?;
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .filter(|v| v.is_object() || v.is_array())
        })
    };
    let parts: Vec<&str> = value.split('.').collect();
    let json = if parts.len() == 3 {
        decode(parts[1])
    } else {
        decode(value)
    }?;
    serde_json::to_string_pretty(&json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let handle = crate::start(crate::App::Website, listener).await.unwrap();
        let mut req = reqwest::Client::new().get(format!("{}{}", handle.url(), path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    #[test]
    fn routes_are_case_insensitive_and_slash_optional() {
        assert_eq!(Page::route("/"), Some(Page::Home));
        assert_eq!(Page::route("/home"), Some(Page::Home));
        assert_eq!(Page::route("/HOME/"), Some(Page::Home));
        assert_eq!(Page::route("/flights"), Some(Page::Flights));
        assert_eq!(Page::route("/Payments/"), Some(Page::Payments));
        assert_eq!(Page::route("/settings/"), Some(Page::Settings));
        assert_eq!(Page::route("/logout_redirect_uri"), Some(Page::LoggedOut));
        assert_eq!(Page::route("/payments/x"), None);
        assert_eq!(Page::route("//"), None);
    }

    #[tokio::test]
    async fn pages_show_the_tutorial_texts() {
        let cases = [
            ("/", "Welcome to Gluu Security !!!"),
            ("/home/", "Welcome to Gluu Security !!!"),
            ("/flights/", "Flights Available"),
            (
                "/payments/",
                "Wow Great!!! Your payment has been done successfully.",
            ),
            ("/settings", "Profile settings"),
            ("/logout_redirect_uri", "Successfully logout!!!"),
        ];
        for (path, text) in cases {
            let (status, body) = get(path, &[]).await;
            assert_eq!(status, 200, "{path}");
            assert!(body.contains(text), "{path}: {body}");
        }
        let (_, flights) = get("/flights/", &[]).await;
        assert!(flights.contains("Column content") && flights.contains("Primary"));
        let (_, payments) = get("/payments", &[]).await;
        assert!(payments.contains("<h1>Payment Status</h1>"));
        assert!(payments.contains("href=\"/logout\""), "navbar present");
    }

    #[tokio::test]
    async fn unknown_pages_and_methods_get_express_404() {
        let (status, body) = get("/nope", &[]).await;
        assert_eq!(status, 404);
        assert!(body.contains("Cannot GET /nope"));
    }

    #[tokio::test]
    async fn identity_panel_shows_custom_headers_escaped_and_decoded() {
        let userinfo = base64::engine::general_purpose::STANDARD
            .encode(r#"{"email":"admin@example.org","sub":"<admin>"}"#);
        let (_, body) = get(
            "/home",
            &[
                ("kong-openidc-userinfo", userinfo.as_str()),
                ("x-forwarded-for", "127.0.0.1"),
            ],
        )
        .await;
        assert!(body.contains("kong-openidc-userinfo"));
        assert!(body.contains("admin@example.org"));
        assert!(
            body.contains("&lt;admin&gt;"),
            "decoded JSON is HTML-escaped"
        );
        assert!(
            !body.contains("x-forwarded-for"),
            "transport headers are not identity"
        );
        let (_, plain) = get("/home", &[]).await;
        assert!(plain.contains("No identity headers were received."));
    }

    #[test]
    fn decodes_jwt_payloads_and_ignores_plain_text() {
        let jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.";
        assert!(decode_for_display(jwt).unwrap().contains("\"sub\": \"a\""));
        assert_eq!(decode_for_display("hello"), None);
        assert_eq!(
            decode_for_display("MTIz"),
            None,
            "base64 of a number is not shown"
        );
    }
}
