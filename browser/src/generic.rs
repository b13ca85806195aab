//! A user at any OpenID Provider's pages, found the way a person finds them rather than by one
//! product's field names: the login form is the form with a password input (the user name is
//! the text input before it), the consent form has an allow / accept / yes / continue button
//! (deny: deny / no / cancel / "don't allow"), a one-time password form has a code input.
//!
//! Works on Keycloak's, Gluu Server's (oxAuth) and node oidc-provider's pages as well as
//! gatecheck's own; [`crate::driver`] drives gatecheck's pages by their ids and names.

use scraper::{ElementRef, Selector};

use crate::{Browser, BrowserError, Form, Page};

/// Words of a button that gives consent.
const ALLOW: [&str; 10] = [
    "allow",
    "accept",
    "yes",
    "continue",
    "authorize",
    "approve",
    "grant",
    "consent",
    "confirm",
    "ok",
];
/// Words of a button or link that refuses (checked first: "Don't Allow" refuses).
const DENY: [&str; 8] = [
    "deny", "no", "not", "don", "cancel", "reject", "decline", "abort",
];

/// What a page asks of the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// A user name and password: the form (index among the page's forms) and its fields.
    Login {
        /// Index of the form in [`Page::forms`].
        form: usize,
        /// Name of the user-name input (`None`: a password-only form).
        username: Option<String>,
        /// Name of the password input.
        password: String,
    },
    /// A one-time password.
    Otp {
        /// Index of the form.
        form: usize,
        /// Name of the code input.
        code: String,
    },
    /// Consent to the requested permissions.
    Consent {
        /// Index of the form.
        form: usize,
    },
    /// Nothing an OP asks.
    Nothing,
}

fn selector(css: &str) -> Result<Selector, BrowserError> {
    Selector::parse(css).map_err(|e| BrowserError::Page(format!("bad selector {css:?}: {e}")))
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Whether a button or link text refuses.
pub fn is_deny(label: &str) -> bool {
    words(label).iter().any(|w| DENY.contains(&w.as_str()))
}

/// Whether a button text gives consent.
pub fn is_allow(label: &str) -> bool {
    let w = words(label);
    !is_deny(label) && w.iter().any(|w| ALLOW.contains(&w.as_str()))
}

/// Text-like inputs a user types a name or a code into.
fn is_text_input(el: &ElementRef<'_>) -> bool {
    let kind = el
        .value()
        .attr("type")
        .unwrap_or("text")
        .to_ascii_lowercase();
    matches!(kind.as_str(), "text" | "email" | "tel" | "number" | "")
}

/// What `page` asks: login, one-time password, consent, or nothing.
pub fn ask(page: &Page) -> Result<Ask, BrowserError> {
    if !page.is_html() {
        return Ok(Ask::Nothing);
    }
    let html = page.html();
    let forms = selector("form")?;
    let inputs = selector("input")?;
    let page_forms = page.forms()?;
    // Login first: a password input decides it.
    for (i, form) in html.select(&forms).enumerate() {
        let mut last_text: Option<String> = None;
        for input in form.select(&inputs) {
            let name = input.value().attr("name").map(str::to_owned);
            let kind = input
                .value()
                .attr("type")
                .unwrap_or("text")
                .to_ascii_lowercase();
            if kind == "password" {
                if let Some(password) = name {
                    return Ok(Ask::Login {
                        form: i,
                        username: last_text,
                        password,
                    });
                }
            } else if is_text_input(&input) && name.is_some() {
                last_text = name;
            }
        }
    }
    for (i, form) in html.select(&forms).enumerate() {
        let code = form.select(&inputs).find(|input| {
            let v = input.value();
            is_text_input(input)
                && [v.attr("name"), v.attr("id"), v.attr("autocomplete")]
                    .into_iter()
                    .flatten()
                    .any(|a| {
                        let a = a.to_ascii_lowercase();
                        a.contains("otp") || a.contains("code") || a.contains("totp")
                    })
        });
        if let Some(name) = code.and_then(|c| c.value().attr("name")) {
            return Ok(Ask::Otp {
                form: i,
                code: name.to_owned(),
            });
        }
    }
    for (i, form) in page_forms.iter().enumerate() {
        if form.buttons.iter().any(|b| is_allow(&label(b))) {
            return Ok(Ask::Consent { form: i });
        }
    }
    Ok(Ask::Nothing)
}

fn label(b: &crate::Button) -> String {
    if b.label.trim().is_empty() {
        b.value.clone()
    } else {
        b.label.clone()
    }
}

fn form_at(page: &Page, index: usize) -> Result<Form, BrowserError> {
    page.forms()?
        .into_iter()
        .nth(index)
        .ok_or_else(|| page.missing("form"))
}

/// What the user submits: a form, the values typed into it, the button pressed.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The form.
    pub form: Form,
    /// Field name → typed value.
    pub values: Vec<(String, String)>,
    /// The button (id, value or label; `None`: the first).
    pub button: Option<String>,
}

