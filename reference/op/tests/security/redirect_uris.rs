//! Redirect URI matching: only the exact registered string is accepted; every near miss gets an
//! error page and no `Location` at all (the OP must not redirect an error to an unverified URI).

use serde_json::json;

use crate::common::*;
use crate::report;

/// Near misses of `registered` that an attacker might hope the OP normalises.
fn near_misses(registered: &str) -> Vec<String> {
    let url = url::Url::parse(registered).unwrap();
    let scheme = url.scheme();
    let host = url.host_str().unwrap();
    let port = url.port();
    let path = url.path();
    let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
    let authority = match port {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    };
    let mut out = vec![
        // case
        format!("{}://{authority}{path}{query}", scheme.to_uppercase()),
        format!("{scheme}://{}{path}{query}", authority.to_uppercase()),
        format!("{scheme}://{authority}{}{query}", path.to_uppercase()),
        // trailing slash / dot segments / double slashes / backslashes
        format!("{scheme}://{authority}{path}/{query}"),
        format!("{scheme}://{authority}{path}/.{query}"),
        format!("{scheme}://{authority}/.{path}{query}"),
        format!(
            "{scheme}://{authority}{path}/../{}{query}",
            path.trim_start_matches('/')
        ),
        format!("{scheme}://{authority}/{path}{query}"),
        format!("{scheme}://{authority}{}{query}", path.replace('/', "\\")),
        format!("{scheme}:/{authority}{path}{query}"),
        format!("{scheme}:{authority}{path}{query}"),
        // encodings of the path
        format!(
            "{scheme}://{authority}{}{query}",
            path.replacen('/', "%2F", 1)
        ),
        format!("{scheme}://{authority}{}{query}", encode_last_char(path)),
        format!("{scheme}://{authority}{path}%00{query}"),
        format!("{scheme}://{authority}{path}%20{query}"),
        format!("{scheme}://{authority}{path}%0d%0aSet-Cookie:x=1{query}"),
        // userinfo and look-alike hosts
        format!("{scheme}://evil.example@{authority}{path}{query}"),
        format!("{scheme}://{authority}@evil.example{path}{query}"),
        format!("{scheme}://{authority}.evil.example{path}{query}"),
        format!("{scheme}://{host}evil.example{path}{query}"),
        format!("{scheme}://evil.example/{authority}{path}{query}"),
        format!("{scheme}://{authority}%40evil.example{path}{query}"),
        // ports
        format!("{scheme}://{host}:1{path}{query}"),
        format!("{scheme}://{host}:65535{path}{query}"),
        format!("{scheme}://{host}:0{path}{query}"),
        // fragments
        format!("{registered}#"),
        format!("{registered}#x"),
        format!("{registered}%23x"),
        // queries
        format!(
            "{registered}{}extra=1",
            if query.is_empty() { "?" } else { "&" }
        ),
        format!("{scheme}://{authority}{path}?"),
        format!("{scheme}://{authority}{path}{query}&"),
        // the scheme swapped, or a dangerous one
        format!(
            "{}://{authority}{path}{query}",
            if scheme == "https" { "http" } else { "https" }
        ),
        format!("javascript://{authority}{path}{query}"),
        "javascript:alert(1)".into(),
        format!("data:text/html,{registered}"),
        // whitespace around it
        format!(" {registered}"),
        format!("{registered} "),
        format!("{registered}\t"),
    ];
    if port.is_none() {
        let default = if scheme == "https" { 443 } else { 80 };
        out.push(format!("{scheme}://{host}:{default}{path}{query}"));
    }
    if !query.is_empty() {
        out.push(format!("{scheme}://{authority}{path}"));
        let reordered: Vec<&str> = query.trim_start_matches('?').split('&').rev().collect();
        out.push(format!(
            "{scheme}://{authority}{path}?{}",
            reordered.join("&")
        ));
        out.push(format!(
            "{scheme}://{authority}{path}{}",
            query.replace('=', "%3D")
        ));
    }
    out.retain(|u| u != registered);
    out.sort();
    out.dedup();
    out
}

fn encode_last_char(path: &str) -> String {
    let (head, last) = path.split_at(path.len() - 1);
    format!("{head}%{:02X}", last.as_bytes()[0])
}

