//! Redirect URI schemes (issue 10, point 9): `javascript:`, `data:`, `vbscript:`, `file:` and
//! any scheme the client's `application_type` does not allow are refused at registration and in
//! the config, for `redirect_uris` and `post_logout_redirect_uris`.

use serde_json::json;

use crate::common::*;

const DANGEROUS: &[&str] = &[
    "javascript:alert(document.domain)",
    "JavaScript://rp.example/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
];

#[tokio::test]
async fn dangerous_redirect_uris_are_refused_at_registration() {
    let op = TestOp::start().await;
    for app in ["web", "native"] {
        for uri in DANGEROUS {
            let (status, body) = register(
                &op,
                json!({"application_type": app, "redirect_uris": [uri]}),
            )
            .await;
            assert_eq!(status, 400, "{app} {uri}: {body}");
            assert_eq!(body["error"], "invalid_redirect_uri", "{app} {uri}");
            let (status, body) = register(
                &op,
                json!({"application_type": app,
                       "redirect_uris": ["https://rp.example.org/cb"],
                       "post_logout_redirect_uris": [uri]}),
            )
            .await;
            assert_eq!(status, 400, "{app} {uri}: {body}");
            assert_eq!(body["error"], "invalid_client_metadata", "{app} {uri}");
            let description = body["error_description"].as_str().unwrap();
            assert!(
                description.contains("post_logout_redirect_uris"),
                "{description}"
            );
        }
    }
}

#[tokio::test]
async fn schemes_follow_the_application_type() {
    let op = TestOp::start().await;
    let cases = [
        // web: https anywhere, http only on loopback (Gluu), nothing else
        ("web", "https://rp.example.org/cb", true),
        ("web", "http://localhost:4400/cb", true),
        ("web", "http://127.0.0.1:8000/cb", true),
        ("web", "http://[::1]:8000/cb", true),
        ("web", "http://rp.example.org/cb", false),
        ("web", "com.example.app:/cb", false),
        ("web", "ftp://rp.example.org/cb", false),
        // native (RFC 8252): reverse-domain private schemes, loopback http, https
        ("native", "com.example.app:/oauth2redirect", true),
        ("native", "http://127.0.0.1:51234/cb", true),
        ("native", "https://app.example.org/cb", true),
        ("native", "http://rp.example.org/cb", false),
        ("native", "myapp://cb", false),
    ];
    for (app, uri, allowed) in cases {
        let (status, body) = register(
            &op,
            json!({"application_type": app, "redirect_uris": [uri]}),
        )
        .await;
        let expected = if allowed { 201 } else { 400 };
        assert_eq!(status, expected, "{app} {uri}: {body}");
        if !allowed {
            assert_eq!(body["error"], "invalid_redirect_uri", "{app} {uri}");
        } else {
            assert_eq!(body["application_type"], app, "{body}");
        }
    }
    let (status, body) = register(
        &op,
        json!({"application_type": "desktop", "redirect_uris": ["https://rp/cb"]}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_client_metadata"))
    );
}

#[test]
fn dangerous_uris_in_the_config_are_refused_with_the_field_named() {
    for uri in DANGEROUS {
        for field in ["redirect_uris", "post_logout_redirect_uris"] {
            let yaml = format!(
                "clients:\n  - client_id: a\n    client_secret: b\n    redirect_uris: ['https://rp/cb']\n    {field}: ['{}']\n",
                uri.replace('\'', "''")
            );
            let yaml = if field == "redirect_uris" {
                yaml.replace("    redirect_uris: ['https://rp/cb']\n", "")
            } else {
                yaml
            };
            let err = format!(
                "{:#}",
                gatecheck_op::Config::from_yaml_str(&yaml).unwrap_err()
            );
            assert!(
                err.contains(&format!("clients[0].{field}[0]")),
                "{uri}: {err}"
            );
        }
    }
}
