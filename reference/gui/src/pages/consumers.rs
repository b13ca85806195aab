//! CONSUMERS: the list, "+ CREATE CONSUMER" (the Gluu client id becomes `custom_id`) and
//! "+ CREATE CLIENT" (an OP client registered through oxd `register-site` with GG's fields,
//! its details shown once).

use axum::extract::{Path, Query};
use axum::http::HeaderMap;
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;
use serde_json::{json, Value};

use super::services::strings;
use super::{display_name, id_of, Form, Page};
use crate::forms::{valid_name, Errors, FormData};
use crate::kong::segment;

/// `GET /consumers`.
pub async fn list(page: Page) -> Response {
    let consumers = match page.app.kong.list("/consumers").await {
        Ok(c) => c,
        Err(e) => return page.kong_error("consumers", &e),
    };
    let rows: Vec<_> = consumers
        .iter()
        .map(|c| {
            context! {
                id => id_of(c),
                username => c.get("username").and_then(Value::as_str).unwrap_or(""),
                custom_id => c.get("custom_id").and_then(Value::as_str).unwrap_or(""),
                tags => strings(c.get("tags")),
            }
        })
        .collect();
    page.render(
        "consumers.html",
        "consumers",
        context! { consumers => rows },
    )
}

/// The consumer form's values.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct ConsumerForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    custom_id: String,
    #[serde(default)]
    tags: Vec<String>,
}

fn consumer_field(kong: &str) -> String {
    match kong {
        "username" | "custom_id" | "tags" => kong.to_owned(),
        _ => "username".to_owned(),
    }
}

/// `GET /consumers/new` (`?custom_id=&username=` prefill it from a created client).
pub async fn new_form(page: Page, Query(q): Query<ConsumerForm>) -> Response {
    page.render("consumer_form.html", "consumers", context! { form => q })
}

/// `POST /consumers`.
pub async fn create(page: Page, Form(f): Form) -> Response {
    let form = ConsumerForm {
        username: f.text("username").to_owned(),
        custom_id: f.text("custom_id").to_owned(),
        tags: f.tags("tags"),
    };
    let again = |errors: Errors, error: Option<String>| {
        page.invalid(
            "consumer_form.html",
            "consumers",
            context! { form => form, errors => errors, error => error },
        )
    };
    if f.op() == "refresh" {
        return again(Errors::default(), None);
    }
    let mut errors = Errors::default();
    if form.username.is_empty() && form.custom_id.is_empty() {
        errors.add(
            "username",
            "Give a consumer name, a Gluu client id, or both.",
        );
    } else if !form.username.is_empty() && !valid_name(&form.username) {
        errors.add(
            "username",
            "Use only letters, digits and - . _ ~ (no spaces).",
        );
    }
    if !errors.is_empty() {
        return again(errors, None);
    }
    let mut body = json!({"tags": form.tags});
    if !form.username.is_empty() {
        body["username"] = json!(form.username);
    }
    if !form.custom_id.is_empty() {
        body["custom_id"] = json!(form.custom_id);
    }
    match page.app.kong.post("/consumers", &body).await {
        Ok(created) => page.done(
            format!("Consumer {} created.", display_name(&created)),
            "/consumers",
        ),
        Err(e) => {
            let mut errors = Errors::default();
            errors.add_kong_fields(e.fields(), &consumer_field);
            again(errors, Some(e.to_string()))
        }
    }
}

/// GG's + CREATE CLIENT form.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClientForm {
    client_name: String,
    client_id: String,
    client_secret: String,
    access_token_as_jwt: bool,
    rpt_as_jwt: bool,
    access_token_signing_alg: String,
    scope: Vec<String>,
    spontaneous_scopes: Vec<String>,
}

impl Default for ClientForm {
    fn default() -> Self {
        Self {
            client_name: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            access_token_as_jwt: false,
            rpt_as_jwt: false,
            access_token_signing_alg: String::new(),
            scope: vec!["openid".into(), "oxd".into()],
            spontaneous_scopes: Vec::new(),
        }
    }
}

const SIGNING_ALGS: [&str; 3] = ["RS256", "RS384", "RS512"];

impl ClientForm {
    fn from_form(f: &FormData) -> Self {
        Self {
            client_name: f.text("client_name").to_owned(),
            client_id: f.text("client_id").to_owned(),
            client_secret: f.text("client_secret").to_owned(),
            access_token_as_jwt: f.has("access_token_as_jwt"),
            rpt_as_jwt: f.has("rpt_as_jwt"),
            access_token_signing_alg: f.text("access_token_signing_alg").to_owned(),
            scope: f.tags("scope"),
            spontaneous_scopes: f.tags("spontaneous_scopes"),
        }
    }

