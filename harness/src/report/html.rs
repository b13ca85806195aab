//! The static HTML report: `index.html` (counts, failures first, every scenario with tags and a
//! filter) and one page per feature (its steps, and under each step the exchanges and
//! screenshots it caused). Built with minijinja; every value is escaped by the templates'
//! autoescaping, so a recorded body is always shown as text.

use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use serde::Serialize;

use super::collect::{RunReport, Status};
use super::mask::{jwts, DecodedJwt, Masker};
use crate::browser::record::{Exchange, Record};

const INDEX: &str = include_str!("templates/index.html");
const FEATURE: &str = include_str!("templates/feature.html");
const STYLE: &str = include_str!("templates/style.css");
const SCRIPT: &str = include_str!("templates/report.js");

/// How the report is written.
#[derive(Debug, Clone, Copy, Default)]
pub struct HtmlOptions {
    /// Show secrets as recorded instead of masking them.
    pub reveal_secrets: bool,
}

#[derive(Serialize)]
struct ExchangeView {
    source: String,
    method: String,
    url: String,
    status: Option<u16>,
    duration_ms: String,
    request_headers: Vec<(String, String)>,
    request_body: Option<String>,
    response_headers: Vec<(String, String)>,
    response_body: Option<String>,
    response_kind: &'static str,
    error: Option<String>,
    curl: String,
    jwts: Vec<DecodedJwt>,
    /// Set on the first exchange of a redirect chain with more than one hop.
    chain: Option<String>,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum RecordView {
    Exchange(Box<ExchangeView>),
    Screenshot { url: String, file: String },
}

#[derive(Serialize)]
struct StepView {
    keyword: String,
    text: String,
    status: String,
    duration_ms: String,
    error: Option<String>,
    docstring: Option<String>,
    records: Vec<RecordView>,
}

#[derive(Serialize)]
struct ScenarioView {
    name: String,
    anchor: String,
    feature: String,
    page: String,
    status: String,
    tags: Vec<String>,
    duration_ms: String,
    error: Option<String>,
    failed_step: Option<String>,
    steps: Vec<StepView>,
}

#[derive(Serialize)]
struct FeatureView {
    name: String,
    description: String,
    path: String,
    page: String,
    tags: Vec<String>,
    scenarios: Vec<ScenarioView>,
}

fn status(s: Option<Status>) -> String {
    match s {
        Some(Status::Passed) => "passed",
        Some(Status::Failed) => "failed",
        Some(Status::Skipped) | None => "skipped",
    }
    .to_owned()
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn curl(method: &str, url: &str, headers: &[(String, String)], body: Option<&str>) -> String {
    let mut cmd = format!("curl -i -X {method} {}", quote(url));
    for (n, v) in headers {
        // curl computes these itself.
        if matches!(n.as_str(), "content-length" | "host" | "accept-encoding") {
            continue;
        }
        cmd.push_str(&format!(" \\\n  -H {}", quote(&format!("{n}: {v}"))));
    }
    if let Some(b) = body.filter(|b| !b.is_empty()) {
        cmd.push_str(&format!(" \\\n  --data-raw {}", quote(b)));
    }
    cmd
}

fn pretty(body: &str, headers: &[(String, String)]) -> (String, &'static str) {
    let content_type = headers
        .iter()
        .find(|(n, _)| n == "content-type")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(body) {
        return (
            serde_json::to_string_pretty(&json).unwrap_or_else(|_| body.to_owned()),
            "json",
        );
    }
    let kind = if content_type.contains("html") || body.trim_start().starts_with('<') {
        "html"
    } else {
        "text"
    };
    (body.to_owned(), kind)
}

fn exchange_view(e: &Exchange, m: &Masker, reveal: bool) -> ExchangeView {
    let headers = |hs: &[(String, String)]| -> Vec<(String, String)> {
        hs.iter()
            .map(|(n, v)| {
                let v = if reveal { v.clone() } else { m.header(n, v) };
                (n.clone(), v)
            })
            .collect()
    };
    let body = |b: &Option<String>| -> Option<String> {
        b.as_ref()
            .map(|b| if reveal { b.clone() } else { m.body(b) })
    };
    let url = if reveal { e.url.clone() } else { m.url(&e.url) };
    let request_headers = headers(&e.request_headers);
    let request_body = body(&e.request_body);
    let response_headers = headers(&e.response_headers);
    let (response_body, response_kind) = match body(&e.response_body) {
        Some(b) => {
            let (b, kind) = pretty(&b, &response_headers);
            (Some(b), kind)
        }
        None => (None, "text"),
    };
    let mut found = jwts(&e.url, "url");
    for (n, v) in &e.request_headers {
        found.extend(jwts(v, &format!("request header {n}")));
    }
    found.extend(jwts(
        e.request_body.as_deref().unwrap_or(""),
        "request body",
    ));
    // An implicit or hybrid flow returns its ID token in the Location of a redirect.
    for (n, v) in &e.response_headers {
        found.extend(jwts(v, &format!("response header {n}")));
    }
    found.extend(jwts(
        e.response_body.as_deref().unwrap_or(""),
        "response body",
    ));
    if !reveal {
        for j in &mut found {
            j.raw = m.text(&j.raw);
        }
    }
    ExchangeView {
        source: e.source.clone(),
        method: e.method.clone(),
        curl: curl(&e.method, &url, &request_headers, request_body.as_deref()),
        url,
        status: e.status,
        duration_ms: format!("{:.1}", e.duration_ms),
        request_headers,
        request_body,
        response_headers,
        response_body,
        response_kind,
        error: e.error.clone(),
        jwts: found,
        chain: None,
    }
}

/// Writes the report into `dir` (created if needed); returns the index's path.
pub fn write(
    report: &RunReport,
    dir: &Path,
    options: HtmlOptions,
) -> anyhow::Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir.join("screenshots"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    let mut shots = 0usize;
    let mut features = Vec::new();
    for (fi, f) in report.features.iter().enumerate() {
        let page = format!("feature-{}.html", fi + 1);
        let mut scenarios = Vec::new();
        for (si, s) in f.scenarios.iter().enumerate() {
            let mut masker = Masker::default();
            let all: Vec<&Exchange> = s
                .steps
                .iter()
                .flat_map(|st| &st.records)
                .filter_map(|r| match r {
                    Record::Exchange(e) => Some(e),
                    Record::Screenshot(_) => None,
                })
                .collect();
            masker.learn(&all);
            let mut steps = Vec::new();
            for st in &s.steps {
                let mut records = Vec::new();
                for r in &st.records {
                    match r {
                        Record::Exchange(e) => {
                            let mut view = exchange_view(e, &masker, options.reveal_secrets);
                            if let Some(nav) = e.navigation {
                                let hops: Vec<&Exchange> = all
                                    .iter()
                                    .copied()
                                    .filter(|x| x.navigation == Some(nav))
                                    .collect();
                                if hops.len() > 1 && std::ptr::eq(hops[0], e) {
                                    let chain: Vec<String> = hops
                                        .iter()
                                        .map(|h| {
                                            format!(
                                                "{} {} → {}",
                                                h.method,
                                                if options.reveal_secrets {
                                                    h.url.clone()
                                                } else {
                                                    masker.url(&h.url)
                                                },
                                                h.status
                                                    .map(|s| s.to_string())
                                                    .unwrap_or_else(|| "error".into())
                                            )
                                        })
                                        .collect();
                                    view.chain = Some(chain.join("\n"));
                                }
                            }
                            records.push(RecordView::Exchange(Box::new(view)));
                        }
                        Record::Screenshot(shot) => {
                            shots += 1;
                            let file = format!("screenshots/{shots}.png");
                            let png = base64::engine::general_purpose::STANDARD
                                .decode(&shot.png_base64)
                                .context("a recorded screenshot is not base64")?;
                            std::fs::write(dir.join(&file), png)
                                .with_context(|| format!("cannot write {file}"))?;
                            records.push(RecordView::Screenshot {
                                url: if options.reveal_secrets {
                                    shot.url.clone()
                                } else {
                                    masker.url(&shot.url)
                                },
                                file,
                            });
                        }
                    }
                }
                steps.push(StepView {
                    keyword: st.keyword.trim().to_owned(),
                    text: st.text.clone(),
                    status: status(st.status),
                    duration_ms: format!("{:.1}", st.duration_ms),
                    error: st.error.as_ref().map(|e| {
                        if options.reveal_secrets {
                            e.clone()
                        } else {
                            masker.text(e)
                        }
                    }),
                    docstring: st.docstring.clone(),
                    records,
                });
            }
            let failed_step = s
                .steps
                .iter()
                .find(|st| st.status == Some(Status::Failed))
                .map(|st| format!("{}{}", st.keyword, st.text));
            let error = s
                .steps
                .iter()
                .find_map(|st| st.error.clone())
                .or_else(|| s.error.clone())
                .map(|e| {
                    if options.reveal_secrets {
                        e
                    } else {
                        masker.text(&e)
                    }
                });
            scenarios.push(ScenarioView {
                name: s.name.clone(),
                anchor: format!("s{}", si + 1),
                feature: f.name.clone(),
                page: page.clone(),
                status: status(Some(s.status)),
                tags: s.tags.clone(),
                duration_ms: format!("{:.0}", s.duration_ms),
                error,
                failed_step,
                steps,
            });
        }
        features.push(FeatureView {
            name: f.name.clone(),
            description: f.description.clone(),
            path: f.path.clone(),
            page,
            tags: f.tags.clone(),
            scenarios,
        });
    }
    let count = |st: &str| {
        features
            .iter()
            .flat_map(|f| &f.scenarios)
            .filter(|s| s.status == st)
            .count()
    };
    let (passed, failed, skipped) = (count("passed"), count("failed"), count("skipped"));
    let mut tags: Vec<String> = features
        .iter()
        .flat_map(|f| f.scenarios.iter().flat_map(|s| s.tags.clone()))
        .collect();
    tags.sort();
    tags.dedup();

    let mut env = minijinja::Environment::new();
    env.add_template("index.html", INDEX)?;
    env.add_template("feature.html", FEATURE)?;
    let failures: Vec<&ScenarioView> = features
        .iter()
        .flat_map(|f| &f.scenarios)
        .filter(|s| s.status == "failed")
        .collect();
    let common = minijinja::context! { style => STYLE, script => SCRIPT };
    let index = env.get_template("index.html")?.render(minijinja::context! {
        features => &features, failures, passed, failed, skipped, tags, reveal => options.reveal_secrets,
        ..common.clone()
    })?;
    let index_path = dir.join("index.html");
    std::fs::write(&index_path, index)
        .with_context(|| format!("cannot write {}", index_path.display()))?;
    let feature_template = env.get_template("feature.html")?;
    for f in &features {
        let html = feature_template.render(minijinja::context! {
            feature => f, reveal => options.reveal_secrets, ..common.clone()
        })?;
        std::fs::write(dir.join(&f.page), html)
            .with_context(|| format!("cannot write {}", f.page))?;
    }
    Ok(index_path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn exchange(response_headers: Vec<(String, String)>) -> Exchange {
        Exchange {
            source: "browser".into(),
            navigation: None,
            started_ms: 0.0,
            duration_ms: 1.0,
            method: "GET".into(),
            url: "https://op.example/authorize".into(),
            request_headers: Vec::new(),
            request_body: None,
            status: Some(302),
            response_headers,
            response_body: None,
            error: None,
        }
    }

    #[test]
    fn a_jwt_in_a_response_header_is_decoded_beside_the_exchange() {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let jwt = format!(
            "{}.{}.c2ln",
            b64(r#"{"alg":"RS256","kid":"k1"}"#),
            b64(r#"{"sub":"admin","nonce":"n-1"}"#)
        );
        let e = exchange(vec![(
            "location".into(),
            format!("https://rp.example/cb#id_token={jwt}&state=s"),
        )]);
        let view = exchange_view(&e, &Masker::default(), true);
        assert_eq!(view.jwts.len(), 1);
        assert_eq!(view.jwts[0].found_in, "response header location");
        assert!(view.jwts[0].claims.contains("\"nonce\": \"n-1\""));
        // Without a JWT in any header, nothing is decoded.
        let plain = exchange(vec![(
            "location".into(),
            "https://rp.example/cb?code=abc".into(),
        )]);
        assert!(exchange_view(&plain, &Masker::default(), true)
            .jwts
            .is_empty());
    }
}
