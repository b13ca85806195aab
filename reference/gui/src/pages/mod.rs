//! One module per section of GG's left panel, plus login.

pub mod consumers;
pub mod dashboard;
pub mod login;
pub mod plugins;
pub mod routes;
pub mod services;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{context, Value};

use crate::forms::FormData;
use crate::kong::KongError;
use crate::server::AppState;
use crate::session::Session;
use crate::views::{self, Chrome};

/// What every page handler gets: the app, the session and the layout's values.
pub struct Page {
    /// The app.
    pub app: AppState,
    /// The session (logged in, except on the login page).
    pub session: Session,
    /// Layout values (user, CSRF token, queued messages).
    pub chrome: Chrome,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        let State(app) = State::<AppState>::from_request_parts(parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| (StatusCode::INTERNAL_SERVER_ERROR, "no session").into_response())?;
        let flash = app.sessions.take_flash(&session.id);
        let chrome = Chrome::new(&session, flash);
        Ok(Self {
            app,
            session,
            chrome,
        })
    }
}

impl Page {
    /// Renders a page of section `nav`.
    pub fn render(&self, template: &str, nav: &str, ctx: Value) -> Response {
        views::render(template, &self.chrome, nav, ctx)
    }

    /// Renders a form again with its errors (422).
    pub fn invalid(&self, template: &str, nav: &str, ctx: Value) -> Response {
        views::render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            template,
            &self.chrome,
            nav,
            ctx,
        )
    }

    /// Queues a success message and redirects (303) to `to`.
    pub fn done(&self, message: impl Into<String>, to: &str) -> Response {
        self.app
            .sessions
            .flash(&self.session.id, "success", message);
        Redirect::to(to).into_response()
    }

    /// Queues an error message and redirects (303) to `to`.
    pub fn failed(&self, message: impl Into<String>, to: &str) -> Response {
        self.app.sessions.flash(&self.session.id, "error", message);
        Redirect::to(to).into_response()
    }

    /// A page saying the Admin API failed (502), with Kong's message.
    pub fn kong_error(&self, nav: &str, e: &KongError) -> Response {
        views::render_status(
            StatusCode::BAD_GATEWAY,
            "message.html",
            &self.chrome,
            nav,
            context! { title => "Kong Admin API error", message => e.to_string() },
        )
    }

    /// A 404 page for an entity the Admin API does not have.
    pub fn missing(&self, nav: &str, what: &str) -> Response {
        views::render_status(
            StatusCode::NOT_FOUND,
            "message.html",
            &self.chrome,
            nav,
            context! { title => "Not found", message => format!("The Admin API has no {what}.") },
        )
    }

    /// [`Page::kong_error`], or [`Page::missing`] when Kong said 404.
    pub fn kong_failure(&self, nav: &str, what: &str, e: &KongError) -> Response {
        if e.is_not_found() {
            self.missing(nav, what)
        } else {
            self.kong_error(nav, e)
        }
    }
}

/// The decoded form body.
pub struct Form(pub FormData);

impl<S: Send + Sync> axum::extract::FromRequest<S> for Form {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Response> {
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Form(FormData::new(pairs)))
    }
}

/// The page for an unknown URL.
pub async fn not_found(page: Page) -> Response {
    views::render_status(
        StatusCode::NOT_FOUND,
        "message.html",
        &page.chrome,
        "",
        context! { title => "Not found", message => "There is no such page in the Admin GUI." },
    )
}

/// An entity's display name: its `name` (or `username`), else its id.
pub fn display_name(e: &serde_json::Value) -> String {
    ["name", "username", "custom_id", "id"]
        .iter()
        .find_map(|k| e.get(*k).and_then(|v| v.as_str()).filter(|s| !s.is_empty()))
        .unwrap_or("")
        .to_owned()
}

/// The `id` of an entity (empty when absent).
pub fn id_of(e: &serde_json::Value) -> String {
    e.get("id")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_owned()
}