    fn errors(&self) -> Errors {
        let mut errors = Errors::default();
        if self.client_name.is_empty() {
            errors.add("client_name", "The client needs a name.");
        }
        match (self.client_id.is_empty(), self.client_secret.is_empty()) {
            (false, true) => errors.add(
                "client_secret",
                "An existing client needs its secret too (or leave both empty to create one).",
            ),
            (true, false) => errors.add(
                "client_id",
                "An existing client needs its id too (or leave both empty to create one).",
            ),
            _ => {}
        }
        if !self.access_token_signing_alg.is_empty()
            && !SIGNING_ALGS.contains(&self.access_token_signing_alg.as_str())
        {
            errors.add(
                "access_token_signing_alg",
                "The plugins verify RS256, RS384 and RS512 only.",
            );
        }
        if self.scope.is_empty() {
            errors.add(
                "scope",
                "Give at least one scope (openid and oxd let the client get tokens through oxd).",
            );
        }
        for s in &self.spontaneous_scopes {
            if let Err(e) = regex::Regex::new(s) {
                errors.add(
                    "spontaneous_scopes",
                    format!("{s:?} is not a regular expression: {e}"),
                );
            }
        }
        errors
    }
}

fn render_client_form(
    page: &Page,
    form: ClientForm,
    errors: Errors,
    error: Option<String>,
    invalid: bool,
) -> Response {
    let ctx = context! { form => form, errors => errors, error => error, algs => SIGNING_ALGS };
    if invalid {
        page.invalid("client_form.html", "consumers", ctx)
    } else {
        page.render("client_form.html", "consumers", ctx)
    }
}

/// `GET /consumers/clients/new`: + CREATE CLIENT.
pub async fn client_form(page: Page) -> Response {
    render_client_form(&page, ClientForm::default(), Errors::default(), None, false)
}

/// The redirect URI a client-credentials client is registered with (oxd requires one): the
/// Kong proxy when configured, else the GUI itself.
pub(crate) fn default_redirect(page: &Page, headers: &HeaderMap) -> String {
    if let Some(p) = &page.app.config.proxy_url {
        return crate::config::join(p, "/");
    }
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}/")
}

/// `POST /consumers/clients`: registers the client through oxd and shows its details.
pub async fn create_client(page: Page, headers: HeaderMap, Form(f): Form) -> Response {
    let form = ClientForm::from_form(&f);
    if f.op() == "refresh" {
        return render_client_form(&page, form, Errors::default(), None, true);
    }
    let errors = form.errors();
    if !errors.is_empty() {
        return render_client_form(&page, form, errors, None, true);
    }
    let mut request = json!({
        "op_host": page.app.config.op_url.as_str().trim_end_matches('/'),
        "client_name": form.client_name,
        "redirect_uris": [default_redirect(&page, &headers)],
        "scope": form.scope,
        "grant_types": ["client_credentials"],
        "access_token_as_jwt": form.access_token_as_jwt,
        "rpt_as_jwt": form.rpt_as_jwt,
    });
    if !form.access_token_signing_alg.is_empty() {
        request["access_token_signing_alg"] = json!(form.access_token_signing_alg);
    }
    if !form.spontaneous_scopes.is_empty() {
        request["allow_spontaneous_scopes"] = json!(true);
        request["spontaneous_scopes"] = json!(form.spontaneous_scopes);
    }
    if !form.client_id.is_empty() {
        request["client_id"] = json!(form.client_id);
        request["client_secret"] = json!(form.client_secret);
    }
    match page.app.oxd.register_site(&request).await {
        Ok(site) => page.render(
            "client_created.html",
            "consumers",
            context! {
                client => context! {
                    client_name => form.client_name,
                    client_id => site.client_id,
                    client_secret => site.client_secret,
                    oxd_id => site.oxd_id,
                    op_host => page.app.config.op_url.as_str(),
                    scope => form.scope,
                    spontaneous_scopes => form.spontaneous_scopes,
                    registration_client_uri => site.registration_client_uri,
                    raw => serde_json::to_string_pretty(&site.raw).unwrap_or_default(),
                },
                consumer_link => format!(
                    "/consumers/new?custom_id={}&username={}",
                    crate::views::urlencode(&site.client_id),
                    crate::views::urlencode(&form.client_name.replace(' ', "-")),
                ),
            },
        ),
        Err(e) => render_client_form(&page, form, Errors::default(), Some(e.to_string()), true),
    }
}

/// `GET /consumers/{id}/delete`.
pub async fn confirm_delete(page: Page, Path(id): Path<String>) -> Response {
    let c = match page
        .app
        .kong
        .get(&format!("/consumers/{}", segment(&id)))
        .await
    {
        Ok(c) => c,
        Err(e) => return page.kong_failure("consumers", &format!("consumer {id}"), &e),
    };
    page.render(
        "message.html",
        "consumers",
        context! {
            title => "Delete consumer",
            message => format!("Delete the consumer {}? Tokens of its client are then refused as Unknown consumer.", display_name(&c)),
            confirm => format!("/consumers/{}/delete", segment(&id_of(&c))),
            confirm_label => "Delete Consumer",
            back => "/consumers",
        },
    )
}

/// `POST /consumers/{id}/delete`.
pub async fn delete(page: Page, Path(id): Path<String>) -> Response {
    match page
        .app
        .kong
        .delete(&format!("/consumers/{}", segment(&id)))
        .await
    {
        Ok(()) => page.done(format!("Consumer {id} deleted."), "/consumers"),
        Err(e) => page.failed(e.to_string(), "/consumers"),
    }
}
