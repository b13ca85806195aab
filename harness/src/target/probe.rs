//! `gatecheck target check FILE`: asks every component of a target file whether it answers, and
//! says what the features will find: the OP's endpoints and capabilities from discovery, the
//! gateway's version and plugins, and which capability tags will be skipped and why.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;

use super::containers::Containers;
use super::external::capabilities;
use super::file::TargetFile;
use super::{Capability, Discovery};

/// How long each probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the probes found.
#[derive(Debug, Clone)]
pub struct ProbeReport {
    /// The text `target check` prints.
    pub text: String,
    /// Whether every component answered.
    pub reachable: bool,
}

/// Probes every component of `file`, starting its containers first (and removing them after).
pub async fn probe(file: &TargetFile) -> anyhow::Result<ProbeReport> {
    let mut out = String::new();
    writeln!(out, "target {}", file.name())?;
    if file.containers.is_empty() {
        return probe_running(file, out).await;
    }
    let (started, containers) = Containers::start(file.clone()).await?;
    for (name, id) in containers.ids() {
        writeln!(out, "container {name}: {id}")?;
    }
    let report = probe_running(&started, out).await;
    containers.stop().await;
    report
}

async fn probe_running(file: &TargetFile, mut out: String) -> anyhow::Result<ProbeReport> {
    let http = reqwest::Client::builder()
        .timeout(PROBE_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let mut reachable = true;
    writeln!(
        out,
        "harness listeners: bind {}, reached by the target as {}",
        file.bind_address(),
        file.advertised_host()
    )?;

    writeln!(out, "OP {} ({:?})", file.op.issuer, file.op.product)?;
    let discovery = match Discovery::fetch(&http, &file.op.issuer).await {
        Ok(d) => {
            writeln!(out, "  discovery: {}", d.url)?;
            for field in [
                "authorization_endpoint",
                "token_endpoint",
                "userinfo_endpoint",
                "jwks_uri",
                "registration_endpoint",
                "revocation_endpoint",
                "introspection_endpoint",
                "end_session_endpoint",
            ] {
                let value = d.field(field).unwrap_or("(none)");
                writeln!(out, "  {field}: {value}")?;
            }
            for list in [
                "acr_values_supported",
                "scopes_supported",
                "grant_types_supported",
                "response_types_supported",
                "token_endpoint_auth_methods_supported",
                "code_challenge_methods_supported",
            ] {
                let value = d
                    .list(list)
                    .map(|l| l.join(" "))
                    .unwrap_or_else(|| "(not listed)".into());
                writeln!(out, "  {list}: {value}")?;
            }
            Some(d)
        }
        Err(e) => {
            reachable = false;
            writeln!(out, "  UNREACHABLE: {e:#}")?;
            None
        }
    };

    let mut plugins = None;
    if let Some(g) = &file.gateway {
        writeln!(out, "gateway ({:?})", g.product)?;
        reachable &= line(&mut out, &http, "proxy", &g.proxy, |_| None).await?;
        if let Some(admin) = &g.admin {
            let mode = if g.preconfigured {
                "read only: preconfigured"
            } else {
                "the harness adds each scenario's configuration and removes it afterwards"
            };
            reachable &= line(&mut out, &http, &format!("admin ({mode})"), admin, |v| {
                v.get("version")
                    .and_then(Value::as_str)
                    .map(|v| format!("version {v}"))
            })
            .await?;
            let url = format!("{}/plugins/enabled", admin.trim_end_matches('/'));
            match get_json(&http, &url).await {
                Ok(v) => {
                    let list: Vec<String> = v
                        .get("enabled_plugins")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default();
                    writeln!(out, "  enabled plugins: {}", list.join(" "))?;
                    plugins = Some(list);
                }
                Err(e) => {
                    reachable = false;
                    writeln!(out, "  enabled plugins: UNREADABLE: {e:#}")?;
                }
            }
        }
        if !g.plugins.is_empty() {
            writeln!(out, "  plugins (from the file): {}", g.plugins.join(" "))?;
        }
    }
    if let Some(oxd) = &file.oxd {
        let health = format!("{}/health-check", oxd.trim_end_matches('/'));
        writeln!(out, "oxd")?;
        reachable &= line(&mut out, &http, "health-check", &health, |v| {
            v.get("status")
                .and_then(Value::as_str)
                .map(|s| format!("status {s}"))
        })
        .await?;
    }
    if !file.upstreams.is_empty() {
        writeln!(out, "upstreams (as this machine reaches them)")?;
        for (name, url) in &file.upstreams {
            reachable &= line(&mut out, &http, name, url, |_| None).await?;
        }
    }
    writeln!(
        out,
        "users: {}",
        file.op
            .users
            .iter()
            .map(|u| format!("{} (plays {})", u.username, u.plays()))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    let clients: Vec<&str> = file.op.clients.keys().map(String::as_str).collect();
    writeln!(
        out,
        "clients: {}{}",
        clients.join(", "),
        if file.op.register {
            " (others are registered)"
        } else {
            ""
        }
    )?;

    match &discovery {
        Some(d) => {
            let caps = capabilities(file, d, plugins.as_deref());
            writeln!(out, "capabilities")?;
            for c in Capability::ALL {
                match caps.why_not(c) {
                    None => writeln!(out, "  yes @{}", c.tag())?,
                    Some(why) => writeln!(out, "  no  @{}: {why}", c.tag())?,
                }
            }
        }
        None => writeln!(out, "capabilities: unknown (no discovery document)")?,
    }
    Ok(ProbeReport {
        text: out,
        reachable,
    })
}

async fn get_json(http: &reqwest::Client, url: &str) -> anyhow::Result<Value> {
    let resp = http.get(url).send().await?;
    let status = resp.status();
    anyhow::ensure!(status.is_success(), "answered {status}");
    Ok(resp.json().await?)
}

/// Probes `url` with a GET; any HTTP answer means the component is there.
async fn line(
    out: &mut String,
    http: &reqwest::Client,
    what: &str,
    url: &str,
    detail: impl Fn(&Value) -> Option<String>,
) -> anyhow::Result<bool> {
    match http.get(url).send().await {
        Ok(resp) => {
            let status = resp.status();
            let body: Option<Value> = resp.json().await.ok();
            let extra = body
                .as_ref()
                .and_then(detail)
                .map(|d| format!(", {d}"))
                .unwrap_or_default();
            writeln!(out, "  {what}: {url} answers {status}{extra}")?;
            Ok(true)
        }
        Err(e) => {
            writeln!(out, "  {what}: {url} UNREACHABLE: {e}")?;
            Ok(false)
        }
    }
}
