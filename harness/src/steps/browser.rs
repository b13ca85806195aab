//! A person with a web browser: pages through the gateway, the OP's login, enrollment, OTP and
//! consent pages, and what the website shows.

use cucumber::{then, when};
use scraper::{Html, Selector};

use super::check;
use crate::browser::{driver, generic, Page};
use crate::target::OpProduct;
use crate::world::GateWorld;

/// Whether the OP's pages are gatecheck's own, driven by their ids and field names; any other
/// OP's pages are driven by [`generic`] (the form with a password input, the allow button).
fn own_pages(w: &GateWorld) -> anyhow::Result<bool> {
    Ok(w.target()?.op.product == OpProduct::Gatecheck)
}

fn page(w: &GateWorld) -> anyhow::Result<Page> {
    Ok(w.browser
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the browser has not opened anything yet"))?
        .page()?)
}

fn describe(p: &Page) -> String {
    let text: String = p.text().chars().take(400).collect();
    format!(
        "{} {} ({}): {text}",
        p.status,
        p.url,
        p.heading().unwrap_or_default()
    )
}

#[when(expr = "the browser opens {string} through the gateway")]
async fn open_through_gateway(w: &mut GateWorld, path: String) -> anyhow::Result<()> {
    let url = format!("{}{}", w.target()?.proxy_url()?, path);
    w.browser()?.open(&url).await?;
    Ok(())
}

#[when(expr = "a new browser opens {string} through the gateway")]
async fn new_browser_opens(w: &mut GateWorld, path: String) -> anyhow::Result<()> {
    w.browser = Some(w.new_browser()?);
    open_through_gateway(w, path).await
}

#[when(expr = "the user clicks {string}")]
async fn click(w: &mut GateWorld, link: String) -> anyhow::Result<()> {
    w.browser()?.click_link(&link).await?;
    Ok(())
}

#[then(expr = "the gateway redirects the browser to the OP with {string}")]
async fn redirected_to_op_with(w: &mut GateWorld, param: String) -> anyhow::Result<()> {
    let (key, value) = param
        .split_once('=')
        .ok_or_else(|| anyhow::anyhow!("expected name=value, got {param:?}"))?;
    let authorize = w
        .target()?
        .op
        .discovery
        .authorization_endpoint()?
        .to_owned();
    let b = w.browser()?;
    let hops = b.last_navigation();
    let hop = hops
        .iter()
        .filter_map(|h| h.location.as_ref())
        .find(|l| l.as_str().starts_with(&authorize))
        .ok_or_else(|| {
            let all: Vec<String> = hops
                .iter()
                .map(|h| format!("{} {} -> {}", h.method, h.url, h.status))
                .collect();
            anyhow::anyhow!("no redirect to {authorize}; hops: {}", all.join("; "))
        })?;
    let found = hop
        .query_pairs()
        .any(|(k, v)| k == key && v.split(' ').any(|x| x == value));
    check!(found, "the redirect to the OP has no {key}={value}: {hop}");
    Ok(())
}

#[then("the browser was not sent to the OP")]
async fn not_sent_to_op(w: &mut GateWorld) -> anyhow::Result<()> {
    let authorize = w
        .target()?
        .op
        .discovery
        .authorization_endpoint()?
        .to_owned();
    let b = w.browser()?;
    let to_op: Vec<_> = b
        .last_navigation()
        .iter()
        .filter(|h| h.url.as_str().starts_with(&authorize))
        .map(|h| h.url.to_string())
        .collect();
    check!(to_op.is_empty(), "the browser went to the OP: {to_op:?}");
    Ok(())
}

#[then("the OP asks for a username and password")]
async fn asks_for_password(w: &mut GateWorld) -> anyhow::Result<()> {
    let p = page(w)?;
    let asks = if own_pages(w)? {
        p.form(Some(driver::LOGIN_FORM)).is_ok()
    } else {
        matches!(generic::ask(&p)?, generic::Ask::Login { .. })
    };
    check!(asks, "no login form: {}", describe(&p));
    Ok(())
}

#[when(expr = "the user logs in as {string} with password {string}")]
async fn log_in(w: &mut GateWorld, user: String, password: String) -> anyhow::Result<()> {
    let (username, typed) = w.target()?.login(&user, &password)?;
    let own = own_pages(w)?;
    w.logged_in_as = Some(user);
    if own {
        driver::log_in(w.browser()?, &username, &typed).await?;
    } else {
        generic::log_in(w.browser()?, &username, &typed).await?;
    }
    Ok(())
}

#[then(expr = "the OP asks to allow {string}")]
async fn asks_consent(w: &mut GateWorld, scopes: String) -> anyhow::Result<()> {
    let p = page(w)?;
    if !own_pages(w)? {
        // Other OPs name scopes in their own words ("User profile"): the consent form is what
        // every product shows.
        check!(
            matches!(generic::ask(&p)?, generic::Ask::Consent { .. }),
            "no consent form: {}",
            describe(&p)
        );
        return Ok(());
    }
    check!(
        p.form(Some(driver::CONSENT_FORM)).is_ok(),
        "no consent form: {}",
        describe(&p)
    );
    let listed = p.text_of("#scopes")?.unwrap_or_default();
    for scope in scopes.split_whitespace() {
        check!(
            listed.split_whitespace().any(|s| s == scope),
            "consent does not list {scope}: {listed}"
        );
    }
    Ok(())
}

