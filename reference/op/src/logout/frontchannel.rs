//! OpenID Connect Front-Channel Logout 1.0 (<https://openid.net/specs/openid-connect-frontchannel-1_0.html>):
//! the logged-out page renders one invisible iframe per participating client's
//! `frontchannel_logout_uri` (§3), with `iss` and `sid` appended when the client registered
//! `frontchannel_logout_session_required` (§2). When the logout goes back to the RP, a script
//! sends the browser to the `post_logout_redirect_uri` once the page, iframes included, has
//! loaded (the window's `load` event waits for them), and a link does the same without
//! JavaScript.
//!
//! The page's Content-Security-Policy allows exactly that script (by its hash) and frames from
//! the iframes' origins.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;

use crate::authorize::append_query;
use crate::clients::Client;
use crate::model::Session;
use crate::server::AppState;

/// The script of the logged-out page: on `load` (after every iframe loaded or failed), follow
/// the link to the RP.
pub const SCRIPT: &str = "window.addEventListener(\"load\", function () { var a = document.getElementById(\"post_logout_redirect\"); if (a) { window.location.replace(a.href); } });";

/// The iframe URL telling `client` that `session` ended, if it registered one.
pub fn frame_url(state: &AppState, client: &Client, session: &Session) -> Option<String> {
    let uri = client.frontchannel_logout_uri.as_ref()?;
    Some(if client.frontchannel_logout_session_required {
        append_query(uri, &[("iss", &state.issuer), ("sid", &session.sid)])
    } else {
        uri.clone()
    })
}

/// The logged-out page: one iframe per URL of `frames`, then on to `next` (the
/// `post_logout_redirect_uri` with `state`) when there is one.
pub fn page(state: &AppState, frames: &[String], next: Option<&str>) -> Response {
    let mut response = state.pages.render(
        StatusCode::OK,
        "logged_out.html",
        minijinja::context! { frames, next, script => SCRIPT },
    );
    let mut origins: Vec<String> = frames
        .iter()
        .filter_map(|f| url::Url::parse(f).ok())
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
        .collect();
    origins.sort();
    origins.dedup();
    let frame_src = if origins.is_empty() {
        "'none'".to_owned()
    } else {
        origins.join(" ")
    };
    let csp = format!(
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src '{}'; frame-src {frame_src}",
        crate::util::script_hash(SCRIPT)
    );
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
    use crate::acr::AcrMethod;
    use crate::model::AuthContext;

    fn session() -> Session {
        Session {
            sid: "sid&1".into(),
            logout_csrf: "x".into(),
            auth: AuthContext {
                sub: "u".into(),
                username: "admin".into(),
                acr: AcrMethod::parse("basic").expect("basic"),
                amr: vec![],
                auth_time: 0,
                sid: None,
            },
            browser_state: "b".into(),
            clients: vec![],
        }
    }

    fn client(session_required: bool) -> Client {
        Client::from_config(&crate::config::ClientConfig {
            client_id: "rp".into(),
            client_secret: Some("s".into()),
            redirect_uris: vec!["https://rp.example/cb".into()],
            frontchannel_logout_uri: Some("https://rp.example/fc?x=1".into()),
            frontchannel_logout_session_required: session_required,
            ..Default::default()
        })
        .expect("client")
    }

    #[test]
    fn iss_and_sid_are_appended_only_when_the_client_asks() {
        let state = crate::server::test_state();
        assert_eq!(
            frame_url(&state, &client(true), &session()).as_deref(),
            Some("https://rp.example/fc?x=1&iss=https%3A%2F%2Fop.example&sid=sid%261")
        );
        assert_eq!(
            frame_url(&state, &client(false), &session()).as_deref(),
            Some("https://rp.example/fc?x=1")
        );
        let mut none = client(true);
        none.frontchannel_logout_uri = None;
        assert_eq!(frame_url(&state, &none, &session()), None);
    }

    #[tokio::test]
    async fn the_page_frames_each_uri_and_links_on_with_a_script_the_csp_allows() {
        let state = crate::server::test_state();
        let frames = vec![
            "https://a.example/fc?iss=x&sid=1".to_owned(),
            "https://b.example:8443/fc".to_owned(),
        ];
        let response = page(&state, &frames, Some("https://a.example/bye?state=s\"<"));
        assert_eq!(response.status(), StatusCode::OK);
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("csp")
            .to_owned();
        assert!(
            csp.contains("frame-src https://a.example https://b.example:8443"),
            "{csp}"
        );
        assert!(csp.contains(&crate::util::script_hash(SCRIPT)), "{csp}");
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        let html = String::from_utf8_lossy(&body).into_owned();
        let parsed = gatecheck_browser::Page {
            url: url::Url::parse("https://op.example/").expect("url"),
            status: 200,
            headers: Default::default(),
            body: html.clone(),
            hops: Vec::new(),
        };
        let doc = parsed.html();
        let selector = scraper::Selector::parse("iframe.frontchannel_logout").expect("css");
        let srcs: Vec<&str> = doc
            .select(&selector)
            .filter_map(|f| f.value().attr("src"))
            .collect();
        assert_eq!(srcs, frames.iter().map(String::as_str).collect::<Vec<_>>());
        // The link is the value given, escaped in the HTML; the script is the exact text the
        // hash allows (not HTML-escaped).
        assert_eq!(
            parsed
                .attr_of("#post_logout_redirect", "href")
                .expect("css")
                .as_deref(),
            Some("https://a.example/bye?state=s\"<")
        );
        assert!(
            html.contains(&format!("<script>{SCRIPT}</script>")),
            "{html}"
        );
        let without = page(&state, &[], None);
        let csp = without.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("csp")
            .to_owned();
        assert!(csp.contains("frame-src 'none'"), "{csp}");
    }
}
