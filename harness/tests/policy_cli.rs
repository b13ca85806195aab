//! `gatecheck policy check|eval` as a user runs them: exit codes, output lines, bad input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Value};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/policy")
        .join(name)
}

/// A document in a file of its own (tests run in parallel).
fn temp_document(text: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "gatecheck-policy-cli-{}-{}.json",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, text).unwrap();
    path
}

fn gatecheck_bytes(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatecheck"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn gatecheck(args: &[&str], stdin: &str) -> Output {
    gatecheck_bytes(args, stdin.as_bytes())
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn eval_args(expression: &Path) -> Vec<String> {
    vec![
        "policy".into(),
        "eval".into(),
        "--expression".into(),
        expression.to_str().unwrap().into(),
    ]
}

fn run_eval(expression: &Path, extra: &[&str], stdin: &str) -> Output {
    let mut args = eval_args(expression);
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    gatecheck(&args, stdin)
}

#[test]
fn check_accepts_the_fixtures() {
    for name in ["transactions.json", "steppedup-acrs.json"] {
        let out = gatecheck(&["policy", "check", fixture(name).to_str().unwrap()], "");
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stdout(&out));
        assert_eq!(stdout(&out), "ok\n", "{name}");
    }
}

#[test]
fn check_prints_lint_warnings_after_ok() {
    let doc = temp_document(
        r#"[{"path": "/path/??", "conditions": [{"httpMethods": ["?"]}]},
            {"path": "/path/?/image.jpg", "conditions": [{"httpMethods": ["?"]}]},
            {"path": "/p/{abc|xyz}", "conditions": [{"httpMethods": ["?"]}]}]"#,
    );
    let out = gatecheck(&["policy", "check", doc.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "ok");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("warning: `/path/??`")
                && l.contains("GET /path/a/b matches no rule")),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("`{abc|xyz}`") && l.contains("not anchored")),
        "{text}"
    );
}

#[test]
fn check_rejects_with_the_gg_message_and_exit_2() {
    let doc = temp_document(r#"[{"path": "/a", "conditions": [{"httpMethods": []}]}]"#);
    let out = gatecheck(&["policy", "check", doc.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stdout(&out),
        "HTTP Methods are missing or empty from condition in expression\nat /0/conditions/0/httpMethods\n"
    );
    let doc = temp_document("[{\"path\": \"/a\",\n \"conditions\": ]");
    let out = gatecheck(&["policy", "check", doc.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).starts_with("Invalid JSON in expression: expected value at line 2"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn check_of_a_missing_file_exits_2() {
    let out = gatecheck(&["policy", "check", "/nonexistent/gatecheck.json"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).starts_with("cannot read /nonexistent/gatecheck.json"));
}

#[test]
fn eval_answers_every_request_line_in_order() {
    let requests = std::fs::read_to_string(fixture("requests.jsonl")).unwrap();
    let out = run_eval(&fixture("transactions.json"), &[], &requests);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let decisions: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(decisions.len(), requests.lines().count());
    assert_eq!(
        decisions[0],
        json!({"matched_path": "/transactions/?", "captures": ["123"], "allowed": true, "required_acrs": null, "no_auth": false})
    );
    assert_eq!(decisions[1]["allowed"], json!(false));
    assert_eq!(decisions[2]["matched_path"], Value::Null);
    // PC1 of the scope must equal the account id captured from the path.
    assert_eq!(decisions[3]["allowed"], json!(true));
    assert_eq!(decisions[4]["allowed"], json!(false));
    assert_eq!(decisions[7]["allowed"], json!(false));
    assert_eq!(decisions[8]["captures"], json!(["daily", "2024-05-01"]));
    assert_eq!(decisions[11]["allowed"], Value::Null);
}

#[test]
fn eval_reports_acr_requirements() {
    let input = "{\"method\":\"GET\",\"path\":\"/payments/\"}\n{\"method\":\"POST\",\"path\":\"/flights/\"}\n";
    let out = run_eval(&fixture("steppedup-acrs.json"), &[], input);
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["matched_path"], json!("/payments/??"));
    assert_eq!(lines[0]["required_acrs"], json!(["otp"]));
    assert_eq!(lines[0]["allowed"], Value::Null);
    assert_eq!(lines[1]["required_acrs"], json!(["auth_ldap_server"]));
}

#[test]
fn eval_explain_says_why() {
    let input =
        "{\"method\":\"GET\",\"path\":\"/transactions/9\",\"scopes\":[\"transactions:9\"]}\n";
    let out = run_eval(&fixture("transactions.json"), &["--explain"], input);
    assert_eq!(out.status.code(), Some(0));
    let d: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(
        d["explain"]["steps"][0],
        json!({"step": "method", "method": "GET", "node": "exact"})
    );
    assert_eq!(
        d["explain"]["scope"]["data"][0]["entry"],
        json!("^transactions:.+$")
    );
    assert_eq!(d["explain"]["scope"]["data"][0]["value"], json!(true));
    assert_eq!(d["explain"]["scope"]["value"], json!(true));
}

#[test]
fn eval_stops_at_a_bad_line_with_its_number_and_exit_2() {
    let input = "{\"method\":\"GET\",\"path\":\"/status\"}\n{\"path\":\"/status\"}\n{\"method\":\"GET\",\"path\":\"/status\"}\n";
    let out = run_eval(&fixture("transactions.json"), &[], input);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out).lines().count(), 1);
    assert!(
        stderr(&out).starts_with("line 2: invalid request: missing field `method`"),
        "{}",
        stderr(&out)
    );
    let out = run_eval(&fixture("transactions.json"), &[], "\u{0}garbage\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("line 1: malformed JSON"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn eval_with_an_invalid_expression_exits_2_before_reading() {
    let doc = temp_document(r#"[{"path": "x", "conditions": [{"httpMethods": ["GET"]}]}]"#);
    let out = run_eval(&doc, &[], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("must start with \"/\""),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn eval_rejects_input_that_is_not_utf8() {
    let args = eval_args(&fixture("transactions.json"));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = gatecheck_bytes(&args, b"{\"method\":\"\xff\"}\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("line 1: cannot read"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn eval_with_a_missing_expression_file_exits_2() {
    let out = run_eval(Path::new("/nonexistent/expression.json"), &[], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("cannot read /nonexistent/expression.json"),
        "{}",
        stderr(&out)
    );
}
