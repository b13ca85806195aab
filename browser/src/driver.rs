//! A user at the reference OP's pages (`gatecheck-op`): login, authenticator enrolment,
//! one-time password and consent, found and filled by their form ids and field names.
//!
//! The pages follow Gluu Server's flow (password first; for `acr_values=otp` an enrolment page
//! with a QR code on first use, then the code; consent unless remembered).

use crate::{Authenticator, Browser, BrowserError, Page};

/// Form id of the login page.
pub const LOGIN_FORM: &str = "loginForm";
/// Form id of the authenticator enrolment page.
pub const ENROLL_FORM: &str = "enrollForm";
/// Form id of the one-time password page.
pub const OTP_FORM: &str = "otpForm";
/// Form id of the consent page.
pub const CONSENT_FORM: &str = "consentForm";
/// The QR code image of the enrolment page.
pub const QR_IMAGE: &str = "img#otp_qr";
/// The element holding the OP's error message.
pub const ERROR: &str = "#error";

/// What a page asks of the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// Username and password.
    Login,
    /// Scan a QR code into an authenticator app.
    Enroll,
    /// A one-time password.
    Otp,
    /// Allow or deny the requested scopes.
    Consent,
    /// Nothing the OP asks: the flow has left the OP's pages.
    None,
}

impl Prompt {
    /// What `page` asks.
    pub fn of(page: &Page) -> Result<Self, BrowserError> {
        for (form, prompt) in [
            (LOGIN_FORM, Prompt::Login),
            (ENROLL_FORM, Prompt::Enroll),
            (OTP_FORM, Prompt::Otp),
            (CONSENT_FORM, Prompt::Consent),
        ] {
            if page.has(&format!("form#{form}"))? {
                return Ok(prompt);
            }
        }
        Ok(Prompt::None)
    }
}

/// Which one-time password the user types when asked.
#[derive(Clone, Copy)]
pub enum Code<'a> {
    /// The enrolled authenticator's code at this Unix time (the OP's clock in tests).
    At(&'a dyn Fn() -> u64),
    /// The authenticator's code now.
    Now,
    /// This code; the walk stops on the page the OP answers with.
    Typed(&'a str),
}

impl std::fmt::Debug for Code<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Code::At(_) => f.write_str("At(clock)"),
            Code::Now => f.write_str("Now"),
            Code::Typed(c) => write!(f, "Typed({c:?})"),
        }
    }
}

/// Submits the login form.
pub async fn log_in(
    browser: &Browser,
    username: &str,
    password: &str,
) -> Result<Page, BrowserError> {
    browser
        .submit(
            Some(LOGIN_FORM),
            &[("username", username), ("password", password)],
            None,
        )
        .await
}

/// Allows (or denies) the requested permissions.
pub async fn consent(browser: &Browser, allow: bool) -> Result<Page, BrowserError> {
    let button = if allow { "allow" } else { "deny" };
    browser.submit(Some(CONSENT_FORM), &[], Some(button)).await
}

/// Scans the QR code of the enrolment page into an authenticator and clicks Finish.
pub async fn enroll(browser: &Browser) -> Result<(Authenticator, Page), BrowserError> {
    let authenticator = browser.scan_qr_code(QR_IMAGE).await?;
    let page = browser.submit(Some(ENROLL_FORM), &[], None).await?;
    Ok((authenticator, page))
}

/// Types a one-time password.
pub async fn enter_code(browser: &Browser, code: &str) -> Result<Page, BrowserError> {
    browser
        .submit(Some(OTP_FORM), &[("otp_code", code)], None)
        .await
}

/// Answers every OP page from the browser's current one (password, enrolment into
/// `authenticator`, one-time password, consent: allow) until the browser is sent back and
/// stops on a page the OP did not ask with.
pub async fn complete_login(
    browser: &Browser,
    username: &str,
    password: &str,
    authenticator: &mut Option<Authenticator>,
    code: Code<'_>,
) -> Result<Page, BrowserError> {
    let mut page = browser.page()?;
    // Login, enrolment, code and consent, with room for a repeated login page.
    for _ in 0..8 {
        page = match Prompt::of(&page)? {
            Prompt::Login => log_in(browser, username, password).await?,
            Prompt::Enroll => {
                let (app, next) = enroll(browser).await?;
                *authenticator = Some(app);
                next
            }
            Prompt::Otp => {
                let app = authenticator.as_ref();
                let typed = match (code, app) {
                    (Code::Typed(c), _) => {
                        return enter_code(browser, c).await;
                    }
                    (Code::At(now), Some(app)) => app.code_at(now()),
                    (Code::Now, Some(app)) => app.current_code(),
                    (_, None) => {
                        return Err(BrowserError::Otp(format!(
                            "{} asks for a one-time password, but no authenticator is enrolled",
                            page.url
                        )))
                    }
                };
                enter_code(browser, &typed).await?
            }
            Prompt::Consent => consent(browser, true).await?,
            Prompt::None => return Ok(page),
        };
    }
    Err(BrowserError::Page(format!(
        "the login did not finish; still at {} (status {})",
        page.url, page.status
    )))
}
