//! A fetched page: status, headers, body, and what a user can see and submit on it.

use reqwest::header::HeaderMap;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::{BrowserError, Hop};

/// The response a navigation ended on (after following redirects), and how it got there.
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL of the response.
    pub url: Url,
    /// Its HTTP status.
    pub status: u16,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body as text.
    pub body: String,
    /// The requests of the same navigation before this one, in order: the redirects followed
    /// and auto-submitted form_post pages. Empty when the first request answered.
    pub hops: Vec<Hop>,
}

/// A form found on a page, with the values a browser would submit by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// The form's `id` attribute, if any.
    pub id: Option<String>,
    /// `GET` or `POST` (upper case).
    pub method: String,
    /// The absolute URL the form submits to (the page URL when `action` is absent or empty).
    pub action: Url,
    /// Successful controls in document order: hidden, text, password, checked boxes, textareas,
    /// selected options. Submit buttons are not included; see [`Form::buttons`].
    pub fields: Vec<(String, String)>,
    /// The hidden inputs alone (CSRF tokens, state): what the page carries for the user.
    pub hidden: Vec<(String, String)>,
    /// Named submit buttons: (id, name, value, label).
    pub buttons: Vec<Button>,
    /// Every control name in the form (including buttons and unchecked boxes).
    pub names: Vec<String>,
    /// Every checkbox and radio button as (name, value), ticked or not.
    pub checkables: Vec<(String, String)>,
    /// Names of the radio button groups.
    pub radios: Vec<String>,
}

/// A submit button of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    /// `id` attribute.
    pub id: Option<String>,
    /// `name` attribute (a nameless button submits no pair).
    pub name: Option<String>,
    /// `value` attribute.
    pub value: String,
    /// Visible label.
    pub label: String,
}

fn selector(css: &str) -> Result<Selector, BrowserError> {
    Selector::parse(css).map_err(|e| BrowserError::Page(format!("bad selector {css:?}: {e}")))
}

impl Page {
    /// Whether the response is a redirect (3xx).
    pub fn is_redirect(&self) -> bool {
        (300..400).contains(&self.status)
    }

