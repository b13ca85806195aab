//! The one place that decides which `sub` a client sees for a user (OIDC Core §8). Every token
//! and response that names the user to a client (ID tokens, userinfo, introspection, JWT access
//! tokens) takes its `sub` from [`subject_for`]; records inside the OP keep the user's own
//! (public) `sub`, so sessions, hints and logout compare like with like.
//!
//! Pairwise identifiers follow Gluu's two kinds (`pairwise.id_type`): `algorithmic`,
//! `base64url(HMAC-SHA256(key, sector + user sub + salt))`, or `persistent`, a random identifier
//! stored per sector and user. The sector (OIDC Core §8.1) is the host of the client's
//! `sector_identifier_uri` when it registered one, else the one host its redirect URIs share, so
//! clients of one sector see one `sub` and other sectors another. A `sector_identifier_uri` is
//! fetched and checked at registration ([`check_sector_identifier_uri`]): it must list every
//! redirect URI of the client, so that a client cannot join a sector whose owner did not list it
//! (OpenID Connect Dynamic Client Registration 1.0 §5).

use jsonwebtoken::{Algorithm, EncodingKey};

use crate::clients::Client;
use crate::config::PairwiseIdType;
use crate::protocol::SubjectType;
use crate::server::AppState;
use crate::storage::NEVER;
use crate::util::random_token;

/// The key and salt in use (configured, or drawn at start).
#[derive(Debug, Clone)]
pub struct PairwiseSecrets {
    key: EncodingKey,
    salt: String,
}

impl PairwiseSecrets {
    /// From the config, drawing what is not configured.
    pub fn new(config: &crate::config::PairwiseConfig) -> Self {
        let key = config.key.clone().unwrap_or_else(|| random_token(32));
        Self {
            key: EncodingKey::from_secret(key.as_bytes()),
            salt: config.salt.clone().unwrap_or_else(|| random_token(16)),
        }
    }
}

/// The sector of a pairwise client: the one host of its redirect URIs (OIDC Core §8.1 without a
/// `sector_identifier_uri`).
pub fn sector_of(redirect_uris: &[String]) -> Result<String, String> {
    let mut hosts = redirect_uris.iter().map(|uri| {
        url::Url::parse(uri)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .ok_or_else(|| format!("redirect URI `{uri}` has no host"))
    });
    let first = hosts
        .next()
        .ok_or("a pairwise client needs a redirect URI, whose host is its sector")??;
    for host in hosts {
        if host? != first {
            return Err(
                "a pairwise client's redirect URIs must share one host (its sector), \
                 or it registers a sector_identifier_uri"
                    .into(),
            );
        }
    }
    Ok(first)
}

/// The sector of a client: the host of its `sector_identifier_uri`, else [`sector_of`] its
/// redirect URIs (OIDC Core §8.1).
pub fn sector_for(client: &Client) -> Result<String, String> {
    match &client.sector_identifier_uri {
        Some(uri) => url::Url::parse(uri)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .ok_or_else(|| format!("sector_identifier_uri `{uri}` has no host")),
        None => sector_of(&client.redirect_uris),
    }
}

/// Checks a `sector_identifier_uri` before registration stores it: an https URL (or, with
/// `registration.sector_identifier_http_loopback`, http to a loopback host) that the OP fetches
/// once (the bounds of [`crate::fetch`]) and whose body is a JSON array of URIs listing every one
/// of `redirect_uris` (OpenID Connect Dynamic Client Registration 1.0 §5). The error names the
/// problem, for `invalid_client_metadata`.
pub async fn check_sector_identifier_uri(
    state: &AppState,
    uri: &str,
    redirect_uris: &[String],
) -> Result<(), String> {
    let loopback_http = state.config.registration.sector_identifier_http_loopback;
    let body = crate::fetch::get_https(
        &state.http,
        uri,
        crate::fetch::MAX_DOCUMENT_BYTES,
        loopback_http,
    )
    .await
    .map_err(|e| format!("sector_identifier_uri: {e}"))?;
    let listed: Vec<String> = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(serde_json::Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                serde_json::Value::String(s) if url::Url::parse(&s).is_ok() => Ok(s),
                other => Err(format!(
                    "sector_identifier_uri: the document lists {other}, which is not a URI"
                )),
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(format!(
                "sector_identifier_uri: {uri} is not a JSON array of redirect URIs"
            ))
        }
    };
    match redirect_uris.iter().find(|r| !listed.contains(r)) {
        Some(missing) => Err(format!(
            "sector_identifier_uri: {uri} does not list the redirect URI {missing}"
        )),
        None => Ok(()),
    }
}