#[tokio::test]
async fn only_the_exact_registered_redirect_uri_is_used() {
    let mut config = fixture_config();
    let mut rp = config.clients[0].clone();
    rp.client_id = "many-uris".into();
    rp.redirect_uris = vec![
        "https://rp.example.org/cb".into(),
        "https://rp.example.org:8443/app/cb?tenant=a&x=1".into(),
        "http://localhost:4400/callback".into(),
        "http://127.0.0.1:4400/callback".into(),
    ];
    config.clients.push(rp.clone());
    let op = TestOp::with_config(config).await;
    let client = http();
    let mut cases = 0;
    for registered in &rp.redirect_uris {
        // The exact URI starts a login (a redirect within the OP).
        let params = demo_params(&[("client_id", "many-uris"), ("redirect_uri", registered)]);
        let response = client
            .get(authorize_url(&op, &params))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302, "{registered}");
        let location = response.headers()["location"].to_str().unwrap();
        assert!(location.starts_with("/oxauth/interaction/"), "{location}");
        cases += 1;
        for candidate in near_misses(registered) {
            // An error in the request too (bad prompt): it must still not be redirected.
            for extra in [None, Some(("prompt", "bogus"))] {
                let mut params =
                    demo_params(&[("client_id", "many-uris"), ("redirect_uri", &candidate)]);
                params.extend(extra);
                let response = client
                    .get(authorize_url(&op, &params))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 400, "{candidate:?} was accepted");
                assert!(
                    response.headers().get("location").is_none(),
                    "{candidate:?}: redirected"
                );
                let page = response.text().await.unwrap();
                assert!(
                    page.contains("invalid_request_redirect_uri"),
                    "{candidate:?}: {page}"
                );
                cases += 1;
            }
        }
    }
    report("redirect URI matching", cases);
}

/// Scheme spellings of the never-allowed schemes.
fn dangerous_uris() -> Vec<String> {
    let mut out = Vec::new();
    for scheme in [
        "javascript",
        "data",
        "vbscript",
        "file",
        "about",
        "blob",
        "filesystem",
        "view-source",
    ] {
        for spelled in [
            scheme.to_owned(),
            scheme.to_uppercase(),
            format!("{}{}", &scheme[..1].to_uppercase(), &scheme[1..]),
        ] {
            for rest in [
                ":alert(1)",
                "://rp.example.org/cb",
                ":/%0aalert(1)",
                ":text/html,x",
            ] {
                out.push(format!("{spelled}{rest}"));
            }
        }
    }
    out
}

#[tokio::test]
async fn dangerous_schemes_never_register() {
    let op = TestOp::start().await;
    let mut cases = 0;
    for uri in dangerous_uris() {
        for app in ["web", "native"] {
            let (status, body) = register(
                &op,
                json!({"application_type": app, "redirect_uris": [&uri]}),
            )
            .await;
            // Either unparsable or refused: never registered.
            assert_eq!(status, 400, "{app} {uri}: {body}");
            assert_eq!(body["error"], "invalid_redirect_uri", "{app} {uri}");
            let (status, body) = register(
                &op,
                json!({"application_type": app, "redirect_uris": ["https://rp.example.org/cb"],
                       "post_logout_redirect_uris": [&uri]}),
            )
            .await;
            assert_eq!(status, 400, "{app} {uri}: {body}");
            assert_eq!(body["error"], "invalid_client_metadata", "{app} {uri}");
            cases += 2;
        }
        for field in ["redirect_uris", "post_logout_redirect_uris"] {
            let mut client = gatecheck_op::ClientConfig {
                client_id: "c".into(),
                client_secret: Some("s".into()),
                redirect_uris: vec!["https://rp.example.org/cb".into()],
                ..Default::default()
            };
            match field {
                "redirect_uris" => client.redirect_uris = vec![uri.clone()],
                _ => client.post_logout_redirect_uris = vec![uri.clone()],
            }
            let config = gatecheck_op::Config {
                keys: gatecheck_op::fixture_keys(),
                clients: vec![client],
                ..Default::default()
            };
            let err = format!("{:#}", config.validate().unwrap_err());
            assert!(
                err.contains(&format!("clients[0].{field}[0]")),
                "{uri}: {err}"
            );
            cases += 1;
        }
    }
    report("dangerous redirect URI schemes", cases);
}