#[when("the user allows the requested permissions")]
async fn allow(w: &mut GateWorld) -> anyhow::Result<()> {
    consent(w, true).await
}

async fn consent(w: &mut GateWorld, allow: bool) -> anyhow::Result<()> {
    if own_pages(w)? {
        driver::consent(w.browser()?, allow).await?;
    } else {
        generic::consent(w.browser()?, allow).await?;
    }
    Ok(())
}

#[when("the user denies the requested permissions")]
async fn deny(w: &mut GateWorld) -> anyhow::Result<()> {
    consent(w, false).await
}

#[then("the OP asks the user to enroll an authenticator")]
async fn asks_enrollment(w: &mut GateWorld) -> anyhow::Result<()> {
    let p = page(w)?;
    check!(
        p.form(Some(driver::ENROLL_FORM)).is_ok(),
        "no enrollment form: {}",
        describe(&p)
    );
    check!(
        p.attr_of(driver::QR_IMAGE, "src")?.is_some(),
        "no QR code image: {}",
        describe(&p)
    );
    Ok(())
}

#[when("the user enrolls an authenticator from the QR code")]
async fn enroll(w: &mut GateWorld) -> anyhow::Result<()> {
    let (auth, _) = driver::enroll(w.browser()?).await?;
    w.authenticator = Some(auth);
    Ok(())
}

#[then(expr = "the authenticator is enrolled for {string} by {string}")]
async fn enrolled_for(w: &mut GateWorld, user: String, issuer: String) -> anyhow::Result<()> {
    let auth = w
        .authenticator
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("no authenticator enrolled"))?;
    check!(
        auth.account() == user,
        "enrolled account is {:?}",
        auth.account()
    );
    check!(
        auth.issuer() == Some(issuer.as_str()),
        "enrolled issuer is {:?}",
        auth.issuer()
    );
    Ok(())
}

#[then("the OP asks for a one-time password")]
async fn asks_otp(w: &mut GateWorld) -> anyhow::Result<()> {
    let p = page(w)?;
    let asks = if own_pages(w)? {
        p.form(Some(driver::OTP_FORM)).is_ok()
    } else {
        matches!(generic::ask(&p)?, generic::Ask::Otp { .. })
    };
    check!(asks, "no one-time password form: {}", describe(&p));
    Ok(())
}

async fn enter_code(w: &mut GateWorld, code: String) -> anyhow::Result<()> {
    w.last_otp = Some(code.clone());
    if own_pages(w)? {
        driver::enter_code(w.browser()?, &code).await?;
    } else {
        generic::enter_code(w.browser()?, &code).await?;
    }
    Ok(())
}

/// The authenticator enrolled in this scenario or, for a target user enrolled beforehand
/// (`otp_secret` in the target file), that user's.
fn authenticator(w: &mut GateWorld) -> anyhow::Result<&crate::browser::Authenticator> {
    if w.authenticator.is_none() {
        let known = match &w.logged_in_as {
            Some(name) => w
                .target()?
                .user(name)?
                .otp_secret
                .as_deref()
                .map(|secret| crate::target::authenticator_for(name, secret))
                .transpose()?,
            None => None,
        };
        w.authenticator = known;
    }
    w.authenticator.as_ref().ok_or_else(|| {
        anyhow::anyhow!(
            "no authenticator has been enrolled in this scenario (a target file gives an \
             enrolled user's op.users[].otp_secret)"
        )
    })
}

#[when("the user enters the one-time password from the authenticator")]
async fn enter_otp(w: &mut GateWorld) -> anyhow::Result<()> {
    let code = authenticator(w)?.current_code();
    enter_code(w, code).await
}

#[when("the user enters a wrong one-time password")]
async fn enter_wrong_otp(w: &mut GateWorld) -> anyhow::Result<()> {
    let code = authenticator(w)?.wrong_code();
    enter_code(w, code).await
}

#[when("the user enters the same one-time password again")]
async fn replay_otp(w: &mut GateWorld) -> anyhow::Result<()> {
    let code = w
        .last_otp
        .clone()
        .ok_or_else(|| anyhow::anyhow!("no one-time password was entered before"))?;
    enter_code(w, code).await
}