/// The `sub` `client` sees for the user whose own `sub` is `user_sub`.
pub fn subject_for(state: &AppState, client: &Client, user_sub: &str) -> String {
    if client.subject_type == SubjectType::Public {
        return user_sub.to_owned();
    }
    // A pairwise client always has a sector (checked at configuration and registration); fall
    // back to the client id rather than leak the public sub.
    let sector = sector_for(client).unwrap_or_else(|_| client.client_id.clone());
    match state.config.pairwise.id_type {
        PairwiseIdType::Algorithmic => {
            let secrets = &state.pairwise;
            let message = format!("{sector}{user_sub}{}", secrets.salt);
            jsonwebtoken::crypto::sign(message.as_bytes(), &secrets.key, Algorithm::HS256)
                .unwrap_or_else(|e| {
                    // HS256 with a byte key cannot fail; never fall back to the public sub.
                    tracing::error!("pairwise HMAC failed: {e}");
                    random_token(32)
                })
        }
        PairwiseIdType::Persistent => {
            let key = format!("{sector}\n{user_sub}");
            // Atomic get-or-create: two first requests agree on one identifier.
            state
                .storage
                .pairwise_ids
                .modify(&key, state.now(), &mut |existing| {
                    existing.is_none().then(|| (random_token(16), NEVER))
                })
                .unwrap_or_else(|| random_token(32))
        }
    }
}

/// [`subject_for`] the client `client_id` (a token's client); a client that no longer exists
/// sees nothing linkable: a fresh random value.
pub fn subject_for_client_id(state: &AppState, client_id: &str, user_sub: &str) -> String {
    match state.storage.clients.get(client_id, state.now()) {
        Some(client) => subject_for(state, &client, user_sub),
        None => random_token(16),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sector_is_the_one_host() {
        let uris = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            sector_of(&uris(&[
                "https://rp.example/cb",
                "https://rp.example:8443/other"
            ])),
            Ok("rp.example".into())
        );
        assert!(sector_of(&uris(&["https://a.example/cb", "https://b.example/cb"])).is_err());
        assert!(sector_of(&[]).is_err());
        assert!(sector_of(&uris(&["com.example.app:/cb"])).is_err());
    }

    fn pairwise(id: &str, redirect: &str, sector_uri: Option<&str>) -> Client {
        let config = crate::config::ClientConfig {
            client_id: id.into(),
            redirect_uris: vec![redirect.into()],
            subject_type: SubjectType::Pairwise,
            ..Default::default()
        };
        let mut client = Client::from_config(&config).unwrap();
        client.sector_identifier_uri = sector_uri.map(str::to_owned);
        client
    }

    #[test]
    fn a_sector_identifier_uri_names_the_sector_of_clients_on_other_hosts() {
        let state = crate::server::test_state();
        let doc = Some("https://sector.example/redirects.json");
        let a = pairwise("a", "https://a.example/cb", doc);
        let b = pairwise("b", "https://b.example/cb", doc);
        let on_sector_host = pairwise("s", "https://sector.example/cb", None);
        let alone = pairwise("c", "https://a.example/cb", None);
        assert_eq!(sector_for(&a), Ok("sector.example".into()));
        let sub = subject_for(&state, &a, "admin");
        assert_eq!(sub, subject_for(&state, &b, "admin"), "one sector, one sub");
        assert_eq!(sub, subject_for(&state, &on_sector_host, "admin"));
        assert_eq!(sub, subject_for(&state, &a, "admin"), "stable");
        assert_ne!(
            sub,
            subject_for(&state, &alone, "admin"),
            "its own host's sector"
        );
        assert_ne!(sub, subject_for(&state, &a, "jdoe"));
        assert_ne!(sub, "admin");
    }
}
