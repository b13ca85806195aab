//! `gatecheck run --html`: the report of a run with a passing, a failing and a skipped scenario
//! (`tests/fixtures/report.feature`), read back as a reader's browser would parse it, and (with
//! the fixture's browser steps in Chromium) opened from disk in headless Chromium.
//!
//! The Chromium test leaves its pictures of the report in `$GATECHECK_SCREENSHOTS` (default:
//! `report-screenshots/` in cargo's `CARGO_TARGET_TMPDIR`); `docs/report.png` is one of them.

#[allow(dead_code)] // the helpers for long-running children are not needed here
mod common;

use std::path::Path;

use scraper::{Html, Selector};

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&Selector::parse(css).unwrap()).collect()
}

fn text(e: &scraper::ElementRef<'_>) -> String {
    e.text().collect()
}

fn run(dir: &Path, reveal: bool) -> (std::process::Output, String) {
    run_with(dir, reveal, "scripted")
}

fn run_with(dir: &Path, reveal: bool, browser: &str) -> (std::process::Output, String) {
    let json = dir.join("run.json");
    let mut cmd = common::gatecheck();
    cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .arg("run")
        .arg("harness/tests/fixtures/report.feature")
        .arg("--html")
        .arg(dir.join("report"))
        .arg("--json")
        .arg(&json)
        .arg("--browser")
        .arg(browser);
    if reveal {
        cmd.arg("--reveal-secrets");
    }
    let out = cmd.output().unwrap();
    let json = std::fs::read_to_string(json).unwrap();
    (out, json)
}

#[test]
fn the_report_shows_counts_failures_steps_and_exchanges_with_secrets_masked() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, json) = run(tmp.path(), false);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("1 passed, 1 failed, 1 skipped"), "{stdout}");

    let dir = tmp.path().join("report");
    let index = Html::parse_document(&std::fs::read_to_string(dir.join("index.html")).unwrap());
    assert_eq!(text(&select(&index, "#count-passed")[0]), "1 passed");
    assert_eq!(text(&select(&index, "#count-failed")[0]), "1 failed");
    assert_eq!(text(&select(&index, "#count-skipped")[0]), "1 skipped");
    // The failure is at the top, with the step that failed and what happened instead.
    let failures = select(&index, ".failure");
    assert_eq!(failures.len(), 1);
    let failure = text(&failures[0]);
    assert!(
        failure.contains("Then the gateway answers 201"),
        "{failure}"
    );
    assert!(failure.contains("answered 200, not 201"), "{failure}");
    let rows = select(&index, "tr.scenario");
    let statuses: Vec<_> = rows
        .iter()
        .map(|r| r.value().attr("data-status").unwrap())
        .collect();
    assert_eq!(statuses, ["passed", "failed", "skipped"]);
    assert!(rows[2]
        .value()
        .attr("data-tags")
        .unwrap()
        .contains("allow.skipped"));
    // Self-contained: no external script, style or image.
    assert!(select(&index, "script[src], link[rel=stylesheet], img[src^=http]").is_empty());

    let page = std::fs::read_to_string(dir.join("feature-1.html")).unwrap();
    let doc = Html::parse_document(&page);
    // Only the report's own script runs: the recorded <script> is text.
    assert_eq!(select(&doc, "script").len(), 1);
    assert!(
        select(&doc, "pre.response-body")
            .iter()
            .any(|b| text(b).contains("<script>alert(1)</script>")),
        "the echoed script is shown as text"
    );
    // Exchanges sit under the step that made them.
    let steps = select(&doc, ".step");
    let login = steps
        .iter()
        .find(|s| s.value().attr("data-step").unwrap().contains("logs in as"))
        .unwrap();
    let posts: Vec<_> = login
        .select(&Selector::parse("details.exchange[data-method=POST]").unwrap())
        .collect();
    assert_eq!(posts.len(), 1, "one login POST under the login step");
    let post = text(&posts[0]);
    assert!(post.contains("password=[masked]"), "{post}");
    assert!(!post.contains("password=secret"), "{post}");
    assert!(post.contains("copy as curl"));
    let opening = steps
        .iter()
        .find(|s| s.value().attr("data-step").unwrap().contains("opens \"/\""))
        .unwrap();
    assert!(
        !select_in(opening, "pre.chain").is_empty(),
        "the redirect chain of the opening"
    );
    let token = steps
        .iter()
        .find(|s| {
            s.value()
                .attr("data-step")
                .unwrap()
                .contains("client token")
        })
        .unwrap();
    let token_text = text(token);
    assert!(
        token_text.contains("\"client_secret\": \"[masked]\"")
            || token_text.contains("\"client_secret\":\"[masked]\""),
        "{token_text}"
    );
    assert!(
        token_text.contains("\"access_token\": \"[masked]\""),
        "{token_text}"
    );
    // The authorization header of the call is masked too, and cookies everywhere.
    assert!(
        page.contains("authorization: Bearer [masked]"),
        "bearer header masked"
    );
    assert!(!page.contains("gluu_openid_connect_session=ey") && !page.contains("op_session=ey"));

    // The Cucumber JSON carries the same exchanges as embeddings, masked.
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let embedded: Vec<String> = doc[0]["elements"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["embeddings"].as_array().cloned().unwrap_or_default())
        .filter(|e| e["mime_type"] == "application/json")
        .map(|e| {
            use base64::Engine;
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(e["data"].as_str().unwrap())
                    .unwrap(),
            )
            .unwrap()
        })
        .collect();
    assert!(
        embedded.iter().any(|e| e.contains("password=[masked]")),
        "{embedded:?}"
    );
    assert!(!embedded.iter().any(|e| e.contains("password=secret")));
}

