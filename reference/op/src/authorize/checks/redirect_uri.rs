//! `redirect_uri` must be exactly one of the client's registered URIs. When it is omitted, the
//! client must have exactly one. Failures are shown on an error page, never redirected.

use super::{param, Params};
use crate::clients::Client;

/// The redirect URI to use and whether the request named it.
pub fn check(client: &Client, params: &Params) -> Result<(String, bool), String> {
    match param(params, "redirect_uri") {
        Some(uri) => {
            if client.redirect_uris.iter().any(|r| r == uri) {
                Ok((uri.to_owned(), true))
            } else {
                Err(format!(
                    "redirect_uri `{uri}` is not registered for client `{}`",
                    client.client_id
                ))
            }
        }
        None => match client.redirect_uris.as_slice() {
            [only] => Ok((only.clone(), false)),
            [] => Err("the client has no registered redirect_uri".into()),
            _ => Err("redirect_uri is required: the client registered several".into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientConfig;

    fn client(uris: &[&str]) -> Client {
        let mut config: ClientConfig =
            serde_yaml::from_str("client_id: c\nclient_secret: s\n").unwrap();
        config.redirect_uris = uris.iter().map(|s| s.to_string()).collect();
        Client::from_config(&config).unwrap()
    }

    fn params(uri: Option<&str>) -> Params {
        uri.map(|u| {
            [("redirect_uri".to_string(), u.to_string())]
                .into_iter()
                .collect()
        })
        .unwrap_or_default()
    }

    #[test]
    fn exact_match_only() {
        let c = client(&["https://rp/cb", "https://rp/cb?x=1"]);
        assert!(check(&c, &params(Some("https://rp/cb"))).is_ok());
        assert!(check(&c, &params(Some("https://rp/cb?x=1"))).is_ok());
        assert!(check(&c, &params(Some("https://rp/cb?x=2"))).is_err());
        assert!(check(&c, &params(Some("https://rp/cb/"))).is_err());
        assert!(check(&c, &params(Some("https://RP/cb"))).is_err());
        assert!(check(&c, &params(Some("https://rp/cb?x=1&y=2"))).is_err());
    }

    #[test]
    fn omitted_uri_needs_a_single_registration() {
        assert_eq!(
            check(&client(&["https://rp/cb"]), &params(None)).unwrap(),
            ("https://rp/cb".to_string(), false)
        );
        assert!(check(&client(&["https://a/cb", "https://b/cb"]), &params(None)).is_err());
    }
}
