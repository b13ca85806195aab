//! The GUI in headless Chromium (Debian's `chromium` + `chromium-driver`, driven over WebDriver
//! with fantoccini): seeds 000's and 002's GUI steps with the script on (tag inputs turn Enter into chips),
//! a screenshot of each page. Skipped, with a message, when Chromium or chromedriver is missing.
//!
//! Screenshots go to `$GATECHECK_SCREENSHOTS` (default: `gui-screenshots/` in cargo's
//! `CARGO_TARGET_TMPDIR`, e.g. `target/tmp/gui-screenshots`).

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;
use fantoccini::Locator;
use gatecheck_browser::chromium::Chromium;
use serde_json::{json, Value};

/// chromedriver, started the project's one way; `None` (with a message) when it is not installed.
async fn chromedriver() -> Option<Chromium> {
    if let Some(missing) = Chromium::missing() {
        eprintln!("SKIPPED: headless Chromium GUI test: {missing}");
        return None;
    }
    Some(Chromium::start().await.expect("chromedriver starts"))
}

fn screenshots() -> PathBuf {
    let dir = std::env::var_os("GATECHECK_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_TARGET_TMPDIR"), "/gui-screenshots")));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn seed_002_in_headless_chromium_with_a_screenshot_of_each_page() {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let s = stack().await;
    let g = gui(s.config()).await;
    let profile = tempfile::tempdir().unwrap();
    let c = session(&driver, profile.path()).await;
    let dir = screenshots();
    let shot = |name: &'static str| {
        let c = c.clone();
        let dir = dir.clone();
        async move {
            let png = c.screenshot().await.unwrap();
            std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
        }
    };
    let base = g.url();
    let css = |s: &'static str| Locator::Css(s);

    c.goto(&format!("{base}/")).await.unwrap();
    shot("01-login").await;
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("#f-username"))
        .await
        .unwrap()
        .send_keys(USER)
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("#f-password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("#loginForm button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("#counts"))
        .await
        .unwrap();
    shot("02-dashboard").await;

    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::LinkText("SERVICES"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::LinkText("+ ADD NEW SERVICE"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("#f-name"))
        .await
        .unwrap()
        .send_keys("oauth-demo")
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("#f-url"))
        .await
        .unwrap()
        .send_keys("http://localhost:3000")
        .await
        .unwrap();
    shot("03-add-service").await;
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("button[value=save]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::LinkText("Routes"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    shot("04-service-routes").await;
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::LinkText("+ ADD ROUTE"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The script: Enter in the entry box makes a chip, no round trip.
    let hosts = c
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("#f-hosts"))
        .await
        .unwrap();
    hosts
        .send_keys("oauth-demo.example.com\u{E007}")
        .await
        .unwrap();
    let chip = c
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("input.chip[name=hosts]"))
        .await
        .unwrap();
    assert_eq!(
        chip.prop("value").await.unwrap().as_deref(),
        Some("oauth-demo.example.com")
    );
    assert!(
        c.current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/routes/new"),
        "no round trip"
    );
    shot("05-add-route").await;
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("button[value=save]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("#routes"))
        .await
        .unwrap();

    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::LinkText("Plugins"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::LinkText("+ ADD PLUGIN"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    shot("06-plugin-catalog").await;
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("#card-gluu-oauth-auth-pep a.plus"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("button[value='add-path:scope']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("#f-scope\\.0\\.path"))
        .await
        .unwrap()
        .send_keys("/transactions/?")
        .await
        .unwrap();
    for m in ["GET", "POST", "PUT"] {
        c.wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(&format!(
                "input[name='scope.0.0.methods'][value='{m}']"
            )))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("#f-scope\\.0\\.0\\.g\\.new"))
        .await
        .unwrap()
        .send_keys("^transactions:.+$\u{E007}")
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("input.chip[name='scope.0.0.g.0.s']"))
        .await
        .unwrap();
    shot("07-oauth-plugin-form").await;
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("button[value=save]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let flash = match c
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(css(".flash.success"))
        .await
    {
        Ok(f) => f.text().await.unwrap(),
        Err(e) => panic!("{e}: {}", c.source().await.unwrap_or_default()),
    };
    assert!(flash.contains("Gluu OAuth Auth & PEP added"), "{flash}");
    shot("08-service-plugins").await;

    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::LinkText("CONSUMERS"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::LinkText("+ CREATE CLIENT"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("#f-client_name"))
        .await
        .unwrap()
        .send_keys("consumer_op_client")
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("#f-spontaneous_scopes"))
        .await
        .unwrap()
        .send_keys("^transactions:.+$\u{E007}")
        .await
        .unwrap();
    shot("09-create-client").await;
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("button[value=save]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let client_id = c
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("#client_id"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    shot("10-client-created").await;
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::LinkText("+ CREATE CONSUMER"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("button[value=save]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(css("#consumers"))
        .await
        .unwrap();
    shot("11-consumers").await;
    c.close().await.unwrap();

    let consumers = s.admin_get("/consumers").await;
    assert_eq!(consumers["data"][0]["custom_id"], Value::String(client_id));
    let plugins = s.admin_get("/plugins").await;
    assert_eq!(plugins["data"].as_array().unwrap().len(), 2);
    drop(driver);
}

#[tokio::test]
async fn seed_000_in_headless_chromium_with_a_screenshot_of_each_page() {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let s = stack().await;
    let mut cfg = s.config();
    cfg.proxy_url = Some(url::Url::parse(&s.gateway.proxy_url()).unwrap());
    let g = gui(cfg).await;
    let profile = tempfile::tempdir().unwrap();
    let c = session(&driver, profile.path()).await;
    let dir = screenshots();
    let shot = |name: &'static str| {
        let c = c.clone();
        let dir = dir.clone();
        async move {
            let png = c.screenshot().await.unwrap();
            std::fs::write(dir.join(format!("seed-000-{name}.png")), png).unwrap();
        }
    };
    let find = |l: Locator<'static>| {
        let c = c.clone();
        async move {
            c.wait()
                .at_most(Duration::from_secs(15))
                .for_element(l)
                .await
                .unwrap()
        }
    };
    let base = g.url();
    c.goto(&format!("{base}/login")).await.unwrap();
    find(Locator::Css("#f-username"))
        .await
        .send_keys(USER)
        .await
        .unwrap();
    find(Locator::Css("#f-password"))
        .await
        .send_keys(PASSWORD)
        .await
        .unwrap();
    find(Locator::Css("#loginForm button[type=submit]"))
        .await
        .click()
        .await
        .unwrap();
    find(Locator::Css("#counts")).await;
    find(Locator::LinkText("SERVICES"))
        .await
        .click()
        .await
        .unwrap();
    find(Locator::LinkText("+ ADD NEW SERVICE"))
        .await
        .click()
        .await
        .unwrap();
    find(Locator::Css("#f-name"))
        .await
        .send_keys("oidc-steppedup-demo")
        .await
        .unwrap();
    find(Locator::Css("#f-url"))
        .await
        .send_keys("http://localhost:4400")
        .await
        .unwrap();
    find(Locator::Css("button[value=save]"))
        .await
        .click()
        .await
        .unwrap();
    find(Locator::LinkText("Routes"))
        .await
        .click()
        .await
        .unwrap();
    find(Locator::LinkText("+ ADD ROUTE"))
        .await
        .click()
        .await
        .unwrap();
    find(Locator::Css("#f-name"))
        .await
        .send_keys("oidc-steppedup-demo")
        .await
        .unwrap();
    find(Locator::Css("#f-hosts"))
        .await
        .send_keys("dev1.gluu.org\u{E007}")
        .await
        .unwrap();
    find(Locator::Css("input.chip[name=hosts]")).await;
    find(Locator::Css("button[value=save]"))
        .await
        .click()
        .await
        .unwrap();
    find(Locator::Css("#routes")).await;
    find(Locator::LinkText("ROUTES"))
        .await
        .click()
        .await
        .unwrap();
    shot("01-routes").await;
    find(Locator::LinkText("oidc-steppedup-demo"))
        .await
        .click()
        .await
        .unwrap();
    shot("02-route").await;
    find(Locator::LinkText("Plugins"))
        .await
        .click()
        .await
        .unwrap();
    find(Locator::LinkText("+ ADD PLUGIN"))
        .await
        .click()
        .await
        .unwrap();
    find(Locator::Css("#card-gluu-openid-connect a.plus"))
        .await
        .click()
        .await
        .unwrap();
    for (i, (path, acr)) in [("/payments/??", "otp"), ("/??", "auth_ldap_server")]
        .into_iter()
        .enumerate()
    {
        find(Locator::Css("button[value='add-path:acr']"))
            .await
            .click()
            .await
            .unwrap();
        let path_field = format!("#f-acr\\.{i}\\.path");
        let any = format!("input[name='acr.{i}.0.methods'][value='?']");
        let acrs = format!("#f-acr\\.{i}\\.0\\.acrs");
        c.wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(&path_field))
            .await
            .unwrap()
            .send_keys(path)
            .await
            .unwrap();
        c.wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(&any))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(&acrs))
            .await
            .unwrap()
            .send_keys(&format!("{acr}\u{E007}"))
            .await
            .unwrap();
    }
    shot("03-oidc-plugin-form").await;
    find(Locator::Css("button[value=save]"))
        .await
        .click()
        .await
        .unwrap();
    let flash = find(Locator::Css(".flash.success"))
        .await
        .text()
        .await
        .unwrap();
    assert!(flash.contains("Gluu OIDC & UMA PEP added"), "{flash}");
    shot("04-route-plugins").await;
    c.close().await.unwrap();
    let plugins = s.admin_get("/plugins").await;
    let doc: Value = serde_json::from_str(
        plugins["data"][0]["config"]["required_acrs_expression"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        doc,
        json!([
            {"path": "/payments/??", "conditions": [{"httpMethods": ["?"], "required_acrs": ["otp"], "no_auth": false}]},
            {"path": "/??", "conditions": [{"httpMethods": ["?"], "required_acrs": ["auth_ldap_server"], "no_auth": false}]}
        ])
    );
    drop(driver);
}

async fn session(driver: &Chromium, profile: &std::path::Path) -> fantoccini::Client {
    driver.window(profile).await.expect("a Chromium session")
}
