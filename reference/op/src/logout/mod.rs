//! Telling relying parties that a user logged out, and letting them notice it themselves:
//!
//! - [`backchannel`]: OpenID Connect Back-Channel Logout 1.0. At logout the OP POSTs a signed
//!   logout token to the `backchannel_logout_uri` of every client that took part in the
//!   session, concurrently and each with a timeout (`logout.backchannel_timeout_ms`); a slow or
//!   failing RP is logged and the logout completes regardless.
//! - [`frontchannel`]: OpenID Connect Front-Channel Logout 1.0. The page that ends the logout
//!   loads each other participant's `frontchannel_logout_uri` in an iframe (with `iss` and
//!   `sid` when the client asked for them), then sends the browser on to the
//!   `post_logout_redirect_uri`.
//! - [`check_session`]: OpenID Connect Session Management 1.0. `session_state` in every
//!   authorization response and the `check_session_iframe` page answering an RP's
//!   `postMessage` with `changed` or `unchanged`.
//!
//! A client with both URIs is told by the back channel only (as Gluu does: the back channel
//! does not depend on the browser). [`metadata`] is the one place discovery takes the logout
//! fields from.

pub mod backchannel;
pub mod check_session;
pub mod frontchannel;

use serde_json::{json, Map, Value};
use tokio::task::JoinSet;

use crate::clients::Client;
use crate::model::Session;
use crate::protocol::ApplicationType;
use crate::server::{paths, AppState};

/// The logout and session-management fields of the discovery document: what this module
/// implements.
pub fn metadata(state: &AppState) -> Map<String, Value> {
    let fields = json!({
        "end_session_endpoint": state.url(paths::END_SESSION),
        "check_session_iframe": state.url(paths::CHECK_SESSION_IFRAME),
        // Front-channel iframes get iss and sid when a client registers
        // frontchannel_logout_session_required.
        "frontchannel_logout_supported": true,
        "frontchannel_logout_session_supported": true,
        // Logout tokens carry sid (and sub) always.
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
    });
    match fields {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Which of a logout URI's rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// `frontchannel_logout_uri`: loaded by the browser.
    Front,
    /// `backchannel_logout_uri`: POSTed to by the OP.
    Back,
}

/// Checks a client's logout URI; the error names the rule broken.
///
/// Both: an absolute http(s) URL without a fragment. Front channel (Front-Channel Logout 1.0
/// §2): "the domain, port, and scheme of this URL MUST be the same as that of a registered
/// Redirection URI". Back channel (Back-Channel Logout 1.0 §2.2): https, or http on a loopback
/// address (a local RP, as redirect URIs allow), unless `configured` (the operator's own
/// configuration may name any http URL).
pub fn check_uri(
    channel: Channel,
    uri: &str,
    redirect_uris: &[String],
    application_type: ApplicationType,
    configured: bool,
) -> Result<(), String> {
    let url = url::Url::parse(uri).map_err(|_| format!("`{uri}` is not an absolute URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{uri}` is not an http(s) URL"));
    }
    if url.fragment().is_some() {
        return Err(format!("`{uri}` has a fragment"));
    }
    match channel {
        Channel::Front => {
            let origin = url.origin();
            let matches = redirect_uris
                .iter()
                .filter_map(|r| url::Url::parse(r).ok())
                .any(|r| r.origin() == origin);
            if !matches {
                return Err(format!(
                    "`{uri}` must have the scheme, host and port of one of the redirect_uris"
                ));
            }
        }
        Channel::Back => {
            let http_ok = configured || crate::redirect_uris::is_loopback(&url);
            if url.scheme() == "http" && !http_ok {
                return Err(format!(
                    "`{uri}` must use https (http only on a loopback address{})",
                    if application_type == ApplicationType::Native {
                        ""
                    } else {
                        " for a local RP"
                    }
                ));
            }
        }
    }
    Ok(())
}