fn select_in<'a>(e: &scraper::ElementRef<'a>, css: &str) -> Vec<scraper::ElementRef<'a>> {
    e.select(&Selector::parse(css).unwrap()).collect()
}

#[test]
fn reveal_secrets_shows_them() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, json) = run(tmp.path(), true);
    let page = std::fs::read_to_string(tmp.path().join("report/feature-1.html")).unwrap();
    assert!(page.contains("password=secret"));
    assert!(json.contains("application/json"));
}

/// What the live page says, as JSON, from a script run in it.
async fn eval(c: &fantoccini::Client, script: &str) -> serde_json::Value {
    c.execute(script, Vec::new()).await.unwrap()
}

const VISIBLE_ROWS: &str = "return [...document.querySelectorAll('tr.scenario')]\
    .filter(r => r.offsetParent !== null).map(r => r.dataset.status);";

#[tokio::test]
async fn the_report_in_headless_chromium_filters_and_shows_each_step_with_its_screenshots() {
    use fantoccini::Locator;
    use gatecheck_browser::chromium::Chromium;
    use serde_json::json;
    if let Some(missing) = Chromium::missing() {
        eprintln!("SKIPPED: the report in headless Chromium: {missing}");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (out, _) = run_with(tmp.path(), false, "chromium");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 passed, 1 failed, 1 skipped"), "{stdout}");
    let dir = tmp.path().join("report");

    let driver = Chromium::start().await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let c = driver.window(profile.path()).await.unwrap();
    let index = url::Url::from_file_path(dir.join("index.html")).unwrap();
    c.goto(index.as_str()).await.unwrap();
    let counts = eval(
        &c,
        "return ['passed', 'failed', 'skipped']\
        .map(s => document.getElementById('count-' + s).textContent);",
    )
    .await;
    assert_eq!(counts, json!(["1 passed", "1 failed", "1 skipped"]));
    let failure = eval(&c, "return document.querySelector('.failure').textContent;").await;
    let failure = failure.as_str().unwrap();
    assert!(
        failure.contains("Then the gateway answers 201"),
        "{failure}"
    );
    assert!(failure.contains("answered 200, not 201"), "{failure}");

    // The filters: by status, by tag (a second click on a tag clears it).
    assert_eq!(
        eval(&c, VISIBLE_ROWS).await,
        json!(["passed", "failed", "skipped"])
    );
    let click = |css: &'static str| {
        let c = c.clone();
        async move {
            c.find(Locator::Css(css))
                .await
                .unwrap()
                .click()
                .await
                .unwrap()
        }
    };
    click("button[data-status=failed]").await;
    assert_eq!(eval(&c, VISIBLE_ROWS).await, json!(["failed"]));
    assert_eq!(
        eval(&c, "return document.getElementById('shown').textContent;").await,
        json!("1")
    );
    click("button[data-status=all]").await;
    click("button[data-tag='allow.skipped']").await;
    assert_eq!(eval(&c, VISIBLE_ROWS).await, json!(["skipped"]));
    click("button[data-tag='allow.skipped']").await;
    assert_eq!(
        eval(&c, VISIBLE_ROWS).await,
        json!(["passed", "failed", "skipped"])
    );
    let shots = screenshots_dir();
    std::fs::write(shots.join("index.png"), c.screenshot().await.unwrap()).unwrap();

    // The passing scenario's page, from its link.
    c.find(Locator::LinkText("The user logs in through the gateway"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let steps = eval(&c, "return [...document.querySelectorAll('.step')].map(s => ({
        step: s.dataset.step,
        pictures: [...s.querySelectorAll('.screenshot img')].map(i => i.complete && i.naturalWidth > 100),
        posts: s.querySelectorAll('details.exchange[data-method=POST]').length,
        chains: s.querySelectorAll('pre.chain').length,
        text: s.textContent }));").await;
    let steps = steps.as_array().unwrap();
    let step = |part: &str| {
        steps
            .iter()
            .find(|s| s["step"].as_str().unwrap().contains(part))
            .unwrap_or_else(|| panic!("no step with {part:?}: {steps:?}"))
    };
    let opening = step("opens \"/\"");
    assert!(opening["chains"].as_u64().unwrap() >= 1, "{opening}");
    let login = step("logs in as");
    assert_eq!(login["posts"], json!(1), "{login}");
    for s in [opening, login, step("allows the requested")] {
        let pictures = s["pictures"].as_array().unwrap();
        assert!(
            !pictures.is_empty() && pictures.iter().all(|p| p == &json!(true)),
            "every page the user saw is a picture under the step that got there: {s}"
        );
    }
    // A step that only looks at the page has no picture of its own.
    let sees = step("sees \"Welcome");
    assert_eq!(sees["pictures"], json!([]), "{sees}");
    let login_text = login["text"].as_str().unwrap();
    assert!(login_text.contains("password=[masked]"), "{login_text}");
    assert!(!login_text.contains("password=secret"), "{login_text}");
    // Cookies and the session's tokens are masked on the whole page.
    let page = eval(&c, "return document.body.textContent;").await;
    let page = page.as_str().unwrap();
    assert!(page.contains("cookie: "), "cookies are recorded");
    assert!(!page.contains("password=secret"));
    show_the_login_step(&c).await;
    std::fs::write(shots.join("feature.png"), c.screenshot().await.unwrap()).unwrap();

    // The failing scenario's recorded <script> is text, never a script of the report.
    c.goto(index.as_str()).await.unwrap();
    c.find(Locator::LinkText(
        "A token, a call whose answer contains a script, and a wrong expectation",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let scripts = eval(&c, "return [document.querySelectorAll('script').length,
        [...document.querySelectorAll('pre.response-body')].some(p => p.textContent.includes('<script>alert(1)</script>'))];").await;
    assert_eq!(scripts, json!([1, true]));
    assert!(c.get_alert_text().await.is_err(), "no alert opened");
    let token = eval(
        &c,
        "return [...document.querySelectorAll('.step')]\
        .find(s => s.dataset.step.includes('client token')).textContent;",
    )
    .await;
    let token = token.as_str().unwrap();
    assert!(token.contains("\"access_token\": \"[masked]\""), "{token}");
    c.close().await.unwrap();
}

/// Brings the login step into view: its redirect chain, its exchanges and the picture of the
/// page it ended on.
async fn show_the_login_step(c: &fantoccini::Client) {
    c.execute(
        "const step = [...document.querySelectorAll('.step')]
             .find(s => s.dataset.step.includes('logs in as'));
         step.scrollIntoView();",
        Vec::new(),
    )
    .await
    .unwrap();
}

fn screenshots_dir() -> std::path::PathBuf {
    let dir = std::env::var_os("GATECHECK_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(concat!(env!("CARGO_TARGET_TMPDIR"), "/report-screenshots"))
        });
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
