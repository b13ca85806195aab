//! `gatecheck up` and `gatecheck rqp` as a person or another test suite runs them.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};

mod common;
use common::{gatecheck, terminate, wait};

#[tokio::test]
async fn up_json_describes_the_stack_and_the_tutorial_curl_calls_work() {
    let mut child = gatecheck()
        .args(["up", "spontaneous-scope", "--ephemeral", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let d: Value = serde_json::from_str(&first)
        .unwrap_or_else(|e| panic!("first line is not JSON ({e}): {first:?}"));
    for key in [
        "op",
        "oxd",
        "gateway",
        "upstreams",
        "users",
        "clients",
        "routes",
    ] {
        assert!(d.get(key).is_some(), "missing {key}: {d}");
    }
    assert_eq!(
        d["users"][0],
        json!({"username": "admin", "password": "secret"})
    );
    let consumer = d["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "consumer")
        .unwrap()
        .clone();
    for key in ["client_id", "client_secret", "oxd_id"] {
        assert!(
            consumer[key].as_str().is_some_and(|s| !s.is_empty()),
            "{consumer}"
        );
    }
    assert!(d["routes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["service"] == "oauth-demo" && r["hosts"] == json!(["oauth-demo.example.com"])));

    // Seed 002's two curl calls with the printed values.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let token: Value = http
        .post(format!(
            "{}/get-client-token",
            d["oxd"]["url"].as_str().unwrap()
        ))
        .json(
            &json!({"client_id": consumer["client_id"], "client_secret": consumer["client_secret"],
                      "op_host": d["op"]["issuer"], "scope": ["transactions:123"]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = token["access_token"].as_str().unwrap();
    let resp = http
        .get(format!(
            "{}/transactions/123",
            d["gateway"]["proxy"].as_str().unwrap()
        ))
        .bearer_auth(access)
        .header("host", "oauth-demo.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["id"], 1);

    terminate(&child);
    let status = wait(&mut child, Duration::from_secs(15));
    assert!(status.success(), "{status}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(
        rest.contains("get-client-token"),
        "the guide lists the tutorial's calls: {rest}"
    );
    assert!(rest.contains(consumer["client_id"].as_str().unwrap()));
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.contains("shutting down"), "{err}");
}

#[test]
fn up_reports_a_port_in_use_and_an_unknown_scenario() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/spontaneous-scope.yml"),
    )
    .unwrap()
    .replace("../fixtures", fixtures.to_str().unwrap())
    .replace("proxy: 8000", &format!("proxy: {port}"))
    .replace("op: 8080", "op: 0")
    .replace("oxd: 8443", "oxd: 0")
    .replace("admin: 8001", "admin: 0")
    .replace("port: 3000", "port: 0")
    .replace("port: 3001", "port: 0");
    let file = std::env::temp_dir().join(format!("gatecheck-up-busy-{}.yml", std::process::id()));
    std::fs::write(&file, text).unwrap();
    let out = gatecheck()
        .args(["up", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "cannot listen on 127.0.0.1:{port} for the gateway proxy"
        )),
        "{err}"
    );

    let out = gatecheck().args(["up", "no-such-stack"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no scenario \"no-such-stack\""), "{err}");
    drop(busy);
}

#[test]
fn rqp_names_missing_settings_and_unreachable_servers() {
    let out = gatecheck().args(["rqp"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("setting consumer_client_id is required"),
        "{err}"
    );

    // Nothing listens on a port we just released: the token step fails with the URL named.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = gatecheck()
        .args([
            "rqp",
            "--oxd-server-url",
            &url,
            "--consumer-client-id",
            "c",
            "--consumer-client-secret",
            "s",
        ])
        .args([
            "--kong-proxy-url",
            &url,
            "--kong-route-host",
            "h",
            "--op-server",
            &url,
            "--timeout-secs",
            "2",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{url}/get-client-token")), "{err}");
}

#[test]
fn run_rejects_a_missing_feature_file_and_a_bad_tag_expression() {
    let out = gatecheck()
        .args(["run", "no/such.feature"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("no feature file or directory no/such.feature"));
    let out = gatecheck()
        .args(["run", "--tags", "@a and and"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad tag expression"));
}

#[test]
fn run_fails_on_a_failing_or_undefined_step_and_writes_reports() {
    let dir = std::env::temp_dir().join(format!("gatecheck-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let feature = dir.join("failing.feature");
    std::fs::write(
        &feature,
        "Feature: failing\n\n  Scenario: nothing was called\n    Then the gateway answers 200\n\n  \
         Scenario: an undefined step\n    Given a step nobody wrote\n\n  @wip\n  Scenario: skipped by default\n    Given a step nobody wrote\n",
    )
    .unwrap();
    let junit = dir.join("report.xml");
    let json = dir.join("report.json");
    let out = gatecheck()
        .args([
            "run",
            feature.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().last(),
        Some("0 passed, 2 failed"),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuites") && xml.contains("nothing was called"),
        "{xml}"
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report[0]["name"], "failing");

    // With --tags the @wip scenario is selected too.
    let out = gatecheck()
        .args(["run", feature.to_str().unwrap(), "--tags", "@wip"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().last(),
        Some("0 passed, 1 failed"),
        "{stdout}"
    );
}

#[test]
fn up_shuts_down_cleanly_on_sigterm_right_after_announcing_the_stack() {
    for scenario in ["stepped-up-otp", "combined"] {
        let mut child = gatecheck()
            .args(["up", scenario, "--ephemeral", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let d: Value = serde_json::from_str(&first).unwrap();
        assert!(
            d["clients"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["name"] == "website"),
            "{d}"
        );
        terminate(&child);
        let status = wait(&mut child, Duration::from_secs(15));
        assert!(status.success(), "{scenario}: {status}");
    }
}