impl Plan {
    /// The pairs the browser sends.
    pub fn fields(&self) -> Result<Vec<(String, String)>, BrowserError> {
        let values: Vec<(&str, &str)> = self
            .values
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.form.submission(&values, self.button.as_deref())
    }

    async fn submit(&self, browser: &Browser) -> Result<Page, BrowserError> {
        let values: Vec<(&str, &str)> = self
            .values
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        browser
            .submit_form(&self.form, &values, self.button.as_deref())
            .await
    }
}

/// The login form of `page`, filled with `username` and `password`.
pub fn plan_login(page: &Page, username: &str, password: &str) -> Result<Plan, BrowserError> {
    let Ask::Login {
        form,
        username: user_field,
        password: pass_field,
    } = ask(page)?
    else {
        return Err(page.missing("login form (a form with a password input)"));
    };
    let mut values = Vec::new();
    if let Some(u) = user_field {
        values.push((u, username.to_owned()));
    }
    values.push((pass_field, password.to_owned()));
    Ok(Plan {
        form: form_at(page, form)?,
        values,
        button: None,
    })
}

/// How the user allows (or denies) on the consent page of `page`: a form's button, or (`Err`)
/// the URL of a deny link beside the form.
pub fn plan_consent(page: &Page, allow: bool) -> Result<Result<Plan, String>, BrowserError> {
    let Ask::Consent { form } = ask(page)? else {
        return Err(page.missing("consent form (a form with an allow / accept / yes button)"));
    };
    let form = form_at(page, form)?;
    let wanted = |b: &&crate::Button| {
        let l = label(b);
        if allow {
            is_allow(&l)
        } else {
            is_deny(&l)
        }
    };
    if let Some(button) = form.buttons.iter().find(wanted) {
        let pick = button.id.clone().unwrap_or_else(|| label(button));
        return Ok(Ok(Plan {
            form,
            values: Vec::new(),
            button: Some(pick),
        }));
    }
    // Some OPs (node oidc-provider) refuse with a link beside the form.
    let links = selector("a[href]")?;
    page.html()
        .select(&links)
        .find(|a| is_deny(&a.text().collect::<String>()))
        .and_then(|a| a.value().attr("href").map(str::to_owned))
        .map(Err)
        .ok_or_else(|| page.missing("deny button or link"))
}

/// The one-time password form of `page`, filled with `code`.
pub fn plan_code(page: &Page, code: &str) -> Result<Plan, BrowserError> {
    let Ask::Otp { form, code: field } = ask(page)? else {
        return Err(page.missing("one-time password form (a code input)"));
    };
    Ok(Plan {
        form: form_at(page, form)?,
        values: vec![(field, code.to_owned())],
        button: None,
    })
}

/// Types the user name and password into the login form and submits it.
pub async fn log_in(
    browser: &Browser,
    username: &str,
    password: &str,
) -> Result<Page, BrowserError> {
    plan_login(&browser.page()?, username, password)?
        .submit(browser)
        .await
}

/// Allows (or denies) the requested permissions on the consent page.
pub async fn consent(browser: &Browser, allow: bool) -> Result<Page, BrowserError> {
    match plan_consent(&browser.page()?, allow)? {
        Ok(plan) => plan.submit(browser).await,
        Err(href) => browser.open_relative(&href).await,
    }
}

/// Types a one-time password into the code form and submits it.
pub async fn enter_code(browser: &Browser, code: &str) -> Result<Page, BrowserError> {
    plan_code(&browser.page()?, code)?.submit(browser).await
}

/// The error text an OP shows beside its form: the first element whose id or class says
/// error / alert / feedback, or `None`.
pub fn error_text(page: &Page) -> Result<Option<String>, BrowserError> {
    let sel = selector(
        "#error, .error, [id*=error], [class*=error], [class*=alert], [class*=feedback], [role=alert]",
    )?;
    let html = page.html();
    Ok(html
        .select(&sel)
        .map(|e| e.text().collect::<Vec<_>>().join(" "))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|t| !t.is_empty()))
}
