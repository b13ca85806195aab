//! OpenID Connect Session Management 1.0 (<https://openid.net/specs/openid-connect-session-1_0.html>).
//!
//! Every authorization response from a browser session carries `session_state` (§3):
//! `hex(SHA-256(client_id + " " + origin + " " + opbs + " " + salt)) + "." + salt`, where origin
//! is the redirect URI's origin, opbs the OP browser state (the session's `opbs` cookie,
//! [`crate::sessions::BROWSER_STATE_COOKIE`]) and salt a fresh random value. This is the
//! computation of the specification's example OP iframe (§4.2) and of Gluu's `opiframe`.
//!
//! The `check_session_iframe` page (`/oxauth/opiframe.htm`, Gluu's path; [`SCRIPT`]) answers an
//! RP iframe's `postMessage(client_id + " " + session_state)` by recomputing the value with the
//! message's origin and the `opbs` cookie as it is now: `unchanged` when equal, `changed`
//! otherwise (the user logged out, or logged in again: a new session has a new `opbs`), and
//! `error` for a message that is not of that form (§4.1). The answer goes only to the origin
//! that asked.
//!
//! The page is meant to be framed by any RP, so it is served without `X-Frame-Options`; its
//! Content-Security-Policy allows only its own script.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::Digest;

/// The iframe page's script (it reads the `opbs` cookie; see the module docs).
pub const SCRIPT: &str = r#"(function () {
  function browserState() {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (eq > 0 && parts[i].substring(0, eq) === "opbs") { return parts[i].substring(eq + 1); }
    }
    return "";
  }
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  window.addEventListener("message", function (e) {
    if (!e.source || !e.origin || e.origin === "null") { return; }
    function reply(answer) { e.source.postMessage(answer, e.origin); }
    var data = typeof e.data === "string" ? e.data : "";
    var space = data.lastIndexOf(" ");
    var sessionState = data.substring(space + 1);
    var dot = sessionState.lastIndexOf(".");
    if (space <= 0 || dot <= 0 || dot === sessionState.length - 1) { reply("error"); return; }
    var clientId = data.substring(0, space);
    var salt = sessionState.substring(dot + 1);
    var input = new TextEncoder().encode(clientId + " " + e.origin + " " + browserState() + " " + salt);
    crypto.subtle.digest("SHA-256", input).then(function (digest) {
      reply(hex(digest) + "." + salt === sessionState ? "unchanged" : "changed");
    }, function () { reply("error"); });
  });
})();"#;

/// `session_state` for `client_id` at `redirect_uri` in a session whose browser state is
/// `browser_state`.
pub fn session_state(
    client_id: &str,
    redirect_uri: &str,
    browser_state: &str,
    salt: &str,
) -> String {
    let origin = url::Url::parse(redirect_uri)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| "null".into());
    let digest = sha2::Sha256::digest(format!("{client_id} {origin} {browser_state} {salt}"));
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}.{salt}")
}

/// The page's HTML.
pub fn html() -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>OP session check</title></head>\n<body>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )
}

/// `GET /oxauth/opiframe.htm`.
pub async fn handler() -> Response {
    let csp = format!(
        "default-src 'none'; script-src '{}'",
        crate::util::script_hash(SCRIPT)
    );
    let mut response = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html(),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&csp) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_state_binds_client_origin_browser_state_and_salt() {
        let s = session_state("rp", "https://rp.example:8443/cb?x=1", "opbs1", "salt");
        // sha256("rp https://rp.example:8443 opbs1 salt")
        let digest = sha2::Sha256::digest(b"rp https://rp.example:8443 opbs1 salt");
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(s, format!("{hex}.salt"));
        // Same origin, other path: same value.
        assert_eq!(
            s,
            session_state("rp", "https://rp.example:8443/other", "opbs1", "salt")
        );
        for other in [
            session_state("rp2", "https://rp.example:8443/cb", "opbs1", "salt"),
            session_state("rp", "https://rp.example/cb", "opbs1", "salt"),
            session_state("rp", "https://rp.example:8443/cb", "opbs2", "salt"),
            session_state("rp", "https://rp.example:8443/cb", "opbs1", "salt2"),
        ] {
            assert_ne!(s, other);
        }
    }

    #[tokio::test]
    async fn the_page_may_be_framed_and_runs_only_its_script() {
        let response = handler().await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get(header::X_FRAME_OPTIONS).is_none());
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("csp")
            .to_owned();
        assert_eq!(
            csp,
            format!(
                "default-src 'none'; script-src '{}'",
                crate::util::script_hash(SCRIPT)
            )
        );
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        assert!(String::from_utf8_lossy(&body).contains(&format!("<script>{SCRIPT}</script>")));
    }

    /// Runs [`SCRIPT`] in Node.js with a stand-in `window` and `document.cookie` and posts it
    /// messages as an RP's iframe would; returns the answers in order.
    fn run_in_node(cookie: &str, messages: &[(serde_json::Value, &str)]) -> Option<Vec<String>> {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let program = format!(
            r#"
let listener;
globalThis.window = {{ addEventListener: (type, f) => {{ if (type === "message") listener = f; }} }};
globalThis.document = {{ cookie: {cookie} }};
{SCRIPT}
const ask = (data, origin) => new Promise((resolve, reject) => {{
  listener({{ data, origin, source: {{ postMessage: (answer, target) =>
    target === origin ? resolve(answer) : reject(new Error("answered " + target)) }} }});
}});
(async () => {{
  const answers = [];
  for (const [data, origin] of {messages}) answers.push(await ask(data, origin));
  console.log(JSON.stringify(answers));
}})().catch((e) => {{ console.error(e); process.exit(1); }});
"#,
            cookie = serde_json::Value::from(cookie),
            messages = serde_json::Value::from(
                messages
                    .iter()
                    .map(|(d, o)| serde_json::json!([d, o]))
                    .collect::<Vec<_>>()
            ),
        );
        let mut child = match Command::new("node")
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                println!("skipped: node (Node.js) is not installed ({e}); the check_session_iframe script needs a JavaScript engine");
                return None;
            }
        };
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(program.as_bytes())
            .expect("write program");
        let out = child.wait_with_output().expect("node ran");
        assert!(
            out.status.success(),
            "node failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(serde_json::from_slice(&out.stdout).expect("answers as JSON"))
    }

    #[test]
    fn the_iframe_script_answers_unchanged_changed_or_error() {
        let rp = "http://127.0.0.1:4400";
        let state = session_state("rp 1", &format!("{rp}/cb"), "bs-1", "salt1");
        let msg = |s: &str| serde_json::Value::from(format!("rp 1 {s}"));
        let Some(answers) = run_in_node(
            "session_id=whatever; opbs=bs-1; other=x",
            &[
                (msg(&state), rp),
                // The same value posted from another origin is another RP's question.
                (msg(&state), "https://evil.example"),
                (serde_json::Value::from(format!("rp2 {state}")), rp),
                (msg("no-salt"), rp),
                (msg("trailing."), rp),
                (serde_json::Value::from(state.clone()), rp),
                (serde_json::json!({"not": "a string"}), rp),
            ],
        ) else {
            return;
        };
        assert_eq!(
            answers,
            [
                "unchanged",
                "changed",
                "changed",
                "error",
                "error",
                "error",
                "error"
            ]
        );
        // After logout the cookie is gone (or a new session has another browser state).
        for cookie in ["", "opbs=bs-2", "session_id=x"] {
            let Some(answers) = run_in_node(cookie, &[(msg(&state), rp)]) else {
                return;
            };
            assert_eq!(answers, ["changed"], "cookie {cookie:?}");
        }
    }
}
