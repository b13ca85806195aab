//! Request objects (OIDC Core §6): the authorization request as a JWT, by value (`request`) or
//! by reference (`request_uri`, fetched by the OP). The object is verified as the client's
//! ([`crate::client_jwt`]): `alg: none` or a signature with the client's secret or keys, and
//! exactly the client's `request_object_signing_alg` when it registered one. Its parameters
//! replace the query's (§6.3.3); the query's `client_id` and, when present in both,
//! `response_type` must agree with the object's, and the object must not nest another
//! `request`/`request_uri`. The redirect URI the object names is then checked like any other
//! (an unregistered one is an error page, never a redirect).

use serde_json::{Map, Value};

use super::{param, Params};
use crate::client_jwt;
use crate::clients::Client;
use crate::error::OAuthError;
use crate::fetch;
use crate::protocol::ClientAlg;
use crate::server::AppState;

/// JWT claims of the object that are not authorization parameters.
const JWT_CLAIMS: [&str; 6] = ["iss", "aud", "exp", "iat", "nbf", "jti"];

/// The algorithms a request object of `client` may use.
pub fn allowed(client: &Client) -> Vec<ClientAlg> {
    match client.request_object_signing_alg {
        Some(alg) => vec![alg],
        None => ClientAlg::REQUEST_OBJECT.to_vec(),
    }
}

/// The request's parameters with its request object (if any) applied.
pub async fn resolve(
    state: &AppState,
    client: &Client,
    query: &Params,
) -> Result<Params, OAuthError> {
    let switches = &state.config.request_objects;
    let jwt = match (param(query, "request"), param(query, "request_uri")) {
        (None, None) => return Ok(query.clone()),
        (Some(_), Some(_)) => {
            return Err(OAuthError::InvalidRequest(
                "request and request_uri cannot both be sent".into(),
            ))
        }
        (Some(_), None) if !switches.request => {
            return Err(OAuthError::RequestNotSupported(
                "the request parameter is not supported".into(),
            ))
        }
        (None, Some(_)) if !switches.request_uri => {
            return Err(OAuthError::RequestUriNotSupported(
                "the request_uri parameter is not supported".into(),
            ))
        }
        (Some(jwt), None) => jwt.to_owned(),
        (None, Some(uri)) => {
            let body = fetch::get(&state.http, uri, fetch::MAX_DOCUMENT_BYTES)
                .await
                .map_err(|e| OAuthError::InvalidRequestUri(format!("request_uri: {e}")))?;
            let text = String::from_utf8(body).map_err(|_| {
                OAuthError::InvalidRequestUri("request_uri: the document is not UTF-8".into())
            })?;
            // A file served as is usually ends in a newline.
            text.trim().to_owned()
        }
    };
    let verified = client_jwt::verify(state, client, &jwt, &allowed(client))
        .await
        .map_err(|e| OAuthError::InvalidRequestObject(format!("request object: {e}")))?;
    merge(state, client, query, verified.claims)
        .map_err(|e| OAuthError::InvalidRequestObject(format!("request object: {e}")))
}

/// The object's parameters over the query's, after the checks of OIDC Core §6.1 and §6.3.
fn merge(
    state: &AppState,
    client: &Client,
    query: &Params,
    claims: Map<String, Value>,
) -> Result<Params, String> {
    if let Some(iss) = claims.get("iss") {
        if iss.as_str() != Some(client.client_id.as_str()) {
            return Err(format!("iss {iss} is not the client_id"));
        }
    }
    if claims.contains_key("aud") && !client_jwt::audience_is(&claims, &[&state.issuer]) {
        return Err("aud does not name this OP's issuer".into());
    }
    if claims.contains_key("request") || claims.contains_key("request_uri") {
        return Err("it must not contain request or request_uri".into());
    }
    client_jwt::check_times(&claims, state.now(), false)?;
    let mut params = query.clone();
    params.remove("request");
    params.remove("request_uri");
    for (name, value) in claims {
        if JWT_CLAIMS.contains(&name.as_str()) {
            continue;
        }
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s,
            // `claims` is a JSON object, `max_age` a number: the query form of each.
            other => other.to_string(),
        };
        if matches!(name.as_str(), "client_id" | "response_type") {
            if let Some(outside) = param(query, &name) {
                if outside != text {
                    return Err(format!(
                        "{name} `{text}` differs from the query's `{outside}`"
                    ));
                }
            }
        }
        params.insert(name, text);
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorize::checks::params_of;
    use serde_json::json;

    fn client(alg: Option<ClientAlg>) -> Client {
        let config = crate::config::ClientConfig {
            client_id: "rp".into(),
            client_secret: Some("s".into()),
            redirect_uris: vec!["https://rp/cb".into()],
            request_object_signing_alg: alg,
            ..Default::default()
        };
        Client::from_config(&config).unwrap()
    }

    #[test]
    fn a_registered_alg_is_the_only_one_allowed() {
        assert_eq!(
            allowed(&client(Some(ClientAlg::RS256))),
            vec![ClientAlg::RS256]
        );
        assert!(allowed(&client(None)).contains(&ClientAlg::None));
    }

    #[test]
    fn the_object_wins_and_mismatches_are_refused() {
        let state = crate::server::test_state();
        let c = client(None);
        let query = params_of(&[
            ("client_id", "rp"),
            ("response_type", "code"),
            ("scope", "openid"),
            ("request", "x"),
            ("state", "outer"),
        ]);
        let object = |v: Value| v.as_object().cloned().unwrap();
        let merged = merge(
            &state,
            &c,
            &query,
            object(json!({"iss": "rp", "aud": &*state.issuer, "state": "inner",
                          "max_age": 30, "claims": {"userinfo": {"name": null}}})),
        )
        .unwrap();
        assert_eq!(merged["state"], "inner");
        assert_eq!(merged["max_age"], "30");
        assert_eq!(merged["claims"], r#"{"userinfo":{"name":null}}"#);
        assert!(!merged.contains_key("request") && !merged.contains_key("iss"));
        for bad in [
            json!({"client_id": "other"}),
            json!({"response_type": "token"}),
            json!({"iss": "other"}),
            json!({"aud": "https://elsewhere"}),
            json!({"request_uri": "https://rp/r"}),
            json!({"exp": 1}),
        ] {
            assert!(
                merge(&state, &c, &query, object(bad.clone())).is_err(),
                "{bad}"
            );
        }
    }
}
