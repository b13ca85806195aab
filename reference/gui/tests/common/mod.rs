//! Test helpers: the GUI in front of the reference gateway, oxd and OP (or wiremock stand-ins),
//! and a small form-submitting client.

#![allow(dead_code)]

use gatecheck_gui::{AdminUser, Config};
use scraper::{Html, Selector};
use serde_json::Value;
use url::Url;

pub const USER: &str = "admin";
pub const PASSWORD: &str = "admin-secret";

pub async fn listener() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()
}

pub fn config(admin: &str, oxd: &str, op: &str) -> Config {
    let mut c = Config::new(
        Url::parse(admin).unwrap(),
        Url::parse(oxd).unwrap(),
        Url::parse(op).unwrap(),
        vec![AdminUser {
            username: USER.into(),
            password_hash: gatecheck_gui::hash_password(PASSWORD).unwrap(),
        }],
    );
    c.request_timeout_ms = 5_000;
    c
}

pub async fn gui(config: Config) -> gatecheck_gui::Handle {
    gatecheck_gui::start(config, listener().await)
        .await
        .unwrap()
}

/// The reference OP, oxd and gateway.
pub struct Stack {
    pub op: gatecheck_op::Handle,
    pub oxd: gatecheck_oxd::Handle,
    pub gateway: gatecheck_gateway::Handle,
}

pub async fn stack() -> Stack {
    let op_config = gatecheck_op::Config::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/op/op.yml"
    ))
    .unwrap();
    let op = gatecheck_op::start(op_config, listener().await)
        .await
        .unwrap();
    let oxd = gatecheck_oxd::start(gatecheck_oxd::Config::default(), listener().await)
        .await
        .unwrap();
    let gateway = gatecheck_gateway::start(
        gatecheck_gateway::Config::default(),
        listener().await,
        listener().await,
    )
    .await
    .unwrap();
    Stack { op, oxd, gateway }
}

impl Stack {
    pub fn config(&self) -> Config {
        config(
            &self.gateway.admin_url(),
            &self.oxd.url(),
            &self.op.issuer(),
        )
    }

    pub async fn admin_get(&self, path: &str) -> Value {
        reqwest::get(format!("{}{path}", self.gateway.admin_url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn admin_post(&self, path: &str, body: Value) -> Value {
        let resp = reqwest::Client::new()
            .post(format!("{}{path}", self.gateway.admin_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201, "{path}");
        resp.json().await.unwrap()
    }
}

/// A response: status, Location, body.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Page {
    pub fn html(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// Text of the first element matching `css`.
    pub fn text(&self, css: &str) -> Option<String> {
        let sel = Selector::parse(css).unwrap();
        self.html()
            .select(&sel)
            .next()
            .map(|e| e.text().collect::<String>().trim().to_owned())
    }

    /// The fields a browser would submit from form `#id` (checked boxes, selected options).
    pub fn form_fields(&self, id: &str) -> Vec<(String, String)> {
        let html = self.html();
        let form_sel = Selector::parse(&format!("form#{id}")).unwrap();
        let form = html
            .select(&form_sel)
            .next()
            .unwrap_or_else(|| panic!("no form#{id} in {}", self.body));
        let controls = Selector::parse("input, textarea, select").unwrap();
        let option = Selector::parse("option").unwrap();
        let mut out = Vec::new();
        for c in form.select(&controls) {
            let v = c.value();
            let Some(name) = v.attr("name") else { continue };
            let kind = v.attr("type").unwrap_or("text");
            match v.name() {
                "input"
                    if (kind == "checkbox" || kind == "radio") && v.attr("checked").is_some() =>
                {
                    out.push((name.into(), v.attr("value").unwrap_or("on").into()));
                }
                "input" if kind == "checkbox" || kind == "radio" => {}
                "input" if kind == "submit" => {}
                "input" => out.push((name.into(), v.attr("value").unwrap_or("").into())),
                "textarea" => out.push((name.into(), c.text().collect())),
                "select" => {
                    let opts: Vec<_> = c.select(&option).collect();
                    if let Some(o) = opts
                        .iter()
                        .find(|o| o.value().attr("selected").is_some())
                        .or(opts.first())
                    {
                        out.push((name.into(), o.value().attr("value").unwrap_or("").into()));
                    }
                }
                _ => {}
            }
        }
        out
    }

    pub fn form_action(&self, id: &str) -> String {
        let html = self.html();
        let sel = Selector::parse(&format!("form#{id}")).unwrap();
        html.select(&sel)
            .next()
            .and_then(|f| f.value().attr("action").map(str::to_owned))
            .unwrap_or_default()
    }

    /// The inline error next to a field.
    pub fn field_error(&self, field: &str) -> Option<String> {
        let html = self.html();
        let sel = Selector::parse(".field-error").unwrap();
        html.select(&sel)
            .find(|e| e.value().attr("id") == Some(&format!("err-{field}")))
            .map(|e| e.text().collect::<String>())
    }
}

/// A client with a cookie jar that does not follow redirects.
pub struct Agent {
    pub base: String,
    http: reqwest::Client,
}

impl Agent {
    pub fn new(gui: &gatecheck_gui::Handle) -> Self {
        Self {
            base: gui.url(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    async fn read(resp: reqwest::Response) -> Page {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let location = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Page {
            status,
            location,
            body: resp.text().await.unwrap(),
            headers,
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::read(
            self.http
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn post(&self, path: &str, fields: &[(String, String)]) -> Page {
        Self::read(
            self.http
                .post(format!("{}{path}", self.base))
                .form(fields)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Submits form `#id` of `page` with `values` replacing (or adding) fields and the
    /// button `op`.
    pub async fn submit(&self, page: &Page, id: &str, values: &[(&str, &str)], op: &str) -> Page {
        let mut fields = page.form_fields(id);
        for (k, v) in values {
            match fields.iter_mut().find(|(n, _)| n == k) {
                Some(slot) => slot.1 = (*v).to_owned(),
                None => fields.push(((*k).to_owned(), (*v).to_owned())),
            }
        }
        fields.push(("op".into(), op.into()));
        let action = page.form_action(id);
        self.post(&action, &fields).await
    }

    /// Follows a 303 to its page.
    pub async fn follow(&self, page: &Page) -> Page {
        let to = page
            .location
            .clone()
            .unwrap_or_else(|| panic!("not a redirect: {} {}", page.status, page.body));
        self.get(&to).await
    }

    pub async fn login(&self) -> Page {
        let form = self.get("/login").await;
        assert_eq!(form.status, 200, "{}", form.body);
        let done = self
            .submit(
                &form,
                "loginForm",
                &[("username", USER), ("password", PASSWORD)],
                "",
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        self.follow(&done).await
    }
}
