//! What a run did, for people: the HTML report (`gatecheck run --html DIR`) and the exchanges
//! and screenshots added to the Cucumber JSON as embeddings.
//!
//! [`collect::Collector`] is a cucumber writer that keeps the features, scenarios and steps with
//! their outcomes and timings; the runner's after hook hands it each scenario's records
//! ([`collect::keep_records`]); [`html::write`] renders the report and [`embed_into_json`] adds
//! the records to a Cucumber JSON file, masked like the report.

pub mod collect;
pub mod html;
pub mod mask;

use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::browser::record::{Exchange, Record};
use collect::RunReport;

/// Adds every step's records to the Cucumber JSON file at `path` as embeddings: exchanges as
/// `application/json` (secrets masked unless `reveal`), screenshots as `image/png`.
pub fn embed_into_json(report: &RunReport, path: &Path, reveal: bool) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut doc: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not Cucumber JSON", path.display()))?;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    for feature in doc.as_array_mut().into_iter().flatten() {
        let uri = feature["uri"].as_str().unwrap_or_default().to_owned();
        let Some(f) = report
            .features
            .iter()
            .find(|f| uri.ends_with(&f.path) || f.path.ends_with(&uri))
        else {
            continue;
        };
        for element in feature["elements"].as_array_mut().into_iter().flatten() {
            let line = element["line"].as_u64().unwrap_or_default() as usize;
            let Some(s) = f.scenarios.iter().find(|s| s.line == line) else {
                continue;
            };
            let mut masker = mask::Masker::default();
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
            for step in element["steps"].as_array_mut().into_iter().flatten() {
                let line = step["line"].as_u64().unwrap_or_default() as usize;
                let Some(st) = s.steps.iter().find(|st| st.line == line) else {
                    continue;
                };
                let mut embeddings = Vec::new();
                for r in &st.records {
                    embeddings.push(match r {
                        Record::Exchange(e) => {
                            let e = if reveal { e.clone() } else { masked(e, &masker) };
                            json!({"mime_type": "application/json", "name": format!("{} {}", e.method, e.url),
                                   "data": b64(&serde_json::to_string(&e)?)})
                        }
                        Record::Screenshot(shot) => {
                            json!({"mime_type": "image/png", "name": shot.url, "data": shot.png_base64})
                        }
                    });
                }
                if embeddings.is_empty() {
                    continue;
                }
                match step.get_mut("embeddings").and_then(Value::as_array_mut) {
                    Some(existing) => existing.extend(embeddings),
                    None => step["embeddings"] = Value::Array(embeddings),
                }
            }
        }
    }
    std::fs::write(path, serde_json::to_string(&doc)?)
        .with_context(|| format!("cannot write {}", path.display()))
}

fn masked(e: &Exchange, m: &mask::Masker) -> Exchange {
    let headers = |hs: &[(String, String)]| {
        hs.iter()
            .map(|(n, v)| (n.clone(), m.header(n, v)))
            .collect()
    };
    Exchange {
        url: m.url(&e.url),
        request_headers: headers(&e.request_headers),
        request_body: e.request_body.as_deref().map(|b| m.body(b)),
        response_headers: headers(&e.response_headers),
        response_body: e.response_body.as_deref().map(|b| m.body(b)),
        ..e.clone()
    }
}