#[then(expr = "the OP says {string}")]
async fn op_says(w: &mut GateWorld, message: String) -> anyhow::Result<()> {
    let p = page(w)?;
    let product = w.target()?.op.product;
    if !product.gluu_messages() {
        // Another product words it its own way: what every OP shows is an error on the page
        // that asks again.
        let error = generic::error_text(&p)?;
        check!(
            error.is_some() && !matches!(generic::ask(&p)?, generic::Ask::Nothing),
            "the OP shows no error on a form (expected one like {message:?}); page: {}",
            describe(&p)
        );
        return Ok(());
    }
    let error = if own_pages(w)? {
        p.text_of(driver::ERROR)?.unwrap_or_default()
    } else {
        generic::error_text(&p)?.unwrap_or_default()
    };
    check!(
        error.contains(&message),
        "the OP's error is {error:?}; page: {}",
        describe(&p)
    );
    Ok(())
}

#[then(expr = "the browser sees {string}")]
async fn sees(w: &mut GateWorld, text: String) -> anyhow::Result<()> {
    let p = page(w)?;
    check!(
        p.text().contains(&text),
        "{text:?} is not on the page: {}",
        describe(&p)
    );
    Ok(())
}

#[then(expr = "the browser does not see {string}")]
async fn does_not_see(w: &mut GateWorld, text: String) -> anyhow::Result<()> {
    let p = page(w)?;
    check!(
        !p.text().contains(&text),
        "{text:?} is on the page: {}",
        describe(&p)
    );
    Ok(())
}

#[then(expr = "the browser is on the website's {string} page")]
async fn on_page(w: &mut GateWorld, path: String) -> anyhow::Result<()> {
    let proxy = w.target()?.proxy_url()?.to_owned();
    let p = page(w)?;
    check!(p.status == 200, "status {}: {}", p.status, describe(&p));
    check!(
        p.url.as_str() == format!("{proxy}{path}"),
        "the browser is at {}, not {proxy}{path}",
        p.url
    );
    Ok(())
}

#[then(expr = "the browser gets {int} with the message {string}")]
async fn gets_message(w: &mut GateWorld, status: u16, message: String) -> anyhow::Result<()> {
    let p = page(w)?;
    check!(
        p.status == status,
        "status is {}, not {status}: {}",
        p.status,
        describe(&p)
    );
    let json: serde_json::Value = serde_json::from_str(&p.body)
        .map_err(|e| anyhow::anyhow!("body is not JSON ({e}): {}", p.body))?;
    let got = json
        .get("message")
        .and_then(|m| m.as_str())
        .unwrap_or_default();
    check!(
        got.contains(&message),
        "message is {got:?}, expected {message:?}"
    );
    Ok(())
}

/// The identity panel of the demo website: (header name, raw value) pairs.
fn identity(p: &Page) -> anyhow::Result<Vec<(String, String)>> {
    let html = Html::parse_document(&p.body);
    let dt = Selector::parse("#identity dt").map_err(|e| anyhow::anyhow!("{e}"))?;
    let dd = Selector::parse("#identity dd pre.raw").map_err(|e| anyhow::anyhow!("{e}"))?;
    let names = html
        .select(&dt)
        .map(|e| e.text().collect::<String>().trim().to_owned());
    let values = html.select(&dd).map(|e| e.text().collect::<String>());
    Ok(names.zip(values).collect())
}

#[then(expr = "the website received the header {string} with {string}")]
async fn website_header(w: &mut GateWorld, name: String, value: String) -> anyhow::Result<()> {
    let value = w.target()?.translate_claim(&value);
    let p = page(w)?;
    let ids = identity(&p)?;
    let got = ids.iter().find(|(n, _)| n.eq_ignore_ascii_case(&name));
    check!(
        got.is_some_and(|(_, v)| v == &value),
        "the website's identity panel shows {got:?} for {name}; all: {ids:?}"
    );
    Ok(())
}

#[then(expr = "the website received the header {string}")]
async fn website_header_present(w: &mut GateWorld, name: String) -> anyhow::Result<()> {
    let p = page(w)?;
    let ids = identity(&p)?;
    check!(
        ids.iter()
            .any(|(n, v)| n.eq_ignore_ascii_case(&name) && !v.is_empty()),
        "the website did not receive {name}; identity panel: {ids:?}"
    );
    Ok(())
}

#[when(expr = "the page's script fetches {string} through the gateway asking for JSON")]
async fn fetch_json(w: &mut GateWorld, path: String) -> anyhow::Result<()> {
    let url = format!("{}{}", w.target()?.proxy_url()?, path);
    let b = w.browser()?;
    b.set_header("accept", "application/json")?;
    let result = b.open(&url).await.map(|_| ());
    b.set_header("accept", crate::browser::BROWSER_ACCEPT)?;
    Ok(result?)
}

#[then(expr = "the browser gets {int} with a {string} header containing {string}")]
async fn gets_header(
    w: &mut GateWorld,
    status: u16,
    name: String,
    text: String,
) -> anyhow::Result<()> {
    let p = page(w)?;
    check!(
        p.status == status,
        "status is {}, not {status}: {}",
        p.status,
        describe(&p)
    );
    let value = p
        .headers
        .get(name.as_str())
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    check!(
        value.contains(&text),
        "{name} is {value:?}; expected it to contain {text:?}"
    );
    Ok(())
}
