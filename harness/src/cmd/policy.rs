//! `gatecheck policy`: check and evaluate expression documents.
//!
//! `check FILE` validates a document (exit 0, `ok` and lint warnings; exit 2 and the validation
//! message). `eval --expression FILE [--explain]` reads one request per line on stdin and writes
//! one decision per line on stdout, in order; a bad line stops with its line number and exit 2.

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gatecheck_policy::{Explanation, Expression, ValidationError};
use serde::{Deserialize, Serialize};

/// `gatecheck policy` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PolicyCommand {
    /// Validate an expression document: prints `ok` and lint warnings, or the validation message.
    Check {
        /// The expression document (JSON).
        file: PathBuf,
    },
    /// Evaluate requests against an expression document: reads JSON lines
    /// `{"method":"GET","path":"/x","scopes":["a"]}` on stdin, writes one decision per line.
    Eval {
        /// The expression document (JSON).
        #[arg(long)]
        expression: PathBuf,
        /// Add, per request, why: candidate nodes tried, each data entry's boolean, the rule's value.
        #[arg(long)]
        explain: bool,
    },
}

/// Exit status for invalid documents, invalid input lines and unreadable files.
const EXIT_INVALID: u8 = 2;

/// Runs a `gatecheck policy` subcommand.
pub fn run(command: PolicyCommand) -> ExitCode {
    match command {
        PolicyCommand::Check { file } => {
            let (ok, report) = match std::fs::read_to_string(&file) {
                Ok(text) => check_report(&text),
                Err(err) => (
                    false,
                    vec![format!("cannot read {}: {err}", file.display())],
                ),
            };
            let mut out = io::stdout().lock();
            for line in report {
                if writeln!(out, "{line}").is_err() {
                    break;
                }
            }
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_INVALID)
            }
        }
        PolicyCommand::Eval {
            expression,
            explain,
        } => {
            let expression = match load(&expression) {
                Ok(e) => e,
                Err(message) => {
                    eprintln!("{message}");
                    return ExitCode::from(EXIT_INVALID);
                }
            };
            let stdin = io::stdin().lock();
            let stdout = io::BufWriter::new(io::stdout().lock());
            match eval_stream(&expression, stdin, stdout, explain) {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("{message}");
                    ExitCode::from(EXIT_INVALID)
                }
            }
        }
    }
}

/// The validation message, with the offending item's JSON pointer when known.
fn describe(err: &ValidationError) -> Vec<String> {
    let mut lines = vec![err.message.clone()];
    if let Some(pointer) = err.pointer.as_deref().filter(|p| !p.is_empty()) {
        lines.push(format!("at {pointer}"));
    }
    lines
}

/// `check`'s verdict and output lines: `ok` plus `warning: ...` lines, or the validation message
/// (first line, verbatim) and `at <pointer>`.
pub fn check_report(text: &str) -> (bool, Vec<String>) {
    match Expression::parse(text) {
        Ok(expression) => {
            let mut lines = vec!["ok".to_owned()];
            lines.extend(
                expression
                    .lint()
                    .into_iter()
                    .map(|lint| format!("warning: {} (at {})", lint.message, lint.pointer)),
            );
            (true, lines)
        }
        Err(err) => (false, describe(&err)),
    }
}

fn load(path: &Path) -> Result<Expression, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    Expression::parse(&text)
        .map_err(|err| format!("{}: {}", path.display(), describe(&err).join(" ")))
}

/// One request line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    method: String,
    path: String,
    #[serde(default)]
    scopes: Option<Vec<String>>,
}

/// One decision line.
#[derive(Debug, Serialize)]
struct Decision {
    matched_path: Option<String>,
    captures: Vec<String>,
    allowed: Option<bool>,
    required_acrs: Option<Vec<String>>,
    no_auth: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    explain: Option<Explanation>,
}