/// Tells the clients of the `ended` sessions: back-channel logout tokens are delivered (all at
/// once, each with its timeout) before this returns; the front-channel iframe URLs for the
/// logged-out page are returned.
pub async fn notify(state: &AppState, ended: &[Session]) -> Vec<String> {
    let now = state.now();
    let mut frames = Vec::new();
    let mut deliveries = JoinSet::new();
    for session in ended {
        for client_id in &session.clients {
            let Some(client) = state
                .storage
                .clients
                .get(client_id, now)
                .filter(|c| !c.disabled)
            else {
                continue;
            };
            if let Some(uri) = &client.backchannel_logout_uri {
                match backchannel::token(state, &client, session) {
                    Ok(token) => {
                        deliveries.spawn(backchannel::deliver(
                            state.http.clone(),
                            uri.clone(),
                            token,
                            backchannel::timeout(state),
                        ));
                    }
                    Err(e) => {
                        tracing::error!("logout token for {}: {e}", client.client_id);
                    }
                }
            } else if let Some(url) = frontchannel::frame_url(state, &client, session) {
                frames.push(url);
            }
        }
    }
    while let Some(done) = deliveries.join_next().await {
        if let Err(e) = done {
            tracing::error!("a back-channel logout delivery task failed: {e}");
        }
    }
    frames
}

/// The logout fields of a client for the registration response.
pub fn describe(client: &Client, body: &mut Map<String, Value>) {
    if let Some(uri) = &client.frontchannel_logout_uri {
        body.insert("frontchannel_logout_uri".into(), json!(uri));
        body.insert(
            "frontchannel_logout_session_required".into(),
            json!(client.frontchannel_logout_session_required),
        );
    }
    if let Some(uri) = &client.backchannel_logout_uri {
        body.insert("backchannel_logout_uri".into(), json!(uri));
        body.insert(
            "backchannel_logout_session_required".into(),
            json!(client.backchannel_logout_session_required),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redirects() -> Vec<String> {
        vec![
            "https://rp.example/cb".into(),
            "http://127.0.0.1:4400/cb".into(),
        ]
    }

    #[test]
    fn a_frontchannel_uri_shares_the_origin_of_a_redirect_uri() {
        let ok = |u: &str| check_uri(Channel::Front, u, &redirects(), ApplicationType::Web, false);
        assert!(ok("https://rp.example/frontchannel_logout?x=1").is_ok());
        assert!(ok("http://127.0.0.1:4400/frontchannel_logout").is_ok());
        for bad in [
            "https://other.example/logout",
            "http://rp.example/logout",
            "https://rp.example:8443/logout",
            "http://127.0.0.1:4401/logout",
            "https://rp.example/logout#frag",
            "javascript:alert(1)",
            "/relative",
        ] {
            assert!(ok(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_backchannel_uri_uses_https_or_loopback_http() {
        let ok = |u: &str, configured| {
            check_uri(
                Channel::Back,
                u,
                &redirects(),
                ApplicationType::Web,
                configured,
            )
        };
        assert!(ok("https://elsewhere.example/bc", false).is_ok());
        assert!(ok("http://127.0.0.1:9/bc", false).is_ok());
        assert!(ok("http://localhost/bc", false).is_ok());
        assert!(ok("http://rp.example/bc", false).is_err());
        assert!(ok("http://rp.example/bc", true).is_ok());
        assert!(ok("https://rp.example/bc#x", true).is_err());
        assert!(ok("ftp://rp.example/bc", true).is_err());
    }

    #[test]
    fn discovery_fields_name_the_endpoints() {
        let state = crate::server::test_state();
        let m = metadata(&state);
        assert_eq!(
            m["check_session_iframe"],
            "https://op.example/oxauth/opiframe.htm"
        );
        assert_eq!(
            m["end_session_endpoint"],
            "https://op.example/oxauth/restv1/end_session"
        );
        for flag in [
            "frontchannel_logout_supported",
            "frontchannel_logout_session_supported",
            "backchannel_logout_supported",
            "backchannel_logout_session_supported",
        ] {
            assert_eq!(m[flag], true, "{flag}");
        }
    }
}
