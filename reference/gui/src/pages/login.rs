//! Login (a configured administrator with an argon2 password hash) and logout.

use axum::extract::Query;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use super::{Form, Page};

/// `?next=` of the login page.
#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// Only a local path may be the target after login (never another site: `//host`, `/\host`).
fn local_target(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.contains(['\r', '\n']) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// `GET /login`.
pub async fn form(page: Page, Query(q): Query<Next>) -> Response {
    if page.session.user.is_some() {
        return Redirect::to("/").into_response();
    }
    page.render(
        "login.html",
        "login",
        context! { next => local_target(q.next.as_deref()), username => "" },
    )
}

/// `POST /login`.
pub async fn submit(page: Page, Form(f): Form) -> Response {
    let username = f.text("username").to_owned();
    let password = f.get("password").unwrap_or("").to_owned();
    let next = local_target(f.get("next"));
    let hash = page
        .app
        .config
        .users
        .iter()
        .find(|u| u.username == username)
        .map(|u| u.password_hash.clone());
    let known = hash.is_some();
    let hash = hash.unwrap_or_else(|| page.app.dummy_hash.clone());
    // argon2 takes tens of milliseconds of CPU: off the async workers.
    let verified =
        tokio::task::spawn_blocking(move || gatecheck_passwords::verify(&hash, &password))
            .await
            .unwrap_or(false);
    if !(known && verified) {
        tracing::warn!(%username, "GUI login refused");
        return page.invalid(
            "login.html",
            "login",
            context! {
                next => next,
                username => username,
                login_error => "Wrong username or password.",
            },
        );
    }
    tracing::info!(%username, "GUI login");
    let session = page.app.sessions.login(&page.session.id, &username);
    let mut resp = Redirect::to(&next).into_response();
    if let Ok(v) = HeaderValue::from_str(&page.app.sessions.cookie(&session.id)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// `POST /logout`.
pub async fn logout(page: Page) -> Response {
    page.app.sessions.logout(&page.session.id);
    let mut resp = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&page.app.sessions.clear_cookie()) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::local_target;

    #[test]
    fn only_local_paths_follow_a_login() {
        assert_eq!(local_target(Some("/services")), "/services");
        for bad in [
            "//evil.example/",
            "/\\evil.example",
            "https://evil.example/",
            "x",
            "",
        ] {
            assert_eq!(local_target(Some(bad)), "/", "{bad}");
        }
        assert_eq!(local_target(None), "/");
    }
}