/// Evaluates one input line (1-based `number` for messages) into one output line.
pub fn eval_line(
    expression: &Expression,
    number: usize,
    line: &str,
    explain: bool,
) -> Result<String, String> {
    let request: Request =
        serde_json::from_str(line).map_err(|err| format!("line {number}: {}", json_error(&err)))?;
    let scopes = request.scopes.unwrap_or_default();
    let (found, explanation) = if explain {
        let (found, why) = expression.explain(&request.method, &request.path, &scopes);
        (found, Some(why))
    } else {
        (expression.find(&request.method, &request.path), None)
    };
    let decision = match found {
        Some(m) => Decision {
            matched_path: Some(m.path.to_owned()),
            captures: m.captures.to_vec(),
            allowed: m
                .condition
                .scope_expression()
                .map(|s| s.is_allowed(&scopes, &m.captures)),
            required_acrs: m.condition.required_acrs().map(<[String]>::to_vec),
            no_auth: m.condition.no_auth(),
            explain: explanation,
        },
        None => Decision {
            matched_path: None,
            captures: Vec::new(),
            allowed: None,
            required_acrs: None,
            no_auth: false,
            explain: explanation,
        },
    };
    serde_json::to_string(&decision)
        .map_err(|err| format!("line {number}: cannot encode the decision: {err}"))
}

/// serde_json's message with its position inside the line (the line number is ours).
fn json_error(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let message = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(m, _)| m);
    match err.classify() {
        serde_json::error::Category::Data => {
            format!("invalid request: {message} (expected {{\"method\", \"path\", \"scopes\"?}})")
        }
        _ => format!("malformed JSON: {message} at column {}", err.column()),
    }
}