    /// Where a redirect response points, resolved against the page URL.
    pub fn location(&self) -> Option<Url> {
        if !self.is_redirect() {
            return None;
        }
        self.headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| self.url.join(l).ok())
    }

    /// The redirect targets of this navigation that start with `prefix` (an origin or a URL).
    pub fn hops_to(&self, prefix: &str) -> Vec<&Url> {
        self.hops
            .iter()
            .filter_map(|h| h.location.as_ref())
            .filter(|l| l.as_str().starts_with(prefix))
            .collect()
    }

    /// Whether an element matches a CSS selector.
    pub fn has(&self, css: &str) -> Result<bool, BrowserError> {
        let sel = selector(css)?;
        Ok(self.html().select(&sel).next().is_some())
    }

    /// The body as JSON.
    pub fn json(&self) -> Result<serde_json::Value, BrowserError> {
        serde_json::from_str(&self.body).map_err(|e| {
            BrowserError::Page(format!(
                "{} (status {}) is not JSON ({e}): {:.300}",
                self.url, self.status, self.body
            ))
        })
    }

    /// The parsed HTML document.
    pub fn html(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// The visible text of the page (text nodes outside `script`/`style`, whitespace collapsed),
    /// or the raw body when it is not HTML.
    pub fn text(&self) -> String {
        if !self.is_html() {
            return self.body.clone();
        }
        let html = self.html();
        let mut out = String::new();
        for node in html.root_element().descendants() {
            if let Some(text) = node.value().as_text() {
                let hidden = node.ancestors().any(|a| {
                    a.value()
                        .as_element()
                        .is_some_and(|e| matches!(e.name(), "script" | "style" | "title"))
                });
                if !hidden {
                    out.push_str(text);
                    out.push(' ');
                }
            }
        }
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Whether the body is HTML (by content type, or by its start when no type is given).
    pub fn is_html(&self) -> bool {
        match self.headers.get(reqwest::header::CONTENT_TYPE) {
            Some(ct) => ct.to_str().is_ok_and(|v| v.contains("html")),
            None => self.body.trim_start().starts_with('<'),
        }
    }

    /// The text of the first element matching a CSS selector.
    pub fn text_of(&self, css: &str) -> Result<Option<String>, BrowserError> {
        let sel = selector(css)?;
        let html = self.html();
        Ok(html.select(&sel).next().map(|e| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        }))
    }

    /// The `src` of every `iframe` of the page, in document order.
    pub fn frame_sources(&self) -> Result<Vec<String>, BrowserError> {
        let sel = selector("iframe[src]")?;
        let html = self.html();
        Ok(html
            .select(&sel)
            .filter_map(|e| e.value().attr("src").map(str::to_owned))
            .collect())
    }

    /// An attribute of the first element matching a CSS selector.
    pub fn attr_of(&self, css: &str, attr: &str) -> Result<Option<String>, BrowserError> {
        let sel = selector(css)?;
        let html = self.html();
        Ok(html
            .select(&sel)
            .next()
            .and_then(|e| e.value().attr(attr).map(str::to_owned)))
    }

    /// The `href` of the link whose visible text is `text` (case-insensitive).
    pub fn link(&self, text: &str) -> Result<String, BrowserError> {
        let sel = selector("a[href]")?;
        self.html()
            .select(&sel)
            .find(|a| {
                a.text()
                    .collect::<String>()
                    .trim()
                    .eq_ignore_ascii_case(text)
            })
            .and_then(|a| a.value().attr("href").map(str::to_owned))
            .ok_or_else(|| self.missing(&format!("link {text:?}")))
    }

    /// The page's `<h1>` text, if any.
    pub fn heading(&self) -> Option<String> {
        self.text_of("h1").ok().flatten()
    }

    /// Every form on the page.
    pub fn forms(&self) -> Result<Vec<Form>, BrowserError> {
        let sel = selector("form")?;
        let html = self.html();
        html.select(&sel).map(|f| self.read_form(f)).collect()
    }

    /// The form with this `id`, or (for `None`) the only form on the page.
    pub fn form(&self, id: Option<&str>) -> Result<Form, BrowserError> {
        let forms = self.forms()?;
        match id {
            Some(id) => forms
                .into_iter()
                .find(|f| f.id.as_deref() == Some(id))
                .ok_or_else(|| self.missing(&format!("form#{id}"))),
            None => {
                let mut forms = forms.into_iter();
                match (forms.next(), forms.next()) {
                    (Some(f), None) => Ok(f),
                    (None, _) => Err(self.missing("form")),
                    (Some(_), Some(_)) => Err(BrowserError::Page(format!(
                        "{} has several forms; name one by id",
                        self.url
                    ))),
                }
            }
        }
    }

    /// An error saying what was looked for and where, with the page's heading and text excerpt.
    pub fn missing(&self, what: &str) -> BrowserError {
        let text = self.text();
        let excerpt: String = text.chars().take(300).collect();
        BrowserError::Page(format!(
            "no {what} on {} (status {}): {excerpt}",
            self.url, self.status
        ))
    }

    /// Whether the page is an auto-submitting form_post page: exactly one form, submitted by
    /// script as soon as the page loads (`<body onload="...submit()">` or an inline
    /// `<script>` calling `submit()`), the OAuth 2.0 Form Post Response Mode page shapes.
    pub fn auto_submit_form(&self) -> Result<Option<Form>, BrowserError> {
        if !self.is_html() {
            return Ok(None);
        }
        let onload = self.attr_of("body", "onload")?.unwrap_or_default();
        let script = selector("script")?;
        let scripted = self
            .html()
            .select(&script)
            .any(|s| s.text().collect::<String>().contains(".submit()"));
        if !onload.contains("submit()") && !scripted {
            return Ok(None);
        }
        let forms = self.forms()?;
        Ok(if forms.len() == 1 {
            forms.into_iter().next()
        } else {
            None
        })
    }

    fn read_form(&self, form: ElementRef<'_>) -> Result<Form, BrowserError> {
        let el = form.value();
        let method = el.attr("method").unwrap_or("get").to_ascii_uppercase();
        let action = match el.attr("action").map(str::trim) {
            None | Some("") => self.url.clone(),
            Some(a) => self
                .url
                .join(a)
                .map_err(|e| BrowserError::Page(format!("bad form action {a:?}: {e}")))?,
        };
        let controls = selector("input, textarea, select, button")?;
        let option = selector("option")?;
        let mut fields = Vec::new();
        let mut hidden = Vec::new();
        let mut buttons = Vec::new();
        let mut names = Vec::new();
        let mut checkables = Vec::new();
        let mut radios: Vec<String> = Vec::new();
        for c in form.select(&controls) {
            let v = c.value();
            let name = v.attr("name").map(str::to_owned);
            if let Some(n) = &name {
                names.push(n.clone());
            }
            if v.attr("disabled").is_some() {
                continue;
            }
            let kind = v.attr("type").unwrap_or("").to_ascii_lowercase();
            match v.name() {
                "button" if kind.is_empty() || kind == "submit" => buttons.push(Button {
                    id: v.attr("id").map(str::to_owned),
                    name,
                    value: v.attr("value").unwrap_or("").to_owned(),
                    label: c.text().collect::<String>().trim().to_owned(),
                }),
                "button" => {}
                "input" if kind == "submit" || kind == "image" => buttons.push(Button {
                    id: v.attr("id").map(str::to_owned),
                    name,
                    value: v.attr("value").unwrap_or("").to_owned(),
                    label: v.attr("value").unwrap_or("Submit").to_owned(),
                }),
                "input" if kind == "checkbox" || kind == "radio" => {
                    if let Some(n) = &name {
                        checkables.push((n.clone(), v.attr("value").unwrap_or("on").to_owned()));
                        if kind == "radio" && !radios.contains(n) {
                            radios.push(n.clone());
                        }
                    }
                    if let (Some(n), Some(_)) = (name, v.attr("checked")) {
                        fields.push((n, v.attr("value").unwrap_or("on").to_owned()));
                    }
                }
                "input" if kind == "reset" || kind == "file" => {}
                "input" => {
                    if let Some(n) = name {
                        let value = v.attr("value").unwrap_or("").to_owned();
                        if kind == "hidden" {
                            hidden.push((n.clone(), value.clone()));
                        }
                        fields.push((n, value));
                    }
                }
                "textarea" => {
                    if let Some(n) = name {
                        fields.push((n, c.text().collect()));
                    }
                }
                "select" => {
                    if let Some(n) = name {
                        let opts: Vec<_> = c.select(&option).collect();
                        let chosen = opts
                            .iter()
                            .find(|o| o.value().attr("selected").is_some())
                            .or(opts.first());
                        if let Some(o) = chosen {
                            let value = o
                                .value()
                                .attr("value")
                                .map(str::to_owned)
                                .unwrap_or_else(|| o.text().collect::<String>().trim().to_owned());
                            fields.push((n, value));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(Form {
            id: el.attr("id").map(str::to_owned),
            method,
            action,
            fields,
            hidden,
            buttons,
            names,
            checkables,
            radios,
        })
    }
}

impl Form {
    /// [`Form::submission`] that also ticks checkboxes or chooses radio buttons, given as
    /// (name, value): a checkbox pair is added (several boxes may share a name), a radio pair
    /// replaces the group's choice. A pair the form has no box for is an error.
    pub fn submission_ticking(
        &self,
        values: &[(&str, &str)],
        ticks: &[(&str, &str)],
        button: Option<&str>,
    ) -> Result<Vec<(String, String)>, BrowserError> {
        let mut fields = self.submission(values, button)?;
        for (name, value) in ticks {
            if !self.checkables.iter().any(|(n, v)| n == name && v == value) {
                return Err(BrowserError::Page(format!(
                    "form {} has no checkbox or radio button {name}={value}",
                    self.id.as_deref().unwrap_or("(unnamed)")
                )));
            }
            if self.radios.iter().any(|r| r == name) {
                fields.retain(|(n, _)| n != name);
            }
            if !fields.iter().any(|(n, v)| n == name && v == value) {
                fields.push(((*name).to_owned(), (*value).to_owned()));
            }
        }
        Ok(fields)
    }

    /// The fields to submit: the defaults with `values` filled in by name, plus the chosen
    /// button's pair. A name in `values` that the form does not have is an error (a user cannot
    /// type into a field that is not there).
    pub fn submission(
        &self,
        values: &[(&str, &str)],
        button: Option<&str>,
    ) -> Result<Vec<(String, String)>, BrowserError> {
        let mut fields = self.fields.clone();
        let mut pressed: Option<&Button> = None;
        for (name, value) in values {
            let is_field = self.fields.iter().any(|(n, _)| n == name);
            if !is_field {
                // A named submit button given a value is the button a user presses.
                let named: Vec<&Button> = self
                    .buttons
                    .iter()
                    .filter(|b| b.name.as_deref() == Some(*name))
                    .collect();
                if !named.is_empty() {
                    pressed = Some(named.iter().find(|b| b.value == *value).ok_or_else(|| {
                        BrowserError::Page(format!(
                            "form {} has no button {name}={value:?}",
                            self.id.as_deref().unwrap_or("(unnamed)")
                        ))
                    })?);
                    continue;
                }
            }
            if !self.names.iter().any(|n| n == name) {
                return Err(BrowserError::Page(format!(
                    "form {} has no field {name:?} (fields: {})",
                    self.id.as_deref().unwrap_or("(unnamed)"),
                    self.names.join(", ")
                )));
            }
            match fields.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = (*value).to_owned(),
                None => fields.push(((*name).to_owned(), (*value).to_owned())),
            }
        }
        let chosen = match button {
            None if pressed.is_some() => pressed,
            Some(b) => Some(
                self.buttons
                    .iter()
                    .find(|x| {
                        x.id.as_deref() == Some(b)
                            || x.value.eq_ignore_ascii_case(b)
                            || x.label.eq_ignore_ascii_case(b)
                    })
                    .ok_or_else(|| {
                        BrowserError::Page(format!(
                            "form {} has no button {b:?}",
                            self.id.as_deref().unwrap_or("(unnamed)")
                        ))
                    })?,
            ),
            None => self.buttons.first(),
        };
        if let Some(Button {
            name: Some(name),
            value,
            ..
        }) = chosen
        {
            fields.push((name.clone(), value.clone()));
        }
        Ok(fields)
    }
}
