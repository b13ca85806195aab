//! `gatecheck run --html`: the report of a run with a passing, a failing and a skipped scenario
//! (`tests/fixtures/report.feature`), read back as a reader's browser would parse it.

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
    let json = dir.join("run.json");
    let mut cmd = common::gatecheck();
    cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .arg("run")
        .arg("harness/tests/fixtures/report.feature")
        .arg("--html")
        .arg(dir.join("report"))
        .arg("--json")
        .arg(&json);
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