/// Evaluates every line of `input` (blank lines are skipped) and writes one line per request.
/// Stops at the first bad line with a message naming it.
pub fn eval_stream(
    expression: &Expression,
    input: impl BufRead,
    mut output: impl Write,
    explain: bool,
) -> Result<(), String> {
    let write_error = |err: io::Error| format!("cannot write the output: {err}");
    for (index, line) in input.lines().enumerate() {
        let number = index + 1;
        let line = line.map_err(|err| format!("line {number}: cannot read: {err}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let decision = eval_line(expression, number, &line, explain);
        let decision = match decision {
            Ok(d) => d,
            Err(message) => {
                output.flush().map_err(write_error)?;
                return Err(message);
            }
        };
        writeln!(output, "{decision}").map_err(write_error)?;
    }
    output.flush().map_err(write_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn transactions() -> Expression {
        Expression::from_value(&json!([
            {"path": "/transactions/?", "conditions": [{"httpMethods": ["GET", "POST"],
                "scope_expression": {"rule": {"and": [{"var": 0}]}, "data": ["^transactions:(?<PC1>.+)$"]}}]},
            {"path": "/status", "conditions": [{"httpMethods": ["GET"]}]},
            {"path": "/payments/??", "conditions": [{"httpMethods": ["PUT"], "required_acrs": ["otp"], "no_auth": true}]}
        ]))
        .unwrap()
    }

    fn eval(line: &str) -> Value {
        serde_json::from_str(&eval_line(&transactions(), 1, line, false).unwrap()).unwrap()
    }

    #[test]
    fn decisions_have_the_documented_shape_and_order() {
        let line = eval_line(
            &transactions(),
            1,
            r#"{"method":"GET","path":"/transactions/123","scopes":["transactions:123"]}"#,
            false,
        )
        .unwrap();
        assert_eq!(
            line,
            r#"{"matched_path":"/transactions/?","captures":["123"],"allowed":true,"required_acrs":null,"no_auth":false}"#
        );
    }

    #[test]
    fn allowed_is_false_null_or_true() {
        assert_eq!(
            eval(r#"{"method":"GET","path":"/transactions/123","scopes":["transactions:456"]}"#)
                ["allowed"],
            json!(false)
        );
        assert_eq!(
            eval(r#"{"method":"GET","path":"/transactions/123"}"#)["allowed"],
            json!(false)
        );
        assert_eq!(
            eval(r#"{"method":"GET","path":"/status","scopes":null}"#)["allowed"],
            Value::Null
        );
        let none = eval(r#"{"method":"DELETE","path":"/transactions/1"}"#);
        assert_eq!(
            none,
            json!({"matched_path": null, "captures": [], "allowed": null, "required_acrs": null, "no_auth": false})
        );
    }

    #[test]
    fn acr_conditions_are_reported() {
        let d = eval(r#"{"method":"PUT","path":"/payments/a/b"}"#);
        assert_eq!(d["required_acrs"], json!(["otp"]));
        assert_eq!(d["no_auth"], json!(true));
    }

    #[test]
    fn explain_adds_steps_and_scope_reasons() {
        let line = eval_line(
            &transactions(),
            1,
            r#"{"method":"GET","path":"/transactions/1","scopes":["transactions:1"]}"#,
            true,
        )
        .unwrap();
        let d: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(d["allowed"], json!(true));
        let why = &d["explain"];
        assert_eq!(why["matched_path"], json!("/transactions/?"));
        assert!(why["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["node"] == json!("?") && s["matched"] == json!(true)));
        assert_eq!(why["scope"]["data"][0]["value"], json!(true));
        assert_eq!(
            why["scope"]["data"][0]["matched_scope"],
            json!("transactions:1")
        );
        assert_eq!(why["scope"]["value"], json!(true));
    }

    #[test]
    fn bad_lines_name_the_line_and_the_problem() {
        let e = transactions();
        let err = eval_line(&e, 7, "{not json", false).unwrap_err();
        assert!(err.starts_with("line 7: malformed JSON"), "{err}");
        let err = eval_line(&e, 3, r#"{"path":"/x"}"#, false).unwrap_err();
        assert!(
            err.starts_with("line 3: invalid request: missing field `method`"),
            "{err}"
        );
        let err = eval_line(&e, 3, r#"{"method":"GET"}"#, false).unwrap_err();
        assert!(err.contains("missing field `path`"), "{err}");
        let err = eval_line(
            &e,
            4,
            r#"{"method":"GET","path":"/x","scope":["a"]}"#,
            false,
        )
        .unwrap_err();
        assert!(err.contains("unknown field `scope`"), "{err}");
        let err =
            eval_line(&e, 5, r#"{"method":"GET","path":"/x","scopes":"a"}"#, false).unwrap_err();
        assert!(err.starts_with("line 5: invalid request"), "{err}");
        let err = eval_line(&e, 6, "[]", false).unwrap_err();
        assert!(err.starts_with("line 6: invalid request"), "{err}");
    }

    #[test]
    fn stream_keeps_order_skips_blank_lines_and_stops_at_a_bad_line() {
        let input = "{\"method\":\"GET\",\"path\":\"/status\"}\n\n{\"method\":\"GET\",\"path\":\"/nope\"}\nbad\n{\"method\":\"GET\",\"path\":\"/status\"}\n";
        let mut out = Vec::new();
        let err = eval_stream(&transactions(), input.as_bytes(), &mut out, false).unwrap_err();
        assert!(err.starts_with("line 4: malformed JSON"), "{err}");
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].contains("\"/status\""));
        assert!(lines[1].starts_with("{\"matched_path\":null"));
    }

    #[test]
    fn check_reports_ok_lints_and_messages() {
        let (ok, lines) = check_report(
            r#"[{"path":"/x","conditions":[{"httpMethods":["?"]}]},{"path":"/x/??","conditions":[{"httpMethods":["?"]}]}]"#,
        );
        assert!(ok);
        assert_eq!(lines[0], "ok");
        assert!(
            lines[1].starts_with("warning: `/x` (any method) can never match"),
            "{lines:?}"
        );
        let (ok, lines) = check_report(
            r#"[{"path":"/x","conditions":[{"httpMethods":["GET"]}]},{"path":"/x","conditions":[{"httpMethods":["GET"]}]}]"#,
        );
        assert!(!ok);
        assert_eq!(
            lines,
            vec![
                "Duplicate path in expression".to_string(),
                "at /1/path".to_string()
            ]
        );
        let (ok, lines) = check_report("[");
        assert!(!ok);
        assert!(
            lines[0].starts_with("Invalid JSON in expression"),
            "{lines:?}"
        );
    }
}
