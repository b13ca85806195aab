//! The reference components run standalone (`gatecheck op|oxd|gateway|upstream`): each binds
//! the address it is given, announces its URL on stdout, serves, and exits cleanly on SIGTERM.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Stdio};
use std::time::Duration;

use serde_json::Value;

mod common;
use common::{gatecheck, terminate, wait};

/// Starts `gatecheck ARGS` with stdout piped for its announcement.
fn spawn(args: &[&str]) -> (Child, BufReader<ChildStdout>) {
    let mut child = gatecheck()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn gatecheck");
    let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    (child, stdout)
}

/// The first `http://` URL on the next stdout line (the announcement).
fn announced_url(stdout: &mut BufReader<ChildStdout>) -> String {
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read stdout");
    let start = line
        .find("http://")
        .unwrap_or_else(|| panic!("no URL announced: {line:?}"));
    line[start..]
        .split_whitespace()
        .next()
        .expect("a URL")
        .to_owned()
}

/// SIGTERM, then the process must exit successfully (a clean shutdown, not death by signal).
fn terminate_cleanly(mut child: Child) {
    terminate(&child);
    let status = wait(&mut child, Duration::from_secs(10));
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    assert!(status.success(), "exit {status:?}; stderr: {stderr}");
}

#[tokio::test]
async fn upstream_website_serves_the_tutorial_pages() {
    let (child, mut stdout) = spawn(&["upstream", "website", "--listen", "127.0.0.1:0"]);
    let url = announced_url(&mut stdout);
    let page = reqwest::get(format!("{url}/payments/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Payment Status"), "{page}");
    terminate_cleanly(child);
}

#[tokio::test]
async fn upstream_demo_api_and_echo_serve() {
    let (api, mut api_out) = spawn(&["upstream", "demo-api", "--listen", "127.0.0.1:0"]);
    let (echo, mut echo_out) = spawn(&["upstream", "echo", "--listen", "127.0.0.1:0"]);
    let api_url = announced_url(&mut api_out);
    let echo_url = announced_url(&mut echo_out);
    let client = reqwest::Client::new();
    let r = client
        .get(format!("{api_url}/transactions/123"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .post(format!("{echo_url}/anything/x?y=1"))
        .body("hello")
        .send()
        .await
        .unwrap();
    let seen: Value = r.json().await.unwrap();
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["body"], "hello");
    terminate_cleanly(api);
    terminate_cleanly(echo);
}

#[test]
fn upstream_rejects_an_unknown_app() {
    let out = gatecheck().args(["upstream", "shop"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("website"), "lists the apps: {err}");
}

#[tokio::test]
async fn op_serves_discovery_at_its_listen_address() {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/op/op.yml");
    let (child, mut stdout) = spawn(&["op", "--config", config, "--listen", "127.0.0.1:0"]);
    let issuer = announced_url(&mut stdout);
    let discovery: Value = reqwest::get(format!("{issuer}/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], issuer.as_str());
    terminate_cleanly(child);
}

#[tokio::test]
async fn oxd_and_gateway_serve_and_stop_on_sigterm() {
    let (oxd, mut oxd_out) = spawn(&["oxd", "--listen", "127.0.0.1:0"]);
    let (gateway, mut gw_out) = spawn(&[
        "gateway",
        "--proxy-listen",
        "127.0.0.1:0",
        "--admin-listen",
        "127.0.0.1:0",
    ]);
    let oxd_url = announced_url(&mut oxd_out);
    let proxy = announced_url(&mut gw_out);
    let admin = announced_url(&mut gw_out);
    let client = reqwest::Client::new();
    // oxd answers its API with its own error format, not a connection error.
    let r = client
        .post(format!("{oxd_url}/introspect-access-token"))
        .json(&serde_json::json!({"oxd_id": "x", "access_token": "y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // An empty gateway: Kong's no-route answer, and an empty service list.
    let r = client
        .get(format!("{proxy}/anything"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let services: Value = client
        .get(format!("{admin}/services"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(services["data"], serde_json::json!([]));
    terminate_cleanly(oxd);
    terminate_cleanly(gateway);
}

/// `THP_enabled:` of a process in /proc (Linux 5.0+), if the kernel reports it.
#[cfg(target_os = "linux")]
fn thp_enabled(pid: u32) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("THP_enabled:"))
        .map(|v| v.trim().to_owned())
}

#[cfg(target_os = "linux")]
#[test]
fn servers_run_without_transparent_huge_pages_unless_allowed() {
    // The stalls this avoids: harness/src/cmd/huge_pages.rs.
    let upstream = |allow: Option<&str>| {
        let mut command = gatecheck();
        command.args(["upstream", "echo", "--listen", "127.0.0.1:0"]);
        match allow {
            Some(v) => command.env("GATECHECK_ALLOW_THP", v),
            None => command.env_remove("GATECHECK_ALLOW_THP"),
        };
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn gatecheck");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        announced_url(&mut stdout);
        let thp = thp_enabled(child.id());
        terminate_cleanly(child);
        thp
    };
    let Some(default) = upstream(None) else {
        eprintln!("SKIPPED: this kernel's /proc/PID/status has no THP_enabled line");
        return;
    };
    assert_eq!(default, "0", "a server turns transparent huge pages off");
    assert_eq!(
        upstream(Some("1")).as_deref(),
        Some("1"),
        "GATECHECK_ALLOW_THP=1 keeps them"
    );
}
