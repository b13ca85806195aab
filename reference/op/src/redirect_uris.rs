//! Which redirect URIs (and post-logout redirect URIs) a client may have, and which `Location`
//! the OP may send a browser to.
//!
//! Every URI must be absolute, without fragment (RFC 6749 §3.1.2) and without userinfo (a
//! `https://good.example@evil.example/` URI misleads whoever reads it). The schemes in
//! [`NEVER`] run code in, or read files of, the browser and are refused for every client. The
//! rest depends on the client's `application_type`:
//!
//! | application_type | allowed |
//! |---|---|
//! | `web` (default) | `https`; `http` only on loopback hosts (`localhost`, `127.0.0.0/8`, `[::1]`) |
//! | `native` | private-use schemes in reverse-domain form such as `com.example.app:/cb` (RFC 8252 §7.1), `http` on loopback (§7.3), `https` (§7.2) |
//!
//! A client registered dynamically gets exactly this policy (Gluu refuses non-loopback `http`
//! for web clients too). A client in the OP's config file is trusted a little more: its `http`
//! URIs may name any host, for demo networks without TLS.

use crate::protocol::ApplicationType;

/// Schemes never accepted as a redirect target, whatever the client.
pub const NEVER: &[&str] = &[
    "javascript",
    "data",
    "vbscript",
    "file",
    "about",
    "blob",
    "filesystem",
    "view-source",
];

/// Where a client's metadata comes from: how much its `http` URIs are trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The OP's config file, written by the operator.
    Config,
    /// Dynamic registration, by anyone.
    Registration,
}

pub(crate) fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Checks a redirect or post-logout redirect URI of a client; the error says what is wrong.
pub fn check(uri: &str, app: ApplicationType, origin: Origin) -> Result<url::Url, String> {
    let url = url::Url::parse(uri).map_err(|e| format!("`{uri}` is not an absolute URI ({e})"))?;
    let scheme = url.scheme();
    if NEVER.contains(&scheme) {
        return Err(format!(
            "`{uri}`: the `{scheme}:` scheme is never allowed for redirects"
        ));
    }
    if url.fragment().is_some() {
        return Err(format!("`{uri}` must not contain a fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("`{uri}` must not contain userinfo (`user@`)"));
    }
    let http_ok = is_loopback(&url) || origin == Origin::Config;
    let allowed = match (app, scheme) {
        (_, "https") => true,
        (_, "http") => http_ok,
        (ApplicationType::Web, _) => false,
        // RFC 8252 §7.1: a private-use scheme is the app's reverse domain name.
        (ApplicationType::Native, s) => s.contains('.'),
    };
    if allowed {
        return Ok(url);
    }
    Err(match app {
        ApplicationType::Web => format!(
            "`{uri}`: a web client's redirect URIs use https (http only on localhost or a loopback address)"
        ),
        ApplicationType::Native => format!(
            "`{uri}`: a native client's redirect URIs use a reverse-domain private scheme (com.example.app:/cb), http on a loopback address, or https"
        ),
    })
}

/// OpenID Connect Dynamic Client Registration §2 (`application_type`): a web client using the
/// implicit grant (tokens in the browser's address bar) registers only https redirect URIs, and
/// none on localhost.
pub fn check_for_implicit_web_client(url: &url::Url) -> Result<(), String> {
    if url.scheme() != "https" || is_loopback(url) {
        return Err(format!(
            "`{url}`: a web client using the implicit grant registers https redirect URIs, not on localhost"
        ));
    }
    Ok(())
}

/// Whether the OP may send a browser to `location`: a path on the OP itself, or an absolute URI
/// whose scheme is not in [`NEVER`]. The last line of defence behind the registration checks.
pub fn is_safe_location(location: &str) -> bool {
    if location.starts_with('/') && !location.starts_with("//") && !location.starts_with("/\\") {
        return true;
    }
    match url::Url::parse(location) {
        Ok(url) => !NEVER.contains(&url.scheme()),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implicit_web_clients_use_https_off_localhost() {
        let ok = |u: &str| check_for_implicit_web_client(&url::Url::parse(u).unwrap());
        assert!(ok("https://rp.example/cb").is_ok());
        for uri in [
            "http://rp.example/cb",
            "https://localhost/cb",
            "https://127.0.0.1/cb",
            "https://[::1]/cb",
        ] {
            assert!(ok(uri).is_err(), "{uri}");
        }
    }

    #[test]
    fn never_schemes_are_refused_for_every_client() {
        for app in [ApplicationType::Web, ApplicationType::Native] {
            for origin in [Origin::Config, Origin::Registration] {
                for uri in [
                    "javascript:alert(1)",
                    "JAVASCRIPT:alert(1)",
                    "data:text/html,x",
                    "vbscript:x",
                    "file:///etc/passwd",
                    "about:blank",
                ] {
                    let err = check(uri, app, origin).unwrap_err();
                    assert!(err.contains("never allowed"), "{uri}: {err}");
                }
            }
        }
    }

    #[test]
    fn http_needs_loopback_unless_configured() {
        let web = ApplicationType::Web;
        assert!(check("http://localhost:1/cb", web, Origin::Registration).is_ok());
        assert!(check("http://LOCALHOST/cb", web, Origin::Registration).is_ok());
        assert!(check("http://127.9.9.9/cb", web, Origin::Registration).is_ok());
        assert!(check("http://[::1]/cb", web, Origin::Registration).is_ok());
        assert!(check(
            "http://localhost.evil.example/cb",
            web,
            Origin::Registration
        )
        .is_err());
        assert!(check("http://10.0.0.1/cb", web, Origin::Registration).is_err());
        assert!(check("http://gw.lan/cb", web, Origin::Config).is_ok());
    }

    #[test]
    fn fragments_userinfo_and_relative_uris_are_refused() {
        let web = ApplicationType::Web;
        for uri in [
            "https://rp/cb#x",
            "https://rp/cb#",
            "https://good.example@evil.example/cb",
            "https://user:pw@rp/cb",
            "/relative",
            "//rp/cb",
        ] {
            assert!(check(uri, web, Origin::Config).is_err(), "{uri}");
        }
    }

    #[test]
    fn native_private_schemes_need_a_reverse_domain() {
        let native = ApplicationType::Native;
        assert!(check("com.example.app:/cb", native, Origin::Registration).is_ok());
        assert!(check("myapp://cb", native, Origin::Registration).is_err());
        assert!(check("com.example.app:/cb", ApplicationType::Web, Origin::Config).is_err());
    }

    #[test]
    fn locations() {
        assert!(is_safe_location("/oxauth/interaction/x"));
        assert!(is_safe_location("https://rp/cb?code=1"));
        assert!(is_safe_location("com.example.app:/cb?code=1"));
        assert!(!is_safe_location("javascript:alert(1)"));
        assert!(!is_safe_location("Data:text/html,x"));
        assert!(!is_safe_location("//evil.example/"));
        assert!(!is_safe_location("/\\evil.example/"));
        assert!(!is_safe_location("not a uri"));
    }
}
